import streamlit as st

from playground.experiments import distillation
from playground.ui.controls.common import in_view, say_view, script_download
from playground.ui.controls.distill_controls import distill_settings, run_distillation
from playground.ui.controls.preset_picker import preset_claim
from playground.ui.shell.glossary import glossary
from playground.ui.shell.url import control
from playground.views import charts, render
from playground.views.render import data_url

st.title("Distillation: does a smoothed teacher teach worse?")
glossary("ε", "T", "NLL")
preset_claim("distillation")
st.caption(
    "Teachers at several ε train together; for each temperature T a small student learns from each "
    "teacher's softened probabilities (α·T²·CE(softmax(z/T), q_T) + (1 − α)·CE(z, y), Hinton et al. 2015); "
    "a student trained on the labels alone is the baseline. Müller, Kornblith & Hinton (2019) found "
    "that smoothing erases what a student learns from: on MNIST, student error 0.74% from a one-hot "
    "teacher against 0.91% from a smoothed one. Settings in the sidebar."
)
config = distill_settings()
result = run_distillation(config)
models = result.models
st.caption(
    f"{len(models)} models ({len(config.eps)} teachers × {config.seeds} seeds, their students at "
    f"{len(config.temperatures)} temperatures, and the students alone), {config.steps:,} steps each, "
    f"{result.seconds:.1f} s."
)

st.header("What the numbers say")
for line in distillation.interpretation(models):
    st.markdown(f"- {line}")

st.header("Students against the teacher's ε")
st.altair_chart(charts.distillation_chart(distillation.summary(models), config.temperatures), width="content")
st.caption(
    "Lines: mean over seeds, bands: lowest to highest seed. Dashed: the teachers themselves; the "
    "horizontal rule: the student trained on the labels alone."
)

st.header("What the teachers' logits keep")
teachers = models[(models["role"] == "teacher") & ~models["diverged"]]
st.altair_chart(charts.information_chart(teachers), width="content")
by = teachers.groupby("eps")["information"].mean()
st.caption(result.information_note)
st.markdown(
    f"MKH's information estimate: {by.iloc[0]:.2f} nats at ε = {by.index[0]:g}, "
    f"{by.iloc[-1]:.2f} at ε = {by.index[-1]:g}. "
    + (
        "It falls with ε, as Müller, Kornblith & Hinton report: smoothing erases what tells examples apart."
        if by.iloc[-1] < by.iloc[0]
        else "It does not fall with ε here, unlike what Müller, Kornblith & Hinton report."
    )
)
st.header("Boundaries")
c1, c2 = st.columns(2)
eps = control("dst_pick_eps", c1, options=list(config.eps), format_func=lambda e: f"{e:g}")
t = control("dst_pick_t", c2, options=list(config.temperatures), format_func=lambda v: f"{v:g}")
for col, (caption, picture) in zip(
    st.columns(3),
    (
        (f"teacher, ε = {eps:g}", result.teacher_images[eps]),
        (f"its student, T = {t:g}", result.student_images[(eps, t)]),
        ("student alone", result.alone_image),
    ),
):
    col.image(data_url(picture), caption=caption, width="stretch",
              alt=render.boundary_alt(f"Boundary of the {caption}{in_view(result.data)}", picture,
                                      result.data.num_classes))
st.caption("First seed of each. Hue: the predicted class; strength: its probability from 1/K (white) to 1.")
say_view(result.data)
script_download(lambda: distillation.script(config), "distillation.py", "the teachers, their students and "
                "the students alone, trained the same way, printing their test numbers")
