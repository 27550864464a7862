"""The smoothed-labels and gradients pages through AppTest, under several settings."""
import json

import pytest

from playground.core import smoothing
from tests.test_app import metrics_of, open_page


@pytest.mark.parametrize("k,eps,conv", [(2, 0.1, "uniform"), (3, 0.2, "others"), (20, 0.5, "uniform")])
def test_labels_page_numbers(k, eps, conv):
    at = open_page("app_pages/labels.py")
    at.number_input(key="labels_k").set_value(k)
    at.slider(key="labels_eps").set_value(eps)
    at.radio(key="labels_conv").set_value(conv)
    at.run()
    assert not at.exception
    shown = metrics_of(at)
    q_true, q_other = smoothing.target_values(k, eps, conv)
    assert shown["true class q_t"] == f"{q_true:.4f}" and shown["each other class q_o"] == f"{q_other:.4f}"
    forms = [shown["CrossEntropyLoss(label_smoothing=ε)"], shown["CrossEntropyLoss(logits, q)"],
             shown["KLDivLoss(batchmean) + H(q)"]]
    assert float(forms[0]) == pytest.approx(float(forms[1]), abs=1e-9)
    assert float(forms[0]) == pytest.approx(float(forms[2]), abs=1e-9)
    ignored = [v for label, v in shown.items() if label.startswith("loss with")]
    assert ignored and ignored[0] == shown["loss over the kept rows alone"]


def test_labels_page_warnings_and_weighted_optimum():
    at = open_page("app_pages/labels.py")
    at.number_input(key="labels_k").set_value(2)
    at.radio(key="labels_conv").set_value("others")
    at.slider(key="labels_eps").set_value(0.5)
    at.run()
    assert any("uniform" in w.value for w in at.warning)
    at.slider(key="labels_eps").set_value(0.8).run()
    assert any("less than each other class" in w.value for w in at.warning)
    assert any("no equivalent" in i.value for i in at.info)
    at.radio(key="labels_conv").set_value("uniform")
    at.slider(key="labels_eps").set_value(0.1)
    at.run()
    table = next(d.value for d in at.dataframe if "optimum ∝ w⊙q" in d.value.columns)
    assert table["optimum ∝ w⊙q"].tolist() == pytest.approx([0.679, 0.321], abs=5e-4)
    assert table["found by LBFGS on torch's loss"].tolist() == pytest.approx([0.679, 0.321], abs=5e-4)
    assert not at.exception


def test_gradients_page_analytic_and_measured():
    at = open_page("app_pages/gradients.py")
    assert not at.exception
    marks = at.table[0].value
    assert marks["‖g‖ as p → 1"].tolist() == pytest.approx(
        [smoothing.saturated_grad_norm(3, e) for e in (0.0, 0.1, 0.2)], abs=1e-9)
    summary = at.markdown[-1].value
    assert "one-hot (ε=0) model" in summary and "log(q_t/q_o) = 2.20" in summary
    drawn = at.get("vega_lite_chart")
    assert len(drawn) == 4  # the chosen analytic view, the alternatives, the snapshots in one chart, the gaps
    assert json.loads(drawn[2].proto.spec)["facet"]["column"]["sort"] == [10, 300, 3000]
    at.segmented_control(key="grad_view").set_value("signed").run()
    assert "true_grad" in at.get("vega_lite_chart")[0].proto.spec  # the signed gradient's field


def test_gradients_page_other_settings_and_empty_choices():
    at = open_page("app_pages/gradients.py")
    at.number_input(key="grad_k").set_value(5)
    at.radio(key="grad_conv").set_value("others")
    at.selectbox(key="grad_ds").set_value("blobs")
    at.slider(key="grad_model_eps").set_value(0.1)
    at.multiselect(key="grad_steps").set_value([100])
    at.run()
    assert not at.exception
    assert "log(q_t/q_o) = " in at.markdown[-1].value
    at.multiselect(key="grad_eps").set_value([])
    at.multiselect(key="grad_steps").set_value([])
    at.run()
    assert not at.exception
    assert any("at least one ε" in i.value for i in at.info)
    assert any("at least one snapshot" in i.value for i in at.info)
