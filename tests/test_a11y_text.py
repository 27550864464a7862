"""Text alternatives say what a picture shows, computed from it; a dwarfed chart panel is cut and
says so; the glossary's buttons carry every meaning; the live page's first view explains itself."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import torch

from playground.core.glossary import GLOSSARY
from playground.ui.controls.train_controls import WHY_WORSE
from playground.ui.shell.glossary import glossary_html
from playground.views import charts, palette, render
from tests.test_app import open_page

pytestmark = pytest.mark.usefixtures("one_thread")
R = 48


def halves(left: int, right: int, k: int = 3, sharp: float = 4.0) -> torch.Tensor:
    """Grid probabilities [R*R, k]: class `left` on the left half, `right` on the right."""
    xs = np.linspace(-1, 1, R)
    x = np.meshgrid(xs, xs[::-1])[0].reshape(-1)
    logits = np.zeros((R * R, k))
    logits[:, left] = -sharp * x
    logits[:, right] = sharp * x
    return torch.softmax(torch.tensor(logits, dtype=torch.float32), -1)


def picture(probs: torch.Tensor, size: int = 360) -> bytes:
    rng = np.random.default_rng(0)
    xy = rng.uniform(-1, 1, (60, 2)).astype(np.float32)
    return render.scene_jpeg(render.boundary_rgb(probs, R, upsample=4), 1.0, xy, np.zeros(60, int),
                             np.zeros(60, bool), np.zeros(60, bool), size=size)


def shares(text: str) -> dict[str, tuple[int, str]]:
    """'blue (class 0) 50% of the view, on the left' -> {'blue': (50, 'on the left')}."""
    return {m[0]: (int(m[1]), m[2]) for m in re.findall(r"(\w[\w ]*?) \(class \d\) (\d+)%(?: of the view)?, "
                                                         r"([^;]+)", text)}


def test_a_picture_is_described_by_which_class_lies_where():
    text = render.describe_picture(picture(halves(0, 1)), 3)
    found = shares(text)
    assert found["blue"][1] == "on the left" and found["orange"][1] == "on the right"
    assert abs(found["blue"][0] - 50) <= 3 and abs(found["orange"][0] - 50) <= 3
    assert "green (class 2) nowhere" in text
    flipped = shares(render.describe_picture(picture(halves(2, 0)), 3))  # the description follows the data
    assert flipped["green"][1] == "on the left" and flipped["blue"][1] == "on the right"


def test_the_pale_share_follows_the_models_confidence():
    def pale(text):
        return int(re.search(r"below 0\.75: (\d+)%", text).group(1))
    sure, unsure = halves(0, 1, k=2, sharp=20.0), halves(0, 1, k=2, sharp=0.5)
    assert pale(render.describe_picture(picture(sure), 2)) < 10
    assert pale(render.describe_picture(picture(unsure), 2)) > 90
    # the live canvas's grid and the finished picture say the same of the same model
    grid = render.describe_scene_grid(render.scene_grid(sure), R, 2)
    assert shares(grid).keys() == {"blue", "orange"} and pale(grid) < 10


def test_a_diverged_model_is_described_as_such():
    nan = torch.full((R * R, 2), float("nan"))
    assert "diverged" in render.describe_picture(picture(nan), 2)
    assert "diverged" in render.describe_scene_grid(render.scene_grid(nan), R, 2)


def test_another_picture_is_refused():
    with pytest.raises(ValueError, match="no scene picture"):
        render.describe_picture(render.colour_key_png(3), 3)


def test_the_colour_key_names_each_class_colour():
    text = render.colour_key_alt(4)
    for c, name in enumerate(palette.CLASS_COLOUR_NAMES[:4]):
        assert f"class {c} {name}" in text
    assert "1/4 (white)" in text and "class 4" not in text


def summary(nll_outlier: float) -> pd.DataFrame:
    rows = []
    for recipe, nll, ece in (("CE", 0.40, 0.05), ("LS", 0.30, 0.08), ("NLS", nll_outlier, 0.04)):
        rows += [{"recipe": recipe, "label": "NLL", "mean": nll, "min": nll * 0.9, "max": nll * 1.1},
                 {"recipe": recipe, "label": "ECE", "mean": ece, "min": ece * 0.9, "max": ece * 1.1}]
    return pd.DataFrame(rows)


def test_a_panel_one_line_dwarfs_is_cut_and_says_where():
    frame = summary(31.4)
    cuts = charts.axis_cuts(frame)
    assert list(cuts) == ["NLL"] and cuts["NLL"] == pytest.approx(1.5 * 0.44)
    cut = charts.cut_axes(frame, cuts)
    nll = cut[cut["label"].str.startswith("NLL")]
    assert set(nll["label"]) == {f"NLL (axis cut at {cuts['NLL']:.3g})"}
    assert nll["max"].max() == pytest.approx(cuts["NLL"]) and nll["off"].tolist() == [False, False, True]
    assert nll.loc[nll["off"], "true_mean"].item() == 31.4  # the true value, shown beside its dot
    assert (cut[cut["label"] == "ECE"]["max"] == frame[frame["label"] == "ECE"]["max"]).all()
    spec = charts.recipe_metrics_chart(frame, ["CE", "LS", "NLS"], ["#000000"] * 3).to_dict()
    assert "31.4" in spec["description"] and "NLL (axis cut at 0.66)" in str(spec)


def test_no_cut_when_no_line_dwarfs_the_rest():
    assert charts.axis_cuts(summary(1.2)) == {}


def test_every_glossary_term_is_a_button_with_its_meaning():
    html = glossary_html(("ε", "NLL"))
    assert re.findall(r"<summary[^>]*>([^<]+)</summary>", html) == ["ε", "NLL"]
    assert GLOSSARY["NLL"] in html and "title=" not in html


def test_the_live_pages_first_view_explains_itself_without_a_number():
    assert not re.search(r"\d", WHY_WORSE)  # the run on screen measures the numbers
    at = open_page("app_pages/train.py")
    assert WHY_WORSE in [m.value for m in at.markdown]
    link = next(p.proto for p in at.get("page_link") if "preset=overconfident" in p.proto.query_string)
    assert link.page.endswith("sweep")
    at.slider(key="ds_label_noise").set_value(0.2).run()  # no longer the first view: no caveat
    assert WHY_WORSE not in [m.value for m in at.markdown] and not at.exception
