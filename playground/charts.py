"""Altair builders: a DataFrame in, a chart out. No computation happens here."""
from __future__ import annotations

import altair as alt
import pandas as pd

ONE_HOT_COLOUR = "#9aa5b1"
SMOOTH_COLOUR = "#e4572e"


def targets_bar(frame: pd.DataFrame) -> alt.Chart:
    """Grouped bars: one-hot against smoothed target for each class."""
    kinds = list(dict.fromkeys(frame["target"]))
    return alt.Chart(frame).mark_bar().encode(
        x=alt.X("class:O", title="class (0 is the true class)", axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("target:N", sort=kinds),
        y=alt.Y("probability:Q", scale=alt.Scale(domain=[0, 1]), title="target probability"),
        color=alt.Color("target:N", sort=kinds, title=None,
                        scale=alt.Scale(domain=kinds, range=[ONE_HOT_COLOUR, SMOOTH_COLOUR]),
                        legend=alt.Legend(orient="top")),
        tooltip=["class:O", "target:N", alt.Tooltip("probability:Q", format=".4f")],
    ).properties(height=280)
