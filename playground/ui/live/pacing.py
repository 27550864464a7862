"""A live fragment's own timer, moved to the server's current pace (sharing.Pacer) while it runs.

Streamlit tells the browser a fragment's interval when the page declares it; the browser keeps
that timer until told another interval for the same fragment. Re-declaring needs a run of the
whole page, so a fragment that must slow down (or may speed up) sends the new interval itself.
Also whether a fragment may go on drawing frames within its run (live_view.live_frame)."""
from __future__ import annotations

import time

import streamlit as st

from playground.ui import streamlit_internals as internals

_SENT = "_fragment_intervals"  # fragment id -> the interval the browser was last told
CHANGE = 0.15  # a smaller relative change is not worth a message
POLL_S = 0.004  # how often a fragment waiting for its next request looks


def retime(interval_s: float) -> None:
    """From inside a fragment with run_every: rerun it every `interval_s` seconds from now on."""
    fragment = internals.fragment_id()
    if fragment is None:
        return
    sent = st.session_state.setdefault(_SENT, {})
    last = sent.get(fragment)
    if last is not None and abs(interval_s - last) <= CHANGE * last:
        return
    if internals.retime_fragment(fragment, interval_s):
        sent[fragment] = interval_s


def forget_timers() -> None:
    """A run of the whole page declares every fragment's interval afresh."""
    st.session_state.pop(_SENT, None)


def next_request(timeout_s: float) -> bool:
    """Wait up to `timeout_s` for the browser's next timer request for the running fragment and
    take it: the frame drawn next answers it, so a fragment that keeps drawing frames draws one per
    request and never floods a slow browser (whose timer fires late while it is busy drawing).
    False, so that the run ends and Streamlit serves what is pending: at once for a click, a pick
    or a rerun of the page; for other fragments' timers, once this fragment's own request has
    joined them (one run then serves them all); at the timeout; and outside a fragment run."""
    fragment = internals.fragment_id()
    if fragment is None:
        return False
    deadline = time.monotonic() + timeout_s
    while (taken := internals.take_timer_request(fragment)) is None and time.monotonic() < deadline:
        time.sleep(POLL_S)
    return bool(taken)


def last_fragment_of_run() -> bool:
    """Whether this runs as the last fragment of a run of fragments alone: only such a fragment may
    hold the run for several frames. Other fragments of the run have drawn already, and a run of
    the whole page (a click, AppTest) is never held."""
    fragment = internals.fragment_id()
    queue = internals.fragments_this_run()
    return bool(fragment and queue and queue[-1] == fragment)
