"""The one door to Streamlit's private internals (checked on streamlit CHECKED_ON).

Streamlit offers no public way to do a few things the app needs: know the running fragment, retime
a fragment's timer, take the browser's pending timer request, free a component key for a second
frame in one run, rewrite a link's parameters before widgets bind, and count the sessions of the
server. Each is one small function here. Every import and attribute access is guarded: if a
Streamlit upgrade changed what it reaches, the function falls back to public behaviour (one live
frame per fragment run, no link rewrite, no count) and logs one warning naming the access, once
per process. No other module imports `streamlit.runtime`, `streamlit.proto` or `streamlit.web`.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

CHECKED_ON = "1.67.0"  # the Streamlit version every access below was read against

log = logging.getLogger(__name__)
_warned: set[str] = set()
_warned_lock = threading.Lock()
GUARDED = (ImportError, AttributeError, TypeError, KeyError)  # what a changed Streamlit raises here


def fallback(access: str, err: BaseException, instead: str) -> None:
    """Log once per access that Streamlit changed under it, and what the app does instead."""
    with _warned_lock:
        if access in _warned:
            return
        _warned.add(access)
    log.warning("Streamlit internals changed (checked on %s): %s failed with %s: %s; %s.",
                CHECKED_ON, access, type(err).__name__, err, instead)


def _ctx():
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    return get_script_run_ctx()


def session_id() -> str:
    """This script run's session id, or "" outside a session."""
    try:
        ctx = _ctx()
        return ctx.session_id if ctx is not None else ""
    except GUARDED as err:
        fallback("session_id", err, "sessions are not told apart")
        return ""


def _thread_fragment():
    """The running fragment's id (None: none runs); raises a GUARDED error if Streamlit changed."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import ThreadState
    if _ctx() is None:
        return None  # no script run on this thread: no fragment either
    try:
        return ThreadState.get().fragment_id
    except RuntimeError:  # a thread of the run with no fragment state
        return None


def fragment_id() -> str | None:
    """The fragment whose body runs now, or None (None outside a fragment)."""
    try:
        return _thread_fragment()
    except GUARDED as err:
        fallback("fragment_id", err, "no fragment is known to run: one live frame per run")
        return None


def in_fragment(unknown: bool = True) -> bool:
    """Whether a fragment's body runs now; `unknown` when that cannot be read."""
    try:
        return _thread_fragment() is not None
    except GUARDED as err:
        fallback("in_fragment", err, "pages stop with st.stop()")
        return unknown


def fragments_this_run() -> list[str]:
    """The fragments this run was started for alone ([] for a run of the whole page)."""
    try:
        ctx = _ctx()
        return list(ctx.fragment_ids_this_run or []) if ctx is not None else []
    except GUARDED as err:
        fallback("fragments_this_run", err, "every run is taken for a run of the whole page")
        return []


def retime_fragment(fragment: str, interval_s: float) -> bool:
    """Tell the browser to rerun `fragment` every `interval_s` from now; False when it cannot (the
    interval the page declared stays)."""
    try:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        ctx = _ctx()
        if ctx is None:
            return False
        msg = ForwardMsg()
        msg.auto_rerun.interval = interval_s
        msg.auto_rerun.fragment_id = fragment
        ctx.enqueue(msg)
        return True
    except GUARDED as err:
        fallback("retime_fragment", err, "fragments keep the interval their page declared")
        return False


def take_timer_request(fragment: str) -> bool | None:
    """True: took the browser's pending timer request for `fragment` alone; False: the run should end
    now (a rerun of the page, a click, or no way to tell); None: nothing to act on yet. Streamlit
    folds requests into one pending rerun and offers no public way to read or take it, so this does
    what its runner does when it takes one, under the same lock."""
    try:
        from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType
        ctx = _ctx()
        if ctx is None:
            return False
        requests = ctx.script_requests
        with requests._lock:
            if requests._state is not ScriptRequestType.RERUN:
                return None
            pending = requests._rerun_data
            queue = pending.fragment_id_queue
            if not queue or not pending.is_auto_rerun or pending.is_fragment_scoped_rerun:
                return False  # a rerun of the page, a click or pick inside a fragment
            if queue == [fragment]:
                requests._state = ScriptRequestType.CONTINUE
                return True
            return False if fragment in queue else None
    except GUARDED as err:
        fallback("take_timer_request", err, "the live view draws one frame per fragment run")
        return False


def release_widget_key(key: str) -> bool:
    """Let an element with user key `key` be drawn again in this run (Streamlit registers each key
    once per run and its registries offer no removal); False when it cannot (draw no second frame)."""
    try:
        from streamlit.runtime.state.common import user_key_from_element_id
        ctx = _ctx()
        if ctx is None:
            return False
        registries = [(ctx.shared.widget_user_keys_this_run, lambda k: k == key),
                      (ctx.shared.widget_ids_this_run, lambda wid: user_key_from_element_id(wid) == key)]
        for registry, ours in registries:
            with registry._lock:
                registry._data = {value for value in registry._data if not ours(value)}
        return True
    except GUARDED as err:
        fallback("release_widget_key", err, "the live view draws one frame per fragment run")
        return False


def rewrite_query_param(key: str, values: list[str] | None) -> bool:
    """Replace (None: remove) a link's parameter before its widget binds, in the URL and in the
    snapshot bound widgets are seeded from; False when that cannot be done (the caller's notice
    then stands alone)."""
    try:
        ctx = _ctx()
        if ctx is None:
            return False
        with ctx.session_state.query_params() as params:
            if values is None:
                params._query_params.pop(key, None)
                params._initial_query_params.pop(key, None)
            else:
                params._query_params[key] = values if len(values) > 1 else values[0]
                params._initial_query_params[key] = values
            params._send_query_param_msg()
        return True
    except GUARDED as err:
        fallback("rewrite_query_param", err, "a link's bad value is only noticed, not rewritten")
        return False


def runtime_exists() -> bool:
    """Whether a Streamlit server runs in this process (not under AppTest or a plain script)."""
    try:
        from streamlit.runtime import Runtime
        return Runtime.exists()
    except GUARDED as err:
        fallback("runtime_exists", err, "ended sessions are not released early")
        return False


def session_checker() -> Callable[[str], bool] | None:
    """A function telling whether a session id is still active, or None where there is none."""
    try:
        from streamlit.runtime import Runtime
        return Runtime.instance().is_active_session
    except GUARDED as err:
        fallback("session_checker", err, "ended sessions are not released early")
        return None
    except RuntimeError:  # no runtime in this process
        return None


def connected_sessions() -> int | None:
    """Sessions with a browser attached, or None where that cannot be read (as under test)."""
    try:
        from streamlit.runtime import Runtime
        return Runtime.instance()._session_mgr.num_active_sessions()
    except RuntimeError:
        return None
    except GUARDED as err:
        fallback("connected_sessions", err, "the health view shows no session count")
        return None
