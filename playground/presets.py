"""Presets: full sweep configurations, each with the claim it demonstrates stated as checks on
measured metrics. tests/test_presets.py runs every preset over 5 seeds and asserts its claims; a
preset whose claim the numbers do not support is changed or dropped, never softened."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from playground.engine import TrainConfig
from playground.sweep import SweepConfig
from playground.validation import check_choice

SEEDS = 5


@dataclass(frozen=True)
class Claim:
    """`metric` (a sweep column) is better at ε = `better` than at ε = `than`: on at least `seeds`
    of the seeds, paired by seed, or on the mean over seeds when `seeds` is 0."""
    metric: str
    better: float
    than: float
    lower_is_better: bool = True
    seeds: int = SEEDS

    def wins(self, models: pd.DataFrame) -> int:
        a = models[models["eps"] == self.better].set_index("seed")[self.metric]
        b = models[models["eps"] == self.than].set_index("seed")[self.metric]
        return int(((a < b) if self.lower_is_better else (a > b)).reindex(b.index).fillna(False).sum())

    def holds(self, models: pd.DataFrame) -> bool:
        live = models[~models["diverged"]]
        if self.seeds == 0:
            means = live.groupby("eps")[self.metric].mean()
            a, b = means[self.better], means[self.than]
            return bool(a < b if self.lower_is_better else a > b)
        return self.wins(live) >= self.seeds


@dataclass(frozen=True)
class Preset:
    title: str
    claim: str  # in words, as the page states it
    config: SweepConfig
    checks: tuple[Claim, ...]
    why: str  # the explanation shown beside the result


PRESETS: dict[str, Preset] = {
    "overconfident": Preset(
        "Over-confident regime: smoothing helps",
        "On a small, noisy problem trained long, smoothing lowers the test NLL on every seed and the mean "
        "test ECE.",
        SweepConfig({"name": "moons", "n": 300, "noise": 0.35, "label_noise": 0.0},
                    TrainConfig(hidden_layers=2, units=64, lr=0.01), (0.0, 0.2), SEEDS, 5000),
        (Claim("test_nll", 0.2, 0.0), Claim("test_ece", 0.2, 0.0, seeds=0)),
        "One-hot training drives confidence to 1 on points it has memorised, so each test mistake costs a "
        "huge NLL; smoothing caps the confidence at q_t."),
    "clean": Preset(
        "Clean, separable data: smoothing costs calibration",
        "On clean moons the one-hot model is already calibrated; smoothing raises the test ECE and NLL on "
        "every seed.",
        SweepConfig({"name": "moons", "n": 1000, "noise": 0.2, "label_noise": 0.0}, TrainConfig(),
                    (0.0, 0.2), SEEDS, 500),
        (Claim("test_ece", 0.0, 0.2), Claim("test_nll", 0.0, 0.2)),
        "Where the classes separate, a confident model is right; smoothing pulls its confidence down to "
        "q_t and leaves it under-confident by about ε(K−1)/K."),
    "too_high": Preset(
        "Too high an ε",
        "At ε = 0.8 the test NLL and ECE are far worse than at ε = 0.1 on every seed, although accuracy "
        "barely moves.",
        SweepConfig({"name": "blobs", "n": 600, "noise": 0.3, "num_classes": 3, "label_noise": 0.0},
                    TrainConfig(), (0.1, 0.8), SEEDS, 1000),
        (Claim("test_nll", 0.1, 0.8), Claim("test_ece", 0.1, 0.8)),
        "The targets approach uniform, so the model is trained to be unsure of everything: the argmax can "
        "stay right while every probability is wrong."),
    "label_noise": Preset(
        "Label noise: the labels are already soft",
        "With 20% of training labels flipped, ε = 0.2 gives a worse test ECE and NLL than ε = 0 on every "
        "seed.",
        SweepConfig({"name": "moons", "n": 1000, "noise": 0.2, "label_noise": 0.2}, TrainConfig(),
                    (0.0, 0.2), SEEDS, 1000),
        (Claim("test_ece", 0.0, 0.2), Claim("test_nll", 0.0, 0.2)),
        "Flipped labels already soften the targets the model sees: near a flipped point it learns a mix, "
        "so extra smoothing only makes it under-confident."),
}


def get(name: str) -> Preset:
    return PRESETS[check_choice("preset", name, tuple(PRESETS))]
