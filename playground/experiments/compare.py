"""Label smoothing beside its alternatives: several objectives (and regularisers) trained on the
same data from the same seeds, then measured on held-out points as trained and after post-hoc
fixes: temperature scaling (fitted on the validation half) and logit normalisation as the
confidence score for selective classification (Xia et al., ICLR 2025), both centred (Cattelan &
Silva's MaxLogit-pNorm) and uncentred (max z/‖z‖_p, as in Xia et al.'s code), each with its p
chosen per model on the validation half (selective.P_GRID)."""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, replace
from typing import ClassVar

import numpy as np
import pandas as pd
import torch

from playground.core import metrics, objectives, selective
from playground.core.calibration import fit_temperature, reliability_frame
from playground.core.datasets import Dataset, DatasetSpec
from playground.core.validation import check_int, check_number, fail
from playground.engine.chunked import OnProgress, Progress, train_to
from playground.engine.engine import Engine, TrainConfig
from playground.experiments import claims
from playground.experiments.export import pytorch_script
from playground.experiments.sweep import MAX_SEEDS, MAX_STEPS, split_held_out
from playground.views import render

MAX_OBJECTIVES = 6
RESOLUTION = 48
IMAGE_PX = 320
CURVE_POINTS = 100  # risk-coverage curves are thinned to this many coverages
# The default regime: a small, noisy 4-class problem trained long, where one-hot over-fits and the
# methods differ (measured over 5 seeds; tests/test_compare.py holds it to that).
DEFAULT_DATA = DatasetSpec(name="blobs", n=300, noise=0.35, num_classes=4)
DEFAULT_TRAIN = TrainConfig(hidden_layers=2, units=32, lr=0.01)
DEFAULT_OBJECTIVES = (("smoothing", 0.0), ("smoothing", 0.1), ("confidence_penalty", 0.5), ("focal", 2.0),
                      ("smoothing", -0.2))
DEFAULT_STEPS = 3000
DEFAULT_SEEDS = 5
# column -> (label, lower is better?)
METRICS = {
    "test_acc": ("accuracy", False), "test_nll": ("NLL", True), "test_ece": ("ECE", True),
    "aurc": ("AURC", True), "auroc": ("AUROC right/wrong", False),
    "mean_confidence": ("mean confidence", None),
    "ts_nll": ("NLL after T", True), "ts_ece": ("ECE after T", True),
    "pnorm_aurc": ("AURC, uncentred p-norm", True), "pnorm_centred_aurc": ("AURC, centred p-norm", True),
}
# the logit-normalised scores: column prefix -> (selective method, name of its risk-coverage curve);
# each one's p is tuned per model on the validation half and kept in the column <prefix>_p
PNORM_SCORES = {
    "pnorm": ("maxlogit_pnorm_uncentred", "max z/‖z‖ₚ (uncentred)"),
    "pnorm_centred": ("maxlogit_pnorm_centred", "MaxLogit-pNorm (centred)"),
}


def objective_label(kind: str, value: float) -> str:
    """A name a reader knows: cross-entropy, smoothing ε=0.1, negative smoothing ε=-0.2, ..."""
    obj = objectives.get(kind)
    if objectives.is_cross_entropy(kind, value):
        return "cross-entropy"
    if kind == "smoothing":
        return f"{'negative smoothing' if value < 0 else 'smoothing'} ε={value:g}"
    return f"{obj.title} {obj.symbol}={value:g}"


@dataclass(frozen=True)
class Recipe:
    """One way to train: an objective plus the regularisers every model of its engine shares."""
    kind: str = "smoothing"
    value: float = 0.0
    weight_decay: float = 0.0
    dropout: float = 0.0

    @property
    def label(self) -> str:
        parts = [] if (self.value == 0 and (self.weight_decay or self.dropout)) else \
            [objective_label(self.kind, self.value)]
        if self.weight_decay:
            parts.append(f"weight decay {self.weight_decay:g}")
        if self.dropout:
            parts.append(f"dropout {self.dropout:g}")
        return " + ".join(parts)


@dataclass(frozen=True)
class CompareConfig:
    """Everything that determines a comparison's result; its JSON is the cache key."""
    PAGE: ClassVar[str] = "alternatives"  # the page that runs it (claims.page_of)
    dataset: DatasetSpec = DEFAULT_DATA
    train: TrainConfig = DEFAULT_TRAIN
    recipes: tuple[Recipe, ...] = tuple(Recipe(k, v) for k, v in DEFAULT_OBJECTIVES)
    seeds: int = DEFAULT_SEEDS
    steps: int = DEFAULT_STEPS

    def validated(self) -> CompareConfig:
        if not 1 <= len(self.recipes) <= MAX_OBJECTIVES:
            fail("objectives", len(self.recipes), f"choose 1 to {MAX_OBJECTIVES}")
        recipes = tuple(Recipe(r.kind, objectives.get(r.kind).check(r.value),
                               check_number("weight_decay", r.weight_decay, 0.0, 1.0),
                               check_number("dropout", r.dropout, 0.0, 0.9)) for r in self.recipes)
        if len(set(recipes)) < len(recipes):
            fail("objectives", [r.label for r in recipes], "each objective at most once")
        check_int("seeds", self.seeds, 1, MAX_SEEDS)
        check_int("steps", self.steps, 1, MAX_STEPS)
        return CompareConfig(self.dataset, self.train.validated(), recipes, int(self.seeds),
                             int(self.steps))

    @classmethod
    def from_key(cls, key: str) -> CompareConfig:
        raw = json.loads(key)
        return cls(DatasetSpec.from_dict(raw["dataset"]), TrainConfig(**raw["train"]),
                   tuple(Recipe(**r) for r in raw["recipes"]), raw["seeds"], raw["steps"])

    def key(self) -> str:
        return json.dumps({"dataset": self.dataset.as_dict(), "train": asdict(self.train),
                           "recipes": [asdict(r) for r in self.recipes], "seeds": self.seeds,
                           "steps": self.steps}, sort_keys=True)

    @property
    def models(self) -> int:
        return len(self.recipes) * self.seeds


@dataclass
class CompareResult:
    config: CompareConfig
    data: Dataset
    models: pd.DataFrame  # one row per model: recipe, seed, temperature and every METRICS column
    reliability: pd.DataFrame  # bins per recipe and variant (as trained / temperature scaled), seeds pooled
    risk_coverage: pd.DataFrame  # per recipe and score: coverage, mean risk over seeds
    images: dict[str, bytes]  # recipe label -> JPEG of its first seed's boundary
    seconds: float


def engine_groups(recipes: tuple[Recipe, ...]) -> dict[tuple[float, float], list[int]]:
    """Recipes that share weight decay and dropout train in one engine (one slot each)."""
    groups: dict[tuple[float, float], list[int]] = {}
    for i, r in enumerate(recipes):
        groups.setdefault((r.weight_decay, r.dropout), []).append(i)
    return groups


def run(config: CompareConfig, on_progress: OnProgress | None = None,
        chunk: int = 100) -> CompareResult:
    """Train every recipe × seed, one engine per distinct (weight decay, dropout), all models of an
    engine at once; report (done, total, seconds left) in steps over all engines."""
    config = config.validated()
    start = time.perf_counter()
    data = config.dataset.build()
    progress = Progress(config.steps * len(engine_groups(config.recipes)), on_progress, start)
    per_recipe = train_models(config, data, progress, chunk)
    return measure(config, data, per_recipe, time.perf_counter() - start)


def script(config: CompareConfig) -> str:
    """The comparison as a plain PyTorch script (export.pytorch_script): each recipe with its own
    weight decay and dropout, measured on the test half of the held-out points."""
    config = config.validated()
    return pytorch_script(config.dataset, config.train, [(r.kind, r.value) for r in config.recipes],
                          config.steps, config.seeds, title=f"Alternatives ({len(config.recipes)} recipes × "
                          f"{config.seeds} seeds)", test_half=True,
                          regularisers=[(r.weight_decay, r.dropout) for r in config.recipes])


def train_models(config: CompareConfig, data: Dataset | list[Dataset], progress: Progress | None = None,
                 chunk: int = 100) -> dict[int, tuple[Engine, int]]:
    """Each recipe's (engine, slot), trained: config.seeds seeds on one data set, or one seed per
    data set."""
    seeds = config.seeds if isinstance(data, Dataset) else len(data)
    groups = engine_groups(config.recipes)
    per_recipe: dict[int, tuple[Engine, int]] = {}
    for (wd, p), members in groups.items():
        train = replace(config.train, weight_decay=wd, dropout=p)
        engine = Engine(data, config=train, n_seeds=seeds,
                        objectives=[(config.recipes[i].kind, config.recipes[i].value) for i in members])
        train_to(engine, config.steps, progress, chunk)
        for slot, i in enumerate(members):
            per_recipe[i] = (engine, slot)
    return per_recipe


def seed_view(per_recipe: dict[int, tuple[Engine, int]], j: int) -> dict:
    """train_models' result for seed index j alone: each recipe's (engine's seed view, slot)."""
    views = {id(engine): engine.seed_view(j) for engine, _ in per_recipe.values()}
    return {i: (views[id(engine)], slot) for i, (engine, slot) in per_recipe.items()}


def _logits(engine: Engine, slot: int, seeds: int, x: np.ndarray, cache: dict) -> torch.Tensor:
    """[seeds, M, K] logits of one slot's models; one prediction per engine and point set."""
    key = (id(engine), id(x))
    if key not in cache:
        cache[key] = engine.predict(x).logits
    return cache[key][slot * seeds:(slot + 1) * seeds]


TEMPERATURE_SCALED = "temperature scaled"


def reliability_name(recipe: str, variant: str) -> str:
    return f"T fitted · {recipe}" if variant == TEMPERATURE_SCALED else recipe


def measure(config: CompareConfig, data: Dataset, per_recipe: dict[int, tuple[Engine, int]],
            seconds: float) -> CompareResult:
    seeds = config.seeds
    val_idx, test_idx = split_held_out(data, config.train.seed)
    y_held = torch.as_tensor(data.y_test)
    y_val, y_test = y_held[val_idx], y_held[test_idx]
    grid = data.view_grid(RESOLUTION)
    cache: dict = {}
    rows, reliability, curves, images = [], [], [], {}
    for i, recipe in enumerate(config.recipes):
        engine, slot = per_recipe[i]
        held = _logits(engine, slot, seeds, data.x_test, cache)
        val, test = held[:, val_idx], held[:, test_idx]
        temps = [fit_temperature(val[s], y_val) for s in range(seeds)]
        scaled = test / torch.tensor(temps, dtype=test.dtype)[:, None, None]
        probs, scaled_probs = torch.softmax(test, -1), torch.softmax(scaled, -1)
        correct = test.argmax(-1) == y_test
        scores = {"max probability": selective.score(test, "msp"),
                  "max probability after T": selective.score(scaled, "msp")}
        tuned = {}
        for prefix, (method, name) in PNORM_SCORES.items():
            scores[name], p = selective.tuned_score(val, y_val, test, method)
            tuned[f"{prefix}_aurc"] = selective.aurc(scores[name], correct).numpy()
            tuned[f"{prefix}_p"] = p.numpy()
        diverged = set(engine.diverged)
        frame = pd.DataFrame({
            "recipe": recipe.label, "kind": recipe.kind, "value": recipe.value,
            "weight_decay": recipe.weight_decay, "dropout": recipe.dropout, "seed": range(seeds),
            "temperature": temps,
            "test_acc": metrics.accuracy(test, y_test).numpy(),
            "test_nll": metrics.nll(test, y_test).numpy(),
            "test_ece": metrics.ece(probs, y_test).numpy(),
            "aurc": selective.aurc(scores["max probability"], correct).numpy(),
            "auroc": selective.auroc(scores["max probability"], correct).numpy(),
            "mean_confidence": metrics.mean_confidence(probs).numpy(),
            "ts_nll": metrics.nll(scaled, y_test).numpy(),
            "ts_ece": metrics.ece(scaled_probs, y_test).numpy(),
            **tuned,
            "diverged": [slot * seeds + s in diverged for s in range(seeds)],
        })
        rows.append(frame)
        pooled = y_test.repeat(seeds)
        for variant, p in (("as trained", probs), (TEMPERATURE_SCALED, scaled_probs)):
            name = reliability_name(recipe.label, variant)
            reliability.append(reliability_frame(p.reshape(-1, p.shape[-1]), pooled, name).assign(
                recipe=recipe.label, variant=variant))
        for name, score in scores.items():
            coverage, risk = selective.risk_coverage(score, correct)
            keep = np.unique(np.linspace(0, len(coverage) - 1, CURVE_POINTS).round().astype(int))
            curves.append(pd.DataFrame({"recipe": recipe.label, "score": name,
                                        "coverage": coverage[keep].numpy(),
                                        "risk": risk.mean(0)[keep].numpy()}))
        probs_grid = _logits(engine, slot, seeds, grid, cache)[:1].softmax(-1)[0]
        images[recipe.label] = render.boundary_picture(probs_grid, RESOLUTION, data, IMAGE_PX)
    return CompareResult(config, data, pd.concat(rows, ignore_index=True),
                         pd.concat(reliability, ignore_index=True), pd.concat(curves, ignore_index=True),
                         images, seconds)


def pnorm_note() -> str:
    """What the two logit-normalised AURC columns measure and how their p is chosen."""
    grid = ", ".join(f"{p:g}" for p in selective.P_GRID)
    return (f"'{METRICS['pnorm_aurc'][0]}': AURC when predictions are ranked by max z/‖z‖ₚ of the logits z "
            f"as they are; '{METRICS['pnorm_centred_aurc'][0]}': by Cattelan & Silva's MaxLogit-pNorm, "
            "max (z − z̄)/‖z − z̄‖ₚ, where z̄ is the mean of a point's logits. For each model p is the one of "
            f"{grid} (0: no normalisation, the largest logit itself) with the least AURC on the validation "
            "half; the second table gives each seed's p, in seed order.")


def tuned_p_table(models: pd.DataFrame) -> pd.DataFrame:
    """The p each logit-normalised score used, per recipe (rows, in the recipes' order) and score
    (columns): the seeds' values in seed order, "–" for a diverged model."""
    def listed(values: pd.Series) -> str:
        return ", ".join("–" if np.isnan(v) else f"{v:g}" for v in values)

    ordered = models.sort_values("seed", kind="stable")
    table = {name: ordered.groupby("recipe", sort=False)[f"{prefix}_p"].agg(listed)
             for prefix, (_, name) in PNORM_SCORES.items()}
    recipes = list(dict.fromkeys(models["recipe"]))
    return pd.DataFrame(table).reindex(recipes)


def summary(models: pd.DataFrame) -> pd.DataFrame:
    """Per recipe and metric: mean, min and max over seeds (diverged models left out), in the
    recipes' order."""
    live = models[~models["diverged"]]
    long = live[["recipe", "seed", *METRICS]].melt(id_vars=["recipe", "seed"], var_name="metric",
                                                    value_name="value")
    out = long.groupby(["recipe", "metric"], sort=False)["value"].agg(["mean", "min", "max"]).reset_index()
    out["label"] = out["metric"].map(lambda m: METRICS[m][0])
    return out


def _paired(models: pd.DataFrame, column: str, a: str, b: str, b_column: str | None = None,
            a_name: str | None = None, b_name: str | None = None, name: str | None = None
            ) -> claims.Comparison:
    """`column` for recipe a against recipe b (or b's `b_column`), paired by seed, in the metric's
    better direction."""
    return claims.paired(models, column, "recipe", a, b, METRICS[column][1] is not False,
                         name=name or f"test {METRICS[column][0]}", a_name=a_name, b_name=b_name,
                         b_metric=b_column)


def interpretation(models: pd.DataFrame, num_classes: int) -> list[str]:
    """Sentences from the numbers the charts show, each a paired comparison over the seeds: every
    recipe against the first, then selective classification as Xia et al. measure it."""
    live = models[~models["diverged"]]
    if live.empty:
        return ["Every model diverged: lower the learning rate."]
    order = list(dict.fromkeys(models["recipe"]))
    base = order[0]
    seeds = models["seed"].nunique()
    lines = []
    dead = models[models["diverged"]].groupby("recipe", sort=False).size()
    for recipe, count in dead.items():
        lines.append(f"{recipe}: {count} of {claims.seeds_phrase(seeds)} diverged and are left out.")
    for recipe in order[1:]:
        said = [_paired(live, column, recipe, base).sentence()
                for column in ("test_nll", "test_ece", "test_acc")]
        lines.append(f"**{recipe}** against {base}: " + " ".join(said))
    scaled = _paired(live, "ts_ece", base, base, "test_ece", a_name=f"{base} after temperature scaling",
                     b_name=f"{base} as trained", name="test ECE")
    lines.append(scaled.sentence() + " Temperature scaling changes no prediction.")
    smoothed = [r for r in order if r.startswith("smoothing ε")]
    if smoothed and base == "cross-entropy":
        r = smoothed[0]
        lines.append("Selective classification (AURC of the max-probability ranking, lower is better): "
                     + _paired(live, "aurc", r, base).sentence())
        for score in ("pnorm_centred_aurc", "pnorm_aurc"):
            name = PNORM_SCORES[score.removesuffix("_aurc")][1]
            lines.append(_paired(live, score, r, r, "aurc", a_name=f"{r} ranked by {name}, p tuned",
                                 b_name=f"{r} ranked by max probability", name="AURC").sentence())
        if num_classes == 2:
            lines.append("With two classes, the centred score gives every point the same value at any "
                         "p ≥ 1, and dividing by the norm throws away the size that ranks a binary model's "
                         "confidence: the p-norm scores mean little here (Xia et al. use K ≥ 10).")
    return lines


def regulariser_verdict(models: pd.DataFrame) -> str:
    """Does smoothing replace weight decay or dropout? Each of them against smoothing alone, paired
    by seed on NLL, ECE and accuracy, from the numbers of this run."""
    live = models[~models["diverged"]]
    order = list(dict.fromkeys(live["recipe"]))
    smoothing = next((r for r in order if r.startswith("smoothing ε") and "+" not in r), None)
    others = [r for r in order if r.startswith(("weight decay", "dropout"))]
    if smoothing is None or not others:
        return ""
    said, better = [], []
    for other in others:
        nll = _paired(live, "test_nll", other, smoothing)
        better.append(nll.verdict == claims.HOLDS)
        said += [nll.sentence(), _paired(live, "test_ece", other, smoothing).sentence(),
                 _paired(live, "test_acc", other, smoothing).sentence()]
    verdict = ("So on this run smoothing does not replace them: each regulariser has the clearly lower NLL."
               if all(better) else "So on this run smoothing is not clearly worse on NLL than at least one "
                                   "of them.")
    return " ".join(said) + " " + verdict


REGULARISER_DEFAULTS = {"eps": 0.1, "weight_decay": 1e-3, "dropout": 0.2}


def regulariser_recipes(eps: float = 0.1, weight_decay: float = 1e-3, dropout: float = 0.2
                        ) -> tuple[Recipe, ...]:
    """Does label smoothing replace weight decay or dropout? None, each alone, all three."""
    return (Recipe(), Recipe("smoothing", eps), Recipe(weight_decay=weight_decay), Recipe(dropout=dropout),
            Recipe("smoothing", eps, weight_decay, dropout))
