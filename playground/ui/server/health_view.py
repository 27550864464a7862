"""For the host: how busy this server is, refreshed every few seconds."""
from __future__ import annotations

import resource
import threading
import time
from collections import deque

import altair as alt
import pandas as pd
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


HISTORY = 90  # readings kept for the chart: three minutes at REFRESH_S


@st.cache_resource
def readings() -> deque:
    """The server's recent readings, shared by whoever watches: (seconds, series, value)."""
    return deque(maxlen=HISTORY * 3)


# what each number means, for the table
MEANINGS = {
    "live_sessions": ("live sessions drawing now", "sessions holding a live run"),
    "sessions_connected": ("sessions connected", "browser tabs attached to this server"),
    "updates_per_s": ("live updates/s, all sessions", "frames drawn per second, all live sessions together"),
    "updates_per_s_each": ("live updates/s, each session", "the pace each live session is held to"),
    "cpu_ms_per_update": ("CPU per update (ms)", "this process's CPU time per live frame"),
    "process_cores_busy": ("server CPU (cores)", "this process's CPU use since the last reading"),
    "cores_for_live": ("cores for live training", "PLAYGROUND_LIVE_CORES"),
    "frame_s": ("seconds between updates", "each live session's frame interval now"),
    "steps_scale": ("share of steps per update", "training steps each frame runs, against what was asked"),
    "seats_taken": ("live seats taken", "sessions holding a live run's seat"),
    "seats": ("live seats", "at most this many live runs at once (none: no cap)"),
    "tensor_budget_used_mb": ("tensor memory held (MB)", "engines' tensors held from the memory budget"),
    "tensor_budget_mb": ("tensor memory budget (MB)", "the budget all engines share"),
    "peak_rss_mb": ("peak memory (MB)", "the process's largest resident size so far"),
}


def health_table(numbers: dict) -> pd.DataFrame:
    rows = []
    for key, (name, meaning) in MEANINGS.items():
        value = numbers.get(key)
        shown = "–" if value is None else (f"{value:.2f}" if isinstance(value, float) else str(value))
        rows.append({"reading": name, "now": shown, "what it is": meaning})
    return pd.DataFrame(rows)


def history_chart(rows: list[tuple[float, str, float]]) -> alt.Chart:
    frame = pd.DataFrame(rows, columns=["seconds ago", "series", "value"])
    return alt.Chart(frame).mark_line(point=True).encode(
        x=alt.X("seconds ago:Q", scale=alt.Scale(reverse=True), title="seconds ago"),
        y=alt.Y("value:Q", title=None),
        color=alt.Color("series:N", title=None, legend=alt.Legend(orient="top")),
        strokeDash=alt.StrokeDash("series:N", legend=None)).properties(
        height=180, description="The last readings of live sessions, live updates/s and server CPU (cores).")


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
    now = time.monotonic()
    log = readings()
    for series, key in (("live sessions", "live_sessions"), ("updates/s", "updates_per_s"),
                        ("CPU cores", "process_cores_busy")):
        log.append((now, series, float(numbers.get(key) or 0.0)))
    st.altair_chart(history_chart([(round(now - t, 1), series, v) for t, series, v in log]), width="stretch")
    st.dataframe(health_table(numbers), hide_index=True, width="stretch")
