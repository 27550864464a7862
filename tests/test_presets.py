"""Every preset's claims hold on the held-out seeds, as the claims module decides them: the stored
evidence is what the code computes (re-run here on some of its seeds), and docs/claims.md and the
README's table are generated from it."""
import pandas as pd
import pytest
import torch

from playground.engine.engine import TrainConfig
from playground.experiments import claims, compare, presets, sweep
from playground.experiments import evidence as held_out
from playground.experiments.compare import CompareConfig
from playground.experiments.sweep import SweepConfig
from playground.experiments.tightening import TighteningConfig
from playground.ui.shell.settings import SETTINGS

pytestmark = pytest.mark.usefixtures("one_thread")  # as the command and the server run: one torch thread


def test_every_registered_claim_has_held_out_evidence_that_holds():
    stored = claims.stored_records()
    for claim in presets.registered_claims():
        evidence = claims.stored(claim)
        assert evidence is not None, f"{claim.key}: run python -m playground.experiments.evidence --write"
        assert evidence.comparison.seeds == claims.HELD_OUT_SEEDS, claim.key
        assert evidence.verdict == claims.HOLDS, evidence.sentence()
        _, low, high = evidence.comparison.interval
        assert (stored[claim.key]["low"], stored[claim.key]["high"]) == pytest.approx((low, high))
    assert set(stored) == {c.key for c in presets.evaluated_claims()}  # nothing stale is stored


def test_what_is_checked_and_not_stated_is_stored_but_no_page_states_it():
    stated = {c.key for c in presets.registered_claims()}
    for claim in presets.NOT_STATED:
        assert claim.key not in stated and claims.stored(claim) is not None, claim.key
    assert "## Checked, not stated" in held_out.DOCS.read_text()


@pytest.fixture(scope="module")
def fresh_evidence():
    """Every claim evaluated afresh on all the held-out seeds, as the command does (seeds stacked in
    one engine per configuration, so this costs about what 3 seeds one at a time did)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    evidence = held_out.evaluate(presets.evaluated_claims(), claims.HELD_OUT_SEEDS, cache=False)
    torch.set_num_threads(threads)
    return {e.claim.key: e.comparison for e in evidence}


@pytest.mark.parametrize("claim", presets.evaluated_claims(), ids=lambda c: c.key)
def test_the_stored_evidence_is_what_the_code_computes(claim, fresh_evidence):
    fresh = fresh_evidence[claim.key]
    record = claims.stored_records()[claim.key]
    assert fresh.seeds == tuple(record["seeds"]) == claims.HELD_OUT_SEEDS
    assert fresh.a == pytest.approx(record["a"], rel=1e-6, abs=1e-8), claim.key
    assert fresh.b == pytest.approx(record["b"], rel=1e-6, abs=1e-8), claim.key


def test_the_docs_and_the_readme_say_what_the_evidence_says():
    evidence = [claims.stored(c) for c in presets.evaluated_claims()]
    stated = {c.key for c in presets.registered_claims()}
    assert held_out.DOCS.read_text() == held_out.markdown(evidence, stated) + "\n"
    readme = held_out.README.read_text()
    assert held_out.readme_block([e for e in evidence if e.claim.key in stated]) in readme


def test_a_preset_states_the_numbers_of_its_own_configuration():
    """The words of a preset are formatted from its configuration, so they cannot drift from it."""
    for name in ("overconfident", "input_noise"):
        preset = presets.get(name)
        assert f"{preset.config.steps:,} steps" in preset.claim, name
    assert f"{presets.OVERCONFIDENT.steps:,} steps" in presets.get("input_noise").why


def test_every_preset_names_one_of_the_three_pages_and_fits_its_settings():
    for name, preset in presets.PRESETS.items():
        assert preset.page in ("sweep", "alternatives", "representations"), name
        assert isinstance(preset.config, presets.PAGES[preset.page]), name
        assert preset.checks and preset.title and preset.claim and preset.why, name
        config = preset.config
        if preset.page == "sweep":  # the page builds its ε values from a range and a count
            assert list(config.eps) == sweep.eps_grid(min(config.eps), max(config.eps), len(config.eps))
            assert config.steps in SETTINGS["sw_steps"].options
        if preset.page == "alternatives":
            assert config.steps in SETTINGS["alt_steps"].options and config.train.hidden_layers == 2


def test_a_preset_is_checked_against_its_page_and_its_values():
    claim = presets.Check("test_nll", 0.2, 0.0)
    with pytest.raises(ValueError, match="page"):
        presets.Preset("t", "c", SweepConfig(), (claim,), "w", page="nonsense")
    with pytest.raises(ValueError, match="CompareConfig"):
        presets.Preset("t", "c", SweepConfig(eps=(0.0, 0.2)), (claim,), "w", page="alternatives")
    with pytest.raises(ValueError, match="claim"):  # ε = 0.3 is not trained
        presets.Preset("t", "c", SweepConfig(eps=(0.0, 0.2)), (presets.Check("test_nll", 0.3, 0.0),), "w",
                       page="sweep")
    with pytest.raises(ValueError, match="claim"):
        presets.Preset("t", "c", CompareConfig(), (presets.Check("test_nll", "dropout 0.9", "cross-entropy",
                                                                 column="recipe"),), "w", page="alternatives")


def test_a_representations_preset_runs_the_tightening_experiment():
    config = TighteningConfig(train=TrainConfig(hidden_layers=2, units=8), grid=(0.0, 0.1), seeds=2, steps=10)
    preset = presets.Preset("t", "c", config, (presets.Check("tightness", 0.1, 0.0),), "w",
                            page="representations", name="t")
    models = held_out.models_frame(held_out.run_page(config))
    assert {"eps", "seed", "tightness", "diverged"} <= set(models.columns) and len(models) == 4
    (claim,) = preset.claims
    assert claim.key == "t/tightness/0.1/0.0" and claim.compare(models).n == 2


def test_a_claim_can_compare_recipes_by_their_labels():
    config = CompareConfig(recipes=compare.regulariser_recipes(0.1, 1e-3, 0.2), seeds=2)
    smoothing, decay = "smoothing ε=0.1", "weight decay 0.001"
    preset = presets.Preset("t", "c", config, (presets.Check("test_nll", decay, smoothing, column="recipe"),),
                            "w", page="alternatives", name="t")
    models = pd.DataFrame({"recipe": [smoothing] * 3 + [decay] * 3, "seed": [0, 1, 2] * 2, "diverged": False,
                           "test_nll": [0.8, 0.85, 0.9, 0.5, 0.55, 0.52]})
    c = preset.claims[0].compare(models)
    assert c.verdict == claims.HOLDS and c.a_name == decay and c.b_name == smoothing


def test_similar_share_is_the_pairs_part_of_the_wrong_class_probability():
    from playground.core.metrics import similar_share
    logits = torch.log(torch.tensor([[[0.7, 0.2, 0.1], [0.3, 0.6, 0.1], [0.1, 0.1, 0.8]]]))
    share = similar_share(logits, torch.tensor([0, 1, 2]))  # class 2 is not of the pair
    assert share.shape == (1,) and share[0].item() == pytest.approx((0.2 / 0.3 + 0.3 / 0.4) / 2)
    sure = torch.tensor([[[100.0, 0.0, -5.0]]])  # p(true) rounds to 1; the share stays exact
    assert similar_share(sure, torch.tensor([0]))[0].item() == pytest.approx(1 / (1 + torch.e ** -5))
