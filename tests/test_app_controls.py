"""Every page, every choice that hides or shows another control: no exception on screen.

The list is not written down here: each page is opened and each of its choice controls (select
boxes, radios, segmented controls, toggles, checkboxes) is set to each of its options in turn; a
choice that changes which controls are drawn is one to walk. Then, for each such choice, the
control it hides is first given a value of its own through the link (the address bar then holds
it, as after a person moved it), the choice is made, and made back: the page must show no
exception, report nothing about the link, and give the control back its value. The same goes the
other way for the controls a choice shows. The preset pickers are left out: a preset sets a whole
configuration and trains it (tests/test_preset_picker.py covers them)."""
from __future__ import annotations

import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import ButtonGroup, Checkbox, Radio, Selectbox, Toggle

from playground.ui.shell.navigation import PAGES
from tests.test_url import notices, open_with

CHOICES = ("selectbox", "radio", "button_group", "toggle", "checkbox")
SKIP = {"preset", "preset_open"}
# small runs on the pages that train, so every choice trains in a moment
LINKS = {
    "app_pages/sweep.py": {"sw_steps": "100", "sw_seeds": "1", "sw_count": "2", "sw_n": "100"},
    "app_pages/calibration.py": {"sw_steps": "100", "sw_seeds": "1", "sw_count": "2", "sw_n": "100"},
    "app_pages/alternatives.py": {"alt_steps": "500", "alt_seeds": "1", "alt_n": "100"},
    "app_pages/representations.py": {"rep_steps": "300", "rep_seeds": "1", "rep_n": "300"},
    "app_pages/distillation.py": {"dst_steps": "500", "dst_seeds": "1", "dst_n": "200"},
}


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.exception]


def choices(at: AppTest) -> dict:
    return {w.key: w for kind in CHOICES for w in at.get(kind) if w.key and w.key not in SKIP}


def drawn(at: AppTest) -> set[str]:
    """The keys of the controls on screen."""
    kinds = (*CHOICES, "slider", "select_slider", "number_input", "multiselect", "text_input")
    return {w.key for kind in kinds for w in at.get(kind) if w.key}


def options(widget) -> list:
    """A choice's options as the browser spells them."""
    if isinstance(widget, (Toggle, Checkbox)):
        return [True, False]
    return list(widget.options)


def shown(widget):
    if isinstance(widget, (Toggle, Checkbox)):
        return widget.value
    if isinstance(widget, ButtonGroup):
        return widget.formatted_values[0] if widget.formatted_values else None
    return widget.options[widget.index] if widget.index is not None else None


_CHOSEN: dict[str, WidgetState] = {}  # widget id -> the state the next run reports for it


@pytest.fixture(autouse=True)
def by_label(monkeypatch):
    """Let `choose` report a choice by the label shown, as the browser does (a choice's values can
    be codes behind those labels, which AppTest's set_value would need)."""
    for cls in (Radio, Selectbox, ButtonGroup):
        plain = cls._widget_state
        monkeypatch.setattr(cls, "_widget_state", property(
            lambda self, plain=plain: _CHOSEN.get(self.id) or plain.fget(self)))
    yield
    _CHOSEN.clear()


def choose(at: AppTest, key: str, option) -> AppTest:
    """Set the choice `key` to `option` (a label, or a bool for a toggle) and run the page."""
    widget = choices(at)[key]
    if isinstance(widget, (Toggle, Checkbox)):
        widget.set_value(option)
    else:
        state = WidgetState(id=widget.id)
        if isinstance(widget, ButtonGroup):
            state.string_array_value.data[:] = [option]
        else:
            state.string_value = option
        _CHOSEN[widget.id] = state
    try:
        return at.run()
    finally:
        _CHOSEN.clear()


def spelled(widget) -> str | None:
    """A value for a link that differs from what `widget` shows; None when there is none."""
    kind = type(widget).__name__
    value = widget.value
    if kind in ("Slider", "NumberInput") and not isinstance(value, (tuple, list)):
        step = widget.step or 1  # one step along, as a person moves it
        other = value + step if value + step <= widget.max else value - step
        return None if other < widget.min else f"{other:g}"
    if kind == "SelectSlider" and not isinstance(value, (tuple, list)):
        labels = list(widget.options)
        now = widget.format_func(value) if widget.format_func else str(value)
        rest = [o for o in labels if o != str(now)]
        return rest[0] if rest else None
    if isinstance(widget, (Selectbox, Radio)):
        rest = [o for o in widget.options if o != shown(widget)]
        return rest[0] if rest else None
    return None


def hiding_choices(path: str) -> list[tuple[str, object, set[str], set[str]]]:
    """(choice, option, the controls it hides, the ones it shows) for every option of every choice
    on the page that changes which controls are drawn."""
    at = open_with(path, LINKS.get(path, {}))
    assert not errors(at), errors(at)
    before = drawn(at)
    found = []
    for key in list(choices(at)):
        widget = choices(at).get(key)
        if widget is None or widget.disabled:
            continue
        start = shown(widget)
        for option in options(widget):
            if option == start:
                continue
            choose(at, key, option)
            assert not errors(at), (path, key, option, errors(at))
            after = drawn(at)
            if after != before:
                found.append((key, option, before - after, after - before))
            if start is None or key not in choices(at):  # nothing to choose back: a fresh session
                at = open_with(path, LINKS.get(path, {}))
            else:
                choose(at, key, start)
                assert not errors(at), (path, key, start, errors(at))
    return found


def controls_by_key(at: AppTest) -> dict:
    kinds = ("slider", "select_slider", "number_input", "selectbox", "radio")
    return {w.key: w for kind in kinds for w in at.get(kind) if w.key}


def moved_first(path: str, link: dict, keys: set[str], key: str, option, back) -> None:
    """Open `link` with each of `keys` (the controls the choice will hide) at a value of its own,
    choose `option` for `key`, then `back` again: no exception, no notice, the values kept."""
    probe = open_with(path, link)
    bound = set(probe.session_state["_url_keys"])
    values = {k: spelled(w) for k, w in controls_by_key(probe).items() if k in keys & bound}
    values = {k: v for k, v in values.items() if v is not None}
    at = open_with(path, {**link, **values})
    assert not errors(at) and not notices(at), (path, values, errors(at), notices(at))
    kept = {k: controls_by_key(at)[k].value for k in values}
    choose(at, key, option)
    assert not errors(at), (path, key, option, values, errors(at))
    assert not notices(at), (path, key, option, notices(at))  # a hidden control's value is no stray
    choose(at, key, back)
    assert not errors(at), (path, key, back, errors(at))
    assert {k: controls_by_key(at)[k].value for k in values} == kept  # back with the values they had


@pytest.mark.parametrize("path", [p for p, _, _ in PAGES])
def test_every_choice_that_hides_a_control_leaves_no_exception(path):
    link = LINKS.get(path, {})
    walked = hiding_choices(path)
    for key, option, hidden, revealed in walked:
        default = shown(choices(open_with(path, link))[key])
        if default is None:  # a choice with nothing chosen at first cannot be chosen back
            continue
        if hidden:
            moved_first(path, link, hidden, key, option, default)
        if revealed:
            moved_first(path, {**link, key: str(option).lower() if isinstance(option, bool) else option},
                        revealed, key, default, option)
    known = {"app_pages/train.py": {"obj", "ds_name"}, "app_pages/sweep.py": {"sw_name"},
             "app_pages/calibration.py": {"sw_name"}, "app_pages/alternatives.py": {"alt_name"}}
    assert known.get(path, set()) <= {key for key, *_ in walked}, walked  # the walk finds the known ones
