"""The objective part of a training step: every model's loss and dL/dlogits for one batch, each
from its own objective's closed form, plus optional distillation; it also flags diverged models.

Models are grouped into runs of the same kind, and each run's closed form writes into its rows of
the shared buffers. Per-model coefficients, distillation weights and the divergence limit live in
device tensors updated in place, so replayed CUDA graphs see new values.

Distillation (Hinton, Vinyals & Dean 2015): with soft targets q_T, the teacher's probabilities at
temperature T, a student's loss is alpha T^2 CE(softmax(z/T), q_T) + (1 - alpha) L(z, y), where L
is the model's own objective (plain CE for smoothing with eps = 0, which is Hinton's form). The
T^2 keeps the soft part's gradient, alpha T (softmax(z/T) - q_T), on the hard part's scale.

Divergence: a model has diverged once its mean batch loss is NaN or +-inf, or above
DIVERGED_LOSS_FACTOR log K times the loss's chance-level scale (1, or alpha T^2 + 1 - alpha when
distilling). No lower limit: with negative smoothing the loss falls without bound as the logit
gap grows (about |eps| (K-1)/K per unit of gap), which is that objective working, not breaking;
a run that truly blows up reaches inf or NaN logits and is caught by the finiteness test.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from playground.core import objectives
from playground.core.objectives import Scratch
from playground.core.validation import check_number, fail

# chance level is log K; no run that learns gets near 50 log K, while SGD at lr 10 swings to hundreds
DIVERGED_LOSS_FACTOR = 50.0
MAX_TEMPERATURE = 100.0
SOFT_TARGET_TOLERANCE = 1e-3  # how far a soft target's row sum may be from 1


@dataclass
class ObjectiveBuffers:
    """Buffers of one batch size, with each run's views prepared once."""
    logp: torch.Tensor  # [E, B, K]
    loss: torch.Tensor  # [E, B] per-sample loss
    mean_loss: torch.Tensor  # [E]
    finite_low: torch.Tensor  # [E] bool
    within_limit: torch.Tensor  # [E] bool
    scratch: Scratch
    runs: list[tuple]  # (write, coefficients, logp rows, loss rows, grad rows, scratch rows)
    grad: torch.Tensor  # [E, B, K]: where dL/dlogits goes
    scaled: torch.Tensor | None = None  # distillation: z/T, then softmax(z/T) - q
    scaled_logp: torch.Tensor | None = None
    soft_loss: torch.Tensor | None = None
    work: torch.Tensor | None = None  # [E, B, K]: exp(z - max) while taking a log-softmax (CPU)
    lse: torch.Tensor | None = None  # [E, B, 1]: the max, then log-sum-exp


def log_softmax(z: torch.Tensor, out: torch.Tensor, bufs: ObjectiveBuffers) -> torch.Tensor:
    """log softmax(z) over the classes into `out`. On the CPU, written out in five ops: torch's
    kernel reduces over the last dimension slowly when it holds only a few classes (1.1 ms
    against 0.4 ms for 45 models × 750 points × 4 classes)."""
    if bufs.work is None:
        return torch.ops.aten._log_softmax.out(z, -1, False, out=out)
    torch.amax(z, -1, keepdim=True, out=bufs.lse)
    torch.sub(z, bufs.lse, out=out)
    torch.exp(out, out=bufs.work)
    torch.sum(bufs.work, -1, keepdim=True, out=bufs.lse).log_()
    return out.sub_(bufs.lse)


@dataclass(frozen=True)
class Distillation:
    targets: torch.Tensor  # [E, N, K], the teacher's probabilities at temperature T
    temperature: list[float]  # per model: one engine can distil at several temperatures
    alpha: float


class ObjectiveStep:
    def __init__(self, kinds: Sequence[str], values: Sequence[float], num_classes: int, convention: str,
                 device: torch.device):
        self.kinds = list(kinds)
        self.num_classes = num_classes
        self.convention = convention
        self.device = device
        self.runs = objectives.segments(self.kinds)
        self.coefficients = [objectives.coefficients(kind, values[a:b], num_classes, convention, device)
                             for kind, a, b in self.runs]
        self.values = list(values)
        self.diverged = torch.zeros(len(self.kinds), dtype=torch.bool, device=device)
        self.distillation: Distillation | None = None
        # distillation weights as device tensors, per model: 1/T, alpha T, alpha T^2; and 1 - alpha
        e = len(self.kinds)
        self._inv_t, self._alpha_t = torch.ones(e, 1, 1, device=device), torch.ones(e, 1, 1, device=device)
        self._alpha_t2, self._hard_weight = torch.ones(e, 1, device=device), torch.ones((), device=device)
        self.limit = torch.full((e,), DIVERGED_LOSS_FACTOR * math.log(num_classes), device=device)

    @property
    def n_models(self) -> int:
        return len(self.kinds)

    # ---- settings ---------------------------------------------------------------------
    def set_values(self, values: Sequence[float]) -> None:
        """New per-model values (already checked), kinds unchanged; written in place."""
        for (kind, a, b), coef in zip(self.runs, self.coefficients):
            fresh = objectives.coefficients(kind, values[a:b], self.num_classes, self.convention, self.device)
            for old, new in zip(coef, fresh):
                old.copy_(new)
        self.values = list(values)

    def set_soft_targets(self, targets: torch.Tensor | None, n_train: int,
                         temperature: float | Sequence[float] = 1.0, alpha: float = 0.5) -> bool:
        """Distil towards `targets` ([E, N, K] or [N, K] for all models) at `temperature` (one for
        all models, or one per model), or stop with None. Returns whether distillation was switched
        on or off (the step's ops change)."""
        was_on = self.distillation is not None
        if targets is None:
            self.distillation = None
            self.limit.fill_(DIVERGED_LOSS_FACTOR * math.log(self.num_classes))
            return was_on
        many = isinstance(temperature, Sequence) or (torch.is_tensor(temperature) and temperature.ndim)
        temps = list(temperature) if many else [temperature] * self.n_models
        if len(temps) != self.n_models:
            fail("temperature", temps, f"must give one temperature, or one per model ({self.n_models})")
        temps = [check_number("temperature", t, 0.0, MAX_TEMPERATURE, lo_open=True) for t in temps]
        a = check_number("alpha", alpha, 0.0, 1.0)
        q = check_soft_targets(targets, self.n_models, n_train, self.num_classes).to(self.device)
        if was_on and self.distillation.targets.shape == q.shape:
            self.distillation.targets.copy_(q)  # same buffer: captured graphs read the new values
            q = self.distillation.targets
        self.distillation = Distillation(q, temps, a)
        t = torch.tensor(temps, dtype=torch.float64)
        self._inv_t.copy_((1 / t).view(-1, 1, 1))  # in place: captured graphs read the new values
        self._alpha_t.copy_((a * t).view(-1, 1, 1))
        self._alpha_t2.copy_((a * t * t).view(-1, 1))
        self._hard_weight.fill_(1 - a)
        scale = (a * t * t + 1 - a).clamp_min(1.0)
        self.limit.copy_(DIVERGED_LOSS_FACTOR * math.log(self.num_classes) * scale)
        return not was_on

    # ---- buffers ------------------------------------------------------------------------
    def buffers(self, batch: int, grad: torch.Tensor) -> ObjectiveBuffers:
        """Buffers for one batch size; dL/dlogits will be written into `grad` [E, B, K]."""
        e, k, dev = self.n_models, self.num_classes, self.device
        scratch = Scratch.empty(e, batch, k, dev, samples=objectives.scratch_samples(self.kinds))
        logp = torch.empty(e, batch, k, device=dev)
        loss = torch.empty(e, batch, device=dev)
        runs = [(objectives.OBJECTIVES[kind].write, coef, logp[a:b], loss[a:b], grad[a:b],
                 scratch.models(a, b)) for (kind, a, b), coef in zip(self.runs, self.coefficients)]
        flags = [torch.empty(e, dtype=torch.bool, device=dev) for _ in range(2)]
        bufs = ObjectiveBuffers(logp, loss, torch.empty(e, device=dev), *flags, scratch, runs, grad)
        if dev.type == "cpu":
            bufs.work, bufs.lse = torch.empty(e, batch, k, device=dev), torch.empty(e, batch, 1, device=dev)
        if self.distillation is not None:
            bufs.scaled = torch.empty(e, batch, k, device=dev)
            bufs.scaled_logp = torch.empty(e, batch, k, device=dev)
            bufs.soft_loss = torch.empty(e, batch, device=dev)
        return bufs

    # ---- the step -----------------------------------------------------------------------
    def __call__(self, logits: torch.Tensor, onehot: torch.Tensor, soft: torch.Tensor | None,
                 bufs: ObjectiveBuffers) -> torch.Tensor:
        """Write the batch-mean loss's dL/dlogits into bufs.grad and flag diverged models."""
        self.per_sample(logits, onehot, soft, bufs)
        torch.mean(bufs.loss, -1, out=bufs.mean_loss)
        self._flag_divergence(bufs)
        return bufs.grad.div_(logits.shape[1])

    def per_sample(self, logits, onehot, soft, bufs: ObjectiveBuffers) -> None:
        """Per-sample loss into bufs.loss and its dL/dlogits into bufs.grad."""
        log_softmax(logits, bufs.logp, bufs)
        for (write, coef, logp, loss, grad, scratch), (_, a, b) in zip(bufs.runs, self.runs):
            write(logp, onehot if onehot.dim() == 2 else onehot[a:b], coef, loss, grad, scratch)
        if self.distillation is not None:
            self._distil(logits, soft, bufs)

    def _distil(self, logits, soft, bufs: ObjectiveBuffers) -> None:
        scaled = torch.mul(logits, self._inv_t, out=bufs.scaled)
        logq = log_softmax(scaled, bufs.scaled_logp, bufs)
        # sum q log softmax(z/T) = -CE; the loss is (1 - alpha) L - alpha T^2 (-CE)
        torch.sum(torch.mul(soft, logq, out=scaled), -1, out=bufs.soft_loss).mul_(self._alpha_t2)
        bufs.loss.mul_(self._hard_weight).sub_(bufs.soft_loss)
        torch.exp(logq, out=scaled).sub_(soft).mul_(self._alpha_t)
        bufs.grad.mul_(self._hard_weight).add_(scaled)

    def _flag_divergence(self, bufs: ObjectiveBuffers) -> None:
        # NaN fails both comparisons; +inf fails the first, -inf the second
        torch.le(bufs.mean_loss, self.limit, out=bufs.within_limit)
        torch.gt(bufs.mean_loss, -math.inf, out=bufs.finite_low)
        self.diverged.logical_or_(bufs.within_limit.logical_and_(bufs.finite_low).logical_not_())

    def mean_loss(self, logits: torch.Tensor, onehot: torch.Tensor, soft: torch.Tensor | None
                  ) -> torch.Tensor:
        """Each model's batch-mean training loss [E] (for evaluation; allocates)."""
        bufs = self.buffers(logits.shape[1], torch.empty_like(logits))
        self.per_sample(logits, onehot, soft, bufs)
        return bufs.loss.mean(-1)


def check_soft_targets(targets, n_models: int, n_train: int, num_classes: int) -> torch.Tensor:
    """Probabilities [E, N, K], or [N, K] shared by every model, each row summing to 1."""
    q = torch.as_tensor(targets)
    if not q.dtype.is_floating_point:
        fail("soft targets", f"tensor of dtype {q.dtype}", "must hold floating-point probabilities")
    q = q.detach().to(device="cpu", dtype=torch.float32)
    if q.dim() == 2:
        q = q.expand(n_models, *q.shape)
    if tuple(q.shape) != (n_models, n_train, num_classes):
        fail("soft targets", f"tensor of shape {tuple(targets.shape)}",
             f"must have shape [{n_models}, {n_train}, {num_classes}] or [{n_train}, {num_classes}]")
    if not bool(torch.isfinite(q).all()) or bool((q < 0).any()):
        fail("soft targets", "a tensor with negative or non-finite entries",
             "every entry must be a probability")
    worst = float((q.sum(-1) - 1).abs().max()) if q.numel() else 0.0
    if worst > SOFT_TARGET_TOLERANCE:
        fail("soft targets", f"rows summing to 1 ± {worst:.3g}", "each row must sum to 1")
    return q.contiguous()
