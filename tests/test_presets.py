"""Every preset's claim holds over 5 seeds, measured by the sweep it configures."""
import pandas as pd
import pytest

from playground import presets, sweep

pytestmark = pytest.mark.usefixtures("one_thread")  # as the server runs: one torch thread


@pytest.mark.parametrize("name", list(presets.PRESETS))
def test_the_presets_claim_holds_over_five_seeds(name):
    preset = presets.get(name)
    assert preset.config.seeds == 5
    models = sweep.run(preset.config).models
    assert not models["diverged"].any()
    for claim in preset.checks:
        assert claim.holds(models), f"{name}: {claim}"


def test_a_claim_counts_seeds_paired_and_can_fail():
    models = pd.DataFrame({"eps": [0.0] * 3 + [0.2] * 3, "seed": [0, 1, 2] * 2, "diverged": False,
                           "test_ece": [0.1, 0.1, 0.1, 0.05, 0.05, 0.25]})
    assert presets.Claim("test_ece", 0.2, 0.0, seeds=2).holds(models)
    assert not presets.Claim("test_ece", 0.2, 0.0, seeds=3).holds(models)
    assert not presets.Claim("test_ece", 0.2, 0.0, seeds=0).holds(models)  # means 0.117 against 0.1
    with pytest.raises(ValueError, match="preset"):
        presets.get("nonsense")
