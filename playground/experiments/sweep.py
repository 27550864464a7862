"""The eps sweep: every (eps, seed) model trained together in one engine, then measured.

The held-out points are split in two, stratified: a validation half (used only to fit a
temperature on the calibration page) and a test half, on which every test metric is computed.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import train_test_split

from playground.core import metrics
from playground.core.datasets import Dataset, DatasetSpec, points_csv
from playground.core.metrics import METRIC_NAMES
from playground.core.objectives import SMOOTHING
from playground.core.smoothing import check_eps_grid, eps_label, optimal_logit_gap
from playground.core.validation import check_int, fail
from playground.engine.chunked import OnProgress, Progress, train_to
from playground.engine.engine import Engine, TrainConfig
from playground.experiments import claims
from playground.experiments.export import pytorch_script
from playground.views import render

MAX_EPS = 21
MAX_SEEDS = 10
MAX_STEPS = 20_000
RESOLUTION = 48
IMAGE_PX = 400  # the scrubber shows a picture at this size; the small multiples scale it down


def eps_grid(lo: float = 0.0, hi: float = 0.5, count: int = 11) -> list[float]:
    """count evenly spaced values from lo to hi, rounded to 4 decimals."""
    count = check_int("count", count, 1, MAX_EPS)
    values = check_eps_grid([lo, hi])
    if values[0] > values[1]:
        fail("eps range", (lo, hi), "the lower end must not exceed the upper end")
    return [round(float(e), 4) for e in np.linspace(values[0], values[1], count)]


@dataclass(frozen=True)
class SweepConfig:
    """Everything that determines a sweep's result; its JSON is the cache key."""
    PAGE: ClassVar[str] = "sweep"  # the page that runs it (claims.page_of)
    dataset: DatasetSpec = DatasetSpec(name="moons", n=1000, noise=0.2)
    train: TrainConfig = TrainConfig()
    eps: tuple[float, ...] = tuple(eps_grid())
    seeds: int = 3
    steps: int = 500

    def validated(self) -> SweepConfig:
        eps = tuple(check_eps_grid(self.eps))
        if len(eps) > MAX_EPS:
            fail("eps", list(self.eps), f"at most {MAX_EPS} values")
        check_int("seeds", self.seeds, 1, MAX_SEEDS)
        check_int("steps", self.steps, 1, MAX_STEPS)
        return SweepConfig(self.dataset, self.train.validated(), eps, int(self.seeds), int(self.steps))

    @classmethod
    def from_key(cls, key: str) -> SweepConfig:
        raw = json.loads(key)
        return cls(DatasetSpec.from_dict(raw["dataset"]), TrainConfig(**raw["train"]), tuple(raw["eps"]),
                   raw["seeds"], raw["steps"])

    def key(self) -> str:
        return json.dumps({"dataset": self.dataset.as_dict(), "train": asdict(self.train),
                           "eps": list(self.eps), "seeds": self.seeds, "steps": self.steps}, sort_keys=True)


@dataclass
class SweepResult:
    config: SweepConfig
    data: Dataset
    models: pd.DataFrame  # one row per model: model, eps, seed, metrics...
    images: dict[float, bytes]  # eps -> JPEG of the boundary of its first seed's model
    val_logits: torch.Tensor  # [E, N_val, K]
    val_labels: torch.Tensor
    test_logits: torch.Tensor  # [E, N_test, K]
    test_labels: torch.Tensor
    seconds: float
    predictions: str  # CSV: every point, its split and each model's predicted class
    pair_confusion: pd.DataFrame  # eps, seed, pair ("0↔1"), rate: the pair's test points taken for each other


def split_held_out(data: Dataset, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the validation and test halves of the held-out points."""
    idx = np.arange(len(data.y_test))
    counts = np.bincount(data.y_test)
    stratify = data.y_test if counts.min() >= 2 else None
    return train_test_split(idx, test_size=0.5, random_state=seed, stratify=stratify)


def run(config: SweepConfig, on_progress: OnProgress | None = None,
        chunk: int = 50) -> SweepResult:
    """Train all len(eps) * seeds models for `steps` steps, reporting (done, total, seconds left)."""
    config = config.validated()
    progress = Progress(config.steps, on_progress)
    data = config.dataset.build()
    engine = train_models(config, data, progress, chunk)
    return measure(config, data, engine, time.perf_counter() - progress.start)


def script(config: SweepConfig) -> str:
    """The sweep as a plain PyTorch script (export.pytorch_script) that prints each model's test
    metrics as the metrics table has them."""
    config = config.validated()
    return pytorch_script(config.dataset, config.train, [(SMOOTHING, e) for e in config.eps], config.steps,
                          config.seeds, title=f"the ε sweep ({len(config.eps)} ε × {config.seeds} seeds)",
                          test_half=True)


def train_models(config: SweepConfig, data: Dataset | list[Dataset], progress: Progress | None = None,
                 chunk: int = 50) -> Engine:
    """The sweep's engine trained: config.seeds seeds on one data set, or one seed per data set."""
    seeds = config.seeds if isinstance(data, Dataset) else len(data)
    engine = Engine(data, list(config.eps), config.train, n_seeds=seeds)
    train_to(engine, config.steps, progress, chunk)
    return engine


def measure(config: SweepConfig, data: Dataset, engine: Engine, seconds: float) -> SweepResult:
    val_idx, test_idx = split_held_out(data, config.train.seed)
    split = np.array(["train"] * len(data.y_train) + ["held out"] * len(data.y_test))
    x_train, y_train = data.x_train, torch.as_tensor(data.y_train)
    held = engine.predict(data.x_test).logits
    y_held = torch.as_tensor(data.y_test)
    test_logits, test_labels = held[:, test_idx], y_held[test_idx]
    train_logits = engine.predict(x_train).logits
    grid = engine.predict(data.view_grid(RESOLUTION)).probs
    k = data.num_classes
    test_probs = torch.softmax(test_logits, -1)
    rel = metrics.reliability(test_probs, test_labels)
    blur = metrics.boundary_blur(grid)
    frame = pd.DataFrame({
        "model": range(engine.n_models), "eps": engine.model_eps, "seed": engine.model_seed,
        "train_acc": metrics.accuracy(train_logits, y_train).numpy(),
        "test_acc": metrics.accuracy(test_logits, test_labels).numpy(),
        "test_nll": metrics.nll(test_logits, test_labels).numpy(),
        "test_ece": rel.ece.numpy(), "test_mce": rel.mce.numpy(),
        "mean_confidence": metrics.mean_confidence(test_probs).numpy(),
        "mean_logit_gap": metrics.logit_gap(train_logits, y_train).mean(-1).numpy(),
        "optimal_gap": [optimal_logit_gap(k, e, config.train.convention) for e in engine.model_eps],
        "uncertain_share": blur["uncertain_share"].numpy(),
        "mean_entropy": blur["mean_entropy"].numpy(),
    }).assign(overconfidence=lambda f: f["mean_confidence"] - f["test_acc"])  # signed: > 0 over-confident
    frame["diverged"] = frame["model"].isin(engine.diverged)
    if data.name == "similar_classes":  # where the model puts its doubt about the close pair
        frame["similar_share"] = metrics.similar_share(test_logits, test_labels).numpy()
    predicted = torch.cat([train_logits, held], dim=1).argmax(-1).numpy()
    predictions = points_csv(np.concatenate([data.x_train, data.x_test]),
                             np.concatenate([data.y_train, data.y_test]), split=split,
                             **{f"predicted by {eps_label(e)} seed={s}": predicted[m]
                                for m, (e, s) in enumerate(zip(engine.model_eps, engine.model_seed))})
    first_seed = frame.drop_duplicates("eps")["model"].tolist()
    images = {engine.model_eps[m]: render.boundary_picture(grid[m], RESOLUTION, data, IMAGE_PX)
              for m in first_seed}
    pairs = pair_confusion(test_logits, test_labels)
    pairs = pairs.assign(eps=[engine.model_eps[m] for m in pairs["model"]],
                         seed=[engine.model_seed[m] for m in pairs["model"]])
    return SweepResult(config, data, frame, images, held[:, val_idx], y_held[val_idx], test_logits,
                       test_labels, seconds, predictions, pairs[~pairs["model"].isin(engine.diverged)])


def pair_confusion(logits: torch.Tensor, labels: torch.Tensor) -> pd.DataFrame:
    """Per model and class pair (a, b): the share of the pair's test points predicted as the other
    class of the pair, (#a→b + #b→a) / #{a, b}. Long form: model, pair, rate."""
    predicted = logits.argmax(-1)
    k = logits.shape[-1]
    rows = []
    for a in range(k):
        for b in range(a + 1, k):
            inside = (labels == a) | (labels == b)
            if not bool(inside.any()):
                continue
            swapped = ((labels == a) & (predicted == b)) | ((labels == b) & (predicted == a))
            rate = swapped.sum(-1).double() / inside.sum()
            rows += [{"model": m, "pair": f"{a}↔{b}", "rate": float(r)} for m, r in enumerate(rate)]
    return pd.DataFrame(rows)


def pair_sentence(pairs: pd.DataFrame) -> str:
    """The most confused pair at the smallest ε, and how its confusion moves across the grid."""
    by = pairs.groupby(["pair", "eps"])["rate"].mean().unstack("eps")
    first, last = by.columns.min(), by.columns.max()
    worst = by[first].idxmax()
    return (f"The most confused pair at ε = {first:g} is {worst}: {by.loc[worst, first]:.1%} of its test "
            f"points are taken for the other class; at ε = {last:g}, {by.loc[worst, last]:.1%}.")


# short labels: each titles a narrow panel; the sweep page's caption spells them out
METRICS = {
    "train_acc": "train accuracy", "test_acc": "test accuracy", "test_nll": "test NLL",
    "test_ece": "test ECE", "mean_confidence": "mean confidence",
    "overconfidence": "over-confidence", "mean_logit_gap": "mean logit gap (train)",
    "uncertain_share": "uncertain area", "mean_entropy": "entropy (÷ log K)",
}


def summary_by_eps(models: pd.DataFrame) -> pd.DataFrame:
    """Per eps and metric: mean, min and max over seeds (diverged models left out)."""
    live = models[~models["diverged"]]
    long = live.melt(id_vars=["eps", "seed"], value_vars=list(METRICS), var_name="metric", value_name="value")
    out = long.groupby(["eps", "metric"])["value"].agg(["mean", "min", "max"]).reset_index()
    out["label"] = out["metric"].map(METRICS)
    return out


def interpretation(models: pd.DataFrame) -> list[str]:
    """Sentences from the numbers the charts show, each a paired comparison over the seeds
    (claims.paired): the best ε against the first for NLL and ECE, then the first against the
    last ε for accuracy, the uncertain area and the confidence."""
    live = models[~models["diverged"]]
    if live.empty:
        return ["Every model diverged: lower the learning rate."]
    by = live.groupby("eps").mean(numeric_only=True)
    first, last = by.index[0], by.index[-1]
    if first == last:
        return [f"Only ε = {first:g} trained: there is nothing to compare it with."]
    lines = []
    for key in ("test_nll", "test_ece"):
        best = by[key].idxmin()
        other = last if best == first else first
        lines.append(claims.paired(live, key, "eps", best, other, name=METRIC_NAMES[key]).sentence())
    for key, lower in (("test_acc", False), ("uncertain_share", True), ("mean_confidence", False)):
        lines.append(claims.paired(live, key, "eps", last, first, lower, name=METRIC_NAMES[key]).sentence())
    return lines


def temperature_verdict(compared: dict) -> list[str]:
    """Temperature scaling of the ε = 0 model against that model as trained and against smoothing
    at its best ε, on test ECE, each paired by seed (compared: calibration.compare_with_temperature)."""
    from playground.core.calibration import SCALED, TEMPERATURE
    models = compared["models"]
    smoothed = models[models["eps"] > 0]
    if models[models["eps"] == TEMPERATURE].empty or smoothed.empty:
        return ["The grid needs ε = 0 and at least one ε > 0 to compare temperature scaling with label "
                "smoothing."]
    best = smoothed.groupby("method", sort=False)["ECE"].mean().idxmin()
    lines = [claims.paired(models, "ECE", "method", SCALED, other, name="test ECE").sentence()
             for other in ("label smoothing ε=0", best)]
    temps = compared["temperatures"]
    lines.append(f"The fitted temperature is T = {sum(temps) / len(temps):.3f} (mean over "
                 f"{claims.seeds_phrase(len(temps))}); T minimises the NLL on the validation half, which "
                 "need not lower the binned ECE on the test half, least of all when the model was already "
                 "calibrated.")
    return lines


def noise_comparison(runs: dict[float, pd.DataFrame]) -> pd.DataFrame:
    """Test accuracy and ECE against eps (mean over seeds) for each label-noise level."""
    frames = []
    for noise, models in runs.items():
        summary = summary_by_eps(models)
        summary = summary[summary["metric"].isin(["test_acc", "test_ece"])]
        frames.append(summary.assign(**{"label noise": f"{noise:.0%} flipped"}))
    return pd.concat(frames, ignore_index=True)


def noise_sentence(comparison: pd.DataFrame) -> str:
    """Where each label-noise level's mean test ECE is lowest, and why flipped labels move it."""
    ece = comparison[comparison["metric"] == "test_ece"]
    lowest = ece.loc[ece.groupby("label noise", sort=False)["mean"].idxmin()]
    best = [f"{row['label noise']}: lowest mean test ECE {row['mean']:.3f} at ε = {row['eps']:g}"
            for _, row in lowest.iterrows()]
    return ("; ".join(best) + ". Flipped labels already soften the targets: a training label is right only "
            "(1 − r) of the time, so in expectation the model is asked for 1 − r on the true class and "
            "r/(K − 1) on each other, a smoothed target of its own. Smoothing on top of that adds to it.")
