"""Drawing the library's fixed Vega-Lite specs with fresh named datasets."""
from __future__ import annotations

import copy

import pandas as pd
import streamlit as st


def draw(spec: dict, datasets: dict[str, pd.DataFrame], key: str | None = None, selectable: bool = False):
    """Same spec + new datasets: the browser swaps the data in place instead of rebuilding,
    and skips a dataset whose bytes did not change."""
    full = copy.deepcopy(spec)
    full["datasets"] = datasets
    if selectable:
        return st.vega_lite_chart(spec=full, key=key, on_select="rerun", width="content")
    return st.vega_lite_chart(spec=full, key=key, width="content")
