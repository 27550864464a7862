"""The Distillation page, driven by AppTest."""
import pytest

from tests.test_app import as_read, open_page

pytestmark = pytest.mark.usefixtures("one_thread")  # as the server runs: one torch thread


def test_students_teachers_and_the_baseline_with_sentences_from_the_numbers():
    at = open_page("app_pages/distillation.py")
    assert not at.exception, [e.value for e in at.exception]
    text = " ".join(as_read(m.value) for m in at.markdown)
    assert "at T = 1" in text and "at T = 4" in text and "the student alone" in text
    assert len(at.get("image")) == 3  # teacher, its student, the student alone
    at.select_slider(key="dst_pick_eps").set_value(0.3).run()
    assert not at.exception and "teacher, ε = 0.3" in [i.proto.imgs[0].caption for i in at.get("image")][0]


def test_no_temperature_chosen_is_a_message():
    at = open_page("app_pages/distillation.py")
    at.multiselect(key="dst_t").set_value([])
    at.sidebar.button[0].click()
    at.run()
    assert not at.exception
    assert any("temperatures" in as_read(e.value) for e in at.error)

