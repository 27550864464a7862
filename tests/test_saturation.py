import pytest
import torch

from playground.core import metrics
from playground.core.datasets import make_dataset
from playground.engine.engine import Engine, TrainConfig
from playground.experiments import saturation


@pytest.fixture(scope="module")
def result():
    data = make_dataset("moons", n=300, seed=1)
    config = TrainConfig(lr=0.03, units=32, device="cpu")
    return saturation.record(data, config, 0.2, [10, 1500], gap_every=100)


def test_smoothed_gap_settles_at_its_optimum_while_one_hot_keeps_growing(result):
    gaps = result["gaps"].pivot(index="step", columns="model", values="q50")
    assert gaps.loc[1500, 1] == pytest.approx(2.1972, abs=0.15)  # log(0.9 / 0.1), K=2, eps=0.2
    assert gaps.loc[1500, 0] > gaps.loc[700, 0] + 1.0 > 4.0
    assert result["gaps"].query("model == 1")["optimal"].iloc[0] == pytest.approx(2.19722, abs=1e-5)


def test_samples_match_the_engine(result):
    data = make_dataset("moons", n=300, seed=1)
    engine = Engine(data, [0.0, 0.2], TrainConfig(lr=0.03, units=32, device="cpu"))
    engine.train(10)
    logits = engine.predict(data.x_train).logits
    y = torch.as_tensor(data.y_train)
    expected = metrics.logit_grad_norm(logits, y, [0.0, 0.2])
    got = result["samples"].query("step == 10").sort_values(["model", "index"])["grad_norm"].to_numpy()
    assert got == pytest.approx(expected.flatten().numpy(), rel=1e-4, abs=1e-7)


def test_summary_speaks_from_the_numbers(result):
    text = saturation.summary(result, ["a", "b"])
    median = result["gaps"].query("step == 1500").set_index("model")["q50"]
    assert f"{median.loc[0]:.2f}" in text and f"{median.loc[1]:.2f}" in text
    assert "a model is" in text and "still growing" in text and "settled" in text


def test_bad_snapshots_rejected():
    data = make_dataset("moons", n=100)
    with pytest.raises(ValueError, match="^snapshot step="):
        saturation.record(data, TrainConfig(device="cpu"), 0.1, [-5])
    with pytest.raises(ValueError, match="^snapshots="):
        saturation.record(data, TrainConfig(device="cpu"), 0.1, [])


def test_near_saturation_says_which_objectives_still_push_from_their_closed_forms():
    from playground.core import objectives
    pairs = [("smoothing", 0.0), ("smoothing", 0.1), ("focal", 2.0), ("confidence_penalty", 0.5)]
    labels = ["cross-entropy", "smoothing ε=0.1", "focal loss γ=2", "confidence penalty β=0.5"]
    said = saturation.near_saturation(pairs, labels, 3)
    ce = float(objectives.get("smoothing").grad_norm_at(0.99, 3, 0.0))
    assert f"cross-entropy {ce:.4f}" in said
    # at p = 0.99 one-hot and focal still push up; smoothing (q_t = 0.933) pulls back
    pushing = said.split("still pushing confidence up: ")[1].split(";")[0]
    assert "cross-entropy" in pushing and "focal loss γ=2" in pushing and "smoothing ε=0.1" not in pushing
    assert "smoothing ε=0.1" in said.split("pulling it back down: ")[1]
