"""The Representations page's settings and its cached run."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from playground.core.datasets import DATASETS, takes_k
from playground.experiments import tightening
from playground.experiments.tightening import TighteningConfig
from playground.ui.controls.common import classes_slider, dataset_name
from playground.ui.server.results_cache import Request
from playground.ui.server.training_run import check_caps, trained
from playground.ui.shell.errors import or_stop
from playground.ui.shell.url import bound

STEPS = [300, 1000, 1500, 3000]


def representation_settings() -> TighteningConfig:
    base = TighteningConfig()
    st.sidebar.markdown("**Data**")
    name = dataset_name(st.sidebar, "rep_name", index=list(DATASETS).index(base.dataset["name"]))
    with st.sidebar.form("rep_form"):
        k = classes_slider(name, "rep_k", default=base.dataset["num_classes"])
        n = bound(st.slider, "points (train + test)", 300, 3000, base.dataset["n"], 100, key="rep_n")
        noise = bound(st.slider, "noise", 0.0, 0.6, base.dataset["noise"], 0.05, key="rep_noise")
        classes = bound(
            st.multiselect,
            "three classes to draw",
            list(range(10)),
            default=[0, 1, 2],
            key="rep_classes",
            max_selections=3,
        )
        eps = bound(st.slider, "ε of the smoothed model", 0.01, 0.5, base.eps, 0.01, key="rep_eps")
        seeds = bound(st.slider, "seeds", 1, 10, base.seeds, key="rep_seeds")
        steps = bound(st.select_slider, "steps", STEPS, base.steps, key="rep_steps")
        st.form_submit_button("Train", type="primary")
    dataset = {"name": name, "n": n, "noise": noise, "label_noise": 0.0}
    if takes_k(name):
        dataset["num_classes"] = k
    return replace(base, dataset=dataset, classes=tuple(classes), eps=eps, seeds=seeds, steps=steps)


def request(config: TighteningConfig) -> Request:
    """The run as the results cache trains it: from its key alone, so the key holds every setting."""
    key = config.key()
    models = len(config.grid) * config.seeds
    return Request(
        "representations",
        key,
        f"{models} models",
        models,
        config.steps,
        config.dataset["n"],
        config.train.widths,
        config.dataset.get("num_classes") or 10,
        lambda on_progress: tightening.run(TighteningConfig.from_key(key), on_progress=on_progress),
    )


def default_request() -> Request:
    """The run the form asks for at its defaults."""
    return request(TighteningConfig().validated())


def run_tightening(config: TighteningConfig) -> tightening.TighteningResult:
    checked = or_stop(config.validated, "set up the run")
    models = len(checked.grid) * checked.seeds
    check_caps(
        "the run",
        models,
        checked.steps,
        checked.dataset["n"],
        checked.train.widths,
        checked.dataset.get("num_classes") or 10,
        checked.train.device,
    )
    return or_stop(lambda: trained(request(checked)), "train")
