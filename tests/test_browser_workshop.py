"""The workshop in Chromium: a paced round (vote, discussion, revote, reveal) with a facilitator and
two learners in their own browsers, reloads included; every station worked alone at a projector's
size; simple mode hides the advanced sections on screen."""
from __future__ import annotations

import csv
import re
import time

import pytest

from playground.experiments import workshop
from tests.browser import drawn, exceptions, open_app, screenshot, settle
from tools.serve import ARTIFACTS, loopback_only, streamlit_server

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("one_thread")]
LOG = "server-workshop.log"


@pytest.fixture(scope="module")
def workshop_server():
    with streamlit_server(LOG) as url:
        yield url


def fresh_page(browser, width=1400, height=1000):
    context = browser.new_context(viewport={"width": width, "height": height})
    return context, loopback_only(context), context.new_page()


def lock_answer(page, station: workshop.Station, choice: int) -> float:
    """Pick a choice, lock it, wait for the reveal; returns the seconds from the click to the chart."""
    page.get_by_text(station.choices[choice], exact=True).click()
    settle(page)
    start = time.perf_counter()
    page.get_by_role("button", name="Lock in my answer").click()
    page.wait_for_selector("[data-testid='stMain'] [data-testid='stVegaLiteChart']", state="attached",
                           timeout=60_000)
    settle(page)
    return time.perf_counter() - start


def main_text(page) -> str:
    return page.inner_text("[data-testid='stMain']")


def wait_text(page, pattern: str, timeout: int = 60_000) -> None:
    """Until the page's main area matches `pattern` (a JavaScript regular expression)."""
    page.wait_for_function(f"/{pattern}/.test(document.querySelector(\"[data-testid='stMain']\").innerText)",
                           timeout=timeout)


def vote(page, station: workshop.Station, choice: int) -> None:
    page.get_by_text(station.choices[choice], exact=True).click()
    settle(page)
    page.get_by_role("button", name=re.compile("Send my vote|Change my vote")).click()
    wait_text(page, "Your vote is in")


def test_a_round_with_a_revote_in_three_browsers_and_reloads_that_keep_everyone(workshop_server, browser):
    """A facilitator and two learners, each in their own browser: both vote (hidden), one reloads
    and is still the same learner with the same vote; the facilitator closes the vote for
    discussion, opens the revote, reveals both votes side by side, downloads the results as a CSV,
    reloads and keeps the room."""
    host_context, host_attempts, host = fresh_page(browser, 1024, 768)  # the projector
    contexts = [fresh_page(browser, 390, 844) for _ in range(2)]  # two phones
    station = workshop.station(1)
    try:
        open_app(host, f"{workshop_server}/facilitator")
        host.get_by_role("button", name="Open a room").click()
        host.get_by_role("button", name="Reveal").wait_for()
        settle(host)
        code = re.search(r"Room\s+([A-Z0-9]{6})", main_text(host)).group(1)
        assert host.locator("[data-testid='stImage'] img").first.is_visible()  # the QR code
        screenshot(host, "workshop-facilitator-open")

        phones = [page for _, _, page in contexts]
        for n, phone in enumerate(phones):
            open_app(phone, f"{workshop_server}/workshop?room={code}")
            assert f"Room {code}" in main_text(phone)
            vote(phone, station, n)  # one right, one wrong
        assert not phones[0].locator("[data-testid='stMain'] [data-testid='stVegaLiteChart']").count()
        phones[0].reload()  # a reload is the same learner, vote and all
        wait_text(phones[0], f"Your vote is in: {re.escape(station.choices[0])}")
        wait_text(host, "learners in the room\\s*2")
        wait_text(host, "votes in this round\\s*2")
        assert not host.locator("[data-testid='stMain'] [data-testid='stVegaLiteChart']").count()  # hidden
        screenshot(phones[0], "workshop-learner-voted")

        host.get_by_role("button", name="Discuss, then revote").click()
        for phone in phones:
            wait_text(phone, "first vote is closed")
        screenshot(phones[1], "workshop-learner-discuss")
        host.get_by_role("button", name="Open the revote").click()
        for phone in phones:
            wait_text(phone, "Your first vote was")
            vote(phone, station, station.correct)  # both convinced
        host.get_by_role("button", name="Reveal").click()
        for phone in phones:
            wait_text(phone, "Right\\.")
        host.wait_for_selector("[data-testid='stMain'] [data-testid='stVegaLiteChart']", state="attached")
        both = host.locator("[aria-label*='first vote'][aria-label*='revote']")
        assert both.count() >= 1  # the first and second votes, side by side
        screenshot(host, "workshop-facilitator-reveal")
        screenshot(phones[1], "workshop-learner-reveal")
        host.get_by_text("Results so far").click()
        with host.expect_download() as downloaded:
            host.get_by_role("button", name="Download the results (CSV)").click()
        assert downloaded.value.suggested_filename == f"room-{code}-results.csv"
        with open(downloaded.value.path(), newline="") as file:
            rows = list(csv.reader(file))
        assert rows[0] == ["station", "title", "round", "choice", "votes", "voters", "learners", "right"]
        revote = {r[3]: int(r[4]) for r in rows[1:] if r[2] == "revote"}
        assert revote[station.choices[station.correct]] == 2 and sum(revote.values()) == 2
        assert sum(int(r[4]) for r in rows[1:] if r[2] == "first vote") == 2
        assert not any(re.search(r"[0-9a-f]{16}", line) for line in map(",".join, rows))  # no learner ids

        host.reload()  # the projector's tab reloaded: the room stays in hand
        host.get_by_role("button", name="Next station").wait_for(timeout=60_000)
        assert code in main_text(host)
        host.get_by_role("button", name="Next station").click()
        for phone in phones:
            wait_text(phone, "Station 2 of 6")
        assert exceptions(host) == [] and all(exceptions(p) == [] for p in phones)
    finally:
        host_context.close()
        for context, _, _ in contexts:
            context.close()
    assert not host_attempts and not any(attempts for _, attempts, _ in contexts)
    log = (ARTIFACTS / LOG).read_text(errors="replace")
    assert "Traceback" not in log, log[-2000:]


def test_every_station_reveals_at_a_projectors_size(workshop_server, browser):
    context, attempts, page = fresh_page(browser, 1024, 768)
    times = {}
    try:
        for number, station in enumerate(workshop.STATIONS, 1):
            open_app(page, f"{workshop_server}/workshop?station={number}")
            times[number] = lock_answer(page, station, station.correct)
            drawn(page)
            screenshot(page, f"workshop-station-{number}")
            chart = page.locator("[data-testid='stMain'] [data-testid='stVegaLiteChart'] canvas, "
                                 "[data-testid='stMain'] [data-testid='stVegaLiteChart'] svg.marks").first
            assert chart.bounding_box()["width"] > 200, f"station {number}: the chart is not drawn"
            assert exceptions(page) == [], f"station {number}"
            text = page.inner_text("[data-testid='stMain']")
            assert "Right." in text and "Measured on this server" in text, f"station {number}"
    finally:
        context.close()
    print("reveal seconds in the browser:", {n: round(t, 1) for n, t in times.items()})
    assert not attempts


def test_simple_mode_hides_the_network_section_on_screen(workshop_server, browser):
    context, attempts, page = fresh_page(browser)
    try:
        open_app(page, f"{workshop_server}/train?simple=1&net_units=64")
        sidebar = page.locator("[data-testid='stSidebar']")
        assert sidebar.get_by_text("Data", exact=True).first.is_visible()
        assert not sidebar.get_by_text("Network", exact=True).is_visible()
        assert not sidebar.get_by_text("Optimizer", exact=True).is_visible()
        assert "net_units=64" in page.url and "simple=1" in page.url
        screenshot(page, "simple-mode-train")
    finally:
        context.close()
    assert not attempts
