"""The live run kept in session state: built, reset or updated mid-run from the settings."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
from typing import NoReturn

import streamlit as st
import torch

from playground.experiments.export import pytorch_script
from playground.experiments.live import LiveRun
from playground.serving.limits import check_run, engine_bytes, memory_budget
from playground.ui.controls.common import script_download
from playground.ui.controls.train_controls import LiveSettings
from playground.ui.server.runtime import limits, seats, session_device, session_id
from playground.ui.shell.errors import or_stop, stop_page

SEAT_CHECK_S = 3.0
LIVE_WAIT_S = 5.0  # a live run holds its memory for the whole session: wait briefly, then say so


def _build(settings: LiveSettings) -> tuple[LiveRun, str | None]:
    data = or_stop(settings.data.build, "make the dataset")
    widths, classes = settings.config.widths, data.num_classes
    d = data.features
    or_stop(lambda: check_run(2, 1, len(data.y_train), widths, classes, limits(), inputs=d), "start training")
    nbytes = engine_bytes(2, len(data.y_train), widths, classes, inputs=d)
    share = or_stop(lambda: memory_budget().hold(nbytes, wait_s=LIVE_WAIT_S), "start training")
    try:
        try:
            run = LiveRun(data, settings.config, settings.objective_value, on_release=share.release,
                          kind=settings.kind)
            return run, None
        except ValueError as err:  # the GPU was chosen where there is none
            if settings.config.device != "cuda":
                raise
            why = f"{err}."
        except torch.OutOfMemoryError:
            why = "The GPU ran out of memory."
        cpu = replace(settings.config, device="cpu")
        fallback = LiveRun(data, cpu, settings.objective_value, on_release=share.release, kind=settings.kind)
        return fallback, f"{why} Training on the CPU instead."
    except BaseException:
        share.release()
        raise


def advance(run: LiveRun, steps: int, settings: LiveSettings) -> LiveRun:
    """One chunk of training; if the GPU runs out of memory mid-run, restart on the CPU and say so."""
    try:
        run.advance(steps)
        return run
    except torch.OutOfMemoryError:
        run.release()
        fresh, _ = _build(replace(settings, config=replace(settings.config, device="cpu")))
        st.session_state.live = fresh
        st.session_state.live_notice = "The GPU ran out of memory mid-run; training restarted on the CPU."
        st.rerun(scope="app")  # the whole page follows the new run (download, labels, timer)


def current_run(settings: LiveSettings) -> LiveRun:
    """The session's run; rebuilt (and said so) when a setting that needs a restart changed."""
    state = st.session_state
    key = settings.reset_key()
    old = state.get("live_key")
    released = "live" in state and state.live.released  # by the janitor, after a long absence
    if "live" not in state or old != key or state.get("live_reset") or released:
        if not seats().take(session_id()):
            wait_for_seat()
        run, notice = or_stop(lambda: _build(settings), "start training")
        state.live, state.live_key, state.live_notice = run, key, notice
        if old is not None and old != key:
            changed = settings.reset_reasons(old)
            st.toast(f"Training restarted: {', '.join(changed)} changed.")
            state.live_message = f"Training restarted at step 0 because {', '.join(changed)} changed."
        elif released:
            state.live_message = ("Training restarted at step 0: this page was away longer than the server "
                                  "keeps a run.")
        elif state.get("live_reset"):
            state.live_message = "Training reset to step 0, from the same initial weights."
        state.live_reset = False
    run = state.live
    session_device().track(run)
    run.set_objective_value(settings.objective_value)
    run.set_hyperparameters(settings.config.lr, settings.config.weight_decay)
    return run


def wait_for_seat() -> NoReturn:
    """The server holds as many live sessions as it was given: say so, and offer to wait for one
    to leave (checked every few seconds; the page opens by itself then)."""
    st.warning(f"This server is full: {seats().taken} people are training live here, the most it holds. "
               "The other pages work as usual.", icon=":material/group:")
    if st.toggle("wait for a place (the page opens by itself)", key="live_wait"):
        st.fragment(_seat_free, run_every=SEAT_CHECK_S)()
    stop_page()


def _seat_free() -> None:
    if seats().take(session_id()):
        st.rerun(scope="app")
    st.caption(f"Waiting for a place… ({seats().taken} training now)")


@contextmanager
def holding(run: LiveRun):
    """Hold the run for a page run or a frame (see LiveRun.in_use); one released while the page
    was away, or just now, is rebuilt by a run of the whole page."""
    with run.in_use():
        if run.released:
            st.rerun(scope="app")
        yield run


def step_budget(run: LiveRun) -> int:
    """The most steps this run may take on this server: the work cap over models × points."""
    return limits().max_work // (run.engine.n_models * run.engine.n_train)


def stop_at_budget(run: LiveRun) -> bool:
    """Pause, and say so, once the run has used its work budget."""
    if run.step < step_budget(run):
        return False
    st.session_state.live_message = (f"This run reached the server's cap of {step_budget(run):,} steps for "
                                     "its size and was paused. Reset to train again.")
    if playing():  # stop the timer and relabel Play: that takes a run of the whole page
        st.session_state.playing = False
        st.rerun(scope="app")
    st.warning(st.session_state.pop("live_message"))
    return True


def playing() -> bool:
    return bool(st.session_state.get("playing", False))


def _set_playing(on: bool) -> None:
    """Sets, never toggles: a click that reaches the server twice must not undo itself."""
    st.session_state.playing = on
    if "live" in st.session_state:
        st.session_state.live.pause()


def _step_once() -> None:
    st.session_state.playing = False
    st.session_state.step_once = True


def _reset() -> None:
    st.session_state.playing = False
    st.session_state.live_reset = True


def live_script(run: LiveRun, settings: LiveSettings) -> str:
    """Both models of the run as a plain PyTorch script, trained to the current step with the
    current settings (a mid-run change is taken as if it had been set from step 0)."""
    title = f"Train live, both models to step {run.step:,}"
    if run.changes:
        title += " (with today's settings from step 0: mid-run changes are not replayed)"
    both = [("smoothing", 0.0), (run.kind, run.objective_value)]
    return pytorch_script(settings.data, settings.config, both, max(run.step, 1), title=title)


def transport(run: LiveRun, settings: LiveSettings) -> None:
    """Play/pause, step and reset (each changes state in a callback, before the page reruns),
    the data with both models' current predictions, and the run as a PyTorch script, each
    computed when clicked."""
    row = st.container(horizontal=True, gap="small")  # buttons keep their width on a projector
    row.button("Pause" if playing() else "Play", on_click=_set_playing, args=(not playing(),), key="play",
               type="primary", icon=":material/pause:" if playing() else ":material/play_arrow:",
               width="content")
    row.button("Step", on_click=_step_once, key="step_once_btn", icon=":material/skip_next:",
               width="content", help="one update: 'steps per update' optimiser steps")
    row.button("Reset", on_click=_reset, key="reset", icon=":material/replay:", width="content")
    row.download_button("Data + predictions (CSV)", run.predictions_csv, "playground_points.csv", "text/csv",
                        key="download_points", icon=":material/download:", on_click="ignore",
                        width="content")
    script_download(lambda: live_script(run, settings), "playground_train.py", "the same data, initial "
                    "weights and steps, and it prints the numbers shown here", container=row,
                    key="download_script", width="content")


def take_step_request() -> bool:
    """True once after the Step button was pressed."""
    return bool(st.session_state.pop("step_once", False))
