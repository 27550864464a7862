import streamlit as st

from playground.core.datasets import DatasetSpec
from playground.core.smoothing import eps_label
from playground.engine.engine import TrainConfig
from playground.experiments import saturation
from playground.experiments.compare import objective_label
from playground.experiments.live import model_names
from playground.serving.limits import check_run
from playground.ui.controls.common import convention_radio, dataset_name, objective_menu
from playground.ui.controls.own_data import own_points
from playground.ui.controls.preset_picker import preset_claim
from playground.ui.server.runtime import limits
from playground.ui.shell.errors import or_stop, stop_page
from playground.ui.shell.glossary import glossary
from playground.ui.shell.progress import training_progress
from playground.ui.shell.url import control
from playground.views import charts, palette, tables

GRADIENT_VIEWS = {"p": "‖∂L/∂z‖ against p", "gap": "against the logit gap", "signed": "signed, true logit"}

st.title("Gradients near saturation")
glossary("ε", "q_t", "q_o", "logit gap", "‖∂L/∂z‖")
preset_claim("gradients")
st.caption("Why a one-hot model never stops pushing its logits apart, and why a smoothed one does.")

c1, c2, c3 = st.columns([1, 2, 2])
k = int(control("grad_k", c1))
eps_values = control("grad_eps", c2)
convention = convention_radio(c3, "grad_conv")

st.header("Analytic")
if not eps_values:
    st.info("Choose at least one ε to draw.")
else:
    curves, marks = tables.gradient_curves(k, eps_values, convention)
    view = control("grad_view", format_func=GRADIENT_VIEWS.get, required=True)
    st.altair_chart(charts.gradient_chart(curves, marks, x="gap" if view == "gap" else "p",
                                          signed=view == "signed"), width="stretch")
    st.caption("‖∂L/∂z‖ = |p − q_t|·√(K/(K−1)) with the other classes sharing 1 − p. With ε = 0 it "
               "shrinks only as p → 1, so training keeps pushing. With ε > 0 it is zero at p = q_t (dots), "
               "changes sign "
               "there (the signed tab), and tends to (1 − q_t)·√(K/(K−1)) as p → 1 (dashed; ε·√((K−1)/K) in "
               "the uniform convention): confidence past q_t is pulled back.")
    # a few rows: a static table, far lighter for the browser than the interactive grid
    st.table(marks.drop(columns="eps_value").rename(columns={
        "q_true": "q_t: gradient zero", "optimal_gap": "logit gap there", "limit": "‖g‖ as p → 1"}),
        hide_index=True)

st.header("Beside the alternatives")
chosen = objective_menu(st, "grad_objectives")
if not chosen:
    st.info("Choose at least one objective to draw.")
else:
    labels = [objective_label(kind, value) for kind, value in chosen]
    colours = palette.recipe_colours([(kind, value, False) for kind, value in chosen])
    st.altair_chart(charts.objective_gradient_chart(
        tables.objective_gradient_curves(k, chosen, labels, convention), labels, colours), width="stretch")
    st.markdown(saturation.near_saturation(chosen, labels, k, convention))
    st.caption("Cross-entropy's gradient fades only as p → 1. Smoothing's turns round at p = q_t and pulls "
               "back. The confidence penalty's turns round where its entropy bonus balances the fit. Focal "
               "loss fades faster than cross-entropy, by (1 − p)^γ, so a confident point stops pushing "
               "sooner, but it never pulls back. Negative smoothing never turns round: its target lies past "
               "p = 1.")

st.header("Measured")
c1, c2, c3, c4 = st.columns(4)
name = dataset_name(c1, "grad_ds")
eps = control("grad_model_eps", c2)
lr = control("grad_lr", c3)
snapshots = control("grad_steps", c4)


points = own_points("grad_upload")
spec = DatasetSpec(points=points) if points is not None else DatasetSpec(name=name, n=400, seed=0)
config = TrainConfig(hidden_layers=2, units=32, activation="tanh", lr=lr, convention=convention)


@st.cache_data(show_spinner=False, max_entries=32)
def measured(spec: DatasetSpec, config: TrainConfig, eps: float, snapshots: tuple[int, ...]) -> dict:
    with training_progress("a one-hot and a smoothed model") as on_progress:
        return saturation.record(spec.build(), config, eps, snapshots, on_progress=on_progress)


if not snapshots:
    st.info("Choose at least one snapshot step.")
    stop_page()
data = or_stop(lambda: spec.build(), "make the dataset")
or_stop(lambda: check_run(2, max(snapshots), len(data.y_train), config.widths, data.num_classes, limits(),
                          inputs=data.features), "train")
result = or_stop(lambda: measured(spec, config, eps, tuple(sorted(snapshots))), "train")
names = model_names(eps)
samples = result["samples"].assign(model=lambda f: f["model"].map(dict(enumerate(names))))
reference, _ = tables.gradient_curves(data.num_classes, [0.0, eps], convention, points=60)  # straight lines
reference = reference.assign(model=reference["eps"].map({eps_label(0.0): names[0], eps_label(eps): names[1]}))
panel = min(220, 560 // len(snapshots))  # the snapshots side by side fit 1024 px
st.altair_chart(charts.measured_gradient_chart(samples, reference, names, width=panel), width="content")
st.caption("Dots: each training point's gradient norm against its true-class probability. Dashed: the "
           f"analytic curves for ε = 0 and ε = {eps:g} (exact for K = 2; for K > 2 they assume the other "
           "classes share equally).")
gaps = result["gaps"].assign(model=lambda f: f["model"].map(dict(enumerate(names))))
st.altair_chart(charts.logit_gap_chart(gaps, names), width="stretch")
if result["diverged"]:
    st.error(f"Diverged: {', '.join(names[i] for i in result['diverged'])}; lower the learning rate.")
st.markdown(saturation.summary(result, names))
