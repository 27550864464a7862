"""A live fragment's own timer, moved to the server's current pace (sharing.Pacer) while it runs.

Streamlit tells the browser a fragment's interval when the page declares it; the browser keeps
that timer until told another interval for the same fragment. Re-declaring needs a run of the
whole page, so a fragment that must slow down (or may speed up) sends the new interval itself.
Also whether a fragment may go on drawing frames within its run (live_view.live_frame)."""
from __future__ import annotations

import streamlit as st
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType
from streamlit.runtime.scriptrunner_utils.script_run_context import ThreadState, get_script_run_ctx

_SENT = "_fragment_intervals"  # fragment id -> the interval the browser was last told
CHANGE = 0.15  # a smaller relative change is not worth a message


def _running_fragment():
    """(the run's context, the fragment running now), or None for either outside one."""
    ctx = get_script_run_ctx()
    return (None, None) if ctx is None else (ctx, ThreadState.get().fragment_id)


def retime(interval_s: float) -> None:
    """From inside a fragment with run_every: rerun it every `interval_s` seconds from now on."""
    ctx, fragment = _running_fragment()
    if ctx is None or fragment is None:
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


def asked_again() -> bool:
    """Whether the browser has asked for this fragment again since its run began: its timer fires
    late while it is busy drawing, so a fragment that keeps drawing frames only while asked again
    never floods a slow browser. Streamlit folds such requests into one pending rerun and offers
    no public way to read it, so this reads its request queue (False if it is not as expected)."""
    ctx, fragment = _running_fragment()
    try:
        requests = ctx.script_requests
        with requests._lock:
            pending = requests._rerun_data.fragment_id_queue
            return requests._state is ScriptRequestType.RERUN and fragment in pending
    except AttributeError:
        return False


def last_fragment_of_run() -> bool:
    """Whether this runs as the last fragment of a run of fragments alone: only such a fragment may
    hold the run for several frames. Other fragments of the run have drawn already, and a run of
    the whole page (a click, AppTest) is never held."""
    ctx, fragment = _running_fragment()
    queue = getattr(ctx, "fragment_ids_this_run", None)
    return bool(fragment and queue and queue[-1] == fragment)
