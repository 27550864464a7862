"""Every page and every workshop station on a phone (390 × 844, touch), before and after a
reveal: nothing wider than the screen, the title clear of Streamlit's header, every control and
answer at least 44 px tall to tap."""
from __future__ import annotations

import pytest

from playground.experiments import workshop
from playground.ui.shell.layout import TAP_PX
from playground.ui.shell.navigation import PAGES
from tests.browser import exceptions, open_app, screenshot, settle
from tests.conftest import ARTIFACTS, loopback_only, streamlit_server

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("one_thread")]
LOG = "server-phone.log"
PHONE = {"width": 390, "height": 844}

# What a person taps, each as the element that takes the tap: a radio or checkbox by its label,
# a select or number box by its whole box, a slider by its track. An element at most 2 px in size
# is visually hidden (the skip link until it has focus); a link inside a sentence is text.
CHECK = """([root, tap]) => {
  const scope = root ? document.querySelector(root) : document;
  const seen = new Set(), small = [], cut = [];
  const targets = [
    ['button, summary, [role=tab], a[href]', e => e],
    ['label[data-testid=stRadioOption], [data-testid=stCheckbox] label', e => e],
    ['[data-baseweb=select]', e => e.firstElementChild || e],
    ['[data-testid=stNumberInputContainer], [data-baseweb=input]', e => e],
    ['[data-testid=stSlider] [data-baseweb=slider]', e => e],
  ];
  const name = e => `${e.tagName.toLowerCase()}[${e.getAttribute('data-testid') || e.getAttribute('role')}]`
    + ` "${(e.innerText || e.getAttribute('aria-label') || '').trim().slice(0, 40)}"`;
  const shown = e => {
    const r = e.getBoundingClientRect();
    if (r.width <= 2 || r.height <= 2 || r.right <= 0 || r.left >= innerWidth) return null;
    const s = getComputedStyle(e);
    return s.visibility === 'hidden' || s.display === 'none' ? null : r;
  };
  for (const [selector, target] of targets) {
    for (const found of scope.querySelectorAll(selector)) {
      const e = target(found);
      if (seen.has(e)) continue;
      seen.add(e);
      if (e.matches('a') && e.closest('[data-testid=stMarkdownContainer] :is(p, li)')) continue;
      const r = shown(e);
      if (r && r.height < tap - 0.5) small.push(`${name(e)} ${Math.round(r.height)} px`);
    }
  }
  // anything past the right edge must sit in a box that scrolls sideways and itself fits
  for (const e of (root ? scope : document.querySelector('[data-testid=stMain]')).querySelectorAll('*')) {
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.right <= innerWidth + 1) continue;
    let box = e.parentElement, ok = false;
    for (; box; box = box.parentElement) {
      const o = getComputedStyle(box).overflowX;
      if (o === 'auto' || o === 'scroll') { ok = box.getBoundingClientRect().right <= innerWidth + 1; break; }
    }
    if (!ok) cut.push(`${name(e)} to ${Math.round(r.right)} px`);
  }
  const title = document.querySelector('[data-testid=stMain] h1, [data-testid=stMain] h2');
  const header = document.querySelector('[data-testid=stHeader]');
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth, small, cut: cut.slice(0, 5),
          titleTop: title ? title.getBoundingClientRect().top : null,
          headerBottom: header ? header.getBoundingClientRect().bottom : 0};
}"""


def check(page, where: str, root: str | None = None) -> None:
    found = page.evaluate(CHECK, [root, TAP_PX])
    assert found["scrollWidth"] <= found["innerWidth"], f"{where}: the page scrolls sideways ({found})"
    assert not found["cut"], f"{where}: wider than the screen and not in a scrolling box: {found['cut']}"
    assert not found["small"], f"{where}: controls under {TAP_PX} px tall: {found['small']}"
    if root is None:
        assert found["titleTop"] is not None, f"{where}: no title"
        assert found["titleTop"] >= found["headerBottom"], f"{where}: the title is under the header ({found})"


@pytest.fixture(scope="module")
def phone(browser):
    with streamlit_server(LOG) as url:
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        attempts = loopback_only(context)
        page = context.new_page()
        yield url, page
        context.close()
    assert not attempts, f"the page asked for something beyond loopback: {attempts[:5]}"
    log = (ARTIFACTS / LOG).read_text(errors="replace")
    assert "Traceback" not in log, log[-2000:]


def drawn(page) -> None:
    """Until every chart on screen has drawn its marks (they draw after the script ends)."""
    page.wait_for_function("""() => [...document.querySelectorAll(
      '[data-testid=stMain] [data-testid=stVegaLiteChart]')]
      .every(c => c.querySelector('svg.marks, canvas'))""", timeout=60_000)


@pytest.mark.parametrize("path", [p for p, _, _ in PAGES])
def test_every_page_fits_a_phone(phone, path):
    url, page = phone
    name = path.removeprefix("app_pages/").removesuffix(".py")
    open_app(page, f"{url}/{'' if name == 'home' else name}", timeout=180_000)
    drawn(page)
    assert exceptions(page) == []
    check(page, name)
    screenshot(page, f"phone-{name}")


# the pages with digits (64 inputs, 10 classes): PCA views, the template plane and the test images
DIGITS_VIEWS = {"train": "ds_name=digits", "sweep": "sw_name=digits", "representations": "preset=digits"}


@pytest.mark.parametrize("name", list(DIGITS_VIEWS))
def test_the_digits_views_fit_a_phone(phone, name):
    url, page = phone
    open_app(page, f"{url}/{name}?{DIGITS_VIEWS[name]}", timeout=180_000)
    drawn(page)
    assert exceptions(page) == []
    check(page, f"{name} on digits")
    screenshot(page, f"phone-{name}-digits")


@pytest.mark.parametrize("name", ["train", "sweep"])
def test_the_sidebars_controls_are_big_enough_to_tap(phone, browser, name):
    url, _ = phone
    # a session of its own: on a phone the open sidebar covers the page, and stays open
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    attempts = loopback_only(context)
    try:
        page = context.new_page()
        open_app(page, f"{url}/{name}", timeout=180_000)
        page.get_by_test_id("stExpandSidebarButton").tap()
        page.wait_for_function("""() => { const r = document.querySelector('[data-testid=stSidebar]')
          .getBoundingClientRect(); return r.width > 0 && r.left >= 0; }""")
        check(page, f"{name}'s sidebar", "[data-testid=stSidebar]")
        screenshot(page, f"phone-{name}-sidebar")
    finally:
        context.close()
    assert not attempts


@pytest.mark.parametrize("number", range(1, len(workshop.STATIONS) + 1))
def test_every_station_fits_a_phone_before_and_after_its_reveal(phone, number):
    url, page = phone
    station = workshop.station(number)
    open_app(page, f"{url}/workshop?station={number}")
    check(page, f"station {number}")
    answer = page.locator("label[data-testid=stRadioOption]", has_text=station.choices[station.correct])
    assert answer.bounding_box()["height"] >= TAP_PX  # an answer row
    answer.tap()
    settle(page)
    page.get_by_role("button", name="Lock in my answer").tap()
    page.wait_for_selector("[data-testid='stMain'] [data-testid='stVegaLiteChart']", state="attached",
                           timeout=120_000)
    settle(page)
    drawn(page)
    assert exceptions(page) == []
    check(page, f"station {number}'s reveal")
    chart = page.locator("[data-testid=stMain] [data-testid=stVegaLiteChart]").first
    label = chart.get_attribute("aria-label")
    assert label.startswith(f"The measurement for station {number}, {station.title}: ")  # its alt text
    screenshot(page, f"phone-station-{number}")
