"""Presets: full configurations of one page (the ε sweep, the Alternatives page or the
Representations page), each with the claim it demonstrates stated as checks on measured metrics.

`run` trains a preset and returns one row per model and seed; `verdicts` says in plain words, from
those numbers, whether each claim holds. tests/test_presets.py runs every preset over 5 seeds and
asserts its claims; a preset whose claim the numbers do not support is changed or dropped, never
softened."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import torch

from playground import compare, sweep, tightening
from playground.compare import CompareConfig, Recipe
from playground.engine import TrainConfig
from playground.sweep import SweepConfig
from playground.tightening import TighteningConfig
from playground.validation import check_choice, fail

SEEDS = 5
# page -> the configuration that page runs
PAGES: dict[str, type] = {"sweep": SweepConfig, "alternatives": CompareConfig,
                          "representations": TighteningConfig}
PageConfig = SweepConfig | CompareConfig | TighteningConfig
PageResult = sweep.SweepResult | compare.CompareResult | tightening.TighteningResult

# the share of a similar-class point's wrong-class probability that goes to the other class of the pair
SIMILAR_SHARE = "similar_share"
METRIC_NAMES = {
    "train_acc": "training accuracy", "test_acc": "test accuracy", "test_nll": "test NLL",
    "test_ece": "test ECE", "test_mce": "test MCE", "mean_confidence": "mean confidence",
    "overconfidence": "over-confidence (confidence minus accuracy)",
    "mean_logit_gap": "mean training logit gap", "uncertain_share": "uncertain area",
    "mean_entropy": "mean entropy", "aurc": "AURC", "auroc": "AUROC of right against wrong",
    "ts_nll": "test NLL after temperature scaling", "ts_ece": "test ECE after temperature scaling",
    "ln_aurc": "AURC with the logit-norm score",
    "tightness": "cluster tightness (spread within a class over the distance between classes)",
    SIMILAR_SHARE: "the share of the wrong-class probability on the similar class",
}


@dataclass(frozen=True)
class Claim:
    """`metric` is lower (higher when not `lower_is_better`) where `column` is `better` than where it is
    `than` (ε values on the sweep and representations pages, recipe labels on the Alternatives page): on
    at least `seeds` of the seeds, paired by seed, or on the mean over seeds when `seeds` is 0."""
    metric: str
    better: float | str
    than: float | str
    lower_is_better: bool = True
    seeds: int = SEEDS
    column: str = "eps"

    def _side(self, models: pd.DataFrame, value: float | str) -> pd.Series:
        return models[models[self.column] == value].set_index("seed")[self.metric]

    def wins(self, models: pd.DataFrame) -> int:
        # paired by seed: a seed missing on either side (its model diverged) is no win
        a, b = self._side(models, self.better).align(self._side(models, self.than), join="inner")
        return int(((a < b) if self.lower_is_better else (a > b)).sum())

    def means(self, models: pd.DataFrame) -> tuple[float, float]:
        """Mean of the metric at `better` and at `than` over the live models (nan where none is left)."""
        live = models[~models["diverged"]]
        return float(self._side(live, self.better).mean()), float(self._side(live, self.than).mean())

    def holds(self, models: pd.DataFrame) -> bool:
        live = models[~models["diverged"]]
        if self.seeds == 0:
            a, b = self.means(models)
            return bool(a < b if self.lower_is_better else a > b)  # False when a side is nan
        return self.wins(live) >= self.seeds


@dataclass(frozen=True)
class Preset:
    title: str
    claim: str  # in words, as the page states it
    config: PageConfig
    checks: tuple[Claim, ...]
    why: str  # the explanation shown beside the result
    page: str  # "sweep", "alternatives" or "representations": the page whose settings `config` fills

    def __post_init__(self):
        check_choice("page", self.page, tuple(PAGES))
        if not isinstance(self.config, PAGES[self.page]):
            fail("config", type(self.config).__name__,
                 f"the {self.page} page takes a {PAGES[self.page].__name__}")
        values = column_values(self.config)
        for claim in self.checks:
            for value in (claim.better, claim.than):
                if value not in values.get(claim.column, ()):
                    fail("claim", f"{claim.column} = {value!r}", f"must be one of {values.get(claim.column)}")


def column_values(config: PageConfig) -> dict[str, tuple]:
    """The values a claim may compare: the ε the config trains, or its recipes' labels."""
    if isinstance(config, CompareConfig):
        return {"recipe": tuple(r.label for r in config.recipes)}
    if isinstance(config, TighteningConfig):
        return {"eps": config.validated().grid}
    return {"eps": tuple(config.eps)}


def similar_share(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """[E]: over the test points of classes 0 and 1 (the close pair of similar_classes), the mean share
    of the wrong-class probability that goes to the other class of the pair, p(partner) / (1 − p(true)).
    It is 1 when the model puts all its doubt on the similar class and 1/(K − 1) when it spreads it
    evenly. Computed as a softmax over the wrong classes only, which stays exact when p(true) rounds to 1."""
    pair = (labels == 0) | (labels == 1)
    z = logits[:, pair].double()
    true = labels[pair]
    partner = 1 - true
    rows = torch.arange(len(true))
    wrong_only = z.clone()
    wrong_only[:, rows, true] = float("-inf")
    return torch.softmax(wrong_only, -1)[:, rows, partner].mean(-1)


def models_frame(result: PageResult) -> pd.DataFrame:
    """One row per model and seed, with `seed`, `diverged`, the column claims compare by and the
    metrics, from a page's result."""
    if isinstance(result, compare.CompareResult):
        return result.models
    if isinstance(result, tightening.TighteningResult):
        return result.tightness
    frame = result.models.copy()
    if result.data.name == "similar_classes":
        frame[SIMILAR_SHARE] = similar_share(result.test_logits, result.test_labels).numpy()
    return frame


def run(preset: Preset, on_progress: Callable[[int, int, float], None] | None = None) -> pd.DataFrame:
    """Train the preset's page run (reporting (done, total, seconds left)) and return its models_frame."""
    runner = {"sweep": sweep.run, "alternatives": compare.run, "representations": tightening.run}[preset.page]
    return models_frame(runner(preset.config, on_progress=on_progress))


def _number(value: float) -> str:
    return f"{value:.3g}"


def _where(column: str, value: float | str) -> str:
    if column == "eps":
        return f"at ε = {value:g}"
    if column == "recipe":
        return f"for {value}"
    return f"at {column} = {value}"


def verdict(claim: Claim, models: pd.DataFrame) -> str:
    """One sentence: the claim, whether it holds on these numbers, and the numbers that say so."""
    label = METRIC_NAMES.get(claim.metric, claim.metric)
    name = label[0].upper() + label[1:]  # it opens the sentence
    better, than = _where(claim.column, claim.better), _where(claim.column, claim.than)
    direction = "lower" if claim.lower_is_better else "higher"
    a, b = claim.means(models)
    if pd.isna(a) or pd.isna(b):
        gone = better if pd.isna(a) else than
        return (f"Every model {gone} diverged, so this run cannot show that {label} is "
                f"{direction} {better} than {than}.")
    live = models[~models["diverged"]]
    wins = claim.wins(live)
    compared = models[models[claim.column].isin([claim.better, claim.than])]
    seeds = compared["seed"].nunique()
    dead = int(compared["diverged"].sum())
    means = f"{_number(a)} against {_number(b)}" + (
        f"; {dead} diverged model{'s' if dead > 1 else ''} left out" if dead else "")
    if claim.seeds == 0:
        if claim.holds(models):
            return (f"{name} is {direction} {better} than {than} on the mean over seeds ({means}; on {wins} "
                    f"of {seeds} seeds taken one by one).")
        return (f"{name} is not {direction} {better} than {than} on the mean over seeds here ({means}), so "
                f"this run does not show the claim.")
    if claim.holds(models):
        return f"{name} is {direction} {better} than {than} on {wins} of {seeds} seeds (mean {means})."
    needs = "" if claim.seeds == seeds else f"; the claim needs {claim.seeds}"
    return (f"{name} is {direction} {better} than {than} only on {wins} of {seeds} seeds here (mean {means}"
            f"{needs}), so this run does not show the claim.")


def verdicts(preset: Preset, models: pd.DataFrame) -> list[str]:
    """One sentence per claim of the preset, computed from `models` (run's frame)."""
    return [verdict(claim, models) for claim in preset.checks]


def holds(preset: Preset, models: pd.DataFrame) -> bool:
    """Whether every claim of the preset holds on these numbers."""
    return all(claim.holds(models) for claim in preset.checks)


# The Alternatives page's regulariser view: 2 hidden layers, its ε, weight decay and dropout
REGULARISERS = compare.regulariser_recipes(0.1, 1e-3, 0.2)
SMOOTHING, CROSS_ENTROPY = Recipe("smoothing", 0.1).label, Recipe().label
WEIGHT_DECAY, DROPOUT = Recipe(weight_decay=1e-3).label, Recipe(dropout=0.2).label

PRESETS: dict[str, Preset] = {
    "overconfident": Preset(
        "Over-confident regime: smoothing helps",
        "On a small, noisy problem with a wide network trained long, smoothing lowers the test NLL and the "
        "test ECE on every seed.",
        SweepConfig({"name": "moons", "n": 300, "noise": 0.36, "label_noise": 0.0},
                    TrainConfig(hidden_layers=2, units=64, lr=0.03), (0.0, 0.2), SEEDS, 2000),
        (Claim("test_nll", 0.2, 0.0), Claim("test_ece", 0.2, 0.0)),
        "One-hot training drives confidence to 1 on points it has memorised, so each test mistake costs a "
        "huge NLL; smoothing caps the confidence at q_t.",
        page="sweep"),
    "clean": Preset(
        "Clean, separable data: smoothing costs calibration",
        "On clean moons the one-hot model is already calibrated; smoothing raises the test ECE and NLL on "
        "every seed.",
        SweepConfig({"name": "moons", "n": 1000, "noise": 0.2, "label_noise": 0.0}, TrainConfig(),
                    (0.0, 0.2), SEEDS, 500),
        (Claim("test_ece", 0.0, 0.2), Claim("test_nll", 0.0, 0.2)),
        "Where the classes separate, a confident model is right; smoothing pulls its confidence down to "
        "q_t and leaves it under-confident by about ε(K−1)/K.",
        page="sweep"),
    "too_high": Preset(
        "Too high an ε",
        "At ε = 0.8 the test NLL and ECE are far worse than at ε = 0.1 on every seed, although accuracy "
        "barely moves.",
        SweepConfig({"name": "blobs", "n": 600, "noise": 0.3, "num_classes": 3, "label_noise": 0.0},
                    TrainConfig(), (0.1, 0.8), SEEDS, 1000),
        (Claim("test_nll", 0.1, 0.8), Claim("test_ece", 0.1, 0.8)),
        "The targets approach uniform, so the model is trained to be unsure of everything: the argmax can "
        "stay right while every probability is wrong.",
        page="sweep"),
    "label_noise": Preset(
        "Label noise: the labels are already soft",
        "With 20% of training labels flipped, ε = 0.2 gives a worse test ECE and NLL than ε = 0 on every "
        "seed.",
        SweepConfig({"name": "moons", "n": 1000, "noise": 0.2, "label_noise": 0.2}, TrainConfig(),
                    (0.0, 0.2), SEEDS, 1000),
        (Claim("test_ece", 0.0, 0.2), Claim("test_nll", 0.0, 0.2)),
        "Flipped labels already soften the targets the model sees: near a flipped point it learns a mix, "
        "so extra smoothing only makes it under-confident.",
        page="sweep"),
    "input_noise": Preset(
        "Overlapping classes are not a reason to smooth",
        "On data like the over-confident preset's (moons, 300 points, noise 0.36: the classes overlap), a "
        "small model trained briefly does better without smoothing: ε = 0.2 gives a worse test ECE and NLL "
        "than ε = 0 on every seed.",
        SweepConfig({"name": "moons", "n": 300, "noise": 0.36, "label_noise": 0.0}, TrainConfig(),
                    (0.0, 0.2), SEEDS, 500),
        (Claim("test_ece", 0.0, 0.2), Claim("test_nll", 0.0, 0.2)),
        "Smoothing is sometimes described as if it were input noise. It is not. Input noise moves points, "
        "so where the classes overlap the Bayes-optimal probabilities are genuinely soft, and far from the "
        "overlap they are sure; a one-hot model that has not memorised its points learns that from the "
        "data, because each overlap region holds points of both classes. Smoothing softens every target by "
        "the same amount whatever the input, so it also takes confidence away where the answer is sure. "
        "Label noise is what resembles smoothing: flipping a share r of the labels to random other classes "
        "makes the expected target 1 − r on the true class and r/(K − 1) on each other one, a smoothed "
        "target, which is why extra smoothing only hurts there too (the label-noise preset). On data like "
        "this, smoothing helps when a larger model trained long memorises its points (the over-confident "
        "preset: 64 units, 5,000 steps): it is the memorising it corrects, not the noise.",
        page="sweep"),
    "similar_classes": Preset(
        "Smoothing forgets which classes are alike",
        "With five classes of which two sit close together, the one-hot model puts almost all its doubt "
        "about a point of the close pair on the other class of the pair; at ε = 0.1 and at ε = 0.2 it puts "
        "far less there, on every seed.",
        SweepConfig({"name": "similar_classes", "n": 1000, "noise": 0.2, "num_classes": 5, "gap": 0.4,
                     "label_noise": 0.0}, TrainConfig(), (0.0, 0.1, 0.2), SEEDS, 1000),
        (Claim(SIMILAR_SHARE, 0.0, 0.1, lower_is_better=False),
         Claim(SIMILAR_SHARE, 0.0, 0.2, lower_is_better=False)),
        "Müller, Kornblith & Hinton (2019) point out that smoothing asks every wrong class for the same "
        "probability ε/K, so a model trained with it learns to treat all wrong classes alike and erases "
        "what its probabilities knew about which classes resemble each other. Measured here on the test "
        "points of classes 0 and 1: the share of the probability not given to the true class that goes to "
        "the other class of the pair (1 = all of it, 0.25 = spread evenly over the four wrong classes). "
        "MKH tie this loss to their finding that teachers trained with smoothing distil into worse "
        "students: the similarities are part of what a student learns from.",
        page="sweep"),
    "regularisers": Preset(
        "Smoothing does not replace weight decay or dropout",
        "On a small, noisy 4-class problem, smoothing lowers the test NLL of plain cross-entropy on every "
        "seed, but weight decay alone and dropout alone each give a higher test accuracy and a lower test "
        "NLL than smoothing alone on every seed.",
        CompareConfig({"name": "blobs", "n": 300, "noise": 0.35, "num_classes": 4, "label_noise": 0.0},
                      TrainConfig(hidden_layers=2, units=16, lr=0.01), REGULARISERS, SEEDS, 3000),
        (Claim("test_nll", SMOOTHING, CROSS_ENTROPY, column="recipe"),
         Claim("test_acc", WEIGHT_DECAY, SMOOTHING, lower_is_better=False, column="recipe"),
         Claim("test_nll", WEIGHT_DECAY, SMOOTHING, column="recipe"),
         Claim("test_acc", DROPOUT, SMOOTHING, lower_is_better=False, column="recipe"),
         Claim("test_nll", DROPOUT, SMOOTHING, column="recipe")),
        "Smoothing acts on the targets: it stops the model pushing its confidence towards 1, which is what "
        "the NLL punishes, but it does nothing to stop the network bending its boundary round single noisy "
        "points. Weight decay and dropout act on the network itself: they keep the function "
        "simple, so the boundary follows the bulk of each class and more test points land on the right "
        "side. Different tools for different faults.",
        page="alternatives"),
}


def get(name: str) -> Preset:
    return PRESETS[check_choice("preset", name, tuple(PRESETS))]
