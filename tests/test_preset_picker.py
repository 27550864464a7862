"""The preset choice: a link's preset= or a pick in the sidebar sets the page's widgets, the page
that measures the preset judges its claim on the run on screen, and other pages say where it is
measured."""
import pytest

from playground.experiments import presets
from playground.ui.controls.preset_picker import widgets
from playground.ui.shell.navigation import PAGES
from tests.test_app import open_page
from tests.test_url import notices, open_with

pytestmark = pytest.mark.usefixtures("one_thread")
SLUGS = [p.split("/")[-1].removesuffix(".py") for p, _, _ in PAGES]


@pytest.mark.parametrize("name", list(presets.PRESETS))
def test_every_preset_sets_the_page_that_measures_it(name):
    preset = presets.get(name)
    values = widgets(preset, preset.page)
    assert values, name
    if preset.page == "sweep":
        assert {"sw_range", "sw_count", "sw_seeds", "sw_steps", "sw_units", "sw_lr"} <= set(values)


def test_a_preset_link_sets_the_sweep_and_judges_its_claim_on_that_run():
    at = open_with("app_pages/sweep.py", {"preset": "too_high"})
    assert not at.exception and not notices(at)
    config = presets.get("too_high").config
    assert at.session_state["sw_range"] == (0.1, 0.8) and at.session_state["sw_count"] == 2
    assert at.session_state["sw_n"] == config.dataset.n and at.session_state["sw_steps"] == config.steps
    box = (at.success or at.info)[0].value
    assert box.startswith("**Too high an ε.**")
    said = " ".join(m.value for m in at.markdown)
    assert "**Held-out evidence.** Holds on 10 seeds (held-out, seeds 100–109)" in said
    assert "**This run.** Test NLL is lower at ε = 0.1 than at ε = 0.8" in said and "agrees" in said
    assert at.get("vega_lite_chart")  # the dots, the interval and zero


def test_a_link_setting_beats_the_presets_and_the_page_says_the_claim_may_not_hold():
    at = open_with("app_pages/sweep.py", {"preset": "too_high", "sw_steps": "100"})
    assert at.session_state["sw_steps"] == 100 and at.session_state["sw_count"] == 2
    assert any("may not hold" in c.value for c in at.caption) and not at.success


def test_picking_a_preset_on_the_live_page_sets_its_widgets_and_points_to_the_sweep():
    at = open_page("app_pages/train.py")
    at.selectbox(key="preset").set_value("overconfident").run()
    assert not at.exception
    config = presets.get("overconfident").config
    assert at.session_state["ds_n"] == config.dataset.n and at.session_state["net_units"] == 64
    assert at.session_state["live"].engine.config.units == 64
    assert any("measured on the ε sweep page" in c.value for c in at.caption)


def test_presets_a_page_cannot_take_are_not_offered():
    at = open_page("app_pages/train.py")
    assert "regularisers" not in at.selectbox(key="preset").options
    assert "regularisers" in open_page("app_pages/alternatives.py").selectbox(key="preset").options


def test_the_overview_links_every_preset_to_its_page():
    links = [link.proto for link in open_page(PAGES[0][0]).get("page_link")]
    linked = {link.query_string.removeprefix("preset=") for link in links if "preset=" in link.query_string}
    assert linked == set(presets.PRESETS)


def test_picking_a_preset_on_a_page_without_settings_opens_its_page():
    at = open_page("app_pages/workshop.py")
    at.selectbox(key="preset_open").set_value("clean").run()
    assert not at.exception and at.title[0].value == "ε sweep"
    assert at.session_state["sw_n"] == presets.get("clean").config.dataset.n
