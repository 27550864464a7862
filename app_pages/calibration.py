import streamlit as st

from playground.core import calibration
from playground.core.smoothing import eps_label
from playground.experiments import sweep
from playground.ui.controls.preset_picker import preset_claim
from playground.ui.controls.sweep_controls import run_sweep, sweep_settings
from playground.ui.shell.errors import stop_page
from playground.ui.shell.glossary import glossary
from playground.ui.shell.url import control
from playground.views import charts

st.title("Calibration")
glossary("ε", "q_t", "NLL", "ECE", "MCE")
preset_claim("calibration")
st.caption("Does the model's confidence match how often it is right? Same sweep as the ε sweep page "
           "(settings in the sidebar, results shared through the cache); metrics on the test half of the "
           "held-out points, temperatures fitted on the validation half.")
config, _ = sweep_settings()
result = run_sweep(config)
models = result.models[~result.models["diverged"]]  # diverged models are left out, as on the sweep page
if models.empty:
    st.error("Every model of this sweep diverged; lower the learning rate in the sidebar.")
    stop_page()
grid = sorted(set(models["eps"]))
default = sorted({grid[0], grid[len(grid) // 2], grid[-1]})
chosen = control("cal_eps", options=grid, default=default, format_func=lambda e: f"{e:g}")

kept = models["model"].tolist()
compared = calibration.compare_with_temperature(result.val_logits[kept], result.val_labels,
                                                result.test_logits[kept], result.test_labels,
                                                models["eps"].tolist(), models["seed"].tolist())
st.header("Temperature scaling against label smoothing")
st.markdown("\n".join(f"- {line}" for line in sweep.temperature_verdict(compared)))
table = compared["table"].drop(columns="eps")
st.dataframe(table.style.format({c: "{:.4f}" for c in table.columns if c != "method"}), hide_index=True)
st.caption("Means over seeds. For scale, Müller, Kornblith & Hinton (2019, Table 3) report ECE "
           "0.150 → 0.021 (temperature scaling) / 0.024 (label smoothing) on CIFAR-100 ResNet-56, and "
           "0.071 → 0.022 / 0.035 on ImageNet Inception-v4.")

if not chosen:
    st.info("Choose at least one ε to draw its reliability diagram.")
    stop_page()
first_seed = models.drop_duplicates("eps").set_index("eps")["model"]
entries = {eps_label(e): result.test_logits[first_seed[e]] for e in chosen}
if 0.0 in first_seed.index and compared["temperatures"]:
    t = compared["temperatures"][0]
    entries[f"ε=0, T={t:.2f}"] = result.test_logits[first_seed[0.0]] / t
bins, confidences = calibration.diagram_frames(entries, result.test_labels)
names = list(entries)
st.header("Reliability diagrams")
eps = [*chosen, None] if len(entries) > len(chosen) else list(chosen)  # None: the temperature-scaled entry
st.altair_chart(charts.reliability_chart(bins, names, result.data.num_classes, eps), width="content")
st.caption("15 equal bins (lo, hi]. Bars: accuracy in the bin; black ticks: mean confidence there; dashed: "
           "perfect calibration. Bars below the diagonal are over-confident, above it under-confident. "
           "First seed of each ε. The more points a bin holds, the more solid its bar.")
st.header("Confidence histograms")
st.altair_chart(charts.confidence_histogram(confidences, names, result.data.num_classes, eps),
                width="content")
st.caption("Smoothing pulls confidence towards q_t = 1 − ε + ε/K; on separable data the model ends up "
           "under-confident by about ε(K−1)/K.")
