"""Training in bounded chunks with a progress report: the one loop every page's run goes through.

A run (one engine or several in turn) shares one `Progress`, which counts the steps done over the
whole run and estimates the seconds left at the pace so far; `train_in_chunks` trains an engine to
a step, a chunk at a time, and stops where the caller measures (snapshots, logit-gap ticks).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from playground.core.validation import check_int

OnProgress = Callable[[int, int, float], None]  # (steps done, steps in all, seconds left)


@dataclass
class Progress:
    """Steps done out of `total` over a run; each `add` reports (done, total, seconds left)."""
    total: int
    on_progress: OnProgress | None = None
    start: float = field(default_factory=time.perf_counter)
    done: int = 0

    def add(self, steps: int) -> None:
        self.done += steps
        if self.on_progress and steps:
            elapsed = time.perf_counter() - self.start
            self.on_progress(self.done, self.total, elapsed / self.done * (self.total - self.done))


def train_in_chunks(engine, until: int, progress: Progress | None = None, chunk: int | None = None,
                    stops: Iterable[int] = (), evaluate: bool = False) -> Iterator[int]:
    """Train `engine` up to step `until`, at most `chunk` steps at a time (None: no bound), each
    chunk reported to `progress`. Yields the step reached at each of `stops` and at `until`, so
    the caller measures there before training goes on; a stop at or below the engine's step now
    is yielded at once. Iterate it to the end (or wrap it in `train_to`) to finish the training."""
    until = check_int("until", until, engine.step, 1_000_000_000)
    if chunk is not None:
        chunk = check_int("chunk", chunk, 1, 1_000_000)
    for end in sorted({s for s in stops if s <= until} | {until}):
        while engine.step < end:
            n = end - engine.step if chunk is None else min(chunk, end - engine.step)
            engine.train(n, evaluate=evaluate)
            if progress is not None:
                progress.add(n)
        yield end


def train_to(engine, until: int, progress: Progress | None = None, chunk: int | None = None) -> None:
    """train_in_chunks with no stops along the way."""
    for _ in train_in_chunks(engine, until, progress, chunk):
        pass
