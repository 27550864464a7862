"""Which device the app trains on, said in words."""
from __future__ import annotations

import streamlit as st
import torch

from playground.engine.engine import cuda_available


@st.cache_resource
def device_label() -> str:
    if cuda_available():
        return f"GPU · {torch.cuda.get_device_name(0)}"
    threads = torch.get_num_threads()
    return f"CPU · {threads} thread{'' if threads == 1 else 's'} (no CUDA device found)"


def show_device() -> None:
    st.caption(f"Trains on: **{device_label()}**")
