"""Altair builders: a DataFrame in, a chart out. No computation happens here."""
from __future__ import annotations

from functools import lru_cache

import altair as alt
import pandas as pd

from playground.render import class_colours

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



# ---- live charts ----------------------------------------------------------------------------
# A live chart is a fixed Vega-Lite spec whose data come as named datasets. Redrawing with the
# same spec and new datasets lets the browser swap the data in place instead of rebuilding the
# chart, which is what keeps a live view at many updates per second.

MODEL_COLOURS = [ONE_HOT_COLOUR, SMOOTH_COLOUR]
PICK = "pick"  # name of the point-selection parameter of the point picker


def to_spec(chart: alt.TopLevelMixin) -> dict:
    """A validated Vega-Lite dict; build it once and reuse it with new datasets."""
    return chart.to_dict()


@lru_cache(maxsize=16)
def picker_spec(num_classes: int, box: float, size: int = 300) -> dict:
    """Dataset "points" (index, x1, x2, label, split): every point, clickable; the click selects
    its index (parameter PICK). The data never change during a run, so the chart stays put."""
    scale = alt.Scale(domain=[-box, box], nice=False, zero=False)
    pick = alt.selection_point(name=PICK, fields=["index"], on="click", clear="dblclick")
    chart = alt.Chart(alt.NamedData("points")).mark_point(filled=True, size=40).encode(
        x=alt.X("x1:Q", scale=scale, axis=alt.Axis(title=None, grid=False)),
        y=alt.Y("x2:Q", scale=scale, axis=alt.Axis(title=None, grid=False)),
        color=alt.Color("label:N", title="class",
                        scale=alt.Scale(domain=list(range(num_classes)), range=class_colours(num_classes))),
        shape=alt.Shape("split:N", scale=alt.Scale(domain=["train", "test"], range=["circle", "square"])),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.35)),
        tooltip=[alt.Tooltip("index:Q"), alt.Tooltip("label:N", title="class"), alt.Tooltip("split:N"),
                 alt.Tooltip("label noise:N", title="label flipped")],
    ).add_params(pick).properties(width=size, height=size)
    return to_spec(chart)


@lru_cache(maxsize=16)
def history_spec(names: tuple[str, ...]) -> dict:
    """Dataset "history" (step, model, metric, split, value): one panel per metric,
    solid lines for train, dashed for test."""
    chart = alt.Chart(alt.NamedData("history")).mark_line().encode(
        x=alt.X("step:Q"),
        y=alt.Y("value:Q", title=None),
        color=alt.Color("model:N", scale=alt.Scale(domain=list(names), range=MODEL_COLOURS),
                        legend=alt.Legend(orient="top", title=None)),
        strokeDash=alt.StrokeDash("split:N", scale=alt.Scale(domain=["train", "test"],
                                                             range=[[1, 0], [5, 3]]),
                                  legend=alt.Legend(orient="top", title=None)),
        tooltip=["step:Q", "model:N", "split:N", alt.Tooltip("value:Q", format=".4f")],
    ).properties(width=240, height=160).facet(
        column=alt.Column("metric:N", title=None, sort=["loss (NLL)", "accuracy", "ECE"])
    ).resolve_scale(y="independent")
    return to_spec(chart)


@lru_cache(maxsize=16)
def inspector_spec(names: tuple[str, ...]) -> dict:
    """Dataset "inspect" (model, kind, class, probability): target against prediction per class."""
    chart = alt.Chart(alt.NamedData("inspect")).mark_bar().encode(
        x=alt.X("class:O", axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("kind:N", sort=["target", "prediction"]),
        y=alt.Y("probability:Q", scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("kind:N", sort=["target", "prediction"],
                        scale=alt.Scale(domain=["target", "prediction"], range=["#9aa5b1", "#e4572e"]),
                        legend=alt.Legend(orient="top", title=None)),
        tooltip=["model:N", "class:O", "kind:N", alt.Tooltip("probability:Q", format=".4f")],
    ).properties(width=250, height=150).facet(column=alt.Column("model:N", title=None, sort=list(names)))
    return to_spec(chart)
