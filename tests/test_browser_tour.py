"""Every page, as a person would use it, at a laptop's and a projector's size: open it in a fresh
session, flip every toggle, animate, play, pause, step, reset, pick points. After each step the
screen must hold no exception and the server log no traceback."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from playground.ui.shell.navigation import PAGES
from tests.browser import drawn, exceptions, new_pick, open_app, screenshot, settle, shown_step, step_past
from tools.serve import ARTIFACTS, loopback_only, streamlit_server

pytestmark = pytest.mark.browser

SIZES = {"laptop": (1400, 1000), "projector": (1024, 768)}
LOG = "server-tour.log"


@pytest.fixture(scope="module")
def tour_server():
    """A server of its own, so every traceback in its log comes from this tour."""
    with streamlit_server(LOG) as url:
        yield url


def tracebacks() -> list[str]:
    text = (ARTIFACTS / LOG).read_text(errors="replace")
    return [block for block in text.split("\n\n") if "Traceback" in block]


class Tour:
    """Checks the screen and the server log after every step; names the step that failed."""

    def __init__(self, page, name: str):
        self.page, self.name, self.seen = page, name, len(tracebacks())

    def check(self, step: str) -> None:
        settle(self.page)
        shown = exceptions(self.page)
        new = tracebacks()[self.seen:]
        assert not shown, f"{self.name}: exception on screen after {step}: {shown[0][:600]}"
        assert not new, f"{self.name}: traceback in the server log after {step}: {new[0][-1500:]}"
        cut = overflowing(self.page)
        assert not cut, f"{self.name}: after {step}, these run past their column or the window: {cut}"


OVERFLOW_JS = """() => {
  const out = [];
  for (const el of document.querySelectorAll(
      "[data-testid='stMain'] [data-testid='stVegaLiteChart'] canvas, "
      + "[data-testid='stMain'] [data-testid='stVegaLiteChart'] svg.marks, [data-testid='stMain'] img")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0) continue;
    const holder = el.closest("[data-testid='stColumn'], [data-testid='stMainBlockContainer']");
    const limit = Math.min(window.innerWidth, holder.getBoundingClientRect().right);
    if (box.right > limit + 2)
      out.push(`${el.tagName} ${Math.round(box.width)} px wide ends at ${Math.round(box.right)} `
               + `> ${Math.round(limit)}`);
  }
  return out;
}"""


def overflowing(page) -> list[str]:
    """Charts and pictures that run past the right edge of their column or of the window."""
    return page.evaluate(OVERFLOW_JS)


def toggles(page):
    return page.locator("[data-testid='stCheckbox']:has(input[role='switch'])")


def flip_every_toggle(page, tour: Tour) -> int:
    """Each toggle on, then back off (or the reverse), checking after every click."""
    count = toggles(page).count()
    for i in range(count):
        toggle = toggles(page).nth(i)
        label = toggle.inner_text().strip()
        if label == "animate the scrubber":
            continue  # animated on its own below, for longer
        for turn in ("on", "back"):
            toggle.locator("label").first.click()
            tour.check(f"toggling '{label}' {turn}")
    return count


# the last slider's values as the page shows them, kept; true once `n` were seen, or on an exception
SCRUBBED = """n => {
  const thumbs = document.querySelectorAll("[data-testid='stSliderThumbValue']");
  if (thumbs.length) window.__scrubbed.add(thumbs[thumbs.length - 1].innerText);
  return window.__scrubbed.size >= n || document.querySelector("[data-testid='stException']") !== null;
}"""
SCRUBBER_VALUES = 4


def animate_scrubber(page, tour: Tour) -> None:
    animate = toggles(page).filter(has_text="animate the scrubber")
    if animate.count() == 0:
        return
    page.evaluate("window.__scrubbed = new Set()")
    animate.locator("label").first.click()
    try:
        page.wait_for_function(SCRUBBED, arg=SCRUBBER_VALUES, polling=100, timeout=60_000)
    except PlaywrightTimeout:
        seen = page.evaluate("[...window.__scrubbed]")
        pytest.fail(f"{tour.name}: the scrubber showed only {sorted(seen)} in 60 s of animation")
    assert not exceptions(page), f"{tour.name}: exception while animating: {exceptions(page)[0][:600]}"
    tour.check(f"animating the scrubber through {SCRUBBER_VALUES} values")
    animate.locator("label").first.click()
    tour.check("stopping the animation")


def pick_points(page, tour: Tour, how_many: int = 2) -> None:
    """Click dots in the point picker until `how_many` different points were inspected."""
    picker = page.locator(".st-key-picker [data-testid='stVegaLiteChart']")
    index = page.get_by_label("point index")
    picked = {index.input_value()}
    for fx in (0.35, 0.45, 0.55, 0.65, 0.3, 0.5, 0.7, 0.4, 0.6):
        for fy in (0.35, 0.45, 0.55, 0.65, 0.5, 0.4, 0.6):
            picker.scroll_into_view_if_needed()
            box = picker.locator("canvas, svg").first.bounding_box()  # the layout may move after a pick
            page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
            if new_pick(page, picked) is not None:
                picked.add(index.input_value())
                tour.check(f"picking point {index.input_value()}")
                assert re.search(r"predicts class \d with [01]\.\d\d \((right|wrong)\)",
                                 page.inner_text("[data-testid='stMain']"))
                if len(picked) > how_many:
                    return
    pytest.fail(f"{tour.name}: clicks on the picker selected only {len(picked) - 1} points")


def transport(page, tour: Tour) -> None:
    page.get_by_role("button", name="Play", exact=True).click()
    step_past(page, step_past(page, 0))  # training, and still moving
    assert not exceptions(page)
    pick_points(page, tour, how_many=1)  # while playing
    page.get_by_role("button", name="Pause", exact=True).click()
    page.get_by_role("button", name="Play", exact=True).wait_for(timeout=30_000)
    tour.check("Pause")
    paused = shown_step(page)
    page.get_by_role("button", name="Step", exact=True).click()
    page.wait_for_function(f"!/step {paused:,}\\b/.test(document.querySelector(\"[data-testid='stMain']\")"
                           ".innerText)", timeout=30_000)
    tour.check("Step")
    assert shown_step(page) > paused
    page.get_by_role("button", name="Reset", exact=True).click()
    page.wait_for_function("/step 0\\b/.test(document.querySelector(\"[data-testid='stMain']\").innerText)",
                           timeout=30_000)
    tour.check("Reset")
    pick_points(page, tour, how_many=2)  # while paused


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("path,title", [(path, title) for path, title, _ in PAGES])
def test_every_page_survives_a_tour(tour_server, browser, path, title, size):
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})  # a fresh session
    attempts = loopback_only(context)
    page = context.new_page()
    slug = path.removeprefix("app_pages/").removesuffix(".py")
    tour = Tour(page, f"{slug} at {width}×{height}")
    try:
        open_app(page, tour_server if slug == "home" else f"{tour_server}/{slug}", timeout=120_000)
        drawn(page)
        tour.check("opening the page")
        # the upload box states the limit the library enforces, not Streamlit's default
        assert "200MB" not in page.inner_text("[data-testid='stApp']")
        screenshot(page, f"tour-{slug}-{size}")
        flip_every_toggle(page, tour)
        animate_scrubber(page, tour)
        if page.get_by_role("button", name="Play", exact=True).count():
            transport(page, tour)
        if slug == "alternatives":  # the other comparison: trains anew, then draws every chart again
            page.get_by_text("Regularisers", exact=True).click()
            settle(page, timeout=120_000)
            drawn(page)
            tour.check("switching to the regulariser comparison")
            assert "dropout 0.2 against cross-entropy" in page.inner_text("[data-testid='stMain']")
            screenshot(page, f"tour-{slug}-regularisers-{size}")
        if slug == "train":
            buttons = [page.get_by_role("button", name=n, exact=True).bounding_box()
                       for n in ("Play", "Step", "Reset")]
            assert all(b["width"] >= 60 for b in buttons), f"transport buttons squeezed: {buttons}"
    finally:
        context.close()
    assert not attempts, f"{tour.name}: the page asked for something beyond loopback: {attempts[:5]}"
