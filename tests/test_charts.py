"""Every chart builder yields a spec that validates against Vega-Lite's schema."""
import pandas as pd

from playground import charts, tables
from playground.datasets import BOX


def test_static_charts_validate():
    for chart in (
        charts.targets_bar(tables.targets(4, 0.2)),
        charts.loss_curve_chart(*tables.loss_curves(3, [0.0, 0.1])),
        charts.gradient_chart(*tables.gradient_curves(3, [0.0, 0.1]), x="gap"),
        charts.gradient_chart(*tables.gradient_curves(3, [0.1]), signed=True),
    ):
        spec = chart.to_dict()  # raises on an invalid spec
        assert spec.get("layer") or spec.get("mark")


def test_live_specs_read_named_datasets():
    for spec, names in ((charts.picker_spec(3, BOX), {"points"}),
                        (charts.history_spec(("a", "b")), {"history"}),
                        (charts.inspector_spec(("a", "b")), {"inspect"})):
        text = str(spec)
        assert all(f"'name': '{n}'" in text for n in names)
        assert "datasets" not in spec  # data are bound at draw time


def test_measured_charts_validate():
    samples = pd.DataFrame({"model": ["a", "b"], "index": [0, 1], "p_true": [0.5, 0.9],
                            "grad_norm": [0.1, 0.01]})
    curves, _ = tables.gradient_curves(2, [0.0])
    assert charts.measured_gradient_chart(samples, curves.assign(model="a"), ["a", "b"]).to_dict()
    gaps = pd.DataFrame({"step": [0, 10, 0, 10], "model": ["a", "a", "b", "b"], "q10": [0, 1, 0, 1],
                         "q50": [1, 2, 1, 2], "q90": [2, 3, 2, 3], "optimal": [float("inf")] * 2 + [2.2] * 2})
    spec = charts.logit_gap_chart(gaps, ["a", "b"]).to_dict()
    assert "layer" in spec
