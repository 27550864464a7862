import json
from dataclasses import replace

import numpy as np
import streamlit as st

from playground.experiments import sweep
from playground.ui.controls.common import in_view, say_view, script_download
from playground.ui.controls.preset_picker import preset_claim
from playground.ui.controls.sweep_controls import run_sweep, sweep_settings
from playground.ui.shell.glossary import glossary
from playground.ui.shell.url import control
from playground.views import charts, render
from playground.views.render import data_url

st.title("ε sweep")
glossary("ε", "q_t", "q_o", "logit gap", "NLL", "ECE", "uncertain area")
st.caption("Every (ε, seed) model trains together in one batched engine run. Settings are in the sidebar; "
           "results are cached, so coming back is instant.")
config, compare = sweep_settings()
result = run_sweep(config, runs=2 if compare else 1)  # the comparison's sweep counts too
models = result.models
st.caption(f"{len(models)} models ({len(config.eps)} ε × {config.seeds} seeds), {config.steps} steps, "
           f"{result.seconds:.2f} s to train and measure.")
if models["diverged"].any():
    bad = models[models["diverged"]]
    st.error(f"{len(bad)} models diverged and are left out of the metrics (ε: "
             f"{', '.join(f'{e:g}' for e in sorted(set(bad['eps'])))}). Lower the learning rate.")

preset_claim("sweep", result)

st.header("Boundaries")
eps_values = list(result.images)
for row in range(0, len(eps_values), 7):
    for col, eps in zip(st.columns(7), eps_values[row:row + 7]):
        col.image(data_url(result.images[eps]), caption=f"ε = {eps:g}", width="stretch",
                  alt=render.boundary_alt(f"Boundary at ε = {eps:g}{in_view(result.data)}",
                                          result.images[eps], result.data.num_classes))
st.image(render.colour_key_png(result.data.num_classes, 480),
         alt=render.colour_key_alt(result.data.num_classes))
st.caption("Each picture is the first seed's model for that ε, on one shared colour scale: hue is the "
           "predicted class, strength the confidence from 1/K (white) to 1.")
say_view(result.data)


animate = st.toggle("animate the scrubber", key="sw_animate")  # outside the fragment: it sets the timer


@st.fragment(run_every=0.6 if animate else None)
def scrubber():
    if animate:
        current = st.session_state.get("sw_scrub", eps_values[0])
        position = eps_values.index(current) if current in eps_values else -1
        st.session_state.sw_scrub = eps_values[(position + 1) % len(eps_values)]
    eps = control("sw_scrub", options=eps_values, format_func=lambda e: f"{e:g}")
    st.image(data_url(result.images[eps]),
             alt=render.boundary_alt(f"Boundary at ε = {eps:g}{in_view(result.data)}", result.images[eps],
                                     result.data.num_classes))


scrubber()

st.header("Metrics against ε")
summary = sweep.summary_by_eps(models)
st.altair_chart(charts.sweep_metrics_chart(summary[summary["metric"] != "mean_logit_gap"]), width="content")
reference = models.drop_duplicates("eps")[["eps", "optimal_gap"]]
reference = reference[np.isfinite(reference["optimal_gap"])]
st.altair_chart(charts.gap_vs_eps_chart(summary, reference), width="stretch")
st.caption("On the test points: mean confidence is the mean top probability; over-confidence is mean "
           "confidence − accuracy (above 0 over-confident, below 0 under-confident). Over the viewing box: "
           "uncertain area is the share where the top probability is below 0.75, entropy the mean predictive "
           "entropy ÷ log K. Lines: mean over seeds; bands: min to max. Dashed: the optimal logit gap "
           "log(q_t/q_o), infinite at ε = 0.")

st.header("Class pairs mistaken for each other")
shown = result.pair_confusion
if result.data.num_classes > 5:  # the six pairs most confused somewhere on the grid
    worst = shown.groupby("pair")["rate"].mean().nlargest(6).index
    shown = shown[shown["pair"].isin(worst)]
st.altair_chart(charts.pair_confusion_chart(shown), width="content")
st.caption(sweep.pair_sentence(result.pair_confusion) + " Smoothing asks every wrong class for the same "
           "probability, so it treats a similar class like any other; the similar-classes dataset (two "
           "centres a chosen gap apart) shows whether that costs accuracy between them.")

st.header("What happened")
st.markdown("\n".join(f"- {line}" for line in sweep.interpretation(models)))

if compare:
    st.header("With and without label noise")
    clean_config = sweep.SweepConfig(replace(config.dataset, label_noise=0.0), config.train, config.eps,
                                     config.seeds, config.steps)
    clean = run_sweep(clean_config)
    both = sweep.noise_comparison({config.dataset.label_noise: models, 0.0: clean.models})
    st.altair_chart(charts.noise_comparison_chart(both), width="content")
    st.caption(sweep.noise_sentence(both))

st.header("Export")
c1, c2, c3, c4 = st.columns(4)
c3.download_button("Points + each model's predictions (CSV)", result.predictions, "sweep_points.csv",
                   "text/csv", icon=":material/download:")
c1.download_button("Metrics (CSV)", models.to_csv(index=False), "sweep_metrics.csv", "text/csv",
                   icon=":material/download:")
c2.download_button("Configuration (JSON)", json.dumps(json.loads(config.key()), indent=2),
                   "sweep_config.json", "application/json", icon=":material/download:")
script_download(lambda: sweep.script(config), "sweep.py", "every ε and seed of this sweep, trained the same "
                "way, printing the metrics above", container=c4)
