"""The Alternatives page, driven by AppTest: objectives side by side, then the regularisers."""
import pytest

from tests.test_app import as_read, open_page

pytestmark = pytest.mark.usefixtures("one_thread")  # as the server runs: one torch thread


def shown(at) -> str:
    return " ".join(as_read(m.value) for m in at.markdown)


def test_objectives_side_by_side_with_sentences_from_the_numbers():
    at = open_page("app_pages/alternatives.py")
    assert not at.exception, [e.value for e in at.exception]
    text = shown(at)
    for recipe in ("smoothing ε=0.1", "confidence penalty β=0.5", "focal loss γ=2",
                   "negative smoothing ε=-0.2"):
        assert f"{recipe}** against cross-entropy" in text
    assert "Selective classification" in text
    assert len(at.get("image")) == 5  # one boundary picture per objective


def test_the_regulariser_comparison_answers_its_question():
    at = open_page("app_pages/alternatives.py")
    at.segmented_control(key="alt_view").set_value("regularisers").run(timeout=300)
    assert not at.exception, [e.value for e in at.exception]
    text = shown(at)
    assert "weight decay 0.001** against cross-entropy" in text
    assert "dropout 0.2** against cross-entropy" in text
    assert "smoothing ε=0.1 + weight decay 0.001 + dropout 0.2** against cross-entropy" in text
    assert "for weight decay 0.001 than for smoothing ε=0.1" in text or \
        "about the same for weight decay 0.001 and smoothing ε=0.1" in text
    assert "So on this run smoothing" in text


def test_no_objective_chosen_is_a_message_not_a_traceback():
    at = open_page("app_pages/alternatives.py")
    at.multiselect(key="alt_objectives").set_value([])
    at.sidebar.button[0].click()
    at.run()
    assert not at.exception
    assert any("choose 1 to 6" in as_read(e.value) for e in at.error)
