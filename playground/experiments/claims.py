"""Claims: the one place where a comparative statement is decided.

A claim is data (`Claim`): the run it needs (a page's configuration), the metric, the two sides it
compares, the direction it states, and how it is said. Its evidence (`Evidence`) comes from
training that run once per seed, the data seed and the training seed both set to that seed, and
pairing the two sides by seed: the mean paired difference, a 95% Student-t interval for it, and the
win count beside it.

The verdict is HOLDS only when the interval excludes 0 in the claimed direction, OPPOSITE when it
excludes 0 the other way, and NO_CLEAR_DIFFERENCE when it contains 0. A win count alone decides
nothing: under a fair coin, 4 or more wins of 5 happen 19% of the time.

Seeds: a claim's design (a preset's settings) may be adjusted on TUNING_SEEDS only; it is reported
on HELD_OUT_SEEDS, a disjoint range. `python -m playground.experiments.evidence` evaluates every
registered claim on the held-out seeds and writes the evidence the pages show (evidence.json, read
here by `stored`) and docs/claims.md.

`compare` is the same paired comparison for a run already on screen (the page's own seeds, one data
set): the pages' comparative sentences come from it, never from their own arithmetic.
"""
from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from playground.core.validation import fail

TUNING_SEEDS = tuple(range(0, 10))
HELD_OUT_SEEDS = tuple(range(100, 110))
CONFIDENCE = 0.95
INTERVAL = "95% t-interval"  # how every sentence names the interval

HOLDS, NO_CLEAR_DIFFERENCE, OPPOSITE = "holds", "no clear difference", "the opposite"
VERDICTS = (HOLDS, NO_CLEAR_DIFFERENCE, OPPOSITE)


def t_interval(differences: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """(mean, low, high) of a Student-t interval for the mean of paired differences. With one
    difference the interval is unbounded: one seed decides nothing."""
    d = np.asarray(differences, dtype=np.float64)
    if d.size == 0:
        fail("differences", "[]", "need at least one paired difference")
    if not np.isfinite(d).all():
        fail("differences", d.tolist(), "must be finite")
    mean = float(d.mean())
    if d.size == 1:
        return mean, -math.inf, math.inf
    half = float(stats.t.ppf(0.5 + confidence / 2, d.size - 1) * d.std(ddof=1) / math.sqrt(d.size))
    return mean, mean - half, mean + half


def verdict_of(low: float, high: float, lower_is_better: bool) -> str:
    """HOLDS when the interval of (claimed side − other side) excludes 0 in the claimed direction."""
    if lower_is_better:
        return HOLDS if high < 0 else OPPOSITE if low > 0 else NO_CLEAR_DIFFERENCE
    return HOLDS if low > 0 else OPPOSITE if high < 0 else NO_CLEAR_DIFFERENCE


def number(value: float) -> str:
    """Three significant digits, and a true minus sign."""
    if value == 0:
        return "0"
    return f"{value:.3g}".replace("-", "−")


def seeds_phrase(n: int) -> str:
    return f"{n} seed" if n == 1 else f"{n} seeds"


@dataclass(frozen=True)
class Comparison:
    """Two sides of one metric paired by seed. `a` is the side a claim says is better (or simply
    the first side named); differences are a − b, seed by seed."""
    metric: str  # its name in a sentence, e.g. "test NLL"
    a_name: str  # e.g. "ε = 0.2" or "smoothing ε=0.1"
    b_name: str
    lower_is_better: bool
    seeds: tuple[int, ...]
    a: tuple[float, ...]
    b: tuple[float, ...]

    def __post_init__(self):
        if not (len(self.seeds) == len(self.a) == len(self.b)):
            fail("seeds", len(self.seeds), f"need one value per side and seed ({len(self.a)}, {len(self.b)})")

    @property
    def n(self) -> int:
        return len(self.seeds)

    @property
    def differences(self) -> np.ndarray:
        return np.asarray(self.a, dtype=np.float64) - np.asarray(self.b, dtype=np.float64)

    @property
    def interval(self) -> tuple[float, float, float]:
        return t_interval(self.differences)

    @property
    def mean_difference(self) -> float:
        return self.interval[0]

    @property
    def wins(self) -> int:
        """Seeds on which a is better than b."""
        d = self.differences
        return int((d < 0).sum() if self.lower_is_better else (d > 0).sum())

    @property
    def ties(self) -> int:
        return int((self.differences == 0).sum())

    @property
    def verdict(self) -> str:
        """HOLDS: a is better than b; OPPOSITE: b is better; else NO_CLEAR_DIFFERENCE."""
        if self.n == 0:
            return NO_CLEAR_DIFFERENCE
        _, low, high = self.interval
        return verdict_of(low, high, self.lower_is_better)

    @property
    def a_mean(self) -> float:
        return float(np.mean(self.a)) if self.n else math.nan

    @property
    def b_mean(self) -> float:
        return float(np.mean(self.b)) if self.n else math.nan

    def effect(self) -> str:
        """'by 0.41 (95% t-interval 0.32 to 0.5, 10 seeds, lower on 10)': the size of a − b, its
        interval, the seeds and the wins of a."""
        mean, low, high = self.interval
        word = "lower" if self.lower_is_better else "higher"
        if self.n == 1:
            return f"by {number(abs(mean))} on the one seed run (one seed gives no interval)"
        if self.differences.min() == self.differences.max():
            spread = f"the same on every one of the {seeds_phrase(self.n)}"
            return f"by {number(abs(mean))}, {spread}"
        return (f"by {number(abs(mean))} on average ({INTERVAL} of {self.a_name} minus {self.b_name}: "
                f"{number(low)} to {number(high)}; {seeds_phrase(self.n)}, {word} {at(self.a_name)} on "
                f"{self.wins})")

    def sentence(self) -> str:
        """Names the better side explicitly, or says the two are about the same within the noise
        across seeds."""
        if self.n == 0:
            return f"No seed has both {self.a_name} and {self.b_name}, so there is nothing to compare."
        word = "lower" if self.lower_is_better else "higher"
        means = f"{number(self.a_mean)} against {number(self.b_mean)}"
        verdict = self.verdict
        if verdict == HOLDS:
            return (f"{_cap(self.metric)} is {word} {at(self.a_name)} than {at(self.b_name)}: {means}, "
                    f"{self.effect()}.")
        if verdict == OPPOSITE:
            flipped = Comparison(self.metric, self.b_name, self.a_name, self.lower_is_better, self.seeds,
                                 self.b, self.a)
            return (f"{_cap(self.metric)} is {word} {at(self.b_name)} than {at(self.a_name)}: "
                    f"{number(self.b_mean)} against {number(self.a_mean)}, {flipped.effect()}.")
        if self.n == 1:
            return (f"{_cap(self.metric)}: {means} {at(self.a_name)} and {self.b_name} on one seed, which "
                    "cannot tell a difference from noise.")
        _, low, high = self.interval
        return (f"{_cap(self.metric)} is about the same {at(self.a_name)} and {self.b_name}: {means}, a "
                f"difference inside the noise across seeds ({INTERVAL} {number(low)} to {number(high)}, "
                f"{seeds_phrase(self.n)}).")


def at(name: str) -> str:
    """'at ε = 0.2', but 'for weight decay 0.001': a side is a place on the ε axis or a method."""
    return f"at {name}" if name.startswith("ε") else f"for {name}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def paired(models: pd.DataFrame, metric: str, column: str, a, b, lower_is_better: bool = True,
           name: str | None = None, a_name: str | None = None, b_name: str | None = None,
           b_metric: str | None = None) -> Comparison:
    """The Comparison of `metric` where `column` is a against where it is b, paired by `seed`;
    seeds where either side diverged (or is missing) are left out. `b_metric` compares another
    metric on the b side (the same model scored two ways, say)."""
    for needed in ("seed", column, metric, *([b_metric] if b_metric else [])):
        if needed not in models.columns:
            fail("models", f"columns {list(models.columns)}", f"must hold {needed!r}")
    live = models[~models["diverged"]] if "diverged" in models.columns else models
    side_a = live[live[column] == a].set_index("seed")[metric]
    side_b = live[live[column] == b].set_index("seed")[b_metric or metric]
    side_a, side_b = side_a.align(side_b, join="inner")
    keep = side_a.notna() & side_b.notna()
    side_a, side_b = side_a[keep], side_b[keep]
    return Comparison(name or metric, a_name or where(column, a), b_name or where(column, b),
                      lower_is_better, tuple(int(s) for s in side_a.index), tuple(map(float, side_a)),
                      tuple(map(float, side_b)))


def where(column: str, value) -> str:
    if column == "eps":
        return f"ε = {value:g}"
    return str(value)


# ---- claims as data, and their evidence over seeds -------------------------------------------------

@dataclass(frozen=True)
class Claim:
    """`metric` is lower (higher when not `lower_is_better`) where `column` is `better` than where it
    is `than`, on the run `config` describes (a page's configuration: its seeds are ignored, each
    seed of the evidence runs alone). `than_metric` scores the `than` side with another metric (the
    same models ranked two ways). `statement` is the claim in words, as a page or the docs say it."""
    key: str
    statement: str
    config: object
    metric: str
    better: float | str
    than: float | str
    lower_is_better: bool = True
    column: str = "eps"
    than_metric: str | None = None
    metric_name: str | None = None
    better_name: str | None = None
    than_name: str | None = None
    rows: tuple[tuple[str, object], ...] = ()  # (column, value) filters, e.g. (("role", "teacher"),)

    @property
    def page(self) -> str:
        return page_of(self.config)

    def compare(self, models: pd.DataFrame) -> Comparison:
        """This claim's two sides on `models` (one row per model and seed)."""
        from playground.core.metrics import METRIC_NAMES
        for column, value in self.rows:
            models = models[models[column] == value]
        return paired(models, self.metric, self.column, self.better, self.than, self.lower_is_better,
                      self.metric_name or METRIC_NAMES.get(self.metric, self.metric), self.better_name,
                      self.than_name, self.than_metric)


@dataclass(frozen=True)
class Evidence:
    """A claim and its paired comparison over a named range of seeds."""
    claim: Claim
    comparison: Comparison
    seed_range: str  # "held-out" or "tuning" (or "own run")
    seconds: float = 0.0

    @property
    def verdict(self) -> str:
        return self.comparison.verdict

    @property
    def holds(self) -> bool:
        return self.verdict == HOLDS

    def sentence(self) -> str:
        c = self.comparison
        opening = {HOLDS: "Holds", NO_CLEAR_DIFFERENCE: "No clear difference",
                   OPPOSITE: "The opposite holds"}[self.verdict]
        return f"{opening} on {seeds_phrase(c.n)} ({self.seed_range}, {seed_span(c.seeds)}): {c.sentence()}"

    def record(self) -> dict:
        c = self.comparison
        mean, low, high = c.interval
        return {"key": self.claim.key, "statement": self.claim.statement, "page": self.claim.page,
                "metric": self.claim.metric, "better": self.claim.better, "than": self.claim.than,
                "seed_range": self.seed_range, "seeds": list(c.seeds), "a": list(c.a), "b": list(c.b),
                "mean_difference": mean, "low": low, "high": high, "wins": c.wins, "verdict": self.verdict}


def seed_span(seeds: Sequence[int]) -> str:
    """'seeds 100–109', or the list when they are not a run."""
    s = sorted(seeds)
    if not s:
        return "no seeds"
    if s == list(range(s[0], s[-1] + 1)) and len(s) > 2:
        return f"seeds {s[0]}–{s[-1]}"
    return "seed " + str(s[0]) if len(s) == 1 else "seeds " + ", ".join(map(str, s))


PHRASES = {HOLDS: "the claim holds", NO_CLEAR_DIFFERENCE: "no clear difference",
           OPPOSITE: "the opposite of the claim"}


def agreement(own: Comparison, held_out: Evidence) -> str:
    """Whether a learner's own run points the same way as the held-out evidence."""
    mine, theirs = PHRASES[own.verdict], PHRASES[held_out.verdict]
    run = f"Your run ({seeds_phrase(own.n)} on one data set)"
    held = f"the held-out evidence ({seeds_phrase(held_out.comparison.n)}, each its own data set)"
    if own.verdict == held_out.verdict:
        return f"{run} agrees with {held}: {mine}."
    if own.verdict == NO_CLEAR_DIFFERENCE:
        return (f"{run} shows no clear difference, while {held} finds {theirs}: a few seeds on one data "
                "set are often too few to tell.")
    return f"{run} finds {mine}, unlike {held}, which finds {theirs}: this data set is not the typical case."


def page_of(config) -> str:
    """The page whose run `config` describes (each page's configuration class names it)."""
    page = getattr(type(config), "PAGE", None)
    if page is None:
        fail("config", type(config).__name__,
             "must be a SweepConfig, CompareConfig, TighteningConfig or DistillConfig")
    return page


# ---- the stored held-out evidence the pages show ----------------------------------------------------

STORED = Path(__file__).with_name("evidence.json")  # written by python -m playground.experiments.evidence


def stored_records() -> dict[str, dict]:
    """The stored held-out evidence, by claim key ({} when none is stored)."""
    if not STORED.exists():
        return {}
    return {r["key"]: r for r in json.loads(STORED.read_text())["claims"]}


def stored(claim: Claim) -> Evidence | None:
    """The claim's stored held-out evidence, or None when there is none for this very claim."""
    record = stored_records().get(claim.key)
    if record is None or record["better"] != claim.better or record["than"] != claim.than \
            or record["metric"] != claim.metric:
        return None
    from playground.core.metrics import METRIC_NAMES
    comparison = Comparison(claim.metric_name or METRIC_NAMES.get(claim.metric, claim.metric),
                            claim.better_name or where(claim.column, claim.better),
                            claim.than_name or where(claim.column, claim.than), claim.lower_is_better,
                            tuple(record["seeds"]), tuple(record["a"]), tuple(record["b"]))
    return Evidence(claim, comparison, record["seed_range"])
