"""The sweep settings (shared by the sweep and calibration pages) and the cached sweep run."""
from __future__ import annotations

from dataclasses import replace

import streamlit as st
import torch

from playground.core.datasets import DatasetSpec, takes_k
from playground.engine.cost import smaller_run
from playground.engine.engine import TrainConfig
from playground.experiments import sweep
from playground.ui.controls.common import classes_slider, dataset_name, gap_slider, size_and_noise
from playground.ui.controls.own_data import own_points
from playground.ui.server.results_cache import Request
from playground.ui.server.training_run import Offer, check_caps, trained
from playground.ui.shell.errors import or_stop
from playground.ui.shell.settings import SETTINGS, default
from playground.ui.shell.url import control

KEEP = {"persist_state": "session"}  # both pages read the same settings
# the form's defaults, which default_config() also builds (the server warms that sweep up)
DATA = DatasetSpec(name=default("sw_name"), n=default("sw_n"), noise=default("sw_noise"),
                   label_noise=default("sw_label_noise"))
TRAIN = TrainConfig(hidden_layers=default("sw_layers"), units=default("sw_units"),
                    activation=default("sw_act"), lr=default("sw_lr"))


def sweep_settings() -> tuple[sweep.SweepConfig, bool]:
    """Sidebar form; returns the sweep to run and whether to compare against no label noise."""
    st.sidebar.markdown("**Data**")
    # outside the form, so the classes slider below follows the dataset at once
    name = dataset_name(st.sidebar, "sw_name", **KEEP)
    with st.sidebar.form("sweep_form"):
        k = classes_slider(name, "sw_k", **KEEP)
        gap = gap_slider(name, "sw_gap", **KEEP)
        n, noise = size_and_noise(name, "sw", **KEEP)
        label_noise = control("sw_label_noise", **KEEP)
        points = own_points("sw_upload", label_noise=label_noise)
        compare = control("sw_compare", **KEEP)
        st.markdown("**Models**")
        lo, hi = control("sw_range", **KEEP)
        count = control("sw_count", **KEEP)
        seeds = control("sw_seeds", **KEEP)
        steps = control("sw_steps", **KEEP)
        layers = control("sw_layers", **KEEP)
        units = control("sw_units", **KEEP)
        activation = control("sw_act", **KEEP)
        lr = control("sw_lr", **KEEP)
        st.form_submit_button("Run sweep", type="primary")
    if points is not None:
        dataset = DatasetSpec(points=points, label_noise=label_noise)
    else:
        dataset = DatasetSpec(name=name, n=n, noise=noise, num_classes=k if takes_k(name) else None,
                              label_noise=label_noise, gap=gap)
    train = TrainConfig(hidden_layers=layers, units=units, activation=activation, lr=lr)
    grid = or_stop(lambda: sweep.eps_grid(lo, hi, count), "set up the sweep")  # e.g. a reversed range
    config = sweep.SweepConfig(dataset, train, tuple(grid), seeds, steps)
    return config, compare and label_noise > 0


def default_config() -> sweep.SweepConfig:
    """The sweep the form asks for at its defaults."""
    eps = tuple(sweep.eps_grid(*default("sw_range"), default("sw_count")))
    return sweep.SweepConfig(DATA, TRAIN, eps, default("sw_seeds"), default("sw_steps"))


def _size(config: sweep.SweepConfig) -> tuple[int, int, int]:
    """Models, points and (at most) classes of a sweep, for the caps."""
    return len(config.eps) * config.seeds, config.dataset.size, config.dataset.num_classes or 10


def request(config: sweep.SweepConfig) -> Request:
    """The sweep as the results cache trains it: from its key alone, so the key holds every setting."""
    key = config.key()
    models, points, classes = _size(config)
    return Request("sweep", key, f"{models} models", models, config.steps, points, config.train.widths,
                   classes, lambda on_progress: sweep.run(sweep.SweepConfig.from_key(key),
                                                          on_progress=on_progress),
                   inputs=config.dataset.features)


def default_request() -> Request:
    return request(default_config().validated())


def _use(seeds: int, steps: int) -> None:
    st.session_state.sw_seeds, st.session_state.sw_steps = seeds, steps


def _smaller(config: sweep.SweepConfig, runs: int) -> Offer:
    """The largest smaller sweep that fits the time cap: fewer seeds first, then fewer steps."""
    def offer(model, max_seconds):
        models, points, classes = _size(config)
        fits = smaller_run(model, max_seconds, len(config.eps), config.seeds, config.steps, points,
                           config.train.widths, classes, runs, SETTINGS["sw_steps"].options,
                           config.dataset.features)
        if fits is None:
            return None
        return f"Run a smaller sweep: {fits[0]} seeds × {fits[1]:,} steps", _use, fits
    return offer


def run_sweep(config: sweep.SweepConfig, runs: int = 1) -> sweep.SweepResult:
    """The sweep for this configuration, trained once and then served from the cache. `runs`: how
    many sweeps of this size the request makes (the label-noise comparison makes two), all of
    which must fit the work cap together."""
    checked = or_stop(config.validated, "set up the sweep")
    models, points, classes = _size(checked)
    train = checked.train
    check_caps("the sweep", models, checked.steps, points, train.widths, classes, train.device, runs,
               _smaller(checked, runs), checked.dataset.features)
    try:
        return or_stop(lambda: trained(request(checked)), "run the sweep")
    except torch.OutOfMemoryError:
        st.warning("The GPU ran out of memory for this sweep; it ran on the CPU instead.")
        cpu = replace(checked, train=replace(checked.train, device="cpu"))
        return or_stop(lambda: trained(request(cpu)), "run the sweep")
