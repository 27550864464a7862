"""The Representations page's experiment: clusters tighten under smoothing, over 5 seeds."""
import pytest

from playground.core.datasets import DatasetSpec
from playground.experiments import claims, tightening
from playground.experiments.tightening import TighteningConfig

pytestmark = pytest.mark.usefixtures("one_thread")  # as the server runs: one torch thread


def test_the_default_run_says_what_its_paired_seeds_show():
    result = tightening.run(TighteningConfig(seeds=5))
    frame = result.tightness
    compared = claims.paired(frame, "tightness", "eps", 0.1, 0.0)
    said = tightening.interpretation(frame, 0.1)
    if compared.verdict == claims.HOLDS:  # the held-out evidence is the preset's (tests/test_presets.py)
        assert said[0].startswith("Tightness (lower is tighter) is lower at ε = 0.1 than at ε = 0")
        assert f"{compared.b_mean / compared.a_mean:.1f}× tighter" in said[1] and "Kornblith" in said[1]
    else:
        assert "does not show it clearly" in said[1]
    assert said[2].startswith("Mean tightness across ε: 0: ")
    # the scrubber's saved steps end at the last step, with both models and both splits at each
    steps = sorted(set(result.points["step"]))
    assert steps[-1] == 1500 and len(steps) >= 5
    last = result.points[result.points["step"] == 1500]
    assert set(last["model"]) == {"one-hot (ε=0)", "smoothed (ε=0.1)"}
    assert set(last["split"]) == {"train", "test"}
    assert set(last["class"]) == {0, 1, 2}


def test_classes_are_checked():
    with pytest.raises(ValueError, match="three different classes"):
        TighteningConfig(classes=(0, 0, 1)).validated()
    with pytest.raises(ValueError, match="classes of this dataset"):
        tightening.run(TighteningConfig(classes=(0, 1, 5), steps=10, seeds=1))


def test_digits_pictures_its_test_images_with_both_models_distributions():
    from playground.core.datasets import load_table
    from playground.experiments import tightening as t
    config = t.TighteningConfig(DatasetSpec(name="digits"), grid=(0.0, 0.1), seeds=1, steps=60)
    result = t.run(config)
    pixels, predictions = result.pixels, result.predictions
    assert set(pixels["image"]) == set(range(t.MISTAKES + t.RIGHT)) and len(pixels) == 6 * 64
    assert pixels["value"].between(0, 16).all() and pixels["value"].max() > 8  # raw pixels, not standardised
    # each picture is the raw image of the test example it says it is
    x, _ = load_table("digits")
    rows = {tuple(r) for r in x}
    for _, image in pixels.groupby("image"):
        assert tuple(image.sort_values(["row", "col"])["value"]) in rows
    sums = predictions.groupby(["image", "model"])["probability"].sum()
    assert (abs(sums - 1) < 1e-5).all() and len(sums) == 6 * 2
    one_hot = predictions[predictions["model"] == "one-hot (ε=0)"]
    top = one_hot.loc[one_hot.groupby("image")["probability"].idxmax()]
    wrong = (top["class"] != top["label"]).to_numpy()
    assert wrong[:t.MISTAKES].all() or wrong.sum() < t.MISTAKES  # mistakes first, as many as there are
    titles = t.image_titles(predictions, ["one-hot (ε=0)", "smoothed (ε=0.1)"])
    assert len(titles) == 6 and all("one-hot says" in s and "smoothed says" in s for s in titles)
    assert t.run(t.TighteningConfig(steps=20, seeds=1)).pixels is None  # no images for the toy shapes
