"""Widgets shared by several pages. Each returns plain values for the library."""
from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from playground.core.datasets import DATASETS, MAX_CLASSES, TABLES, is_table, takes_k
from playground.core.smoothing import CONVENTIONS, convert_eps, target_values, uniform_eps
from playground.ui.shell.settings import OBJECTIVE_CHOICES
from playground.ui.shell.url import control

CONVENTION_CAPTIONS = {
    "uniform": "true 1−ε+ε/K, others ε/K (PyTorch, Keras)",
    "others": "true 1−ε, others ε/(K−1) (fairseq)",
}
# how links spelled the conventions before they had short codes
LEGACY_CONVENTIONS = {f"{code}: {caption}": code for code, caption in CONVENTION_CAPTIONS.items()}


def convention_radio(container, key: str) -> str:
    """The target convention, spelled in links by its short code (conv=uniform)."""
    return control(key, container, aliases=LEGACY_CONVENTIONS,
                   captions=[CONVENTION_CAPTIONS[c] for c in CONVENTIONS])


def dataset_name(container, key: str, **kwargs) -> str:
    """The toy dataset's name, spelled in links as its code (ds_name=gaussian_quantiles)."""
    return control(key, container, aliases={name.replace("_", " "): name for name in DATASETS}, **kwargs)


def classes_slider(name: str, key: str, **kwargs) -> int:
    """K for datasets that take it; for the others their fixed K, shown disabled in a separate
    widget so the K chosen for the other datasets is kept."""
    if not takes_k(name):
        fixed = DATASETS[name][0]
        return st.slider("classes K", 2, MAX_CLASSES, fixed, key=f"{key}_fixed", disabled=True,
                         help=f"{name} has {fixed} classes")
    return control(key, **kwargs)


def objective_menu(container, key: str, most: int = 6) -> list[tuple[str, float]]:
    """Objectives to put side by side, as (kind, value) pairs."""
    chosen = control(key, container, max_selections=most)
    return [OBJECTIVE_CHOICES[name] for name in chosen]


def size_and_noise(name: str, prefix: str, **kwargs) -> tuple[int, float]:
    """The toy shape's points and input noise. A bundled table has its own rows and no noise:
    both sliders are then disabled (keeping the shapes' values) and say why."""
    if is_table(name):
        rows, features = TABLES[name][1:]
        kwargs = {**kwargs, "disabled": True,
                  "help": f"{name} has {rows:,} examples of {features} inputs; points and noise apply to "
                          "the toy shapes"}
    return control(f"{prefix}_n", **kwargs), control(f"{prefix}_noise", **kwargs)


def in_view(data) -> str:
    """" in the PCA view" for data drawn in one (for titles and alt text), "" for two inputs."""
    return "" if data.plane.is_identity else " in the PCA view"


def say_view(data) -> None:
    """Under boundary pictures: which 2D view they are, when the data have more than two inputs."""
    if not data.plane.is_identity:
        st.caption(data.plane.describe())


def gap_slider(name: str, key: str, **kwargs) -> float | None:
    """For similar classes, how far apart the two close classes' centres are; None otherwise."""
    if name != "similar_classes":
        return None
    return control(key, help="the distance between the two close centres; the other classes sit around a "
                             "circle of radius 1", **kwargs)


def target_controls(key: str, max_classes: int = 20) -> tuple[int, float, str]:
    """K, ε and convention for a target vector."""
    c1, c2, c3 = st.columns([1, 2, 2])
    k = control(f"{key}_k", c1)
    eps = control(f"{key}_eps", c2)
    convention = convention_radio(c3, f"{key}_conv")
    return int(k), float(eps), convention


def equivalent_eps(column, k: int, eps: float, convention: str) -> None:
    """A metric: the eps giving the same targets in the other convention."""
    other = "others" if convention == "uniform" else "uniform"
    same = convert_eps(eps, k, convention, other)
    column.metric(f"same targets in '{other}'", f"ε = {same:.4f}" if same <= 1 else "none in [0, 1]",
                  help="ε_uniform = ε_others · K/(K−1)")


def warn_past_uniform(k: int, eps: float, convention: str) -> None:
    """Warn at the uniform point, and past it, where the true class stops being the largest target."""
    flat = uniform_eps(k, convention)
    q_true, q_other = target_values(k, eps, convention)
    if eps == flat:
        st.warning(f"At ε = {flat:.4f} the {convention} targets are uniform: every class gets 1/K = "
                   f"{1 / k:.4f}. The loss no longer prefers any class.")
    elif eps > flat:
        st.warning(f"Past ε = {flat:.4f} the {convention} convention gives the true class ({q_true:.4f}) "
                   f"less than each other class ({q_other:.4f}): the model is trained away from the label.")


def script_download(make: Callable[[], str], file_name: str, what: str, container=st, **kwargs) -> None:
    """The page's run as a PyTorch script (experiments/export.py), written only when clicked."""
    container.download_button("PyTorch script", make, file_name, "text/x-python", icon=":material/code:",
                              on_click="ignore", help="a single file that needs only torch, numpy and "
                              f"scikit-learn: {what}", **kwargs)
