"""Sharing one server among live sessions: a pace every session follows, from the measured load,
and a limit on how many train live at once.

Each live update costs the server some CPU (training, drawing, sending). When the sessions ask
for more updates than the server's cores can serve, the ones that ask first get them and the
rest starve, newcomers included. The pacer measures the CPU per update over the last few
seconds and spaces every session's updates so that together they use at most the cores the
server gives to live training; past the point where even the floor rate does not fit, each
update trains fewer steps, so every session keeps moving."""
from __future__ import annotations

import math
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from playground.core.validation import check_int, check_number

FRAME_S = 0.05  # an idle server's interval between a session's live updates
FLOOR_S = 0.16  # the slowest a live view is paced: about 6 updates a second
SIDE_FACTOR = 20  # the slower views update at most this many times less often than the live one
SIDE_S = 1.0  # ... and never more often than this
MIN_STEPS_SCALE = 0.2
WINDOW_S = 4.0


@dataclass(frozen=True)
class Pace:
    frame_s: float  # the interval between this session's live updates
    side_s: float  # the interval between updates of its slower views (numbers, history)
    steps_scale: float  # the share of its 'steps per update' each update trains


def side_level(seconds: float) -> float:
    """SIDE_S doubled until it reaches `seconds`: few distinct intervals for the slower views."""
    return SIDE_S * 2 ** max(0, math.ceil(math.log2(max(seconds, SIDE_S) / SIDE_S) - 1e-9))


class Pacer:
    """Thread-safe; one per server process. `cores`: how much CPU live updates may use together."""

    def __init__(self, cores: float = 1.0, window_s: float = WINDOW_S,
                 clock: Callable[[], float] = time.monotonic, cpu: Callable[[], float] = time.process_time):
        self.cores = check_number("cores", cores, 0.05, 1024)
        self.window_s = window_s
        self._clock, self._cpu = clock, cpu
        self._frames: deque[tuple[float, float, str]] = deque()  # (time, process CPU, session)
        self._lock = threading.Lock()

    def frame(self, session: str) -> None:
        """A session drew a live update."""
        with self._lock:
            now = self._clock()
            self._frames.append((now, self._cpu(), session))
            self._forget(now)

    def _forget(self, now: float) -> None:
        while self._frames and now - self._frames[0][0] > self.window_s:
            self._frames.popleft()

    def _measure(self) -> tuple[int, float | None, float]:
        """(live sessions, CPU seconds per update, updates per second) over the window."""
        with self._lock:
            self._forget(self._clock())
            frames = list(self._frames)
        sessions = len({s for _, _, s in frames})
        if len(frames) < 2:
            return sessions, None, 0.0
        span = frames[-1][0] - frames[0][0]
        # the median CPU between consecutive updates: one heavy page load in the window does not
        # slow every session down for the next few seconds
        cost = statistics.median(b[1] - a[1] for a, b in zip(frames, frames[1:]))
        return sessions, cost, (len(frames) - 1) / span if span > 0 else 0.0

    def pace(self) -> Pace:
        """Evenly spaced updates that fit the cores; fewer steps each when even the floor does not."""
        sessions, cost, _ = self._measure()
        if not cost or sessions == 0:
            return Pace(FRAME_S, SIDE_S, 1.0)
        # (the slower views' interval moves in doublings: changing it takes a run of the whole page)
        wanted = sessions * cost / self.cores  # the interval at which all sessions fit
        frame_s = min(max(wanted, FRAME_S), FLOOR_S)
        # training is only part of an update's cost: cut the steps more than the overload
        steps_scale = 1.0 if wanted <= FLOOR_S else max(MIN_STEPS_SCALE, (FLOOR_S / wanted) ** 2)
        return Pace(frame_s, side_level(SIDE_FACTOR * frame_s), steps_scale)

    def stats(self) -> dict:
        """For the host: live sessions, updates per second (all and each), CPU per update and the pace."""
        sessions, cost, rate = self._measure()
        pace = self.pace()
        return {"live_sessions": sessions, "updates_per_s": rate,
                "updates_per_s_each": rate / sessions if sessions else 0.0,
                "cpu_ms_per_update": None if cost is None else 1000 * cost,
                "cores_for_live": self.cores, "frame_s": pace.frame_s, "steps_scale": pace.steps_scale}


class Seats:
    """At most `capacity` sessions train live at once (0: no limit); thread-safe."""

    def __init__(self, capacity: int = 0):
        self.capacity = check_int("capacity", capacity, 0, 100_000)
        self._held: set[str] = set()
        self._lock = threading.Lock()

    def take(self, session: str) -> bool:
        """True when the session has (or now gets) a seat."""
        with self._lock:
            if session in self._held or not self.capacity or len(self._held) < self.capacity:
                self._held.add(session)
                return True
            return False

    def leave(self, session: str) -> None:
        with self._lock:
            self._held.discard(session)

    @property
    def taken(self) -> int:
        with self._lock:
            return len(self._held)
