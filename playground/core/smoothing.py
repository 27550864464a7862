"""Label-smoothing targets, the two conventions, their closed forms and the smoothed loss.

Conventions (K classes, smoothing eps in [0, 1]):
  "uniform"  true 1 - eps + eps/K, others eps/K       (PyTorch, Keras, Szegedy et al. 2016)
  "others"   true 1 - eps,         others eps/(K - 1) (fairseq)
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from playground.core.validation import check_choice, check_int, check_number, fail

CONVENTIONS = ("uniform", "others")
MAX_CLASSES = 1000


def eps_label(eps: float) -> str:
    """How every chart, table and file names a smoothing value: "ε=0.1"."""
    return f"ε={eps:g}"


def check_eps(eps, name: str = "eps") -> float:
    return check_number(name, eps, 0.0, 1.0)


def check_num_classes(num_classes, name: str = "num_classes") -> int:
    return check_int(name, num_classes, 2, MAX_CLASSES)


def check_convention(convention) -> str:
    return check_choice("convention", convention, CONVENTIONS)


def target_pair(k: int, eps, convention: str):
    """(q_true, q_other) for K = k, unchecked: the one formula, for a float eps or a tensor of them
    (the engine's per-model coefficients). Callers check k, eps and the convention."""
    if convention == "uniform":
        return 1.0 - eps + eps / k, eps / k
    return 1.0 - eps, eps / (k - 1)


def target_values(num_classes: int, eps: float, convention: str = "uniform", lowest: float = 0.0
                  ) -> tuple[float, float]:
    """(q_true, q_other): the smoothed target of the true class and of each other class. eps lies in
    [lowest, 1]; objectives pass lowest = -1 for negative smoothing, where q_true exceeds 1 and
    q_other is negative."""
    k = check_num_classes(num_classes)
    e = check_number("eps", eps, lowest, 1.0)
    return target_pair(k, e, check_convention(convention))


def _target_tensors(num_classes: int, eps, convention: str) -> tuple[torch.Tensor, torch.Tensor]:
    """q_true and q_other as float64 tensors of eps's shape (a scalar or one value per model)."""
    values = torch.as_tensor(eps, dtype=torch.float64)
    if values.dim() > 1:
        fail("eps", eps, "must be a number or a 1-D sequence of numbers")
    pairs = [target_values(num_classes, float(e), convention) for e in values.reshape(-1)]
    q = torch.tensor(pairs, dtype=torch.float64).reshape(*values.shape, 2)
    return q[..., 0], q[..., 1]


def check_labels(labels, num_classes: int) -> torch.Tensor:
    y = torch.as_tensor(labels)
    if y.dim() != 1 or y.dtype.is_floating_point or y.dtype == torch.bool:
        fail("labels", f"tensor of shape {tuple(y.shape)} and dtype {y.dtype}",
             "must be a 1-D integer tensor")
    if y.numel() and (int(y.min()) < 0 or int(y.max()) >= num_classes):
        bad = int(y.min()) if int(y.min()) < 0 else int(y.max())
        fail("labels", bad, f"every label must be an integer in [0, {num_classes - 1}]")
    return y.long()


def smooth_targets(labels, num_classes: int, eps, convention: str = "uniform",
                   dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Smoothed target vectors: [N, K] for a scalar eps, [E, N, K] for a 1-D sequence of E values."""
    k = check_num_classes(num_classes)
    y = check_labels(labels, k)
    q_true, q_other = _target_tensors(k, eps, convention)
    onehot = F.one_hot(y, k).to(torch.float64)
    qt, qo = q_true[..., None, None], q_other[..., None, None]
    return (onehot * qt + (1 - onehot) * qo).to(dtype=dtype, device=y.device)


def convert_eps(eps: float, num_classes: int, source: str, target: str) -> float:
    """The eps that gives the same targets in the `target` convention.

    eps_uniform = eps_others * K / (K - 1). The result can exceed 1 (e.g. others-eps near 1),
    in which case the uniform convention has no equivalent inside [0, 1].
    """
    k = check_num_classes(num_classes)
    e = check_eps(eps)
    source, target = check_convention(source), check_convention(target)
    if source == target:
        return e
    return e * k / (k - 1) if source == "others" else e * (k - 1) / k


def optimal_logit_gap(num_classes: int, eps: float, convention: str = "uniform") -> float:
    """log(q_true / q_other): the logit gap at the loss minimum; inf at eps = 0."""
    qt, qo = target_values(num_classes, eps, convention)
    if qo == 0.0:
        return math.inf
    if qt == 0.0:
        return -math.inf
    return math.log(qt / qo)


def _xlogx(p: float) -> float:
    return p * math.log(p) if p > 0 else 0.0


def min_loss(num_classes: int, eps: float, convention: str = "uniform") -> float:
    """H(q): the smallest value the smoothed cross-entropy can take (not 0 once eps > 0)."""
    qt, qo = target_values(num_classes, eps, convention)
    return -_xlogx(qt) - (num_classes - 1) * _xlogx(qo)


def _prob_tensor(p, name: str = "p") -> torch.Tensor:
    t = torch.as_tensor(p, dtype=torch.float64)
    if not bool(torch.isfinite(t).all()) or bool((t < 0).any()) or bool((t > 1).any()):
        fail(name, p, "every value must be a probability in [0, 1]")
    return t


def true_logit_grad(p, num_classes: int, eps: float, convention: str = "uniform") -> torch.Tensor:
    """dL/dz_true = p - q_true: negative (pushes confidence up) below q_true, positive above it."""
    qt, _ = target_values(num_classes, eps, convention)
    return _prob_tensor(p) - qt


def logit_grad_norm(p, num_classes: int, eps: float, convention: str = "uniform") -> torch.Tensor:
    """||dL/dz|| = |p - q_true| * sqrt(K / (K - 1)) when the other classes share 1 - p equally."""
    k = check_num_classes(num_classes)
    return true_logit_grad(p, k, eps, convention).abs() * math.sqrt(k / (k - 1))


def saturated_grad_norm(num_classes: int, eps: float, convention: str = "uniform") -> float:
    """The limit of ||dL/dz|| as p -> 1: (1 - q_true) * sqrt(K / (K - 1))."""
    return float(logit_grad_norm(1.0, num_classes, eps, convention))


def prob_from_gap(gap, num_classes: int) -> torch.Tensor:
    """True-class probability when its logit beats each of the K - 1 equal others by `gap`."""
    k = check_num_classes(num_classes)
    g = torch.as_tensor(gap, dtype=torch.float64)
    return torch.sigmoid(g - math.log(k - 1))


def smoothed_cross_entropy(logits: torch.Tensor, labels, eps, convention: str = "uniform",
                           reduction: str = "mean") -> torch.Tensor:
    """Cross-entropy against smoothed targets.

    logits [N, K] with a scalar eps, or [E, N, K] with E values of eps (one loss per model).
    Equals torch's CrossEntropyLoss(label_smoothing=eps) for the "uniform" convention.
    """
    check_choice("reduction", reduction, ("mean", "sum", "none"))
    k = logits.shape[-1]
    q = smooth_targets(labels.to(logits.device) if torch.is_tensor(labels) else labels, k, eps,
                       convention, dtype=logits.dtype).to(logits.device)
    per_sample = -(q * torch.log_softmax(logits, dim=-1)).sum(-1)
    if reduction == "none":
        return per_sample
    return per_sample.mean(-1) if reduction == "mean" else per_sample.sum(-1)


def check_eps_grid(eps: Sequence[float], name: str = "eps") -> list[float]:
    values = list(eps) if not isinstance(eps, (int, float)) else [eps]
    if not values:
        fail(name, eps, "must hold at least one value")
    return [check_eps(e, f"{name}[{i}]") for i, e in enumerate(values)]


def uniform_eps(num_classes: int, convention: str = "uniform") -> float:
    """The eps at which the targets become uniform: 1 (uniform) or (K - 1)/K (others)."""
    k = check_num_classes(num_classes)
    return 1.0 if check_convention(convention) == "uniform" else (k - 1) / k


def loss_at_confidence(p, num_classes: int, eps: float, convention: str = "uniform") -> torch.Tensor:
    """Smoothed cross-entropy when the true class gets p and the others share 1 - p equally:
    -q_t log p - (1 - q_t) log((1 - p) / (K - 1)). Minimal, equal to H(q), at p = q_t."""
    k = check_num_classes(num_classes)
    qt, _ = target_values(k, eps, convention)
    p = _prob_tensor(p)
    others = (1 - p) / (k - 1)
    with torch.no_grad():
        true_part = torch.where(torch.as_tensor(qt > 0), -qt * torch.log(p), torch.zeros_like(p))
        rest = torch.where(torch.as_tensor(qt < 1), -(1 - qt) * torch.log(others), torch.zeros_like(p))
    return true_part + rest


def weighted_optimum(num_classes: int, eps: float, weights, true_class: int = 0,
                     convention: str = "uniform") -> torch.Tensor:
    """The probabilities that minimise CrossEntropyLoss(weight=w, label_smoothing=eps) for one
    sample: proportional to w * q, not q (pytorch issue #104776)."""
    k = check_num_classes(num_classes)
    w = torch.as_tensor(weights, dtype=torch.float64)
    if w.shape != (k,) or not bool(torch.isfinite(w).all()) or bool((w <= 0).any()):
        fail("weights", weights, f"must be {k} finite positive numbers")
    q = smooth_targets(torch.tensor([true_class]), k, eps, convention, dtype=torch.float64)[0]
    return w * q / (w * q).sum()


def torch_loss_forms(logits: torch.Tensor, labels: torch.Tensor, eps: float) -> dict[str, float]:
    """The same loss three ways, each computed by torch itself:
    CrossEntropyLoss(label_smoothing=eps); CrossEntropyLoss on the smoothed probability targets;
    KLDivLoss(log_softmax, q, batchmean) + mean H(q)."""
    k = logits.shape[-1]
    q = smooth_targets(labels, k, eps, dtype=logits.dtype)
    entropy = float(-(q * torch.where(q > 0, q.log(), torch.zeros_like(q))).sum(-1).mean())
    kl = torch.nn.KLDivLoss(reduction="batchmean")(torch.log_softmax(logits, -1), q)
    return {
        "label_smoothing": float(torch.nn.CrossEntropyLoss(label_smoothing=eps)(logits, labels)),
        "soft_targets": float(torch.nn.CrossEntropyLoss()(logits, q)),
        "kl_plus_entropy": float(kl) + entropy,
    }


def fit_weighted_optimum(num_classes: int, eps: float, weights, true_class: int = 0) -> torch.Tensor:
    """Numerically minimise torch's CrossEntropyLoss(weight, label_smoothing) over free logits of
    one sample and return the softmax; it lands on weighted_optimum."""
    k = check_num_classes(num_classes)
    w = torch.as_tensor(weights, dtype=torch.float64)
    z = torch.zeros(1, k, dtype=torch.float64, requires_grad=True)
    loss_fn = torch.nn.CrossEntropyLoss(weight=w, label_smoothing=check_eps(eps))
    opt = torch.optim.LBFGS([z], lr=1, max_iter=200, tolerance_grad=1e-12, tolerance_change=1e-14)
    target = torch.tensor([true_class])

    def closure():
        opt.zero_grad()
        loss = loss_fn(z, target)
        loss.backward()
        return loss

    opt.step(closure)
    return torch.softmax(z.detach()[0], -1)


def ignore_index_forms(logits: torch.Tensor, labels: torch.Tensor, ignored: torch.Tensor, eps: float,
                       ignore_index: int = -100) -> dict[str, float]:
    """Rows marked ignored add nothing and the mean divides by the rows kept: the loss with
    ignore_index equals the loss over the kept rows alone."""
    marked = torch.where(ignored, torch.full_like(labels, ignore_index), labels)
    ce = torch.nn.CrossEntropyLoss(label_smoothing=eps, ignore_index=ignore_index)
    return {"with_ignore_index": float(ce(logits, marked)),
            "kept_rows_only": float(torch.nn.CrossEntropyLoss(label_smoothing=eps)(logits[~ignored],
                                                                                   labels[~ignored]))}
