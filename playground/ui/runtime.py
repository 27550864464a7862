"""Process-wide settings for serving the app."""
from __future__ import annotations

import gc

import streamlit as st
import torch

from playground.limits import Limits, set_gpu_slots, set_process_memory


@st.cache_resource
def configure_process() -> Limits:
    """Once per server process. One torch thread per op: the app's models are small, sessions
    run side by side, and on a small machine extra OpenMP threads only fight the other sessions
    (and a local browser). The work, memory and GPU caps come from the environment."""
    torch.set_num_threads(1)
    limits = Limits.from_env()
    set_gpu_slots(limits.gpu_slots)
    set_process_memory(limits.process_memory_bytes)
    return limits


def limits() -> Limits:
    return configure_process()


class SessionDevice:
    """What a session holds; released when it ends: the run's engine and views are dropped even if
    something still refers to the run, cyclic garbage is collected there (the app turns the
    collection after every script run off, for speed), and the GPU cache is emptied."""

    def __init__(self):
        self.held: list[object] = []

    def track(self, thing: object) -> None:
        self.held = [thing]  # a session trains one live run at a time

    def release(self) -> None:
        for thing in self.held:
            thing.release()
        self.held.clear()
        gc.collect()  # once per ended session, off the live loop's path
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


@st.cache_resource(scope="session", on_release=SessionDevice.release)
def session_device() -> SessionDevice:
    return SessionDevice()
