"""The live page's controls, grouped as a user thinks of them, and the rule for what resets.

Settings that change the data, the network or the optimiser's state reset training; the
smoothing eps, the learning rate, weight decay, speed and the display apply mid-run.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

import streamlit as st

from playground.core import objectives
from playground.core.datasets import DatasetSpec, takes_k
from playground.engine.engine import TrainConfig, cuda_available
from playground.ui.controls.common import (
    classes_slider,
    convention_radio,
    dataset_name,
    gap_slider,
    size_and_noise,
)
from playground.ui.controls.own_data import own_points
from playground.ui.shell.settings import SETTINGS, default
from playground.ui.shell.url import control
from playground.ui.shell.visibility import section

MID_RUN = "ε (or β, γ), learning rate, weight decay, speed and the display apply at once, mid-run (the " \
          "history marks each change); every other setting restarts training."


@dataclass(frozen=True)
class LiveSettings:
    data: DatasetSpec
    config: TrainConfig  # lr and weight_decay in here apply mid-run
    objective_value: float  # the second model's objective parameter (ε, β or γ); applies mid-run
    steps_per_update: int
    discretize: bool
    show_test: bool
    fade: bool
    kind: str = "smoothing"  # the second model's objective

    def on_defaults(self) -> bool:
        """The page's first view: default data and network, smoothing at some ε > 0."""
        return (replace(self.data, seed=DEFAULT_DATA.seed) == DEFAULT_DATA and self.kind == "smoothing"
                and self.objective_value > 0
                and (self.config.hidden_layers, self.config.units) == (DEFAULT_LAYERS, DEFAULT_UNITS))

    @property
    def objective_title(self) -> str:
        if self.kind == "smoothing":
            return "negative smoothing" if self.objective_value < 0 else "smoothed"
        return objectives.get(self.kind).title

    def reset_reasons(self, old: dict) -> list[str]:
        """What changed since the settings whose reset_key was `old`, in the sidebar's words."""
        key = self.reset_key()
        return [SETTING_NAMES.get(k, k) for k in sorted(key.keys() | old.keys()) if key.get(k) != old.get(k)]

    def reset_key(self) -> dict:
        """The settings whose change restarts training."""
        config = {f.name: getattr(self.config, f.name) for f in fields(self.config)
                  if f.name not in ("lr", "weight_decay")}
        data = {f"data.{f.name}": getattr(self.data, f.name) for f in fields(self.data)}
        return {**data, **config, "objective": self.kind}


# reset_key's names as the sidebar labels them
SETTING_NAMES = {
    "data.name": "dataset", "data.n": "points", "data.noise": "noise", "data.num_classes": "classes K",
    "data.label_noise": "label noise", "data.test_fraction": "test share", "data.seed": "data seed",
    "data.points": "your own points", "data.gap": "gap between classes 0 and 1",
    "hidden_layers": "hidden layers", "units": "units per layer",
    "activation": "activation", "optimizer": "optimizer", "momentum": "momentum", "batch_size": "batch size",
    "seed": "initial weights", "convention": "convention", "device": "device", "objective": "objective",
    "dropout": "dropout",
}
DEVICE_LABELS = {"auto": "auto", "cpu": "CPU", "cuda": "GPU"}
OPTIMIZER_LABELS = {"adam": "Adam", "sgd": "SGD"}


MAX_SEED = SETTINGS["ds_seed"].hi
# the first view's data and network; the sidebar's defaults
DEFAULT_DATA = DatasetSpec(name=default("ds_name"), n=default("ds_n"), noise=default("ds_noise"),
                           test_fraction=default("ds_test"), label_noise=default("ds_label_noise"))
DEFAULT_LAYERS, DEFAULT_UNITS = default("net_layers"), default("net_units")
# what the first view says of itself; no number in it, since the run on screen measures them
WHY_WORSE = ("On these clean, well-separated moons the one-hot model can be right and sure at once, so "
             "smoothing only holds its confidence below its accuracy, and its NLL and ECE look worse: "
             "smoothing helps where a model over-fits noisy data.")


def new_data_seed() -> None:
    """The next seed, back to 0 after the largest the seed box accepts."""
    st.session_state["ds_seed"] = (st.session_state.get("ds_seed", 0) + 1) % (MAX_SEED + 1)


def live_controls() -> LiveSettings:
    """Sidebar controls; returns plain settings for the library. The objective comes first: ε is
    what a visitor came to move, and it must be in view beside Play without scrolling."""
    sb = st.sidebar
    with sb.expander("Objective", expanded=True):
        title = control("obj", help="the first model always trains with one-hot cross-entropy")
        objective, variant = objectives.VARIANTS[title]
        kind = objective.name
        value = control(f"{variant.code}_{objective.parameter}", help=variant.about)
        convention = convention_radio(st, "sm_conv") if kind == "smoothing" else "uniform"
    with sb.expander("Data", expanded=True):
        name = dataset_name(st, "ds_name")
        k = classes_slider(name, "ds_k")
        gap = gap_slider(name, "ds_gap")
        n, noise = size_and_noise(name, "ds")
        label_noise = control("ds_label_noise")
        test_fraction = control("ds_test")
        c1, c2 = st.columns([1, 1], vertical_alignment="bottom")
        seed = control("ds_seed", c1)
        c2.button("New", on_click=new_data_seed, key="ds_new_seed", icon=":material/casino:",
                  help="draw the data again with the next seed")
        points = own_points("ds_upload", seed=seed, test_fraction=test_fraction, label_noise=label_noise)
    with section(sb, "network").expander("Network", expanded=False):
        layers = control("net_layers")
        units = control("net_units")
        activation = control("net_act")
    with section(sb, "optimizer").expander("Optimizer", expanded=False):
        optimizer = control("opt_name", horizontal=True, format_func=OPTIMIZER_LABELS.get,
                            help="SGD uses momentum 0.9", aliases={"SGD (momentum 0.9)": "SGD"})
        lr = control("opt_lr")
        batch = control("opt_batch", format_func=lambda b: "full" if b == 0 else str(b))
        weight_decay = control("opt_wd")
    with section(sb, "device").expander("Device and speed", expanded=False):
        device = control("dev", horizontal=True, format_func=DEVICE_LABELS.get,
                         aliases={"GPU (none here)": "GPU"},
                         help="a CUDA GPU is available" if cuda_available() else
                         "no CUDA GPU here: GPU falls back to the CPU")
        speed = control("speed")
    with sb.expander("Display", expanded=True):
        discretize = control("disp_discrete")
        show_test = control("disp_test")
        fade = control("disp_fade", help="dims the picture by distance from the training points, where no "
                                         "data back the model's answer")
    sb.caption(MID_RUN)
    if points is not None:
        data = DatasetSpec(points=points, seed=seed, test_fraction=test_fraction, label_noise=label_noise)
    else:
        data = DatasetSpec(name=name, n=n, noise=noise, num_classes=k if takes_k(name) else None, seed=seed,
                           test_fraction=test_fraction, label_noise=label_noise, gap=gap)
    config = TrainConfig(hidden_layers=layers, units=units, activation=activation, optimizer=optimizer,
                         lr=lr, weight_decay=weight_decay, batch_size=batch, convention=convention,
                         device=device)
    return LiveSettings(data, config, value, speed, discretize, show_test, fade, kind)
