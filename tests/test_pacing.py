"""The live fragment's own timer outside a fragment run (a whole-page run, AppTest, a thread
with no run): nothing is retimed, and nothing raises (it raised RuntimeError before)."""
import streamlit as st

from playground.ui import pacing


def test_retime_outside_a_run_does_nothing():
    assert pacing.retime(0.5) is None
    assert pacing._SENT not in st.session_state
