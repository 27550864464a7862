"""Small values kept in the browser as first-party cookies, so a reload, a sleeping phone or a
reconnect is still the same person: read from the request that opened the session
(`st.context.cookies`), written by a line of script on the page. Nothing here is sent anywhere
else, and a cookie holds no name, only a random id or a room's key."""
from __future__ import annotations

import json
import re

import streamlit as st

PREFIX = "lsp_"  # the playground's cookies, apart from anything else on the host's domain
_NAME = re.compile(r"[a-z0-9_]{1,40}")
_VALUE = re.compile(r"[A-Za-z0-9_\-:]{1,200}")


def read(name: str) -> str | None:
    """The cookie's value as the browser sent it when the session opened, or None (none, or not
    one this module could have written)."""
    try:
        value = st.context.cookies.get(PREFIX + name)
    except Exception:  # noqa: BLE001 (outside a browser session, e.g. a bare script run)
        return None
    return value if isinstance(value, str) and _VALUE.fullmatch(value) else None


_QUEUE = "_cookies_to_write"


def write(name: str, value: str | None, days: float) -> None:
    """Keep `value` in this browser for `days` (None: forget it). SameSite=Lax, path /, and Secure
    when the page is served over HTTPS. The script goes out with `flush` at the end of the run:
    drawn mid-page, it would shift every element after it on the next run, and the browser would
    redraw them (a focused button loses focus)."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"name={name!r} must be 1 to 40 characters of a-z, 0-9 and _")
    if value is not None and not _VALUE.fullmatch(value):
        raise ValueError("value must be 1 to 200 characters of A-Z, a-z, 0-9, _, - and :")
    age = 0 if value is None else int(days * 86400)
    cookie = f"{PREFIX}{name}={value or ''}; Max-Age={age}; Path=/; SameSite=Lax"
    st.session_state.setdefault(_QUEUE, {})[name] = cookie


def flush() -> None:
    """Send the cookies written in this run (or in one that stopped before its end), last on the page."""
    queued = st.session_state.pop(_QUEUE, None)
    if queued:
        lines = "".join(f"document.cookie = {json.dumps(c)} + secure;" for c in queued.values())
        st.html(f"<script>const secure = location.protocol === 'https:' ? '; Secure' : ''; {lines}</script>",
                unsafe_allow_javascript=True)
