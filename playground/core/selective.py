"""Selective classification over stacked models (Xia, Laurent, Franchi & Bouganis, ICLR 2025).

A model may reject its least confident predictions; a good confidence score rejects the wrong
ones first. Scores are [..., M] (one per sample, leading dims = models); `correct` is [..., M],
bool or 0/1, saying whether the prediction was right. Reductions return [...] as float64 on the
input's device: rank sums and long cumulative sums lose digits in float32.

Ties are broken at random *in expectation*: inside a group of equal scores the errors are spread
evenly, which is the mean over all orders of the group. Results then depend only on the
(score, correct) pairs, not on sample order, and AUROC counts ties as half (as sklearn does).
"""
from __future__ import annotations

import math

import torch

from playground.core.validation import check_choice, fail

METHODS = ("msp", "maxlogit_pnorm_centred", "maxlogit_pnorm_uncentred")
# p tried when tuning on held-out data; 0 stands for no normalisation (the plain max logit).
# Cattelan & Silva's code (lfpc/FixSelectiveClassification, post_hoc.optimize.p_range) searches
# p in 0..9 with 0 = no norm; Xia et al.'s notebooks search 1..8 (CIFAR-10) and 1..10 (ImageNet).
# This grid covers both. Cattelan & Silva's search can also fall back to the max probability when
# that validates better; tune_p never does, so a tuned score is always the one its name says.
P_GRID = tuple(range(11))
MAX_P = 100.0


def _check_p(p) -> float:
    if isinstance(p, bool) or not isinstance(p, int | float) or not (p == 0 or 1 <= p <= MAX_P):
        fail("p", p, f"must be 0 (no normalisation) or a number in [1, {MAX_P:g}]")
    return float(p)


def score(logits: torch.Tensor, method: str = "msp", p: float = 2.0) -> torch.Tensor:
    """Confidence of each prediction from [..., M, K] logits; returns [..., M], higher = surer.

    msp: max_k softmax(z)_k.
    maxlogit_pnorm_centred: max_k (z − z̄)_k / ‖z − z̄‖_p, z̄ = mean_k z_k: Cattelan & Silva's
      MaxLogit-pNorm, which centres the logits first.
    maxlogit_pnorm_uncentred: max_k z_k / ‖z‖_p, without centring, as in Xia et al.'s code
      (norm_logits with its default add_unit=0); a different score from the centred one.
    p = 0 means no normalisation: the (centred) max logit itself. For p >= 1 the p-norm scores
    are invariant to scaling the logits by a positive factor; a zero vector scores 0.
    """
    check_choice("method", method, METHODS)
    if method == "msp":
        return torch.softmax(logits, -1).max(-1).values
    p = _check_p(p)
    z = logits - logits.mean(-1, keepdim=True) if method == "maxlogit_pnorm_centred" else logits
    if p == 0:
        return z.max(-1).values
    # in float64 and divided by max |z| first (which leaves the score unchanged): |z|^p for p up to
    # 100 neither overflows nor loses the digits that tell close scores apart
    z = z.to(torch.float64)
    tiny = torch.finfo(z.dtype).tiny
    u = z / z.abs().amax(-1, keepdim=True).clamp_min(tiny)
    norm = torch.linalg.vector_norm(u, ord=p, dim=-1, keepdim=True)
    # an all-zero z has norm 0: divide by a tiny number instead so it scores 0, not nan
    return (u / norm.clamp_min(tiny)).max(-1).values


def grid_aurc(logits: torch.Tensor, labels: torch.Tensor, method: str, grid=P_GRID) -> torch.Tensor:
    """AURC [..., len(grid)] of the score at each p of the grid, from [..., M, K] logits and [M]
    labels (the predictions are the logits' argmax)."""
    grid = tuple(_check_p(p) for p in grid)
    if not grid:
        fail("grid", grid, "must hold at least one p")
    correct = logits.argmax(-1) == labels
    return torch.stack([aurc(score(logits, method, p), correct) for p in grid], -1)


def tune_p(logits: torch.Tensor, labels: torch.Tensor, method: str, grid=P_GRID) -> torch.Tensor:
    """For each model ([...] leading dims of [..., M, K] logits), the p of the grid whose score
    has the least AURC on these (held-out) points; the first such p on a tie, as a grid search
    in order finds it. nan for a model whose AURC is nan at every p (a diverged model)."""
    values = grid_aurc(logits, labels, method, grid)
    best = torch.where(values.isnan(), math.inf, values).argmin(-1)
    chosen = torch.tensor([float(p) for p in grid], dtype=torch.float64, device=values.device)[best]
    return torch.where(values.isnan().all(-1), math.nan, chosen)


def tuned_score(val_logits: torch.Tensor, val_labels: torch.Tensor, logits: torch.Tensor, method: str,
                grid=P_GRID) -> tuple[torch.Tensor, torch.Tensor]:
    """The score with p tuned per model on a validation split: p [...] from tune_p on
    (val_logits [..., V, K], val_labels [V]), then the score [..., M] of logits [..., M, K] at
    each model's own p. A model whose p is nan scores nan."""
    p = tune_p(val_logits, val_labels, method, grid)
    flat_p = p.reshape(-1).tolist()
    flat = logits.reshape(-1, *logits.shape[-2:])
    rows = [torch.full(flat.shape[1:2], math.nan, dtype=torch.float64, device=flat.device) if math.isnan(q)
            else score(flat[i], method, q).to(torch.float64) for i, q in enumerate(flat_p)]
    return torch.stack(rows).reshape(logits.shape[:-1]), p


def _checked(scores: torch.Tensor, correct: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """scores as float64 and correct as float64 0/1, after checking shapes and values."""
    if scores.shape != correct.shape:
        fail("correct", tuple(correct.shape), f"must have the shape of scores {tuple(scores.shape)}")
    if scores.dim() == 0 or scores.shape[-1] == 0:
        fail("scores", tuple(scores.shape), "must hold at least one sample in its last dimension")
    if correct.dtype != torch.bool and not ((correct == 0) | (correct == 1)).all():
        fail("correct", correct.unique()[:5].tolist(), "must be bool or 0/1")
    return scores.to(torch.float64), correct.to(torch.float64)


def _tie_groups(scores: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Descending sort order, and for each sorted position the first and last position of its
    group of equal scores."""
    s, order = scores.sort(dim=-1, descending=True, stable=True)
    m = s.shape[-1]
    pos = torch.arange(m, device=s.device).expand_as(s)
    new = torch.ones_like(s, dtype=torch.bool)
    new[..., 1:] = s[..., 1:] != s[..., :-1]
    last = torch.ones_like(new)
    last[..., :-1] = new[..., 1:]
    start = torch.where(new, pos, 0).cummax(-1).values
    # the last position of each group: cummax over the reversed sequence, mapped back
    end = (m - 1) - torch.where(last, m - 1 - pos, 0).flip(-1).cummax(-1).values.flip(-1)
    return order, start, end


def _nan_where_nan(result: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
    """nan for a model whose scores hold a nan (a diverged model), rather than a silent order."""
    return torch.where(scores.isnan().any(-1), math.nan, result)


def risk_coverage(scores: torch.Tensor, correct: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The risk–coverage curve: accept the i most confident samples, i = 1..M.

    Returns coverage [M] = i/M and risk [..., M] = error rate among the accepted, with the
    errors of tied scores spread evenly over their group (see the module docstring).
    """
    s, c = _checked(scores, correct)
    order, start, end = _tie_groups(s)
    errors = (1 - c).gather(-1, order)
    cum = errors.cumsum(-1)
    zero = torch.zeros_like(cum[..., :1])
    before = torch.cat([zero, cum], -1).gather(-1, start)  # errors ahead of the group
    group_err = cum.gather(-1, end) - before
    m = s.shape[-1]
    pos = torch.arange(1, m + 1, dtype=torch.float64, device=s.device)
    taken = pos - start  # how many of the group are accepted at this position
    accepted_err = before + taken * group_err / (end - start + 1)
    coverage = pos / m
    risk = accepted_err / pos
    return coverage, torch.where(s.isnan().any(-1, keepdim=True), math.nan, risk)


def aurc(scores: torch.Tensor, correct: torch.Tensor) -> torch.Tensor:
    """Area under the risk–coverage curve, (1/M) sum_i risk(i/M) (Geifman et al.); lower is
    better. Ranges from the oracle's value (see oracle_aurc) up to about the error rate
    for a score that ranks at random."""
    return risk_coverage(scores, correct)[1].mean(-1)


def oracle_aurc(correct: torch.Tensor) -> torch.Tensor:
    """The least AURC reachable with these errors: every wrong prediction rejected first."""
    c = correct.to(torch.float64)
    return aurc(c, c)


def eaurc(scores: torch.Tensor, correct: torch.Tensor) -> torch.Tensor:
    """Excess AURC: aurc minus oracle_aurc, 0 for a perfect ranking."""
    return aurc(scores, correct) - oracle_aurc(correct)


def auroc(scores: torch.Tensor, correct: torch.Tensor) -> torch.Tensor:
    """P(a right prediction scores above a wrong one), ties counting half (Mann–Whitney U).

    nan where every prediction is right or every one wrong: there is nothing to separate, and a
    page can show nan without failing.
    """
    s, c = _checked(scores, correct)
    order, start, end = _tie_groups(s)
    m = s.shape[-1]
    # ascending rank, 1-based, averaged over ties
    rank = m - (start + end).to(torch.float64) / 2
    right = c.gather(-1, order)
    n_pos = right.sum(-1)
    n_neg = m - n_pos
    u = (rank * right).sum(-1) - n_pos * (n_pos + 1) / 2
    both = (n_pos > 0) & (n_neg > 0)
    result = torch.where(both, u / (n_pos * n_neg).clamp_min(1), math.nan)
    return _nan_where_nan(result, s)


def summary(logits: torch.Tensor, labels: torch.Tensor, method: str = "msp", p: float = 2.0
            ) -> dict[str, torch.Tensor]:
    """AURC, e-AURC and AUROC ([...] each) of the given score, from [..., M, K] logits and [M]
    labels."""
    s = score(logits, method, p)
    correct = logits.argmax(-1) == labels
    return {"aurc": aurc(s, correct), "eaurc": eaurc(s, correct), "auroc": auroc(s, correct)}
