"""A preset choice on every page. Picking one sets the page's widgets (and so the URL) to the
preset's configuration; a link's `preset=name` does the same for the settings the link leaves
out. On the page that measures the preset's claim, the claim is judged on the run on screen."""
from __future__ import annotations

import streamlit as st

from playground.core.datasets import DatasetSpec, is_table, takes_k
from playground.experiments import claims, presets, sweep
from playground.experiments.compare import CompareConfig, objective_label, regulariser_recipes
from playground.experiments.evidence import models_frame
from playground.experiments.sweep import SweepConfig
from playground.experiments.tightening import TighteningConfig
from playground.ui.shell.settings import OBJECTIVE_CHOICES
from playground.ui.shell.url import control
from playground.views.evidence_chart import evidence_chart

NONE = "none"
# the page whose own run measures a preset's claim, by the preset's kind of configuration
MEASURED_ON = {"sweep": "ε sweep", "alternatives": "Alternatives", "representations": "Representations"}
_LINKED = "_preset_linked"  # the link's preset as last seen, to tell a new link from a pick
_APPLIED = "_preset_applied"  # page -> the preset whose values were set there, and those values


def _data(prefix: str, dataset: DatasetSpec, extra: tuple[str, ...] = ("label_noise",)) -> dict:
    shape = ("name",) if is_table(dataset.name) else ("name", "n", "noise")  # a table has no n or noise
    values = {f"{prefix}_{field}": getattr(dataset, field) for field in shape}
    if takes_k(dataset.name) and dataset.num_classes:
        values[f"{prefix}_k"] = dataset.num_classes
    if dataset.gap is not None and prefix in ("sw", "ds"):
        values[f"{prefix}_gap"] = dataset.gap
    if "label_noise" in extra:
        values[f"{prefix}_label_noise"] = dataset.label_noise
    return values


def _sweep_widgets(config: SweepConfig) -> dict:
    lo, hi = min(config.eps), max(config.eps)
    values = {**_data("sw", config.dataset), "sw_seeds": config.seeds, "sw_steps": config.steps,
              "sw_layers": config.train.hidden_layers, "sw_units": config.train.units,
              "sw_act": config.train.activation, "sw_lr": config.train.lr}
    if tuple(sweep.eps_grid(lo, hi, len(config.eps))) == tuple(config.eps):
        values.update(sw_range=(lo, hi), sw_count=len(config.eps))
    return values


def _live_widgets(config: SweepConfig) -> dict:
    values = {**_data("ds", config.dataset), "net_layers": config.train.hidden_layers,
              "net_units": config.train.units, "net_act": config.train.activation, "opt_lr": config.train.lr}
    eps = max(config.eps)
    if 0 < eps <= 1:
        values.update(obj="label smoothing", sm_eps=eps)
    return values


def _compare_widgets(config: CompareConfig) -> dict:
    values = {**_data("alt", config.dataset), "alt_seeds": config.seeds, "alt_steps": config.steps,
              "alt_units": config.train.units, "alt_lr": config.train.lr}
    smoothing = [r for r in config.recipes if r.kind == "smoothing" and r.value > 0]
    decay = [r.weight_decay for r in config.recipes if r.weight_decay > 0]
    dropout = [r.dropout for r in config.recipes if r.dropout > 0]
    if smoothing and decay and dropout:
        eps, wd, rate = smoothing[0].value, decay[0], dropout[0]
        if config.recipes == regulariser_recipes(eps, wd, rate):
            values.update(alt_view="regularisers", alt_eps=eps, alt_wd=wd, alt_dropout=rate)
    elif not decay and not dropout:
        labels = [objective_label(r.kind, r.value) for r in config.recipes]
        if all(label in OBJECTIVE_CHOICES for label in labels):
            values.update(alt_view="objectives", alt_objectives=labels)
    return values


def _representation_widgets(config: TighteningConfig) -> dict:
    return {**_data("rep", config.dataset, extra=()), "rep_classes": list(config.classes),
            "rep_eps": config.eps, "rep_seeds": config.seeds, "rep_steps": config.steps}


def widgets(preset: presets.Preset, page: str) -> dict | None:
    """The widget values that put `page` (its URL path) on `preset`; None when the preset has no
    meaning there."""
    config = preset.config
    if isinstance(config, SweepConfig):
        k = config.dataset.num_classes or 2
        eps = max(config.eps)
        by_page = {"sweep": _sweep_widgets, "calibration": _sweep_widgets, "train": _live_widgets,
                   "labels": lambda c: {"labels_k": k, "labels_eps": eps},
                   "gradients": lambda c: {"grad_k": k, "grad_model_eps": min(max(eps, 0.01), 0.5)},
                   "distillation": lambda c: _data("dst", c.dataset, extra=())}
        return by_page[page](config) if page in by_page else None
    if isinstance(config, CompareConfig) and page == "alternatives":
        return _compare_widgets(config)
    if isinstance(config, TighteningConfig) and page == "representations":
        return _representation_widgets(config)
    return None


def _apply(page: str, name: str, skip: frozenset = frozenset()) -> None:
    values = widgets(presets.get(name), page) or {}
    for key, value in values.items():
        if key not in skip:
            st.session_state[key] = value
    st.session_state.setdefault(_APPLIED, {})[page] = (name, values)


def _picked(page: str) -> None:
    name = st.session_state.get("preset", NONE)
    if name != NONE and page in PAGES_WITH_WIDGETS:
        _apply(page, name)


PAGES_WITH_WIDGETS = ("sweep", "calibration", "train", "labels", "gradients", "distillation", "alternatives",
                      "representations")


def _spelled(name: str) -> str:
    """How the menu and links spell a preset: preset=label+noise (links may also say label_noise)."""
    return name.replace("_", " ")


HELP = "a configuration that demonstrates one claim about label smoothing"


def preset_picker(page: str) -> presets.Preset | None:
    """The sidebar's preset choice for `page` (its URL path); returns the preset in effect. On pages
    without settings of their own, picking one opens the page that measures it."""
    if page not in PAGES_WITH_WIDGETS:
        _open_menu()
        return None
    options = [NONE, *(name for name, p in presets.PRESETS.items() if widgets(p, page) is not None)]
    linked = st.query_params.get("preset")
    if linked != st.session_state.get(_LINKED):  # a link or page link named a preset: it wins
        st.session_state.pop("preset", None)
    name = control("preset", st.sidebar, options=options, on_change=_picked, args=(page,),
                   format_func=_spelled, aliases={n: _spelled(n) for n in presets.PRESETS},
                   help=f"{HELP}; picking one sets this page's settings")
    st.session_state[_LINKED] = st.query_params.get("preset")
    if name == NONE:
        return None
    st.sidebar.caption(presets.get(name).title)
    if st.session_state.get(_APPLIED, {}).get(page, (None,))[0] != name:
        # opened from a link, or carried over from another page: the link's own settings win
        _apply(page, name, skip=frozenset(st.query_params))
    return presets.get(name)


def _open_menu() -> None:
    """On a page without settings: the preset menu opens the page that measures the pick."""
    name = st.sidebar.selectbox("preset", [NONE, *presets.PRESETS], key="preset_open", format_func=_spelled,
                                help=f"{HELP}; picking one opens the page that measures it")
    if name != NONE:
        del st.session_state["preset_open"]
        st.switch_page(_home_of(presets.get(name)), query_params={"preset": name})


def current_preset() -> presets.Preset | None:
    """The preset picked in the sidebar, if any."""
    name = st.session_state.get("preset", NONE)
    return None if name == NONE else presets.PRESETS.get(name)


def _home_of(preset: presets.Preset) -> str:
    """The page that measures the preset's claim, as st.switch_page names it."""
    return f"app_pages/{preset.page}.py"


def preset_note(preset: presets.Preset | None, page: str) -> bool:
    """Under the page's title: which preset is in effect and whether the settings still match it.
    True when they match and this page measures the preset's claim."""
    if preset is None:
        return False
    _, values = st.session_state.get(_APPLIED, {}).get(page, (None, {}))
    changed = [k for k, v in values.items() if _differs(st.session_state.get(k), v)]
    measured_here = preset.page == page
    if changed:
        st.caption(f"Preset **{preset.title}**: you changed some of its settings, so its claim may not hold "
                   "here.")
        return False
    if not measured_here:
        st.caption(f"Preset **{preset.title}** applied. Its claim is measured on the "
                   f"{MEASURED_ON[preset.page]} page.")
        return False
    return True


def _differs(current, wanted) -> bool:
    if isinstance(wanted, (tuple, list)):
        return current is None or list(current) != list(wanted)
    return current != wanted


def show_claim(preset: presets.Preset, models) -> None:
    """The preset's claims: the held-out evidence (effect, interval, seeds, and a picture of every
    paired difference), and whether the run on screen agrees with it."""
    held = [claims.stored(claim) for claim in preset.claims]
    own = [claim.compare(models) for claim in preset.claims]
    supported = all(e is not None and e.holds for e in held)
    agrees = supported and all(o.verdict == claims.HOLDS for o in own)
    box = (st.success if agrees else st.info)
    box(f"**{preset.title}.** {preset.claim}\n\n{preset.why}",
        icon=":material/science:" if supported else ":material/help:")
    for evidence, mine in zip(held, own):
        if evidence is None:
            st.warning("No held-out evidence is stored for this claim yet: run "
                       "`python -m playground.experiments.evidence --write`.", icon=":material/science:")
            continue
        st.markdown(f"**Held-out evidence.** {evidence.sentence()}")
        show_evidence(evidence)
        st.markdown(f"**This run.** {mine.sentence()} {claims.agreement(mine, evidence)}")


def show_evidence(evidence) -> None:
    """One claim's paired differences as dots, their interval as a bar and zero as a rule."""
    c = evidence.comparison
    _, low, high = c.interval
    st.altair_chart(evidence_chart(evidence), width="content")
    st.caption(f"Each dot is one seed's {c.metric} {claims.at(c.a_name)} minus {claims.at(c.b_name)}; the "
               f"bar is the {claims.INTERVAL} of their mean ({claims.number(low)} to "
               f"{claims.number(high)}), the dashed line zero.")


def preset_claim(page: str, result=None) -> None:
    """Under the page's title, the preset in effect; where this page's run (`result`) measures its
    claims, their held-out evidence and whether this run agrees."""
    preset = current_preset()
    if preset_note(preset, page) and result is not None:
        show_claim(preset, models_frame(result))


def show_presets() -> None:
    """Every preset as a link to the page that measures it."""
    columns = st.columns(2)
    for i, (name, preset) in enumerate(presets.PRESETS.items()):
        columns[i % 2].page_link(_home_of(preset), label=preset.title.split(":")[0],
                                 query_params={"preset": name}, icon=":material/science:",
                                 help=f"opens the {MEASURED_ON[preset.page]} page on this preset")
