"""The workshop in Chromium: a learner locks an answer and sees the measured reveal, and the
facilitator's tally, open in another browser, counts it; every station at a projector's size;
simple mode hides the advanced sections on screen."""
from __future__ import annotations

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


def test_a_learner_locks_an_answer_and_the_facilitator_counts_it(workshop_server, browser):
    host_context, host_attempts, host = fresh_page(browser, 1024, 768)  # the projector
    learn_context, learn_attempts, learner = fresh_page(browser)
    try:
        open_app(host, f"{workshop_server}/facilitator")
        host.get_by_role("button", name="Open a room").click()
        host.get_by_role("button", name="Next station").wait_for()
        settle(host)
        code = re.search(r"Room\s+([A-Z0-9]{6})", host.inner_text("[data-testid='stMain']")).group(1)
        assert host.locator("[data-testid='stImage'] img").first.is_visible()  # the QR code
        screenshot(host, "workshop-facilitator-open")

        open_app(learner, f"{workshop_server}/workshop?room={code}")
        assert f"Room {code}" in learner.inner_text("[data-testid='stMain']")
        station = workshop.station(1)
        assert learner.get_by_role("button", name="Lock in my answer").is_visible()
        seconds = lock_answer(learner, station, station.correct)
        text = learner.inner_text("[data-testid='stMain']")
        assert "Right." in text and "The predictions follow through training" in text
        print(f"station 1 reveal in the browser: {seconds:.1f} s")
        screenshot(learner, "workshop-learner-reveal")

        host.wait_for_function(  # the live tally refreshes every 2 s
            "/locked answers here\\s*1/.test(document.querySelector(\"[data-testid='stMain']\").innerText)",
            timeout=60_000)
        assert re.search(r"learners in the room\s*1", host.inner_text("[data-testid='stMain']"))
        screenshot(host, "workshop-facilitator-tally")

        host.get_by_role("button", name="Next station").click()
        learner.wait_for_function(  # the learner's page follows the room
            "/Station 2 of 6/.test(document.querySelector(\"[data-testid='stMain']\").innerText)",
            timeout=60_000)
        assert exceptions(host) == [] and exceptions(learner) == []
    finally:
        host_context.close()
        learn_context.close()
    assert not host_attempts and not learn_attempts
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
