"""Simple mode and hide=: the named controls are not drawn, keep the link's values, and stay in
the shared link; a name the page does not have gets a notice."""
from tests.test_url import notices, open_with


def hiding_rules(at) -> str:
    """The rules playground.ui.visibility writes (the layout's own stylesheet hides other things)."""
    return "\n".join(h.proto.body for h in at.get("html") if "display: none !important" in h.proto.body)


def test_simple_mode_hides_the_advanced_sections_and_keeps_their_link_values():
    at = open_with("app_pages/train.py", {"simple": "1", "net_units": "64", "opt_lr": "0.1"})
    assert not at.exception
    rules = hiding_rules(at)
    for key in ("sec_network", "sec_optimizer", "sec_device", "ds_upload"):
        assert f".st-key-{key}" in rules
    assert ".st-key-ds_noise" not in rules  # data settings stay
    live = at.session_state["live"]
    assert live.engine.config.units == 64 and live.engine.config.lr == 0.1  # hidden, and still in effect
    assert "simple=1" in at.code[-1].value and "net_units=64" in at.code[-1].value  # the shared link


def test_simple_mode_on_the_sweep_page_hides_its_network_settings():
    rules = hiding_rules(open_with("app_pages/sweep.py", {"simple": "1"}))
    assert all(f".st-key-{k}" in rules for k in ("sw_layers", "sw_units", "sw_lr", "sw_upload"))


def test_hide_names_controls_and_sections():
    at = open_with("app_pages/train.py", {"hide": "ds_noise,network"})
    rules = hiding_rules(at)
    assert ".st-key-ds_noise" in rules and ".st-key-sec_network" in rules
    assert ".st-key-sec_optimizer" not in rules
    assert not notices(at)


def test_hiding_a_control_the_page_lacks_gets_a_notice():
    at = open_with("app_pages/labels.py", {"hide": "ds_noise"})
    assert any("ds_noise" in n and "does not have" in n for n in notices(at))


def test_a_bad_simple_value_gets_a_notice():
    at = open_with("app_pages/labels.py", {"simple": "maybe"})
    assert any("simple=maybe" in n for n in notices(at)) and not hiding_rules(at)
