"""The app opened for real: `streamlit run` on a free port, headless Chromium via Playwright."""
import pytest

from tests.browser import exceptions, open_app, screenshot

pytestmark = pytest.mark.browser


def test_home_page_renders_without_exception(server, page):
    open_app(page, server)
    assert page.get_by_text("Label Smoothing Playground").first.is_visible()
    page.wait_for_selector("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg")
    assert page.get_by_text("optimal logit gap").first.is_visible()
    assert page.get_by_text("Trains on:").first.is_visible()
    assert exceptions(page) == []
    screenshot(page, "home")
