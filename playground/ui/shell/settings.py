"""Every setting a link can carry: its key, the page that draws it, the control, the label, the
default and the allowed values. The controls draw a setting from here (`url.control`), the URL
code checks a link's values and words its notices from here, and docs/links.md is generated from
here (`python -m playground.ui.shell.settings`).

A setting whose values depend on the run (the ε values of a finished sweep, the points of the
live run) has `options` or `lo`/`hi` of None here, and `varies` says what they are; the page passes
them when it draws the control.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from playground.core import objectives
from playground.core.datasets import DATASETS, DEFAULT_GAP, MAX_CLASSES, MAX_GAP
from playground.core.smoothing import CONVENTIONS
from playground.engine.engine import ACTIVATIONS, OPTIMIZERS
from playground.experiments import compare, sweep
from playground.experiments.compare import objective_label
from playground.experiments.distillation import DistillConfig
from playground.experiments.tightening import TighteningConfig

RANGED = ("slider", "number_input")  # controls with lo, hi and a step
CHOSEN = ("select_slider", "selectbox", "radio", "multiselect", "segmented_control")  # with options


@dataclass(frozen=True)
class Setting:
    key: str  # the query parameter, and the widget's key
    page: str  # where it is drawn ("every page" for the preset)
    control: str  # the Streamlit widget: slider, select_slider, selectbox, ...
    label: str
    default: Any = None  # None: the control's own first value
    options: tuple | None = None
    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    varies: str = ""  # what the page passes, when the values depend on the run

    def arguments(self, **extra) -> tuple[tuple, dict]:
        """The control's positional and keyword arguments after its label; `extra` may give the
        values the table leaves to the page (options, lo, hi, default) and presentation keywords."""
        options = extra.pop("options", self.options)
        lo, hi = extra.pop("lo", self.lo), extra.pop("hi", self.hi)
        default = extra.pop("default", self.default)
        if self.control in RANGED:
            args = (lo, hi) if default is None else (lo, hi, default)
            if self.step is not None:
                extra.setdefault("step", self.step)
            return args, extra
        if self.control in ("toggle", "checkbox"):
            return (), {"value": bool(default), **extra}
        options = list(options)
        if self.control == "select_slider" and default is not None:
            extra["value"] = default
        elif self.control in ("selectbox", "radio") and default is not None:
            extra["index"] = options.index(default)
        elif self.control in ("multiselect", "segmented_control"):
            extra["default"] = default
        return (options,), extra

    def allowed(self) -> str:
        """The values a link may give, in words ("" when the run decides them)."""
        if self.varies:
            return self.varies
        if self.control in RANGED:
            return f"{self.lo:g} to {self.hi:g}" + (f", in steps of {self.step:g}" if self.step else "")
        if self.control in ("toggle", "checkbox"):
            return "true or false"
        values = ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in self.options)
        return ("any of " if self.control == "multiselect" else "one of ") + values

    def shown_default(self) -> str:
        value = self.default
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, (list, tuple)):
            return ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value) or "(none)"
        if value is None:
            return "set by the page" if self.varies else "the first value"
        return f"{value:g}" if isinstance(value, float) else str(value)


def _slider(key, page, label, lo, hi, default, step=None, control="slider") -> Setting:
    return Setting(key, page, control, label, default, lo=lo, hi=hi, step=step)


def _choice(key, page, control, label, options, default=None) -> Setting:
    return Setting(key, page, control, label, default, options=tuple(options))


def _dataset(prefix: str, page: str, default: str, k: int) -> tuple[Setting, ...]:
    return (_choice(f"{prefix}_name", page, "selectbox", "dataset", DATASETS, default),
            _slider(f"{prefix}_k", page, "classes K", 2, MAX_CLASSES, k))


def _targets(prefix: str, page: str) -> tuple[Setting, ...]:
    return (_slider(f"{prefix}_k", page, "classes K", 2, 20, 3, 1, control="number_input"),
            _slider(f"{prefix}_eps", page, "smoothing ε", 0.0, 1.0, 0.1, 0.01),
            _choice(f"{prefix}_conv", page, "radio", "convention", CONVENTIONS, CONVENTIONS[0]))


# objectives to put side by side, as links spell them (alt_objectives=smoothing+ε%3D0.1): every
# variant's examples, in the registry's order
OBJECTIVE_CHOICES = {objective_label(o.name, value): (o.name, value)
                     for o, v in objectives.VARIANTS.values() for value in v.examples}


def _objective_menu(key: str, page: str, label: str) -> Setting:
    return _choice(key, page, "multiselect", label, OBJECTIVE_CHOICES,
                   [objective_label(*pair) for pair in compare.DEFAULT_OBJECTIVES])


GAP_LABEL = "gap between classes 0 and 1"
LIVE_RATES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
_COMPARE = compare.CompareConfig()
_DISTIL = DistillConfig()
_TIGHT = TighteningConfig()

SETTINGS: dict[str, Setting] = {s.key: s for s in (
    Setting("preset", "every page", "selectbox", "preset", "none", varies="none, or a preset of this page"),
    # Overview and Smoothed labels: one target vector
    *_targets("home", "home"),
    *_targets("labels", "labels"),
    Setting("labels_curve_eps", "labels", "multiselect", "ε values",
            varies="any of 0, 0.05, 0.1, 0.2, 0.3 and the ε above"),
    _slider("labels_n", "labels", "batch size", 1, 64, 8),
    _slider("labels_seed", "labels", "seed", 0, 10_000, 0, control="number_input"),
    _slider("labels_w_true", "labels", "weight of the true class", 0.01, 100.0, 0.1, control="number_input"),
    _slider("labels_w_other", "labels", "weight of every other class", 0.01, 100.0, 0.9,
            control="number_input"),
    _slider("labels_ignored", "labels", "share of rows marked ignore_index", 0.0, 0.9, 0.25, 0.05),
    # Train live
    _choice("obj", "train", "selectbox", "the second model trains with", objectives.VARIANTS,
            next(iter(objectives.VARIANTS))),
    *(_slider(f"{v.code}_{o.parameter}", "train", v.value_label, v.lo, v.hi, v.default, v.step)
      for o, v in objectives.VARIANTS.values()),
    _choice("sm_conv", "train", "radio", "convention", CONVENTIONS, CONVENTIONS[0]),
    *_dataset("ds", "train", "moons", 3),
    _slider("ds_gap", "train", GAP_LABEL, 0.0, MAX_GAP, DEFAULT_GAP, 0.05),
    _slider("ds_n", "train", "points (train + test)", 50, 3000, 400, 50),
    _slider("ds_noise", "train", "noise", 0.0, 0.6, 0.2, 0.02),
    _slider("ds_label_noise", "train", "label noise (share of training labels flipped)", 0.0, 0.5, 0.0, 0.05),
    _slider("ds_test", "train", "test share", 0.1, 0.5, 0.3, 0.05),
    _slider("ds_seed", "train", "data seed", 0, 2**31 - 1, 0, control="number_input"),
    _slider("net_layers", "train", "hidden layers", 0, 6, 2),
    _choice("net_units", "train", "select_slider", "units per layer", (1, 2, 4, 8, 16, 32, 64, 128, 256), 16),
    _choice("net_act", "train", "selectbox", "activation", ACTIVATIONS, ACTIVATIONS[1]),
    _choice("opt_name", "train", "radio", "optimizer", OPTIMIZERS, OPTIMIZERS[0]),
    _choice("opt_lr", "train", "select_slider", "learning rate", LIVE_RATES, 0.03),
    _choice("opt_batch", "train", "select_slider", "batch size", (0, 8, 16, 32, 64, 128, 256), 0),
    _choice("opt_wd", "train", "select_slider", "weight decay (L2)", (0.0, 0.0001, 0.001, 0.01, 0.1), 0.0),
    _choice("dev", "train", "radio", "device", ("auto", "cpu", "cuda"), "auto"),
    _slider("speed", "train", "steps per update", 1, 100, 10),
    Setting("disp_discrete", "train", "toggle", "discretize the boundary", False),
    Setting("disp_test", "train", "toggle", "show test points", True),
    Setting("disp_fade", "train", "toggle", "fade far from the data", False),
    Setting("pick_index", "train", "number_input", "point index", varies="0 to the last point of the run"),
    # Gradients
    *_targets("grad", "gradients")[:1],
    _choice("grad_conv", "gradients", "radio", "convention", CONVENTIONS, CONVENTIONS[0]),
    _choice("grad_eps", "gradients", "multiselect", "ε values", (0.0, 0.05, 0.1, 0.2, 0.3, 0.5),
            (0.0, 0.1, 0.2)),
    _choice("grad_view", "gradients", "segmented_control", "draw", ("p", "gap", "signed"), "p"),
    _objective_menu("grad_objectives", "gradients", "objectives"),
    _choice("grad_ds", "gradients", "selectbox", "dataset", DATASETS, "moons"),
    _slider("grad_model_eps", "gradients", "ε of the smoothed model", 0.01, 0.5, 0.2, 0.01),
    _choice("grad_lr", "gradients", "select_slider", "learning rate (Adam)", (0.003, 0.01, 0.03, 0.1), 0.03),
    _choice("grad_steps", "gradients", "multiselect", "snapshot steps", (10, 100, 300, 1000, 3000),
            (10, 300, 3000)),
    # ε sweep and Calibration (one sweep, read by both)
    *_dataset("sw", "sweep", "moons", 3),
    _slider("sw_gap", "sweep", GAP_LABEL, 0.0, MAX_GAP, DEFAULT_GAP, 0.05),
    _slider("sw_n", "sweep", "points (train + held out)", 100, 3000, 1000, 100),
    _slider("sw_noise", "sweep", "noise", 0.0, 0.6, 0.2, 0.02),
    _slider("sw_label_noise", "sweep", "label noise (training labels flipped)", 0.0, 0.5, 0.0, 0.05),
    Setting("sw_compare", "sweep", "checkbox", "also run without label noise, to compare", True),
    _slider("sw_range", "sweep", "ε range", 0.0, 1.0, (0.0, 0.5), 0.05),
    _slider("sw_count", "sweep", "ε values", 2, sweep.MAX_EPS, 11),
    _slider("sw_seeds", "sweep", "seeds", 1, sweep.MAX_SEEDS, 3),
    _choice("sw_steps", "sweep", "select_slider", "steps", (100, 200, 500, 1000, 2000, 5000), 500),
    _slider("sw_layers", "sweep", "hidden layers", 0, 6, 2),
    _choice("sw_units", "sweep", "select_slider", "units", (4, 8, 16, 32, 64, 128), 16),
    _choice("sw_act", "sweep", "selectbox", "activation", ACTIVATIONS, ACTIVATIONS[1]),
    _choice("sw_lr", "sweep", "select_slider", "learning rate (Adam)", (0.001, 0.003, 0.01, 0.03, 0.1), 0.01),
    Setting("sw_scrub", "sweep", "select_slider", "ε scrubber", varies="one of the sweep's ε values"),
    Setting("cal_eps", "calibration", "multiselect", "ε values to draw",
            varies="any of the sweep's ε values"),
    # Alternatives
    _choice("alt_view", "alternatives", "segmented_control", "compare", ("objectives", "regularisers"),
            "objectives"),
    *_dataset("alt", "alternatives", _COMPARE.dataset.name, _COMPARE.dataset.num_classes),
    _slider("alt_n", "alternatives", "points (train + held out)", 100, 3000, _COMPARE.dataset.n, 50),
    _slider("alt_noise", "alternatives", "noise", 0.0, 0.6, _COMPARE.dataset.noise, 0.05),
    _slider("alt_label_noise", "alternatives", "label noise (training labels flipped)", 0.0, 0.5, 0.0, 0.05),
    _objective_menu("alt_objectives", "alternatives", "objectives (up to 6)"),
    _choice("alt_eps", "alternatives", "select_slider", "ε for the regulariser comparison",
            (0.05, 0.1, 0.2, 0.3), 0.1),
    _choice("alt_wd", "alternatives", "select_slider", "weight decay there",
            (1e-4, 3e-4, 1e-3, 3e-3, 1e-2), 1e-3),
    _choice("alt_dropout", "alternatives", "select_slider", "dropout there", (0.1, 0.2, 0.3, 0.5), 0.2),
    _slider("alt_seeds", "alternatives", "seeds", 1, 10, _COMPARE.seeds),
    _choice("alt_steps", "alternatives", "select_slider", "steps", (500, 1000, 2000, 3000, 5000),
            _COMPARE.steps),
    _choice("alt_units", "alternatives", "select_slider", "units (2 hidden layers)", (8, 16, 32, 64),
            _COMPARE.train.units),
    _choice("alt_lr", "alternatives", "select_slider", "learning rate (Adam)", (0.003, 0.01, 0.03),
            _COMPARE.train.lr),
    # Representations
    *_dataset("rep", "representations", _TIGHT.dataset.name, _TIGHT.dataset.num_classes),
    _slider("rep_n", "representations", "points (train + test)", 300, 3000, _TIGHT.dataset.n, 100),
    _slider("rep_noise", "representations", "noise", 0.0, 0.6, _TIGHT.dataset.noise, 0.05),
    _choice("rep_classes", "representations", "multiselect", "three classes to draw", range(10),
            _TIGHT.classes),
    _slider("rep_eps", "representations", "ε of the smoothed model", 0.01, 0.5, _TIGHT.eps, 0.01),
    _slider("rep_seeds", "representations", "seeds", 1, 10, _TIGHT.seeds),
    _choice("rep_steps", "representations", "select_slider", "steps", (300, 1000, 1500, 3000), _TIGHT.steps),
    Setting("rep_step", "representations", "select_slider", "training step",
            varies="one of the steps the run recorded"),
    # Distillation
    *_dataset("dst", "distillation", _DISTIL.dataset.name, _DISTIL.dataset.num_classes or 3),
    _slider("dst_n", "distillation", "points (train + test)", 200, 3000, _DISTIL.dataset.n, 100),
    _slider("dst_noise", "distillation", "noise", 0.0, 0.6, _DISTIL.dataset.noise, 0.05),
    _choice("dst_eps", "distillation", "multiselect", "teachers' ε", (0.0, 0.05, 0.1, 0.2, 0.3, 0.5),
            _DISTIL.eps),
    _choice("dst_t", "distillation", "multiselect", "temperatures T", (1.0, 2.0, 4.0, 8.0),
            _DISTIL.temperatures),
    _slider("dst_alpha", "distillation", "α, the soft targets' share of the student's loss", 0.0, 1.0,
            _DISTIL.alpha, 0.1),
    _slider("dst_seeds", "distillation", "seeds", 1, 10, _DISTIL.seeds),
    _choice("dst_steps", "distillation", "select_slider", "steps (each engine)",
            (500, 1000, 1500, 2000, 3000),
            _DISTIL.steps),
    Setting("dst_pick_eps", "distillation", "select_slider", "teacher's ε",
            varies="one of the run's teachers' ε"),
    Setting("dst_pick_t", "distillation", "select_slider", "temperature T",
            varies="one of the run's temperatures"),
    # Workshop
    Setting("station", "workshop", "segmented_control", "station", 1, varies="a station's number"),
)}


def default(key: str):
    """A setting's default, as the control starts."""
    return SETTINGS[key].default


def markdown() -> str:
    """docs/links.md: every setting a link can carry."""
    lines = ["# Settings in links", "",
             "Generated by `python -m playground.ui.shell.settings` from `playground/ui/shell/settings.py`; "
             "a test compares the two. Every control below is bound to the query parameter named by its "
             "key, so the address bar always holds the current view and a link opens it again: "
             "`/sweep?sw_n=2000&sw_seeds=5`. A value left at its default is not written. A value a "
             "control cannot take (out of range, not one of its choices, not a number) is replaced by "
             "the default, and the page says so; a parameter no control of the page uses is reported "
             "and dropped.", "",
             "| key | page | control | label | default | allowed |", "|---|---|---|---|---|---|"]
    for s in SETTINGS.values():
        lines.append(f"| `{s.key}` | {s.page} | {s.control.replace('_', ' ')} | {s.label} | "
                     f"{s.shown_default()} | {s.allowed()} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
