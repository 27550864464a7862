"""The live page's views, each for its own fragment: the pictures, redrawn every frame (several
frames per run of the fragment); the headline numbers every second and the history, reliability
and point inspector every 2 s (less often under load). Every element of a fragment is sent and
redrawn each time it runs, so what need not move every frame lives apart."""
from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import NamedTuple

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from playground.core.datasets import Dataset
from playground.engine.engine import DIVERGED_LOSS_FACTOR
from playground.experiments.live import LiveRun
from playground.serving.sharing import Pace
from playground.ui.controls.common import in_view, say_view
from playground.ui.controls.train_controls import LiveSettings
from playground.ui.live.inspector import show_inspector
from playground.ui.live.live_state import (
    advance,
    holding,
    playing,
    step_budget,
    stop_at_budget,
    take_step_request,
)
from playground.ui.live.pacing import forget_timers, last_fragment_of_run, next_request, retime
from playground.ui.live.scenes import release_scenes, show_scenes
from playground.ui.server.runtime import pacer, session_id
from playground.ui.shell.charts import draw
from playground.views import charts, render
from playground.views.render import data_url

PICTURE_PX = 480
BURST_S = 0.5  # the longest a run of the live view draws frames for
REQUEST_FROM, REQUEST_WAIT = 0.8, 0.7  # when a burst looks for the browser's next request, and how
# long it waits for one, in frame intervals from the last frame's start and from then
SIDE_EVERY = 2  # the charts' interval, in intervals of the headline numbers
# key -> label, value format, delta format, delta colour (is higher better?), what it means
HEADLINE = {
    "accuracy": ("accuracy", "{:.3f}", "{:+.3f}", "normal", "share of test points classified right"),
    "NLL": ("NLL", "{:.3f}", "{:+.3f}", "inverse", "negative log-likelihood of the true class, mean over "
            "test points"),
    "ECE": ("ECE", "{:.3f}", "{:+.3f}", "inverse", "expected calibration error on test points (15 bins): the "
            "mean gap between confidence and accuracy"),
    "over-confidence": ("conf − acc", "{:+.3f}", "{:+.3f}", "off", "over-confidence: mean confidence minus "
                        "accuracy on test points; above 0 over-confident, below 0 under-confident"),
    "uncertain area": ("uncertain area", "{:.0%}", "{:+.0%}", "off", "share of the box where the top "
                       "probability is below 0.75"),
}


def headline(run: LiveRun, model: int) -> None:
    """The model's numbers as metrics; the smoothed model's delta is its difference from one-hot."""
    numbers = run.headline()
    row = st.container(horizontal=True, gap="small")
    for key, (label, value_format, delta_format, colour, meaning) in HEADLINE.items():
        value = numbers[model][key]
        delta = "baseline" if model == 0 else delta_format.format(value - numbers[0][key])
        if not any(c in "123456789" for c in delta):
            colour = "off"  # a difference that rounds to zero is neither better nor worse
        row.metric(label, value_format.format(value), delta=delta, delta_color=colour, help=meaning,
                   width="content", delta_arrow="off")


def holding_run(view: Callable) -> Callable:
    """Draw `view` while holding the session's run: a session that ends mid-frame then releases
    the run after the frame, not in the middle of it."""
    @functools.wraps(view)
    def held(*args):
        with holding(st.session_state.live):
            return view(*args)
    return held


def live_run() -> LiveRun:
    """The session's run, as a frame finds it (a frame may follow a restart on the CPU)."""
    return st.session_state.live


def train_step(settings: LiveSettings, steps_scale: float = 1.0) -> None:
    """One chunk of training when playing, or once after Step, within the run's budget; under load
    (steps_scale < 1, see sharing.Pacer) a smaller chunk, so every session keeps moving."""
    run = live_run()
    if len(run.diverged) == len(run.names):  # nothing left to train: stop, do not burn the CPU
        take_step_request()
        if playing():
            st.session_state.playing = False
            st.rerun(scope="app")  # the whole page follows: Play's label, the timers
        return
    if (playing() or take_step_request()) and not stop_at_budget(run):
        # never past the budget, so the counter stops where the cap message says it did
        steps = max(1, round(settings.steps_per_update * steps_scale))
        advance(run, min(steps, step_budget(run) - run.step), settings)


@holding_run
def headline_frame() -> None:
    """Both models' names and headline numbers, a few times a second while playing: st.metric is
    the dearest element for the browser to redraw, and numbers need not move every frame."""
    run = live_run()
    for model, col in enumerate(st.columns(2)):
        with col:
            st.markdown(f"**{run.names[model]}** · on the test points")
            headline(run, model)


@holding_run
def live_frame(settings: LiveSettings) -> None:
    """The hot view: a chunk of training while playing, the step counter and both models'
    pictures. While playing, one run of it draws frames for up to BURST_S, each into the same
    places, one for each request of the browser's timer: Streamlit's own cost of a run (4.9 ms of
    CPU for a bare fragment on 2 cores) was two fifths of a frame's. Any other request ends the
    run after the frame in hand (pacing.next_request), so the run always finishes whole and the
    request waits at most about a frame."""
    burst = playing() and last_fragment_of_run()
    ends = time.monotonic() + BURST_S
    slots = None
    while True:
        began, pace = time.monotonic(), pacer().pace()
        slots = draw_frame(settings, slots, pace)
        if not (burst and playing()) or time.monotonic() > ends:
            return
        # one frame per request of the browser's timer, which follows the pace (retime): none is
        # due before most of an interval has passed, so look only from then on
        time.sleep(max(0.0, began + REQUEST_FROM * pace.frame_s - time.monotonic()))
        if not next_request(REQUEST_WAIT * pace.frame_s) or not release_scenes():
            return


class FrameSlots(NamedTuple):
    step: DeltaGenerator
    notices: DeltaGenerator
    scenes: DeltaGenerator


def draw_frame(settings: LiveSettings, slots: FrameSlots | None, pace: Pace) -> FrameSlots:
    """One frame: the first of a run places its elements, each later one replaces them. Everything
    is computed before anything is sent: a placeholder sent on its own would blank the step
    counter and the pictures in the browser until the frame filled it (Streamlit merges a
    placeholder with what fills it only while both wait in its queue)."""
    if playing():
        train_step(settings, pace.steps_scale)  # a Step press (below, in the page) trains in full
    run = live_run()  # a frame may follow a restart on the CPU
    step = f"**step {run.step:,}** · {run.steps_per_second():,.0f} steps/s · {run.engine.device.type.upper()}"
    notices = []
    if run.diverged:
        both = len(run.diverged) == len(run.names)
        going = "Training has stopped" if both else "The other model goes on"
        notices.append((st.error, f"Diverged and stopped: {', '.join(run.diverged)} (loss NaN, inf or past "
                                  f"{DIVERGED_LOSS_FACTOR:g}·log K). {going}; lower the learning rate and "
                                  "press Reset."))
    if run.engine.graph_error:
        notices.append((st.caption, run.engine.graph_error))
    scene = run.scenes(settings.show_test, settings.discretize, st.session_state.get("pick_index", 0),
                       fade=settings.fade)
    label_scenes(scene, run)
    if slots is None:
        slots = FrameSlots(st.empty(), st.empty(), st.empty())
    slots.step.markdown(step)
    if notices:
        with slots.notices.container():
            for show, text in notices:
                show(text)
    with slots.scenes:
        show_scenes(scene, PICTURE_PX)
    if playing():
        pacer().frame(session_id())
        retime(pace.frame_s)
        follow_side_pace(pace.side_s)
    return slots


def label_scenes(scene: dict, run: LiveRun) -> None:
    """Each canvas's text alternative (scenes.js puts it on the canvas, role img): what it draws,
    at which step, and today's test accuracy."""
    numbers = run.headline()
    for m, model in enumerate(scene["models"]):
        what = render.describe_scene_grid(model, scene["res"], run.data.num_classes)
        model["label"] = (f"Decision boundary of {run.names[m]}{in_view(run.data)} at step {run.step:,}, "
                          f"test accuracy {numbers[m]['accuracy']:.3f}: {what}.")


def colour_key(data: Dataset) -> None:
    """How to read the pictures; it never changes during a run, so it lives outside the fragments."""
    num_classes = data.num_classes
    # inline and byte-identical every time: the browser keeps the picture instead of fetching it again
    st.image(data_url(render.colour_key_png(num_classes, 2 * PICTURE_PX), "image/png"),
             alt=render.colour_key_alt(num_classes))
    st.caption("Hue: the predicted class; strength: its probability, from 1/K (white) to 1. Dots: training "
               "points, squares: test points; a grey ring marks a point the model gets wrong, the crosshair "
               "the inspected point. Far from the data a smoothed model is unsure, and faint streaks where "
               "its top class flips are low-confidence regions, not structure: 'fade far from the data' "
               "dims them.")
    say_view(data)


@holding_run
def side_frame(settings: LiveSettings) -> None:
    """The slower views, redrawn every SIDE_EVERY headline intervals while playing: the history
    with mid-run changes, live reliability diagrams and the point inspector."""
    run = live_run()
    with st.container(horizontal=True, gap="large"):  # side by side where they fit, else stacked
        draw(charts.history_spec(tuple(run.names)),
             {"history": run.history(), "changes": run.changes_frame()}, key="history")
        draw(charts.live_reliability_spec(tuple(run.names), run.data.num_classes),
             {"reliability": run.reliability()}, key="reliability")
    show_inspector(run, settings.show_test)


_SIDE = "_side_interval"  # the slower views' interval set by the last run of the whole page, and when
SIDE_RERUN_GAP_S = 3.0


def follow_side_pace(side_s: float) -> None:
    """When the load calls for another interval of the slower views, run the whole page again
    (which declares them anew), at most once per SIDE_RERUN_GAP_S."""
    current, since = st.session_state.get(_SIDE, (side_s, 0.0))
    if side_s != current and time.monotonic() - since > SIDE_RERUN_GAP_S:
        st.rerun(scope="app")


def show_live(settings: LiveSettings) -> None:
    """The page's three fragments. Every element of a fragment is sent and redrawn each time it
    runs, so only the pictures move every frame; the numbers and the slower views follow at the
    server's pace for them. They wrap these module functions, not functions defined in the page: a
    page's function would hold the page's namespace (and the run in it) in a reference cycle
    that outlives the session."""
    # the server's current pace: the live view retimes itself as it changes; the slower views keep
    # the interval set here (retiming them from their own runs left stale copies of their
    # elements in the browser)
    pace = pacer().pace()
    forget_timers()
    st.session_state[_SIDE] = (pace.side_s, time.monotonic())
    every = (lambda seconds: seconds) if playing() else (lambda seconds: None)
    st.fragment(headline_frame, run_every=every(pace.side_s))()
    st.fragment(live_frame, run_every=every(pace.frame_s))(settings)
    colour_key(live_run().data)
    # the charts cost ten times the numbers to draw, and a curve need not move every second
    st.fragment(side_frame, run_every=every(SIDE_EVERY * pace.side_s))(settings)
