"""The playground from Python, without Streamlit: the functions the pages call, with names and
arguments in scikit-learn's and PyTorch's habits (n_samples, random_state, test_size; lr,
weight_decay, batch_size). docs/library.md shows it in use.

    from playground import api
    data = api.load_dataset("spirals", n_samples=600, random_state=0)
    run = api.train(data, objectives=[("smoothing", 0.0), ("smoothing", 0.1)], steps=500)
    run.metrics()                    # one row per model: accuracy, NLL, ECE on the test points
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
from torch import nn

from playground.core.datasets import DATASETS, Dataset, DatasetSpec, read_points_csv
from playground.engine.engine import Engine, TrainConfig
from playground.experiments import evidence, presets
from playground.experiments import sweep as sweeps
from playground.experiments.claims import HELD_OUT_SEEDS, Evidence
from playground.experiments.export import pytorch_script
from playground.views import charts

__all__ = ["DATASETS", "Run", "claims", "csv_dataset", "dataset", "evaluate_claim", "load_dataset",
           "pytorch_script", "sweep", "sweep_chart", "train", "train_config"]


def dataset(name: str = "moons", *, n_samples: int = 1000, noise: float = 0.2, n_classes: int | None = None,
            random_state: int = 0, test_size: float = 0.3, label_noise: float = 0.0,
            gap: float | None = None) -> DatasetSpec:
    """A data set's description (what a sweep takes and a link spells); `.build()` draws it. For
    scikit-learn's tables (digits, wine, breast_cancer, iris) n_samples, noise and gap do not apply."""
    return DatasetSpec(name, n_samples, noise, n_classes, random_state, test_size, label_noise, gap)


def csv_dataset(source, *, random_state: int = 0, test_size: float = 0.3, label_noise: float = 0.0
                ) -> DatasetSpec:
    """Your own data from a CSV file (a path, or its bytes): a `label` column and 2 to 64 numeric
    feature columns, checked as the upload box checks them (a ValueError names the row and the
    column). Two features are scaled into the box; more are standardised on the training split."""
    raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    x, y = read_points_csv(raw)
    spec = DatasetSpec(points=np.column_stack([x, y]), seed=random_state, test_fraction=test_size,
                       label_noise=label_noise)
    load_dataset(spec)  # splits it now, so a file too small to split is refused here
    return spec


_ARGUMENTS = {"n": "n_samples", "num_classes": "n_classes", "seed": "random_state",
              "test_fraction": "test_size"}


def load_dataset(name: str | DatasetSpec = "moons", **settings) -> Dataset:
    """A data set drawn and split as the pages draw it: x_train, y_train, x_test, y_test (numpy
    arrays: a toy shape's inputs scaled into [-1, 1]², a table's standardised on the training
    split), num_classes, and `plane`, the 2D view the pages draw it in (`plane.project(x)`).
    `name`: a data set's name with settings as `dataset`, or a description (`csv_dataset`)."""
    try:
        return (name if isinstance(name, DatasetSpec) else dataset(name, **settings)).build()
    except ValueError as err:  # named as this function's arguments, not the library's fields
        field, sep, rest = str(err).partition("=")
        raise ValueError(f"{_ARGUMENTS.get(field, field)}{sep}{rest}") from None


def train_config(*, hidden_layers: int = 2, units: int = 16, activation: str = "tanh",
                 optimizer: str = "adam", lr: float = 0.01, momentum: float = 0.9,
                 weight_decay: float = 0.0, batch_size: int = 0,
                 random_state: int = 0, convention: str = "uniform", device: str = "auto",
                 dropout: float = 0.0) -> TrainConfig:
    """The network and optimiser settings every model of a run shares (batch_size 0: full batch)."""
    return TrainConfig(hidden_layers, units, activation, optimizer, lr, momentum, weight_decay, batch_size,
                       random_state, convention, device, dropout).validated()


@dataclass
class Run:
    """Trained models, one per objective and seed, all held in one batched engine."""
    engine: Engine

    def metrics(self) -> pd.DataFrame:
        """One row per model: its objective, value and seed, train and test accuracy, NLL and ECE."""
        return pd.DataFrame([asdict(m) for m in self.engine.evaluate().models])

    def predict_proba(self, x) -> np.ndarray:
        """Every model's class probabilities at points x [M, D]: [models, M, K]."""
        return self.engine.predict(np.asarray(x, dtype=np.float32)).probs.numpy()

    def module(self, i: int = 0) -> nn.Sequential:
        """Model i as a plain torch nn.Sequential with its trained weights."""
        return self.engine.to_module(i)

    def train(self, steps: int) -> Run:
        """Train every model `steps` more steps (a diverged model stays where it stopped)."""
        self.engine.train(steps, evaluate=False)
        return self


def train(data: Dataset, objectives: Sequence[tuple[str, float]] = (("smoothing", 0.1),), *, steps: int = 500,
          n_seeds: int = 1, config: TrainConfig | None = None, **settings) -> Run:
    """Train one model per (objective, value) and seed on `data` for `steps` full-batch (or
    mini-batch) steps. Objectives: ("smoothing", ε) with ε < 0 for negative smoothing,
    ("confidence_penalty", β), ("focal", γ). Settings as `train_config`, or a `config`."""
    if config is not None and settings:
        raise ValueError(f"config={config!r}: give a config or settings ({', '.join(settings)}), not both")
    engine = Engine(data, config=config or train_config(**settings), objectives=list(objectives),
                    n_seeds=n_seeds)
    return Run(engine).train(steps)


def sweep(data: DatasetSpec, eps: Sequence[float] = tuple(np.round(np.linspace(0, 0.5, 11), 4)), *,
          seeds: int = 3, steps: int = 500, config: TrainConfig | None = None, **settings
          ) -> sweeps.SweepResult:
    """The ε sweep page's run: every ε with `seeds` seeds on the data set `data` describes
    (`dataset(...)`). `.models` holds one row per model and metric column."""
    train_settings = config or train_config(**settings)
    return sweeps.run(sweeps.SweepConfig(data, train_settings, tuple(float(e) for e in eps), seeds, steps))


def sweep_chart(result: sweeps.SweepResult) -> alt.FacetChart:
    """The sweep page's metrics-against-ε chart of a sweep."""
    summary = sweeps.summary_by_eps(result.models)
    return charts.sweep_metrics_chart(summary[summary["metric"] != "mean_logit_gap"])


def claims() -> pd.DataFrame:
    """Every claim the pages and docs state: its key, page and words."""
    return pd.DataFrame([{"key": c.key, "page": c.page, "claim": c.statement}
                         for c in presets.registered_claims()])


def evaluate_claim(key: str, seeds: Sequence[int] = HELD_OUT_SEEDS) -> Evidence:
    """A claim decided on `seeds` (the held-out seeds by default): paired by seed, the effect and its
    95% interval, and the verdict (`.comparison`, `.verdict`, `.sentence()`)."""
    found = {c.key: c for c in presets.registered_claims()}
    if key not in found:
        raise ValueError(f"key={key!r} names no claim; api.claims() lists them ({len(found)})")
    return evidence.evaluate([found[key]], seeds=tuple(seeds), seed_range="chosen", cache=False)[0]
