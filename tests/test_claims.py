"""The claims module decides every claim: paired seeds, a 95% t-interval, and a verdict that holds
only when the interval excludes zero in the claimed direction."""
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from playground.core.datasets import DatasetSpec
from playground.engine.engine import TrainConfig
from playground.experiments import claims, evidence
from playground.experiments.claims import HOLDS, NO_CLEAR_DIFFERENCE, OPPOSITE, Comparison
from playground.experiments.sweep import SweepConfig


def comparison(a, b, lower=True, seeds=None):
    seeds = tuple(range(len(a))) if seeds is None else seeds
    return Comparison("test NLL", "ε = 0.2", "ε = 0", lower, seeds, tuple(a), tuple(b))


def test_the_interval_is_students_t_on_the_paired_differences():
    d = np.array([-0.3, -0.1, -0.25, -0.2, 0.05])
    mean, low, high = claims.t_interval(d)
    half = stats.t.ppf(0.975, 4) * d.std(ddof=1) / math.sqrt(5)
    assert mean == pytest.approx(d.mean()) and low == pytest.approx(d.mean() - half)
    assert high == pytest.approx(d.mean() + half)
    assert claims.t_interval([0.4]) == (0.4, -math.inf, math.inf)  # one seed decides nothing
    with pytest.raises(ValueError, match="differences"):
        claims.t_interval([])
    with pytest.raises(ValueError, match="differences"):
        claims.t_interval([0.1, math.nan])


@pytest.mark.parametrize("a, b, lower, verdict", [
    ([0.5, 0.6, 0.55, 0.52], [1.0, 1.2, 1.1, 1.0], True, HOLDS),
    ([0.5, 0.6, 0.55, 0.52], [1.0, 1.2, 1.1, 1.0], False, OPPOSITE),
    ([1.5, 1.6, 1.55, 1.52], [1.0, 1.2, 1.1, 1.0], True, OPPOSITE),
    ([0.9, 1.3, 1.0, 1.1], [1.0, 1.2, 1.1, 1.0], True, NO_CLEAR_DIFFERENCE),
])
def test_the_verdict_follows_the_interval_not_the_win_count(a, b, lower, verdict):
    assert comparison(a, b, lower).verdict == verdict


def test_four_wins_of_five_with_one_large_loss_is_no_clear_difference():
    c = comparison([0.9, 0.9, 0.9, 0.9, 3.0], [1.0, 1.0, 1.0, 1.0, 1.0])
    assert c.wins == 4 and c.verdict == NO_CLEAR_DIFFERENCE
    assert "about the same" in c.sentence() and "95% t-interval" in c.sentence()


def test_sentences_name_the_better_side_and_handle_plurals_and_equal_values():
    holds = comparison([0.5, 0.6, 0.55], [1.0, 1.2, 1.1])
    assert holds.sentence().startswith("Test NLL is lower at ε = 0.2 than at ε = 0: 0.55 against 1.1")
    assert "3 seeds, lower at ε = 0.2 on 3" in holds.sentence()
    opposite = comparison([1.0, 1.2, 1.1], [0.5, 0.6, 0.55])
    assert opposite.sentence().startswith("Test NLL is lower at ε = 0 than at ε = 0.2: 0.55 against 1.1")
    same = comparison([0.8, 0.8], [0.5, 0.5])  # every seed the same difference: no "0.3 to 0.3"
    assert same.verdict == OPPOSITE and "the same on every one of the 2 seeds" in same.sentence()
    assert " to 0.3" not in same.sentence()
    one = comparison([0.5], [1.0])
    assert one.verdict == NO_CLEAR_DIFFERENCE and "one seed" in one.sentence()
    assert "1 seeds" not in one.sentence()
    assert claims.seeds_phrase(1) == "1 seed" and claims.seeds_phrase(2) == "2 seeds"
    assert "nothing to compare" in comparison([], []).sentence()


def test_paired_leaves_out_diverged_and_unpaired_seeds():
    models = pd.DataFrame({"eps": [0.0, 0.0, 0.0, 0.2, 0.2], "seed": [0, 1, 2, 0, 2],
                           "diverged": [False, False, False, False, True],
                           "test_nll": [1.0, 1.1, 1.2, 0.5, 0.4]})
    c = claims.paired(models, "test_nll", "eps", 0.2, 0.0, name="test NLL")
    assert c.seeds == (0,) and c.a == (0.5,) and c.b == (1.0,)
    with pytest.raises(ValueError, match="test_ece"):
        claims.paired(models, "test_ece", "eps", 0.2, 0.0)


def test_agreement_says_whether_the_own_run_points_the_held_out_way():
    held = claims.Evidence(claims.Claim("k", "s", SweepConfig(), "test_nll", 0.2, 0.0),
                           comparison([0.5, 0.6, 0.55], [1.0, 1.2, 1.1]), "held-out")
    assert "agrees" in claims.agreement(comparison([0.5, 0.6, 0.5], [1.0, 1.2, 1.1]), held)
    assert "too few to tell" in claims.agreement(comparison([0.5, 1.6, 0.9], [1.0, 1.2, 1.1]), held)
    assert "unlike" in claims.agreement(comparison([1.5, 1.6, 1.5], [1.0, 1.2, 1.1]), held)


def test_a_seed_sets_both_the_data_and_the_initial_weights():
    config = SweepConfig(DatasetSpec(name="moons", n=200, noise=0.2), TrainConfig(), (0.0, 0.2), 5, 20)
    one = evidence.seed_config(config, 107)
    assert one.dataset.seed == 107 and one.train.seed == 107 and one.seeds == 1
    assert config.dataset.seed == 0  # the original is untouched


@pytest.mark.usefixtures("one_thread")
def test_evaluate_pairs_by_seed_and_caches_each_run(tmp_path, monkeypatch):
    monkeypatch.setenv(evidence.CACHE_ENV, str(tmp_path))
    config = SweepConfig(DatasetSpec(name="moons", n=200, noise=0.2), TrainConfig(units=8), (0.0, 0.5), 1, 60)
    claim = claims.Claim("t/ece", "s", config, "test_ece", 0.0, 0.5)
    calls = []
    real = evidence.train_seeds
    monkeypatch.setattr(evidence, "train_seeds", lambda c, seeds: calls.append(list(seeds)) or real(c, seeds))
    first = evidence.evaluate([claim], seeds=(3, 4, 5))[0]
    assert first.comparison.seeds == (3, 4, 5) and calls == [[3, 4, 5]]  # one stacked engine
    again = evidence.evaluate([claim], seeds=(3, 4, 5))[0]
    assert calls == [[3, 4, 5]] and again.comparison == first.comparison  # served from the disk cache
    # the runs differ by seed: the data and the weights both changed
    assert len(set(first.comparison.a)) == 3
    # a seed trains as it would alone: seed 5 stacked with 3 and 4 is seed 5 trained by itself
    alone = evidence.train_seeds(config, [5])[0]
    stacked = evidence.run_seeds(config, [5])[0]
    pd.testing.assert_frame_equal(alone, stacked, rtol=1e-5)
    # missing seeds train in runs of consecutive seeds, the cached ones are read back
    evidence.evaluate([claim], seeds=(2, 3, 4, 5, 7, 8))
    assert calls[-2:] == [[2], [7, 8]]
    with pytest.raises(ValueError, match="consecutive"):
        evidence.train_seeds(config, [1, 3])


def test_seed_ranges_are_disjoint_and_at_least_ten():
    assert len(claims.TUNING_SEEDS) >= 10 and len(claims.HELD_OUT_SEEDS) >= 10
    assert not set(claims.TUNING_SEEDS) & set(claims.HELD_OUT_SEEDS)
