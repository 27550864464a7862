"""Widgets shared by several pages. Each returns plain values for the library."""
from __future__ import annotations

import streamlit as st

from playground.smoothing import CONVENTIONS
from playground.ui.url import bound

CONVENTION_LABELS = {
    "uniform": "uniform: true 1−ε+ε/K, others ε/K (PyTorch, Keras)",
    "others": "others: true 1−ε, others ε/(K−1) (fairseq)",
}


def target_controls(key: str, max_classes: int = 20) -> tuple[int, float, str]:
    """K, ε and convention for a target vector."""
    c1, c2, c3 = st.columns([1, 2, 2])
    k = bound(c1.number_input, "classes K", min_value=2, max_value=max_classes, value=3, step=1,
              key=f"{key}_k")
    eps = bound(c2.slider, "smoothing ε", 0.0, 1.0, 0.1, 0.01, key=f"{key}_eps")
    convention = bound(c3.radio, "convention", CONVENTIONS, format_func=CONVENTION_LABELS.get,
                       key=f"{key}_conv")
    return int(k), float(eps), convention
