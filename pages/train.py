import streamlit as st

from playground.ui.live_state import FRAME_S, current_run, playing, transport
from playground.ui.live_view import live_frame
from playground.ui.router import ensure_router
from playground.ui.train_controls import live_controls

ensure_router()

st.title("Train live: one-hot against smoothed")
st.caption("Two networks with the same data and the same initial weights; only ε differs.")
settings = live_controls()
run = current_run(settings)
for note in (st.session_state.pop("live_message", None), st.session_state.get("live_notice")):
    if note:
        st.info(note)
transport(run)


@st.fragment(run_every=FRAME_S if playing() else None)
def live_view():
    live_frame(settings)


live_view()
