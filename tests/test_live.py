import numpy as np
import pytest
import torch

from playground.core.datasets import make_dataset
from playground.core.smoothing import smooth_targets
from playground.engine.engine import TrainConfig
from playground.experiments.live import LiveRun
from playground.views import render


@pytest.fixture
def run():
    return LiveRun(make_dataset("moons", n=300, seed=2), TrainConfig(lr=0.03, device="cpu"), 0.2)


def test_two_models_share_data_and_start(run):
    a, b = run.engine.to_module(0), run.engine.to_module(1)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert run.engine.model_eps == [0.0, 0.2] and run.names == ["one-hot (ε=0)", "smoothed (ε=0.2)"]
    assert run.step == 0 and len(run.engine.history) == 1


def test_advance_rate_and_mid_run_eps(run):
    run.advance(10)
    run.advance(10)
    assert run.step == 20 and run.steps_per_second() > 0
    before = [p.clone() for p in run.engine.to_module(1).parameters()]
    run.set_objective_value(0.4)
    assert run.objective_value == 0.4 and run.step == 20
    assert all(torch.equal(p, q) for p, q in zip(before, run.engine.to_module(1).parameters()))
    run.pause()
    assert run.steps_per_second() == 0.0


def test_scenes_carry_each_models_boundary_points_and_mistakes(run):
    run.advance(30)
    payload = run.scenes(show_test=False, discretize=True, picked=3)
    train = run.split == "train"
    assert np.allclose(payload["xy"], run.x[train]) and payload["res"] == run.resolution
    assert np.array_equal(payload["classes"], run.labels[train])
    assert not payload["test"].any()  # test points hidden
    for m, model in enumerate(payload["models"]):
        side = run.resolution
        grid = render.scene_grid(run.grid_probs()[m], discretize=True)
        assert np.array_equal(model["cls"], grid["cls"]) and np.array_equal(model["alpha"], grid["alpha"])
        assert model["cls"].shape == (side * side,)
        assert np.array_equal(model["wrong"].astype(bool), run.wrong(m)[train])
        assert model["label"] == run.names[m]
    assert payload["picked"] == int(train[:3].sum()) if train[3] else payload["picked"] == -1
    assert payload["step"] == 30 and len(payload["colours"]) == run.data.num_classes


def test_wrong_and_mistakes_match_predictions(run):
    run.advance(50)
    probs = run.point_outputs().probs[0]
    wrong = probs.argmax(-1).numpy() != run.labels
    assert np.array_equal(run.wrong(0), wrong)
    assert sum(run.mistakes(0).values()) == wrong.sum()


def test_inspect_matches_autograd(run):
    run.advance(40)
    info = run.inspect(7)
    x = torch.as_tensor(run.x[7:8])
    for i, eps in enumerate([0.0, 0.2]):
        z = run.engine.to_module(i)(x).detach().requires_grad_(True)
        loss = torch.nn.CrossEntropyLoss(label_smoothing=eps, reduction="sum")
        loss(z, torch.tensor([info["label"]])).backward()
        assert info["grad_norm"][i] == pytest.approx(float(z.grad.norm()), rel=1e-4)
    target = info["frame"].query("kind == 'target' and model == @run.names[1]")["probability"].tolist()
    assert target == pytest.approx(smooth_targets(torch.tensor([info["label"]]), 2, 0.2)[0].tolist())
    with pytest.raises(ValueError, match="^point index="):
        run.inspect(10_000)


def test_points_and_history(run):
    assert len(run.points()) == 300 and set(run.points(show_test=False)["split"]) == {"train"}
    run.advance(5)
    frame = run.history()
    assert set(frame["step"]) == {0, 5} and set(frame["model"]) == set(run.names)


def test_mid_run_changes_are_recorded_with_their_step(run):
    run.set_objective_value(0.3)  # before training: just the setting, no mark
    run.advance(20)
    run.set_objective_value(0.1)
    run.set_hyperparameters(lr=0.01, weight_decay=0.001)
    run.set_hyperparameters(lr=0.01, weight_decay=0.001)  # unchanged: nothing new
    assert run.changes == [{"step": 20, "change": "ε 0.3 → 0.1"}, {"step": 20, "change": "lr 0.03 → 0.01"},
                           {"step": 20, "change": "weight decay 0 → 0.001"}]
    assert run.engine.config.lr == 0.01 and run.engine.config.weight_decay == 0.001
    assert list(run.changes_frame().columns) == ["step", "change"]


def test_headline_numbers_follow_the_test_points(run):
    run.advance(100)
    numbers = run.headline()
    run.history()  # the history catches up with the step it draws
    test = run.split == "test"
    probs = run.point_outputs().probs[:, torch.from_numpy(test)]
    labels = torch.from_numpy(run.labels[test])
    for i, row in enumerate(numbers):
        acc = float((probs[i].argmax(-1) == labels).float().mean())
        assert row["accuracy"] == pytest.approx(acc)
        assert row["over-confidence"] == pytest.approx(float(probs[i].max(-1).values.mean()) - acc)
        assert row["ECE"] == pytest.approx(run.engine.history[-1].models[i].test_ece, abs=1e-6)
    frame = run.reliability()
    assert set(frame["model"]) == set(run.names) and frame.groupby("model")["count"].sum().tolist() == \
        [int(test.sum())] * 2


def test_inspect_says_what_each_model_predicts(run):
    run.advance(50)
    info = run.inspect(7)
    probs = run.point_outputs().probs[:, 7]
    assert info["predicted"] == probs.argmax(-1).tolist()


def test_training_records_a_few_evaluations_a_second_and_the_history_catches_up(run):
    recorded = len(run.engine.history)
    for _ in range(20):
        run.advance(1)  # far faster than one evaluation per EVALUATE_EVERY_S
    assert len(run.engine.history) < recorded + 20
    frame = run.history()
    assert run.engine.history[-1].step == run.step and frame["step"].max() == run.step
