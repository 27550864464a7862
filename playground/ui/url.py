"""Shareable views: every setting lives in the URL, and a bad URL value gets a visible notice.

Widgets are bound to query parameters (their key is the parameter name), so the address bar
always holds the current view. Streamlit drops a value it cannot use and falls back to the
widget's default; `bound` notices that happened and says so, whatever the reason (malformed,
out of range, NaN or inf, an unknown option). Parameters no widget on the page knows are
reported and removed once the page has run.
"""
from __future__ import annotations

import math
from urllib.parse import urlencode

import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

_BOX = "_url_notice_box"
_KEYS = "_url_keys"  # bound parameter -> its current value, as the URL spells it


def start_page() -> None:
    """Call before the page runs: a place at the top for notices, a fresh key register, and
    the link's non-finite numbers (nan, inf, 1e400) removed before any widget reads them."""
    st.session_state[_BOX] = st.container()
    st.session_state[_KEYS] = {}
    for key in [k for k in st.query_params if any(map(_non_finite, st.query_params.get_all(k)))]:
        notice(f"The link's value {key}={'&'.join(st.query_params.get_all(key))} is not a finite number; "
               "using the default instead.")
        _forget(key)


def _forget(key: str) -> None:
    """Remove a parameter from the URL and from the snapshot bound widgets are seeded from.
    Streamlit's integer inputs crash on an infinite URL value, so it must go before they bind."""
    del st.query_params[key]
    ctx = get_script_run_ctx()
    if ctx is not None:
        with ctx.session_state.query_params() as params:
            params._initial_query_params.pop(key, None)


def notice(text: str) -> None:
    box = st.session_state.get(_BOX)
    (box if box is not None else st).warning(text, icon=":material/link_off:")


def _same(value, raw: list[str], fmt) -> bool:
    if isinstance(value, bool):
        return len(raw) == 1 and raw[0].lower() == str(value).lower()
    if isinstance(value, (tuple, list)):
        if isinstance(value, tuple):  # a range slider: two numbers
            return len(raw) == len(value) and all(_same(v, [r], fmt) for v, r in zip(value, raw))
        return sorted(fmt(v) for v in value) == sorted(raw)
    if fmt is str and isinstance(value, (int, float)):
        try:
            number = float(raw[0])
        except ValueError:
            return False
        return len(raw) == 1 and math.isfinite(number) and number == value
    return len(raw) == 1 and fmt(value) == raw[0]


def _non_finite(text: str) -> bool:
    try:
        return not math.isfinite(float(text))
    except ValueError:
        return False


def _spell(value, fmt) -> list[str]:
    if isinstance(value, bool):
        return [str(value).lower()]
    if isinstance(value, tuple):
        return [str(v) for v in value]
    if isinstance(value, list):
        return [fmt(v) for v in value]
    return [fmt(value)]


def bound(widget, label: str, *args, key: str, **kwargs):
    """Create `widget` (e.g. st.slider or a container's) bound to the query parameter `key`."""
    raw = st.query_params.get_all(key)
    value = widget(label, *args, key=key, bind="query-params", **kwargs)
    fmt = kwargs.get("format_func") or str
    st.session_state.setdefault(_KEYS, {})[key] = _spell(value, fmt)
    if raw and not _same(value, raw, fmt):
        shown = ", ".join(map(fmt, value)) if isinstance(value, list) else (
            " to ".join(map(str, value)) if isinstance(value, tuple) else fmt(value))
        notice(f"The link's value {key}={'&'.join(raw)} is not a valid {label}; using {shown} instead.")
    return value


def finish_page() -> None:
    """After the page ran: report and drop the parameters no widget on it uses."""
    known = st.session_state.get(_KEYS, {})
    for key in [k for k in st.query_params if k not in known]:
        notice(f"The link's parameter {key}={st.query_params.get(key)!r} is not used on this page; "
               "it was ignored.")
        del st.query_params[key]


def share_link() -> None:
    """The current view's address, every setting spelled out, with a copy button."""
    base = (st.context.url or "").split("?")[0]
    values = st.session_state.get(_KEYS, {})
    query = urlencode([(k, v) for k, spelled in values.items() for v in spelled])
    st.caption("Link to this view")
    st.code(f"{base}?{query}" if query else base or "(this page, default settings)", language=None,
            wrap_lines=True)
