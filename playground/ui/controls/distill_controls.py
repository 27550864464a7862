"""The Distillation page's settings and its cached run."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from playground.core.datasets import DATASETS, takes_k
from playground.experiments import distillation
from playground.experiments.distillation import DistillConfig
from playground.ui.controls.common import classes_slider, dataset_name
from playground.ui.server.results_cache import Request
from playground.ui.server.training_run import check_caps, trained
from playground.ui.shell.errors import or_stop
from playground.ui.shell.url import bound

EPS_CHOICES = [0.0, 0.05, 0.1, 0.2, 0.3, 0.5]
TEMPERATURE_CHOICES = [1.0, 2.0, 4.0, 8.0]
STEPS = [500, 1000, 1500, 2000, 3000]


def distill_settings() -> DistillConfig:
    base = DistillConfig()
    st.sidebar.markdown("**Data**")
    name = dataset_name(st.sidebar, "dst_name", index=list(DATASETS).index(base.dataset["name"]))
    with st.sidebar.form("dst_form"):
        k = classes_slider(name, "dst_k", default=base.dataset.get("num_classes", 3))
        n = bound(st.slider, "points (train + test)", 200, 3000, base.dataset["n"], 100, key="dst_n")
        noise = bound(st.slider, "noise", 0.0, 0.6, base.dataset["noise"], 0.05, key="dst_noise")
        st.markdown("**Teachers and students**")
        eps = bound(
            st.multiselect,
            "teachers' ε",
            EPS_CHOICES,
            default=list(base.eps),
            key="dst_eps",
            format_func=lambda e: f"{e:g}",
            max_selections=4,
        )
        temperatures = bound(
            st.multiselect,
            "temperatures T",
            TEMPERATURE_CHOICES,
            default=list(base.temperatures),
            key="dst_t",
            format_func=lambda t: f"{t:g}",
            max_selections=distillation.MAX_TEMPERATURES,
        )
        alpha = bound(
            st.slider,
            "α, the soft targets' share of the student's loss",
            0.0,
            1.0,
            base.alpha,
            0.1,
            key="dst_alpha",
        )
        seeds = bound(st.slider, "seeds", 1, 10, base.seeds, key="dst_seeds")
        steps = bound(st.select_slider, "steps (each engine)", STEPS, base.steps, key="dst_steps")
        st.form_submit_button("Run distillation", type="primary")
    dataset = {"name": name, "n": n, "noise": noise, "label_noise": 0.0}
    if takes_k(name):
        dataset["num_classes"] = k
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
        config.dataset["n"],
        config.teacher.widths,
        config.dataset.get("num_classes") or 10,
        lambda on_progress: distillation.run(DistillConfig.from_key(key), on_progress=on_progress),
        runs=config.engines,
    )


def default_request() -> Request:
    """The run the form asks for at its defaults."""
    return request(DistillConfig().validated())


def run_distillation(config: DistillConfig) -> distillation.DistillResult:
    checked = or_stop(config.validated, "set up the distillation")
    models = len(checked.eps) * checked.seeds
    classes = checked.dataset.get("num_classes") or 10
    # every engine is at most as large as the teachers': count them all at the teachers' size
    check_caps(
        "the distillation",
        models,
        checked.steps,
        checked.dataset["n"],
        checked.teacher.widths,
        classes,
        checked.teacher.device,
        checked.engines,
    )
    return or_stop(lambda: trained(request(checked)), "run the distillation")
