"""Every page driven by streamlit's AppTest, through the real entry point."""
import re

import pytest
from streamlit.testing.v1 import AppTest

from playground.core import smoothing
from playground.ui.shell.navigation import PAGES
from playground.ui.shell.settings import SETTINGS
from tests.conftest import APP_TIMEOUT_S

WIDGETS = ("slider", "select_slider", "selectbox", "radio", "multiselect", "number_input", "toggle",
           "checkbox")


def open_page(path: str) -> AppTest:
    at = AppTest.from_file("../app.py", default_timeout=APP_TIMEOUT_S)
    at.run()
    at.switch_page(path)
    return at.run()


@pytest.mark.parametrize("path", [p for p, _, _ in PAGES])
def test_every_page_runs_without_exception_and_draws_its_settings_as_the_table_declares(path):
    at = open_page(path)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title or at.header
    drawn = [(kind, w) for kind in WIDGETS for w in getattr(at, kind) if w.key in SETTINGS]
    assert drawn or path in ("app_pages/facilitator.py", "app_pages/server.py", "app_pages/workshop.py",
                             "app_pages/join.py")
    for kind, widget in drawn:
        setting = SETTINGS[widget.key]
        assert (kind, widget.label) == (setting.control, setting.label), widget.key
        if not setting.varies:  # at its default, as the table says
            value = widget.value
            expected = setting.default if setting.default is not None else widget.options[0]
            if isinstance(expected, tuple) and kind != "slider":
                expected = list(expected)
            assert value == expected, (widget.key, value, expected)


def as_read(markdown: str) -> str:
    """A message as a person reads it: the backslash escapes and zero-width spaces that keep echoed
    input plain removed."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u200b", "")


def metrics_of(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_home_numbers_come_from_the_library():
    at = open_page("app_pages/home.py")
    at.number_input(key="home_k").set_value(4)
    at.slider(key="home_eps").set_value(0.1)
    at.run()
    shown = metrics_of(at)
    assert shown["optimal logit gap log(q_t/q_o)"] == f"{smoothing.optimal_logit_gap(4, 0.1):.4f}" == "3.6109"
    assert shown["minimum loss H(q)"] == f"{smoothing.min_loss(4, 0.1):.4f}" == "0.3488"
    assert len(at.get("vega_lite_chart")) == 1


def test_home_warns_where_the_true_class_stops_being_largest():
    at = open_page("app_pages/home.py")
    at.slider(key="home_eps").set_value(0.0)
    at.run()
    assert metrics_of(at)["optimal logit gap log(q_t/q_o)"] == "∞"
    at.radio(key="home_conv").set_value("others")
    at.slider(key="home_eps").set_value(0.9)
    at.run()
    assert any("less than each other class" in w.value for w in at.warning)
    assert not at.exception


def test_home_at_the_far_end_of_the_others_convention_shows_no_negative_zero():
    at = open_page("app_pages/home.py")
    at.number_input(key="home_k").set_value(2)
    at.radio(key="home_conv").set_value("others")
    at.slider(key="home_eps").set_value(1.0)
    at.run()
    shown = metrics_of(at)
    assert shown["optimal logit gap log(q_t/q_o)"] == "−∞" and shown["minimum loss H(q)"] == "0.0000"


@pytest.mark.parametrize("path", ["app_pages/train.py", "app_pages/sweep.py", "app_pages/alternatives.py",
                                  "app_pages/representations.py", "app_pages/distillation.py"])
def test_every_training_page_offers_its_run_as_a_pytorch_script(path):
    at = open_page(path)
    assert not at.exception
    assert "PyTorch script" in [b.proto.label for b in at.get("download_button")]
