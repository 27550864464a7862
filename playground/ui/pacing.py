"""A live fragment's own timer, moved to the server's current pace (sharing.Pacer) while it runs.

Streamlit tells the browser a fragment's interval when the page declares it; the browser keeps
that timer until told another interval for the same fragment. Re-declaring needs a run of the
whole page, so a fragment that must slow down (or may speed up) sends the new interval itself."""
from __future__ import annotations

import streamlit as st
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.scriptrunner_utils.script_run_context import ThreadState, get_script_run_ctx

_SENT = "_fragment_intervals"  # fragment id -> the interval the browser was last told
CHANGE = 0.15  # a smaller relative change is not worth a message


def retime(interval_s: float) -> None:
    """From inside a fragment with run_every: rerun it every `interval_s` seconds from now on."""
    ctx = get_script_run_ctx()
    if ctx is None:  # not in a run (ThreadState would raise)
        return
    fragment = ThreadState.get().fragment_id
    if fragment is None:
        return
    sent = st.session_state.setdefault(_SENT, {})
    last = sent.get(fragment)
    if last is not None and abs(interval_s - last) <= CHANGE * last:
        return
    msg = ForwardMsg()
    msg.auto_rerun.interval = interval_s
    msg.auto_rerun.fragment_id = fragment
    ctx.enqueue(msg)
    sent[fragment] = interval_s


def forget_timers() -> None:
    """A run of the whole page declares every fragment's interval afresh."""
    st.session_state.pop(_SENT, None)
