"""Which replica serves this session, and a clear message when a session lost its replica.

A Streamlit session lives in one server process. Behind a proxy with cookie stickiness
(deploy/haproxy.cfg) the cookie `playground_replica` names the replica a browser's session is on.
When that replica stops, the browser reconnects its websocket with the same cookie (pages, assets
and the pings before it go to any replica and leave the cookie alone), the proxy sends it to a
live replica, and the session there is new: its cookie names another replica than
the one serving it, which is how the page knows to say what happened. The proxy sets the cookie
anew on that reconnect, so the message shows once. A page that was busy (training, or a run going)
runs again at once after the reconnect; one at rest shows the message at its next interaction.

All of it needs `PLAYGROUND_REPLICA` (this replica's name, the same as its `cookie` value in the
proxy's configuration); without it, as on a single local server, nothing is shown.
"""
from __future__ import annotations

import os
import socket

import streamlit as st

from playground.ui.shell.plain import quoted

COOKIE = "playground_replica"  # the proxy's persistence cookie
ENV = "PLAYGROUND_REPLICA"
_CHECKED = "_replica_checked"  # session state: the cookie was looked at in this session's first run


def replica_id() -> str:
    """This replica's name: PLAYGROUND_REPLICA, else the host name, else ""."""
    named = os.environ.get(ENV, "").strip()
    if named:
        return named
    try:
        return socket.gethostname()
    except OSError:
        return ""


def moved_from(cookie_value: str | None, replica: str) -> str | None:
    """The replica a session came from, when the proxy's cookie names another one than `replica`;
    None when it names this one, when there is no cookie, or when this replica has no name."""
    previous = (cookie_value or "").strip()
    if not previous or not replica or previous == replica:
        return None
    return previous


def moved_message(previous: str, current: str) -> str:
    # the cookie comes from the browser, so it is quoted as a value, never read as Markdown
    return (f"The server you were on ({quoted(previous)}) stopped; you are now on {quoted(current)}. "
            "Settings come from the link, so they carried over; the training starts again from step 0, "
            "and a file you uploaded needs uploading again.")


def _request_cookie() -> str | None:
    """The proxy's cookie as the browser sent it when this session connected (None without a
    browser's request behind the session, as under AppTest)."""
    value = st.context.cookies.get(COOKIE)
    return value if isinstance(value, str) else None


def replica_notice() -> None:
    """In the sidebar, the replica serving this page; at the top, once per session, why the
    training started again when the session arrived from a replica that stopped. Nothing at all
    without PLAYGROUND_REPLICA."""
    if not os.environ.get(ENV, "").strip():
        return
    current = replica_id()
    st.sidebar.caption(f"served by {quoted(current)}")
    if st.session_state.get(_CHECKED):
        return
    # the cookie stays as the browser sent it when it connected, so only the first run may judge it
    st.session_state[_CHECKED] = True
    previous = moved_from(_request_cookie(), current)
    if previous:
        st.info(moved_message(previous, current), icon=":material/dns:")
