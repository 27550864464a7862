"""Trained results, computed once per server process and shared by every session.

The sweep (and Calibration, which reads the same sweep), Alternatives, Representations and
Distillation pages each train for seconds. Their results are kept here, keyed by the page and the
JSON of the configuration, and the training sees only what that JSON holds: so every setting that
changes a result is in its key, and a second visitor, a view toggle or a download reruns the page
without training.

A result being trained is a `Flight` on its own thread, whoever asked for it first. Every session
that asks for the same key meanwhile waits on that flight (single-flight: one training however
many ask), and its progress bar follows it. A session that reruns or leaves while it waits does
not stop the training, so its result is there when the session asks again.

At most MAX_ENTRIES results per page are kept, and at most MAX_BYTES in all (by `deep_size`'s
count, taken once when a result lands), the least recently used going first. Nothing here imports
Streamlit: pages reach it through `training_run.trained`.
"""
from __future__ import annotations

import dataclasses
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from playground.serving.limits import HEAVY, engine_bytes, memory_budget

Progress = Callable[[int, int, float], None]  # (steps done, steps in all, seconds left)
# Results kept per page. Each page's default result holds 0.25-0.93 MB, so full of such results the
# cache holds about 25 MB; the largest sweep the form allows (210 models, 3,000 points, 10 classes)
# holds about 10 MB, so MAX_BYTES is the bound that matters for large ones.
MAX_ENTRIES = {"sweep": 16, "alternatives": 8, "representations": 8, "distillation": 8}
MAX_BYTES = 256 * 1024**2


@dataclass(frozen=True)
class Request:
    """One page's training, as the cache and the caps see it (models: of its largest engine)."""
    page: str  # the cache's namespace: "sweep", "alternatives", ...
    key: str  # the configuration's JSON, everything `train` uses
    what: str  # for the progress bar: "33 models"
    models: int
    steps: int
    points: int
    widths: list[int]
    classes: int
    train: Callable[[Progress], Any]  # trains from the key alone, reporting progress
    runs: int = 1  # engines of this size trained one after another (their work adds up)
    inputs: int = 2  # each example's input features

    @property
    def nbytes(self) -> int:
        """The engine's memory estimate, held from the process budget while it trains."""
        return engine_bytes(self.models, self.points, self.widths, self.classes, inputs=self.inputs)


class Flight:
    """A training in progress: its latest progress, then its result or its error."""

    def __init__(self, request: Request):
        self.request = request
        self.progress: tuple[int, int, float] | None = None
        self.result: Any = None
        self.error: BaseException | None = None
        self.waiters = 0  # sessions that joined it after it started
        self._done = threading.Event()

    def report(self, done: int, total: int, left: float) -> None:
        self.progress = (done, total, left)

    def place(self) -> int | None:
        """Its place in the queue of heavy runs waiting to start (1: next), None once training."""
        return HEAVY.place(self)

    @property
    def work(self) -> int:
        """models × steps × points: what its time grows with."""
        return self.request.models * self.request.steps * self.request.points

    def seconds_left(self) -> float | None:
        """A training run's own estimate of its time left (None before its first report)."""
        return None if self.progress is None else self.progress[2]

    def pace(self) -> float | None:
        """Seconds per unit of work, from its own estimate of the time left over the work left (None
        before its first report and once done)."""
        if self.progress is None:
            return None
        done, total, left = self.progress
        return left / (self.work * (total - done) / total) if 0 < done < total else None

    def wait_estimate(self) -> float | None:
        """Seconds until this waiting run starts: the runs training now finish as they say, and
        the runs ahead of it take as long as their work at the pace of those now training."""
        paces = [p for p in (f.pace() for f in HEAVY.running() if isinstance(f, Flight)) if p]
        pace = sum(paces) / len(paces) if paces else None
        return HEAVY.wait_estimate(self, lambda f: f.seconds_left(),
                                   lambda f: None if pace is None else pace * f.work)

    def wait(self, timeout: float | None = None) -> bool:
        """True once the training has ended, either way."""
        return self._done.wait(timeout)

    def outcome(self):
        """The result, or the training's own error raised again (a ValueError for a page to show,
        torch.OutOfMemoryError to fall back to the CPU)."""
        self.wait()
        if self.error is not None:
            raise self.error
        return self.result


class ResultsCache:
    """Results by (page, key), at most `max_entries` per page, with one flight per key in training."""

    def __init__(self, max_entries: int | Mapping[str, int] = 8, max_bytes: int = MAX_BYTES):
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._lock = threading.Lock()
        # (page, key) -> (result, its bytes), least recently used first
        self._results: OrderedDict[tuple[str, str], tuple[Any, int]] = OrderedDict()
        self._flights: dict[tuple[str, str], Flight] = {}
        self.trainings = 0  # flights started since the last clear
        self.hits = 0

    def _limit(self, page: str) -> int:
        limit = self.max_entries
        return limit.get(page, 8) if isinstance(limit, Mapping) else limit

    def _take(self, ident: tuple[str, str]) -> tuple[bool, Any]:
        """Under the lock: (True, result) when kept; it becomes the most recently used."""
        if ident not in self._results:
            return False, None
        self._results.move_to_end(ident)
        self.hits += 1
        return True, self._results[ident][0]

    def cached(self, page: str, key: str) -> tuple[bool, Any]:
        """(True, result) when the result is kept; it becomes the most recently used."""
        with self._lock:
            return self._take((page, key))

    def flight(self, request: Request) -> Flight:
        """The request's flight: a finished one when its result is kept, the one in the air for its
        key, or a new one, started on its own thread."""
        ident = (request.page, request.key)
        with self._lock:
            found, result = self._take(ident)
            if found:
                done = Flight(request)
                done.result = result
                done._done.set()
                return done
            flying = self._flights.get(ident)
            if flying is not None:
                flying.waiters += 1
                return flying
            flying = self._flights[ident] = Flight(request)
            self.trainings += 1
        threading.Thread(target=self._fly, args=(flying,), daemon=True,
                         name=f"playground-train-{request.page}").start()
        return flying

    def get(self, request: Request):
        """The request's result, trained once however many ask for it at the same time."""
        return self.flight(request).outcome()

    def _fly(self, flight: Flight) -> None:
        request = flight.request
        try:
            HEAVY.enter(flight)  # waits its turn; the page reads its place meanwhile
            try:
                with memory_budget().reserve(request.nbytes):
                    result = request.train(flight.report)
            finally:
                HEAVY.leave(flight)
        except BaseException as err:  # noqa: BLE001 (handed to every session waiting on it)
            flight.error = err
            with self._lock:
                del self._flights[(request.page, request.key)]
        else:
            flight.result = result
            nbytes = deep_size(result)
            with self._lock:  # stored and landed in one step: an asker sees one or the other
                self._store(request.page, request.key, result, nbytes)
                del self._flights[(request.page, request.key)]
        finally:
            flight._done.set()
            del request, flight  # the run's tensors are garbage now, unless the cache kept them
            after_flight()

    def _store(self, page: str, key: str, result: Any, nbytes: int) -> None:
        """Under the lock: keep the result; drop the least recently used past the page's limit, then
        past the bytes (never the one just kept)."""
        self._results[(page, key)] = (result, nbytes)
        same_page = [ident for ident in self._results if ident[0] == page]
        for ident in same_page[:max(0, len(same_page) - self._limit(page))]:
            del self._results[ident]
        while len(self._results) > 1 and sum(n for _, n in self._results.values()) > self.max_bytes:
            self._results.popitem(last=False)

    def keys(self, page: str) -> list[str]:
        """The page's kept keys, least recently used first."""
        with self._lock:
            return [key for p, key in self._results if p == page]

    def in_flight(self) -> list[Flight]:
        with self._lock:
            return list(self._flights.values())

    def stats(self) -> dict[str, dict[str, int]]:
        """Per page: results kept, their bytes, and the page's limit."""
        out: dict[str, dict[str, int]] = {}
        with self._lock:
            for (page, _), (_, nbytes) in self._results.items():
                row = out.setdefault(page, {"entries": 0, "bytes": 0, "max_entries": self._limit(page)})
                row["entries"] += 1
                row["bytes"] += nbytes
        return out

    def clear(self) -> None:
        """Forget every kept result (flights in the air still land)."""
        with self._lock:
            self._results.clear()
            self.trainings = self.hits = 0


def _nothing() -> None:
    pass


# Set by the runtime to hand the finished run's memory back to the system (runtime.free_memory):
# a heavy run's freed heap otherwise stays in the allocator's arenas after its session closes.
after_flight: Callable[[], None] = _nothing
RESULTS = ResultsCache(MAX_ENTRIES)  # the process's own


def deep_size(obj, seen: set[int] | None = None) -> int:
    """Bytes held by a result: tensors, arrays, frames, bytes and strings, through dataclasses,
    dicts, lists and tuples, each object counted once."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    if isinstance(obj, torch.Tensor):
        return obj.element_size() * obj.nelement()
    if isinstance(obj, np.ndarray):
        return obj.nbytes
    if isinstance(obj, (pd.DataFrame, pd.Series)):
        return int(obj.memory_usage(deep=True).sum()) if isinstance(obj, pd.DataFrame) else int(
            obj.memory_usage(deep=True))
    if isinstance(obj, (bytes, str)):
        return sys.getsizeof(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return sum(deep_size(getattr(obj, f.name), seen) for f in dataclasses.fields(obj))
    if isinstance(obj, dict):
        return sys.getsizeof(obj) + sum(deep_size(k, seen) + deep_size(v, seen) for k, v in obj.items())
    if isinstance(obj, (list, tuple, set, frozenset)):
        return sys.getsizeof(obj) + sum(deep_size(v, seen) for v in obj)
    return sys.getsizeof(obj)
