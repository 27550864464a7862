import math

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from playground.core import selective as sel


def test_risk_coverage_and_aurc_by_hand():
    # by score: 0.9 right, 0.8 wrong, 0.7 right, 0.1 wrong
    scores = torch.tensor([0.7, 0.1, 0.9, 0.8])
    correct = torch.tensor([True, False, True, False])
    coverage, risk = sel.risk_coverage(scores, correct)
    assert coverage.tolist() == [0.25, 0.5, 0.75, 1.0]
    assert risk.tolist() == pytest.approx([0, 1 / 2, 1 / 3, 2 / 4])
    assert float(sel.aurc(scores, correct)) == pytest.approx((0 + 1 / 2 + 1 / 3 + 1 / 2) / 4)
    # oracle: both right first, then risks 0, 0, 1/3, 2/4
    assert float(sel.eaurc(scores, correct)) == pytest.approx((1 / 2 + 1 / 3 + 1 / 2 - 1 / 3 - 1 / 2) / 4)


def test_ties_spread_errors_evenly_and_ignore_order():
    # one right and one wrong tied at the top: at coverage 1/2 half an error is expected
    scores = torch.tensor([0.5, 0.5, 0.2])
    correct = torch.tensor([1, 0, 1])
    _, risk = sel.risk_coverage(scores, correct)
    assert risk.tolist() == pytest.approx([0.5, 0.5, 1 / 3])
    _, flipped = sel.risk_coverage(scores.flip(0), correct.flip(0))
    assert flipped.tolist() == pytest.approx(risk.tolist())


def test_aurc_independent_of_sample_order_with_ties():
    gen = torch.Generator().manual_seed(1)
    scores = torch.randint(0, 4, (300,), generator=gen).float()
    correct = torch.rand(300, generator=gen) < 0.7
    perm = torch.randperm(300, generator=gen)
    assert float(sel.aurc(scores[perm], correct[perm])) == pytest.approx(float(sel.aurc(scores, correct)))


def test_oracle_aurc_matches_closed_form():
    # n errors among M, all rejected first: risk at coverage i/M is (i - (M - n))/i once i > M - n
    for m, n in [(10, 3), (57, 20), (5, 0), (4, 4)]:
        correct = torch.ones(m, dtype=torch.bool)
        correct[torch.randperm(m, generator=torch.Generator().manual_seed(m))[:n]] = False
        closed = sum((i - (m - n)) / i for i in range(m - n + 1, m + 1)) / m
        assert float(sel.oracle_aurc(correct)) == pytest.approx(closed)
        scores = correct.double() + 0.01 * torch.rand(m, dtype=torch.float64)
        assert float(sel.aurc(scores, correct)) == pytest.approx(closed)
        assert float(sel.eaurc(scores, correct)) == pytest.approx(0, abs=1e-12)
    # large M approaches Geifman et al.'s r + (1 - r) ln(1 - r)
    r, m = 0.3, 100_000
    correct = torch.arange(m) >= int(r * m)
    assert float(sel.oracle_aurc(correct)) == pytest.approx(r + (1 - r) * math.log(1 - r), abs=1e-4)


def test_worse_ranking_has_higher_aurc():
    correct = torch.tensor([1, 1, 0, 1, 0, 1, 1, 0], dtype=torch.bool)
    good = correct.double() + torch.linspace(0, 0.5, 8, dtype=torch.float64)
    bad = -good
    assert float(sel.aurc(good, correct)) < float(sel.aurc(bad, correct))


@pytest.mark.parametrize("seed", range(5))
def test_auroc_matches_sklearn_with_ties(seed):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(20, 400))
    scores = rng.integers(0, 6, m).astype(float) if seed % 2 else rng.normal(size=m).round(1)
    correct = rng.random(m) < rng.uniform(0.2, 0.9)
    if correct.all() or not correct.any():
        correct[0] = not correct[0]
    got = float(sel.auroc(torch.tensor(scores), torch.tensor(correct)))
    assert got == pytest.approx(roc_auc_score(correct, scores), abs=1e-12)


def test_auroc_extremes():
    correct = torch.tensor([1, 1, 0, 0], dtype=torch.bool)
    assert float(sel.auroc(torch.tensor([4.0, 3.0, 2.0, 1.0]), correct)) == 1.0
    assert float(sel.auroc(torch.tensor([1.0, 2.0, 3.0, 4.0]), correct)) == 0.0
    assert float(sel.auroc(torch.ones(4), correct)) == 0.5


def test_batched_equals_per_row():
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 2, 150, 4, generator=gen) * 2
    labels = torch.randint(0, 4, (150,), generator=gen)
    correct = logits.argmax(-1) == labels
    for method in sel.METHODS:
        s = sel.score(logits, method)
        assert s.shape == (3, 2, 150)
        _, risk = sel.risk_coverage(s, correct)
        out = sel.summary(logits, labels, method)
        for i in range(3):
            for j in range(2):
                row = sel.summary(logits[i, j], labels, method)
                for key in ("aurc", "eaurc", "auroc"):
                    assert float(out[key][i, j]) == pytest.approx(float(row[key]), abs=1e-12)
                _, row_risk = sel.risk_coverage(s[i, j], correct[i, j])
                assert risk[i, j].tolist() == pytest.approx(row_risk.tolist())


def test_score_definitions():
    z = torch.tensor([[3.0, 1.0, -1.0], [0.0, 0.0, 0.0]])
    top = math.exp(3) / (math.exp(3) + math.e + math.exp(-1))
    assert sel.score(z, "msp").tolist() == pytest.approx([top, 1 / 3])
    # uncentred: max z / ||z||_p of z as it is
    assert sel.score(z, "maxlogit_pnorm_uncentred").tolist() == pytest.approx([3 / math.sqrt(11), 0.0])
    assert float(sel.score(z[0], "maxlogit_pnorm_uncentred", p=1)) == pytest.approx(3 / 5)
    assert float(sel.score(z[0], "maxlogit_pnorm_uncentred", p=3)) == pytest.approx(3 / 29 ** (1 / 3))
    # centred: z - mean z = [2, 0, -2]; the zero vector still scores 0, not nan
    assert sel.score(z, "maxlogit_pnorm_centred").tolist() == pytest.approx([2 / math.sqrt(8), 0.0])
    assert float(sel.score(z[0], "maxlogit_pnorm_centred", p=1)) == pytest.approx(2 / 4)
    # p = 0: no normalisation, the (centred) largest logit itself
    assert float(sel.score(z[0], "maxlogit_pnorm_uncentred", p=0)) == 3.0
    assert float(sel.score(z[0], "maxlogit_pnorm_centred", p=0)) == 2.0


def test_centring_changes_the_score_and_the_ranking():
    """Shifting one row's logits by a constant changes nothing for the centred score and msp, but
    changes the uncentred score, enough to reverse which of two points ranks first."""
    a = torch.tensor([2.0, 0.0, 0.0])
    b = torch.tensor([2.0, 1.0, 0.0])
    for method in ("msp", "maxlogit_pnorm_centred"):
        assert float(sel.score(a + 5, method)) == pytest.approx(float(sel.score(a, method)))
    # a - 5 = [-3, -5, -5]: uncentred -3/sqrt(59); b: 2/sqrt(5). Centred: a - mean = [4/3, -2/3, -2/3]
    # gives (4/3)/sqrt(8/3); b - mean = [1, 0, -1] gives 1/sqrt(2)
    uncentred = sel.score(torch.stack([a - 5, b]), "maxlogit_pnorm_uncentred")
    centred = sel.score(torch.stack([a - 5, b]), "maxlogit_pnorm_centred")
    assert uncentred.tolist() == pytest.approx([-3 / math.sqrt(59), 2 / math.sqrt(5)])
    assert centred.tolist() == pytest.approx([(4 / 3) / math.sqrt(8 / 3), 1 / math.sqrt(2)])
    assert uncentred[0] < uncentred[1] and centred[0] > centred[1]


def test_pnorm_scores_are_exact_for_huge_and_tiny_logits():
    """Dividing by max |z| first: logits of 1e200 (whose square alone overflows float64) and of
    1e-200 (whose square underflows) give the same score as [3, 1, -1]."""
    z = torch.tensor([[3.0, 1.0, -1.0]], dtype=torch.float64)
    for method in ("maxlogit_pnorm_uncentred", "maxlogit_pnorm_centred"):
        for p in (1, 2, 10, 100):
            ref = float(sel.score(z, method, p))
            assert float(sel.score(z * 1e200, method, p)) == pytest.approx(ref, rel=1e-12)
            assert float(sel.score(z * 1e-200, method, p)) == pytest.approx(ref, rel=1e-12)
    assert float(sel.score(z, "maxlogit_pnorm_uncentred", 100)) == pytest.approx(3 / (3**100 + 2) ** 0.01)


def test_pnorm_scale_invariant_msp_not():
    gen = torch.Generator().manual_seed(3)
    z = torch.randn(50, 5, generator=gen, dtype=torch.float64)
    for method in ("maxlogit_pnorm_uncentred", "maxlogit_pnorm_centred"):
        for p in (1, 2, 3.5):
            assert torch.allclose(sel.score(3.7 * z, method, p), sel.score(z, method, p))
    assert not torch.allclose(sel.score(3.7 * z, "msp"), sel.score(z, "msp"))
    # scaling can reorder msp but never a p-norm score, so the latter's AURC is unchanged
    correct = torch.rand(50, generator=gen) < 0.6
    assert float(sel.aurc(sel.score(9 * z, "maxlogit_pnorm_uncentred"), correct)) == pytest.approx(
        float(sel.aurc(sel.score(z, "maxlogit_pnorm_uncentred"), correct)))


def test_the_grid_is_the_papers():
    """Cattelan & Silva's code searches p in 0..9 (0: no norm), Xia et al.'s 1..8 and 1..10."""
    assert sel.P_GRID == tuple(range(11))


# Validation sets (8 points, K = 3) where one p of the grid, inside it, has strictly the least AURC:
# method -> (logits, labels, that p). Found by a seeded search over rounded random logits.
TUNING_CASES = {
    "maxlogit_pnorm_uncentred": (
        [[-1.6, 3.1, -1.3], [2.6, 1.4, -1.6], [-0.3, -1.6, -3.6], [2.5, 1.4, -0.3], [2.3, 1.7, -2.4],
         [1.7, 2.9, -1.8], [2.9, 1.0, -1.2], [0.3, 1.2, 2.6]], [0, 0, 0, 0, 2, 0, 0, 1], 4),
    "maxlogit_pnorm_centred": (
        [[-2.2, 0.4, 1.9], [0.7, 0.6, -1.3], [0.9, -1.6, 1.0], [0.0, -1.6, 1.6], [-1.4, -4.4, -2.9],
         [-1.5, -1.0, -3.7], [-0.5, -3.3, -0.3], [-4.4, -2.0, 2.3]], [0, 0, 2, 2, 1, 2, 0, 1], 7),
}


def constructed_case(method="maxlogit_pnorm_uncentred"):
    logits, labels, best = TUNING_CASES[method]
    return torch.tensor(logits, dtype=torch.float64), torch.tensor(labels), best


@pytest.mark.parametrize("method", list(TUNING_CASES))
def test_tuning_picks_the_p_with_the_least_validation_aurc(method):
    logits, labels, best = constructed_case(method)
    values = sel.grid_aurc(logits, labels, method)
    assert values.shape == (len(sel.P_GRID),)
    correct = logits.argmax(-1) == labels
    by_hand = [float(sel.aurc(sel.score(logits, method, p), correct)) for p in sel.P_GRID]
    assert values.tolist() == pytest.approx(by_hand)
    i = sel.P_GRID.index(best)
    assert all(by_hand[i] < v - 0.01 for j, v in enumerate(by_hand) if j != i)
    assert float(sel.tune_p(logits, labels, method)) == best


def test_tuning_is_per_model_and_a_tie_takes_the_first_p():
    logits, labels, best = constructed_case()
    # every prediction right: every p has AURC 0
    all_right = logits + 20 * torch.nn.functional.one_hot(labels, 3)
    stacked = torch.stack([logits, all_right])
    p = sel.tune_p(stacked, labels, "maxlogit_pnorm_uncentred")
    assert p.shape == (2,)
    assert float(p[0]) == best
    assert float(p[1]) == sel.P_GRID[0]
    nan = torch.full_like(logits, float("nan"))
    assert math.isnan(float(sel.tune_p(torch.stack([logits, nan]), labels, "maxlogit_pnorm_centred")[1]))


def test_tuned_score_applies_each_models_own_p_to_other_points():
    logits, labels, _ = constructed_case()
    gen = torch.Generator().manual_seed(4)
    other = torch.randn(2, 30, 3, generator=gen, dtype=torch.float64)
    val = torch.stack([logits, logits.flip(-1)])  # two models, tuned apart
    scores, p = sel.tuned_score(val, labels, other, "maxlogit_pnorm_uncentred")
    assert scores.shape == (2, 30) and p.shape == (2,)
    for i in range(2):
        assert float(p[i]) == float(sel.tune_p(val[i], labels, "maxlogit_pnorm_uncentred"))
        assert scores[i].tolist() == pytest.approx(
            sel.score(other[i], "maxlogit_pnorm_uncentred", float(p[i])).tolist())


def test_degenerate_inputs():
    all_right = torch.ones(5, dtype=torch.bool)
    scores = torch.arange(5.0)
    assert math.isnan(float(sel.auroc(scores, all_right)))
    assert math.isnan(float(sel.auroc(scores, ~all_right)))
    assert float(sel.aurc(scores, all_right)) == 0.0
    assert float(sel.aurc(scores, ~all_right)) == 1.0
    one = sel.risk_coverage(torch.tensor([0.3]), torch.tensor([False]))
    assert one[0].tolist() == [1.0] and one[1].tolist() == [1.0]
    # a model with a nan score gives nan; its neighbour in the batch is unaffected
    s = torch.tensor([[0.1, float("nan"), 0.3], [0.1, 0.2, 0.3]])
    c = torch.tensor([[True, False, True]] * 2)
    assert math.isnan(float(sel.aurc(s, c)[0])) and math.isnan(float(sel.auroc(s, c)[0]))
    assert float(sel.auroc(s, c)[1]) == 0.5


def test_argument_errors():
    with pytest.raises(ValueError, match="^method="):
        sel.score(torch.zeros(2, 3), "entropy")
    with pytest.raises(ValueError, match="^method="):
        sel.score(torch.zeros(2, 3), "logit_norm")
    for p in (0.5, -1, 101, float("nan"), True):
        with pytest.raises(ValueError, match="^p="):
            sel.score(torch.zeros(2, 3), "maxlogit_pnorm_centred", p=p)
    with pytest.raises(ValueError, match="^grid="):
        sel.tune_p(torch.zeros(2, 3), torch.zeros(2, dtype=torch.long), "maxlogit_pnorm_centred", grid=())
    with pytest.raises(ValueError, match="^correct="):
        sel.aurc(torch.zeros(3), torch.zeros(4))
    with pytest.raises(ValueError, match="^correct="):
        sel.auroc(torch.zeros(3), torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match="^scores="):
        sel.aurc(torch.zeros(2, 0), torch.zeros(2, 0))
