"""The server's one rooms store, configured from the environment."""
from __future__ import annotations

import streamlit as st

from playground.serving.rooms import FailedLookups, Rooms


@st.cache_resource(show_spinner=False)
def room_store() -> Rooms:
    """Raises ValueError when the environment names a bad store or setting."""
    return Rooms.from_env()


@st.cache_resource(show_spinner=False)
def failed_lookups() -> FailedLookups:
    """The server's count of room codes that named no room, per client address and per session."""
    return FailedLookups()


def clients(session: str) -> list[str]:
    """Who a lookup counts against: this session, and its address when it is not loopback."""
    address = st.context.ip_address  # None through localhost
    return [f"session {session}", *([f"address {address}"] if address else [])]
