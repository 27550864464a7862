"""How much the logits say about which training example went in: Müller, Kornblith & Hinton
2019, "When does label smoothing help?" (arXiv 1906.02629), Section 4 (label smoothing "erases" it).

MKH's estimate, as published (mkh_information). X is the index of one of the N training examples
of two classes a and b, uniform; Y = z_a − z_b, the difference of those two classes' logits for a
randomly augmented copy of x. Our toy data have no augmentation, so Gaussian input noise stands in
for it (noisy_inputs). p(y | x) is taken as Gaussian N(μ_x, σ²):
  μ_x = (1/L) Σ_l y_{x,l}                          (the mean over L augmented draws of x)
  σ²  = (1/N) Σ_x (y_x − μ_x)²                     (y_x: one further draw per example)
  Î   = (1/N) Σ_x [ −(y_x − μ_x)²/(2σ²) − log( (1/N) Σ_{x'} exp(−(y_x − μ_{x'})²/(2σ²)) ) ]
in nats. The paper prints the two sums without their 1/N factors; with them, as here, Î lies in
[0, log N] up to Monte Carlo error: exactly 0 when every example has the same mean, log N when
the examples' Gaussians do not overlap, and never above log N (each example's own Gaussian is
one of the N in the mixture). The Gaussians' normalising constants cancel. The outer draw is
independent of the L that give μ_x, so with few draws Î reads low: for a Gaussian channel by
about 0.11 nats at L = 4 (of 0.80), under 0.002 at L = 256 (tests/test_information.py).

pooled_draws_information is a different estimator, kept under its own name: it averages the
outer sum over all L draws of every example (instead of one), fits σ² from those same draws, and
takes a D-dimensional output with one variance per dimension.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from playground.core.validation import check_int, check_number, fail

MAX_DRAWS = 256
MAX_SIGMA = 0.5  # the data fill [-1, 1]^2; more noise than this is no longer the same example
MAX_POINTS_DRAWN = 200_000  # N * draws points go through every model at once
CHUNK = 1 << 22  # float64 entries of the [rows, N, D] block held at a time
# what the Distillation page measures: classes 0 and 1, L draws for each mean, input noise σ
CLASSES = (0, 1)
DRAWS = 32
SIGMA = 0.05


def _f64(x) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x
                           ).detach().to("cpu", torch.float64)


def max_information(n: int) -> float:
    """log N nats: the most the index of one of N examples can carry."""
    return math.log(check_int("n", n, 1, 10**9))


def _excess(y: torch.Tensor, own: torch.Tensor, means: torch.Tensor, inv: torch.Tensor) -> torch.Tensor:
    """Σ over rows of g(y, own) − log((1/N) Σ_x' exp g(y, x')), g(y, x') = −Σ_d (y_d − μ_x',d)² inv_d.
    y [..., R, D] rows, own [R] their example, means [..., N, D], inv [..., D]; chunked over rows
    so the [..., rows, N, D] block stays small. Returns [...]."""
    batch, (rows_total, d), n = y.shape[:-2], y.shape[-2:], means.shape[-2]
    rows = max(1, CHUNK // max(1, n * d * max(1, math.prod(batch))))
    total = torch.zeros(batch, dtype=torch.float64)
    for start in range(0, rows_total, rows):
        block = y[..., start:start + rows, :]  # [..., R, D]
        g = -(((block.unsqueeze(-2) - means.unsqueeze(-3)) ** 2) * inv.unsqueeze(-2).unsqueeze(-2)).sum(-1)
        idx = own[start:start + rows]
        g_own = g.gather(-1, idx.expand(*batch, -1).unsqueeze(-1)).squeeze(-1)  # [..., R]
        total += (g_own - (torch.logsumexp(g, -1) - math.log(n))).sum(-1)
    return total


def mkh_information(mean_draws, outer) -> torch.Tensor:
    """MKH's §4 estimate of I(X; Y) in nats, as published (module docstring), with the 1/N factors.

    mean_draws [..., N, L]: L draws of the scalar Y for each of N examples, giving μ_x; outer
    [..., N]: one further draw y_x per example, giving σ² and the outer sum. Leading dims
    (models) are kept: [E, N, L] and [E, N] give [E]. Needs N >= 2 and L >= 1. Where every y_x
    equals its μ_x (σ² = 0) the Gaussians shrink to points: Î is then log N less the mean log
    of how many examples share each y_x as their mean."""
    means_from, y = _f64(mean_draws), _f64(outer)
    if means_from.dim() < 2 or means_from.shape[-2] < 2 or means_from.shape[-1] < 1:
        fail("mean_draws", f"shape {tuple(means_from.shape)}",
             "must be [..., N, L] with N >= 2 examples and L >= 1 draws")
    if y.shape != means_from.shape[:-1]:
        fail("outer", f"shape {tuple(y.shape)}",
             f"must be one draw per example, shape {tuple(means_from.shape[:-1])}")
    for name, t in (("mean_draws", means_from), ("outer", y)):
        if not torch.isfinite(t).all():
            fail(name, "non-finite values", "must be finite")
    n = y.shape[-1]
    mu = means_from.mean(-1)  # [..., N]
    var = ((y - mu) ** 2).mean(-1)  # [...]
    # σ² = 0: 1/(2σ²) becomes huge but finite, so a draw on its own mean still gives g = 0
    inv = (1 / (2 * var.clamp_min(torch.finfo(var.dtype).tiny))).unsqueeze(-1)  # [..., 1]
    return _excess(y.unsqueeze(-1), torch.arange(n), mu.unsqueeze(-1), inv) / n


def pooled_draws_information(samples) -> torch.Tensor:
    """A variant of MKH's estimate, not the published one: every draw of every example enters the
    outer sum, and σ² is pooled over all of them, one per output dimension:
      μ_x = (1/L) Σ_l y_{x,l},   σ_d² = (1/(N L)) Σ_x Σ_l (y_{x,l,d} − μ_{x,d})²,
      Î = (1/(N L)) Σ_x Σ_l [ g(y_{x,l}, x) − log( (1/N) Σ_{x'} exp g(y_{x,l}, x') ) ],
      g(y, x') = −Σ_d (y_d − μ_{x',d})² / (2 σ_d²),
    in nats, from samples [..., N, L, D] (D = 1 is MKH's logit difference). Lower variance than
    one draw per example, but the draws that give μ_x are also scored against it. Needs N >= 2
    and L >= 2. A dimension with no spread within any example (σ_d = 0) is left out of g."""
    y = _f64(samples)
    if y.dim() < 3 or y.shape[-3] < 2 or y.shape[-2] < 2 or y.shape[-1] < 1:
        fail("samples", f"shape {tuple(y.shape)}",
             "must be [..., N, L, D] with N >= 2 examples and L >= 2 draws")
    if not torch.isfinite(y).all():
        fail("samples", "non-finite values", "must be finite")
    n, draws, d = y.shape[-3:]
    mu = y.mean(-2, keepdim=True)  # [..., N, 1, D]
    var = ((y - mu) ** 2).mean((-3, -2))  # [..., D]
    # a constant dimension tells nothing apart: weight 0 instead of dividing by 0
    inv = torch.where(var > 0, 1 / (2 * var.clamp_min(torch.finfo(var.dtype).tiny)), torch.zeros_like(var))
    flat = y.reshape(*y.shape[:-3], n * draws, d)  # row x * L + l
    own = torch.arange(n).repeat_interleave(draws)
    return _excess(flat, own, mu.squeeze(-2), inv) / (n * draws)


def logit_difference(logits, classes: Sequence[int]) -> torch.Tensor:
    """MKH's Y: z_a − z_b for classes (a, b), from logits [..., K] to [..., 1]."""
    z = _f64(logits)
    a, b = _pair(classes, z.shape[-1])
    return (z[..., a] - z[..., b]).unsqueeze(-1)


def _pair(classes: Sequence[int], num_classes: int) -> tuple[int, int]:
    pair = list(classes)
    if len(pair) != 2:
        fail("classes", classes, "must name exactly two classes (a, b)")
    a, b = (check_int(f"classes[{i}]", c, 0, num_classes - 1) for i, c in enumerate(pair))
    if a == b:
        fail("classes", classes, "must name two different classes")
    return a, b


def noisy_inputs(x, draws: int, sigma: float, seed: int = 0) -> torch.Tensor:
    """[N, draws, D]: each point x [N, D] plus independent N(0, sigma²) noise per draw and input,
    the stand-in for data augmentation. Seeded: the same arguments give the same points."""
    points = torch.as_tensor(np.asarray(x, dtype=np.float32))
    if points.dim() != 2 or points.shape[0] < 2:
        fail("x", f"shape {tuple(points.shape)}", "must be [N, D] with N >= 2 points")
    draws = check_int("draws", draws, 2, MAX_DRAWS)
    if points.shape[0] * draws > MAX_POINTS_DRAWN:
        fail("draws", draws, f"N * draws must be at most {MAX_POINTS_DRAWN:,} (N = {points.shape[0]})")
    sigma = check_number("sigma", sigma, 0.0, MAX_SIGMA, lo_open=True)
    seed = check_int("seed", seed, 0, 2**31 - 1)
    gen = torch.Generator().manual_seed(seed)
    noise = torch.randn(points.shape[0], draws, points.shape[1], generator=gen) * sigma
    return points.unsqueeze(1) + noise


def logits_under_noise(source, x, draws: int, sigma: float, seed: int = 0) -> torch.Tensor:
    """Every model's logits [E, N, draws, K] at noisy_inputs(x, draws, sigma, seed). `source` is
    an Engine, or anything whose predict(points [M, D]) gives .logits [E, M, K]."""
    points = noisy_inputs(x, draws, sigma, seed)
    n = points.shape[0]
    logits = source.predict(points.reshape(n * draws, -1).numpy()).logits
    return logits.reshape(logits.shape[0], n, draws, -1)


def two_class_examples(x, labels, classes: Sequence[int] = CLASSES) -> np.ndarray:
    """The points of x [N, D] whose label is one of the two classes: MKH's X ranges over them."""
    points, y = np.asarray(x), np.asarray(labels)
    if y.shape != points.shape[:1]:
        fail("labels", f"shape {y.shape}", f"must hold one label per point, shape {points.shape[:1]}")
    a, b = _pair(classes, int(y.max(initial=0)) + 1 if y.size else 0)
    chosen = points[(y == a) | (y == b)]
    if len(chosen) < 2:
        fail("classes", classes, f"must have at least 2 examples between them (found {len(chosen)})")
    return chosen


def model_information(source, x, labels, classes: Sequence[int] = CLASSES, draws: int = DRAWS,
                      sigma: float = SIGMA, seed: int = 0) -> torch.Tensor:
    """MKH's estimate (mkh_information) for every model of an engine, in nats [E]: X ranges over
    the training examples x [N, D] labelled with one of `classes` (a, b), Y = z_a − z_b under
    input noise sigma; `draws` (L) noisy copies of each example give μ_x, one more gives y_x."""
    draws = check_int("draws", draws, 1, MAX_DRAWS - 1)
    chosen = two_class_examples(x, labels, classes)
    y = logit_difference(logits_under_noise(source, chosen, draws + 1, sigma, seed), classes)[..., 0]
    return mkh_information(y[..., :draws], y[..., draws])


def describe(n: int, classes: Sequence[int] = CLASSES, draws: int = DRAWS, sigma: float = SIGMA) -> str:
    """What model_information measures, in words, with its settings."""
    a, b = classes
    return (f"Müller, Kornblith & Hinton's estimate (§4) of the information I(X; Y) between X, which "
            f"of the N = {n} training examples of classes {a} and {b} went in, and Y = z{a} − z{b}, the "
            f"difference of those two logits for a copy jittered by Gaussian noise of σ = {sigma:g} (in "
            f"place of data augmentation). p(y | x) is taken as Gaussian: its mean μₓ is Y's mean over "
            f"L = {draws} jittered copies, and one further copy yₓ per example gives the shared variance "
            f"σ² = (1/N) Σₓ (yₓ − μₓ)² and Î = (1/N) Σₓ [−(yₓ − μₓ)²/(2σ²) − log((1/N) Σₓ′ exp(−(yₓ − μₓ′)²/"
            f"(2σ²)))]. With the 1/N factors, which the paper's printed formula leaves out, Î lies between "
            f"0 (every example alike) and log N = {max_information(n):.2f} nats (every example told apart).")
