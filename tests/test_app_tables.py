"""scikit-learn's tables on the pages, driven by AppTest: digits trains live on Train, sweeps on the
sweep page and draws its test images on Representations, each picture in a PCA view the page names."""
import pytest

from playground.views.render import unpack_scene
from tests.test_app import as_read, open_page

pytestmark = pytest.mark.usefixtures("one_thread", "unpaced")


def captions(at) -> str:
    return " ".join(c.value for c in at.caption)


def test_digits_trains_live_on_the_train_page_in_a_pca_view():
    at = open_page("app_pages/train.py")
    at.selectbox(key="ds_name").set_value("digits").run()
    assert not at.exception, [e.value for e in at.exception]
    run = at.session_state["live"]
    assert run.data.features == 64 and run.data.num_classes == 10
    assert run.engine.parameter_store.shapes[0][0] == 64  # the first layer reads 64 pixels
    # points and noise do not apply to a table: disabled, and the help says why
    n = next(s for s in at.sidebar.slider if s.key == "ds_n")
    assert n.disabled and "1,797 examples of 64 inputs" in n.help
    assert "PCA view of the 64 inputs" in captions(at)
    before = run.headline()[0]["accuracy"]
    for _ in range(3):
        at.button(key="step_once_btn").click().run()
    assert not at.exception
    assert run.step == 30 and run.headline()[0]["accuracy"] > before
    scene = unpack_scene(at.get("bidi_component")[0].proto.bytes)
    assert scene["axes"] == ["PC1", "PC2"] and len(scene["models"]) == 2
    assert "in the PCA view at step 30" in scene["models"][0]["label"]
    assert len(run.xy) == 1797 and run.xy.shape[1] == 2  # every image drawn at its projection


def test_digits_sweeps_on_the_sweep_page_and_says_its_view():
    at = open_page("app_pages/sweep.py")
    at.selectbox(key="sw_name").set_value("digits").run()
    at.slider(key="sw_count").set_value(3)
    at.slider(key="sw_seeds").set_value(2)
    at.select_slider(key="sw_steps").set_value(100)
    at.sidebar.button[0].click()
    at.run(timeout=240)
    assert not at.exception, [e.value for e in at.exception]
    assert any("6 models (3 ε × 2 seeds), 100 steps" in c.value for c in at.caption)
    assert "PCA view of the 64 inputs" in captions(at)
    assert all("in the PCA view" in image.proto.imgs[0].alt for image in at.get("image")[:3])
    bullets = next(m.value for m in at.markdown if m.value.startswith("- "))
    assert "Test NLL" in bullets and "95% t-interval" in bullets


def test_the_digits_preset_shows_tightening_information_and_test_images():
    at = open_page("app_pages/representations.py")
    at.selectbox(key="preset").set_value("digits").run(timeout=240)
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["rep_name"] == "digits" and at.session_state["rep_steps"] == 1000
    text = " ".join(as_read(m.value) for m in at.markdown)
    assert "Held-out evidence" in text and "Holds on 10 seeds" in text
    assert "Information about the example (MKH" in text
    charts = at.get("vega_lite_chart")
    specs = [c.proto.spec for c in charts]
    assert any("test images, each beside the predicted probability" in s for s in specs)
    images = next(s for s in specs if "test images, each beside" in s)
    # six images, each named in its row's title and again in the text alternative
    assert images.count("one-hot says") == 12 and images.count("smoothed says") == 12
