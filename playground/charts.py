"""Altair builders: a DataFrame in, a chart out. No computation happens here."""
from __future__ import annotations

from functools import lru_cache

import altair as alt
import pandas as pd

from playground.metrics import N_BINS
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
                        scale=alt.Scale(domain=["target", "prediction"],
                                        range=[ONE_HOT_COLOUR, SMOOTH_COLOUR]),
                        legend=alt.Legend(orient="top", title=None)),
        tooltip=["model:N", "class:O", "kind:N", alt.Tooltip("probability:Q", format=".4f")],
    ).properties(width=250, height=150).facet(column=alt.Column("model:N", title=None, sort=list(names)))
    return to_spec(chart)


# ---- mechanism charts ----------------------------------------------------------------------

def _eps_colour(frame: pd.DataFrame) -> alt.Color:
    order = list(dict.fromkeys(frame["eps"]))
    return alt.Color("eps:N", sort=order, title=None, scale=alt.Scale(scheme="viridis"),
                     legend=alt.Legend(orient="top"))


def loss_curve_chart(curves: pd.DataFrame, minima: pd.DataFrame, y_max: float = 3.0) -> alt.LayerChart:
    """Loss against true-class probability; a dot marks each minimum (q_t, H(q))."""
    x = alt.X("p:Q", title="true-class probability p", scale=alt.Scale(domain=[0, 1]))
    lines = alt.Chart(curves).mark_line(clip=True).encode(
        x=x, y=alt.Y("loss:Q", title="loss", scale=alt.Scale(domain=[0, y_max])), color=_eps_colour(curves),
        tooltip=["eps:N", alt.Tooltip("p:Q", format=".3f"), alt.Tooltip("loss:Q", format=".4f")])
    dots = alt.Chart(minima).mark_point(filled=True, size=90, stroke="black").encode(
        x=alt.X("q_true:Q"), y=alt.Y("min_loss:Q"), color=_eps_colour(minima),
        tooltip=["eps:N", alt.Tooltip("q_true:Q", title="q_t", format=".4f"),
                 alt.Tooltip("min_loss:Q", title="H(q)", format=".5f")])
    return alt.layer(lines, dots).properties(height=320)


def gradient_chart(curves: pd.DataFrame, marks: pd.DataFrame, x: str = "p", signed: bool = False
                   ) -> alt.LayerChart:
    """||dL/dz|| (or the signed true-logit gradient) against p or the logit gap. Dots mark where
    the gradient vanishes; dashed rules the limit as p -> 1."""
    x_enc = (alt.X("p:Q", title="true-class probability p", scale=alt.Scale(domain=[0, 1])) if x == "p"
             else alt.X("gap:Q", title="logit gap (true − each other)"))
    y_field, y_title = ("true_grad", "∂L/∂z_true = p − q_t") if signed else ("grad_norm", "‖∂L/∂z‖")
    lines = alt.Chart(curves).mark_line().encode(
        x=x_enc, y=alt.Y(f"{y_field}:Q", title=y_title), color=_eps_colour(curves),
        tooltip=["eps:N", alt.Tooltip("p:Q", format=".4f"), alt.Tooltip("gap:Q", format=".3f"),
                 alt.Tooltip(f"{y_field}:Q", format=".4f")])
    zero_x = "q_true:Q" if x == "p" else "optimal_gap:Q"
    finite = marks[marks["optimal_gap"].abs() != float("inf")] if x != "p" else marks
    zeros = alt.Chart(finite.assign(zero=0.0)).mark_point(filled=True, size=80, stroke="black").encode(
        x=zero_x, y="zero:Q", color=_eps_colour(marks),
        tooltip=["eps:N", alt.Tooltip("q_true:Q", title="q_t", format=".4f"),
                 alt.Tooltip("optimal_gap:Q", title="gap", format=".4f")])
    layers = [lines, zeros]
    if not signed:
        layers.append(alt.Chart(marks).mark_rule(strokeDash=[4, 3]).encode(
            y="limit:Q", color=_eps_colour(marks),
            tooltip=["eps:N", alt.Tooltip("limit:Q", title="limit as p→1", format=".4f")]))
    return alt.layer(*layers).properties(height=300)


def measured_gradient_chart(samples: pd.DataFrame, curves: pd.DataFrame, names: list[str]
                            ) -> alt.LayerChart:
    """Per-sample ||dL/dz|| against true-class probability, over the analytic curves."""
    colour = alt.Color("model:N", sort=names, scale=alt.Scale(domain=names, range=MODEL_COLOURS),
                       legend=alt.Legend(orient="top", title=None))
    x = alt.X("p_true:Q", title="true-class probability p", scale=alt.Scale(domain=[0, 1]))
    dots = alt.Chart(samples).mark_circle(size=18, opacity=0.55).encode(
        x=x, y=alt.Y("grad_norm:Q", title="‖∂L/∂z‖"), color=colour,
        tooltip=["model:N", "index:Q", alt.Tooltip("p_true:Q", format=".4f"),
                 alt.Tooltip("grad_norm:Q", format=".5f")])
    lines = alt.Chart(curves).mark_line(strokeDash=[5, 3], color="black", opacity=0.7).encode(
        x=alt.X("p:Q"), y=alt.Y("grad_norm:Q"), detail="model:N")
    return alt.layer(lines, dots).properties(height=260)


def logit_gap_chart(gaps: pd.DataFrame, names: list[str]) -> alt.LayerChart:
    """Median logit gap over training with a 10–90% band, per model, and the finite optimum."""
    colour = alt.Color("model:N", sort=names, scale=alt.Scale(domain=names, range=MODEL_COLOURS),
                       legend=alt.Legend(orient="top", title=None))
    band = alt.Chart(gaps).mark_area(opacity=0.25).encode(
        x=alt.X("step:Q"), y=alt.Y("q10:Q", title="logit gap (true − largest other)"), y2="q90:Q",
        color=colour)
    line = alt.Chart(gaps).mark_line().encode(
        x="step:Q", y="q50:Q", color=colour,
        tooltip=["model:N", "step:Q", alt.Tooltip("q50:Q", title="median", format=".3f")])
    finite = gaps[gaps["optimal"] != float("inf")].drop_duplicates("model")
    rule = alt.Chart(finite).mark_rule(strokeDash=[6, 3], color="black").encode(
        y="optimal:Q", tooltip=[alt.Tooltip("optimal:Q", title="log(q_t/q_o)", format=".4f")])
    return alt.layer(band, line, rule).properties(height=300)


# ---- sweep and calibration charts -----------------------------------------------------------

def sweep_metrics_chart(summary: pd.DataFrame, columns: int = 4) -> alt.FacetChart:
    """One panel per metric against eps: the mean over seeds with a min–max band."""
    base = alt.Chart().encode(x=alt.X("eps:Q", title="ε"))
    band = base.mark_area(opacity=0.25, color=SMOOTH_COLOUR).encode(y=alt.Y("min:Q", title=None), y2="max:Q")
    line = base.mark_line(point=alt.OverlayMarkDef(color=SMOOTH_COLOUR), color=SMOOTH_COLOUR).encode(
        y="mean:Q", tooltip=["label:N", "eps:Q", alt.Tooltip("mean:Q", format=".4f"),
                             alt.Tooltip("min:Q", format=".4f"), alt.Tooltip("max:Q", format=".4f")])
    return alt.layer(band, line, data=summary).properties(width=200, height=150).facet(
        facet=alt.Facet("label:N", title=None), columns=columns).resolve_scale(y="independent")


def gap_vs_eps_chart(summary: pd.DataFrame, reference: pd.DataFrame) -> alt.LayerChart:
    """Mean training logit gap against eps (band over seeds) and the optimum log(q_t/q_o)."""
    gap = summary[summary["metric"] == "mean_logit_gap"]
    base = alt.Chart(gap).encode(x=alt.X("eps:Q", title="ε"))
    band = base.mark_area(opacity=0.25, color=SMOOTH_COLOUR).encode(y=alt.Y("min:Q", title="logit gap"),
                                                                      y2="max:Q")
    line = base.mark_line(point=alt.OverlayMarkDef(color=SMOOTH_COLOUR), color=SMOOTH_COLOUR).encode(
        y="mean:Q", tooltip=["eps:Q", alt.Tooltip("mean:Q", title="measured", format=".3f")])
    ref = alt.Chart(reference).mark_line(strokeDash=[6, 3], color="black").encode(
        x="eps:Q", y="optimal_gap:Q",
        tooltip=["eps:Q", alt.Tooltip("optimal_gap:Q", title="log(q_t/q_o)", format=".3f")])
    return alt.layer(band, line, ref).properties(height=240)


def noise_comparison_chart(frame: pd.DataFrame) -> alt.FacetChart:
    """Test accuracy and ECE against eps, one line per label-noise level."""
    return alt.Chart(frame).mark_line(point=True).encode(
        x=alt.X("eps:Q", title="ε"), y=alt.Y("mean:Q", title=None),
        color=alt.Color("label noise:N", legend=alt.Legend(orient="top")),
        tooltip=["label noise:N", "eps:Q", alt.Tooltip("mean:Q", format=".4f")],
    ).properties(width=300, height=200).facet(column=alt.Column("label:N", title=None)).resolve_scale(
        y="independent")


def reliability_chart(frame: pd.DataFrame, names: list[str]) -> alt.FacetChart:
    """Reliability diagrams: accuracy per confidence bin against the diagonal, one panel per model."""
    bars = alt.Chart().mark_bar(opacity=0.85, color=SMOOTH_COLOUR).encode(
        x=alt.X("lo:Q", title="confidence", scale=alt.Scale(domain=[0, 1])), x2="hi:Q",
        y=alt.Y("accuracy:Q", title="accuracy", scale=alt.Scale(domain=[0, 1])), y2=alt.datum(0),
        tooltip=[alt.Tooltip("lo:Q", format=".3f"), alt.Tooltip("hi:Q", format=".3f"), "count:Q",
                 alt.Tooltip("accuracy:Q", format=".3f"), alt.Tooltip("confidence:Q", format=".3f")])
    means = alt.Chart().mark_tick(color="black", thickness=2).encode(x="confidence:Q", y="accuracy:Q")
    diagonal = alt.Chart().mark_rule(strokeDash=[4, 3], color="#555").encode(
        x=alt.datum(0), y=alt.datum(0), x2=alt.datum(1), y2=alt.datum(1))
    shown = frame[frame["count"] > 0]
    return alt.layer(bars, means, diagonal, data=shown).properties(width=200, height=200).facet(
        column=alt.Column("model:N", title=None, sort=names))


def confidence_histogram(frame: pd.DataFrame, names: list[str]) -> alt.FacetChart:
    """Histogram of test confidences (top probability), one panel per model."""
    return alt.Chart(frame).mark_bar(color=SMOOTH_COLOUR).encode(
        x=alt.X("confidence:Q", bin=alt.Bin(extent=[0, 1], step=1 / N_BINS), title="confidence"),
        y=alt.Y("count():Q", title="points"),
    ).properties(width=200, height=150).facet(column=alt.Column("model:N", title=None, sort=names))
