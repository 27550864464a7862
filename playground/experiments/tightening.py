"""Smoothing tightens each class's cluster of penultimate activations (Müller, Kornblith & Hinton
2019, Section 2): models at several ε train in one engine with seeds; at saved steps the first
seed's one-hot and chosen-ε models are projected onto the plane of three classes' templates, and
at the end every model's tightness is measured in its own plane."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
import torch

from playground.core import information, representations
from playground.core.datasets import Dataset, DatasetSpec, raw_test_inputs
from playground.core.objectives import SMOOTHING
from playground.core.smoothing import check_eps, check_eps_grid
from playground.core.validation import check_int, fail
from playground.engine.chunked import OnProgress, Progress, train_in_chunks, train_to
from playground.engine.engine import Engine, TrainConfig
from playground.experiments import claims
from playground.experiments.export import pytorch_script
from playground.experiments.sweep import MAX_SEEDS, MAX_STEPS

EPS_GRID = (0.0, 0.05, 0.1, 0.2, 0.3)
SNAPSHOTS = 8  # saved steps for the scrubber, spread evenly over training
IMAGES = {"digits": 8}  # data sets whose examples are square images: the side in pixels
MISTAKES, RIGHT = 3, 3  # test images shown: the one-hot model's surest mistakes, then its first right answers
MAX_POINTS_PER_CLASS = 100  # MKH project about 100 examples per class


@dataclass(frozen=True)
class TighteningConfig:
    PAGE: ClassVar[str] = "representations"  # the page that runs it (claims.page_of)
    dataset: DatasetSpec = DatasetSpec(name="blobs", n=900, noise=0.3, num_classes=3)
    train: TrainConfig = TrainConfig(hidden_layers=2, units=32, lr=0.01)
    classes: tuple[int, int, int] = (0, 1, 2)
    eps: float = 0.1  # the model drawn beside one-hot
    grid: tuple[float, ...] = EPS_GRID
    seeds: int = 3
    steps: int = 1500

    def validated(self) -> TighteningConfig:
        classes = tuple(check_int("classes", c, 0, 9) for c in self.classes)
        if len(set(classes)) != 3:
            fail("classes", list(self.classes), "choose three different classes")
        eps = check_eps(self.eps)
        grid = tuple(sorted(set(check_eps_grid(self.grid)) | {0.0, eps}))
        return TighteningConfig(
            self.dataset,
            self.train.validated(),
            classes,
            eps,
            grid,
            check_int("seeds", self.seeds, 1, MAX_SEEDS),
            check_int("steps", self.steps, 10, MAX_STEPS),
        )

    @classmethod
    def from_key(cls, key: str) -> TighteningConfig:
        raw = json.loads(key)
        return cls(
            DatasetSpec.from_dict(raw["dataset"]),
            TrainConfig(**raw["train"]),
            tuple(raw["classes"]),
            raw["eps"],
            tuple(raw["grid"]),
            raw["seeds"],
            raw["steps"],
        )

    def key(self) -> str:
        raw = asdict(self)
        raw["train"] = asdict(self.train)
        return json.dumps(raw, sort_keys=True)


@dataclass
class TighteningResult:
    config: TighteningConfig
    data: Dataset
    points: pd.DataFrame  # step, model (one-hot / chosen ε), split, class, x, y: the projected points
    tightness: pd.DataFrame  # eps, seed, tightness, information (train points, at the end)
    seconds: float
    # for image data (IMAGES): a few test images, one row per pixel (image, row, col, value), and both
    # drawn models' predicted distributions over them (image, model, class, probability, label)
    pixels: pd.DataFrame | None = None
    predictions: pd.DataFrame | None = None


def _chosen(data: Dataset, classes: tuple[int, ...], split: str) -> tuple[np.ndarray, np.ndarray]:
    """Up to MAX_POINTS_PER_CLASS points of each chosen class, in order."""
    x, y = (data.x_train, data.y_train) if split == "train" else (data.x_test, data.y_test)
    keep = np.concatenate([np.flatnonzero(y == c)[:MAX_POINTS_PER_CLASS] for c in classes])
    return x[keep], y[keep]


def run(
    config: TighteningConfig, on_progress: OnProgress | None = None
) -> TighteningResult:
    config = config.validated()
    start = time.perf_counter()
    data = config.dataset.build()
    if max(config.classes) >= data.num_classes:
        fail("classes", list(config.classes), f"must be classes of this dataset, 0 to {data.num_classes - 1}")
    engine = Engine(data, list(config.grid), config.train, n_seeds=config.seeds)
    drawn = {"one-hot (ε=0)": 0, f"smoothed (ε={config.eps:g})": config.grid.index(config.eps) * config.seeds}
    sets = {split: _chosen(data, config.classes, split) for split in ("train", "test")}
    saves = sorted({int(s) for s in np.geomspace(10, config.steps, SNAPSHOTS).round()} | {config.steps})
    points, progress = [], Progress(config.steps, on_progress, start)
    for step in train_in_chunks(engine, config.steps, progress, stops=saves):
        for name, model in drawn.items():
            for split, (x, y) in sets.items():
                coords, _ = representations.plane_coordinates(engine, model, config.classes, x)
                points.append(
                    pd.DataFrame(
                        {
                            "step": step,
                            "model": name,
                            "split": split,
                            "class": y,
                            "x": coords[:, 0].numpy(),
                            "y": coords[:, 1].numpy(),
                        }
                    )
                )
    pictured = image_examples(config.dataset, data, engine, drawn) if data.name in IMAGES else (None, None)
    return TighteningResult(
        config,
        data,
        pd.concat(points, ignore_index=True),
        tightness_frame(config, data, engine),
        time.perf_counter() - start,
        *pictured,
    )


def image_examples(spec: DatasetSpec, data: Dataset, engine, drawn: dict[str, int]
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A few test images and the drawn models' predicted distributions on them: the one-hot model's
    MISTAKES most confident mistakes (where over-confidence shows), then its first RIGHT right
    answers. Pixels are the raw values scikit-learn ships, not the standardised inputs."""
    side = IMAGES[data.name]
    probs = engine.predict(data.x_test).probs  # [E, N, K]
    one_hot = probs[next(iter(drawn.values()))]
    confidence, guess = one_hot.max(-1)
    wrong = np.flatnonzero(guess.numpy() != data.y_test)
    right = np.flatnonzero(guess.numpy() == data.y_test)
    wrong = wrong[np.argsort(-confidence.numpy()[wrong], kind="stable")][:MISTAKES]
    chosen = np.concatenate([wrong, right[:MISTAKES + RIGHT - len(wrong)]])
    raw = raw_test_inputs(spec)[chosen]
    rows, cols = np.divmod(np.arange(side * side), side)
    pixels = pd.concat([pd.DataFrame({"image": i, "row": rows, "col": cols, "value": raw[i]})
                        for i in range(len(chosen))], ignore_index=True)
    k = data.num_classes
    predictions = pd.concat([pd.DataFrame({"image": i, "model": name, "class": np.arange(k),
                                           "probability": probs[m, index].numpy(),
                                           "label": int(data.y_test[index])})
                             for i, index in enumerate(chosen) for name, m in drawn.items()],
                            ignore_index=True)
    return pixels, predictions


def image_titles(predictions: pd.DataFrame, models: Sequence[str]) -> list[str]:
    """Each pictured image in words: its label, then each model's top class and probability."""
    titles = []
    for _, rows in predictions.groupby("image", sort=True):
        said = []
        for name in models:
            mine = rows[rows["model"] == name]
            top = mine.loc[mine["probability"].idxmax()]
            said.append(f"{name.split(' (')[0]} says {int(top['class'])} at {top['probability']:.0%}")
        label = int(rows["label"].iloc[0])
        titles.append(f"{'An' if label == 8 else 'A'} {label}: " + ", ".join(said))
    return titles


def train_models(config: TighteningConfig, data: Dataset | list[Dataset],
                 progress: Progress | None = None) -> Engine:
    """The engine trained to the end, no snapshots: config.seeds seeds on one data set, or one seed
    per data set (what the held-out evidence needs)."""
    seeds = config.seeds if isinstance(data, Dataset) else len(data)
    engine = Engine(data, list(config.grid), config.train, n_seeds=seeds)
    train_to(engine, config.steps, progress)
    return engine


def script(config: TighteningConfig) -> str:
    """The page's run as a plain PyTorch script (export.pytorch_script) that also prints each
    model's tightness, as tightness_frame measures it."""
    config = config.validated()
    title = f"Representations ({len(config.grid)} ε × {config.seeds} seeds)"
    return pytorch_script(config.dataset, config.train, [(SMOOTHING, e) for e in config.grid], config.steps,
                          config.seeds, title=title, tightness=(config.classes, MAX_POINTS_PER_CLASS))


def tightness_frame(config: TighteningConfig, data: Dataset, engine) -> pd.DataFrame:
    """eps, seed, tightness, information and diverged of every model (an Engine or one seed's view
    of one): the tightness on its training points of the three classes, MKH's information estimate
    (information.model_information) over the training examples of the first two."""
    x, y = _chosen(data, config.classes, "train")
    tight = representations.model_tightness(engine, config.classes, x, torch.as_tensor(y))
    info = information.model_information(engine, data.x_train, data.y_train, config.classes[:2])
    gone = set(engine.diverged)
    return pd.DataFrame({"eps": engine.model_eps, "seed": engine.model_seed, "tightness": tight.numpy(),
                         "information": info.numpy(),
                         "diverged": [m in gone for m in range(engine.n_models)]})


def interpretation(frame: pd.DataFrame, eps: float) -> list[str]:
    """Sentences from the numbers, beside what MKH report: ε against one-hot, paired by seed."""
    live = frame[~frame["diverged"]]
    by = live.groupby("eps")["tightness"]
    if 0.0 not in by.groups or eps not in by.groups:
        return ["Too many models diverged to compare: lower the learning rate."]
    compared = claims.paired(live, "tightness", "eps", eps, 0.0, name="tightness (lower is tighter)")
    lines = [compared.sentence()]
    if compared.verdict == claims.HOLDS:
        ratio = compared.b_mean / compared.a_mean
        lines.append(f"That is {ratio:.1f}× tighter: as Müller, Kornblith & Hinton report, smoothing pulls "
                     "each class into a tight cluster around its template, the clusters evenly spaced.")
    else:
        lines.append("Müller, Kornblith & Hinton report tight, evenly spaced clusters under smoothing; this "
                     "run does not show it clearly (it shows best where the classes separate cleanly).")
    means = by.mean()
    lines.append("Mean tightness across ε: " + ", ".join(f"{e:g}: {v:.3f}" for e, v in means.items()) + ".")
    if "information" in live.columns:
        lines.append(claims.paired(live, "information", "eps", eps, 0.0,
                                   name="information about the example (MKH's estimate, nats)").sentence())
    return lines
