"""For the host: how busy this server is, refreshed every few seconds."""
from __future__ import annotations

import resource
import threading
import time

import streamlit as st

from playground.serving.limits import memory_budget
from playground.ui import streamlit_internals as internals
from playground.ui.server.runtime import limits, pacer, seats

REFRESH_S = 2.0


class CpuMeter:
    """The process's CPU use between two readings, in cores."""

    def __init__(self):
        self._last = (time.monotonic(), time.process_time())
        self._lock = threading.Lock()

    def cores(self) -> float:
        with self._lock:
            now = (time.monotonic(), time.process_time())
            (t0, c0), self._last = self._last, now
        return (now[1] - c0) / (now[0] - t0) if now[0] > t0 else 0.0


@st.cache_resource
def cpu_meter() -> CpuMeter:
    return CpuMeter()


def _connected() -> int | None:
    """Sessions with a browser attached (None where that cannot be read, as under test)."""
    return internals.connected_sessions()


def health() -> dict:
    """The numbers the view shows, as one record."""
    stats = pacer().stats()
    places = seats()
    budget = memory_budget()
    return {**stats, "seats_taken": places.taken, "seats": limits().max_live or None,
            "sessions_connected": _connected(),
            "process_cores_busy": cpu_meter().cores(),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "tensor_budget_used_mb": budget.used / 1024**2, "tensor_budget_mb": budget.total / 1024**2}


def show_health() -> None:
    numbers = health()
    c1, c2, c3, c4 = st.columns(4)
    seats_text = f"{numbers['seats_taken']}" + (f" of {numbers['seats']}" if numbers["seats"] else "")
    c1.metric("live sessions (drawing now)", numbers["live_sessions"],
              help=f"sessions holding a live run: {seats_text}; connected: {numbers['sessions_connected']}")
    c2.metric("live updates/s", f"{numbers['updates_per_s']:.1f}",
              help=f"all sessions together; each: {numbers['updates_per_s_each']:.1f}")
    cost = numbers["cpu_ms_per_update"]
    c3.metric("CPU per update", "–" if cost is None else f"{cost:.0f} ms",
              help="the server process's CPU over the last seconds, per live update drawn")
    c4.metric("server CPU", f"{numbers['process_cores_busy']:.2f} cores",
              help=f"live updates may use {numbers['cores_for_live']:g} cores together "
                   "(PLAYGROUND_LIVE_CORES)")
    st.caption(f"Pace now: a live update every {numbers['frame_s']:.2f} s per session, "
               f"{numbers['steps_scale']:.0%} of each session's steps per update. Seats taken: {seats_text}. "
               f"Tensor memory held: {numbers['tensor_budget_used_mb']:.0f} of "
               f"{numbers['tensor_budget_mb']:.0f} MB. Peak RSS: {numbers['peak_rss_mb']:.0f} MB.")
    st.json(numbers, expanded=False)
