import streamlit as st

from playground import charts
from playground.engine import DIVERGED_LOSS_FACTOR
from playground.render import data_url
from playground.ui.charts import draw
from playground.ui.inspector import picked_point, show_inspector
from playground.ui.live_state import (
    FRAME_S,
    advance,
    current_run,
    playing,
    stop_at_budget,
    take_step_request,
    throttled,
    transport,
)
from playground.ui.router import ensure_router
from playground.ui.train_controls import live_controls

ensure_router()

st.title("Train live: one-hot against smoothed")
st.caption("Two networks with the same data and the same initial weights; only ε differs. "
           "Colour is the predicted class, its strength the confidence.")
settings = live_controls()
run = current_run(settings)
for note in (st.session_state.pop("live_message", None), st.session_state.get("live_notice")):
    if note:
        st.info(note)
transport(run)


@st.fragment(run_every=FRAME_S if playing() else None)
def live_view():
    run = st.session_state.live  # a fragment rerun may follow a restart on the CPU
    if (playing() or take_step_request()) and not stop_at_budget(run):
        run = advance(run, settings.steps_per_update, settings)
    rate = run.steps_per_second()
    st.markdown(f"**step {run.step:,}** · {rate:,.0f} steps/s · {run.engine.device.type.upper()}")
    if run.diverged:
        st.error(f"Diverged and stopped: {', '.join(run.diverged)} (loss NaN, inf or past "
                 f"{DIVERGED_LOSS_FACTOR:g}·log K). The other model goes on; lower the learning rate "
                 "and press Reset.")
    if run.engine.graph_error:
        st.caption(run.engine.graph_error)
    last = run.engine.history[-1]["models"]
    blur = run.blur()
    picked = picked_point(run)
    for i, col in enumerate(st.columns(2)):
        with col:
            st.markdown(f"**{run.names[i]}**")
            st.image(data_url(run.scene(i, settings.show_test, settings.discretize, picked)), width=360)
            m, wrong = last[i], run.mistakes(i)
            st.caption(f"train acc {m['train_acc']:.3f} · test acc {m['test_acc']:.3f} · "
                       f"test NLL {m['test_nll']:.3f} · test ECE {m['test_ece']:.3f} · "
                       f"uncertain area {blur['uncertain_share'][i]:.0%} · "
                       f"ringed: {wrong['train']} train, {wrong['test']} test points wrong")
    draw(charts.history_spec(tuple(run.names)), {"history": throttled("history", 0.5, run.history, run)},
         key="history")
    show_inspector(run, settings.show_test)


live_view()
