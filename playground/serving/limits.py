"""Caps that keep one session from taking a shared server: work, memory, and GPU turns.

Work is models × steps × points; memory is the engine's estimated tensor footprint, for one run
and for all runs in flight together. A hosted deployment sets them from the environment
(PLAYGROUND_MAX_WORK, PLAYGROUND_MAX_MEMORY_MB, PLAYGROUND_PROCESS_MEMORY_MB,
PLAYGROUND_GPU_SLOTS, PLAYGROUND_MAX_SECONDS); the defaults suit a laptop."""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from playground.core.validation import check_int, check_number, fail
from playground.engine.gate import DEFAULT_SLOTS

FLOAT_BYTES = 4


@dataclass(frozen=True)
class Limits:
    max_work: int = 2_000_000_000  # models × steps × points for one run
    max_memory_bytes: int = 2 * 1024**3
    gpu_slots: int = DEFAULT_SLOTS  # engines training on the GPU at the same time, process-wide
    process_memory_bytes: int = 6 * 1024**3  # all runs in flight together: sweeps and live runs
    max_seconds: int = 0  # estimated seconds of one sweep on this server; 0: no time cap
    max_live: int = 0  # sessions training live at once; 0: no limit
    live_cores: float = 1.0  # CPU cores the live sessions' updates may use together (sharing.Pacer)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Limits:
        """Limits from environment variables; a malformed one is a ValueError naming it."""
        base = cls()
        work = check_int("PLAYGROUND_MAX_WORK", env.get("PLAYGROUND_MAX_WORK", base.max_work), 1, 10**15)
        memory = check_int("PLAYGROUND_MAX_MEMORY_MB",
                           env.get("PLAYGROUND_MAX_MEMORY_MB", base.max_memory_bytes // 1024**2), 1, 10**7)
        slots = check_int("PLAYGROUND_GPU_SLOTS", env.get("PLAYGROUND_GPU_SLOTS", base.gpu_slots), 1, 1024)
        process = check_int("PLAYGROUND_PROCESS_MEMORY_MB",
                            env.get("PLAYGROUND_PROCESS_MEMORY_MB", base.process_memory_bytes // 1024**2),
                            1, 10**7)
        seconds = check_int("PLAYGROUND_MAX_SECONDS", env.get("PLAYGROUND_MAX_SECONDS", base.max_seconds),
                            0, 10**7)
        live = check_int("PLAYGROUND_MAX_LIVE", env.get("PLAYGROUND_MAX_LIVE", base.max_live), 0, 100_000)
        cores = check_number("PLAYGROUND_LIVE_CORES", env.get("PLAYGROUND_LIVE_CORES", base.live_cores), 0.05,
                             1024)
        return cls(work, memory * 1024**2, slots, process * 1024**2, seconds, live, cores)


def engine_bytes(models: int, points: int, widths: list[int], num_classes: int, dropout: bool = False,
                 inputs: int = 2) -> int:
    """Tensor memory of one engine: parameters with gradients and optimiser state (5 copies), the
    activation buffers of a full batch (4 per layer: z, h, dh, dz; 2 more per hidden layer with
    dropout), the objective's [K] buffers per point (targets, soft targets, gradients) and its
    scalar ones (focal and confidence-penalty weights, losses)."""
    sizes = [inputs, *widths, num_classes]
    params = sum(i * o + o for i, o in zip(sizes[:-1], sizes[1:]))
    activations = sum(sizes[1:]) * points + (2 * sum(widths) * points if dropout else 0)
    return FLOAT_BYTES * models * (5 * params + 4 * activations + 6 * num_classes * points + 6 * points)


def check_run(models: int, steps: int, points: int, widths: list[int], num_classes: int,
              limits: Limits, runs: int = 1, inputs: int = 2) -> None:
    """ValueError when a run would exceed the work or memory cap. `runs`: how many runs of this
    size one request makes one after another (their work adds up; their memory does not)."""
    work = models * steps * points * runs
    if work > limits.max_work:
        times = f" × {runs} runs" if runs > 1 else ""
        fail("work", f"{models} models × {steps} steps × {points} points{times} = {work:,}",
             f"must be at most {limits.max_work:,} on this server; use fewer models, steps or points")
    memory = engine_bytes(models, points, widths, num_classes, inputs=inputs)
    if memory > limits.max_memory_bytes:
        fail("memory", f"{memory / 1024**2:,.0f} MB",
             f"must be at most {limits.max_memory_bytes / 1024**2:,.0f} MB on this server; "
             "use fewer models, units or points")


class MemoryBudget:
    """The process's tensor memory, shared by the runs in flight: a run reserves its estimate for
    as long as it trains. One that would pass the budget waits its turn, up to `wait_s`, and is
    then refused with a message; one larger than the whole budget is refused at once."""

    def __init__(self, total_bytes: int):
        self.total = check_int("total_bytes", total_bytes, 1, 10**15)
        self.used = 0
        self._turn = threading.Condition()

    def hold(self, nbytes: int, wait_s: float = 30.0) -> Reservation:
        """Reserve `nbytes` until the returned reservation is released (a live run holds its
        share for as long as its session keeps it)."""
        mb = f"{nbytes / 1024**2:,.0f} MB"
        if nbytes > self.total:
            fail("memory", mb, f"must fit the server's budget of {self.total / 1024**2:,.0f} MB for all "
                 "runs together; use fewer models, units or points")
        deadline = time.monotonic() + wait_s
        with self._turn:
            while self.used + nbytes > self.total:
                left = deadline - time.monotonic()
                if left <= 0:
                    fail("memory", mb, "must wait for other runs on this server, which hold "
                         f"{self.used / 1024**2:,.0f} of {self.total / 1024**2:,.0f} MB; try again shortly")
                self._turn.wait(left)
            self.used += nbytes
        return Reservation(self, nbytes)

    def _give_back(self, nbytes: int) -> None:
        with self._turn:
            self.used -= nbytes
            self._turn.notify_all()

    @contextmanager
    def reserve(self, nbytes: int, wait_s: float = 30.0):
        """Reserve `nbytes` for the duration of a block (a sweep, while it trains)."""
        reservation = self.hold(nbytes, wait_s)
        try:
            yield
        finally:
            reservation.release()


class Reservation:
    """One run's share of the process budget; releasing it twice gives back once."""

    def __init__(self, budget: MemoryBudget, nbytes: int):
        self._budget, self.nbytes = budget, nbytes
        self._lock = threading.Lock()

    def release(self) -> None:
        with self._lock:
            nbytes, self.nbytes = self.nbytes, 0
        if nbytes:
            self._budget._give_back(nbytes)


_budget = MemoryBudget(Limits.process_memory_bytes)


def memory_budget() -> MemoryBudget:
    return _budget


def set_process_memory(total_bytes: int) -> None:
    """Resize the process-wide budget (a server does this once, at start)."""
    global _budget
    if total_bytes != _budget.total:
        _budget = MemoryBudget(total_bytes)


SERVER_PAGE_ENV = "PLAYGROUND_SERVER_PAGE"  # "1": the host shows the server's health page at /server


def server_page_on(env: Mapping[str, str] = os.environ) -> bool:
    value = env.get(SERVER_PAGE_ENV, "").strip().lower()
    if value not in ("", "0", "1", "true", "false"):
        raise ValueError(f"{SERVER_PAGE_ENV}={value!r} is not allowed; allowed: 1 or 0")
    return value in ("1", "true")


if __name__ == "__main__":  # `python -m playground.serving.limits`: check the environment before serving
    import sys

    from playground.serving.rooms import join_address
    try:
        print(Limits.from_env())
        server_page_on()
        join_address("")  # a malformed PLAYGROUND_PUBLIC_URL
    except ValueError as err:
        sys.exit(f"Refusing to start: {err}")


class HeavyQueue:
    """Process-wide admission for heavy runs: at most `slots` train at once, the others wait in
    arrival order and can read their place and an estimate of their wait. Time is shared like
    memory: without it, eight heavy runs on two cores all crawl and none finishes."""

    def __init__(self, slots: int):
        self.slots = max(1, slots)
        self._cond = threading.Condition()
        self._running: list[object] = []
        self._waiting: list[object] = []

    def place(self, ticket: object) -> int | None:
        """1 for the next to start; None once admitted (or never queued)."""
        with self._cond:
            return self._waiting.index(ticket) + 1 if ticket in self._waiting else None

    def enter(self, ticket: object) -> None:
        with self._cond:
            self._waiting.append(ticket)
            while len(self._running) >= self.slots or self._waiting[0] is not ticket:
                self._cond.wait()
            self._waiting.pop(0)
            self._running.append(ticket)
            self._cond.notify_all()

    def running(self) -> list[object]:
        with self._cond:
            return list(self._running)

    def leave(self, ticket: object) -> None:
        with self._cond:
            self._running.remove(ticket)
            self._cond.notify_all()

    def wait_estimate(self, ticket: object, seconds_left: Callable[[object], float | None],
                      seconds_of: Callable[[object], float | None]) -> float | None:
        """Seconds until a waiting `ticket` starts: each slot frees when its run ends
        (`seconds_left`), and the runs ahead take the first free slot for `seconds_of` each. None
        when it is not waiting or a run's time cannot be told yet."""
        with self._cond:
            if ticket not in self._waiting:
                return None
            running, ahead = list(self._running), self._waiting[:self._waiting.index(ticket)]
        free = [seconds_left(t) for t in running] + [0.0] * (self.slots - len(running))
        if None in free:
            return None
        for earlier in ahead:
            took = seconds_of(earlier)
            if took is None:
                return None
            soonest = free.index(min(free))
            free[soonest] += took
        return max(0.0, min(free))


def heavy_slots(cores: int | None = None) -> int:
    """Heavy runs at once: one core left for the live sessions and the server itself."""
    return max(1, (cores or os.cpu_count() or 1) - 1)


HEAVY = HeavyQueue(heavy_slots())
