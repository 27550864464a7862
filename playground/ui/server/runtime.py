"""Process-wide settings for serving the app."""
from __future__ import annotations

import ctypes
import gc
import logging
import threading
import time
from collections.abc import Callable

import streamlit as st
import torch

from playground.engine.cost import CostModel, measure
from playground.engine.gate import set_gpu_slots
from playground.serving.limits import Limits, set_process_memory
from playground.serving.sharing import Pacer, Seats
from playground.ui import streamlit_internals as internals
from playground.ui.server import results_cache


@st.cache_resource
def configure_process() -> Limits:
    """Once per server process. One torch thread per op: the app's models are small, sessions
    run side by side, and on a small machine extra OpenMP threads only fight the other sessions
    (and a local browser). The work, memory and GPU caps come from the environment."""
    torch.set_num_threads(1)
    limit_arenas()
    results_cache.after_flight = free_memory
    limits = Limits.from_env()
    set_gpu_slots(limits.gpu_slots)
    set_process_memory(limits.process_memory_bytes)
    return limits


def limits() -> Limits:
    return configure_process()


@st.cache_resource(show_spinner="Measuring this server's speed, once…")
def cost_model(device: str) -> CostModel:
    """The sweep cost model, measured on this server the first time a time cap needs it."""
    configure_process()  # measured with the threads the sessions will use
    return measure(device)


@st.cache_resource
def pacer() -> Pacer:
    """The live sessions' shared pace, one per server process."""
    return Pacer(limits().live_cores)


@st.cache_resource
def seats() -> Seats:
    """Places for sessions training live, one set per server process."""
    return Seats(limits().max_live)


def session_id() -> str:
    return internals.session_id()


class SessionDevice:
    """What a session holds; released when it ends: the run's engine and views are dropped even if
    something still refers to the run, and the memory goes back to the system."""

    def __init__(self, session_id: str = "", places: Seats | None = None):
        self.session_id = session_id
        self.held: list[object] = []
        self.places = places  # the session's seat among the live ones goes when the session does

    def track(self, thing: object) -> None:
        """A session trains one live run at a time: a run it no longer shows is released now."""
        for old in self.held:
            if old is not thing:
                old.release()
        self.held = [thing]

    def release(self, collect: bool = True) -> None:
        """Release the run and the seat; `collect`: give the memory back to the system now."""
        for thing in self.held:
            thing.release()
        if self.places is not None:
            self.places.leave(self.session_id)
        self.held.clear()
        if collect:
            free_memory()


def free_memory() -> None:
    """Collect cyclic garbage (the app turns the collection after every script run off, for
    speed), hand freed heap back to the system, and empty the GPU cache. Called when a session
    ends, off the live loop's path."""
    gc.collect()
    if _libc is not None:
        _libc.malloc_trim(0)  # glibc keeps freed arenas otherwise, and RSS never falls
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _glibc():
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim  # noqa: B018 (glibc only)
        return libc
    except (OSError, AttributeError):
        return None


_libc = _glibc()
M_ARENA_MAX = -8  # glibc's mallopt parameter
ARENAS = 2


def limit_arenas(arenas: int = ARENAS) -> bool:
    """At most `arenas` malloc arenas (as MALLOC_ARENA_MAX would). glibc gives each busy thread an
    arena of its own, up to 8 per core, and trims only the main one well, so the heap that heavy
    runs on Streamlit's many script threads freed stays mapped: the RSS that never came back after
    heavy sessions closed. True when glibc took the setting."""
    return _libc is not None and bool(_libc.mallopt(M_ARENA_MAX, arenas))


class Janitor:
    """Releases what a session held once it has been disconnected for longer than the server's
    disconnected-session TTL. Streamlit drops such a session only lazily (when another one
    disconnects) and frees it only when the garbage collector runs, so without this a room that
    empties keeps every run in memory."""

    def __init__(self, ttl_s: float, is_active: Callable[[str], bool]):
        self.ttl_s, self.is_active = ttl_s, is_active
        self.sessions: dict[str, SessionDevice] = {}
        self.gone_since: dict[str, float] = {}
        self._lock = threading.Lock()

    def register(self, device: SessionDevice) -> None:
        with self._lock:
            self.sessions[device.session_id] = device

    def sweep(self, now: float | None = None) -> int:
        """Release the sessions disconnected past the TTL; how many were released."""
        now = time.monotonic() if now is None else now
        expired = []
        with self._lock:
            for session_id, device in list(self.sessions.items()):
                if self.is_active(session_id):
                    self.gone_since.pop(session_id, None)
                elif now - self.gone_since.setdefault(session_id, now) >= self.ttl_s:
                    expired.append(device)
                    del self.sessions[session_id], self.gone_since[session_id]
        for device in expired:
            device.release(collect=False)
        if expired:
            free_memory()
        return len(expired)

    def run_forever(self, every_s: float) -> None:
        while True:
            time.sleep(every_s)
            try:
                self.sweep()
            except Exception:  # noqa: BLE001 (a janitor that dies frees nothing again)
                logging.getLogger(__name__).exception("releasing ended sessions failed")


JANITOR_EVERY_S = 10.0


@st.cache_resource
def janitor() -> Janitor:
    """One per server process, sweeping in a daemon thread."""
    is_active = internals.session_checker() or (lambda _session: True)  # none: nothing is released
    ttl = float(st.get_option("server.disconnectedSessionTTL"))
    keeper = Janitor(ttl, is_active)
    threading.Thread(target=keeper.run_forever, args=(JANITOR_EVERY_S,), daemon=True,
                     name="playground-janitor").start()
    return keeper


def session_device() -> SessionDevice:
    """What this session holds, kept in its state: it outlives a dropped connection (Streamlit
    clears a session-scoped cache on every disconnect, even a blip) and is released by the
    janitor once the session has been gone past the TTL."""
    state = st.session_state
    if "_session_device" not in state:
        state["_session_device"] = SessionDevice(session_id(), seats())
    device = state["_session_device"]
    if internals.runtime_exists() and device.session_id:
        janitor().register(device)  # again after a release: a session back from a long absence
    return device
