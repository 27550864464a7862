"""Keeps every page behind the router in app.py."""
from __future__ import annotations

import streamlit as st

from playground.ui import streamlit_internals as internals


def ensure_router() -> None:
    """Call first in every page, before its heavy imports: then a deep link on a fresh server
    reaches app.py (and its start-up notice) at once, not after the page has loaded PyTorch.

    Until some session has run app.py, Streamlit serves a deep link such as /train from the
    legacy pages/ folder mode, which runs the page file alone: no page config, no shared set-up,
    the wrong menu. Switching that mode off and rerunning sends the request through app.py's
    st.navigation, which opens the same page."""
    if internals.pages_directory_mode_off():
        st.rerun()
