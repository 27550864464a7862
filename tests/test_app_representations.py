"""The Representations page, driven by AppTest."""
import pytest

from tests.test_app import as_read, open_page

pytestmark = pytest.mark.usefixtures("one_thread")  # as the server runs: one torch thread


def test_the_representations_page_draws_the_plane_and_says_what_it_measured():
    at = open_page("app_pages/representations.py")
    assert not at.exception, [e.value for e in at.exception]
    text = " ".join(as_read(m.value) for m in at.markdown)
    assert "Tightness" in text and "× tighter" in text
    assert len(at.get("vega_lite_chart")) == 3  # the plane, tightness and information against ε
    assert "Information about the example (MKH" in text  # the paired sentence under the numbers
    at.select_slider(key="rep_step").set_value(10).run()
    assert not at.exception
