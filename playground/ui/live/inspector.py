"""The point inspector: pick a point by clicking it in the picker or by its index."""
from __future__ import annotations

import streamlit as st

from playground.core.datasets import BOX
from playground.experiments.live import LiveRun
from playground.ui.live.live_state import playing
from playground.ui.shell.charts import draw
from playground.ui.shell.url import control
from playground.views import charts

PICKER_KEY = "picker"
PANEL_KEY = "point_inspector"  # the one block that holds the whole inspector
PICKER_PX = 250  # fits its column at 1024 px wide, legend included
BARS_PX = 400


def _clicked() -> int | None:
    event = st.session_state.get(PICKER_KEY)
    picks = (event or {}).get("selection", {}).get(charts.PICK) or []
    return int(picks[0]["index"]) if picks and "index" in picks[0] else None


def follow_click(run: LiveRun) -> None:
    """A new click in the picker moves the index box to the clicked point; the index stays in range."""
    state = st.session_state
    clicked = _clicked()
    if clicked is not None and clicked != state.get("picker_seen"):
        state.picker_seen = clicked
        state.pick_index = clicked
    state.pick_index = min(max(int(state.get("pick_index", 0)), 0), len(run.labels) - 1)


def verdict(predicted: int, confidence: float, label: int) -> str:
    """'predicts class 0 with 0.87 (wrong)'."""
    return f"predicts class {predicted} with {confidence:.2f} ({'right' if predicted == label else 'wrong'})"


def show_inspector(run: LiveRun, show_test: bool = True) -> None:
    """The picker and the readout. Runs in its own fragment: a new pick while paused reruns the page,
    so the pictures move their crosshair too (while playing, the next frame does it)."""
    before = st.session_state.get("pick_index")
    follow_click(run)
    if before is not None and st.session_state.pick_index != before and not playing():
        st.rerun(scope="app")
    # One keyed block, always the same elements in the same order: nothing inside it moves between
    # runs (the page keeps the block itself in place), so no displaced copy of the index box stays.
    with st.container(key=PANEL_KEY):
        st.markdown("#### Point inspector")
        with st.container(horizontal=True, gap="large"):  # picker beside the readout where both fit
            with st.container(width=PICKER_PX + 10):
                _picker(run, show_test)
            with st.container(width=BARS_PX + 10):
                _readout(run)


def _picker(run: LiveRun, show_test: bool) -> None:
    st.caption("Click a point to inspect it (double-click clears)")
    draw(charts.picker_spec(run.data.num_classes, BOX, PICKER_PX), {"points": run.points(show_test)},
         key=PICKER_KEY, selectable=True)


def _readout(run: LiveRun) -> None:
    index = control("pick_index", lo=0, hi=len(run.labels) - 1, width=160)
    info = run.inspect(int(index))
    x1, x2 = info["x"]
    where = "at" if run.data.plane.is_identity else "drawn in the PCA view at"
    lines = [f"class **{info['label']}** · {info['split']} point {where} ({x1:.2f}, {x2:.2f})"]
    for name, g, guess, conf in zip(run.names, info["grad_norm"], info["predicted"], info["confidence"]):
        lines.append(f"{name}: {verdict(guess, conf, info['label'])} · ‖∂L/∂z‖ = **{g:.4f}**")
    st.markdown("  \n".join(lines))
    draw(charts.inspector_spec(tuple(run.names), BARS_PX), {"inspect": info["frame"]}, key="inspector")
    st.caption("‖∂L/∂z‖: the norm of the gradient of each model's own loss with respect to its "
               "logits at this point, in closed form (softmax(z) − target for cross-entropy and "
               "smoothing). Focal loss and the confidence penalty keep the one-hot target and "
               "reweight the loss instead.")
