"""The Representations page's settings and its cached run."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from playground.core.datasets import DatasetSpec, takes_k
from playground.experiments import tightening
from playground.experiments.tightening import TighteningConfig
from playground.ui.controls.common import classes_slider, dataset_name, size_and_noise
from playground.ui.server.results_cache import Request
from playground.ui.server.training_run import check_caps, trained
from playground.ui.shell.errors import or_stop
from playground.ui.shell.url import control


def representation_settings() -> TighteningConfig:
    base = TighteningConfig()
    st.sidebar.markdown("**Data**")
    name = dataset_name(st.sidebar, "rep_name")
    with st.sidebar.form("rep_form"):
        k = classes_slider(name, "rep_k")
        n, noise = size_and_noise(name, "rep")
        classes = control("rep_classes", max_selections=3)
        eps = control("rep_eps")
        seeds = control("rep_seeds")
        steps = control("rep_steps")
        st.form_submit_button("Train", type="primary")
    dataset = DatasetSpec(name=name, n=n, noise=noise, num_classes=k if takes_k(name) else None,
                          label_noise=0.0)
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
        config.dataset.size,
        config.train.widths,
        config.dataset.num_classes or 10,
        lambda on_progress: tightening.run(TighteningConfig.from_key(key), on_progress=on_progress),
        inputs=config.dataset.features,
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
        checked.dataset.size,
        checked.train.widths,
        checked.dataset.num_classes or 10,
        checked.train.device,
        inputs=checked.dataset.features,
    )
    return or_stop(lambda: trained(request(checked)), "train")
