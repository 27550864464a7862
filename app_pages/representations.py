import streamlit as st

from playground.core import information
from playground.experiments import tightening
from playground.ui.controls.common import script_download
from playground.ui.controls.preset_picker import preset_claim
from playground.ui.controls.representation_controls import representation_settings, run_tightening
from playground.ui.shell.glossary import glossary
from playground.ui.shell.url import control
from playground.views import charts

st.title("Representations: what smoothing does inside")
glossary("ε", "logit gap")
st.caption(
    "The penultimate layer's activations of three classes, projected onto the plane through those "
    "classes' templates (their rows of the last layer, bias included), as Müller, Kornblith & Hinton "
    "(2019) draw them. One-hot beside smoothed, same data and initial weights. Settings in the sidebar."
)
config = representation_settings()
result = run_tightening(config)
names = list(dict.fromkeys(result.points["model"]))
steps = sorted(set(result.points["step"]))

preset_claim("representations", result)

st.header("What the numbers say")
for line in tightening.interpretation(result.tightness, config.eps):
    st.markdown(f"- {line}")

st.header("The template plane")
animate = st.toggle("animate the training steps", key="rep_animate")


@st.fragment(run_every=0.8 if animate else None)
def plane():
    if animate:
        current = st.session_state.get("rep_step", steps[-1])
        st.session_state.rep_step = (
            steps[(steps.index(current) + 1) % len(steps)] if current in steps else steps[0]
        )
    step = control("rep_step", options=steps, default=steps[-1], format_func=lambda s: f"{s:,}")
    shown = result.points[result.points["step"] == step]
    st.altair_chart(charts.representation_chart(shown, result.data.num_classes, names), width="content")


plane()
st.caption(
    "Each panel in its own plane and scale. Smoothing asks every "
    "wrong class for the same small probability, which puts each class's points at the same distance "
    "from the other templates: tight clusters, evenly spaced."
)

st.header("Tightness against ε")
st.altair_chart(charts.tightness_chart(result.tightness[~result.tightness["diverged"]]), width="content")
st.caption(
    f"Training points of the three classes, {config.seeds} seeds (band: lowest to highest), "
    f"{config.steps:,} steps; {result.seconds:.1f} s to train and measure."
)
st.header("Information about the example")
st.altair_chart(charts.information_chart(result.tightness[~result.tightness["diverged"]], "The models'"),
                width="content")
a, b = config.classes[:2]
chosen = information.two_class_examples(result.data.x_train, result.data.y_train, (a, b))
st.caption(information.describe(len(chosen), (a, b)) + " Lower: the logits say less about which example "
           "it was, the similarities a student would learn from.")

if result.pixels is not None:
    st.header("Test images, one-hot beside smoothed")
    titles = tightening.image_titles(result.predictions, names)
    st.altair_chart(charts.image_examples_chart(result.pixels, result.predictions, titles, names),
                    width="content")
    st.caption("The first seed's one-hot and smoothed models on a few held-out images: the one-hot model's "
               "most confident mistakes first, then its first right answers. Over-confidence shows as a bar "
               "near 1 on the wrong class; smoothing caps how sure the model gets.")

script_download(lambda: tightening.script(config), "representations.py", "every ε and seed of this page, "
                "trained the same way, printing accuracy, NLL, ECE and the tightness")
