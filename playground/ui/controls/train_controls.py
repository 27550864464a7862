"""The live page's controls, grouped as a user thinks of them, and the rule for what resets.

Settings that change the data, the network or the optimiser's state reset training; the
smoothing eps, the learning rate, weight decay, speed and the display apply mid-run.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import streamlit as st

from playground.core import objectives
from playground.core.datasets import takes_k
from playground.engine.engine import ACTIVATIONS, OPTIMIZERS, TrainConfig, cuda_available
from playground.ui.controls.common import classes_slider, convention_radio, dataset_name, gap_slider
from playground.ui.controls.own_data import own_points
from playground.ui.shell.url import bound
from playground.ui.shell.visibility import section

LEARNING_RATES = [0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
WEIGHT_DECAYS = [0.0, 0.0001, 0.001, 0.01, 0.1]
UNITS = [1, 2, 4, 8, 16, 32, 64, 128, 256]
BATCH_SIZES = [0, 8, 16, 32, 64, 128, 256]
MID_RUN = "ε (or β, γ), learning rate, weight decay, speed and the display apply at once, mid-run (the " \
          "history marks each change); every other setting restarts training."


@dataclass(frozen=True)
class LiveSettings:
    data: dict  # datasets.dataset_from_spec's argument
    config: TrainConfig  # lr and weight_decay in here apply mid-run
    objective_value: float  # the second model's objective parameter (ε, β or γ); applies mid-run
    steps_per_update: int
    discretize: bool
    show_test: bool
    fade: bool
    kind: str = "smoothing"  # the second model's objective

    def on_defaults(self) -> bool:
        """The page's first view: default data and network, smoothing at some ε > 0."""
        data = {k: v for k, v in self.data.items() if k != "seed"}
        return (data == DEFAULT_DATA and self.kind == "smoothing" and self.objective_value > 0
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
        return {**{f"data.{k}": v for k, v in self.data.items()}, **config, "objective": self.kind}


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
# the second model's objective, as links spell it (obj=focal+loss) -> (kind, value's label, lo, hi,
# default, step, the value's own key)
OBJECTIVE_CHOICES = {
    "label smoothing": ("smoothing", "ε of the smoothed model", 0.0, 1.0, 0.2, 0.01, "sm_eps"),
    "confidence penalty": ("confidence_penalty", "β, the confidence penalty's weight", 0.0, 5.0, 0.5, 0.05,
                           "cp_beta"),
    "focal loss": ("focal", "γ, the focal loss's focus", 0.0, 5.0, 2.0, 0.1, "fl_gamma"),
    "negative smoothing": ("smoothing", "ε of negative smoothing", -1.0, 0.0, -0.2, 0.01, "nls_eps"),
}
OBJECTIVE_HELP = {
    "label smoothing": "targets 1 − ε + ε/K for the true class and ε/K for the others",
    "confidence penalty": "cross-entropy − β·H(p): rewards spread-out predictions (Pereyra et al. 2017)",
    "focal loss": "−(1 − p_y)^γ · log p_y: down-weights points already classified well (Lin et al. 2017); "
                  "γ = 0 is cross-entropy",
    "negative smoothing": "a negative ε: the true target exceeds 1 and the others go below 0, so the loss "
                          "has no lower bound (Wei et al. 2022); a run whose loss runs away is stopped as "
                          "diverged",
}
DEVICE_LABELS = {"auto": "auto", "cpu": "CPU", "cuda": "GPU"}
OPTIMIZER_LABELS = {"adam": "Adam", "sgd": "SGD"}


MAX_SEED = 2**31 - 1
# the first view's data and network; the sidebar's defaults
DEFAULT_DATA = {"name": "moons", "n": 400, "noise": 0.2, "num_classes": None, "label_noise": 0.0,
                "test_fraction": 0.3}
DEFAULT_LAYERS, DEFAULT_UNITS = 2, 16
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
        code = bound(st.selectbox, "the second model trains with", list(OBJECTIVE_CHOICES), key="obj",
                     help="the first model always trains with one-hot cross-entropy")
        kind, label, lo, hi, default, step, key = OBJECTIVE_CHOICES[code]
        value = bound(st.slider, label, lo, hi, default, step, key=key, help=OBJECTIVE_HELP[code])
        convention = convention_radio(st, "sm_conv") if kind == "smoothing" else "uniform"
    with sb.expander("Data", expanded=True):
        name = dataset_name(st, "ds_name")
        k = classes_slider(name, "ds_k")
        gap = gap_slider(name, "ds_gap")
        n = bound(st.slider, "points (train + test)", 50, 3000, DEFAULT_DATA["n"], 50, key="ds_n")
        noise = bound(st.slider, "noise", 0.0, 0.6, DEFAULT_DATA["noise"], 0.02, key="ds_noise")
        label_noise = bound(st.slider, "label noise (share of training labels flipped)", 0.0, 0.5,
                            DEFAULT_DATA["label_noise"], 0.05, key="ds_label_noise")
        test_fraction = bound(st.slider, "test share", 0.1, 0.5, DEFAULT_DATA["test_fraction"], 0.05,
                              key="ds_test")
        c1, c2 = st.columns([1, 1], vertical_alignment="bottom")
        seed = bound(c1.number_input, "data seed", 0, MAX_SEED, 0, key="ds_seed")
        c2.button("New", on_click=new_data_seed, key="ds_new_seed", icon=":material/casino:",
                  help="draw the data again with the next seed")
        points = own_points("ds_upload", seed=seed, test_fraction=test_fraction, label_noise=label_noise)
    with section(sb, "network").expander("Network", expanded=False):
        layers = bound(st.slider, "hidden layers", 0, 6, DEFAULT_LAYERS, key="net_layers")
        units = bound(st.select_slider, "units per layer", UNITS, DEFAULT_UNITS, key="net_units")
        activation = bound(st.selectbox, "activation", ACTIVATIONS, index=1, key="net_act")
    with section(sb, "optimizer").expander("Optimizer", expanded=False):
        optimizer = bound(st.radio, "optimizer", OPTIMIZERS, horizontal=True, key="opt_name",
                          format_func=OPTIMIZER_LABELS.get, help="SGD uses momentum 0.9",
                          aliases={"SGD (momentum 0.9)": "SGD"})
        lr = bound(st.select_slider, "learning rate", LEARNING_RATES, 0.03, key="opt_lr")
        batch = bound(st.select_slider, "batch size", BATCH_SIZES, 0, key="opt_batch",
                                 format_func=lambda b: "full" if b == 0 else str(b))
        weight_decay = bound(st.select_slider, "weight decay (L2)", WEIGHT_DECAYS, 0.0, key="opt_wd")
    with section(sb, "device").expander("Device and speed", expanded=False):
        device = bound(st.radio, "device", list(DEVICE_LABELS), horizontal=True, key="dev",
                       format_func=DEVICE_LABELS.get, aliases={"GPU (none here)": "GPU"},
                       help="a CUDA GPU is available" if cuda_available() else
                       "no CUDA GPU here: GPU falls back to the CPU")
        speed = bound(st.slider, "steps per update", 1, 100, 10, key="speed")
    with sb.expander("Display", expanded=True):
        discretize = bound(st.toggle, "discretize the boundary", False, key="disp_discrete")
        show_test = bound(st.toggle, "show test points", True, key="disp_test")
        fade = bound(st.toggle, "fade far from the data", False, key="disp_fade",
                     help="dims the picture by distance from the training points, where no data back "
                          "the model's answer")
    sb.caption(MID_RUN)
    if points is not None:
        data = {"points": points, "seed": seed, "test_fraction": test_fraction, "label_noise": label_noise}
    else:
        data = {"name": name, "n": n, "noise": noise, "num_classes": k if takes_k(name) else None,
                "label_noise": label_noise, "test_fraction": test_fraction, "seed": seed}
        if gap is not None:
            data["gap"] = gap
    config = TrainConfig(hidden_layers=layers, units=units, activation=activation, optimizer=optimizer,
                         lr=lr, weight_decay=weight_decay, batch_size=batch, convention=convention,
                         device=device)
    return LiveSettings(data, config, value, speed, discretize, show_test, fade, kind)
