"""Altair builders: a DataFrame in, a chart out. No computation happens here.

Every colour comes from playground.views.palette: class colours for classes only, the model pair for
one-hot against smoothed, one sequential scale for ε, and NEUTRAL for everything else.
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import altair as alt
import pandas as pd

from playground.core.metrics import N_BINS
from playground.views import palette

PROB_TICKS = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]  # probability axes label these and nothing else
PROB_FORMAT = ".1f"
VALUE_FORMAT = ".3~g"  # metrics: 0, 0.05, 0.693 or 12.3, never "0.000000"
WRAP = 3  # panels a row in per-model grids: three fit 1024 px with the sidebar open
CLIP_FACTOR = 4.0  # a panel whose largest value is this many times every other line's is cut
SVG = {"embedOptions": {"renderer": "svg"}}  # charts whose parts a screen reader (and a test) must reach


# ---- text alternatives ------------------------------------------------------------------------
# Each chart carries a description computed from its data (Vega makes it the chart's accessible
# name): what is plotted against what, for which series, and the values that matter.

def _names(values, most: int = 8) -> str:
    """'a, b and c', at most `most` of them."""
    values = [str(v) for v in dict.fromkeys(values)]
    if len(values) > most:
        values = [*values[:most - 1], f"{len(values) - most + 1} more"]
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + f" and {values[-1]}"


def _trend(summary: pd.DataFrame, x: str = "eps", y: str = "mean", x_name: str = "ε") -> str:
    """'from 0.12 at ε = 0 to 0.31 at ε = 0.3': the first and last point of a line."""
    rows = summary.sort_values(x)
    if rows.empty:
        return "no values"
    first, last = rows.iloc[0], rows.iloc[-1]
    return f"from {first[y]:.3g} at {x_name} = {first[x]:g} to {last[y]:.3g} at {x_name} = {last[x]:g}"


def _panel_trends(summary: pd.DataFrame, panel: str) -> str:
    return "; ".join(f"{name} {_trend(rows)}" for name, rows in summary.groupby(panel, sort=False))


def chance(num_classes: int) -> float:
    """The lowest possible top probability with K classes: 1/K."""
    if int(num_classes) < 2:
        raise ValueError(f"num_classes={num_classes} must be at least 2")
    return 1.0 / int(num_classes)


def prob_ticks(lo: float = 0.0) -> list[float]:
    """The probability ticks inside [lo, 1]."""
    return [v for v in PROB_TICKS if v >= lo - 1e-9]


def _prob_axis(lo: float = 0.0) -> alt.Axis:
    return alt.Axis(values=prob_ticks(lo), format=PROB_FORMAT)


def _confidence_x(num_classes: int, *args, **kwargs) -> alt.X:
    """Confidence on x from 1/K to 1: a top probability below 1/K cannot occur."""
    lo = chance(num_classes)
    return alt.X(*args, title="confidence", scale=alt.Scale(domain=[lo, 1.0], nice=False, zero=False),
                 axis=_prob_axis(lo), **kwargs)


def _model_colour(names: Sequence[str], legend: alt.Legend | None = None) -> alt.Color:
    """One-hot against smoothed: the palette's model pair, in the order of `names`."""
    names = list(names)
    return alt.Color("model:N", sort=names, title=None, legend=legend,
                   scale=alt.Scale(domain=names, range=palette.MODEL_COLOURS[:len(names)]))


def _eps_scale(values) -> alt.Scale:
    """The one ε scale: each ε value mapped to palette.eps_colour, so it matches on every page."""
    values = sorted({float(v) for v in values})
    return alt.Scale(domain=values, range=[palette.eps_colour(v) for v in values])


def _eps_label_colour(frame: pd.DataFrame) -> alt.Color:
    """Colour by the ε label ("ε=0.1") with the colour of its number (column eps_value)."""
    pairs = frame[["eps", "eps_value"]].drop_duplicates("eps").sort_values("eps_value")
    labels = pairs["eps"].tolist()
    colours = [palette.eps_colour(v) for v in pairs["eps_value"]]
    return alt.Color("eps:N", sort=labels, title=None, legend=alt.Legend(orient="top"),
                     scale=alt.Scale(domain=labels, range=colours))


def _panel_colours(names: Sequence[str], eps: Sequence[float | None]) -> alt.Color:
    """One colour per model panel: its ε on the ε scale, NEUTRAL where it is no ε model (None)."""
    if len(eps) != len(names):
        raise ValueError(f"eps has {len(eps)} values for {len(names)} names")
    colours = [palette.NEUTRAL if e is None else palette.eps_colour(e) for e in eps]
    return alt.Color("model:N", scale=alt.Scale(domain=list(names), range=colours), legend=None)


def targets_bar(frame: pd.DataFrame) -> alt.Chart:
    """Grouped bars: one-hot against smoothed target for each class."""
    kinds = list(dict.fromkeys(frame["target"]))
    return alt.Chart(frame).mark_bar().encode(
        x=alt.X("class:O", title="class (0 is the true class)", axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("target:N", sort=kinds),
        y=alt.Y("probability:Q", scale=alt.Scale(domain=[0, 1]), title="target probability",
                axis=_prob_axis()),
        color=alt.Color("target:N", sort=kinds, title=None,
                        scale=alt.Scale(domain=kinds, range=palette.MODEL_COLOURS),
                        legend=alt.Legend(orient="top")),
        tooltip=["class:O", "target:N", alt.Tooltip("probability:Q", format=".4f")],
    ).properties(height=320, description=_targets_text(frame, kinds))


def _targets_text(frame: pd.DataFrame, kinds: list[str]) -> str:
    parts = []
    for kind in kinds:
        rows = frame[frame["target"] == kind].set_index("class")["probability"]
        others = rows.drop(index=rows.index[0])
        rest = f", each other class {others.iloc[0]:.4g}" if len(others) else ""
        parts.append(f"{kind}: the true class {rows.iloc[0]:.4g}{rest}")
    return f"Bar chart of the target probability of each of {len(frame['class'].unique())} classes; " \
           + "; ".join(parts)


# ---- live charts ----------------------------------------------------------------------------
# A live chart is a fixed Vega-Lite spec whose data come as named datasets. Redrawing with the
# same spec and new datasets lets the browser swap the data in place instead of rebuilding the
# chart, which is what keeps a live view at many updates per second.

PICK = "pick"  # name of the point-selection parameter of the point picker
HISTORY_PANELS = ("loss (NLL)", "accuracy", "ECE")  # the metric names of tables.history


def to_spec(chart: alt.TopLevelMixin) -> dict:
    """A validated Vega-Lite dict; build it once and reuse it with new datasets."""
    return chart.to_dict()


@lru_cache(maxsize=16)
def picker_spec(num_classes: int, box: float, size: int = 300) -> dict:
    """Dataset "points" (index, x1, x2, label, split): every point, clickable; the click selects
    its index (parameter PICK). The data never change during a run, so the chart stays put.
    The whole chart, axes and legends included, is `size` pixels wide; the legends sit below the
    plot so nothing spills into the next column."""
    scale = alt.Scale(domain=[-box, box], nice=False, zero=False)
    pick = alt.selection_point(name=PICK, fields=["index"], on="click", clear="dblclick")
    # the class legend wraps after as many entries (about 36 px each) as leave room for the split
    # legend (train over test, about 90 px) beside it, so both fit under the plot
    columns = max(1, min(num_classes, (size - 90) // 36))
    classes = alt.Scale(domain=list(range(num_classes)), range=palette.class_colours(num_classes))
    chart = alt.Chart(alt.NamedData("points")).mark_point(filled=True, size=40, clip=True).encode(
        x=alt.X("x1:Q", scale=scale, axis=alt.Axis(title=None, grid=False)),
        y=alt.Y("x2:Q", scale=scale, axis=alt.Axis(title=None, grid=False)),
        color=alt.Color("label:N", title="class", scale=classes,
                        legend=alt.Legend(orient="bottom", direction="horizontal", columns=columns)),
        shape=alt.Shape("split:N", title=None, legend=alt.Legend(orient="bottom", direction="vertical"),
                        scale=alt.Scale(domain=["train", "test"], range=["circle", "square"])),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.35)),
        tooltip=[alt.Tooltip("index:Q"), alt.Tooltip("label:N", title="class"), alt.Tooltip("split:N"),
                 alt.Tooltip("label noise:N", title="label flipped")],
    ).add_params(pick).properties(
        description="Scatter plot of every point, x1 across and x2 up, in its class colour (squares: test "
                    "points); click a point to inspect it",
        # "fit-x": width is the outer width, axis and padding included (about 40 px), and height the
        # plot's own, so the plot stays square and the legends add below it
        width=size, height=size - 40, autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
    return to_spec(chart)


@lru_cache(maxsize=16)
def history_spec(names: tuple[str, ...], panel_width: int = 150) -> dict:
    """Dataset "history" (step, model, metric, split, value): one panel per metric, solid lines
    for train, dashed for test; dataset "changes" (step, change): a dashed rule in every panel
    where a setting changed mid-run. Panels are layers, not facets, so each can hold both."""
    changes = alt.Chart(alt.NamedData("changes")).mark_rule(color=palette.NEUTRAL, strokeDash=[4, 3],
                                                            aria=False).encode(
        x="step:Q", tooltip=[alt.Tooltip("change:N"), alt.Tooltip("step:Q", format=",d")])
    split = alt.Scale(domain=["train", "test"], range=[[1, 0], [5, 3]])
    panels = []
    for metric in HISTORY_PANELS:
        rows = alt.Chart(alt.NamedData("history")).transform_filter(alt.datum.metric == metric)
        # the loss on a log scale, said on its axis: a model whose loss runs away (negative
        # smoothing's test NLL reaches tens) would otherwise flatten the other line on the floor
        log = metric == HISTORY_PANELS[0]
        line = rows.mark_line().encode(
            # integer steps; a run at step 0 alone would otherwise get ticks like "0.000000"
            x=alt.X("step:Q", axis=alt.Axis(format=",d", tickMinStep=1, tickCount=4)),
            y=alt.Y("value:Q", title="log scale" if log else None,
                    scale=alt.Scale(type="log" if log else "linear"),
                    axis=alt.Axis(format=VALUE_FORMAT, tickCount=4)),
            color=_model_colour(names, alt.Legend(orient="top", title=None)),
            strokeDash=alt.StrokeDash("split:N", scale=split, legend=alt.Legend(orient="top", title=None)),
            tooltip=[alt.Tooltip("step:Q", format=",d"), "model:N", "split:N",
                     alt.Tooltip("value:Q", format=".4f")])
        panels.append(alt.layer(line, changes).properties(width=panel_width, height=140, title=metric))
    # "pad": the natural size; Streamlit would ask for "fit", which concatenated views cannot do
    chart = alt.hconcat(*panels, spacing=24, autosize=alt.AutoSizeParams(type="pad"),
                        description=f"Training history of {_names(names)}: {_names(HISTORY_PANELS)} "
                                    "against the step, solid lines for the training points, dashed for the "
                                    "test points; dashed rules mark settings changed mid-run")
    return to_spec(chart.resolve_scale(y="independent"))


@lru_cache(maxsize=16)
def inspector_spec(names: tuple[str, ...], width: int = 520) -> dict:
    """Dataset "inspect" (model, kind, class, probability): target against prediction per class,
    one panel per model in its model colour (target faint, prediction solid). The whole chart,
    axis and legend included, fits in `width` pixels."""
    spacing, axis = 12, 56  # between panels; the y axis with its title (measured 51 px in Chromium)
    panel = max(60, (width - axis - spacing * (len(names) - 1) - 10) // len(names))  # 10: padding
    kinds = ["target", "prediction"]
    chart = alt.Chart(alt.NamedData("inspect")).mark_bar().encode(
        x=alt.X("class:O", axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("kind:N", sort=kinds),
        y=alt.Y("probability:Q", scale=alt.Scale(domain=[0, 1]), axis=_prob_axis()),
        color=_model_colour(names),
        # opacity, not fillOpacity: Vega-Lite draws no legend for fillOpacity
        opacity=alt.Opacity("kind:N", sort=kinds, scale=alt.Scale(domain=kinds, range=[0.3, 1.0]),
                            legend=alt.Legend(orient="top", title=None, symbolType="square",
                                              symbolFillColor=palette.NEUTRAL, symbolStrokeWidth=0)),
        tooltip=["model:N", "class:O", "kind:N", alt.Tooltip("probability:Q", format=".4f")],
    ).properties(width=panel, height=150).facet(
        column=alt.Column("model:N", title=None, sort=list(names)), spacing=spacing).properties(
        description=f"Bar charts, one per model ({_names(names)}): the inspected point's target (faint) and "
                    "predicted probability (solid) for each class")
    return to_spec(chart)


@lru_cache(maxsize=16)
def live_reliability_spec(names: tuple[str, ...], num_classes: int, size: int = 150) -> dict:
    """Dataset "reliability" (model, lo, hi, count, accuracy, confidence; calibration.reliability_frame
    of each model, concatenated): one reliability diagram per model, in its model colour."""
    return to_spec(_reliability(alt.NamedData("reliability"), names, _model_colour(names), num_classes,
                                width=size, height=size).properties(
        description=f"Reliability diagrams of {_names(names)} on the test points: accuracy against "
                    "confidence in each bin, beside the diagonal of perfect calibration"))


# ---- mechanism charts ----------------------------------------------------------------------

def loss_curve_chart(curves: pd.DataFrame, minima: pd.DataFrame, y_max: float = 3.0) -> alt.LayerChart:
    """Loss against true-class probability; a dot marks each minimum (q_t, H(q))."""
    x = alt.X("p:Q", title="true-class probability p", scale=alt.Scale(domain=[0, 1]), axis=_prob_axis())
    lines = alt.Chart(curves).mark_line(clip=True).encode(
        x=x, y=alt.Y("loss:Q", title="loss", scale=alt.Scale(domain=[0, y_max])),
        color=_eps_label_colour(curves),
        tooltip=["eps:N", alt.Tooltip("p:Q", format=".3f"), alt.Tooltip("loss:Q", format=".4f")])
    dots = alt.Chart(minima).mark_point(filled=True, size=90, stroke="black").encode(
        x=alt.X("q_true:Q"), y=alt.Y("min_loss:Q"), color=_eps_label_colour(minima),
        tooltip=["eps:N", alt.Tooltip("q_true:Q", title="q_t", format=".4f"),
                 alt.Tooltip("min_loss:Q", title="H(q)", format=".5f")])
    mins = "; ".join(f"{r.eps} at p = {r.q_true:.4g}, loss {r.min_loss:.4g}" for r in minima.itertuples())
    return alt.layer(lines, dots).properties(height=320, description=(
        f"Loss against the true-class probability p for {_names(minima['eps'])}; each line's minimum: "
        f"{mins}"))


def gradient_chart(curves: pd.DataFrame, marks: pd.DataFrame, x: str = "p", signed: bool = False
                   ) -> alt.LayerChart:
    """||dL/dz|| (or the signed true-logit gradient) against p or the logit gap. Dots mark where
    the gradient vanishes; dashed rules the limit as p -> 1."""
    x_enc = (alt.X("p:Q", title="true-class probability p", scale=alt.Scale(domain=[0, 1]), axis=_prob_axis())
             if x == "p" else alt.X("gap:Q", title="logit gap (true − each other)"))
    y_field, y_title = ("true_grad", "∂L/∂z_true = p − q_t") if signed else ("grad_norm", "‖∂L/∂z‖")
    colour = _eps_label_colour(marks)
    lines = alt.Chart(curves).mark_line().encode(
        x=x_enc, y=alt.Y(f"{y_field}:Q", title=y_title), color=colour,
        tooltip=["eps:N", alt.Tooltip("p:Q", format=".4f"), alt.Tooltip("gap:Q", format=".3f"),
                 alt.Tooltip(f"{y_field}:Q", format=".4f")])
    zero_x = "q_true:Q" if x == "p" else "optimal_gap:Q"
    finite = marks[marks["optimal_gap"].abs() != float("inf")] if x != "p" else marks
    zeros = alt.Chart(finite.assign(zero=0.0)).mark_point(filled=True, size=80, stroke="black").encode(
        x=zero_x, y="zero:Q", color=colour,
        tooltip=["eps:N", alt.Tooltip("q_true:Q", title="q_t", format=".4f"),
                 alt.Tooltip("optimal_gap:Q", title="gap", format=".4f")])
    layers = [lines, zeros]
    if not signed:
        layers.append(alt.Chart(marks).mark_rule(strokeDash=[4, 3]).encode(
            y="limit:Q", color=colour,
            tooltip=["eps:N", alt.Tooltip("limit:Q", title="limit as p→1", format=".4f")]))
    zeros_text = "; ".join(f"{r.eps} at {'p' if x == 'p' else 'gap'} = "
                           f"{(r.q_true if x == 'p' else r.optimal_gap):.4g}" for r in finite.itertuples())
    x_name = "the true-class probability p" if x == "p" else "the logit gap"
    return alt.layer(*layers).properties(height=300, description=(
        f"{y_title} against {x_name} for {_names(marks['eps'])}; zero (dots) {zeros_text or 'nowhere'}"))


def measured_gradient_chart(samples: pd.DataFrame, curves: pd.DataFrame, names: list[str],
                            width: int = 220) -> alt.FacetChart:
    """Per-sample ||dL/dz|| against true-class probability over the analytic curves, one panel per
    snapshot step. One chart for every step: each chart on a page costs the browser a view."""
    steps = sorted(samples["step"].unique())
    lines_at_steps = pd.concat([curves.assign(step=s) for s in steps], ignore_index=True)
    dots_frame = samples.assign(kind="sample", p=samples["p_true"])
    frame = pd.concat([dots_frame, lines_at_steps.assign(kind="curve")],
                      ignore_index=True)[["step", "kind", "model", "p", "grad_norm", "index"]]
    x = alt.X("p:Q", title="true-class probability p", scale=alt.Scale(domain=[0, 1]), axis=_prob_axis())
    y = alt.Y("grad_norm:Q", title="‖∂L/∂z‖")
    dots = alt.Chart().transform_filter(alt.datum.kind == "sample").mark_circle(size=18, opacity=0.55).encode(
        x=x, y=y, color=_model_colour(names, alt.Legend(orient="top")),
        tooltip=["model:N", "index:Q", alt.Tooltip("p:Q", title="p", format=".4f"),
                 alt.Tooltip("grad_norm:Q", format=".5f")])
    lines = alt.Chart().transform_filter(alt.datum.kind == "curve").mark_line(
        strokeDash=[5, 3], color=palette.NEUTRAL).encode(x=x, y=y, detail="model:N")
    return alt.layer(lines, dots, data=frame).properties(width=width, height=220).facet(
        column=alt.Column("step:O", title="step", sort=steps)).properties(description=(
            f"Each point's ‖∂L/∂z‖ against its true-class probability p for {_names(names)}, one panel per "
            f"step ({_names(steps)}), over the analytic curves (dashed)"))


def logit_gap_chart(gaps: pd.DataFrame, names: list[str]) -> alt.LayerChart:
    """Median logit gap over training with a 10–90% band, per model, and the finite optimum."""
    colour = _model_colour(names, alt.Legend(orient="top"))
    band = alt.Chart(gaps).mark_area(opacity=0.25).encode(
        x=alt.X("step:Q"), y=alt.Y("q10:Q", title="logit gap (true − largest other)"), y2="q90:Q",
        color=colour)
    line = alt.Chart(gaps).mark_line().encode(
        x="step:Q", y="q50:Q", color=colour,
        tooltip=["model:N", "step:Q", alt.Tooltip("q50:Q", title="median", format=".3f")])
    finite = gaps[gaps["optimal"] != float("inf")].drop_duplicates("model")
    rule = alt.Chart(finite).mark_rule(strokeDash=[6, 3], color=palette.NEUTRAL).encode(
        y="optimal:Q", tooltip=[alt.Tooltip("optimal:Q", title="log(q_t/q_o)", format=".4f")])
    last = gaps[gaps["step"] == gaps["step"].max()]
    ends = "; ".join(f"{r.model} {r.q50:.3g}" for r in last.itertuples())
    return alt.layer(band, line, rule).properties(height=300, description=(
        f"Median logit gap over training with a 10–90% band for {_names(names)}; at step "
        f"{gaps['step'].max():,} the median is {ends}; dashed: the finite optimum"))


# ---- sweep and calibration charts -----------------------------------------------------------
# Against ε, the line and band are NEUTRAL and the points carry ε's colour: x already says which
# ε, so no legend is needed, and the colours tie each point to the same ε on other pages.

def _sweep_layers(summary: pd.DataFrame, y_title: str | None) -> list[alt.Chart]:
    base = alt.Chart().encode(x=alt.X("eps:Q", title="ε"))
    band = base.mark_area(opacity=0.2, color=palette.NEUTRAL).encode(
        y=alt.Y("min:Q", title=y_title, axis=alt.Axis(format=VALUE_FORMAT, tickCount=5)), y2="max:Q")
    line = base.mark_line(color=palette.NEUTRAL).encode(y="mean:Q")
    points = base.mark_circle(size=50, opacity=1).encode(
        y="mean:Q", color=alt.Color("eps:N", scale=_eps_scale(summary["eps"]), legend=None),
        tooltip=["eps:Q", alt.Tooltip("mean:Q", format=".4f"), alt.Tooltip("min:Q", format=".4f"),
                 alt.Tooltip("max:Q", format=".4f")])
    return [band, line, points]


def sweep_metrics_chart(summary: pd.DataFrame, columns: int = 4) -> alt.FacetChart:
    """One panel per metric against eps: the mean over seeds with a min–max band."""
    # four narrow panels a row: the grid fits a projector's 1024 px with the sidebar open
    return alt.layer(*_sweep_layers(summary, None), data=summary).properties(width=105, height=110).facet(
        facet=alt.Facet("label:N", title=None), columns=columns).resolve_scale(y="independent").properties(
        description="Metrics against ε, mean over seeds with the range: " + _panel_trends(summary, "label"))


def gap_vs_eps_chart(summary: pd.DataFrame, reference: pd.DataFrame) -> alt.LayerChart:
    """Mean training logit gap against eps (band over seeds) and the optimum log(q_t/q_o)."""
    gap = summary[summary["metric"] == "mean_logit_gap"]
    ref = alt.Chart(reference).mark_line(strokeDash=[6, 3], color=palette.NEUTRAL).encode(
        x="eps:Q", y="optimal_gap:Q",
        tooltip=["eps:Q", alt.Tooltip("optimal_gap:Q", title="log(q_t/q_o)", format=".3f")])
    measured = alt.layer(*_sweep_layers(gap, "logit gap"), data=gap)
    return alt.layer(measured, ref).properties(height=240, description=(
        f"Mean training logit gap against ε, {_trend(gap)}, beside the optimum log(q_t/q_o) (dashed)"))


def noise_comparison_chart(frame: pd.DataFrame) -> alt.FacetChart:
    """Test accuracy and ECE against eps, one line per label-noise level (told apart by dash)."""
    levels = sorted(set(frame["label noise"]), reverse=True)
    dashes = [[1, 0], [5, 3], [1, 3]][:len(levels)]
    line = alt.Chart().mark_line(color=palette.NEUTRAL).encode(
        x=alt.X("eps:Q", title="ε"), y=alt.Y("mean:Q", title=None, axis=alt.Axis(format=VALUE_FORMAT)),
        strokeDash=alt.StrokeDash("label noise:N", sort=levels, legend=alt.Legend(orient="top"),
                                  scale=alt.Scale(domain=levels, range=dashes)))
    points = alt.Chart().mark_circle(size=50, opacity=1).encode(
        x="eps:Q", y="mean:Q", color=alt.Color("eps:N", scale=_eps_scale(frame["eps"]), legend=None),
        tooltip=["label noise:N", "eps:Q", alt.Tooltip("mean:Q", format=".4f")])
    trends = "; ".join(f"{label}, label noise {level}: {_trend(rows)}"
                       for (label, level), rows in frame.groupby(["label", "label noise"], sort=False))
    return alt.layer(line, points, data=frame).properties(width=250, height=180).facet(
        column=alt.Column("label:N", title=None)).resolve_scale(y="independent").properties(
        description=f"Against ε, one line per label-noise level: {trends}")


def _reliability(data, names: Sequence[str], colour: alt.Color, num_classes: int, width: int, height: int
                 ) -> alt.FacetChart:
    """Reliability diagrams, one panel per model: accuracy per confidence bin (bar opacity: how
    many points fell in it) with the mean confidence as a tick, against the diagonal."""
    lo = chance(num_classes)
    shown = alt.datum["count"] > 0

    # every layer repeats the axes: a layer without them makes Vega-Lite drop the explicit ticks
    def y(*args, **kwargs):
        return alt.Y(*args, title="accuracy", scale=alt.Scale(domain=[0, 1]), axis=_prob_axis(), **kwargs)

    bars = alt.Chart().transform_filter(shown).mark_bar(clip=True).encode(
        x=_confidence_x(num_classes, "lo:Q"), x2="hi:Q", y=y("accuracy:Q"), y2=alt.datum(0), color=colour,
        # log count: a bin of 1 point looks faint, one of 100 solid
        opacity=alt.Opacity("count:Q", scale=alt.Scale(type="log", range=[0.15, 1.0]),
                            legend=alt.Legend(title="points in bin", orient="top", symbolType="square",
                                              symbolFillColor=palette.NEUTRAL, symbolStrokeWidth=0,
                                              tickCount=3)),
        tooltip=[alt.Tooltip("lo:Q", format=".3f"), alt.Tooltip("hi:Q", format=".3f"), "count:Q",
                 alt.Tooltip("accuracy:Q", format=".3f"), alt.Tooltip("confidence:Q", format=".3f")])
    means = alt.Chart().transform_filter(shown).mark_tick(color="black", thickness=2, clip=True).encode(
        x=_confidence_x(num_classes, "confidence:Q"), y=y("accuracy:Q"))
    # one row per model, so each panel draws its diagonal once, not once per bin
    diagonal = alt.Chart().transform_aggregate(n="count()", groupby=["model"]).mark_rule(
        strokeDash=[4, 3], color=palette.NEUTRAL, aria=False).encode(
        x=_confidence_x(num_classes, datum=lo), y=y(datum=lo), x2=alt.datum(1.0), y2=alt.datum(1.0))
    return alt.layer(bars, means, diagonal, data=data).properties(width=width, height=height).facet(
        # a long name is cut rather than widening its column past the page
        facet=alt.Facet("model:N", title=None, sort=list(names), header=alt.Header(labelLimit=width + 20)),
        columns=WRAP)


def reliability_chart(frame: pd.DataFrame, names: list[str], num_classes: int,
                      eps: Sequence[float | None]) -> alt.FacetChart:
    """Reliability diagrams of calibration.diagram_frames' bins, one panel per model. eps: each
    name's ε (its panel's colour), None for an entry that is no ε model (temperature-scaled)."""
    chart = _reliability(frame, names, _panel_colours(names, eps), num_classes, width=170, height=170)
    return chart.properties(description=_reliability_text(frame, names))


def _reliability_text(frame: pd.DataFrame, names: Sequence[str]) -> str:
    """Per model, the mean gap between accuracy and confidence over its points: which way it leans."""
    parts = []
    for name in names:
        rows = frame[(frame["model"] == name) & (frame["count"] > 0)]
        if rows.empty:
            continue
        gap = float(((rows["accuracy"] - rows["confidence"]) * rows["count"]).sum() / rows["count"].sum())
        lean = "under-confident" if gap > 0 else "over-confident"
        parts.append(f"{name} accuracy {abs(gap):.3f} {'above' if gap > 0 else 'below'} confidence on "
                     f"average ({lean})")
    return "Reliability diagrams, accuracy against confidence per bin: " + "; ".join(parts)


def confidence_histogram(frame: pd.DataFrame, names: list[str], num_classes: int,
                         eps: Sequence[float | None]) -> alt.FacetChart:
    """Histogram of test confidences (top probability) in the reliability diagram's bins, one
    panel per model, from 1/K to 1. eps as for reliability_chart."""
    return alt.Chart(frame).mark_bar(clip=True).encode(
        x=_confidence_x(num_classes, "confidence:Q", bin=alt.Bin(extent=[0, 1], step=1 / N_BINS)),
        y=alt.Y("count():Q", title="points", axis=alt.Axis(format="~d", tickMinStep=1)),
        color=_panel_colours(names, eps),
    ).properties(width=170, height=130).facet(facet=alt.Facet("model:N", title=None, sort=names),
                                              columns=WRAP).properties(description=(
        "Histograms of the test points' confidence, one per model: median "
        + "; ".join(f"{name} {frame.loc[frame['model'] == name, 'confidence'].median():.3g}"
                    for name in names)))


def _recipe_colour(recipes: Sequence[str], colours: Sequence[str], field: str = "recipe",
                   legend: alt.Legend | None = None) -> alt.Color:
    return alt.Color(f"{field}:N", sort=list(recipes), title=None, legend=legend,
                     scale=alt.Scale(domain=list(recipes), range=list(colours)))


def axis_cuts(summary: pd.DataFrame, panel: str = "label", series: str = "recipe") -> dict[str, float]:
    """Panels (by `panel`) where one series' largest value is over CLIP_FACTOR times every other
    series': their axis ends at 1.5 times the next largest, so the other lines are not flattened
    against the floor. Only for panels of positive values. Returns panel -> where the axis ends."""
    cuts = {}
    for name, rows in summary.groupby(panel, sort=False):
        tops = rows.groupby(series)["max"].max().sort_values(ascending=False)
        if len(tops) >= 2 and rows["min"].min() >= 0 and tops.iloc[1] > 0 \
                and tops.iloc[0] > CLIP_FACTOR * tops.iloc[1]:
            cuts[name] = float(1.5 * tops.iloc[1])
    return cuts


def cut_axes(summary: pd.DataFrame, cuts: dict[str, float], panel: str = "label") -> pd.DataFrame:
    """`summary` with min, mean and max held at each cut panel's axis end (true values kept in
    true_min, true_mean, true_max; `off` says which lie past it) and the panel's name saying where
    its axis is cut."""
    out = summary.assign(true_min=summary["min"], true_mean=summary["mean"], true_max=summary["max"],
                         off=False)
    for name, cut in cuts.items():
        rows = out[panel] == name
        out.loc[rows, "off"] = out.loc[rows, "mean"] > cut
        for column in ("min", "mean", "max"):
            out.loc[rows, column] = out.loc[rows, column].clip(upper=cut)
        out.loc[rows, panel] = f"{name} (axis cut at {cut:.3g})"
    return out


def recipe_metrics_chart(summary: pd.DataFrame, recipes: Sequence[str], colours: Sequence[str],
                         columns: int = 3) -> alt.FacetChart:
    """One panel per metric: each recipe's mean over seeds (dot) and min–max (line). A panel where
    one recipe dwarfs the rest is cut (axis_cuts): the panel's title says where, and a dot past
    the cut sits at the end as a triangle labelled with its true value."""
    cuts = axis_cuts(summary)
    frame = cut_axes(summary, cuts)
    # every label shown: Vega drops labels it thinks overlap, which hides recipes at this row height
    y = alt.Y("recipe:N", sort=list(recipes), title=None, axis=alt.Axis(labelLimit=170, labelOverlap=False))
    x = alt.X("min:Q", title=None, scale=alt.Scale(zero=False),
              axis=alt.Axis(format=VALUE_FORMAT, tickCount=4))
    spread = alt.Chart().mark_rule(strokeWidth=2).encode(x=x, x2="max:Q", y=y,
                                                         color=_recipe_colour(recipes, colours))
    tooltip = ["recipe:N", "label:N", alt.Tooltip("true_mean:Q", title="mean", format=".4f"),
               alt.Tooltip("true_min:Q", title="min", format=".4f"),
               alt.Tooltip("true_max:Q", title="max", format=".4f")]
    mean = alt.Chart().mark_point(size=70, opacity=1, filled=True).encode(
        x="mean:Q", y=y, color=_recipe_colour(recipes, colours), tooltip=tooltip,
        shape=alt.Shape("off:N", scale=alt.Scale(domain=[False, True], range=["circle", "triangle-right"]),
                        legend=None))
    beyond = alt.Chart().transform_filter(alt.datum.off).mark_text(
        align="right", dx=-9, fontSize=11, color="#262626").encode(
        x="mean:Q", y=y, text=alt.Text("true_mean:Q", format=".3g"), tooltip=tooltip)
    order = list(dict.fromkeys(frame["label"]))
    text = "; ".join(f"{label}: " + ", ".join(f"{r.recipe} {r.true_mean:.3g}" for r in rows.itertuples())
                     for label, rows in frame.groupby("label", sort=False))
    return alt.layer(spread, mean, beyond, data=frame).properties(
        width=115, height=22 * len(recipes)).facet(
        facet=alt.Facet("label:N", title=None, sort=order), columns=columns).resolve_scale(
        x="independent").properties(description=f"Metrics per recipe, mean over seeds with the range: {text}")


def risk_coverage_chart(curves: pd.DataFrame, recipes: Sequence[str], colours: Sequence[str]
                        ) -> alt.FacetChart:
    """Risk (error rate among the accepted) against coverage, one panel per confidence score,
    one line per recipe (mean over seeds). Lower is better; the area under a line is its AURC."""
    scores = list(dict.fromkeys(curves["score"]))
    # short axis titles: panels sit side by side, and a title longer than its panel ran into the
    # next panel's (the caption says what risk and coverage are)
    return alt.Chart(curves).mark_line(strokeWidth=2).encode(
        x=alt.X("coverage:Q", title="coverage", scale=alt.Scale(domain=[0, 1]), axis=_prob_axis()),
        y=alt.Y("risk:Q", title="risk (error rate)", axis=alt.Axis(format=VALUE_FORMAT)),
        color=_recipe_colour(recipes, colours, legend=alt.Legend(orient="top", columns=2, labelLimit=260)),
        tooltip=["recipe:N", alt.Tooltip("coverage:Q", format=".2f"), alt.Tooltip("risk:Q", format=".3f")],
    ).properties(width=165, height=165).facet(facet=alt.Facet("score:N", title=None, sort=scores),
                                              columns=WRAP).properties(usermeta=SVG, description=(
        f"Risk, the error rate among the points kept, against coverage, one panel per confidence score "
        f"({_names(scores)}), one line per recipe ({_names(recipes)})"))


def recipe_reliability_chart(frame: pd.DataFrame, names: Sequence[str], colours: Sequence[str],
                             num_classes: int) -> alt.FacetChart:
    """Reliability diagrams, one panel per entry of `names` (column model), coloured by entry."""
    colour = alt.Color("model:N", scale=alt.Scale(domain=list(names), range=list(colours)), legend=None)
    return _reliability(frame, names, colour, num_classes, width=150, height=150).properties(
        description=_reliability_text(frame, names))


def objective_gradient_chart(curves: pd.DataFrame, recipes: Sequence[str], colours: Sequence[str]
                             ) -> alt.Chart:
    """||dL/dz|| against p, one line per objective, in the recipes' colours."""
    return alt.Chart(curves).mark_line(strokeWidth=2).encode(
        x=alt.X("p:Q", title="true-class probability p", scale=alt.Scale(domain=[0, 1]), axis=_prob_axis()),
        y=alt.Y("grad_norm:Q", title="‖∂L/∂z‖"),
        color=_recipe_colour(recipes, colours, legend=alt.Legend(orient="top", columns=2, labelLimit=260)),
        tooltip=["recipe:N", alt.Tooltip("p:Q", format=".3f"), alt.Tooltip("grad_norm:Q", format=".4f")],
    ).properties(height=320, description=(
        f"‖∂L/∂z‖ against the true-class probability p, one line per objective ({_names(recipes)})"))


def distillation_chart(summary: pd.DataFrame, temperatures: Sequence[float]) -> alt.FacetChart:
    """Student test accuracy and NLL against the teacher's ε, one line per temperature (mean over
    seeds, min–max band), beside the teachers' own line (dashed) and the student alone (rule)."""
    names = ["teacher itself", *[f"student, T={t:g}" for t in temperatures], "student alone"]
    colours = [palette.SMOOTH_COLOUR, *palette.OTHER_RECIPE_COLOURS[:len(temperatures)],
               palette.ONE_HOT_COLOUR]
    frame = summary.assign(who=[
        "teacher itself" if r == "teacher" else "student alone" if r == "alone" else f"student, T={t:g}"
        for r, t in zip(summary["role"], summary["temperature"])])
    frame = frame[frame["metric"].isin(["test_acc", "test_nll"])]  # two panels fit a projector
    frame = frame.assign(label=frame["metric"].map({"test_acc": "test accuracy", "test_nll": "test NLL"}))
    colour = alt.Color("who:N", sort=names, title=None, scale=alt.Scale(domain=names, range=colours),
                       legend=alt.Legend(orient="top", columns=3, symbolOpacity=1))
    curves = alt.Chart().transform_filter(alt.datum.role != "alone")
    x = alt.X("eps:Q", title="teacher's ε")
    y = alt.Y("min:Q", title=None, scale=alt.Scale(zero=False), axis=alt.Axis(format=VALUE_FORMAT))
    band = curves.mark_area(opacity=0.15).encode(x=x, y=y, y2="max:Q", color=colour)
    line = curves.mark_line(point=True).encode(
        x=x, y="mean:Q", color=colour,
        strokeDash=alt.condition(alt.datum.role == "teacher", alt.value([5, 3]), alt.value([1, 0])),
        tooltip=["who:N", "eps:Q", alt.Tooltip("mean:Q", format=".4f"), alt.Tooltip("min:Q", format=".4f"),
                 alt.Tooltip("max:Q", format=".4f")])
    alone = alt.Chart().transform_filter(alt.datum.role == "alone").mark_rule(strokeWidth=2).encode(
        y="mean:Q", color=colour, tooltip=["who:N", alt.Tooltip("mean:Q", format=".4f")])
    trends = "; ".join(f"{label}, {who}: {_trend(rows)}" for (label, who), rows in
                       frame[frame["role"] != "alone"].groupby(["label", "who"], sort=False))
    alone_text = "; ".join(f"{r.label} of the student alone {r.mean:.3g}"
                           for r in frame[frame["role"] == "alone"].drop_duplicates("label").itertuples())
    return alt.layer(band, line, alone, data=frame).properties(width=260, height=200).facet(
        column=alt.Column("label:N", title=None, sort=["test accuracy", "test NLL"])
    ).resolve_scale(y="independent").properties(description=(
        f"Against the teacher's ε: {trends}; {alone_text}"))


def representation_chart(points: pd.DataFrame, num_classes: int, models: Sequence[str]) -> alt.FacetChart:
    """Penultimate activations projected onto the plane of three templates, one panel per model,
    points in their class colour (squares: test points). The templates themselves lie far out at
    another scale, so they set the plane and are not drawn (as in MKH's figures)."""
    classes = alt.Scale(domain=list(range(num_classes)), range=palette.class_colours(num_classes))
    colour = alt.Color("class:N", scale=classes, legend=alt.Legend(orient="top", title="class"))
    dots = alt.Chart().mark_point(filled=True, size=22, opacity=0.75).encode(
        x=alt.X("x:Q", title=None, axis=alt.Axis(labels=False, ticks=False)),
        y=alt.Y("y:Q", title=None, axis=alt.Axis(labels=False, ticks=False)),
        color=colour, shape=alt.Shape("split:N", scale=alt.Scale(domain=["train", "test"],
                                                                range=["circle", "square"]),
                                      legend=alt.Legend(orient="top", title=None)))
    return alt.layer(dots, data=points).properties(width=300, height=300).facet(
        column=alt.Column("model:N", title=None, sort=list(models))).resolve_scale(
        x="independent", y="independent").properties(description=(
            f"Penultimate activations projected onto the plane of three class templates, one panel per model "
            f"({_names(models)}), each point in its class colour"))


def image_examples_chart(pixels: pd.DataFrame, predictions: pd.DataFrame, titles: Sequence[str],
                         models: Sequence[str], side: int = 8) -> alt.VConcatChart:
    """One row per test image: the image in grey (dark is ink) beside each model's predicted
    probability of every class, side by side; the true class's bars are outlined."""
    rows = []
    for i, title in enumerate(titles):
        image = alt.Chart(pixels[pixels["image"] == i]).mark_rect().encode(
            x=alt.X("col:O", axis=None), y=alt.Y("row:O", axis=None),
            color=alt.Color("value:Q", scale=alt.Scale(scheme="greys", domain=[0, 16]), legend=None),
        ).properties(width=10 * side, height=10 * side)
        outlined = alt.datum["class"] == alt.datum["label"]
        bars = alt.Chart(predictions[predictions["image"] == i]).mark_bar().encode(
            x=alt.X("class:O", title=None, axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("model:N", sort=list(models)),
            y=alt.Y("probability:Q", title=None, scale=alt.Scale(domain=[0, 1]), axis=_prob_axis()),
            color=_model_colour(models, alt.Legend(orient="top", direction="vertical") if i == 0 else None),
            stroke=alt.condition(outlined, alt.value(palette.NEUTRAL), alt.value(None)),
            strokeWidth=alt.condition(outlined, alt.value(1.5), alt.value(0)),
        ).properties(width=200, height=10 * side)
        rows.append(alt.hconcat(image, bars, spacing=8).resolve_scale(color="independent").properties(
            title=alt.TitleParams(title.split(": ", 1), anchor="start", fontSize=12, fontWeight="normal",
                                  offset=4)))
    # the pixels' grey ramp and the models' colours are separate scales
    return alt.vconcat(*rows, spacing=32).resolve_scale(color="independent").properties(description=(
        f"{len(titles)} test images, each beside the predicted probability of every class under "
        f"{_names(models)}; the true class is outlined. " + " ".join(titles)))


def tightness_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """Tightness against ε: mean over seeds with a min–max band."""
    summary = frame.groupby("eps")["tightness"].agg(["mean", "min", "max"]).reset_index()
    return alt.layer(*_sweep_layers(summary, "tightness"), data=summary).properties(
        width=320, height=200, description=f"Tightness against ε, mean over seeds: {_trend(summary)}")


def information_chart(models: pd.DataFrame, whose: str = "The teachers'") -> alt.LayerChart:
    """MKH's mutual-information estimate against ε: mean over seeds, min–max band."""
    summary = models.groupby("eps")["information"].agg(["mean", "min", "max"]).reset_index()
    return alt.layer(*_sweep_layers(summary, "information (nats)"), data=summary).properties(
        width=320, height=200, description=f"{whose} information (nats) against ε, mean over seeds: "
                                           f"{_trend(summary)}")


def pair_confusion_chart(pairs: pd.DataFrame, columns: int = 4) -> alt.FacetChart:
    """One panel per class pair: the share of its test points taken for each other against ε, mean
    over seeds with a min–max band."""
    summary = pairs.groupby(["pair", "eps"])["rate"].agg(["mean", "min", "max"]).reset_index()
    order = list(summary.groupby("pair")["mean"].max().sort_values(ascending=False).index)
    return alt.layer(*_sweep_layers(summary, None), data=summary).properties(width=105, height=100).facet(
        facet=alt.Facet("pair:N", title=None, sort=order), columns=columns).properties(description=(
            "Share of each class pair's test points taken for the other, against ε: "
            + _panel_trends(summary, "pair")))


# light then dark: the first vote, then the revote beside it
ROUND_COLOURS = {"first vote": "#5b8ac4", "revote": "#1f3f73"}


def votes_chart(frame: pd.DataFrame, reveal: bool) -> alt.Chart:
    """A station's votes: per choice, a bar for the first vote and one for the revote beside it
    (frame: choice, round, votes, right). With `reveal`, the right choice is marked with a tick at
    the start of its label, where a narrow screen still shows it. It fits its container's width."""
    frame = frame.assign(shown=[f"✓ {c}" if reveal and right else c
                                for c, right in zip(frame.choice, frame.right)])
    rounds = [r for r in ROUND_COLOURS if r in set(frame["round"])]
    right = frame[frame.right].choice
    marked = f" The right answer: {right.iloc[0]}." if reveal and len(right) else ""
    return alt.Chart(frame).mark_bar().encode(
        y=alt.Y("shown:N", title=None, sort=None, axis=alt.Axis(labelLimit=170)),
        yOffset=alt.YOffset("round:N", sort=rounds),
        x=alt.X("votes:Q", title="votes", axis=alt.Axis(tickMinStep=1, format="d")),
        color=alt.Color("round:N", title=None, sort=rounds,
                        scale=alt.Scale(domain=rounds, range=[ROUND_COLOURS[r] for r in rounds]),
                        legend=alt.Legend(orient="top")),
        tooltip=["choice:N", "round:N", "votes:Q"]).properties(
        width="container", autosize=alt.AutoSizeParams(type="fit-x", contains="padding"),
        height=alt.Step(24 if len(rounds) > 1 else 36),  # a fixed height collapses the bands
        description="Votes per choice: " + "; ".join(
            f"{r.choice}, {r.round}: {r.votes}" for r in frame.itertuples()) + "." + marked)
