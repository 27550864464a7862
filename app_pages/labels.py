import streamlit as st
import torch

from playground.core import smoothing
from playground.ui.controls.common import equivalent_eps, target_controls, warn_past_uniform
from playground.ui.controls.preset_picker import preset_claim
from playground.ui.shell.glossary import glossary
from playground.ui.shell.url import control
from playground.views import charts, tables

st.title("Smoothed labels")
glossary("ε", "q_t", "q_o", "H(q)")
preset_claim("labels")
st.caption("What the network is asked to match, what that does to the loss, and what PyTorch computes.")

k, eps, convention = target_controls("labels")
frame = tables.targets(k, eps, convention)
c1, c2 = st.columns([3, 2])
c1.altair_chart(charts.targets_bar(frame), width="stretch")
c2.dataframe(frame.pivot(index="class", columns="target", values="probability"), width="stretch")

q_true, q_other = smoothing.target_values(k, eps, convention)
c1, c2, c3 = st.columns(3)
c1.metric("true class q_t", f"{q_true:.4f}")
c2.metric("each other class q_o", f"{q_other:.4f}")
equivalent_eps(c3, k, eps, convention)
warn_past_uniform(k, eps, convention)

st.header("Loss against confidence")
shown = control("labels_curve_eps", options=sorted({0.0, 0.05, 0.1, 0.2, 0.3, round(eps, 2)}),
                default=sorted({0.0, 0.1, round(eps, 2)}))
if shown:
    curves, minima = tables.loss_curves(k, shown, convention)
    st.altair_chart(charts.loss_curve_chart(curves, minima), width="stretch")
    st.caption("The true class gets probability p and the others share 1 − p. With one-hot targets the loss "
               "falls to 0 only at p = 1. A smoothed loss bottoms out at p = q_t, where it equals the target "
               "entropy H(q) (dots), and rises beyond it: confidence past q_t is penalised.")
    st.dataframe(minima.drop(columns="eps_value").rename(
        columns={"q_true": "q_t (argmin)", "min_loss": "H(q) (minimum)"}),
                 hide_index=True)

st.header("What PyTorch actually computes")
st.markdown("PyTorch spreads ε over **all K** classes, the true one included, and `CrossEntropyLoss` has "
            "accepted probability targets of the input's shape since 1.10. Three ways to the same number, "
            "each computed here by torch itself on random logits:")
c1, c2 = st.columns(2)
n = control("labels_n", c1)
seed = control("labels_seed", c2)
gen = torch.Generator().manual_seed(int(seed))
logits = torch.randn(n, k, generator=gen, dtype=torch.float64) * 2
labels = torch.randint(0, k, (n,), generator=gen)
torch_eps = smoothing.convert_eps(eps, k, convention, "uniform")  # PyTorch's convention
if torch_eps > 1:
    torch_eps = 1.0
    st.info("This ε has no equivalent in PyTorch's uniform convention (it would need ε > 1); "
            "the panel below uses ε = 1.")
forms = smoothing.torch_loss_forms(logits, labels, torch_eps)
c1, c2, c3 = st.columns(3)
c1.metric("CrossEntropyLoss(label_smoothing=ε)", f"{forms['label_smoothing']:.10f}")
c2.metric("CrossEntropyLoss(logits, q)", f"{forms['soft_targets']:.10f}")
c3.metric("KLDivLoss(batchmean) + H(q)", f"{forms['kl_plus_entropy']:.10f}")
spread = max(forms.values()) - min(forms.values())
st.success(f"They agree to {spread:.1e} (ε = {torch_eps:.4f} in PyTorch's convention).")
c1, c2, c3 = st.columns(3)
c1.code(f"nn.CrossEntropyLoss(label_smoothing={torch_eps:.4f})(logits, labels)", language="python",
        wrap_lines=True)
c2.code(f"q = F.one_hot(labels, {k}) * (1 - {torch_eps:.4f}) + {torch_eps:.4f} / {k}\n"
        "nn.CrossEntropyLoss()(logits, q)", language="python", wrap_lines=True)
c3.code("nn.KLDivLoss(reduction='batchmean')(\n    logits.log_softmax(-1), q)\n"
        "+ -(q * q.log()).sum(-1).mean()", language="python", wrap_lines=True)

st.subheader("Class weights move the optimum")
c1, c2 = st.columns(2)
w_true = control("labels_w_true", c1)
w_other = control("labels_w_other", c2)
weights = [w_true] + [w_other] * (k - 1)
predicted = smoothing.weighted_optimum(k, torch_eps, weights)
fitted = smoothing.fit_weighted_optimum(k, torch_eps, weights)
q = smoothing.smooth_targets(torch.tensor([0]), k, torch_eps, dtype=torch.float64)[0]
st.dataframe({"class": list(range(k)), "target q": q.tolist(), "optimum ∝ w⊙q": predicted.tolist(),
              "found by LBFGS on torch's loss": fitted.tolist()}, hide_index=True)
st.caption("With weights, CrossEntropyLoss(weight=w, label_smoothing=ε) is minimised at p ∝ w⊙q, not at q "
           "(pytorch issue #104776). K = 2, ε = 0.1, w = [0.1, 0.9] gives [0.679, 0.321].")

st.subheader("ignore_index")
share = control("labels_ignored")
ignored = torch.rand(n, generator=gen) < share
if bool(ignored.all()):
    st.info("Every row is ignored: the mean has nothing to divide, and PyTorch returns NaN.")
else:
    parts = smoothing.ignore_index_forms(logits, labels, ignored, torch_eps)
    c1, c2 = st.columns(2)
    c1.metric(f"loss with {int(ignored.sum())} of {n} rows ignored", f"{parts['with_ignore_index']:.10f}")
    c2.metric("loss over the kept rows alone", f"{parts['kept_rows_only']:.10f}")
    st.caption("Ignored rows add nothing, smoothing included, and the mean divides by the rows kept.")
