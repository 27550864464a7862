"""The batched trainer: E small MLPs (one per eps and seed) held as stacked weight tensors.

Every step is one set of batched tensor ops over all models: a hand-written forward and
backward pass, then one Adam or SGD update over a single flat parameter buffer. The update
follows torch.optim exactly (L2 weight decay added to the gradient, as torch.optim.Adam and
SGD do), so model i matches an nn.Module trained by torch.optim on
nn.CrossEntropyLoss(label_smoothing=eps_i). A step never syncs with the host, which lets
CUDA replay it as a captured graph.

Mini-batches: each epoch draws torch.randperm(N, generator=torch.Generator().manual_seed(seed))
from one generator kept across epochs, and takes consecutive slices of batch_size (the last
one may be smaller). All models see the same batches.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from types import SimpleNamespace

import numpy as np
import torch
from torch import nn

from playground import metrics
from playground.datasets import Dataset
from playground.limits import gpu_gate
from playground.smoothing import check_convention, check_eps_grid, smooth_targets
from playground.validation import check_choice, check_int, check_number, fail

ACTIVATIONS = ("relu", "tanh", "sigmoid", "gelu", "linear")
OPTIMIZERS = ("adam", "sgd")
DEVICES = ("auto", "cpu", "cuda")
MAX_MODELS = 4096
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8
GRAPH_WARMUP_STEPS = 3
HISTORY_CAP = 4000  # evaluations kept; past it the history is thinned to half
# A model has diverged once its batch loss is NaN, inf or above this many times log K (chance
# level is log K; no run that learns gets near 50 log K, while SGD at lr 10 swings to hundreds).
DIVERGED_LOSS_FACTOR = 50.0


@dataclass(frozen=True)
class TrainConfig:
    """Network and optimiser settings shared by every model of one engine."""
    hidden_layers: int = 2
    units: int = 16
    activation: str = "tanh"
    optimizer: str = "adam"
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 0.0
    batch_size: int = 0  # 0 trains on the full batch
    seed: int = 0
    convention: str = "uniform"
    device: str = "auto"

    def validated(self) -> TrainConfig:
        check_int("hidden_layers", self.hidden_layers, 0, 6)
        check_int("units", self.units, 1, 256)
        check_choice("activation", self.activation, ACTIVATIONS)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_number("lr", self.lr, 0.0, 100.0, lo_open=True)
        check_number("momentum", self.momentum, 0.0, 1.0, hi_open=True)
        check_number("weight_decay", self.weight_decay, 0.0, 1.0)
        check_int("batch_size", self.batch_size, 0, 1_000_000)
        check_int("seed", self.seed, 0, 2**31 - 1)
        check_convention(self.convention)
        check_choice("device", self.device, DEVICES)
        return replace(self, hidden_layers=int(self.hidden_layers), units=int(self.units),
                       batch_size=int(self.batch_size), seed=int(self.seed))

    @property
    def widths(self) -> list[int]:
        return [self.units] * self.hidden_layers



def cuda_available() -> bool:
    return torch.cuda.is_available()


def resolve_device(name: str = "auto") -> torch.device:
    """"auto" is CUDA when present, else the CPU; "cuda" without a GPU is a ValueError."""
    check_choice("device", name, DEVICES)
    if name == "cuda" and not cuda_available():
        fail("device", name, "no CUDA device is available here; use 'auto' or 'cpu'")
    if name == "auto":
        name = "cuda" if cuda_available() else "cpu"
    return torch.device(name)


def _activate(name: str, z: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
    """h = act(z), written into `out` when given (the training step reuses its buffers)."""
    if name == "linear":
        return z
    out = torch.empty_like(z) if out is None else out
    if name == "relu":
        return torch.clamp_min(z, 0, out=out)
    if name == "tanh":
        if z.is_cuda:
            return torch.tanh(z, out=out)
        # tanh(z) = 2 sigmoid(2z) - 1: torch's CPU sigmoid kernel is several times faster than its tanh
        return torch.mul(z, 2, out=out).sigmoid_().mul_(2).sub_(1)
    if name == "sigmoid":
        return torch.sigmoid(z, out=out)
    return torch.ops.aten.gelu.out(z, out=out)


def _activation_grad(name: str, z: torch.Tensor, h: torch.Tensor, dh: torch.Tensor,
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


_MODULES = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU}


@dataclass(frozen=True)
class Prediction:
    """Outputs of every model at M points: logits and probs [E, M, K], and the penultimate
    activations [E, M, H] (the input points, [E, M, 2], when there is no hidden layer)."""
    logits: torch.Tensor
    probs: torch.Tensor
    penultimate: torch.Tensor


class Engine:
    """Trains len(eps) * n_seeds MLPs at once. Model index = eps_index * n_seeds + seed_index.

    Models with the same seed start from identical weights, whatever their eps.
    """

    def __init__(self, data: Dataset, eps: Sequence[float] | float, config: TrainConfig = TrainConfig(),
                 n_seeds: int = 1, use_cuda_graphs: bool = True):
        self.config = config.validated()
        eps_grid = check_eps_grid(eps)
        self.n_seeds = check_int("n_seeds", n_seeds, 1, 100)
        self.model_eps = [e for e in eps_grid for _ in range(self.n_seeds)]
        self.model_seed = [self.config.seed + j for _ in eps_grid for j in range(self.n_seeds)]
        self.n_models = len(self.model_eps)
        if self.n_models > MAX_MODELS:
            fail("models", self.n_models, f"len(eps) * n_seeds must be at most {MAX_MODELS}")
        self.device = resolve_device(self.config.device)
        self.num_classes = data.num_classes
        self.step = 0
        self.history: list[dict] = []
        dev = self.device
        self.x_train = torch.as_tensor(data.x_train, device=dev)
        self.y_train = torch.as_tensor(data.y_train, device=dev)
        self.x_test = torch.as_tensor(data.x_test, device=dev)
        self.y_test = torch.as_tensor(data.y_test, device=dev)
        self.n_train = len(data.y_train)
        bs = self.config.batch_size
        self.batch_size = self.n_train if bs == 0 or bs >= self.n_train else bs
        self._targets = torch.empty(self.n_models, self.n_train, self.num_classes, device=dev)
        self.set_eps(self.model_eps)
        self._build_parameters()
        self._lr = torch.tensor(self.config.lr, device=dev)
        self._wd = torch.tensor(self.config.weight_decay, device=dev)
        self._t = torch.zeros((), device=dev)
        self._dead = torch.zeros(self.n_models, dtype=torch.bool, device=dev)
        self._blowup = DIVERGED_LOSS_FACTOR * math.log(self.num_classes)
        self._workspaces: dict[int, SimpleNamespace] = {}
        self._order = torch.Generator().manual_seed(self.config.seed)
        self._batches: list[torch.Tensor] = []
        self.use_cuda_graphs = use_cuda_graphs and dev.type == "cuda"
        self._graphs: dict[int, torch.cuda.CUDAGraph] = {}
        self._graph_idx: dict[int, torch.Tensor] = {}
        self._warm: dict[int, int] = {}
        self.graph_error: str | None = None

    # ---- parameters -------------------------------------------------------------------
    def _build_parameters(self) -> None:
        """One flat buffer holds every parameter of every model; W_l and b_l are views into it."""
        widths = [2, *self.config.widths, self.num_classes]
        self.shapes = list(zip(widths[:-1], widths[1:]))
        e = self.n_models
        sizes = [e * (i * o + o) for i, o in self.shapes]
        total = sum(sizes)
        dev = self.device
        self._flat = torch.empty(total, device=dev)
        self._grad = torch.zeros(total, device=dev)
        self._m = torch.zeros(total, device=dev)
        self._v = torch.zeros(total, device=dev)
        self._g = torch.zeros(total, device=dev)
        self._step = torch.zeros(total, device=dev)
        self._dead_flat = torch.zeros(total, dtype=torch.bool, device=dev)
        owner = torch.empty(total, dtype=torch.long)
        self.weights, self.biases, self._gw, self._gb = [], [], [], []
        pos = 0
        for fan_in, fan_out in self.shapes:
            w_end, b_end = pos + e * fan_in * fan_out, pos + e * (fan_in + 1) * fan_out
            for buf, ws, bs in ((self._flat, self.weights, self.biases), (self._grad, self._gw, self._gb)):
                ws.append(buf[pos:w_end].view(e, fan_in, fan_out))
                bs.append(buf[w_end:b_end].view(e, 1, fan_out))
            models = torch.arange(e)
            owner[pos:w_end] = models.repeat_interleave(fan_in * fan_out)
            owner[w_end:b_end] = models.repeat_interleave(fan_out)
            pos = b_end
        self._owner = owner.to(dev)
        self._initialise()

    def _initialise(self) -> None:
        """nn.Linear's default init, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), drawn per seed."""
        seeds = sorted(set(self.model_seed))
        for seed in seeds:
            gen = torch.Generator().manual_seed(seed)
            rows = [i for i, s in enumerate(self.model_seed) if s == seed]
            for w, b, (fan_in, fan_out) in zip(self.weights, self.biases, self.shapes):
                bound = 1 / math.sqrt(fan_in)
                w_init = (torch.rand(fan_in, fan_out, generator=gen) * 2 - 1) * bound
                b_init = (torch.rand(1, fan_out, generator=gen) * 2 - 1) * bound
                w[rows] = w_init.to(self.device)
                b[rows] = b_init.to(self.device)

    # ---- settings that apply mid-run -------------------------------------------------
    def set_eps(self, eps: Sequence[float]) -> None:
        """Replace every model's eps (one value per model) without touching its weights."""
        values = check_eps_grid(eps)
        if len(values) != getattr(self, "n_models", len(values)):
            fail("eps", eps, f"must give one value per model ({self.n_models})")
        q = smooth_targets(self.y_train.cpu(), self.num_classes, values, self.config.convention)
        self._targets.copy_(q)
        self.model_eps = values

    def set_hyperparameters(self, lr: float | None = None, weight_decay: float | None = None) -> None:
        config = replace(self.config, lr=self.config.lr if lr is None else lr,
                         weight_decay=self.config.weight_decay if weight_decay is None else weight_decay)
        self.config = config.validated()  # the same checks as at construction
        self._lr.fill_(float(self.config.lr))
        self._wd.fill_(float(self.config.weight_decay))

    # ---- the model --------------------------------------------------------------------
    def _workspace(self, batch: int) -> SimpleNamespace:
        """Preallocated buffers for one batch size, so a training step allocates nothing large."""
        ws = self._workspaces.get(batch)
        if ws is None:
            e, k, dev = self.n_models, self.num_classes, self.device
            outs = [fan_out for _, fan_out in self.shapes]
            new = lambda *shape: torch.empty(*shape, device=dev)  # noqa: E731
            ws = SimpleNamespace(
                x=new(batch, 2), q=new(e, batch, k), logp=new(e, batch, k), prod=new(e, batch, k),
                z=[new(e, batch, o) for o in outs], h=[new(e, batch, o) for o in outs[:-1]],
                dh=[new(e, batch, o) for o in outs[:-1]], dz=[new(e, batch, o) for o in outs])
            self._workspaces[batch] = ws
        return ws

    def _forward(self, x: torch.Tensor, ws: SimpleNamespace | None = None
                 ) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Pre-activations zs and activations hs (hs[0] is the input, hs[-1] the logits)."""
        act = self.config.activation
        last = len(self.weights) - 1
        h = x.expand(self.n_models, *x.shape)
        zs, hs = [], [h]
        for layer, (w, b) in enumerate(zip(self.weights, self.biases)):
            z = torch.baddbmm(b, h, w, out=ws.z[layer]) if ws else torch.baddbmm(b, h, w)
            h = z if layer == last else _activate(act, z, ws.h[layer] if ws else None)
            zs.append(z)
            hs.append(h)
        return zs, hs

    def _update(self, x: torch.Tensor, q: torch.Tensor, ws: SimpleNamespace) -> None:
        """One optimiser step for every model on batch x [B, 2] with targets q [E, B, K]."""
        act = self.config.activation
        zs, hs = self._forward(x, ws)
        logp = torch.ops.aten._log_softmax.out(hs[-1], -1, False, out=ws.logp)
        loss = torch.mul(q, logp, out=ws.prod).sum(-1).mean(-1).neg_()
        self._dead.logical_or_(~(loss <= self._blowup))  # NaN fails every comparison
        dz = torch.exp(logp, out=ws.dz[-1]).sub_(q).div_(x.shape[0])
        for layer in range(len(self.weights) - 1, -1, -1):
            if layer == 0:
                torch.matmul(x.t(), dz, out=self._gw[0])
            else:
                torch.bmm(hs[layer].transpose(1, 2), dz, out=self._gw[layer])
            torch.sum(dz, dim=1, keepdim=True, out=self._gb[layer])
            if layer:
                dh = torch.bmm(dz, self.weights[layer].transpose(1, 2), out=ws.dh[layer - 1])
                dz = _activation_grad(act, zs[layer - 1], hs[layer], dh, ws.dz[layer - 1])
        self._apply_gradients()

    def _apply_gradients(self) -> None:
        # L2 weight decay added to the gradient, as torch.optim does
        g = torch.addcmul(self._grad, self._flat, self._wd, out=self._g)
        step = self._step
        self._t += 1
        if self.config.optimizer == "adam":
            b1, b2 = ADAM_BETAS
            self._m.mul_(b1).add_(g, alpha=1 - b1)
            self._v.mul_(b2).addcmul_(g, g, value=1 - b2)
            bias1 = 1 - torch.pow(b1, self._t)
            bias2_sqrt = (1 - torch.pow(b2, self._t)).sqrt_()
            torch.sqrt(self._v, out=step).div_(bias2_sqrt).add_(ADAM_EPS)
            torch.div(self._m, step, out=step).mul_(self._lr / bias1)
        else:
            # torch.optim.SGD: the first step sets the momentum buffer to the gradient
            keep = self.config.momentum * (self._t != 1)
            self._m.mul_(keep).add_(g)
            torch.mul(self._m, self._lr, out=step)
        dead = torch.index_select(self._dead, 0, self._owner, out=self._dead_flat)
        self._flat.sub_(step.masked_fill_(dead, 0))

    # ---- batches and CUDA graphs --------------------------------------------------------
    def _next_batch(self) -> torch.Tensor | None:
        if self.batch_size == self.n_train:
            return None
        if not self._batches:
            perm = torch.randperm(self.n_train, generator=self._order)
            self._batches = list(perm.split(self.batch_size))[::-1]
        return self._batches.pop()

    def _batch_step(self, idx: torch.Tensor | None) -> None:
        if idx is None:
            self._update(self.x_train, self._targets, self._workspace(self.n_train))
            return
        ws = self._workspace(len(idx))
        idx = idx.to(self.device, non_blocking=True)
        torch.index_select(self.x_train, 0, idx, out=ws.x)
        torch.index_select(self._targets, 1, idx, out=ws.q)
        self._update(ws.x, ws.q, ws)

    def _graph_step(self, idx: torch.Tensor | None) -> None:
        size = self.n_train if idx is None else len(idx)
        if idx is not None:
            buf = self._graph_idx.setdefault(size, torch.empty(size, dtype=torch.long, device=self.device))
            buf.copy_(idx, non_blocking=True)
        static = None if idx is None else self._graph_idx[size]
        graph = self._graphs.get(size)
        if graph is not None:
            graph.replay()
            return
        if self._warm.get(size, 0) < GRAPH_WARMUP_STEPS:
            side = torch.cuda.Stream(self.device)
            side.wait_stream(torch.cuda.current_stream(self.device))
            with torch.cuda.stream(side):
                self._batch_step(static)
            torch.cuda.current_stream(self.device).wait_stream(side)
            self._warm[size] = self._warm.get(size, 0) + 1
            return
        try:
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                self._batch_step(static)
        except RuntimeError as err:  # keep training eagerly, and say why
            self.graph_error = f"CUDA graph capture failed, training without graphs: {err}"
            self.use_cuda_graphs = False
            self._batch_step(static)
            return
        self._graphs[size] = graph
        graph.replay()

    # ---- public API ---------------------------------------------------------------------
    def train(self, n_steps: int, evaluate: bool = True) -> dict | None:
        """Advance every live model n_steps; returns (and records) an evaluation if asked."""
        n_steps = check_int("n_steps", n_steps, 0, 1_000_000)
        with gpu_gate().hold(self.device.type):  # sessions take turns on a shared GPU
            for _ in range(n_steps):
                idx = self._next_batch()
                if self.use_cuda_graphs:
                    self._graph_step(idx)
                else:
                    self._batch_step(idx)
        self.step += n_steps
        return self.evaluate() if evaluate else None

    @property
    def diverged(self) -> list[int]:
        """Indices of models whose loss went NaN, inf or past DIVERGED_LOSS_FACTOR * log K.

        They are frozen from that step on; the others go on training."""
        return torch.nonzero(self._dead).flatten().tolist()

    @torch.no_grad()
    def predict(self, points) -> Prediction:
        """Logits, probabilities and penultimate activations of every model at the given points."""
        x = torch.as_tensor(np.asarray(points, dtype=np.float32), device=self.device)
        if x.dim() != 2 or x.shape[1] != 2:
            fail("points", f"array of shape {tuple(x.shape)}", "must have shape [M, 2]")
        _, hs = self._forward(x)
        logits = hs[-1]
        return Prediction(logits.cpu(), torch.softmax(logits, -1).cpu(), hs[-2].cpu())

    @torch.no_grad()
    def evaluate(self) -> dict:
        """Train/test NLL, accuracy and ECE, and the training objective, for every model;
        appended to the history."""
        _, hs = self._forward(self.x_train)
        train_logits = hs[-1]
        _, hs = self._forward(self.x_test)
        test_logits = hs[-1]
        logp = torch.log_softmax(train_logits, -1)
        row = {
            "train_loss": -(self._targets * logp).sum(-1).mean(-1),
            "train_nll": metrics.nll(train_logits, self.y_train),
            "train_acc": metrics.accuracy(train_logits, self.y_train),
            "test_nll": metrics.nll(test_logits, self.y_test),
            "test_acc": metrics.accuracy(test_logits, self.y_test),
            "train_ece": metrics.ece(logp.exp(), self.y_train),
            "test_ece": metrics.ece(torch.softmax(test_logits, -1), self.y_test),
        }
        values = {k: v.cpu().tolist() for k, v in row.items()}
        dead = self._dead.cpu().tolist()
        record = {"step": self.step, "models": [
            {"model": i, "eps": self.model_eps[i], "seed": self.model_seed[i], "diverged": dead[i],
             **{k: values[k][i] for k in values}} for i in range(self.n_models)]}
        self.history.append(record)
        if len(self.history) > HISTORY_CAP:  # a long live run: keep every other record, evenly spread
            self.history = [*self.history[:-1:2], self.history[-1]]
        return record

    def to_module(self, i: int) -> nn.Sequential:
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
            if layer != last and self.config.activation in _MODULES:
                layers.append(_MODULES[self.config.activation]())
        return nn.Sequential(*layers)
