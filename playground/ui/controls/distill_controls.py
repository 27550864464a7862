"""The Distillation page's settings and its cached run."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from playground.core.datasets import DatasetSpec, takes_k
from playground.experiments import distillation
from playground.experiments.distillation import DistillConfig
from playground.ui.controls.common import classes_slider, dataset_name, size_and_noise
from playground.ui.server.results_cache import Request
from playground.ui.server.training_run import check_caps, trained
from playground.ui.shell.errors import or_stop
from playground.ui.shell.url import control


def distill_settings() -> DistillConfig:
    base = DistillConfig()
    st.sidebar.markdown("**Data**")
    name = dataset_name(st.sidebar, "dst_name")
    with st.sidebar.form("dst_form"):
        k = classes_slider(name, "dst_k")
        n, noise = size_and_noise(name, "dst")
        st.markdown("**Teachers and students**")
        eps = control("dst_eps", format_func=lambda e: f"{e:g}", max_selections=4)
        temperatures = control("dst_t", format_func=lambda t: f"{t:g}",
                               max_selections=distillation.MAX_TEMPERATURES)
        alpha = control("dst_alpha")
        seeds = control("dst_seeds")
        steps = control("dst_steps")
        st.form_submit_button("Run distillation", type="primary")
    dataset = DatasetSpec(name=name, n=n, noise=noise, num_classes=k if takes_k(name) else None,
                          label_noise=0.0)
    return replace(
        base,
        dataset=dataset,
        eps=tuple(sorted(eps)),
        temperatures=tuple(sorted(temperatures)),
        alpha=alpha,
        seeds=seeds,
        steps=steps,
    )


def request(config: DistillConfig) -> Request:
    """The run as the results cache trains it: from its key alone, so the key holds every setting.
    Every engine is at most as large as the teachers': the caps count them all at that size."""
    key = config.key()
    models = len(config.eps) * config.seeds
    return Request(
        "distillation",
        key,
        f"{models} teachers and their students",
        models,
        config.steps,
        config.dataset.size,
        config.teacher.widths,
        config.dataset.num_classes or 10,
        lambda on_progress: distillation.run(DistillConfig.from_key(key), on_progress=on_progress),
        runs=config.engines,
        inputs=config.dataset.features,
    )


def default_request() -> Request:
    """The run the form asks for at its defaults."""
    return request(DistillConfig().validated())


def run_distillation(config: DistillConfig) -> distillation.DistillResult:
    checked = or_stop(config.validated, "set up the distillation")
    models = len(checked.eps) * checked.seeds
    classes = checked.dataset.num_classes or 10
    # every engine is at most as large as the teachers': count them all at the teachers' size
    check_caps(
        "the distillation",
        models,
        checked.steps,
        checked.dataset.size,
        checked.teacher.widths,
        classes,
        checked.teacher.device,
        checked.engines,
        inputs=checked.dataset.features,
    )
    return or_stop(lambda: trained(request(checked)), "run the distillation")
