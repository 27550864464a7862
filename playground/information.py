"""How much the logits say about which training example went in, after Müller, Kornblith &
Hinton 2019, "When does label smoothing help?", Section 4 (label smoothing "erases" it).

X is the index of a training example, uniform over N; Y is what the network outputs for a
randomly augmented copy of it. MKH take Y as the difference of two classes' logits, model
p(y | x) as a Gaussian N(μ_x, σ²) with a mean per example and one variance shared by all, fit
both from L augmented draws per example, and evaluate I(X; Y) by Monte Carlo over the same draws.
Our toy data have no augmentation, so small Gaussian input noise stands in for it (noisy_inputs).

With y_{x,l} the l-th draw of example x (D dimensions; D = 1 is MKH's logit difference):
  μ_x   = (1/L) Σ_l y_{x,l}
  σ_d²  = (1/(N L)) Σ_x Σ_l (y_{x,l,d} − μ_{x,d})²         (pooled over examples, per dimension)
  g(y, x') = −Σ_d (y_d − μ_{x',d})² / (2 σ_d²)            (log N(y; μ_x', diag σ²) up to a constant)
  I(X; Y) ≈ (1/(N L)) Σ_x Σ_l [ g(y_{x,l}, x) − log( (1/N) Σ_{x'} exp g(y_{x,l}, x') ) ]
in nats. It lies in [0, log N] up to Monte Carlo error: 0 when every example has the same mean,
log N when the examples' Gaussians do not overlap. The Gaussians' normalising constants cancel.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from playground.validation import check_int, check_number, fail

MAX_DRAWS = 256
MAX_SIGMA = 0.5  # the data fill [-1, 1]^2; more noise than this is no longer the same example
MAX_POINTS_DRAWN = 200_000  # N * draws points go through every model at once
CHUNK = 1 << 22  # float64 entries of the [rows, N, D] block held at a time


def _f64(x) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x
                           ).detach().to("cpu", torch.float64)


def max_information(n: int) -> float:
    """log N nats: the most the index of one of N examples can carry."""
    return math.log(check_int("n", n, 1, 10**9))


def mutual_information(samples) -> torch.Tensor:
    """MKH's Gaussian estimate of I(X; Y) in nats (module docstring) from samples [..., N, L, D]:
    L noisy draws of a D-dimensional output for each of N examples; leading dims (models) are
    kept, so [E, N, L, D] gives [E]. Needs N >= 2 and L >= 2. A dimension with no spread
    within any example (σ_d = 0) has no Gaussian to fit and is left out of g."""
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
    batch = y.shape[:-3]
    flat = y.reshape(*batch, n * draws, d)  # row x * L + l
    own = torch.arange(n).repeat_interleave(draws)
    means = mu.squeeze(-2)  # [..., N, D]
    rows = max(1, CHUNK // max(1, n * d * max(1, math.prod(batch))))
    total = torch.zeros(batch, dtype=torch.float64)
    for start in range(0, n * draws, rows):
        block = flat[..., start:start + rows, :]  # [..., R, D]
        g = -(((block.unsqueeze(-2) - means.unsqueeze(-3)) ** 2) * inv.unsqueeze(-2).unsqueeze(-2)).sum(-1)
        idx = own[start:start + rows]
        g_own = g.gather(-1, idx.expand(*batch, -1).unsqueeze(-1)).squeeze(-1)  # [..., R]
        total += (g_own - (torch.logsumexp(g, -1) - math.log(n))).sum(-1)
    return total / (n * draws)


def logit_difference(logits, classes: Sequence[int]) -> torch.Tensor:
    """MKH's Y: z_a − z_b for classes (a, b), from logits [..., K] to [..., 1]."""
    z = _f64(logits)
    pair = list(classes)
    if len(pair) != 2:
        fail("classes", classes, "must name exactly two classes (a, b)")
    a, b = (check_int(f"classes[{i}]", c, 0, z.shape[-1] - 1) for i, c in enumerate(pair))
    if a == b:
        fail("classes", classes, "must name two different classes")
    return (z[..., a] - z[..., b]).unsqueeze(-1)


def noisy_inputs(x, draws: int, sigma: float, seed: int = 0) -> torch.Tensor:
    """[N, draws, 2]: each point x [N, 2] plus independent N(0, sigma²) noise per draw, the
    stand-in for data augmentation. Seeded: the same arguments give the same points."""
    points = torch.as_tensor(np.asarray(x, dtype=np.float32))
    if points.dim() != 2 or points.shape[1] != 2 or points.shape[0] < 2:
        fail("x", f"shape {tuple(points.shape)}", "must be [N, 2] with N >= 2 points")
    draws = check_int("draws", draws, 2, MAX_DRAWS)
    if points.shape[0] * draws > MAX_POINTS_DRAWN:
        fail("draws", draws, f"N * draws must be at most {MAX_POINTS_DRAWN:,} (N = {points.shape[0]})")
    sigma = check_number("sigma", sigma, 0.0, MAX_SIGMA, lo_open=True)
    seed = check_int("seed", seed, 0, 2**31 - 1)
    gen = torch.Generator().manual_seed(seed)
    noise = torch.randn(points.shape[0], draws, 2, generator=gen) * sigma
    return points.unsqueeze(1) + noise


def logits_under_noise(source, x, draws: int, sigma: float, seed: int = 0) -> torch.Tensor:
    """Every model's logits [E, N, draws, K] at noisy_inputs(x, draws, sigma, seed). `source` is
    an Engine, or anything whose predict(points [M, 2]) gives .logits [E, M, K]."""
    points = noisy_inputs(x, draws, sigma, seed)
    n = points.shape[0]
    logits = source.predict(points.reshape(-1, 2).numpy()).logits
    return logits.reshape(logits.shape[0], n, draws, -1)


def model_information(source, x, classes: Sequence[int] = (0, 1), draws: int = 16, sigma: float = 0.05,
                      seed: int = 0) -> torch.Tensor:
    """I(X; z_a − z_b) in nats [E], every model of an engine, at the points x [N, 2] under input
    noise sigma (MKH use the training examples of two classes)."""
    return mutual_information(logit_difference(logits_under_noise(source, x, draws, sigma, seed), classes))
