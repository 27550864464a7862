"""Shareable links: settings round-trip through the URL; bad values get a notice, never a traceback."""
import random
import re
import string
from urllib.parse import parse_qs

import pytest
from streamlit.testing.v1 import AppTest

from playground.ui.controls.common import CONVENTION_CAPTIONS
from playground.ui.shell.navigation import PAGES
from tests.conftest import APP_TIMEOUT_S
from tests.test_app import as_read, open_page


def open_with(path: str, params: dict) -> AppTest:
    """A fresh session that opens `path` from a link carrying `params`."""
    at = AppTest.from_file("../app.py", default_timeout=APP_TIMEOUT_S)
    if path != PAGES[0][0]:  # another page: land on the default page first, then follow the link
        at.run()
        at.switch_page(path)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def notices(at: AppTest) -> list[str]:
    return [w.value for w in at.warning if "link" in w.value]


def test_a_copied_link_reproduces_the_view():
    at = open_page("app_pages/train.py")
    at.selectbox(key="ds_name").set_value("spirals")
    at.slider(key="sm_eps").set_value(0.35)
    at.select_slider(key="opt_lr").set_value(0.1)
    at.radio(key="opt_name").set_value("sgd")
    at.toggle(key="disp_discrete").set_value(True)
    at.run()
    link = at.code[-1].value
    assert link.startswith("?") and "sm_eps=0.35" in link and "ds_name=spirals" in link
    params = {k: v if len(v) > 1 else v[0] for k, v in parse_qs(link[1:]).items()}
    again = open_with("app_pages/train.py", params)
    assert not again.exception and not notices(again)
    run = again.session_state["live"]
    assert run.data.name == "spirals" and run.objective_value == 0.35
    assert run.engine.config.lr == 0.1 and run.engine.config.optimizer == "sgd"
    assert again.toggle(key="disp_discrete").value is True


def test_the_link_holds_only_what_differs_from_the_defaults():
    at = open_page("app_pages/train.py")
    assert "?" not in at.code[-1].value  # every setting at its default: a bare address
    at.slider(key="sm_eps").set_value(0.35)
    at.radio(key="sm_conv").set_value("others")
    at.radio(key="opt_name").set_value("sgd")
    at.run()
    link = at.code[-1].value
    expected = {"sm_eps": ["0.35"], "sm_conv": ["others"], "opt_name": ["SGD"]}
    assert parse_qs(link.split("?", 1)[1]) == expected
    at.slider(key="sm_eps").set_value(0.2).run()  # back to its default: gone from the link
    assert "sm_eps" not in at.code[-1].value


@pytest.mark.parametrize("path,params,good", [
    ("app_pages/home.py", {"home_k": "4", "home_eps": "0.3", "home_conv": "others"},
     {"home_k": 4, "home_eps": 0.3, "home_conv": "others"}),
    # links from before options had short codes spelled them by their labels
    ("app_pages/home.py", {"home_conv": f"others: {CONVENTION_CAPTIONS['others']}"}, {"home_conv": "others"}),
    ("app_pages/train.py", {"sm_conv": f"others: {CONVENTION_CAPTIONS['others']}",
                        "opt_name": "SGD (momentum 0.9)", "ds_name": "gaussian quantiles",
                        "dev": "GPU (none here)"},
     {"sm_conv": "others", "opt_name": "sgd", "ds_name": "gaussian_quantiles", "dev": "cuda"}),
    ("app_pages/labels.py", {"labels_k": "5", "labels_n": "16"}, {"labels_k": 5, "labels_n": 16}),
    ("app_pages/gradients.py", {"grad_k": "4", "grad_model_eps": "0.1"},
     {"grad_k": 4, "grad_model_eps": 0.1}),
])
def test_valid_links_apply(path, params, good):
    at = open_with(path, params)
    assert not at.exception and not notices(at)
    for key, value in good.items():
        assert at.session_state[key] == value


@pytest.mark.parametrize("value", ["abc", "nan", "inf", "-inf", "1e400", "-5", "99", "0.37x", ""])
def test_bad_values_fall_back_to_the_default_with_a_notice(value):
    at = open_with("app_pages/train.py", {"sm_eps": value, "opt_lr": value})
    assert not at.exception, [e.value for e in at.exception]
    run = at.session_state["live"]
    assert run.objective_value == 0.2 and run.engine.config.lr == 0.03  # the defaults
    if value:  # an empty parameter is simply absent
        shown = " ".join(notices(at))
        assert "sm_eps=" in shown and "opt_lr=" in shown and "using" in shown


def test_unknown_options_and_parameters_are_reported_and_dropped():
    at = open_with("app_pages/train.py", {"ds_name": "galaxies", "net_act": "swish", "utm_source": "x"})
    assert not at.exception
    shown = " ".join(notices(at))
    assert "ds_name=galaxies" in shown and "net_act=swish" in shown and "utm_source" in shown
    assert "utm_source" not in at.query_params and at.session_state["live"].data.name == "moons"


def bound_keys(path: str) -> list[str]:
    """The URL parameters the page's widgets are bound to, as the page itself registers them."""
    return sorted(open_with(path, {}).session_state["_url_keys"])


NASTY = ["nan", "NaN", "inf", "-inf", "1e308", "1e-320", "-0", "0x1F", "  3 ", "true", "False", "None", "[]",
         "{}", "<script>", "'; DROP", "ε", "🙂", "%00", "\\n", "9" * 40, "-1", "0", "0.5", "2", "moons",
         "spirals", "sgd", "0.01",
         # hostile Markdown: links, pictures, bold, colours, maths, autolinks
         "[sign in](https://evil.example)", "![](https://evil.example/p.png)", "**overloaded**",
         ":red[alert]", "$x$", "www.evil.example", "`"]


def test_fuzzed_links_never_raise():
    """200 generated query strings over every page: notices are fine, exceptions are not."""
    rng = random.Random(7)
    # every page also reads simple= and hide= (and the workshop room=), which no widget binds
    keys = {path: bound_keys(path) + ["simple", "hide", "room"] for path, _, _ in PAGES}
    assert len(keys["app_pages/train.py"]) > 15 and "preset" in keys["app_pages/sweep.py"]
    pages = list(keys)
    for case in range(200):
        path = pages[case % len(pages)]
        params = {}
        for key in rng.sample(keys[path], k=rng.randint(1, min(4, len(keys[path])))):
            params[key] = rng.choice(NASTY) if rng.random() < 0.85 else "".join(
                rng.choices(string.printable, k=rng.randint(0, 12)))
        if rng.random() < 0.3:
            params["".join(rng.choices(string.ascii_lowercase, k=5))] = rng.choice(NASTY)
        at = open_with(path, params)
        assert not at.exception, (path, params, [e.value for e in at.exception])
        for text in notices(at):  # echoed input sits in code spans: no link syntax outside them
            assert "](" not in re.sub(r"(`+).*?\1", "", text), text


def test_hostile_names_and_values_are_quoted_cut_and_counted():
    """A link cannot write Markdown (links, pictures, bold) into the app's warnings."""
    evil = {"Session expired=[Click here](https://evil.example/login) ![](https://evil.example/p.png)": "1",
            "sm_eps": "**Server overloaded.** [Continue on our mirror](https://evil.example)",
            "junk": "z" * 5000}
    at = open_with("app_pages/train.py", evil)
    assert not at.exception
    texts = notices(at)
    assert len(texts) == 3
    for text in texts:
        # every echoed part sits in a code span: outside them no link or picture syntax is left
        bare = re.sub(r"(`+).*?\1", "", text)
        assert "](" not in bare and "**" not in bare and "evil.example" not in bare
        assert len(text) < 300  # the 5,000-character value is cut


def test_hundreds_of_unknown_parameters_give_a_few_notices_and_a_count():
    at = open_with("app_pages/home.py", {f"p{i}": "x" for i in range(300)})
    assert not at.exception
    shown = notices(at)
    assert len(shown) == 6 and "295 more problems with the link" in shown[-1]


@pytest.mark.parametrize("path", ["app_pages/sweep.py", "app_pages/calibration.py"])
def test_a_reversed_eps_range_gets_a_message_on_every_page_that_reads_it(path):
    at = open_with(path, {"sw_range": ["0.5", "0.0"]})
    assert not at.exception, [e.value for e in at.exception]
    shown = " ".join(as_read(e.value) for e in at.error) + " ".join(notices(at))
    assert "eps range" in shown or "sw_range" in shown


def test_a_cleared_multiselect_reopens_without_a_notice():
    at = open_with("app_pages/gradients.py", {"grad_steps": ""})
    assert not at.exception and not notices(at)
    assert at.multiselect(key="grad_steps").value == []


def test_a_page_that_stops_early_still_reports_unknown_parameters_and_offers_the_link():
    # no steps: the page stops
    at = open_with("app_pages/gradients.py", {"grad_steps": "", "utm_source": "x"})
    assert any("at least one snapshot step" in i.value for i in at.info)
    assert any("utm_source" in n for n in notices(at)) and "utm_source" not in at.query_params
    assert at.code and "grad_steps" in at.code[-1].value  # the link box, with the cleared choice


def test_links_choose_the_live_objective_and_the_objectives_to_compare():
    at = open_with("app_pages/train.py", {"obj": "focal loss", "fl_gamma": "3"})
    assert not at.exception and not notices(at)
    assert at.session_state["live"].engine.model_objectives[1] == ("focal", 3.0)
    at = open_with("app_pages/alternatives.py", {"alt_objectives": ["cross-entropy", "focal loss γ=2"],
                                             "alt_steps": "500", "alt_seeds": "2"})
    assert not at.exception and not notices(at)
    assert [m for m in at.markdown if "focal loss γ=2** against cross-entropy" in as_read(m.value)]


def test_a_control_hidden_after_the_link_set_it_is_left_to_streamlit_and_comes_back():
    """Focal loss has no ε: the link's sm_eps, still bound to its widget in that run, is neither
    deleted by hand (Streamlit refuses, with an exception on screen) nor reported as unused."""
    at = open_with("app_pages/train.py", {"sm_eps": "0.35"})
    at.selectbox(key="obj").set_value("focal loss").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not notices(at) and "sm_eps" not in at.query_params  # Streamlit unbound it and took it out
    at.selectbox(key="obj").set_value("label smoothing").run()
    assert not at.exception and at.slider(key="sm_eps").value == 0.35


def test_only_parameters_never_bound_in_the_session_are_dropped():
    from playground.ui.shell.url import unused
    assert unused(["sm_eps", "utm_source", "ds_name"], {"ds_name": None}, {"sm_eps"}) == ["utm_source"]
