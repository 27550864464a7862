"""Shareable views: every setting lives in the URL, and a bad URL value gets a visible notice.

Widgets are bound to query parameters (their key is the parameter name), so the address bar
always holds the current view, and Streamlit keeps only the values that differ from the
default there. Streamlit drops a link's value it cannot use and falls back to the widget's
default; `bound` notices that happened and says so, whatever the reason (malformed, out of
range, NaN or inf, an unknown option). Parameters no widget on the page knows are reported and
removed once the page has run.

`bound` is the only place that binds a widget to the URL, and it records every key it has ever
bound in the session. A control can vanish (focal loss has no ε; moons has no K): its parameter
is then still bound to the widget until the run ends, when Streamlit itself unbinds it and takes
it out of the address, keeping the value for when the control comes back. So `finish_page`
removes only parameters that were never bound in this session, which no widget can own;
deleting a bound one is what Streamlit refuses with an exception.
"""
from __future__ import annotations

import math
from urllib.parse import urlencode

import streamlit as st

from playground.ui import streamlit_internals as internals
from playground.ui.shell.plain import quoted
from playground.ui.shell.settings import SETTINGS

_BOX = "_url_notice_box"
_COUNT = "_url_notices"  # notices given in this run
MAX_NOTICES = 5
_KEYS = "_url_keys"  # bound parameter -> its value as the URL spells it, or None at the default
_EVER = "_url_ever_bound"  # every parameter `bound` has bound in this session, on any page


def start_page() -> None:
    """Call before the page runs: a place at the top for notices, a fresh key register, and
    the link's non-finite numbers (nan, inf, 1e400) removed before any widget reads them."""
    st.session_state[_BOX] = st.container()
    st.session_state[_KEYS] = {}
    st.session_state[_COUNT] = 0
    for key in [k for k in st.query_params if any(map(_non_finite, st.query_params.get_all(k)))]:
        notice(f"The link's value {quoted(f'{key}=' + '&'.join(st.query_params.get_all(key)))} is not a "
               "finite number; using the default instead.")
        _rewrite(key, None)


def _rewrite(key: str, values: list[str] | None) -> None:
    """Replace (or with None remove) a link's parameter before its widget binds: Streamlit's integer
    inputs crash on an infinite URL value, and old links spelled options by their long labels.
    Where the private rewrite is not available, the public query parameters are changed (the
    widget may then still see the link's first value; the notice says what happened)."""
    if internals.rewrite_query_param(key, values):
        return
    try:
        if values is None:
            st.query_params.pop(key, None)
        else:
            st.query_params[key] = values if len(values) > 1 else values[0]
    except Exception:  # noqa: BLE001 (outside a run there is no URL to change)
        pass


def _in_fragment_rerun() -> bool:
    """True while a fragment reruns on its own: then only its own container can be written to."""
    return bool(internals.fragments_this_run())


def notice(text: str) -> None:
    """A warning about the link: at the top of the page, or in place when a fragment reruns alone
    (the box at the top belongs to the last full run and is out of the fragment's reach). At most
    MAX_NOTICES a full run: a link of 300 bad parameters gets a few warnings and a count (the
    count is reset by each full run only, so a fragment's notices are not counted)."""
    box = st.session_state.get(_BOX)
    if box is None or _in_fragment_rerun():
        st.warning(text, icon=":material/link_off:")
        return
    count = st.session_state[_COUNT] = st.session_state.get(_COUNT, 0) + 1
    if count <= MAX_NOTICES:
        box.warning(text, icon=":material/link_off:")


def _same(value, raw: list[str], fmt) -> bool:
    if isinstance(value, bool):
        return len(raw) == 1 and raw[0].lower() == str(value).lower()
    if isinstance(value, (tuple, list)):
        if raw == [""]:  # how the URL spells a cleared multiselect
            return list(value) == []
        if isinstance(value, tuple):  # a range slider: two numbers
            return len(raw) == len(value) and all(_same(v, [r], fmt) for v, r in zip(value, raw))
        return sorted(fmt(v) for v in value) == sorted(raw)
    if fmt is str and isinstance(value, (int, float)):
        try:
            number = float(raw[0])
        except ValueError:
            return False
        return len(raw) == 1 and math.isfinite(number) and number == value
    return len(raw) == 1 and fmt(value) == raw[0]


def _non_finite(text: str) -> bool:
    try:
        return not math.isfinite(float(text))
    except ValueError:
        return False


def _spell(value, fmt) -> list[str]:
    if isinstance(value, bool):
        return [str(value).lower()]
    if isinstance(value, tuple):
        return [str(v) for v in value]
    if isinstance(value, list):
        return [fmt(v) for v in value]
    return [fmt(value)]


def _default(widget, args: tuple, kwargs: dict):
    """The value `widget` shows when neither the link nor the session chose one, read from the
    same arguments Streamlit reads it from."""
    name = widget.__name__
    if name in ("slider", "number_input"):  # (label, min, max, value, step)
        return kwargs.get("value", args[2] if len(args) > 2 else (args[0] if args else None))
    if name == "select_slider":  # (label, options, value)
        return kwargs.get("value", args[1] if len(args) > 1 else list(args[0])[0])
    if name in ("selectbox", "radio"):  # (label, options, index)
        return list(args[0])[kwargs.get("index", 0)]
    if name in ("toggle", "checkbox"):
        return kwargs.get("value", args[0] if args else False)
    if name == "multiselect":
        return list(kwargs.get("default") or [])
    if name == "segmented_control":
        return kwargs.get("default")
    raise ValueError(f"widget={name!r} cannot be bound to the URL; allowed: slider, number_input, "
                     "select_slider, selectbox, radio, toggle, checkbox, multiselect, segmented_control")


def control(key: str, container=None, **extra):
    """Draw the setting `key` as SETTINGS declares it (control, label, default, allowed values),
    bound to the URL, in `container` (st by default). `extra`: the values the table leaves to the
    page (options, lo, hi, a default that depends on the run) and presentation (help, format_func)."""
    setting = SETTINGS[key]
    args, kwargs = setting.arguments(**extra)
    return bound(getattr(container or st, setting.control), setting.label, *args, key=key, **kwargs)


def bound(widget, label: str, *args, key: str, aliases: dict[str, str] | None = None, **kwargs):
    """Create `widget` (e.g. st.slider or a container's) bound to the query parameter `key`.

    A link's value is checked only when the widget is new to the session, the one time Streamlit
    seeds it from the link; later the value comes from the session (a click, or code such as an
    animation setting it) and the URL follows. `aliases` maps old spellings of an option in links
    to today's, so old links still open the same view."""
    if key not in SETTINGS:
        raise ValueError(f"key={key!r} is not a setting; allowed: the keys of ui/shell/settings.SETTINGS")
    fresh = key not in st.session_state
    raw = st.query_params.get_all(key) if fresh else []
    if aliases and any(r in aliases for r in raw):
        raw = [aliases.get(r, r) for r in raw]
        _rewrite(key, raw)
    st.session_state.setdefault(_EVER, set()).add(key)  # before binding: the widget may raise
    value = widget(label, *args, key=key, bind="query-params", **kwargs)
    fmt = kwargs.get("format_func") or str
    spelled = _spell(value, fmt)
    is_default = spelled == _spell(_default(widget, args, kwargs), fmt)
    st.session_state.setdefault(_KEYS, {})[key] = None if is_default else spelled
    if raw and not _same(value, raw, fmt):
        shown = ", ".join(map(fmt, value)) if isinstance(value, list) else (
            " to ".join(map(str, value)) if isinstance(value, tuple) else fmt(value))
        allowed = SETTINGS[key].allowed()
        notice(f"The link's value {quoted(f'{key}=' + '&'.join(raw))} is not a valid {label}"
               f"{f' ({allowed})' if allowed else ''}; using {quoted(shown)} instead.")
    return value


def keep(key: str, spelled: list[str]) -> None:
    """Keep a parameter no widget binds (such as simple=1) in the link and the shared address."""
    st.session_state.setdefault(_KEYS, {})[key] = spelled


def known_keys() -> set[str]:
    """The parameters bound on this page so far."""
    return set(st.session_state.get(_KEYS, {}))


def check_address(page, pages) -> None:
    """Say so when the address names no page (/nonexistent, /TRAIN): Streamlit quietly shows the
    default page instead."""
    asked = (st.context.url or "").split("?")[0].rstrip("/").rsplit("/", 1)[-1]
    known = {p.url_path for p in pages}
    if asked and asked != page.url_path and asked not in known and ":" not in asked:
        like = [p for p in known if p and p.lower() == asked.lower()]
        hint = f" Did you mean {quoted('/' + like[0])}?" if like else ""
        notice(f"There is no page at {quoted('/' + asked)}; this is the {page.title} page.{hint}")


def ever_bound() -> set[str]:
    """Every parameter a widget has been bound to in this session: never deleted by hand."""
    return set(st.session_state.get(_EVER, ()))


def unused(params, known, bound_before) -> list[str]:
    """The link's parameters to report and drop: used by no control drawn this run (`known`) and
    never bound to one (`bound_before`). A parameter of a control not drawn this run is left to
    Streamlit, which unbinds it at the end of the run."""
    return [k for k in params if k not in known and k not in bound_before]


def finish_page() -> None:
    """After the page ran: report and drop the parameters no widget on it uses."""
    known = st.session_state.get(_KEYS, {})
    for key in unused(st.query_params, known, ever_bound()):
        where = SETTINGS[key].page if key in SETTINGS else None
        why = f"is a setting of the {where} page, not this one" if where and where != "every page" else \
            "is not used on this page"
        notice(f"The link's parameter {quoted(f'{key}=' + st.query_params.get(key))} {why}; it was ignored.")
        del st.query_params[key]
    hidden = st.session_state.get(_COUNT, 0) - MAX_NOTICES
    if hidden > 0:
        box = st.session_state.get(_BOX)
        (box if box is not None else st).warning(
            f"…and {hidden} more problems with the link, not shown.", icon=":material/link_off:")


def share_link() -> None:
    """The current view's address with only the settings that differ from the defaults, as the
    address bar shows it, with a copy button."""
    base = (st.context.url or "").split("?")[0]
    values = st.session_state.get(_KEYS, {})
    # None: at its default, left out; []: a cleared choice, spelled "key=" as the address bar does
    query = urlencode([(key, v) for key, spelled in values.items() if spelled is not None
                       for v in spelled or [""]])
    st.caption("Link to this view")
    st.code(f"{base}?{query}" if query else base or "(this page, default settings)", language=None,
            wrap_lines=True)
