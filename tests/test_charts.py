"""Chart builders: every spec validates against Vega-Lite's schema, and the visual system holds:
class colours only for classes, the model pair for one-hot against smoothed, one ε scale."""
import json

import pandas as pd
import pytest
import torch

from playground.core import calibration
from playground.core.datasets import BOX
from playground.experiments import sweep
from playground.views import charts, palette, tables

NAMES = ("one-hot (ε=0)", "smoothed (ε=0.1)")


def walk(node):
    """Every dict in a spec, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def channels(spec: dict, name: str) -> list[dict]:
    """Every encoding of channel `name` (color, opacity, x...) anywhere in the spec."""
    return [node["encoding"][name] for node in walk(spec)
            if isinstance(node.get("encoding"), dict) and name in node["encoding"]]


def colour_of(spec: dict, value) -> set[str]:
    """The colours that every colour scale in the spec gives `value`."""
    found = set()
    for enc in channels(spec, "color"):
        scale = enc.get("scale") or {}
        if value in scale.get("domain", []):
            found.add(scale["range"][scale["domain"].index(value)])
    return found


def reliability_bins() -> pd.DataFrame:
    torch.manual_seed(0)
    probs = torch.softmax(torch.randn(200, 2) * 2, -1)
    labels = torch.randint(0, 2, (200,))
    return pd.concat([calibration.reliability_frame(probs, labels, n) for n in NAMES], ignore_index=True)


def confidences() -> pd.DataFrame:
    return pd.DataFrame({"model": [NAMES[0], NAMES[1]] * 3, "confidence": [0.55, 0.6, 0.9, 0.97, 1.0, 0.7]})


def sweep_summary() -> pd.DataFrame:
    rows = [{"eps": e, "seed": s, "diverged": False, **{m: e + s / 10 for m in sweep.METRICS}}
            for e in (0.0, 0.1, 0.2) for s in (0, 1)]
    return sweep.summary_by_eps(pd.DataFrame(rows))


def every_chart() -> list:
    """Each builder once, with realistic data."""
    summary = sweep_summary()
    noise = sweep.noise_comparison({0.1: pd.DataFrame([{"eps": e, "seed": 0, "diverged": False,
                                                         **{m: 0.5 for m in sweep.METRICS}}
                                                        for e in (0.0, 0.1)]),
                                    0.0: pd.DataFrame([{"eps": e, "seed": 0, "diverged": False,
                                                        **{m: 0.6 for m in sweep.METRICS}}
                                                       for e in (0.0, 0.1)])})
    samples = pd.DataFrame({"step": [10, 300], "model": list(NAMES), "index": [0, 1], "p_true": [0.5, 0.9],
                            "grad_norm": [0.1, 0.01]})
    reference, _ = tables.gradient_curves(2, [0.0, 0.1])
    gaps = pd.DataFrame({"step": [0, 10, 0, 10], "model": [NAMES[0]] * 2 + [NAMES[1]] * 2,
                         "q10": [0, 1, 0, 1], "q50": [1, 2, 1, 2], "q90": [2, 3, 2, 3],
                         "optimal": [float("inf")] * 2 + [2.2] * 2})
    return [
        charts.targets_bar(tables.targets(4, 0.2)),
        charts.loss_curve_chart(*tables.loss_curves(3, [0.0, 0.1])),
        charts.gradient_chart(*tables.gradient_curves(3, [0.0, 0.1]), x="gap"),
        charts.gradient_chart(*tables.gradient_curves(3, [0.1]), signed=True),
        charts.measured_gradient_chart(samples, reference.assign(model=NAMES[0]), list(NAMES)),
        charts.logit_gap_chart(gaps, list(NAMES)),
        charts.sweep_metrics_chart(summary[summary["metric"] != "mean_logit_gap"]),
        charts.gap_vs_eps_chart(summary, pd.DataFrame({"eps": [0.1, 0.2], "optimal_gap": [3.0, 2.2]})),
        charts.noise_comparison_chart(noise),
        charts.reliability_chart(reliability_bins(), list(NAMES), 2, [0.0, 0.1]),
        charts.confidence_histogram(confidences(), list(NAMES), 2, [0.0, None]),
    ]


def live_specs() -> list[dict]:
    return [charts.picker_spec(3, BOX), charts.history_spec(NAMES), charts.inspector_spec(NAMES),
            charts.live_reliability_spec(NAMES, 3)]


def test_every_builder_validates():
    for chart in every_chart():
        assert chart.to_dict()  # raises on an invalid spec
    for spec in live_specs():
        assert spec["$schema"].endswith("v6.json") or "v6" in spec["$schema"]


def test_live_specs_read_named_datasets():
    for spec, names in zip(live_specs(), ({"points"}, {"history", "changes"}, {"inspect"}, {"reliability"})):
        found = {node["name"] for node in walk(spec) if set(node) == {"name"}}
        assert found == names
        assert "datasets" not in spec  # data are bound at draw time


def test_picker_uses_class_colours_and_fits_its_size():
    for k in (2, 3, 10):
        spec = charts.picker_spec(k, BOX, 280)
        (colour,) = channels(spec, "color")
        assert colour["scale"]["range"] == palette.class_colours(k)
        assert colour["scale"]["domain"] == list(range(k))
        assert colour["legend"]["orient"] == "bottom" and colour["legend"]["direction"] == "horizontal"
        (shape,) = channels(spec, "shape")
        assert shape["legend"]["orient"] == "bottom"
        # "fit-x" makes width the outer width: axis and padding are inside it; legends go below
        assert spec["width"] == 280 and spec["autosize"] == {"type": "fit-x", "contains": "padding"}
        assert spec["height"] < 280  # the plot's own height: about as tall as it is wide


def test_no_chart_but_the_picker_uses_class_colours():
    classes = set(palette.CLASS_COLOURS)
    for chart in every_chart():
        assert not classes & set(json.dumps(chart.to_dict()).split('"')), chart
    for spec in live_specs()[1:]:
        assert not classes & set(json.dumps(spec).split('"'))


def test_model_charts_use_the_model_pair():
    for spec in [chart.to_dict() for chart in every_chart()[4:6]] + live_specs()[1:]:
        assert colour_of(spec, NAMES[0]) == {palette.ONE_HOT_COLOUR}, spec
        assert colour_of(spec, NAMES[1]) == {palette.SMOOTH_COLOUR}
    kinds = charts.targets_bar(tables.targets(3, 0.1)).to_dict()
    assert colour_of(kinds, "one-hot") == {palette.ONE_HOT_COLOUR}
    assert colour_of(kinds, "smoothed (ε=0.1)") == {palette.SMOOTH_COLOUR}
    assert not hasattr(charts, "ONE_HOT_COLOUR") and not hasattr(charts, "SMOOTH_COLOUR")


def test_the_same_eps_has_the_same_colour_on_every_chart():
    want = palette.eps_colour(0.1)
    summary = sweep_summary()
    by_label = [charts.loss_curve_chart(*tables.loss_curves(3, [0.0, 0.1, 0.3])).to_dict(),
                charts.gradient_chart(*tables.gradient_curves(3, [0.1, 0.0])).to_dict()]
    for spec in by_label:
        assert colour_of(spec, "ε=0.1") == {want}
        assert colour_of(spec, "ε=0") == {palette.eps_colour(0.0)}
    reference = pd.DataFrame({"eps": [0.1], "optimal_gap": [2.0]})
    by_value = [charts.sweep_metrics_chart(summary).to_dict(),
                charts.gap_vs_eps_chart(summary, reference).to_dict()]
    for spec in by_value:
        assert colour_of(spec, 0.1) == {want}
    bins = reliability_bins()
    panels = [charts.reliability_chart(bins, ["ε=0.1", "ε=0, T=1.23"], 2, [0.1, None]).to_dict(),
              charts.confidence_histogram(confidences(), ["ε=0.1", "ε=0, T=1.23"], 2, [0.1, None]).to_dict()]
    for spec in panels:
        assert colour_of(spec, "ε=0.1") == {want}
        assert colour_of(spec, "ε=0, T=1.23") == {palette.NEUTRAL}
    with pytest.raises(ValueError, match="eps has 1"):
        charts.reliability_chart(bins, list(NAMES), 2, [0.1])


def test_sweep_lines_are_neutral_and_the_grid_is_full():
    summary = sweep_summary()
    shown = summary[summary["metric"] != "mean_logit_gap"]  # as the sweep page draws it
    assert shown["label"].nunique() == 8  # 2 rows of 4: no empty panel
    spec = charts.sweep_metrics_chart(shown).to_dict()
    assert spec["columns"] == 4
    marks = [layer["mark"] for layer in spec["spec"]["layer"]]
    assert [m["type"] for m in marks] == ["area", "line", "circle"]
    assert marks[0]["color"] == marks[1]["color"] == palette.NEUTRAL
    assert spec["spec"]["layer"][2]["encoding"]["color"]["legend"] is None


def test_probability_axes_have_clean_ticks_from_chance():
    for k, lo in ((2, 0.5), (3, 1 / 3), (10, 0.1)):
        for spec in (charts.confidence_histogram(confidences(), list(NAMES), k, [0.0, 0.1]).to_dict(),
                     charts.reliability_chart(reliability_bins(), list(NAMES), k, [0.0, 0.1]).to_dict(),
                     charts.live_reliability_spec(NAMES, k)):
            x = next(enc for enc in channels(spec, "x") if enc.get("title") == "confidence")
            assert x["scale"]["domain"] == [pytest.approx(lo), 1.0]
            assert x["axis"]["values"] == [v for v in [0, 0.2, 0.4, 0.6, 0.8, 1] if v >= lo - 1e-9]
            assert x["axis"]["format"] == ".1f"
    assert charts.prob_ticks(0.5) == [0.6, 0.8, 1.0]
    with pytest.raises(ValueError):
        charts.chance(1)


def test_reliability_bars_fade_with_few_points_and_the_diagonal_starts_at_chance():
    for spec in (charts.reliability_chart(reliability_bins(), list(NAMES), 2, [0.0, 0.1]).to_dict(),
                 charts.live_reliability_spec(NAMES, 2)):
        (opacity,) = channels(spec, "opacity")
        assert opacity["field"] == "count" and opacity["type"] == "quantitative"
        assert opacity["scale"]["range"][0] <= 0.2 and opacity["scale"]["range"][1] == 1.0
        assert opacity["legend"]["title"] == "points in bin"
        diagonal = next(layer for layer in spec["spec"]["layer"] if layer["mark"]["type"] == "rule")
        enc = diagonal["encoding"]
        ends = (enc["x"]["datum"], enc["y"]["datum"], enc["x2"]["datum"], enc["y2"]["datum"])
        assert ends == (0.5, 0.5, 1, 1)
        # every layer carries the same axes: one without them makes Vega-Lite drop the explicit ticks
        for y in channels(spec, "y"):
            assert y["scale"]["domain"] == [0, 1] and y["axis"]["values"] == charts.PROB_TICKS
        for x in channels(spec, "x"):
            assert x["axis"]["values"] == [0.6, 0.8, 1.0]
    live = charts.live_reliability_spec(NAMES, 2)
    assert live["spec"]["width"] == 150 and live["spec"]["height"] == 150
    assert live["facet"]["sort"] == list(NAMES) and live["columns"] == charts.WRAP


def test_history_marks_changes_in_every_panel_and_never_prints_long_zeros():
    spec = charts.history_spec(NAMES)
    assert [panel["title"] for panel in spec["hconcat"]] == list(charts.HISTORY_PANELS)
    for panel in spec["hconcat"]:
        line, rule = panel["layer"]
        assert line["data"] == {"name": "history"} and rule["data"] == {"name": "changes"}
        assert line["transform"] == [{"filter": f"(datum.metric === '{panel['title']}')"}]
        assert rule["mark"]["type"] == "rule" and rule["mark"]["color"] == palette.NEUTRAL
        assert rule["mark"]["strokeDash"]
        assert any(t["field"] == "change" for t in rule["encoding"]["tooltip"])
        assert (panel["width"], panel["height"]) == (150, 140)  # three fit beside each other at 1024 px
        y_axis = line["encoding"]["y"]["axis"]
        assert y_axis["format"] == charts.VALUE_FORMAT and y_axis["tickCount"] <= 5
        assert line["encoding"]["x"]["axis"]["format"] == ",d"
        assert line["encoding"]["color"]["legend"]["orient"] == "top"
    assert spec["resolve"]["scale"]["y"] == "independent"


def test_inspector_fits_its_width():
    for width in (360, 520, 700):
        spec = charts.inspector_spec(NAMES, width=width)
        panels, spacing = spec["spec"]["width"], spec["spacing"]
        # two panels, the gap between them, a 56 px y axis and the padding
        assert 2 * panels + spacing + 56 + 10 <= width
        assert 2 * panels + spacing + 56 + 10 >= width - 2  # and it uses the room it has
    legend = channels(charts.inspector_spec(NAMES), "opacity")[0]["legend"]
    assert legend["orient"] == "top"


def test_value_axes_format_cleanly():
    """A float axis left to its default prints "0.000000" on a flat line; these set a format."""
    spec = charts.sweep_metrics_chart(sweep_summary()).to_dict()
    assert spec["spec"]["layer"][0]["encoding"]["y"]["axis"]["format"] == charts.VALUE_FORMAT
    for spec in [charts.targets_bar(tables.targets(3, 0.1)).to_dict(), charts.inspector_spec(NAMES)]:
        (y,) = channels(spec, "y")
        assert y["axis"]["format"] == ".1f"
