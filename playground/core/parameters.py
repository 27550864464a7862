"""The parameters of E stacked MLPs in one flat buffer, so one optimiser update covers them all.

W_l [E, fan_in, fan_out] and b_l [E, 1, fan_out] are views into `values`; their gradients are the
same views into `grads`. Layer l's block holds every model's W_l, then every model's b_l.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from playground.core.validation import check_int

MODULES = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU}


class ParameterStore:
    def __init__(self, n_models: int, sizes: list[int], device: torch.device):
        """sizes: the width of every layer, input and logits included ([2, 16, 16, 3])."""
        self.n_models = n_models
        self.shapes = list(zip(sizes[:-1], sizes[1:]))
        e = n_models
        total = sum(e * (fan_in * fan_out + fan_out) for fan_in, fan_out in self.shapes)
        self.device = device
        self.values = torch.empty(total, device=device)
        self.grads = torch.zeros(total, device=device)
        model_of_entry = torch.empty(total, dtype=torch.long)
        self.weights, self.biases, self.weight_grads, self.bias_grads = [], [], [], []
        pos = 0
        for fan_in, fan_out in self.shapes:
            w_end, b_end = pos + e * fan_in * fan_out, pos + e * (fan_in + 1) * fan_out
            for buf, ws, bs in ((self.values, self.weights, self.biases),
                                (self.grads, self.weight_grads, self.bias_grads)):
                ws.append(buf[pos:w_end].view(e, fan_in, fan_out))
                bs.append(buf[w_end:b_end].view(e, 1, fan_out))
            models = torch.arange(e)
            model_of_entry[pos:w_end] = models.repeat_interleave(fan_in * fan_out)
            model_of_entry[w_end:b_end] = models.repeat_interleave(fan_out)
            pos = b_end
        # which model each entry belongs to: freezes a diverged model's entries in one index_select
        self.model_of_entry = model_of_entry.to(device)

    @property
    def size(self) -> int:
        return self.values.numel()

    def initialise(self, model_seeds: list[int]) -> None:
        """nn.Linear's default init, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), drawn per seed, so models
        that share a seed start identical."""
        for seed in sorted(set(model_seeds)):
            gen = torch.Generator().manual_seed(seed)
            rows = [i for i, s in enumerate(model_seeds) if s == seed]
            for w, b, (fan_in, fan_out) in zip(self.weights, self.biases, self.shapes):
                bound = 1 / math.sqrt(fan_in)
                w_init = (torch.rand(fan_in, fan_out, generator=gen) * 2 - 1) * bound
                b_init = (torch.rand(1, fan_out, generator=gen) * 2 - 1) * bound
                w[rows] = w_init.to(self.device)
                b[rows] = b_init.to(self.device)

    def to_module(self, i: int, activation: str, dropout: float = 0.0) -> nn.Sequential:
        """Model i as a plain nn.Sequential with identical weights (on the CPU)."""
        i = check_int("i", i, 0, self.n_models - 1)
        layers: list[nn.Module] = []
        last = len(self.shapes) - 1
        for layer, ((fan_in, fan_out), w, b) in enumerate(zip(self.shapes, self.weights, self.biases)):
            lin = nn.Linear(fan_in, fan_out)
            with torch.no_grad():
                lin.weight.copy_(w[i].t().cpu())
                lin.bias.copy_(b[i, 0].cpu())
            layers.append(lin)
            if layer != last:
                if activation in MODULES:
                    layers.append(MODULES[activation]())
                if dropout > 0:
                    layers.append(nn.Dropout(dropout))
        return nn.Sequential(*layers)
