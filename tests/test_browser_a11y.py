"""WCAG 2.2 AA in Chromium with axe-core: every page at a desktop's and a phone's width has no
serious or critical violation; every picture and chart has a text alternative that says what it
shows; glossary terms open by keyboard and by tap; a workshop station can be done with the
keyboard alone and focus stays on the control after Lock and Next; no axis titles overlap; the
way in (the live page's first controls in view, the Overview's links, the preset link)."""
from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from playground.core.glossary import GLOSSARY
from playground.experiments import presets
from playground.ui.shell.navigation import PAGES
from tests.browser import exceptions, open_app, screenshot, settle
from tests.conftest import ARTIFACTS, loopback_only, streamlit_server

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("one_thread")]
LOG = "server-a11y.log"
SIZES = {"desktop": {"width": 1400, "height": 1000}, "phone": {"width": 390, "height": 844}}
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
GENERIC = {"", "chart", "image", "picture", "plot", "figure", "graph", "vega visualization"}
AXE = Axe()


@pytest.fixture(scope="module")
def server_url():
    with streamlit_server(LOG) as url:
        yield url
    log = (ARTIFACTS / LOG).read_text(errors="replace")
    assert "Traceback" not in log, log[-2000:]


@pytest.fixture(scope="module", params=list(SIZES))
def sized(browser, request):
    context = browser.new_context(viewport=SIZES[request.param], is_mobile=request.param == "phone",
                                  has_touch=request.param == "phone")
    attempts = loopback_only(context)
    yield request.param, context.new_page()
    context.close()
    assert not attempts, f"the page asked for something beyond loopback: {attempts[:5]}"


@pytest.fixture
def fresh(browser):
    """A new browser session (its own Streamlit session) at a desktop's size."""
    contexts = []

    def make(width=1400, height=1000, touch=False):
        context = browser.new_context(viewport={"width": width, "height": height}, has_touch=touch)
        contexts.append((context, loopback_only(context)))
        return context.new_page()
    yield make
    for context, attempts in contexts:
        context.close()
        assert not attempts, f"the page asked for something beyond loopback: {attempts[:5]}"


def drawn(page) -> None:
    """Until every chart on screen has drawn its marks (they draw after the script ends)."""
    page.wait_for_function("""() => [...document.querySelectorAll(
      '[data-testid=stMain] [data-testid=stVegaLiteChart]')]
      .every(c => c.querySelector('svg.marks, canvas'))""", timeout=60_000)


# every picture's and chart's text alternative, and the axis titles that overlap in each SVG chart
ALTERNATIVES = """() => {
  const main = document.querySelector('[data-testid=stMain]');
  const pictures = [...main.querySelectorAll('img')].filter(i => i.getClientRects().length)
    .map(i => i.getAttribute('alt'));
  const charts = [...main.querySelectorAll('[data-testid=stVegaLiteChart]')].map(c => {
    const root = c.querySelector('svg.marks, canvas');
    const titles = root && root.tagName === 'svg'
      ? [...root.querySelectorAll('.role-axis-title text')]
          .map(t => [t.textContent, t.getBoundingClientRect()])
      : [];
    const overlaps = [];
    for (let i = 0; i < titles.length; i++) for (let j = i + 1; j < titles.length; j++) {
      const [a, ra] = titles[i], [b, rb] = titles[j];
      const apart = ra.right - 1 <= rb.left || rb.right - 1 <= ra.left || ra.bottom - 1 <= rb.top
        || rb.bottom - 1 <= ra.top;
      if (!apart) overlaps.push(`${a} / ${b}`);
    }
    return {label: c.getAttribute('aria-label'), svg: !!root && root.tagName === 'svg',
            titles: titles.length, overlaps};
  });
  return {pictures, charts};
}"""


def path_of(script: str) -> str:
    name = script.removeprefix("app_pages/").removesuffix(".py")
    return "" if name == "home" else name


def serious(page) -> str:
    """axe-core's serious and critical WCAG 2.2 AA violations on the page, as a report ('' if none)."""
    results = AXE.run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
    bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    return "\n".join(f"{v['id']} ({v['impact']}): {len(v['nodes'])} nodes, e.g. "
                     f"{v['nodes'][0]['target']} {v['nodes'][0]['html'][:200]}" for v in bad)


# pages again on digits (64 inputs, 10 classes): PCA views, the template plane, the test images
DIGITS_VIEWS = {"app_pages/train.py": "ds_name=digits", "app_pages/sweep.py": "sw_name=digits",
                "app_pages/representations.py": "preset=digits"}
VIEWS = [(p, "") for p, _, _ in PAGES] + list(DIGITS_VIEWS.items())


@pytest.mark.parametrize("script, query", VIEWS, ids=lambda v: v.removeprefix("app_pages/") or "default")
def test_every_page_passes_axe_and_says_what_its_pictures_show(server_url, sized, script, query):
    size, page = sized
    open_app(page, f"{server_url}/{path_of(script)}{'?' + query if query else ''}", timeout=180_000)
    drawn(page)
    assert exceptions(page) == []
    report = serious(page)
    assert not report, report

    found = page.evaluate(ALTERNATIVES)
    # the live canvases sit in a component's shadow root, which Playwright's locators enter
    found["canvases"] = page.locator(".scenes canvas").evaluate_all(
        "cs => cs.map(c => [c.getAttribute('role'), c.getAttribute('aria-label')])")
    for alt in found["pictures"]:
        assert alt and alt.strip().lower() not in GENERIC and len(alt) > 30, f"picture alt {alt!r}"
    for chart in found["charts"]:
        label = chart["label"] or ""
        assert label.strip().lower() not in GENERIC and len(label) > 30, f"chart label {label!r}"
        assert not chart["overlaps"], f"axis titles overlap in '{label[:80]}': {chart['overlaps']}"
    for role, label in found["canvases"]:  # the live page's boundaries
        assert role == "img" and re.search(r"^Decision boundary of .+ at step [\d,]+, test accuracy "
                                           r"\d\.\d{3}: .*\(class 0\)", label or ""), label
    if script == "app_pages/train.py":
        assert len(found["canvases"]) == 2
    if script == "app_pages/alternatives.py":  # the risk-coverage panels, whose titles overlapped
        risk = [c for c in found["charts"] if (c["label"] or "").startswith("Risk")]
        assert risk and risk[0]["svg"] and risk[0]["titles"] >= 2
        nll = [c for c in found["charts"] if "NLL" in (c["label"] or "")]
        assert nll
    if query == "preset=digits":  # the test images, each named with both models' verdicts
        images = [c for c in found["charts"] if "test images, each beside" in (c["label"] or "")]
        assert images and images[0]["label"].count("one-hot says") == 6
    screenshot(page, f"a11y-{size}-{path_of(script) or 'home'}{'-digits' if query else ''}")


def active(page) -> str:
    """What has keyboard focus: its tag and its text (without icons, which are text ligatures)."""
    return page.evaluate("""() => { const e = document.activeElement.cloneNode(true);
      e.querySelectorAll('[data-testid=stIconMaterial]').forEach(i => i.remove());
      return `${document.activeElement.tagName.toLowerCase()}: ${(e.textContent || '').trim()}`; }""")


def tab_to(page, selector: str, most: int = 80) -> None:
    """Press Tab until the focused element matches `selector`, as a keyboard user would."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"{most} Tabs never reached {selector}; focus is on {active(page)}")


def test_glossary_terms_open_by_keyboard_and_by_tap(server_url, fresh):
    page = fresh()
    open_app(page, f"{server_url}/labels")
    tab_to(page, ".glossary summary")
    term = page.evaluate("() => document.activeElement.textContent")
    details = page.locator(".glossary details", has=page.locator("summary", has_text=term))
    note = details.locator("[role=note]")
    assert not note.is_visible()
    page.keyboard.press("Enter")
    note.wait_for(state="visible")
    assert GLOSSARY[term][:40] in note.inner_text()
    page.keyboard.press("Enter")
    note.wait_for(state="hidden")

    phone = fresh(390, 844, touch=True)
    open_app(phone, f"{server_url}/labels")
    summary = phone.locator(".glossary summary").nth(1)
    term = summary.inner_text()
    summary.tap()
    note = phone.locator(".glossary details[open] [role=note]")
    note.wait_for(state="visible")
    assert GLOSSARY[term][:40] in note.inner_text()
    box = note.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390  # the meaning opens on the screen


def test_a_station_is_done_with_the_keyboard_alone_and_focus_stays_on_its_button(server_url, fresh):
    page = fresh()
    open_app(page, f"{server_url}/workshop?station=2")
    tab_to(page, "input[type=radio]")
    page.keyboard.press("Space")  # picks the first answer
    settle(page)
    assert page.locator("input[type=radio]:checked").count() == 1
    tab_to(page, "button", most=5)
    assert active(page) == "button: Lock in my answer"
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid='stMain'] [data-testid='stVegaLiteChart']", state="attached",
                           timeout=120_000)
    settle(page)
    assert re.search(r"You answered: .+\.", page.inner_text("[data-testid=stMain]"))
    assert active(page) == "button: Next: station 3", "focus left the button after Lock"
    drawn(page)
    report = serious(page)  # the revealed station too
    assert not report, report
    page.keyboard.press("Enter")
    page.wait_for_function("/Station 3 of 6/.test(document.querySelector('[data-testid=stMain]').innerText)")
    settle(page)
    assert active(page) == "button: Lock in my answer", "focus left the button after Next"
    assert exceptions(page) == []


def test_focus_stays_on_the_facilitators_next_button(server_url, fresh):
    page = fresh(1024, 768)
    open_app(page, f"{server_url}/facilitator")
    page.get_by_role("button", name="Open a room").click()
    after = page.get_by_role("button", name="Next station")
    after.wait_for()
    settle(page)
    after.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("/Station 2 of 6/.test(document.querySelector('[data-testid=stMain]').innerText)",
                           timeout=60_000)
    settle(page)
    assert active(page) == "button: Next station"


def in_view(page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= page.viewport_size["height"]


def test_the_live_pages_first_controls_are_in_view_at_1366x768(server_url, fresh):
    page = fresh(1366, 768)
    open_app(page, f"{server_url}/train")
    sidebar = page.get_by_test_id("stSidebar")
    eps = sidebar.get_by_test_id("stSlider").filter(has_text="ε of the smoothed model")
    objective = sidebar.get_by_test_id("stSelectbox").filter(has_text="the second model trains with")
    play = page.get_by_role("button", name="Play")
    screenshot(page, "a11y-train-1366x768")
    for name, control in (("ε", eps), ("the objective", objective), ("Play", play)):
        assert in_view(page, control), f"{name} is not in view without scrolling: {control.bounding_box()}"


def test_the_overview_leads_to_train_the_sweep_and_the_workshop_in_one_click(server_url, fresh):
    page = fresh()
    links = (("Train two networks live", "/train", "Train live"), ("Sweep ε", "/sweep", "ε sweep"),
             ("Take the workshop", "/workshop", "Workshop"))
    for label, path, title in links:
        open_app(page, server_url)
        page.get_by_role("link", name=label).click()
        page.wait_for_url(re.compile(re.escape(path) + r"(\?|$)"))
        settle(page, 180_000)
        assert page.locator("[data-testid=stMain] h1").first.inner_text().startswith(title)
        assert exceptions(page) == []


def test_the_live_page_says_why_smoothing_looks_worse_and_links_to_where_it_helps(server_url, fresh):
    page = fresh()
    open_app(page, f"{server_url}/train")
    main = page.inner_text("[data-testid=stMain]")
    assert "smoothing helps where a model over-fits noisy data" in main
    page.get_by_role("link", name=re.compile("over-confident preset")).click()
    page.wait_for_url(re.compile(r"/sweep\?.*preset=overconfident"))
    settle(page, 240_000)
    # the preset picker shows the preset's title under it: the link set the page to that preset
    assert presets.get("overconfident").title in page.inner_text("[data-testid=stSidebar]")
    assert exceptions(page) == []
