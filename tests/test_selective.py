import math

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from playground import selective as sel


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
    assert sel.score(z, "logit_norm").tolist() == pytest.approx([3 / math.sqrt(11), 0.0])
    assert float(sel.score(z[0], "logit_norm", p=1)) == pytest.approx(3 / 5)
    # centred: z - 1 = [2, 0, -2]; the zero vector still scores 0, not nan
    assert sel.score(z, "logit_norm", centre=True).tolist() == pytest.approx([2 / math.sqrt(8), 0.0])


def test_logit_norm_scale_invariant_msp_not():
    gen = torch.Generator().manual_seed(3)
    z = torch.randn(50, 5, generator=gen, dtype=torch.float64)
    for p in (1, 2, 3.5):
        assert torch.allclose(sel.score(3.7 * z, "logit_norm", p), sel.score(z, "logit_norm", p))
    assert not torch.allclose(sel.score(3.7 * z, "msp"), sel.score(z, "msp"))
    # scaling can reorder msp but never logit_norm, so the latter's AURC is unchanged
    correct = torch.rand(50, generator=gen) < 0.6
    assert float(sel.aurc(sel.score(9 * z, "logit_norm"), correct)) == pytest.approx(
        float(sel.aurc(sel.score(z, "logit_norm"), correct)))


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
    with pytest.raises(ValueError, match="^p="):
        sel.score(torch.zeros(2, 3), "logit_norm", p=0.5)
    with pytest.raises(ValueError, match="^correct="):
        sel.aurc(torch.zeros(3), torch.zeros(4))
    with pytest.raises(ValueError, match="^correct="):
        sel.auroc(torch.zeros(3), torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match="^scores="):
        sel.aurc(torch.zeros(2, 0), torch.zeros(2, 0))
