"""The picture of a claim's evidence: each seed's paired difference as a dot, the 95% interval of
their mean as a bar, and zero as a rule. A DataFrame in, a chart out; no statistics here."""
from __future__ import annotations

import altair as alt
import pandas as pd

from playground.views import palette

INK = palette.SMOOTH_COLOUR
HEIGHT = 70


def evidence_frame(evidence) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per seed: seed, difference; one row: mean, low, high) from claims.Evidence or a
    claims.Comparison."""
    comparison = getattr(evidence, "comparison", evidence)
    mean, low, high = comparison.interval
    dots = pd.DataFrame({"seed": list(comparison.seeds), "difference": comparison.differences})
    return dots, pd.DataFrame({"mean": [mean], "low": [low], "high": [high]})


def evidence_chart(evidence, width: int = 320) -> alt.LayerChart:
    """Dots, interval and zero for one claim; the x title names which side minus which."""
    comparison = getattr(evidence, "comparison", evidence)
    dots, interval = evidence_frame(comparison)
    title = f"{comparison.metric}: {comparison.a_name} minus {comparison.b_name}"
    x = alt.X("difference:Q", title=title, axis=alt.Axis(format="~g", titleLimit=width))
    base = alt.Chart(dots).properties(width=width, height=HEIGHT)
    points = base.mark_circle(size=60, opacity=0.8, color=palette.NEUTRAL).encode(
        x=x, y=alt.Y("jitter:Q", axis=None, scale=alt.Scale(domain=[0, 1])),
        tooltip=["seed:Q", alt.Tooltip("difference:Q", format=".3g")])
    points = points.transform_calculate(jitter="0.45 + 0.5 * ((datum.seed * 37) % 11) / 11")
    finite = interval[interval["low"].abs() < float("inf")]
    bar = alt.Chart(finite).mark_rule(strokeWidth=3, color=INK).encode(
        x="low:Q", x2="high:Q", y=alt.value(HEIGHT - 12))
    centre = alt.Chart(interval).mark_tick(thickness=3, size=16, color=INK).encode(
        x="mean:Q", y=alt.value(HEIGHT - 12))
    zero = alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(strokeDash=[4, 3], color=INK).encode(
        x="zero:Q")
    return alt.layer(zero, points, bar, centre).properties(description=(
        f"Each seed's paired difference, {title}, as a dot ({len(dots)} seeds), their mean "
        f"{interval['mean'][0]:.3g} with its 95% interval {interval['low'][0]:.3g} to "
        f"{interval['high'][0]:.3g}, and a dashed line at 0"))
