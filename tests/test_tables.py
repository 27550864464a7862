import pytest
import torch

from playground.engine.recorder import Evaluation, ModelEvaluation
from playground.views import tables


def test_targets_frame():
    frame = tables.targets(3, 0.3, "uniform")
    smooth = frame[frame["target"].str.startswith("smoothed")]
    assert smooth["probability"].tolist() == pytest.approx([0.8, 0.1, 0.1])
    assert frame[frame["target"] == "one-hot"]["probability"].tolist() == [1.0, 0.0, 0.0]


def test_history_is_thinned_evenly_and_keeps_the_latest():
    model = ModelEvaluation(model=0, objective="smoothing", value=0.0, seed=0, diverged=False, train_loss=1.0,
                            train_nll=1.0, train_acc=0.5, test_nll=2.0, test_acc=0.4, train_ece=0.05,
                            test_ece=0.1)
    records = [Evaluation(s, (model,)) for s in range(0, 1001, 10)]
    frame = tables.history(records, ["a"], max_points=20)
    steps = sorted(frame["step"].unique())
    assert len(steps) <= 21 and steps[0] == 0 and steps[-1] == 1000
    assert len(frame) == len(steps) * len(tables.HISTORY_METRICS)
    assert set(frame["metric"]) == {"loss (NLL)", "accuracy", "ECE"}


def test_target_vs_prediction():
    frame = tables.target_vs_prediction(["m0", "m1"], torch.tensor([[1.0, 0.0], [0.9, 0.1]]),
                                        torch.tensor([[0.7, 0.3], [0.6, 0.4]]))
    assert len(frame) == 8
    row = frame[(frame["model"] == "m1") & (frame["kind"] == "target") & (frame["class"] == 1)]
    assert float(row["probability"].iloc[0]) == pytest.approx(0.1)


def test_loss_curves_minimum_is_on_the_curve_and_lowest():
    curves, minima = tables.loss_curves(3, [0.0, 0.2], "uniform")
    for _, row in minima.iterrows():
        curve = curves[curves["eps"] == row["eps"]]
        assert curve["loss"].min() == pytest.approx(row["min_loss"], abs=1e-5)  # eps=0: p stops at 1-1e-6
        assert float(curve.loc[curve["loss"].idxmin(), "p"]) == pytest.approx(min(row["q_true"], 1 - 1e-6))


def test_gradient_curves_vanish_at_the_marks():
    curves, marks = tables.gradient_curves(4, [0.1], "uniform", points=4001, max_gap=12)
    mark = marks.iloc[0]
    near = curves.iloc[(curves["gap"] - mark["optimal_gap"]).abs().argsort()[:1]]
    assert float(near["grad_norm"].iloc[0]) < 2e-3
    assert mark["limit"] == pytest.approx(0.0866, abs=1e-4)  # SCIENCE.md, K=4, eps=0.1


def test_curve_frames_carry_the_number_behind_the_eps_label():
    curves, minima = tables.loss_curves(3, [0.0, 0.25])
    gcurves, marks = tables.gradient_curves(3, [0.1, 0.0])
    for frame in (curves, minima, gcurves, marks):
        pairs = dict(zip(frame["eps"], frame["eps_value"]))
        assert all(label == f"ε={value:g}" for label, value in pairs.items())
    assert sorted(set(curves["eps_value"])) == [0.0, 0.25]
    assert marks["eps_value"].tolist() == [0.1, 0.0]
