"""Training objectives as values: each gives its per-sample loss and its gradient with respect to
the logits in closed form, and the engine, the inspector and the gradients page all call the same
object (as TensorFlow Playground's ErrorFunction {error, der} and scikit-learn's LOSS_FUNCTIONS /
DERIVATIVES tables do).

Kinds, each with one value per model:
  "smoothing"           eps in [-1, 1]    CE against smoothed targets (Szegedy et al. 2016);
                                          eps < 0 is negative label smoothing (Wei et al. 2022)
  "confidence_penalty"  beta in [0, 10]   CE - beta * H(softmax(z))      (Pereyra et al. 2017)
  "focal"               gamma in [0, 10]  -(1 - p_y)^gamma * log p_y     (Lin et al. 2017)

Smoothing conventions (K classes): "uniform" q_t = 1 - eps + eps/K, q_o = eps/K (PyTorch);
"others" q_t = 1 - eps, q_o = eps/(K - 1) (fairseq). Both sum to 1 for every eps, negative too.

Negative eps makes q_o < 0, so -q_o log p_o -> -inf as p_o -> 0: the loss is unbounded below and
its gradient p - q never vanishes. Falling without bound is what that objective asks for, so the
engine does not count it as divergence (see objective_step).

Every closed form writes into buffers it is given (`write`), so a training step allocates nothing
and stays capturable as a CUDA graph; `loss_and_grad` wraps it for callers that want fresh tensors.
`reference_loss` is the plain autograd definition the tests hold the closed forms to.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from playground.core.smoothing import (
    check_convention,
    check_labels,
    check_num_classes,
    target_pair,
    target_values,
)
from playground.core.validation import check_choice, check_number, fail

SMOOTHING, CONFIDENCE_PENALTY, FOCAL = "smoothing", "confidence_penalty", "focal"


# ---- scratch space ------------------------------------------------------------------------
@dataclass(frozen=True)
class Scratch:
    """Work buffers of one batch: `classes` [E, B, K] and `samples`, a few [E, B] tensors."""
    classes: torch.Tensor
    samples: tuple[torch.Tensor, ...]

    @classmethod
    def empty(cls, models: int, batch: int, num_classes: int, device=None,
              dtype: torch.dtype = torch.float32, samples: int = 4) -> Scratch:
        def new(*shape):
            return torch.empty(*shape, device=device, dtype=dtype)
        return cls(new(models, batch, num_classes), tuple(new(models, batch) for _ in range(samples)))

    def models(self, start: int, stop: int) -> Scratch:
        """The rows of models start..stop-1 (views, so writes land in these buffers)."""
        return Scratch(self.classes[start:stop], tuple(s[start:stop] for s in self.samples))


# ---- closed forms -------------------------------------------------------------------------
# Each `write` gets logp = log_softmax(z) [e, B, K], the one-hot labels ([B, K] or [e, B, K]) and
# per-model coefficients shaped [e, 1, 1]; it writes the per-sample loss [e, B] and dL/dz [e, B, K].

def _smoothing_coefficients(values: torch.Tensor, k: int, convention: str) -> tuple[torch.Tensor, ...]:
    """(q_o, q_t - q_o): the target is q_o everywhere plus q_t - q_o on the true class."""
    true, other = target_pair(k, values, convention)
    return other, true - other


def _smoothing_write(logp, onehot, coef, loss, grad, s: Scratch) -> None:
    other, lift = coef
    q = torch.mul(onehot, lift, out=s.classes).add_(other)
    torch.exp(logp, out=grad).sub_(q)  # dL/dz = softmax(z) - q
    torch.sum(q.mul_(logp), -1, out=loss).neg_()  # -sum q log p


def _penalty_coefficients(values: torch.Tensor, k: int, convention: str) -> tuple[torch.Tensor, ...]:
    return (values,)


def _penalty_write(logp, onehot, coef, loss, grad, s: Scratch) -> None:
    (beta,) = coef
    p = torch.exp(logp, out=grad)
    neg_entropy = torch.sum(torch.mul(p, logp, out=s.classes), -1, out=s.samples[0])  # sum p log p
    torch.sum(torch.mul(onehot, logp, out=s.classes), -1, out=loss).neg_()  # -log p_y
    loss.addcmul_(neg_entropy, beta[..., 0])  # CE - beta H
    # dH/dz = -p (log p + H), so dL/dz = p - onehot + beta p (log p + H)
    torch.sub(logp, neg_entropy.unsqueeze(-1), out=s.classes).mul_(p).mul_(beta)
    grad.sub_(onehot).add_(s.classes)


def _focal_coefficients(values: torch.Tensor, k: int, convention: str) -> tuple[torch.Tensor, ...]:
    return (values,)


def _focal_write(logp, onehot, coef, loss, grad, s: Scratch) -> None:
    gamma = coef[0][..., 0]
    log_pt = torch.sum(torch.mul(onehot, logp, out=s.classes), -1, out=s.samples[0])
    rest = torch.expm1(log_pt, out=s.samples[1]).neg_()  # 1 - p_y, exact near p_y = 1
    weight = torch.pow(rest, gamma, out=s.samples[2])  # (1 - p_y)^gamma; 0^0 = 1 keeps gamma = 0 CE
    torch.mul(weight, log_pt, out=loss).neg_()
    # dL/dz = (softmax(z) - onehot) (1 - p_y)^gamma (1 - gamma p_y log p_y / (1 - p_y)); the ratio
    # tends to -1 as p_y -> 1, and where 1 - p_y underflows to 0 so does p_y log p_y, giving 0/tiny
    rest.clamp_min_(torch.finfo(rest.dtype).tiny)
    ratio = torch.exp(log_pt, out=s.samples[3]).mul_(log_pt).div_(rest)
    ratio.mul_(gamma).neg_().add_(1).mul_(weight)
    torch.exp(logp, out=grad).sub_(onehot).mul_(ratio.unsqueeze(-1))


# ---- the same quantities when the K - 1 other classes share 1 - p equally ----------------------
def _others(p: torch.Tensor, k: int) -> torch.Tensor:
    return (1 - p) / (k - 1)


def _entropy_at(p: torch.Tensor, k: int) -> torch.Tensor:
    return -torch.xlogy(p, p) - torch.xlogy(1 - p, _others(p, k))


def _smoothing_loss_at(p, k, eps, convention):
    q_true, _ = target_values(k, eps, convention, lowest=-1.0)
    return -torch.xlogy(torch.tensor(q_true, dtype=p.dtype), p) \
        - torch.xlogy(torch.tensor(1 - q_true, dtype=p.dtype), _others(p, k))


def _smoothing_true_grad(p, k, eps, convention):
    return p - target_values(k, eps, convention, lowest=-1.0)[0]


def _penalty_loss_at(p, k, beta, convention):
    return -torch.log(p) - beta * _entropy_at(p, k)


def _penalty_true_grad(p, k, beta, convention):
    return p - 1 + beta * (torch.xlogy(p, p) + p * _entropy_at(p, k))


def _focal_loss_at(p, k, gamma, convention):
    return -(1 - p) ** gamma * torch.log(p)


def _focal_true_grad(p, k, gamma, convention):
    rest = 1 - p
    return -rest ** gamma * (rest - gamma * torch.xlogy(p, p))


@dataclass(frozen=True)
class Variant:
    """One way the pages offer an objective: its name there, the part of the value's range a
    slider spans with its start and step, the values a comparison offers, and what it does."""
    title: str  # "negative smoothing"
    code: str  # short, for links: the value's own setting is f"{code}_{parameter}"
    value_label: str  # "ε of negative smoothing"
    lo: float
    hi: float
    default: float
    step: float
    examples: tuple[float, ...]
    about: str


@dataclass(frozen=True)
class Objective:
    """One training objective: its value's name and range, and its closed forms."""
    name: str
    title: str
    parameter: str  # the value's name in messages: "eps", "beta", "gamma"
    symbol: str
    lo: float
    hi: float
    source: str
    coefficients: Callable  # (values [E] float64, K, convention) -> per-model tensors [E]
    write: Callable  # (logp, onehot, coefficients [e,1,1], loss out, grad out, Scratch) -> None
    scratch_samples: int  # how many [E, B] scratch buffers `write` uses
    _loss_at: Callable
    _true_grad: Callable
    variants: tuple[Variant, ...] = ()

    def check(self, value, name: str | None = None) -> float:
        return check_number(name or self.parameter, value, self.lo, self.hi)

    def _confidence_args(self, p, num_classes, value, convention):
        k = check_num_classes(num_classes)
        t = torch.as_tensor(p, dtype=torch.float64)
        if not bool(torch.isfinite(t).all()) or bool((t < 0).any()) or bool((t > 1).any()):
            fail("p", p, "every value must be a probability in [0, 1]")
        return t, k, self.check(value), check_convention(convention)

    def loss_at(self, p, num_classes: int, value, convention: str = "uniform") -> torch.Tensor:
        """The loss when the true class gets probability p and the other K - 1 share 1 - p."""
        return self._loss_at(*self._confidence_args(p, num_classes, value, convention))

    def true_logit_grad(self, p, num_classes: int, value, convention: str = "uniform") -> torch.Tensor:
        """dL/dz_true at that point: negative pushes confidence up, positive pulls it back."""
        return self._true_grad(*self._confidence_args(p, num_classes, value, convention))

    def grad_norm_at(self, p, num_classes: int, value, convention: str = "uniform") -> torch.Tensor:
        """||dL/dz|| there. The gradient of any loss of softmax(z) sums to 0 over the classes, so
        with equal others each gets -g_true/(K - 1) and the norm is |g_true| sqrt(K/(K - 1))."""
        k = check_num_classes(num_classes)
        return self.true_logit_grad(p, k, value, convention).abs() * math.sqrt(k / (k - 1))


OBJECTIVES: dict[str, Objective] = {o.name: o for o in (
    Objective(SMOOTHING, "label smoothing", "eps", "ε", -1.0, 1.0,
              "Szegedy et al. 2016; negative eps: Wei et al. 2022",
              _smoothing_coefficients, _smoothing_write, 0, _smoothing_loss_at, _smoothing_true_grad, (
                  Variant("label smoothing", "sm", "ε of the smoothed model", 0.0, 1.0, 0.2, 0.01,
                          (0.0, 0.05, 0.1, 0.2, 0.3),
                          "targets 1 − ε + ε/K for the true class and ε/K for the others"),
                  Variant("negative smoothing", "nls", "ε of negative smoothing", -1.0, 0.0, -0.2, 0.01,
                          (-0.1, -0.2, -0.4),
                          "a negative ε: the true target exceeds 1 and the others go below 0, so the loss "
                          "has no lower bound (Wei et al. 2022); a run whose loss runs away is stopped as "
                          "diverged"))),
    Objective(CONFIDENCE_PENALTY, "confidence penalty", "beta", "β", 0.0, 10.0, "Pereyra et al. 2017",
              _penalty_coefficients, _penalty_write, 1, _penalty_loss_at, _penalty_true_grad, (
                  Variant("confidence penalty", "cp", "β, the confidence penalty's weight", 0.0, 5.0, 0.5,
                          0.05, (0.1, 0.5, 1.0, 2.0),
                          "cross-entropy − β·H(p): rewards spread-out predictions (Pereyra et al. 2017)"),)),
    Objective(FOCAL, "focal loss", "gamma", "γ", 0.0, 10.0, "Lin et al. 2017",
              _focal_coefficients, _focal_write, 4, _focal_loss_at, _focal_true_grad, (
                  Variant("focal loss", "fl", "γ, the focal loss's focus", 0.0, 5.0, 2.0, 0.1,
                          (0.5, 1.0, 2.0, 3.0, 5.0),
                          "−(1 − p_y)^γ · log p_y: down-weights points already classified well (Lin et al. "
                          "2017); γ = 0 is cross-entropy"),)),
)}
KINDS = tuple(OBJECTIVES)
# every variant the pages offer, by its title, with its objective, in the registry's order
VARIANTS: dict[str, tuple[Objective, Variant]] = {
    v.title: (o, v) for o in OBJECTIVES.values() for v in o.variants}


def is_cross_entropy(kind: str, value: float) -> bool:
    """Whether (kind, value) trains plain cross-entropy: every registered objective does at 0."""
    return kind in OBJECTIVES and value == 0


def get(kind) -> Objective:
    return OBJECTIVES[check_choice("objective", kind, KINDS)]


def check_objectives(pairs, name: str = "objectives") -> list[tuple[str, float]]:
    """A non-empty sequence of (kind, value) pairs, each checked against its kind's range."""
    if isinstance(pairs, (str, bytes)) or not isinstance(pairs, Sequence) or not pairs:
        fail(name, pairs, "must be a non-empty list of (kind, value) pairs")
    checked = []
    for i, pair in enumerate(pairs):
        if isinstance(pair, (str, bytes)) or not isinstance(pair, Sequence) or len(pair) != 2:
            fail(f"{name}[{i}]", pair, "must be a (kind, value) pair, kind one of " + ", ".join(KINDS))
        kind = check_choice(f"{name}[{i}] kind", pair[0], KINDS)
        checked.append((kind, OBJECTIVES[kind].check(pair[1], f"{name}[{i}].{OBJECTIVES[kind].parameter}")))
    return checked


def scratch_samples(kinds: Sequence[str]) -> int:
    return max(OBJECTIVES[kind].scratch_samples for kind in kinds)


def segments(kinds: Sequence[str]) -> list[tuple[str, int, int]]:
    """Runs of consecutive models with the same kind: (kind, start, stop)."""
    runs: list[tuple[str, int, int]] = []
    for i, kind in enumerate(kinds):
        if runs and runs[-1][0] == kind:
            runs[-1] = (kind, runs[-1][1], i + 1)
        else:
            runs.append((kind, i, i + 1))
    return runs


def coefficients(kind: str, values: Sequence[float], num_classes: int, convention: str,
                 device=None, dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, ...]:
    """A kind's per-model coefficients, shaped [e, 1, 1] to broadcast over samples and classes
    (computed in float64, then cast)."""
    v = torch.tensor(list(values), dtype=torch.float64)
    return tuple(c.to(device=device, dtype=dtype).reshape(-1, 1, 1).contiguous()
                 for c in get(kind).coefficients(v, num_classes, check_convention(convention)))


def _per_model(arg, n: int, name: str) -> list:
    if isinstance(arg, (str, numbers.Number)) or (torch.is_tensor(arg) and arg.dim() == 0):
        return [arg] * n
    values = list(arg)
    if len(values) != n:
        fail(name, arg, f"must be one value, or one per model ({n})")
    return values


def loss_and_grad(kind, logits: torch.Tensor, labels, value, convention: str = "uniform"
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample loss [..., B] and dL/dz [..., B, K], in closed form.

    logits [B, K] or [E, B, K]; labels [B]; kind and value one each, or one per model (E)."""
    if logits.dim() not in (2, 3):
        fail("logits", f"tensor of shape {tuple(logits.shape)}", "must have shape [B, K] or [E, B, K]")
    z = logits.detach()
    z = z.unsqueeze(0) if z.dim() == 2 else z
    e, b, k = z.shape
    y = check_labels(labels.cpu() if torch.is_tensor(labels) else labels, check_num_classes(k))
    if len(y) != b:
        fail("labels", f"{len(y)} labels", f"must give one label per sample ({b})")
    kinds = [get(kd).name for kd in _per_model(kind, e, "kind")]
    values = _per_model(value, e, "value")
    values = [OBJECTIVES[kd].check(float(v), f"value[{i}]" if e > 1 else None)
              for i, (kd, v) in enumerate(zip(kinds, values))]
    onehot = F.one_hot(y, k).to(device=z.device, dtype=z.dtype)
    logp = torch.log_softmax(z, -1)
    loss = torch.empty(e, b, device=z.device, dtype=z.dtype)
    grad = torch.empty_like(z)
    scratch = Scratch.empty(e, b, k, z.device, z.dtype, scratch_samples(kinds))
    for kd, start, stop in segments(kinds):
        coef = coefficients(kd, values[start:stop], k, convention, z.device, z.dtype)
        OBJECTIVES[kd].write(logp[start:stop], onehot, coef, loss[start:stop], grad[start:stop],
                             scratch.models(start, stop))
    if logits.dim() == 2:
        return loss[0], grad[0]
    return loss, grad


def logit_grad(kind, logits, labels, value, convention: str = "uniform") -> torch.Tensor:
    """dL/dz of each sample's loss (not divided by the batch size)."""
    return loss_and_grad(kind, logits, labels, value, convention)[1]


# ---- references ---------------------------------------------------------------------------
def reference_loss(kind, logits: torch.Tensor, labels: torch.Tensor, value, convention: str = "uniform"
                   ) -> torch.Tensor:
    """Batch-mean loss for logits [B, K], written plainly from each definition with autograd-able
    ops: what the closed forms and the engine are checked against."""
    objective = get(kind)
    value = objective.check(value)
    k = logits.shape[-1]
    logp = torch.log_softmax(logits, -1)
    log_pt = logp.gather(-1, labels.unsqueeze(-1)).squeeze(-1)
    if objective.name == SMOOTHING:
        q_true, q_other = target_values(k, value, convention, lowest=-1.0)
        onehot = F.one_hot(labels, k).to(logits.dtype)
        q = onehot * q_true + (1 - onehot) * q_other
        per_sample = -(q * logp).sum(-1)
    elif objective.name == CONFIDENCE_PENALTY:
        p = torch.softmax(logits, -1)
        entropy = -(p * logp).sum(-1)
        per_sample = -log_pt - value * entropy
    else:
        p_true = torch.softmax(logits, -1).gather(-1, labels.unsqueeze(-1)).squeeze(-1)
        per_sample = -(1 - p_true) ** value * log_pt
    return per_sample.mean()


def reference_distillation_loss(kind, logits: torch.Tensor, labels: torch.Tensor, value,
                                soft_targets: torch.Tensor, temperature: float, alpha: float,
                                convention: str = "uniform") -> torch.Tensor:
    """Hinton et al. 2015: alpha T^2 CE(softmax(z/T), q_T) + (1 - alpha) L(z, y), with q_T the
    teacher's probabilities at temperature T and L the model's own objective."""
    soft = -(soft_targets * torch.log_softmax(logits / temperature, -1)).sum(-1).mean()
    return alpha * temperature ** 2 * soft + (1 - alpha) * reference_loss(kind, logits, labels, value,
                                                                         convention)
