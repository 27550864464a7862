"""Adam and SGD over one flat parameter buffer, following torch.optim step for step.

Weight decay is L2 added to the gradient, as torch.optim.Adam and SGD do. Learning rate, weight
decay and the step count live in device tensors, so a captured CUDA graph sees changes to them.
Entries marked frozen (a diverged model's) are left as they are.

On the CPU, while no entry is frozen, Adam takes its step in torch's fused kernel: one op where
the written-out step takes about twenty, each paying the dispatch cost that dominates small models.
"""
from __future__ import annotations

import torch

ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8
OPTIMISERS = ("adam", "sgd")


class Optimiser:
    def __init__(self, size: int, device: torch.device, lr: float, weight_decay: float):
        self.lr = torch.tensor(lr, device=device)
        self.weight_decay = torch.tensor(weight_decay, device=device)
        self.values = (lr, weight_decay)  # the same, as numbers
        self.steps_taken = torch.zeros((), device=device)
        self.decayed_grad = torch.zeros(size, device=device)
        self.update = torch.zeros(size, device=device)

    def set_hyperparameters(self, lr: float, weight_decay: float) -> None:
        self.lr.fill_(lr)
        self.weight_decay.fill_(weight_decay)
        self.values = (lr, weight_decay)

    def step(self, params: torch.Tensor, grads: torch.Tensor, frozen: torch.Tensor) -> None:
        g = torch.addcmul(grads, params, self.weight_decay, out=self.decayed_grad)
        self.steps_taken += 1
        self._write_update(g)
        params.sub_(self.update.masked_fill_(frozen, 0))

    def _write_update(self, g: torch.Tensor) -> None:
        raise NotImplementedError


class Adam(Optimiser):
    def __init__(self, size, device, lr, weight_decay):
        super().__init__(size, device, lr, weight_decay)
        self.exp_avg = torch.zeros(size, device=device)
        self.exp_avg_sq = torch.zeros(size, device=device)
        self.fused = device.type == "cpu"  # on CUDA the written-out step is captured in a graph

    def step(self, params, grads, frozen):
        if not self.fused or bool(frozen.any()):
            return super().step(params, grads, frozen)
        self.steps_taken += 1
        lr, weight_decay = self.values
        torch._fused_adam_([params], [grads], [self.exp_avg], [self.exp_avg_sq], [], [self.steps_taken],
                           lr=lr, beta1=ADAM_BETAS[0], beta2=ADAM_BETAS[1], weight_decay=weight_decay,
                           eps=ADAM_EPS, amsgrad=False, maximize=False)

    def _write_update(self, g):
        b1, b2 = ADAM_BETAS
        t = self.steps_taken
        self.exp_avg.mul_(b1).add_(g, alpha=1 - b1)
        self.exp_avg_sq.mul_(b2).addcmul_(g, g, value=1 - b2)
        bias1 = 1 - torch.pow(b1, t)
        bias2_sqrt = (1 - torch.pow(b2, t)).sqrt_()
        step = torch.sqrt(self.exp_avg_sq, out=self.update).div_(bias2_sqrt).add_(ADAM_EPS)
        torch.div(self.exp_avg, step, out=step).mul_(self.lr / bias1)


class SGD(Optimiser):
    def __init__(self, size, device, lr, weight_decay, momentum: float):
        super().__init__(size, device, lr, weight_decay)
        self.momentum = momentum
        self.momentum_buffer = torch.zeros(size, device=device)

    def _write_update(self, g):
        # torch.optim.SGD: the first step sets the momentum buffer to the gradient
        keep = self.momentum * (self.steps_taken != 1)
        self.momentum_buffer.mul_(keep).add_(g)
        torch.mul(self.momentum_buffer, self.lr, out=self.update)


def make_optimiser(name: str, size: int, device: torch.device, lr: float, weight_decay: float,
                   momentum: float = 0.0) -> Optimiser:
    if name == "adam":
        return Adam(size, device, lr, weight_decay)
    return SGD(size, device, lr, weight_decay, momentum)
