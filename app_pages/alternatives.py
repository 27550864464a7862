import streamlit as st

from playground.experiments import compare
from playground.ui.controls.common import in_view, say_view, script_download
from playground.ui.controls.compare_controls import compare_settings, run_comparison
from playground.ui.controls.preset_picker import preset_claim
from playground.ui.shell.errors import stop_page
from playground.ui.shell.glossary import glossary
from playground.views import charts, palette, render
from playground.views.render import data_url

st.title("Label smoothing and its alternatives")
glossary("ε", "NLL", "ECE", "AURC", "T")
st.caption("Compared to what? Each objective (or regulariser) trains on the same data from the same seeds, "
           "all models of one kind in one batched engine. Metrics on the test half of the held-out points; "
           "temperatures fitted on the validation half. Settings in the sidebar.")
config, view = compare_settings()
if view == "regularisers":
    st.markdown("**Does label smoothing replace weight decay or dropout?** None, each alone, and all three "
                "together, on the same data and seeds.")
result = run_comparison(config)
models = result.models
recipes = list(dict.fromkeys(models["recipe"]))
colours = palette.recipe_colours([(r.kind, r.value, bool(r.weight_decay or r.dropout))
                                  for r in config.recipes])
st.caption(f"{len(models)} models ({len(recipes)} × {config.seeds} seeds), {config.steps:,} steps, "
           f"{result.seconds:.1f} s to train and measure.")
if models["diverged"].all():
    st.error("Every model diverged: lower the learning rate in the sidebar.")
    stop_page()

preset_claim("alternatives", result)

st.header("What the numbers say")
for line in compare.interpretation(models, result.data.num_classes):
    st.markdown(f"- {line}")
if view == "regularisers" and (verdict := compare.regulariser_verdict(models)):
    st.markdown(f"**{verdict}**")
if any(r.kind == "smoothing" and r.value < 0 for r in config.recipes):
    st.caption("Negative smoothing's targets go above 1 and below 0, so its loss has no lower bound: it "
               "keeps pushing the wrong classes' probabilities to 0, and a test point it gets wrong costs an "
               "enormous NLL. A run whose loss runs away is stopped as diverged.")

st.header("Boundaries")
for row in range(0, len(recipes), 3):
    for col, recipe in zip(st.columns(3), recipes[row:row + 3]):
        col.image(data_url(result.images[recipe]), caption=recipe, width="stretch",
                  alt=render.boundary_alt(f"Boundary of {recipe}{in_view(result.data)}",
                                          result.images[recipe],
                                          result.data.num_classes))
st.caption("First seed of each. Hue: the predicted class; strength: its probability from 1/K (white) to 1.")
say_view(result.data)

st.header("Metrics")
summary = compare.summary(models)
st.altair_chart(charts.recipe_metrics_chart(summary, recipes, colours), width="content")
st.caption("Dot: mean over seeds; line: lowest to highest seed. NLL, ECE (15 bins) and AURC: lower is "
           "better; AUROC right/wrong: how well the confidence tells right from wrong predictions (0.5 is "
           "chance). 'after T': after temperature scaling. " + compare.pnorm_note())
table = summary.pivot(index="recipe", columns="label", values="mean").reindex(recipes)
st.dataframe(table.style.format("{:.3f}"), width="content")
st.dataframe(compare.tuned_p_table(models), width="content")
script_download(lambda: compare.script(config), "alternatives.py", "every objective and seed of this "
                "comparison, trained the same way, printing accuracy, NLL and ECE")

st.header("Calibration, as trained and after temperature scaling")
names = [compare.reliability_name(r, v) for v in ("as trained", compare.TEMPERATURE_SCALED) for r in recipes]
st.altair_chart(charts.recipe_reliability_chart(result.reliability, names, colours * 2,
                                                result.data.num_classes), width="content")
st.caption("Seeds pooled. Bars: accuracy in each confidence bin; ticks: the bin's mean confidence; dashed: "
           "perfect calibration. Bars below the diagonal are over-confident, above it under-confident.")

st.header("Selective classification")
st.altair_chart(charts.risk_coverage_chart(result.risk_coverage, recipes, colours), width="content")
st.caption("Reject the least confident points first: risk is the error rate among the points kept. A "
           "good confidence score keeps its line low; the area under it is the AURC. Xia et al. (ICLR 2025) "
           "report that label smoothing degrades this ranking and that scoring by the normalised logits "
           "recovers much of it; the sentences above say whether this run shows it.")
