"""The live run kept in session state: built, reset or updated mid-run from the settings."""
from __future__ import annotations

import time
from dataclasses import replace

import streamlit as st

from playground.datasets import dataset_from_spec
from playground.live import LiveRun
from playground.ui.errors import or_stop
from playground.ui.train_controls import LiveSettings

FRAME_S = 0.05  # the live fragment asks for a redraw this often; a slow redraw just runs back to back


def _build(settings: LiveSettings) -> tuple[LiveRun, str | None]:
    data = or_stop(lambda: dataset_from_spec(settings.data), "make the dataset")
    try:
        return LiveRun(data, settings.config, settings.eps), None
    except ValueError as err:
        if settings.config.device != "cuda":
            raise
        cpu = replace(settings.config, device="cpu")
        return LiveRun(data, cpu, settings.eps), f"{err}. Training on the CPU instead."


def current_run(settings: LiveSettings) -> LiveRun:
    """The session's run; rebuilt (and said so) when a setting that needs a restart changed."""
    state = st.session_state
    key = settings.reset_key()
    old = state.get("live_key")
    if "live" not in state or old != key or state.get("live_reset"):
        run, notice = or_stop(lambda: _build(settings), "start training")
        state.live, state.live_key, state.live_notice = run, key, notice
        if old is not None and old != key:
            changed = [k.removeprefix("data.").replace("_", " ") for k in sorted(key.keys() | old.keys())
                       if key.get(k) != old.get(k)]
            st.toast(f"Training restarted: {', '.join(changed)} changed.")
            state.live_message = f"Training restarted at step 0 because {', '.join(changed)} changed."
        elif state.get("live_reset"):
            state.live_message = "Training reset to step 0, from the same initial weights."
        state.live_reset = False
    run = state.live
    run.set_eps(settings.eps)
    run.engine.set_hyperparameters(lr=settings.config.lr, weight_decay=settings.config.weight_decay)
    return run


def playing() -> bool:
    return bool(st.session_state.get("playing", False))


def _toggle_play() -> None:
    st.session_state.playing = not playing()
    if "live" in st.session_state:
        st.session_state.live.pause()


def _step_once() -> None:
    st.session_state.playing = False
    st.session_state.step_once = True


def _reset() -> None:
    st.session_state.playing = False
    st.session_state.live_reset = True


def transport(run: LiveRun) -> None:
    """Play/pause, step and reset (each changes state in a callback, before the page reruns),
    and the data with both models' current predictions, computed when clicked."""
    c1, c2, c3, c4, _ = st.columns([1, 1, 1, 2, 3])
    c1.button("Pause" if playing() else "Play", on_click=_toggle_play, key="play", type="primary",
              icon=":material/pause:" if playing() else ":material/play_arrow:", width="stretch")
    c2.button("Step", on_click=_step_once, key="step_once_btn", icon=":material/skip_next:",
              width="stretch", help="one update: 'steps per update' optimiser steps")
    c3.button("Reset", on_click=_reset, key="reset", icon=":material/replay:", width="stretch")
    c4.download_button("Data + predictions (CSV)", run.predictions_csv, "playground_points.csv", "text/csv",
                       key="download_points", icon=":material/download:", on_click="ignore")


def take_step_request() -> bool:
    """True once after the Step button was pressed."""
    return bool(st.session_state.pop("step_once", False))


def throttled(key: str, seconds: float, compute):
    """compute() at most every `seconds` while playing; the cached value in between.

    A chart handed the same data again costs the browser nothing, so slow-moving views
    (history, inspector) refresh a few times a second and leave the frame budget to the boundaries."""
    state = st.session_state
    now = time.monotonic()
    cached = state.get(f"throttle_{key}")
    if cached is None or not playing() or now - cached[0] >= seconds:
        state[f"throttle_{key}"] = (now, compute())
    return state[f"throttle_{key}"][1]
