"""The server's one rooms store, configured from the environment."""
from __future__ import annotations

import streamlit as st

from playground.serving.rooms import Rooms


@st.cache_resource(show_spinner=False)
def room_store() -> Rooms:
    """Raises ValueError when the environment names a bad store or setting."""
    return Rooms.from_env()
