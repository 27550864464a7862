"""The live training page driven through AppTest: transport, resets, mid-run changes, bad input."""
import re

import pytest
import torch
from streamlit.testing.v1 import AppTest

from playground.views.render import unpack_scene
from tests.test_app import as_read, open_page

pytestmark = pytest.mark.usefixtures("unpaced")


def step_shown(at: AppTest) -> int:
    text = next(m.value for m in at.markdown if m.value.startswith("**step"))
    return int(re.search(r"step ([\d,]+)", text).group(1).replace(",", ""))


def run_of(at: AppTest):
    return at.session_state["live"]


@pytest.fixture
def at():
    app = open_page("app_pages/train.py")
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_opens_paused_at_step_zero_with_both_models(at):
    assert step_shown(at) == 0
    assert len(at.get("image")) == 1  # the colour key; the boundaries are drawn in the browser:
    scenes = unpack_scene(at.get("bidi_component")[0].proto.bytes)  # one binary message
    run = at.session_state["live"]
    assert scenes["step"] == 0 and len(scenes["models"]) == len(run.names)
    for model, name, numbers in zip(scenes["models"], run.names, run.headline()):  # each canvas's alt text
        assert model["label"].startswith(f"Decision boundary of {name} at step 0, test accuracy "
                                         f"{numbers['accuracy']:.3f}: ")
        assert "(class 0)" in model["label"] and "(class 1)" in model["label"]
    assert len(at.get("vega_lite_chart")) == 4  # history, reliability, point picker, inspector
    assert any("one-hot (ε=0)" in m.value for m in at.markdown)
    assert any("smoothed (ε=0.2)" in m.value for m in at.markdown)


def test_play_pause_step_reset(at):
    at.button(key="play").click().run()
    assert at.session_state["playing"] and step_shown(at) == 10
    at.run()
    at.run()
    assert step_shown(at) == 30  # one chunk of 'steps per update' per fragment run
    at.button(key="play").click().run()
    assert not at.session_state["playing"]
    paused_at = step_shown(at)
    at.run()
    assert step_shown(at) == paused_at
    at.button(key="step_once_btn").click().run()
    assert step_shown(at) == paused_at + 10
    at.slider(key="speed").set_value(25).run()
    at.button(key="step_once_btn").click().run()
    assert step_shown(at) == paused_at + 35
    at.button(key="reset").click().run()
    assert step_shown(at) == 0
    assert any("reset to step 0" in i.value for i in at.info)
    assert not at.exception


def test_changing_the_dataset_restarts_and_says_why(at):
    at.button(key="step_once_btn").click().run()
    assert step_shown(at) == 10
    at.selectbox(key="ds_name").set_value("spirals").run()
    assert step_shown(at) == 0
    assert any("restarted" in i.value and "dataset" in i.value for i in at.info)
    assert run_of(at).data.num_classes == 3 and run_of(at).data.name == "spirals"  # spirals default K
    at.slider(key="ds_k").set_value(5).run()
    assert run_of(at).data.num_classes == 5
    assert not at.exception


def test_eps_and_learning_rate_apply_mid_run(at):
    at.button(key="step_once_btn").click().run()
    run = run_of(at)
    at.slider(key="sm_eps").set_value(0.35)
    at.select_slider(key="opt_lr").set_value(0.01)
    at.run()
    assert run_of(at) is run and step_shown(at) == 10  # same run, not restarted
    assert run.objective_value == 0.35 and run.engine.config.lr == 0.01
    assert any("smoothed (ε=0.35)" in m.value for m in at.markdown)


def test_divergence_is_reported_and_the_page_keeps_working(at):
    at.radio(key="opt_name").set_value("sgd")
    at.select_slider(key="opt_lr").set_value(10.0)
    at.slider(key="speed").set_value(100)
    at.run()
    for _ in range(3):
        at.button(key="step_once_btn").click().run()
    assert run_of(at).diverged
    assert any("Diverged and stopped" in e.value for e in at.error)
    assert not at.exception
    at.select_slider(key="opt_lr").set_value(0.03)
    at.button(key="reset").click().run()
    at.button(key="step_once_btn").click().run()
    assert not run_of(at).diverged and not at.error


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the fallback where there is no GPU")
def test_gpu_choice_without_gpu_falls_back_with_notice(at):
    at.radio(key="dev").set_value("cuda").run()
    assert any("no CUDA device" in i.value and "CPU instead" in i.value for i in at.info)
    assert run_of(at).engine.device.type == "cpu"
    at.button(key="step_once_btn").click().run()
    assert step_shown(at) == 10 and not at.exception


def test_bad_dataset_combination_gets_a_message_not_a_traceback(at):
    at.selectbox(key="ds_name").set_value("blobs").run()
    at.slider(key="ds_k").set_value(10)
    at.slider(key="ds_n").set_value(50)
    at.slider(key="ds_test").set_value(0.1)
    at.run()
    assert not at.exception
    assert any("test_fraction" in as_read(e.value) for e in at.error)


def test_inspector_shows_library_gradient_norms(at):
    at.button(key="step_once_btn").click().run()
    at.number_input(key="pick_index").set_value(5).run()
    info = run_of(at).inspect(5)
    shown = " ".join(m.value for m in at.markdown)
    for g in info["grad_norm"]:
        assert f"{g:.4f}" in shown


def test_headline_metrics_give_the_smoothed_models_difference_from_one_hot(at):
    for _ in range(3):
        at.button(key="step_once_btn").click().run()
    numbers = run_of(at).headline()
    metrics = [m for m in at.metric if m.label == "NLL"]
    assert [m.value for m in metrics] == [f"{row['NLL']:.3f}" for row in numbers]
    assert metrics[1].delta == f"{numbers[1]['NLL'] - numbers[0]['NLL']:+.3f}"
    over = [m for m in at.metric if m.label == "conf − acc"][1]
    assert over.value == f"{numbers[1]['over-confidence']:+.3f}"


def test_when_both_models_diverge_training_stops_and_says_so(at):
    at.radio(key="opt_name").set_value("sgd")
    at.select_slider(key="opt_lr").set_value(10.0)
    at.slider(key="sm_eps").set_value(0.0)  # the same objective: both diverge together
    at.slider(key="speed").set_value(100)
    at.run()
    at.button(key="play").click().run()
    for _ in range(6):
        at.run()
    run = run_of(at)
    assert len(run.diverged) == 2
    stopped_at = run.step
    assert not at.session_state["playing"]  # Play was released
    at.run()
    at.button(key="step_once_btn").click().run()
    assert run_of(at).step == stopped_at  # frozen models are not stepped
    assert any("Training has stopped" in e.value for e in at.error)
    assert not any("other model goes on" in e.value for e in at.error)


def test_restart_reasons_use_the_sidebar_words(at):
    at.slider(key="ds_n").set_value(500)
    at.slider(key="ds_noise").set_value(0.3)
    at.run()
    assert any("because points, noise changed" in i.value for i in at.info)


def test_new_seed_wraps_at_the_largest_seed():
    at = open_page("app_pages/train.py")
    at.number_input(key="ds_seed").set_value(2**31 - 1).run()
    at.button(key="ds_new_seed").click().run()
    assert at.number_input(key="ds_seed").value == 0 and not at.exception


@pytest.mark.parametrize("code,kind,name,value", [
    ("confidence penalty", "confidence_penalty", "confidence penalty (β=0.5)", 0.5),
    ("focal loss", "focal", "focal loss (γ=2)", 2.0),
    ("negative smoothing", "smoothing", "negative smoothing (ε=-0.2)", -0.2),
])
def test_the_second_models_objective_is_a_choice_and_names_follow_it(at, code, kind, name, value):
    from playground.core import objectives
    at.selectbox(key="obj").set_value(code).run()  # the label, as links spell it
    assert not at.exception, [e.value for e in at.exception]
    run = run_of(at)
    assert run.engine.model_objectives == [("smoothing", 0.0), (kind, value)]
    assert any(name in m.value for m in at.markdown)
    # another loss restarts; negative smoothing is smoothing with another ε, which applies mid-run
    assert any("objective changed" in as_read(m.value) for m in at.info) == (kind != "smoothing")
    at.button(key="step_once_btn").click().run()
    info = run.inspect(5)  # the inspector's gradient is the chosen objective's, in closed form
    logits = run.point_outputs().logits[1, 5:6]
    expected = objectives.logit_grad(kind, logits, torch.tensor([info["label"]]), value).norm()
    assert info["grad_norm"][1] == pytest.approx(float(expected), rel=1e-5)
    sliders = {"confidence penalty": "cp_beta", "focal loss": "fl_gamma", "negative smoothing": "nls_eps"}
    slider = sliders[code]
    at.slider(key=slider).set_value(value / 2).run()  # applies mid-run, like ε
    assert run_of(at) is run and run.objective_value == value / 2 and run.step == 10
