import streamlit as st

from playground.core import smoothing
from playground.experiments import claims
from playground.ui.controls.common import equivalent_eps, target_controls, warn_past_uniform
from playground.ui.controls.preset_picker import show_presets
from playground.ui.shell.device import show_device
from playground.ui.shell.glossary import glossary
from playground.views import charts, tables

st.title("Label Smoothing Playground")
glossary("ε", "q_t", "q_o", "H(q)", "logit gap")
with st.container(horizontal=True, gap="small"):  # the three ways in, one click each
    st.page_link("app_pages/train.py", label="Train two networks live", icon=":material/play_circle:")
    st.page_link("app_pages/sweep.py", label="Sweep ε", icon=":material/stacked_line_chart:")
    st.page_link("app_pages/workshop.py", label="Take the workshop", icon=":material/groups:")
st.markdown(
    """
A classifier trained with one-hot targets is told to put **all** probability on the true class.
It can only get there with an infinite logit gap, so it keeps pushing its logits apart and grows
over-confident. **Label smoothing** trains against a softened target instead: a share ε of the
probability is spread over the classes. The loss now has a finite optimum, the gradient turns
around once the model is confident enough, and the class boundaries blur into a band of lower
confidence. Whether that makes the probabilities more honest depends on the problem: the presets
below measure where it helps and where it hurts. Move ε and watch the target the network is asked
to match.
"""
)
show_device()

k, eps, convention = target_controls("home")
st.altair_chart(charts.targets_bar(tables.targets(k, eps, convention)), width="stretch")

q_true, q_other = smoothing.target_values(k, eps, convention)
gap = smoothing.optimal_logit_gap(k, eps, convention)
c1, c2, c3, c4 = st.columns(4)
c1.metric("true-class target q_t", f"{q_true:.4f}", help=f"each other class gets {q_other:.4f}")
c2.metric("optimal logit gap log(q_t/q_o)", {float("inf"): "∞", -float("inf"): "−∞"}.get(gap, f"{gap:.4f}"),
          help="−∞: the true class gets no target at all, so the loss pushes its logit down without end"
          if gap == -float("inf") else None)
c3.metric("minimum loss H(q)", f"{smoothing.min_loss(k, eps, convention) + 0.0:.4f}",  # + 0.0: no "-0.0000"
          help="the smoothed loss never goes below the entropy of its target")
equivalent_eps(c4, k, eps, convention)
warn_past_uniform(k, eps, convention)
st.caption("PyTorch's `CrossEntropyLoss(label_smoothing=ε)` uses the uniform convention: with K=2 "
           "and ε=0.1 the target is [0.95, 0.05], not [0.9, 0.1].")

st.header("Presets: where smoothing helps, and where it hurts")
st.caption("Each preset sets a page to one configuration and states its claims. Each claim is decided on "
           f"{len(claims.HELD_OUT_SEEDS)} held-out seeds (data and weights both new on each), with the "
           "effect and its 95% interval; the page shows that evidence and whether its own run agrees.")
show_presets()
