"""The batched trainer: E small MLPs (one per objective slot and seed) held as stacked weights.

Every step is one set of batched tensor ops over all models: the forward pass (mlp), each model's
own objective in closed form (objective_step), the hand-written backward pass, then one Adam or
SGD update over a single flat parameter buffer (parameters, optimisers). The update follows
torch.optim exactly (L2 weight decay added to the gradient), so model i matches an nn.Module
trained by torch.optim on objectives.reference_loss of its objective. A step never syncs with
the host, which lets CUDA replay it as a captured graph (graph_runner).

Models: Engine(data, objectives=[(kind, value), ...], n_seeds=S) trains len(objectives) * S
models, model index = slot * S + seed index; kinds may be mixed. Engine(data, eps=[...]) is
shorthand for label-smoothing slots. Models with the same seed start from identical weights,
whatever their objective.

Mini-batches: each epoch draws torch.randperm(N, generator=torch.Generator().manual_seed(seed))
from one generator kept across epochs, and takes consecutive slices of batch_size (the last
one may be smaller). All models see the same batches.

Dropout (TrainConfig.dropout = p): inverted dropout after every hidden activation, a fresh mask
per model and step drawn from the engine's own generator (seeded from config.seed, on the
engine's device), off in evaluation and prediction. On CUDA that generator is registered with
every captured graph, so each replay draws new masks.

One data set per seed (data=[...]): seed index j has its own batch order and dropout stream,
seeded as a one-seed engine with seed config.seed + j seeds them. So each model trains exactly as
it would alone, whatever it is stacked with, and a run of 3 seeds repeats the first 3 of 10.

Evaluations are typed (recorder.Evaluation) and kept by a recorder.History; `evaluate()`,
`train()` and `history` still give the string-keyed dicts older callers read.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from playground.core import mlp
from playground.core.datasets import Dataset
from playground.core.mlp import ACTIVATIONS, Activations, NetworkBuffers
from playground.core.objectives import OBJECTIVES, SMOOTHING, check_objectives
from playground.core.parameters import ParameterStore
from playground.core.smoothing import check_convention
from playground.core.validation import check_choice, check_int, check_number, fail
from playground.engine import recorder
from playground.engine.gate import gpu_gate
from playground.engine.graph_runner import WARMUP_STEPS as GRAPH_WARMUP_STEPS  # noqa: F401 (kept for importers)
from playground.engine.graph_runner import CudaGraphRunner
from playground.engine.objective_step import DIVERGED_LOSS_FACTOR, ObjectiveBuffers, ObjectiveStep
from playground.engine.optimisers import ADAM_BETAS, ADAM_EPS, OPTIMISERS, make_optimiser  # noqa: F401
from playground.engine.recorder import HISTORY_CAP, Evaluation  # noqa: F401 (HISTORY_CAP: kept for importers)

__all__ = ["ACTIVATIONS", "DEVICES", "DIVERGED_LOSS_FACTOR", "Engine", "MAX_MODELS", "OPTIMIZERS",
           "Prediction", "TrainConfig", "cuda_available", "resolve_device"]

OPTIMIZERS = OPTIMISERS
DEVICES = ("auto", "cpu", "cuda")
MAX_MODELS = 4096
MAX_DROPOUT = 0.9
DROPOUT_SEED_OFFSET = 7919  # keeps the dropout stream apart from the batch-order stream of the same seed


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
    dropout: float = 0.0  # probability of dropping each hidden unit in training

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
        check_number("dropout", self.dropout, 0.0, MAX_DROPOUT)
        return replace(self, hidden_layers=int(self.hidden_layers), units=int(self.units),
                       batch_size=int(self.batch_size), seed=int(self.seed), dropout=float(self.dropout))

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


@dataclass(frozen=True)
class Prediction:
    """Outputs of every model at M points: logits and probs [E, M, K], and the penultimate
    activations [E, M, H] (the input points, [E, M, D], when there is no hidden layer)."""
    logits: torch.Tensor
    probs: torch.Tensor
    penultimate: torch.Tensor


@dataclass
class BatchBuffers:
    """Everything one training step of a given batch size writes into. x, onehot and soft hold
    the batch's rows (mini-batches only; the full batch reads the training set itself)."""
    x: torch.Tensor | None
    onehot: torch.Tensor | None
    soft: torch.Tensor | None
    network: NetworkBuffers
    objective: ObjectiveBuffers


def _check_eps_list(eps, name: str = "eps") -> list[float]:
    values = [eps] if isinstance(eps, (int, float)) else list(eps)
    if not values:
        fail(name, eps, "must hold at least one value")
    return [OBJECTIVES[SMOOTHING].check(e, f"{name}[{i}]") for i, e in enumerate(values)]


def _slots(eps, objectives) -> list[tuple[str, float]]:
    if (eps is None) == (objectives is None):
        fail("objectives", objectives, "give exactly one of eps=[...] or objectives=[(kind, value), ...]")
    if objectives is None:
        return [(SMOOTHING, e) for e in _check_eps_list(eps)]
    return check_objectives(objectives)


def _per_seed_data(data, n_seeds: int) -> list[Dataset]:
    """[data] for one data set; a sequence must hold one data set per seed, all of one shape."""
    if isinstance(data, Dataset):
        return [data]
    sets = list(data)
    if len(sets) != n_seeds or not all(isinstance(d, Dataset) for d in sets):
        fail("data", f"{len(sets)} items", f"must be one Dataset, or one per seed ({n_seeds})")
    shape = [(d.num_classes, d.x_train.shape, d.x_test.shape) for d in sets]
    if len(set(shape)) > 1:
        fail("data", f"data sets of shapes {sorted(set(shape))}",
             "one per seed must share the class count and the train and test sizes")
    return sets


class Engine:
    """Trains len(objectives) * n_seeds MLPs at once. Model index = slot * n_seeds + seed index.
    `data` is one data set for every model, or one per seed index (paired runs that vary the data
    seed with the training seed, still in one batched engine)."""

    def __init__(self, data: Dataset | Sequence[Dataset], eps: Sequence[float] | float | None = None,
                 config: TrainConfig = TrainConfig(), n_seeds: int = 1, use_cuda_graphs: bool = True, *,
                 objectives: Sequence[tuple[str, float]] | None = None):
        self.config = config.validated()
        slots = _slots(eps, objectives)
        self.n_seeds = check_int("n_seeds", n_seeds, 1, 100)
        self.model_objectives = [slot for slot in slots for _ in range(self.n_seeds)]
        self.model_seed = [self.config.seed + j for _ in slots for j in range(self.n_seeds)]
        self.n_models = len(self.model_objectives)
        if self.n_models > MAX_MODELS:
            fail("models", self.n_models, f"len(objectives) * n_seeds must be at most {MAX_MODELS}")
        self.device = dev = resolve_device(self.config.device)
        sets = _per_seed_data(data, self.n_seeds)
        self.num_classes = k = sets[0].num_classes
        self.step = 0
        # One data set: [N, ...] tensors shared by every model. One per seed: each model's own rows,
        # [E, N, ...], model m training on the data of its seed index m % n_seeds.
        self.per_model_data = len(sets) > 1
        seed_of_model = torch.arange(self.n_models) % self.n_seeds
        def tensor(field):
            if not self.per_model_data:
                return torch.as_tensor(getattr(sets[0], field), device=dev)
            return torch.stack([torch.as_tensor(getattr(d, field)) for d in sets])[seed_of_model].to(dev)
        self.x_train, self.y_train = tensor("x_train"), tensor("y_train")
        self.x_test, self.y_test = tensor("x_test"), tensor("y_test")
        self.onehot_train = F.one_hot(self.y_train.long(), k).to(self.x_train.dtype)
        self.n_train = self.y_train.shape[-1]
        bs = self.config.batch_size
        self.batch_size = self.n_train if bs == 0 or bs >= self.n_train else bs

        self.input_features = sets[0].features
        sizes = [self.input_features, *self.config.widths, k]
        self.parameter_store = ParameterStore(self.n_models, sizes, dev)
        self.parameter_store.initialise(self.model_seed)
        self.optimiser = make_optimiser(self.config.optimizer, self.parameter_store.size, dev, self.config.lr,
                                        self.config.weight_decay, self.config.momentum)
        self.objective = ObjectiveStep([kind for kind, _ in self.model_objectives],
                                       [value for _, value in self.model_objectives], k,
                                       self.config.convention, dev)
        self.recorder = recorder.History()
        self._frozen = torch.zeros(self.parameter_store.size, dtype=torch.bool, device=dev)
        self._buffers: dict[int, BatchBuffers] = {}
        self._last_buffers: BatchBuffers | None = None
        # random streams: one for all models, or one per seed index with one data set per seed
        streams = range(self.n_seeds if self.per_model_data else 1)
        self._batch_orders = [torch.Generator().manual_seed(self.config.seed + j) for j in streams]
        self._batches: list[list[torch.Tensor]] = [[] for _ in streams]
        self._seed_of_model = seed_of_model.to(dev)
        self.dropout_generators = [torch.Generator(device=dev) for _ in streams]
        for j, generator in enumerate(self.dropout_generators):
            generator.manual_seed(self.config.seed + j + DROPOUT_SEED_OFFSET)
        self.graph_runner: CudaGraphRunner | None = None
        if use_cuda_graphs and dev.type == "cuda":
            generators = self.dropout_generators if self.config.dropout > 0 else []
            self.graph_runner = CudaGraphRunner(dev, self._train_step, generators)

    # ---- what the models are ----------------------------------------------------------------
    @property
    def model_eps(self) -> list[float | None]:
        """Each model's smoothing eps; None for a model with another objective."""
        return [value if kind == SMOOTHING else None for kind, value in self.model_objectives]

    @property
    def weights(self) -> list[torch.Tensor]:
        return self.parameter_store.weights

    @property
    def biases(self) -> list[torch.Tensor]:
        return self.parameter_store.biases

    @property
    def shapes(self) -> list[tuple[int, int]]:
        return self.parameter_store.shapes

    @property
    def use_cuda_graphs(self) -> bool:
        return self.graph_runner is not None and self.graph_runner.enabled

    @property
    def graph_error(self) -> str | None:
        return self.graph_runner.error if self.graph_runner else None

    @property
    def _graphs(self) -> dict:  # the captured graphs by batch size (tests/test_cuda.py reads it)
        return self.graph_runner.graphs if self.graph_runner else {}

    # ---- settings that apply mid-run -------------------------------------------------
    def set_objective_values(self, values: Sequence[float], name: str = "values") -> None:
        """Replace every model's objective value (one per model) without touching its weights."""
        values = list(values) if not isinstance(values, (int, float)) else [values]
        if len(values) != self.n_models:
            fail(name, values, f"must give one value per model ({self.n_models})")
        checked = [OBJECTIVES[kind].check(v, f"{name}[{i}]")
                   for i, ((kind, _), v) in enumerate(zip(self.model_objectives, values))]
        self.objective.set_values(checked)
        self.model_objectives = [(kind, v) for (kind, _), v in zip(self.model_objectives, checked)]

    def set_eps(self, eps: Sequence[float]) -> None:
        """Replace every model's eps (one value per model); every model must use label smoothing."""
        values = _check_eps_list(eps)
        if any(kind != SMOOTHING for kind, _ in self.model_objectives):
            fail("eps", eps, "set_eps needs every model to use label smoothing; use set_objective_values")
        self.set_objective_values(values, "eps")

    def set_hyperparameters(self, lr: float | None = None, weight_decay: float | None = None) -> None:
        config = replace(self.config, lr=self.config.lr if lr is None else lr,
                         weight_decay=self.config.weight_decay if weight_decay is None else weight_decay)
        self.config = config.validated()  # the same checks as at construction
        self.optimiser.set_hyperparameters(float(self.config.lr), float(self.config.weight_decay))

    def set_soft_targets(self, q, temperature: float | Sequence[float] = 1.0, alpha: float = 0.5) -> None:
        """Distil from now on: q [E, N_train, K] (or [N_train, K] for every model) holds a teacher's
        probabilities at `temperature` T (one for all models, or one per model) for each training
        point, and each model's loss becomes alpha T^2 CE(softmax(z/T), q) + (1 - alpha) (its own
        objective). None stops distilling."""
        if self.objective.set_soft_targets(q, self.n_train, temperature, alpha):
            self._buffers.clear()  # the step's buffers and ops changed
            if self.graph_runner:
                self.graph_runner.reset()

    @property
    def soft_targets(self) -> torch.Tensor | None:
        distil = self.objective.distillation
        return distil.targets if distil else None

    # ---- one training step ----------------------------------------------------------------
    def _buffers_for(self, batch: int) -> BatchBuffers:
        """Preallocated buffers for one batch size, so a training step allocates nothing large."""
        bufs = self._buffers.get(batch)
        if bufs is None:
            e, k, dev = self.n_models, self.num_classes, self.device
            network = NetworkBuffers.empty(e, batch, [*self.config.widths, k], self.config.dropout > 0, dev)
            rows = batch < self.n_train
            distil = rows and self.objective.distillation is not None
            lead = (e,) if self.per_model_data else ()
            bufs = BatchBuffers(torch.empty(*lead, batch, self.input_features, device=dev) if rows else None,
                                torch.empty(*lead, batch, k, device=dev) if rows else None,
                                torch.empty(e, batch, k, device=dev) if distil else None,
                                network, self.objective.buffers(batch, network.dz[-1]))
            self._buffers[batch] = bufs
        return bufs

    def _train_step(self, idx: torch.Tensor | None) -> None:
        """One optimiser step for every model on the rows idx of the training set: None for all,
        [B] shared by every model, or [n_seeds, B] (one batch per seed index)."""
        soft = self.soft_targets
        if idx is None:
            bufs = self._buffers_for(self.n_train)
            x, onehot = self.x_train, self.onehot_train
        elif idx.dim() == 2:  # each model the rows of its seed index
            bufs = self._buffers_for(idx.shape[-1])
            rows = idx.to(self.device, non_blocking=True)[self._seed_of_model].unsqueeze(-1)
            by_class = rows.expand(-1, -1, self.num_classes)
            x = torch.gather(self.x_train, 1, rows.expand(-1, -1, self.input_features), out=bufs.x)
            onehot = torch.gather(self.onehot_train, 1, by_class, out=bufs.onehot)
            if soft is not None:
                soft = torch.gather(soft, 1, by_class, out=bufs.soft)
        else:
            bufs = self._buffers_for(len(idx))
            idx = idx.to(self.device, non_blocking=True)
            rows = 1 if self.per_model_data else 0
            x = torch.index_select(self.x_train, rows, idx, out=bufs.x)
            onehot = torch.index_select(self.onehot_train, rows, idx, out=bufs.onehot)
            if soft is not None:
                soft = torch.index_select(soft, 1, idx, out=bufs.soft)
        config, store = self.config, self.parameter_store
        acts = mlp.forward(store, x, config.activation, bufs.network, config.dropout, self.dropout_generators)
        dz = self.objective(acts.logits, onehot, soft, bufs.objective)
        mlp.backward(store, x, acts, dz, config.activation, bufs.network, config.dropout)
        frozen = torch.index_select(self.objective.diverged, 0, store.model_of_entry, out=self._frozen)
        self.optimiser.step(store.values, store.grads, frozen)

    def _next_batch(self) -> torch.Tensor | None:
        """The next batch's rows: None for the full batch, [B], or [n_seeds, B] with a stream per seed."""
        if self.batch_size == self.n_train:
            return None
        for batches, order in zip(self._batches, self._batch_orders):
            if not batches:
                batches.extend(torch.randperm(self.n_train, generator=order).split(self.batch_size)[::-1])
        if len(self._batches) == 1:
            return self._batches[0].pop()
        return torch.stack([batches.pop() for batches in self._batches])  # every stream has one size

    @property
    def last_dropout_scales(self) -> list[torch.Tensor]:
        """The dropout scale of every hidden layer in the latest step, [E, B, units] each: 0 for a
        dropped unit, 1/(1 - p) for a kept one (empty without dropout or before the first step)."""
        if self._last_buffers is None:
            return []
        return [s.clone() for s in self._last_buffers.network.dropout_scale]

    # ---- public API ---------------------------------------------------------------------
    def train(self, n_steps: int, evaluate: bool = True) -> Evaluation | None:
        """Advance every live model n_steps; returns (and records) an evaluation, if asked."""
        n_steps = check_int("n_steps", n_steps, 0, 1_000_000)
        with gpu_gate().hold(self.device.type):  # sessions take turns on a shared GPU
            for _ in range(n_steps):
                idx = self._next_batch()
                size = self.n_train if idx is None else idx.shape[-1]
                if self.use_cuda_graphs:
                    self.graph_runner.run(idx, size)
                else:
                    self._train_step(idx)
                self._last_buffers = self._buffers.get(size)
        self.step += n_steps
        return self.evaluate() if evaluate else None

    @property
    def diverged(self) -> list[int]:
        """Indices of models whose loss went NaN or infinite, or past the divergence limit
        (objective_step). They are frozen from that step on; the others go on training."""
        # a list of flags, not torch.nonzero: that costs about 0.4 ms on the CPU, twice per live frame
        return [m for m, flag in enumerate(self.objective.diverged.tolist()) if flag]

    @torch.no_grad()
    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Every model's logits [E, M, K] at points x [M, D] on the engine's device (no dropout)."""
        return mlp.forward(self.parameter_store, x, self.config.activation).logits

    @torch.no_grad()
    def training_loss(self, train_logits: torch.Tensor) -> torch.Tensor:
        """Each model's training objective [E] over the whole training set, given its logits."""
        return self.objective.mean_loss(train_logits, self.onehot_train, self.soft_targets)

    @torch.no_grad()
    def predict(self, points) -> Prediction:
        """Logits, probabilities and penultimate activations of every model at the given points."""
        x = torch.as_tensor(np.asarray(points, dtype=np.float32), device=self.device)
        d = self.input_features
        if x.dim() != 2 or x.shape[1] != d:
            fail("points", f"array of shape {tuple(x.shape)}", f"must have shape [M, {d}]")
        acts: Activations = mlp.forward(self.parameter_store, x, self.config.activation)
        logits = acts.logits
        return Prediction(logits.cpu(), torch.softmax(logits, -1).cpu(), acts.inputs[-1].cpu())

    def evaluation(self) -> Evaluation:
        """Train/test NLL, accuracy and ECE, and the training objective, of every model, as a typed
        record; appended to the history."""
        train_logits = self.logits(self.x_train)
        record = recorder.measure(self.step, train_logits, self.logits(self.x_test),
                                  self.training_loss(train_logits), self.y_train, self.y_test,
                                  self.model_seed, self.model_objectives, self.diverged)
        self.recorder.append(record)
        return record

    def evaluate(self) -> Evaluation:
        """Measure every model now, and record it in the history."""
        return self.evaluation()

    @property
    def history(self) -> list[Evaluation]:
        """Every recorded evaluation, oldest first (thinned past recorder.HISTORY_CAP)."""
        return self.recorder.records

    def to_module(self, i: int) -> nn.Sequential:
        """Model i as a plain nn.Sequential with identical weights (on the CPU)."""
        return self.parameter_store.to_module(i, self.config.activation, self.config.dropout)

    def seed_view(self, j: int) -> SeedView:
        """The models of seed index j (one per slot, in slot order), read as a one-seed engine."""
        return SeedView(self, check_int("seed index", j, 0, self.n_seeds - 1))


class SeedView:
    """The models of one seed index of an engine, as the measuring code reads a one-seed engine:
    predict, weights, the model lists and the diverged models, renumbered 0..slots-1. Nothing is
    copied: it reads the engine's current weights."""

    def __init__(self, engine: Engine, j: int):
        self.engine = engine
        self.models = list(range(j, engine.n_models, engine.n_seeds))
        self.n_models, self.n_seeds = len(self.models), 1
        self.config, self.num_classes, self.device = engine.config, engine.num_classes, engine.device
        self.model_objectives = [engine.model_objectives[m] for m in self.models]
        self.model_seed = [engine.model_seed[m] for m in self.models]

    @property
    def model_eps(self) -> list[float | None]:
        return [value if kind == SMOOTHING else None for kind, value in self.model_objectives]

    @property
    def diverged(self) -> list[int]:
        gone = set(self.engine.diverged)
        return [i for i, m in enumerate(self.models) if m in gone]

    @property
    def weights(self) -> list[torch.Tensor]:
        return [w[self.models] for w in self.engine.weights]

    @property
    def biases(self) -> list[torch.Tensor]:
        return [b[self.models] for b in self.engine.biases]

    def predict(self, points) -> Prediction:
        full = self.engine.predict(points)
        return Prediction(full.logits[self.models], full.probs[self.models], full.penultimate[self.models])

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.engine.logits(x)[self.models]
