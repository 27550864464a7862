"""Every preset's claim holds over 5 seeds, measured by the page it configures, and the verdicts say
so (or say that it does not) in words computed from the numbers."""
import pandas as pd
import pytest

from playground import compare, presets, sweep
from playground.compare import CompareConfig
from playground.engine import TrainConfig
from playground.sweep import SweepConfig
from playground.tightening import TighteningConfig
from playground.ui import compare_controls, sweep_controls

pytestmark = pytest.mark.usefixtures("one_thread")  # as the server runs: one torch thread


@pytest.mark.parametrize("name", list(presets.PRESETS))
def test_the_presets_claim_holds_over_five_seeds(name):
    preset = presets.get(name)
    assert preset.config.seeds == 5
    models = presets.run(preset)
    assert {"seed", "diverged"} <= set(models.columns)
    assert not models["diverged"].any()
    for claim in preset.checks:
        assert claim.holds(models), f"{name}: {claim}"
    assert presets.holds(preset, models)
    said = presets.verdicts(preset, models)
    assert len(said) == len(preset.checks)
    for sentence, claim in zip(said, preset.checks):
        a, b = claim.means(models)
        assert f"{a:.3g}" in sentence and f"{b:.3g}" in sentence, sentence
        assert "does not show" not in sentence and (" of 5 seeds" in sentence), sentence


def test_every_preset_names_one_of_the_three_pages_and_fits_its_settings():
    for name, preset in presets.PRESETS.items():
        assert preset.page in ("sweep", "alternatives", "representations"), name
        assert isinstance(preset.config, presets.PAGES[preset.page]), name
        assert preset.checks and preset.title and preset.claim and preset.why, name
        config = preset.config
        if preset.page == "sweep":  # the page builds its ε values from a range and a count
            assert list(config.eps) == sweep.eps_grid(min(config.eps), max(config.eps), len(config.eps))
            assert config.steps in sweep_controls.STEPS
        if preset.page == "alternatives":
            assert config.steps in compare_controls.STEPS and config.train.hidden_layers == 2


def test_a_claim_counts_seeds_paired_and_can_fail():
    models = pd.DataFrame({"eps": [0.0] * 3 + [0.2] * 3, "seed": [0, 1, 2] * 2, "diverged": False,
                           "test_ece": [0.1, 0.1, 0.1, 0.05, 0.05, 0.25]})
    assert presets.Claim("test_ece", 0.2, 0.0, seeds=2).holds(models)
    assert not presets.Claim("test_ece", 0.2, 0.0, seeds=3).holds(models)
    assert not presets.Claim("test_ece", 0.2, 0.0, seeds=0).holds(models)  # means 0.117 against 0.1
    with pytest.raises(ValueError, match="preset"):
        presets.get("nonsense")


def _preset(checks, eps=(0.0, 0.2)):
    return presets.Preset("t", "c", SweepConfig(eps=eps, seeds=3), checks, "w", page="sweep")


def test_the_verdict_says_when_this_run_does_not_show_the_claim():
    models = pd.DataFrame({"eps": [0.0] * 3 + [0.2] * 3, "seed": [0, 1, 2] * 2, "diverged": False,
                           "test_nll": [1.0, 1.0, 1.0, 0.5, 0.5, 1.5]})
    preset = _preset(tuple(presets.Claim("test_nll", 0.2, 0.0, seeds=n) for n in (3, 0, 2)))
    every, mean, two = presets.verdicts(preset, models)
    assert every == ("Test NLL is lower at ε = 0.2 than at ε = 0 only on 2 of 3 seeds here (mean 0.833 "
                     "against 1), so this run does not show the claim.")
    assert mean.startswith("Test NLL is lower at ε = 0.2 than at ε = 0 on the mean over seeds (0.833 against")
    assert two == "Test NLL is lower at ε = 0.2 than at ε = 0 on 2 of 3 seeds (mean 0.833 against 1)."
    assert not presets.holds(preset, models)
    # the one good seed diverges: the mean claim fails too, and the paired count drops it
    models.loc[3, "diverged"] = True
    every, mean, two = presets.verdicts(preset, models)
    assert "only on 1 of 3 seeds here" in every and "the claim needs 2" in two and "does not show" in two
    assert mean == ("Test NLL is not lower at ε = 0.2 than at ε = 0 on the mean over seeds here (1 against "
                    "1; 1 diverged model left out), so this run does not show the claim.")
    models["diverged"] = models["eps"] == 0.2
    assert presets.verdicts(preset, models)[0].startswith("Every model at ε = 0.2 diverged")
    assert not presets.holds(preset, models)


def test_a_claim_can_compare_recipes_by_their_labels():
    config = CompareConfig(recipes=compare.regulariser_recipes(0.1, 1e-3, 0.2), seeds=2)
    smoothing, decay = "smoothing ε=0.1", "weight decay 0.001"
    claim = presets.Claim("test_acc", decay, smoothing, lower_is_better=False, seeds=2, column="recipe")
    preset = presets.Preset("t", "c", config, (claim,), "w", page="alternatives")
    models = pd.DataFrame({"recipe": [smoothing] * 2 + [decay] * 2, "seed": [0, 1] * 2, "diverged": False,
                           "test_acc": [0.8, 0.85, 0.9, 0.9]})
    assert presets.verdicts(preset, models) == [
        "Test accuracy is higher for weight decay 0.001 than for smoothing ε=0.1 on 2 of 2 seeds "
        "(mean 0.9 against 0.825)."]
    models.loc[3, "test_acc"] = 0.8
    assert "only on 1 of 2 seeds here" in presets.verdicts(preset, models)[0]


def test_a_preset_is_checked_against_its_page_and_its_values():
    claim = presets.Claim("test_nll", 0.2, 0.0)
    with pytest.raises(ValueError, match="page"):
        presets.Preset("t", "c", SweepConfig(), (claim,), "w", page="nonsense")
    with pytest.raises(ValueError, match="CompareConfig"):
        presets.Preset("t", "c", SweepConfig(eps=(0.0, 0.2)), (claim,), "w", page="alternatives")
    with pytest.raises(ValueError, match="claim"):  # ε = 0.3 is not trained
        _preset((presets.Claim("test_nll", 0.3, 0.0),))
    with pytest.raises(ValueError, match="claim"):
        presets.Preset("t", "c", CompareConfig(), (presets.Claim("test_nll", "dropout 0.9", "cross-entropy",
                                                                 column="recipe"),), "w", page="alternatives")


def test_a_representations_preset_runs_the_tightening_experiment():
    config = TighteningConfig(train=TrainConfig(hidden_layers=2, units=8), grid=(0.0, 0.1), seeds=2, steps=10)
    preset = presets.Preset("t", "c", config, (presets.Claim("tightness", 0.1, 0.0, seeds=0),), "w",
                            page="representations")
    models = presets.run(preset)
    assert {"eps", "seed", "tightness", "diverged"} <= set(models.columns) and len(models) == 4
    assert len(presets.verdicts(preset, models)) == 1


def test_similar_share_is_the_pairs_part_of_the_wrong_class_probability():
    import torch
    logits = torch.log(torch.tensor([[[0.7, 0.2, 0.1], [0.3, 0.6, 0.1], [0.1, 0.1, 0.8]]]))
    share = presets.similar_share(logits, torch.tensor([0, 1, 2]))  # class 2 is not of the pair
    assert share.shape == (1,) and share[0].item() == pytest.approx((0.2 / 0.3 + 0.3 / 0.4) / 2)
    sure = torch.tensor([[[100.0, 0.0, -5.0]]])  # p(true) rounds to 1; the share stays exact
    assert presets.similar_share(sure, torch.tensor([0]))[0].item() == pytest.approx(1 / (1 + torch.e ** -5))
