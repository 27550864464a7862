import json

import numpy as np
import pytest
import torch

from playground.core import metrics
from playground.core.datasets import DatasetSpec
from playground.engine.engine import TrainConfig
from playground.experiments import claims, sweep


def plain_ece(probs: torch.Tensor, labels: torch.Tensor, bins: int = 15) -> float:
    """ECE written out by hand, loop over bins (lo, hi], as in Guo et al. 2017."""
    conf, pred = probs.max(-1)
    total = 0.0
    for m in range(bins):
        lo, hi = m / bins, (m + 1) / bins
        inside = (conf > lo) & (conf <= hi)
        if inside.any():
            acc = (pred[inside] == labels[inside]).float().mean()
            total += inside.float().mean() * abs(float(acc) - float(conf[inside].mean()))
    return float(total)


@pytest.fixture(scope="module")
def small():
    data = DatasetSpec(name="blobs", n=400, noise=0.4, num_classes=3, label_noise=0.1)
    config = sweep.SweepConfig(data, TrainConfig(lr=0.03, device="cpu"), (0.0, 0.2, 0.4), 2, 150)
    return sweep.run(config)


def test_every_model_is_measured(small):
    models = small.models
    assert len(models) == 6 and models["eps"].tolist() == [0.0, 0.0, 0.2, 0.2, 0.4, 0.4]
    assert models["seed"].tolist() == [0, 1] * 3
    assert set(small.images) == {0.0, 0.2, 0.4}
    assert small.test_logits.shape[0] == 6 and small.val_logits.shape[1] + small.test_logits.shape[1] == 120


def test_metrics_recomputed_independently(small):
    for i, row in small.models.iterrows():
        logits = small.test_logits[i]
        probs = torch.softmax(logits, -1)
        acc = float((logits.argmax(-1) == small.test_labels).float().mean())
        assert row["test_acc"] == pytest.approx(acc)
        assert row["test_ece"] == pytest.approx(plain_ece(probs, small.test_labels), abs=1e-6)
        assert row["mean_confidence"] == pytest.approx(float(probs.max(-1).values.mean()), abs=1e-6)
        nll = float(torch.nn.functional.cross_entropy(logits, small.test_labels))
        assert row["test_nll"] == pytest.approx(nll, rel=1e-5)


def test_overconfidence_is_mean_confidence_minus_test_accuracy(small):
    models = small.models
    assert models["overconfidence"].tolist() == pytest.approx(
        (models["mean_confidence"] - models["test_acc"]).tolist(), abs=1e-12)
    for i, row in models.iterrows():  # signed, from the logits themselves
        probs = torch.softmax(small.test_logits[i], -1)
        acc = float((probs.argmax(-1) == small.test_labels).float().mean())
        assert row["overconfidence"] == pytest.approx(float(probs.max(-1).values.mean()) - acc, abs=1e-6)
    assert (models["overconfidence"] < 0).any() or (models["overconfidence"] > 0).any()
    assert "overconfidence" in sweep.METRICS
    shown = [m for m in sweep.METRICS if m != "mean_logit_gap"]  # the sweep page's metric grid
    assert len(shown) == 8  # fills 2 rows of 4 panels
    summary = sweep.summary_by_eps(models)
    assert set(summary["label"]) == set(sweep.METRICS.values())


def test_smoothing_shows_in_the_results(small):
    by = small.models.groupby("eps").mean(numeric_only=True)
    assert by.loc[0.4, "mean_confidence"] < by.loc[0.0, "mean_confidence"]
    assert by.loc[0.4, "mean_logit_gap"] < by.loc[0.0, "mean_logit_gap"]
    assert by.loc[0.4, "uncertain_share"] > by.loc[0.0, "uncertain_share"]


def test_summary_interpretation_and_noise_comparison(small):
    summary = sweep.summary_by_eps(small.models)
    row = summary[(summary["eps"] == 0.2) & (summary["metric"] == "test_acc")].iloc[0]
    accs = small.models[small.models["eps"] == 0.2]["test_acc"]
    assert row["mean"] == pytest.approx(accs.mean()) and row["min"] == accs.min() and row["max"] == accs.max()
    lines = sweep.interpretation(small.models)
    best = small.models.groupby("eps")["test_nll"].mean().min()
    assert claims.number(best) in lines[0] and "NLL" in lines[0]
    assert all("95% t-interval" in line or "one seed" in line or "every one" in line for line in lines)
    both = sweep.noise_comparison({0.1: small.models, 0.0: small.models})
    assert set(both["label noise"]) == {"10% flipped", "0% flipped"}
    assert set(both["metric"]) == {"test_acc", "test_ece"}


def test_config_key_round_trips_and_limits():
    config = sweep.SweepConfig()
    assert sweep.SweepConfig.from_key(config.key()).key() == config.key()
    assert json.loads(config.key())["eps"] == sweep.eps_grid()
    assert sweep.eps_grid() == [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5]
    with pytest.raises(ValueError, match="^eps="):
        sweep.SweepConfig(eps=tuple(np.linspace(0, 1, 22))).validated()
    with pytest.raises(ValueError, match="^seeds="):
        sweep.SweepConfig(seeds=11).validated()
    with pytest.raises(ValueError, match="^count="):
        sweep.eps_grid(0, 0.5, 30)
    with pytest.raises(ValueError, match="^eps range="):
        sweep.eps_grid(0.5, 0.1, 3)


def test_progress_is_reported_with_time_left():
    seen = []
    config = sweep.SweepConfig(DatasetSpec(n=200), TrainConfig(device="cpu"), (0.0, 0.1), 1, 120)
    sweep.run(config, on_progress=lambda done, total, left: seen.append((done, total, left)), chunk=50)
    assert [s[0] for s in seen] == [50, 100, 120] and all(s[1] == 120 for s in seen)
    assert seen[-1][2] == 0 and all(s[2] >= 0 for s in seen)


def test_reliability_matches_plain_reference():
    gen = torch.Generator().manual_seed(5)
    probs = torch.softmax(torch.randn(500, 4, generator=gen) * 2, -1)
    labels = torch.randint(0, 4, (500,), generator=gen)
    assert float(metrics.ece(probs, labels)) == pytest.approx(plain_ece(probs, labels), abs=1e-6)


def test_pair_confusion_counts_each_pairs_points_taken_for_each_other():
    labels = torch.tensor([0, 0, 1, 1, 2, 2])
    logits = torch.zeros(1, 6, 3)
    predicted = [1, 0, 0, 2, 2, 0]  # 0→1, 1→0, 1→2, 2→0
    logits[0, torch.arange(6), torch.tensor(predicted)] = 1.0
    rates = sweep.pair_confusion(logits, labels).set_index("pair")["rate"]
    assert rates["0↔1"] == pytest.approx(2 / 4) and rates["1↔2"] == pytest.approx(1 / 4)
    assert rates["0↔2"] == pytest.approx(1 / 4)


def test_a_sweep_on_similar_classes_reports_its_close_pair_first():
    data = DatasetSpec(name="similar_classes", n=400, noise=0.3, num_classes=4, gap=0.2)
    config = sweep.SweepConfig(data, TrainConfig(hidden_layers=1, units=16, device="cpu"), (0.0, 0.3), 2, 300)
    result = sweep.run(config)
    assert set(result.pair_confusion["eps"]) == {0.0, 0.3} and result.pair_confusion["seed"].nunique() == 2
    assert "most confused pair at ε = 0 is 0↔1" in sweep.pair_sentence(result.pair_confusion)
