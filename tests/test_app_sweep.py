"""The sweep and calibration pages through AppTest, with a small sweep."""
import pytest
from streamlit.testing.v1 import AppTest

from tests.test_app import as_read, open_page


def small_sweep(at: AppTest, label_noise: float = 0.0, count: int = 3, seeds: int = 2, n: int = 300,
                **more) -> AppTest:
    """Fill the sweep form (more: other widget keys and values) and press "Run sweep"."""
    at.slider(key="sw_count").set_value(count)
    at.slider(key="sw_seeds").set_value(seeds)
    at.select_slider(key="sw_steps").set_value(100)
    at.slider(key="sw_n").set_value(n)
    at.slider(key="sw_label_noise").set_value(label_noise)
    for key, value in more.items():
        at.slider(key=key).set_value(value)
    at.sidebar.button[0].click()
    return at.run()


def test_sweep_page_small_sweep():
    at = small_sweep(open_page("app_pages/sweep.py"))
    assert not at.exception, [e.value for e in at.exception]
    assert any("6 models (3 ε × 2 seeds), 100 steps" in c.value for c in at.caption)
    assert len(at.get("image")) == 3 + 1 + 1  # small multiples, their colour key, the scrubber's picture
    bullets = next(m.value for m in at.markdown if m.value.startswith("- "))
    assert "Test NLL" in bullets and "Uncertain area" in bullets and "95% t-interval" in bullets
    downloads = [b.proto.label for b in at.get("download_button")]
    assert downloads == ["Metrics (CSV)", "Configuration (JSON)", "Points + each model's predictions (CSV)",
                         "PyTorch script"]


def test_sweep_page_label_noise_comparison_and_scrubber():
    at = small_sweep(open_page("app_pages/sweep.py"), label_noise=0.2)
    assert not at.exception
    assert any(h.value == "With and without label noise" for h in at.header)
    at.select_slider(key="sw_scrub").set_value(0.5).run()
    assert not at.exception
    at.toggle(key="sw_animate").set_value(True).run()
    assert at.select_slider(key="sw_scrub").value == 0.0  # animating: the scrubber moves on (0.5 → 0)
    at.run()
    assert at.select_slider(key="sw_scrub").value == 0.25


def test_calibration_page_uses_the_same_sweep_and_says_who_wins():
    at = small_sweep(open_page("app_pages/calibration.py"))
    assert not at.exception, [e.value for e in at.exception]
    verdict = next(m.value for m in at.markdown if "temperature-scaled ε=0" in m.value)
    assert "than for label smoothing ε=0" in verdict or "about the same" in verdict
    assert "Test ECE" in verdict and ("95% t-interval" in verdict or "every one" in verdict)
    table = at.dataframe[0].value
    assert "temperature-scaled ε=0" in list(table["method"])
    assert len(at.get("vega_lite_chart")) == 2  # reliability diagrams, confidence histograms
    at.multiselect(key="cal_eps").set_value([]).run()
    assert any("at least one ε" in i.value for i in at.info)


@pytest.mark.parametrize("path", ["app_pages/sweep.py", "app_pages/calibration.py"])
def test_extreme_settings_run_cleanly(path):
    """Ten classes in 100 points leave a handful per class in each half of the held-out set."""
    at = open_page(path)
    at.selectbox(key="sw_name").set_value("blobs").run()
    at = small_sweep(at, count=2, seeds=1, n=100, sw_k=10, sw_range=(0.0, 1.0))
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error


def test_the_classes_slider_follows_the_dataset_at_once():
    """Moons has 2 classes: the sidebar must not claim K = 3 while the form is unsubmitted."""
    at = open_page("app_pages/sweep.py")
    shown = next(s for s in at.sidebar.slider if s.label == "classes K")
    assert shown.value == 2 and shown.disabled
    at.selectbox(key="sw_name").set_value("blobs").run()  # outside the form: no submit needed
    shown = next(s for s in at.sidebar.slider if s.label == "classes K")
    assert shown.value == 3 and not shown.disabled
    shown.set_value(5)
    at.sidebar.button[0].click()
    at.run()
    assert not at.exception
    assert at.session_state["sw_k"] == 5


def test_similar_classes_take_a_gap_on_the_sweep_and_live_pages():
    at = open_page("app_pages/sweep.py")
    at.selectbox(key="sw_name").set_value("similar_classes").run()
    at.slider(key="sw_gap").set_value(0.3)
    at.sidebar.button[0].click()
    at.run(timeout=180)
    assert not at.exception, [e.value for e in at.exception]
    assert any("most confused pair" in c.value for c in at.caption)
    live = open_page("app_pages/train.py")
    live.selectbox(key="ds_name").set_value("similar_classes").run()
    live.slider(key="ds_gap").set_value(0.2).run()
    assert not live.exception
    assert live.session_state["live"].data.name == "similar_classes"
    assert any("gap between classes 0 and 1 changed" in as_read(m.value) for m in live.info)
