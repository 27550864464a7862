"""The Representations page's experiment: clusters tighten under smoothing, over 5 seeds."""
import pytest

from playground import tightening
from playground.tightening import TighteningConfig

pytestmark = pytest.mark.usefixtures("one_thread")  # as the server runs: one torch thread


def test_the_default_run_tightens_on_every_one_of_five_seeds():
    result = tightening.run(TighteningConfig(seeds=5))
    frame = result.tightness
    base = frame[frame["eps"] == 0.0]["tightness"]
    smoothed = frame[frame["eps"] == 0.1]["tightness"]
    assert smoothed.max() < base.min() and base.mean() / smoothed.mean() > 1.5
    said = " ".join(tightening.interpretation(frame, 0.1))
    assert "tighter on every seed" in said and "As Müller, Kornblith & Hinton report" in said
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
