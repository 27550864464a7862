"""Objectives side by side: the comparison's numbers, its sentences, and the default regime's
claims over 5 seeds."""
import pytest
import torch

from playground.core import metrics, selective
from playground.core.datasets import DatasetSpec
from playground.engine.engine import TrainConfig
from playground.experiments import compare
from playground.experiments.compare import CompareConfig, Recipe

pytestmark = pytest.mark.usefixtures("one_thread")  # as the server runs: one torch thread


@pytest.fixture(scope="module")
def default_run(one_thread):
    return compare.run(CompareConfig())


def means(result, column):
    return result.models.groupby("recipe", sort=False)[column].mean()


def test_the_default_regime_trains_cleanly_and_cools_over_confident_models(default_run):
    """Blobs, K = 4, 300 noisy points, 3,000 steps: the page's default (its claims are decided on
    held-out seeds in tests/test_presets.py)."""
    models = default_run.models
    assert models["seed"].nunique() == 5 and not models["diverged"].any()
    ce = models[models["recipe"] == "cross-entropy"].set_index("seed")
    assert (ce["temperature"] > 1).all()  # over-confident one-hot models: T > 1 cools them
    said = compare.interpretation(models, num_classes=4)
    assert any(line.startswith("Selective classification") for line in said)


def test_each_models_metrics_match_the_metric_functions_on_its_own_logits():
    data = DatasetSpec(name="blobs", n=200, noise=0.3, num_classes=3)
    config = CompareConfig(data, TrainConfig(hidden_layers=1, units=8, device="cpu"),
                           (Recipe(), Recipe("focal", 2.0)), seeds=2, steps=50)
    result = compare.run(config)
    from playground.engine.engine import Engine
    from playground.experiments.sweep import split_held_out
    d = data.build()
    engine = Engine(d, config=config.train, n_seeds=2, objectives=[("smoothing", 0.0), ("focal", 2.0)])
    engine.train(50, evaluate=False)
    _, test_idx = split_held_out(d, 0)
    logits = engine.predict(d.x_test).logits[:, test_idx]
    y = torch.as_tensor(d.y_test)[test_idx]
    row = result.models.iloc[3]  # focal, seed 1 = model 3
    assert row["recipe"] == "focal loss γ=2" and row["seed"] == 1
    assert row["test_nll"] == pytest.approx(float(metrics.nll(logits[3], y)), rel=1e-5)
    assert row["test_ece"] == pytest.approx(float(metrics.ece(torch.softmax(logits[3], -1), y)), rel=1e-5)
    correct = logits[3].argmax(-1) == y
    assert row["aurc"] == pytest.approx(float(selective.aurc(selective.score(logits[3]), correct)), rel=1e-5)
    # the logit-normalised scores: p tuned on the validation half of this model's held-out points
    val_idx, _ = split_held_out(d, 0)
    val = engine.predict(d.x_test).logits[:, val_idx]
    y_val = torch.as_tensor(d.y_test)[val_idx]
    for prefix, (method, _) in compare.PNORM_SCORES.items():
        p = float(selective.tune_p(val[3], y_val, method))
        assert row[f"{prefix}_p"] == p and p in selective.P_GRID
        assert row[f"{prefix}_aurc"] == pytest.approx(
            float(selective.aurc(selective.score(logits[3], method, p), correct)), rel=1e-5)
    assert compare.PNORM_SCORES["pnorm"][0] == "maxlogit_pnorm_uncentred"
    assert compare.PNORM_SCORES["pnorm_centred"][0] == "maxlogit_pnorm_centred"
    for column in ("pnorm_aurc", "pnorm_p", "pnorm_centred_aurc", "pnorm_centred_p"):
        assert column in result.models and result.models[column].notna().all()
    assert result.models["pnorm_p"].isin(selective.P_GRID).all()
    assert result.models["pnorm_centred_p"].isin(selective.P_GRID).all()
    assert {"pnorm_aurc", "pnorm_centred_aurc"} <= set(compare.METRICS) and "ln_aurc" not in compare.METRICS
    names = {name for _, name in compare.PNORM_SCORES.values()}
    assert names <= set(result.risk_coverage["score"])
    table = compare.tuned_p_table(result.models)
    assert list(table.index) == ["cross-entropy", "focal loss γ=2"] and set(table.columns) == names
    focal = result.models[result.models["recipe"] == "focal loss γ=2"].sort_values("seed")
    assert table.loc["focal loss γ=2", compare.PNORM_SCORES["pnorm"][1]] == ", ".join(
        f"{v:g}" for v in focal["pnorm_p"])


def test_the_sentences_follow_the_numbers_seed_by_seed():
    import pandas as pd
    rows = []
    for seed in range(3):
        rows.append({"recipe": "cross-entropy", "seed": seed, "diverged": False,
                     **{m: 0.5 for m in compare.METRICS}})
        rows.append({"recipe": "smoothing ε=0.1", "seed": seed, "diverged": False,
                     **{m: 0.5 for m in compare.METRICS}, "test_nll": 0.3, "aurc": 0.4 + 0.2 * (seed == 0)})
    lines = compare.interpretation(pd.DataFrame(rows), num_classes=3)
    said = " ".join(lines)
    # every seed 0.2 lower: the better side is named, with no interval that reads "0.2 to 0.2"
    assert ("Test NLL is lower for smoothing ε=0.1 than for cross-entropy: 0.3 against 0.5, by 0.2, the same "
            "on every one of the 3 seeds") in said
    # 0.6, 0.4, 0.4 against 0.5: the interval holds 0, so neither side is called better
    assert "Test AURC is about the same for smoothing ε=0.1 and cross-entropy: 0.467 against 0.5" in said
    assert "two classes" not in said
    assert "two classes" in " ".join(compare.interpretation(pd.DataFrame(rows), num_classes=2))


def test_recipes_are_validated_and_labelled():
    with pytest.raises(ValueError, match="objectives"):
        CompareConfig(recipes=()).validated()
    with pytest.raises(ValueError, match="eps"):
        CompareConfig(recipes=(Recipe("smoothing", 1.5),)).validated()
    with pytest.raises(ValueError, match="each objective at most once"):
        CompareConfig(recipes=(Recipe(), Recipe())).validated()
    labels = [r.label for r in compare.regulariser_recipes(0.1, 1e-3, 0.2)]
    assert labels == ["cross-entropy", "smoothing ε=0.1", "weight decay 0.001", "dropout 0.2",
                      "smoothing ε=0.1 + weight decay 0.001 + dropout 0.2"]
    assert len(compare.engine_groups(compare.regulariser_recipes())) == 4  # none and smoothing share one
    assert compare.objective_label("smoothing", -0.2) == "negative smoothing ε=-0.2"
    config = CompareConfig()
    assert CompareConfig.from_key(config.key()) == config


def test_the_regulariser_verdict_follows_the_seeds():
    import pandas as pd
    rows = []
    for seed in range(3):
        for recipe, nll in (("cross-entropy", 1.0), ("smoothing ε=0.1", 0.6), ("weight decay 0.001", 0.4),
                            ("dropout 0.2", 0.7 if seed else 0.5)):
            rows.append({"recipe": recipe, "seed": seed, "diverged": False,
                         **{m: 0.5 for m in compare.METRICS}, "test_nll": nll})
    said = compare.regulariser_verdict(pd.DataFrame(rows))
    assert "Test NLL is lower for weight decay 0.001 than for smoothing ε=0.1: 0.4 against 0.6" in said
    assert "Test NLL is about the same for dropout 0.2 and smoothing ε=0.1" in said
    assert "not clearly worse" in said
