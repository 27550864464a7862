"""The Alternatives page's settings and its cached comparison."""
from __future__ import annotations

import streamlit as st

from playground.core.datasets import DatasetSpec, takes_k
from playground.engine.cost import smaller_run
from playground.engine.engine import TrainConfig
from playground.experiments import compare
from playground.experiments.compare import CompareConfig, Recipe
from playground.ui.controls.common import classes_slider, dataset_name, objective_menu, size_and_noise
from playground.ui.server.results_cache import Request
from playground.ui.server.training_run import Offer, check_caps, trained
from playground.ui.shell.errors import or_stop
from playground.ui.shell.settings import SETTINGS
from playground.ui.shell.url import control

VIEWS = {"objectives": "Objectives", "regularisers": "Regularisers"}


def compare_settings() -> tuple[CompareConfig, str]:
    """Sidebar form; returns the comparison to run and which one (objectives or regularisers)."""
    view = control("alt_view", format_func=VIEWS.get, required=True)
    st.sidebar.markdown("**Data**")
    name = dataset_name(st.sidebar, "alt_name")
    with st.sidebar.form("alt_form"):
        k = classes_slider(name, "alt_k")
        n, noise = size_and_noise(name, "alt")
        label_noise = control("alt_label_noise")
        st.markdown("**Models**")
        chosen = objective_menu(st, "alt_objectives", compare.MAX_OBJECTIVES)
        eps = control("alt_eps")
        wd = control("alt_wd")
        dropout = control("alt_dropout")
        seeds = control("alt_seeds")
        steps = control("alt_steps")
        units = control("alt_units")
        lr = control("alt_lr")
        st.form_submit_button("Run comparison", type="primary")
    dataset = DatasetSpec(name=name, n=n, noise=noise, num_classes=k if takes_k(name) else None,
                          label_noise=label_noise)
    if view == "regularisers":
        recipes = compare.regulariser_recipes(eps, wd, dropout)
    else:
        recipes = tuple(Recipe(kind, value) for kind, value in chosen)
    train = TrainConfig(hidden_layers=2, units=units, lr=lr)
    return CompareConfig(dataset, train, recipes, seeds, steps), view


def _size(config: CompareConfig) -> tuple[int, int, int]:
    return config.models, config.dataset.size, config.dataset.num_classes or 10


def request(config: CompareConfig) -> Request:
    """The comparison as the results cache trains it: from its key alone, so the key holds every
    setting. Its engines train one after another, so the caps see the largest."""
    key = config.key()
    models, points, classes = _size(config)
    groups = compare.engine_groups(config.recipes)
    largest = max(len(g) for g in groups.values()) * config.seeds
    return Request("alternatives", key, f"{models} models", largest, config.steps, points,
                   config.train.widths, classes,
                   lambda on_progress: compare.run(CompareConfig.from_key(key), on_progress=on_progress),
                   runs=len(groups), inputs=config.dataset.features)


def default_config() -> CompareConfig:
    """The comparison the form asks for at its defaults (objectives view)."""
    return CompareConfig()


def default_request() -> Request:
    return request(default_config().validated())


def _use(seeds: int, steps: int) -> None:
    st.session_state.alt_seeds, st.session_state.alt_steps = seeds, steps


def _smaller(config: CompareConfig, largest: int, engines: int) -> Offer:
    """The largest smaller comparison that fits the time cap; `largest`: recipes in the largest engine."""
    def offer(model, max_seconds):
        _, points, classes = _size(config)
        fits = smaller_run(model, max_seconds, largest, config.seeds, config.steps, points,
                           config.train.widths, classes, engines, SETTINGS["alt_steps"].options,
                           config.dataset.features)
        if fits is None:
            return None
        return f"Run a smaller comparison: {fits[0]} seeds × {fits[1]:,} steps", _use, fits
    return offer


def run_comparison(config: CompareConfig) -> compare.CompareResult:
    """The comparison for this configuration, trained once and then served from the cache."""
    checked = or_stop(config.validated, "set up the comparison")
    models, points, classes = _size(checked)
    groups = compare.engine_groups(checked.recipes)
    largest = max(len(g) for g in groups.values()) * checked.seeds
    train = checked.train
    # one engine per group, one after another: their steps add up; the largest bounds the memory
    check_caps("the comparison", largest, checked.steps, points, train.widths, classes, train.device,
               len(groups), _smaller(checked, largest // checked.seeds, len(groups)),
               checked.dataset.features)
    return or_stop(lambda: trained(request(checked)), "run the comparison")
