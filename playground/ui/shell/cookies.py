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


def write(name: str, value: str | None, days: float) -> None:
    """Keep `value` in this browser for `days` (None: forget it). SameSite=Lax, path /, and Secure
    when the page is served over HTTPS; the script runs once where this is called."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"name={name!r} must be 1 to 40 characters of a-z, 0-9 and _")
    if value is not None and not _VALUE.fullmatch(value):
        raise ValueError("value must be 1 to 200 characters of A-Z, a-z, 0-9, _, - and :")
    age = 0 if value is None else int(days * 86400)
    cookie = f"{PREFIX}{name}={value or ''}; Max-Age={age}; Path=/; SameSite=Lax"
    st.html(f"<script>document.cookie = {json.dumps(cookie)} + "
            f"(location.protocol === 'https:' ? '; Secure' : '');</script>", unsafe_allow_javascript=True)
