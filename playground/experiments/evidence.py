"""Held-out evidence for every registered claim: each claim's run trained once per seed, all seeds
stacked in one batched engine with one data set per seed (Engine(data=[...])), each seed's models
measured as the page measures a one-seed run and cached on disk by configuration and code; paired
by `claims`, and written where the pages and docs read it.

A stacked seed trains exactly as it would alone (its own data, batch order and dropout masks), so
a run of the first 3 held-out seeds repeats their numbers from the run of all 10.

`python -m playground.experiments.evidence --write` stores evidence.json (next to claims.py, read by
`claims.stored`) and rewrites docs/claims.md and the README's table.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import pandas as pd

from playground.core.validation import fail
from playground.experiments import compare, distillation, sweep, tightening
from playground.experiments.claims import (
    HELD_OUT_SEEDS,
    INTERVAL,
    STORED,
    TUNING_SEEDS,
    Claim,
    Evidence,
    number,
    page_of,
    seed_span,
)

# ---- running a claim's configuration, one seed at a time ------------------------------------------


def seed_config(config, seed: int):
    """`config` with one seed: the data drawn with `seed` and the models started from `seed`."""
    dataset = config.dataset.reseeded(seed)
    trains = {f: replace(getattr(config, f), seed=seed) for f in ("train", "teacher", "student")
              if hasattr(config, f)}
    return replace(config, dataset=dataset, seeds=1, **trains)


def models_frame(result) -> pd.DataFrame:
    """One row per model and seed, with `seed`, `diverged`, the columns claims compare by and the
    metrics, from a page's result."""
    if isinstance(result, tightening.TighteningResult):
        return result.tightness
    return result.models


def run_page(config, on_progress=None):
    """The page's own run of `config` (its result object)."""
    runner = {"sweep": sweep.run, "alternatives": compare.run, "representations": tightening.run,
              "distillation": distillation.run}[page_of(config)]
    return runner(config, on_progress=on_progress)


# ---- evidence: every seed's run cached on disk, then paired -----------------------------------------

ROOT = Path(__file__).resolve().parents[2]  # the repository
CACHE_ENV = "PLAYGROUND_CLAIMS_CACHE"


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or ROOT / ".cache" / "claims")


# the library files a run's numbers come from (paths under playground/); a cached run is reused only
# while all of them are unchanged. The ui and the wording modules are left out on purpose.
RUN_MODULES = tuple(f"{layer}/{name}.py" for layer, names in (
    ("core", "datasets plane mlp parameters objectives metrics calibration selective information "
             "representations smoothing validation"),
    ("engine", "engine optimisers objective_step graph_runner recorder"),
    ("experiments", "sweep compare tightening distillation"),
) for name in names.split())


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of the library code a run's numbers depend on (RUN_MODULES)."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]
    for name in sorted(RUN_MODULES):
        digest.update(name.encode())
        digest.update((package / name).read_bytes())
    return digest.hexdigest()[:16]


def _cache_path(config, seed: int) -> Path:
    one = seed_config(config, seed)
    name = hashlib.sha256(f"{type(one).__name__}|{one.key()}|{code_fingerprint()}".encode()).hexdigest()[:24]
    return cache_dir() / f"{name}.parquet"


# per page: (train its models on one data set per seed, measure seed index j as a one-seed run)
STACKED = {
    "sweep": (sweep.train_models, lambda one, data, engine, j: sweep.measure(
        one, data, engine.seed_view(j), 0.0).models),
    "alternatives": (compare.train_models, lambda one, data, per_recipe, j: compare.measure(
        one, data, compare.seed_view(per_recipe, j), 0.0).models),
    "representations": (tightening.train_models, lambda one, data, engine, j: tightening.tightness_frame(
        one, data, engine.seed_view(j))),
    "distillation": (distillation.train_models, lambda one, data, trained, j: distillation.models_frame(
        one, data, trained.seed_view(j))),
}


def train_seeds(config, seeds: Sequence[int]) -> list[pd.DataFrame]:
    """models_frame of `config` for each of the consecutive `seeds`, trained in one stacked engine
    (per page: its train_models on one data set per seed, then its own measures on each seed's view)."""
    seeds = list(seeds)
    if seeds != list(range(seeds[0], seeds[0] + len(seeds))):
        fail("seeds", seeds, "must be consecutive (seed index j trains with seed seeds[0] + j)")
    ones = [seed_config(config, seed).validated() for seed in seeds]
    sets = [one.dataset.build() for one in ones]
    train, measure = STACKED[page_of(config)]
    trained = train(ones[0], sets)
    frames = [measure(one, data, trained, j) for j, (one, data) in enumerate(zip(ones, sets))]
    return [f.assign(seed=seed).reset_index(drop=True) for f, seed in zip(frames, seeds)]


def _runs(seeds: Sequence[int]) -> list[list[int]]:
    """`seeds` cut into runs of consecutive values, in order."""
    runs: list[list[int]] = []
    for seed in seeds:
        if runs and seed == runs[-1][-1] + 1:
            runs[-1].append(seed)
        else:
            runs.append([seed])
    return runs


def run_seeds(config, seeds: Sequence[int], cache: bool = True) -> list[pd.DataFrame]:
    """models_frame of `config` on each seed (data and training), with `seed` set to it: the cached
    seeds read from disk, the others trained together (train_seeds) and stored."""
    frames = {s: pd.read_parquet(_cache_path(config, s)) for s in seeds
              if cache and _cache_path(config, s).exists()}
    for run in _runs([s for s in seeds if s not in frames]):
        for seed, frame in zip(run, train_seeds(config, run)):
            frames[seed] = frame
            if cache:
                path = _cache_path(config, seed)
                path.parent.mkdir(parents=True, exist_ok=True)
                frame.to_parquet(path.with_suffix(".tmp"), index=False)
                path.with_suffix(".tmp").replace(path)
    return [frames[s] for s in seeds]


def evaluate(claims: Sequence[Claim], seeds: Sequence[int] = HELD_OUT_SEEDS, seed_range: str = "held-out",
             cache: bool = True, progress: Callable[[str], None] | None = None) -> list[Evidence]:
    """Each claim's evidence over `seeds`; claims that share a configuration share its runs."""
    if not seeds:
        fail("seeds", list(seeds), "need at least one seed")
    groups: dict[str, list[Claim]] = {}
    for claim in claims:
        groups.setdefault(f"{type(claim.config).__name__}|{claim.config.key()}", []).append(claim)
    out: dict[str, Evidence] = {}
    for members in groups.values():
        start = time.perf_counter()
        models = pd.concat(run_seeds(members[0].config, seeds, cache), ignore_index=True)
        seconds = time.perf_counter() - start
        if progress:
            progress(f"{', '.join(c.key for c in members)}: {len(seeds)} seeds in {seconds:.0f} s")
        for claim in members:
            out[claim.key] = Evidence(claim, claim.compare(models), seed_range, seconds)
    return [out[c.key] for c in claims]


def cost(counts: Sequence[int] = (5, 10, 20), alone: int = 5, first: int = 200,
         progress: Callable[[str], None] = print) -> list[tuple[str, int, float]]:
    """Seconds to train and measure every claim's run on `counts` fresh seeds in one stacked engine
    per configuration, and on `alone` seeds one engine per seed, nothing cached: (how, seeds, s)."""
    from playground.experiments.presets import evaluated_claims
    configs = {f"{type(c.config).__name__}|{c.config.key()}": c.config for c in evaluated_claims()}
    seeds = lambda n: list(range(first, first + n))  # noqa: E731
    plans = [("one engine per seed", alone, lambda config: [train_seeds(config, [s]) for s in seeds(alone)])]
    plans += [("stacked", n, lambda config, n=n: train_seeds(config, seeds(n))) for n in counts]
    rows = []
    for how, n, train in plans:
        start = time.perf_counter()
        for config in configs.values():
            train(config)
        rows.append((how, n, time.perf_counter() - start))
        progress(f"{how}, {n} seeds: {rows[-1][2]:.1f} s")
    return rows


# ---- the command: evaluate, store, and write the docs ---------------------------------------------

DOCS = ROOT / "docs" / "claims.md"
README = ROOT / "README.md"
README_START, README_END = "<!-- claims: start -->", "<!-- claims: end -->"


DESCRIBED = ("n", "noise", "num_classes", "gap", "label_noise")  # a claim's data settings, in docs


def describe(config) -> str:
    """A configuration in one line: the page, the data, the network and the training."""
    data = config.dataset
    shown = ", ".join(f"{k} {getattr(data, k)}" for k in DESCRIBED if getattr(data, k) is not None)
    train = getattr(config, "train", None) or config.teacher
    net = f"{train.hidden_layers}×{train.units} {train.activation}, {train.optimizer} lr {train.lr:g}"
    extra = {"weight_decay": train.weight_decay, "dropout": train.dropout}
    net += "".join(f", {k.replace('_', ' ')} {v:g}" for k, v in extra.items() if v)
    return (f"{page_of(config)} page: {data.name} ({shown}); {net}; "
            f"{config.steps:,} steps")


def _row(e: Evidence) -> str:
    c = e.comparison
    mean, low, high = c.interval
    return (f"| `{e.claim.key}` | {number(c.a_mean)} vs {number(c.b_mean)} | {number(mean)} | "
            f"{number(low)} to {number(high)} | {c.wins}/{c.n} | **{e.verdict}** |")


TABLE_HEAD = ("| claim | mean (claimed side vs other) | mean paired difference | 95% t-interval | wins | "
              "verdict |\n|---|---|---|---|---|---|")


def markdown(evidence: Sequence[Evidence], stated: set[str]) -> str:
    """docs/claims.md: every claim, its configuration, its held-out evidence and its verdict; the
    claims the project states (keys in `stated`) first, then those it checked and does not state."""
    seeds = sorted({s for e in evidence for s in e.comparison.seeds})
    said = [e for e in evidence if e.claim.key in stated]
    unsaid = [e for e in evidence if e.claim.key not in stated]
    lines = ["# Claims and their evidence", "",
             "Generated by `python -m playground.experiments.evidence --write` from the claims registered "
             "in `playground/experiments/presets.py`; do not edit by hand (a test compares this file with "
             "the stored evidence).", "",
             f"Each claim's run is trained once per seed, with the data and the initial weights both drawn "
             f"from that seed; the seeds train together in one batched engine, each on its own data with "
             f"its own batch order and dropout masks, as it would train alone (up to float rounding). "
             f"Settings were chosen on the tuning {seed_span(TUNING_SEEDS)} only; "
             f"everything below is measured on the held-out {seed_span(seeds)}. The two sides are paired "
             f"by seed; a claim **holds** only when the {INTERVAL} of the mean paired difference excludes 0 "
             "in the claimed direction, shows **no clear difference** when it contains 0, and is "
             "**the opposite** otherwise. The win count is shown beside it and decides nothing.", "",
             "## Claims the pages state", "", TABLE_HEAD, *(_row(e) for e in said), "",
             "## Checked, not stated", "",
             "Claims from the papers, or from earlier versions of these pages, that did not hold clearly on "
             "the tuning seeds or on these held-out seeds. Their verdicts are whatever the evidence gives; "
             "the pages do not state them.", "", TABLE_HEAD, *(_row(e) for e in unsaid), ""]
    for e in evidence:
        c = e.comparison
        lines += [f"### `{e.claim.key}`", "", f"*{e.claim.statement}*", "",
                  f"- Run: {describe(e.claim.config)}.",
                  f"- Compared: {c.metric}, {c.a_name} against {c.b_name} "
                  f"({'lower' if c.lower_is_better else 'higher'} is better).",
                  f"- Evidence: {e.sentence()}",
                  f"- Per seed ({c.a_name} / {c.b_name}): " + ", ".join(
                      f"{s}: {number(a)} / {number(b)}" for s, a, b in zip(c.seeds, c.a, c.b)) + ".", ""]
    return "\n".join(lines)


def readme_block(evidence: Sequence[Evidence]) -> str:
    """The README's table of findings, between its markers."""
    return "\n".join([README_START, TABLE_HEAD, *(_row(e) for e in evidence), README_END])


def with_readme_block(text: str, block: str) -> str:
    if README_START not in text or README_END not in text:
        fail("README", "no claims markers", f"must hold {README_START} and {README_END}")
    head, rest = text.split(README_START, 1)
    return head + block + rest.split(README_END, 1)[1]


def write(evidence: Sequence[Evidence], stated: set[str]) -> None:
    STORED.write_text(json.dumps({"seeds": list(HELD_OUT_SEEDS), "claims": [e.record() for e in evidence]},
                                 indent=1, ensure_ascii=False) + "\n")
    DOCS.write_text(markdown(evidence, stated) + "\n")
    if README.exists() and README_START in README.read_text():
        shown = [e for e in evidence if e.claim.key in stated]
        README.write_text(with_readme_block(README.read_text(), readme_block(shown)))


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    import torch

    from playground.experiments.presets import evaluated_claims, registered_claims
    parser = argparse.ArgumentParser(prog="python -m playground.experiments.evidence", description=(
        "Evaluate every registered claim over paired seeds and print its verdict."))
    parser.add_argument("--seeds", choices=("held-out", "tuning"), default="held-out")
    parser.add_argument("--only", default="", help="only the claims whose key starts with this")
    parser.add_argument("--write", action="store_true",
                        help="store the held-out evidence and rewrite docs/claims.md and the README table")
    parser.add_argument("--no-cache", action="store_true", help="train every run again")
    parser.add_argument("--cost", action="store_true",
                        help="time every claim's run on 5, 10 and 20 fresh seeds stacked and on 5 one engine "
                             "per seed, then stop")
    args = parser.parse_args(argv)
    if args.write and (args.seeds != "held-out" or args.only):
        parser.error("--write stores the held-out evidence of every claim: drop --seeds and --only")
    torch.set_num_threads(1)  # the numbers must not depend on the machine's thread count
    if args.cost:
        import platform
        print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch "
              f"{torch.__version__}, 1 thread; {len(evaluated_claims())} claims")
        cost()
        return 0
    chosen = [c for c in evaluated_claims() if c.key.startswith(args.only)]
    seeds = HELD_OUT_SEEDS if args.seeds == "held-out" else TUNING_SEEDS
    start = time.perf_counter()

    def progress(line: str) -> None:
        print(f"[{time.perf_counter() - start:6.0f} s] {line}", flush=True)

    evidence = evaluate(chosen, seeds, args.seeds, cache=not args.no_cache, progress=progress)
    for e in evidence:
        print(f"{e.verdict:>20}  {e.claim.key}: {e.sentence()}")
    held = sum(e.holds for e in evidence)
    print(f"{len(evidence)} claims, {held} hold, in {time.perf_counter() - start:.0f} s")
    if args.write:
        write(evidence, {c.key for c in registered_claims()})
        print(f"wrote {STORED.relative_to(ROOT)}, {DOCS.relative_to(ROOT)} and the README table")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
