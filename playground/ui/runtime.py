"""Process-wide settings for serving the app."""
from __future__ import annotations

import streamlit as st
import torch


@st.cache_resource
def configure_process() -> None:
    """One torch thread per op: the app's models are small, sessions run side by side, and on a
    small machine extra OpenMP threads only fight the other sessions (and a local browser)."""
    torch.set_num_threads(1)
