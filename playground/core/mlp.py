"""Forward and hand-written backward pass of E stacked MLPs, batched over the models.

In training every step writes into the buffers of a `NetworkBuffers`, one set per batch size, so
it allocates nothing and can be captured as a CUDA graph. Inverted dropout on the hidden layers
multiplies each activation by a scale that is 0 (dropped, probability p) or 1/(1 - p) (kept):
uniform noise is drawn into the scale buffer with the engine's own generator, then turned into
the scale in place. The same scale multiplies the gradient on the way back.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from playground.core.parameters import ParameterStore

ACTIVATIONS = ("relu", "tanh", "sigmoid", "gelu", "linear")


def activate(name: str, z: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
    """h = act(z), written into `out` when given."""
    if name == "linear":
        return z
    out = torch.empty_like(z) if out is None else out
    if name == "relu":
        return torch.clamp_min(z, 0, out=out)
    if name == "tanh":
        return torch.tanh(z, out=out)
    if name == "sigmoid":
        return torch.sigmoid(z, out=out)
    return torch.ops.aten.gelu.out(z, out=out)


def activation_grad(name: str, z: torch.Tensor, h: torch.Tensor, dh: torch.Tensor,
                    out: torch.Tensor) -> torch.Tensor:
    """dL/dz from dL/dh for h = act(z), with the fused kernels autograd itself uses."""
    aten = torch.ops.aten
    if name == "relu":
        return aten.threshold_backward.grad_input(dh, h, 0, grad_input=out)
    if name == "tanh":
        return aten.tanh_backward.grad_input(dh, h, grad_input=out)
    if name == "sigmoid":
        return aten.sigmoid_backward.grad_input(dh, h, grad_input=out)
    if name == "gelu":
        return aten.gelu_backward.grad_input(dh, z, grad_input=out)
    return dh


@dataclass
class NetworkBuffers:
    """Per layer l: pre-activations z, activations h, their gradients, and with dropout the
    scale of each unit and the activation after it (the next layer's input)."""
    z: list[torch.Tensor]
    h: list[torch.Tensor]
    dh: list[torch.Tensor]
    dz: list[torch.Tensor]
    dropout_scale: list[torch.Tensor]
    dropped: list[torch.Tensor]

    @classmethod
    def empty(cls, models: int, batch: int, widths: list[int], dropout: bool,
              device: torch.device) -> NetworkBuffers:
        """widths: the output width of every layer (hidden ones, then the logits)."""
        def new(o):
            return torch.empty(models, batch, o, device=device)
        hidden = widths[:-1]
        return cls([new(o) for o in widths], [new(o) for o in hidden], [new(o) for o in hidden],
                   [new(o) for o in widths], [new(o) for o in hidden] if dropout else [],
                   [new(o) for o in hidden] if dropout else [])


@dataclass
class Activations:
    """zs: pre-activations per layer; hs: activations of the hidden layers before dropout;
    inputs: each layer's input (the points, then the hidden activations after dropout)."""
    zs: list[torch.Tensor]
    hs: list[torch.Tensor]
    inputs: list[torch.Tensor]

    @property
    def logits(self) -> torch.Tensor:
        return self.zs[-1]


def forward(store: ParameterStore, x: torch.Tensor, activation: str, buffers: NetworkBuffers | None = None,
            dropout: float = 0.0, generator: torch.Generator | Sequence[torch.Generator] | None = None
            ) -> Activations:
    """Every model on points x [B, 2] (shared) or [E, B, 2] (each model its own). Dropout applies
    only with buffers (a training step). `generator` is one stream for every model's masks, or S
    streams, model m drawing from stream m % S (one per seed index)."""
    last = len(store.weights) - 1
    h = x if x.dim() == 3 else x.expand(store.n_models, *x.shape)
    out = Activations([], [], [h])
    drop = buffers is not None and dropout > 0
    for layer, (w, b) in enumerate(zip(store.weights, store.biases)):
        z = torch.baddbmm(b, h, w, out=buffers.z[layer]) if buffers else torch.baddbmm(b, h, w)
        out.zs.append(z)
        if layer == last:
            break
        h = activate(activation, z, buffers.h[layer] if buffers else None)
        out.hs.append(h)
        if drop:
            scale = buffers.dropout_scale[layer]
            draw_uniform(scale, generator)
            scale.ge_(dropout).mul_(1 / (1 - dropout))  # u >= p keeps the unit
            h = torch.mul(h, scale, out=buffers.dropped[layer])
        out.inputs.append(h)
    return out


def draw_uniform(out: torch.Tensor, generator: torch.Generator | Sequence[torch.Generator] | None) -> None:
    """U(0, 1) noise into out [E, ...]: from one stream, or from S streams, rows m % S == j from stream
    j in the order a one-seed engine of those rows would draw them."""
    streams = [generator] if generator is None or isinstance(generator, torch.Generator) else list(generator)
    if len(streams) == 1:
        torch.rand(out.shape, generator=streams[0], out=out)
        return
    per_seed = out.view(-1, len(streams), *out.shape[1:])  # [slots, S, ...]
    for j, stream in enumerate(streams):  # a loop over seeds, not over models
        per_seed[:, j].copy_(torch.rand(per_seed[:, j].shape, generator=stream, device=out.device))


def backward(store: ParameterStore, x: torch.Tensor, acts: Activations, dz: torch.Tensor,
             activation: str, buffers: NetworkBuffers, dropout: float = 0.0) -> None:
    """Gradients of every parameter into store.grads, from dL/dlogits dz [E, B, K]."""
    for layer in range(len(store.weights) - 1, -1, -1):
        if layer == 0 and x.dim() == 2:
            torch.matmul(x.t(), dz, out=store.weight_grads[0])
        elif layer == 0:
            torch.bmm(x.transpose(1, 2), dz, out=store.weight_grads[0])
        else:
            torch.bmm(acts.inputs[layer].transpose(1, 2), dz, out=store.weight_grads[layer])
        torch.sum(dz, dim=1, keepdim=True, out=store.bias_grads[layer])
        if layer:
            dh = torch.bmm(dz, store.weights[layer].transpose(1, 2), out=buffers.dh[layer - 1])
            if dropout > 0:
                dh.mul_(buffers.dropout_scale[layer - 1])
            dz = activation_grad(activation, acts.zs[layer - 1], acts.hs[layer - 1], dh,
                                 buffers.dz[layer - 1])
