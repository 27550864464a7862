"""The live fragment's timing helpers outside a fragment run (a whole-page run, AppTest, a
thread with no run): no burst is allowed and nothing is retimed. Inside real fragment runs they
are exercised by tests/test_loadgen.py (bursts of frames) and tests/test_browser.py (a browser's
own timer); tools/browser_load.py runs them under 20 slow browsers."""
import streamlit as st

from playground.ui.live import pacing
from playground.ui.live.scenes import release_scenes


def test_without_a_fragment_run_no_burst_is_allowed():
    assert pacing.last_fragment_of_run() is False
    assert pacing.next_request(0.01) is False


def test_without_a_run_the_scenes_key_cannot_be_released():
    assert release_scenes() is False


def test_retime_outside_a_run_does_nothing():
    assert pacing.retime(0.5) is None
    assert pacing._SENT not in st.session_state
