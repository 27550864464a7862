"""In Chromium, as a person clicks: a control that hides another never crashes the page, whatever was
moved before it (the link still holds the hidden control's value then); and the live page's point
inspector is never on screen twice, through a storm of reruns."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser import exceptions, open_app, settle
from tools.serve import loopback_only

pytestmark = pytest.mark.browser

TINY_SWEEP = "sw_steps=100&sw_seeds=1&sw_count=2&sw_n=100"  # trains in a moment


def slider_value(page: Page, key: str) -> str:
    return page.locator(f".st-key-{key} input[type='range']").first.input_value()


def move(page: Page, key: str) -> str:
    """One step right on the slider bound to `key`, by keyboard; returns its new value."""
    thumb = page.locator(f".st-key-{key} input[type='range']").first
    before = thumb.input_value()
    thumb.focus()
    thumb.press("ArrowRight")
    page.wait_for_function("([key, before]) => document.querySelector(`.st-key-${key} input[type='range']`)"
                           ".value !== before", arg=[key, before])
    return thumb.input_value()


def choose(page: Page, key: str, option: str) -> None:
    """Pick `option` in the selectbox bound to `key`; the list is opened again if a rerun closed it."""
    box = page.locator(f".st-key-{key} [data-testid='stSelectbox']")
    item = page.get_by_role("option", name=option, exact=True)
    for _ in range(3):
        box.click()
        try:
            item.wait_for(timeout=10_000)
            break
        except PlaywrightTimeout:
            continue
    item.click()


def calm(page: Page, step: str) -> None:
    """The script has finished: no exception on screen, the title still there."""
    settle(page)
    shown = exceptions(page)
    assert not shown, f"after {step}: {shown[0][:400]}"
    assert page.locator("h1").count() >= 1, f"after {step}: no title"


# name -> (page and link, steps, the control the last step hides, the choice that shows it again): the
# five ways the page used to crash with "Cannot directly delete query parameter ... bound to a widget"
REPROS = {
    "ε, then focal loss": (
        "train", [("choose", "obj", "label smoothing"), ("move", "sm_eps"), ("choose", "obj", "focal loss")],
        "sm_eps", ("obj", "label smoothing")),
    "K, then moons": (
        "train", [("choose", "ds_name", "blobs"), ("move", "ds_k"), ("choose", "ds_name", "moons")],
        "ds_k", ("ds_name", "blobs")),
    "the class gap, then moons": (
        "train",
        [("choose", "ds_name", "similar_classes"), ("move", "ds_gap"), ("choose", "ds_name", "moons")],
        "ds_gap", ("ds_name", "similar_classes")),
    "γ, then smoothing": (
        "train",
        [("choose", "obj", "focal loss"), ("move", "fl_gamma"), ("choose", "obj", "label smoothing")],
        "fl_gamma", ("obj", "focal loss")),
    "the sweep's K, then moons": (
        f"sweep?{TINY_SWEEP}",
        [("choose", "sw_name", "blobs"), ("move", "sw_k"), ("submit", "Run sweep"),
         ("choose", "sw_name", "moons")],
        "sw_k", ("sw_name", "blobs")),
}


@pytest.mark.parametrize("name", list(REPROS))
def test_a_control_hidden_after_it_moved_crashes_nothing_and_keeps_its_value(server, page, name):
    path, steps, hidden, back = REPROS[name]
    open_app(page, f"{server}/{path}", timeout=120_000)
    moved = None
    for action, *args in steps:
        if action == "choose":
            choose(page, *args)
        elif action == "move":
            moved = move(page, *args)
        else:
            page.get_by_role("button", name=args[0], exact=True).click()
        calm(page, f"{name}: {action} {args}")
        if action == "move":  # the moved value is in the link: what made the hiding crash
            page.wait_for_function("key => new URL(location.href).searchParams.has(key)", arg=hidden)
    page.locator(f".st-key-{hidden} input[type='range']").wait_for(state="detached")  # hidden now
    calm(page, f"{name}: once hidden")
    page.wait_for_function("key => !new URL(location.href).searchParams.has(key)", arg=hidden)
    choose(page, *back)  # the control comes back with the value it had
    page.locator(f".st-key-{hidden} input[type='range']").wait_for()
    calm(page, f"{name}: back to {back[1]}")
    assert slider_value(page, hidden) == moved


# At every DOM change: the most "point index" inputs on screen at once, and for the first few times
# there were two, which of the main column's children held each.
WATCH_INSPECTOR = """() => {
  window.__mostIndexBoxes = 0; window.__twice = [];
  const look = () => {
    const boxes = [...document.querySelectorAll("[data-testid='stNumberInput']")]
      .filter(e => e.innerText.includes('point index'));
    window.__mostIndexBoxes = Math.max(window.__mostIndexBoxes, boxes.length);
    const main = document.querySelector("[data-testid='stMainBlockContainer'] > div");
    if (boxes.length > 1 && main && window.__twice.length < 3)
      window.__twice.push(boxes.map(b => [...main.children].findIndex(c => c.contains(b))));
  };
  new MutationObserver(look).observe(document.body, {childList: true, subtree: true});
}"""
STORM_RUNS = 50


def index_boxes(page: Page) -> int:
    return page.locator("[data-testid='stNumberInput']").filter(has_text="point index").count()


def test_the_point_inspector_is_on_screen_once_through_a_storm_of_reruns(server, browser):
    """Each round fires reruns without waiting for the last: Reset (whose notice comes and goes above
    the live views), a pick on the picker, a typed index and a display toggle, while the live views'
    fragments keep rerunning on their timers; play and pause alternate every ten rounds. A copy
    left behind by any rerun is seen the moment it is on screen, not only when a round ends."""
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    attempts = loopback_only(context)
    page = context.new_page()
    errors: list[str] = []  # the browser's own errors, to say why if the connection is lost
    page.on("console", lambda m: errors.append(m.text[:300]) if m.type == "error" else None)
    try:
        open_app(page, f"{server}/train", timeout=120_000)
        page.evaluate(WATCH_INSPECTOR)
        picker = page.locator(".st-key-picker [data-testid='stVegaLiteChart']")
        toggle = page.locator("[data-testid='stCheckbox']:has(input[role='switch'])").filter(
            has_text="show test points").locator("label").first
        def connected(i: int) -> None:
            state = page.get_attribute("[data-testid='stApp']", "data-test-connection-state")
            assert state == "CONNECTED", f"round {i}: connection {state}; browser errors: {errors[-3:]}"

        for i in range(STORM_RUNS):
            connected(i)
            if i % 10 == 0:
                playing = page.get_by_role("button", name="Pause", exact=True).count() > 0
                page.get_by_role("button", name="Pause" if playing else "Play", exact=True).first.click(
                    no_wait_after=True)
            page.get_by_role("button", name="Reset", exact=True).first.click(no_wait_after=True)
            box = picker.locator("canvas, svg").first.bounding_box()
            if box:
                page.mouse.click(box["x"] + (0.3 + 0.4 * (i % 7) / 6) * box["width"],
                                 box["y"] + (0.3 + 0.4 * (i % 5) / 4) * box["height"])
            index = page.get_by_label("point index").first
            index.fill(str(i % 40))
            index.press("Enter")
            toggle.click(no_wait_after=True)
            settle(page, timeout=120_000)
            connected(i)
            assert index_boxes(page) == 1, f"round {i}: {index_boxes(page)} point index inputs"
            assert not exceptions(page), f"round {i}: {exceptions(page)[0][:400]}"
        most, where = page.evaluate("[window.__mostIndexBoxes, window.__twice]")
        assert most == 1, f"{most} point index inputs at once, in the main column's children {where}"
    finally:
        context.close()
    assert not attempts, f"the page asked for something beyond loopback: {attempts[:5]}"
