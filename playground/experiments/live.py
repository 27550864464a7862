"""A live duel: a one-hot and a smoothed model with the same data and the same initial weights,
trained side by side in one engine, in chunks a UI can draw between."""
from __future__ import annotations

import threading
import time
from collections import deque
from contextlib import contextmanager

import numpy as np
import pandas as pd
import torch

from playground.core import metrics, objectives
from playground.core.calibration import reliability_frame
from playground.core.datasets import BOX, Dataset, grid_points, points_csv
from playground.core.smoothing import eps_label, target_values
from playground.core.validation import check_int
from playground.engine.engine import Engine, Prediction, TrainConfig
from playground.views import render, tables

RATE_WINDOW_S = 2.0
EVALUATE_EVERY_S = 0.25  # how often training records an evaluation for the history


def objective_name(kind: str, value: float) -> str:
    """The second model's name: smoothed (ε=0.2), negative smoothing (ε=-0.2), focal loss (γ=2)..."""
    if kind == "smoothing":
        return f"{'negative smoothing' if value < 0 else 'smoothed'} ({eps_label(value)})"
    objective = objectives.get(kind)
    return f"{objective.title} ({objective.symbol}={value:g})"


def model_names(value: float = 0.2, kind: str = "smoothing") -> list[str]:
    return [f"one-hot ({eps_label(0.0)})", objective_name(kind, value)]


class LiveRun:
    """Model 0 trains with one-hot cross-entropy, model 1 with the chosen objective (label
    smoothing with ε by default); everything else is shared."""

    def __init__(self, data: Dataset, config: TrainConfig, objective_value: float | None = None,
                 resolution: int = 48,
                 on_release=None, kind: str = "smoothing"):
        self.data = data
        self._on_release = on_release  # e.g. give the run's memory back to the server's budget
        self._in_use = threading.RLock()
        value = objectives.get(kind).check(0.2 if objective_value is None else objective_value,
                                          objectives.get(kind).parameter)
        self.engine = Engine(data, config=config, objectives=[("smoothing", 0.0), (kind, value)])
        self.resolution = check_int("resolution", resolution, 8, 200)
        self.grid = grid_points(self.resolution)  # cell centres in the viewing box
        self.x = np.concatenate([data.x_train, data.x_test])  # every point's inputs [N, D]
        self.xy = data.plane.project(self.x)  # where each is drawn (the inputs themselves for D = 2)
        self.labels = np.concatenate([data.y_train, data.y_test])
        self._grid_and_points = np.concatenate([data.plane.lift(self.grid), self.x]).astype(np.float32)
        self.split = np.array(["train"] * len(data.y_train) + ["test"] * len(data.y_test))
        self._ticks: deque[tuple[float, int]] = deque()
        self._cache: dict[str, object] = {}  # views of the current step
        self._fixed: dict[str, object] = {}  # views of the data alone
        self.changes: list[dict] = []  # mid-run setting changes: step, what changed
        flipped = np.zeros(len(self.labels), dtype=bool)
        flipped[:len(data.y_train)] = data.flipped
        self.table = pd.DataFrame({"index": np.arange(len(self.labels)), "x1": self.xy[:, 0],
                                   "x2": self.xy[:, 1], "label": self.labels, "split": self.split,
                                   "label noise": flipped})
        self.engine.evaluate()
        self._evaluated_at = time.perf_counter()

    # ---- training ----------------------------------------------------------------------
    @property
    def step(self) -> int:
        return self.engine.step

    @property
    def kind(self) -> str:
        """The second model's objective."""
        return self.engine.model_objectives[1][0]

    @property
    def objective_value(self) -> float:
        """The second model's objective parameter: ε for smoothing, β for the confidence penalty, γ
        for focal."""
        return self.engine.model_objectives[1][1]

    @property
    def names(self) -> list[str]:
        return model_names(self.objective_value, self.kind)

    def set_objective_value(self, value: float) -> None:
        """The second model's value, from the next step on; the weights so far are kept."""
        objective = objectives.get(self.kind)
        if objective.check(value, objective.parameter) != self.objective_value:
            self._changed(objective.symbol, self.objective_value, value)
            self.engine.set_objective_values([0.0, value])
            self._cache.clear()

    def set_hyperparameters(self, lr: float, weight_decay: float) -> None:
        """Learning rate and weight decay, from the next step on."""
        config = self.engine.config
        if (lr, weight_decay) != (config.lr, config.weight_decay):
            self.engine.set_hyperparameters(lr=lr, weight_decay=weight_decay)  # checks first
            if lr != config.lr:
                self._changed("lr", config.lr, lr)
            if weight_decay != config.weight_decay:
                self._changed("weight decay", config.weight_decay, weight_decay)

    def _changed(self, what: str, old: float, new: float) -> None:
        if self.step > 0:  # before training starts a setting is just the setting
            self.changes.append({"step": self.step, "change": f"{what} {old:g} → {new:g}"})

    def advance(self, steps: int) -> None:
        now = time.perf_counter()
        # the history needs a few points a second, not one per frame: evaluating is a third of a
        # frame's training cost (the history catches up when it is drawn)
        evaluate = now - self._evaluated_at >= EVALUATE_EVERY_S
        self.engine.train(steps, evaluate=evaluate)
        if evaluate:
            self._evaluated_at = now
        self._cache.clear()
        self._ticks.append((now, self.step))
        while len(self._ticks) > 2 and now - self._ticks[0][0] > RATE_WINDOW_S:
            self._ticks.popleft()

    @contextmanager
    def in_use(self):
        """Hold the run while drawing or training it: a release from another thread (the session
        ending, the janitor) waits for the holder to finish instead of pulling the engine away."""
        with self._in_use:
            yield self

    def release(self) -> None:
        """Drop the engine and every cached view: the memory goes now, whoever still refers to
        this run (a closed session's fragment, a reference cycle). Waits while the run is in use."""
        with self._in_use:
            self._drop()

    def _drop(self) -> None:
        self.engine = None
        self._cache.clear()
        self._fixed.clear()
        if self._on_release is not None:
            self._on_release()
            self._on_release = None

    @property
    def released(self) -> bool:
        return self.engine is None

    def pause(self) -> None:
        """Forget the rate window, so a pause is not counted as slow training."""
        self._ticks.clear()

    def steps_per_second(self) -> float:
        if len(self._ticks) < 2:
            return 0.0
        (t0, s0), (t1, s1) = self._ticks[0], self._ticks[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 else 0.0

    @property
    def diverged(self) -> list[str]:
        return [self.names[i] for i in self.engine.diverged]

    # ---- views -------------------------------------------------------------------------
    def _cached(self, key: str, compute):
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def _cached_fixed(self, key: str, compute):
        """A view that never changes during the run (it depends on the data alone)."""
        if key not in self._fixed:
            self._fixed[key] = compute()
        return self._fixed[key]

    def _outputs(self) -> tuple[torch.Tensor, Prediction]:
        """One forward pass over the grid and every point together (a frame needs both)."""
        def compute():
            out, g = self.engine.predict(self._grid_and_points), len(self.grid)
            return out.probs[:, :g], Prediction(*(t[:, g:] for t in (out.logits, out.probs, out.penultimate)))
        return self._cached("outputs", compute)

    def grid_probs(self) -> torch.Tensor:
        """[2, R*R, K] probabilities over the viewing box."""
        return self._outputs()[0]

    def point_outputs(self) -> Prediction:
        """Logits and probabilities of both models at every train and test point."""
        return self._outputs()[1]

    def points(self, show_test: bool = True) -> pd.DataFrame:
        """Every point: index, x1, x2 (where it is drawn), label, split, label noise. Fixed for the
        whole run."""
        return self.table if show_test else self.table[self.table["split"] == "train"]

    def wrong(self, model: int) -> np.ndarray:
        """Mask of the points this model currently misclassifies."""
        return self._cached(f"wrong{model}",
                            lambda: self.point_outputs().probs[model].argmax(-1).numpy() != self.labels)

    def mistakes(self, model: int) -> dict[str, int]:
        return {split: int(self.wrong(model)[self.split == split].sum()) for split in ("train", "test")}

    def scenes(self, show_test: bool = True, discretize: bool = False, picked: int | None = None,
               fade: bool = False) -> dict:
        """Both models' boundaries, points and mistakes for the browser to draw (scenes.js): per
        grid cell a class and an opacity byte, and packed points, instead of two encoded pictures."""
        keep = np.ones(len(self.labels), dtype=bool) if show_test else self.split == "train"
        weights = self._cached_fixed("fade", lambda: render.distance_fade(
            self.grid, self.xy[:len(self.data.y_train)])) \
            if fade else None
        points = self._cached_fixed(f"points{show_test}", lambda: render.scene_points(
            self.xy[keep], self.labels[keep], self.split[keep] == "test"))
        models = [render.scene_model(render.scene_grid(self.grid_probs()[m], discretize, fade=weights),
                                     self.wrong(m)[keep], self.names[m]) for m in range(len(self.names))]
        pick = -1 if picked is None or not keep[picked] else int(keep[:picked].sum())
        style = render.scene_style(self.data.num_classes, BOX, self.data.plane.axes)
        return {**style, **points, "res": self.resolution,
                "models": models, "picked": pick, "step": self.step}

    def inspect(self, index: int) -> dict:
        """One point: its targets under both models' losses, their predictions and logit gradients."""
        index = check_int("point index", index, 0, len(self.labels) - 1)
        label = int(self.labels[index])
        convention = self.engine.config.convention
        out = self.point_outputs()
        y = torch.tensor([label])
        pairs = self.engine.model_objectives
        point = out.logits[:, index:index + 1]
        grad = torch.stack([metrics.logit_grad_norm(point[m], y, value, convention, kind)[0]
                            for m, (kind, value) in enumerate(pairs)])
        targets = torch.stack([self._targets(label, kind, value) for kind, value in pairs])
        return {
            "index": index, "label": label, "split": str(self.split[index]),
            "x": self.xy[index].tolist(), "grad_norm": grad.tolist(),
            "confidence": out.probs[:, index].max(-1).values.tolist(),
            "predicted": out.probs[:, index].argmax(-1).tolist(),
            "frame": tables.target_vs_prediction(self.names, targets, out.probs[:, index]),
        }

    def _targets(self, label: int, kind: str, value: float) -> torch.Tensor:
        """What the loss pulls the probabilities towards: smoothed targets for smoothing (negative ε
        included), the one-hot label for the others (they reweight the loss, not the target)."""
        k = self.data.num_classes
        if kind != "smoothing":
            return torch.nn.functional.one_hot(torch.tensor(label), k).double()
        q_true, q_other = target_values(k, value, self.engine.config.convention, lowest=-1.0)
        return torch.full((k,), q_other, dtype=torch.float64).index_fill_(0, torch.tensor([label]), q_true)

    def headline(self) -> list[dict[str, float]]:
        """Per model, on the test points: accuracy, NLL, ECE, over-confidence (mean confidence
        − accuracy: positive is over-confident), and the uncertain share of the box."""
        def compute():
            test = self.split == "test"
            labels = torch.from_numpy(self.labels[test])
            logits = self.point_outputs().logits[:, torch.from_numpy(test)]
            probs = torch.softmax(logits, -1)
            acc = metrics.accuracy(logits, labels)
            columns = {"accuracy": acc, "NLL": metrics.nll(logits, labels), "ECE": metrics.ece(probs, labels),
                       "over-confidence": metrics.mean_confidence(probs) - acc,
                       "uncertain area": metrics.boundary_blur(self.grid_probs())["uncertain_share"]}
            return [{name: float(v[i]) for name, v in columns.items()} for i in range(len(self.names))]
        return self._cached("headline", compute)

    def reliability(self) -> pd.DataFrame:
        """Reliability bins of both models on the test points (calibration.reliability_frame)."""
        def compute():
            test = self.split == "test"
            probs = self.point_outputs().probs[:, torch.from_numpy(test)]
            labels = torch.from_numpy(self.labels[test])
            return pd.concat([reliability_frame(probs[i], labels, name) for i, name in enumerate(self.names)],
                             ignore_index=True)
        return self._cached("reliability", compute)

    def changes_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.changes, columns=["step", "change"])

    def predictions_csv(self) -> str:
        """Every point with its label, split and each model's predicted class and confidence."""
        probs = self.point_outputs().probs
        conf, pred = probs.max(-1)
        columns = {"split": self.split}
        for i, name in enumerate(self.names):
            columns[f"predicted by {name}"] = pred[i].numpy()
            columns[f"confidence of {name}"] = conf[i].numpy()
        return points_csv(self.x, self.labels, **columns)

    def history(self, max_points: int = 200) -> pd.DataFrame:
        """Metrics over steps in long form, thinned for drawing; up to the current step."""
        if not self.engine.history or self.engine.history[-1].step != self.step:
            self.engine.evaluate()
        return tables.history(self.engine.history, self.names, max_points)
