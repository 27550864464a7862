"""Page-wide layout: less padding, so a page's main view fits one screen, a projector's included."""
from __future__ import annotations

import streamlit as st

# Streamlit's default main block has 6rem of padding on top and 5rem at the sides, and titles of
# 2.75rem; at 1400×1000 that pushes the live page's boundaries below the fold. Metrics stay
# readable at 1.5rem and then five fit beside each other over one boundary picture.
_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding: 2.5rem 2rem 3rem 2rem; }
[data-testid="stMainBlockContainer"] h1 { font-size: 2rem; padding: 0.25rem 0 0.5rem 0; }
[data-testid="stMainBlockContainer"] h2 { font-size: 1.5rem; padding: 0.75rem 0 0.25rem 0; }
[data-testid="stMetricValue"] { font-size: 1.5rem; }
</style>"""


def compact_layout() -> None:
    st.html(_CSS)
