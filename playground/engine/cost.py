"""How long a sweep takes on this server: a cost model measured here, not guessed.

One training step costs a fixed part (kernel launches, the optimiser's bookkeeping), a part that
grows with models × points × the network's multiply-accumulates, and one with models × points ×
its activations. The coefficients are fitted to short timed runs of the real engine, so the estimate follows
the machine and its load at the time of measuring."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls

from playground.core.datasets import make_dataset
from playground.core.validation import check_int, check_number, fail
from playground.engine.engine import Engine, TrainConfig


def features(models: int, points: int, widths: list[int], num_classes: int, inputs: int = 2
             ) -> tuple[float, float, float]:
    """What one step's cost grows with: 1 (the fixed part), model-points × multiply-accumulates
    (the matrix products) and model-points × activations (the elementwise work)."""
    sizes = [inputs, *widths, num_classes]
    macs = sum(i * o for i, o in zip(sizes[:-1], sizes[1:]))
    return 1.0, float(models * points * macs), float(models * points * sum(sizes[1:]))


@dataclass(frozen=True)
class CostModel:
    coefficients: tuple[float, float, float]  # seconds per step for each of `features`

    def seconds(self, models: int, steps: int, points: int, widths: list[int], num_classes: int,
                runs: int = 1, inputs: int = 2) -> float:
        """Estimated training seconds of `runs` runs of this size, one after another; `points`
        counts every point of the dataset, as the sweep's settings do."""
        parts = features(models, points, widths, num_classes, inputs)
        return runs * steps * sum(c * f for c, f in zip(self.coefficients, parts))


# (models, points, widths): small to large, varied in depth and width, ~1 s in all on a laptop core
# large ones too: past the CPU's caches a step costs more per operation than small runs suggest
CALIBRATION = ((1, 40, [4]), (16, 1000, [32, 32]), (8, 2000, [8]), (4, 1000, [128, 128]),
               (32, 500, [16, 16, 16, 16]), (32, 3000, [64, 64]), (8, 3000, [128, 128, 128]))


def _timed(models: int, points: int, widths: list[int], steps: int, device: str) -> float:
    data = make_dataset("blobs", n=points, num_classes=3, seed=0)
    config = TrainConfig(hidden_layers=len(widths), units=widths[0], device=device)
    engine = Engine(data, [0.0] * models, config)
    engine.train(2, evaluate=False)  # warm up: first calls allocate
    start, done = time.perf_counter(), 0
    while done < steps and (done < 3 or time.perf_counter() - start < 0.2):
        engine.train(1, evaluate=False)
        done += 1
    return (time.perf_counter() - start) / done


def measure(device: str = "cpu", steps: int = 20) -> CostModel:
    """Fit the coefficients (non-negative least squares, relative error) to timed runs of the real
    engine."""
    steps = check_int("steps", steps, 5, 1000)
    rows = np.array([features(m, p, w, 3) for m, p, w in CALIBRATION])
    times = np.array([_timed(m, p, w, steps, device) for m, p, w in CALIBRATION])
    coefficients, _ = nnls(rows / times[:, None], np.ones(len(times)))
    return CostModel(tuple(float(c) for c in coefficients))


def smaller_run(cost: CostModel, max_seconds: float, models_per_seed: int, seeds: int, steps: int,
                points: int, widths: list[int], num_classes: int, runs: int = 1,
                step_choices: tuple[int, ...] = (), inputs: int = 2) -> tuple[int, int] | None:
    """The largest (seeds, steps) that fits `max_seconds`: fewer seeds first (the experiment stays
    the same, its spread less sure), then fewer steps, from `step_choices` when given. None when
    even one seed at the fewest steps does not fit."""
    check_number("max_seconds", max_seconds, 0.0, math.inf, lo_open=True)
    if not step_choices:
        step_choices = (steps,)
    for fewer_steps in sorted({s for s in step_choices if s <= steps}, reverse=True):
        for fewer_seeds in range(seeds, 0, -1):
            if cost.seconds(models_per_seed * fewer_seeds, fewer_steps, points, widths, num_classes,
                            runs, inputs) <= max_seconds:
                return fewer_seeds, fewer_steps
    return None


def check_time(cost: CostModel, max_seconds: float, models: int, steps: int, points: int,
               widths: list[int], num_classes: int, runs: int = 1, inputs: int = 2) -> float:
    """The estimated seconds; a ValueError naming them when they pass the server's time cap."""
    seconds = cost.seconds(models, steps, points, widths, num_classes, runs, inputs)
    if max_seconds > 0 and seconds > max_seconds:
        fail("time", f"about {seconds:,.0f} s on this server",
             f"must be at most {max_seconds:,.0f} s; use fewer seeds, ε values, steps, points or units")
    return seconds
