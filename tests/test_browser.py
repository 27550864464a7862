"""The app opened for real: `streamlit run` on a free port, headless Chromium via Playwright."""
import re
import time

import pytest

from playground.ui.live.live_view import PICTURE_PX
from tests.browser import (
    exceptions,
    new_pick,
    open_app,
    scenes,
    screenshot,
    settle,
    shown_step,
    step_past,
    still_for,
)
from tools.serve import streamlit_server

pytestmark = pytest.mark.browser


def test_home_page_renders_without_exception(server, page):
    open_app(page, server)
    assert page.get_by_text("Label Smoothing Playground").first.is_visible()
    page.wait_for_selector("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg")
    assert page.get_by_text("optimal logit gap").first.is_visible()
    assert page.get_by_text("Trains on:").first.is_visible()
    assert exceptions(page) == []
    screenshot(page, "home")


def test_train_page_plays_and_draws(server, page):
    open_app(page, f"{server}/train")
    assert shown_step(page) == 0
    page.get_by_role("button", name="Play", exact=True).click()
    first = step_past(page, 0)
    began = time.monotonic()
    step_past(page, first)  # still advancing
    update_s = time.monotonic() - began  # about one update's interval on this machine, now
    # both boundary pictures are loaded images, and the charts drew
    drawn = scenes(page)  # both boundaries, drawn in the browser from the server's grids
    assert len(drawn) == 2 and all(d["width"] >= PICTURE_PX / 2 and d["coloured"] > 0.3 for d in drawn), drawn
    assert all(d["step"] > 0 for d in drawn)
    assert len({d["step"] for d in drawn}) == 1, drawn  # both pictures from one frame
    page.wait_for_selector("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg")
    assert exceptions(page) == []
    screenshot(page, "train")
    page.get_by_role("button", name="Pause", exact=True).click()
    page.get_by_role("button", name="Play", exact=True).wait_for(timeout=30_000)
    # paused, the counter holds still for many of the intervals it moved at (an update already on
    # its way may still arrive first); playing, it would never hold that long
    hold_ms = max(1000, 4000 * update_s)
    still_for(page, hold_ms, timeout=30_000 + hold_ms)


def test_deep_link_on_a_fresh_server_goes_through_app_py(page):
    """The first request a server sees is /train: it must still get app.py's page set-up (the page
    scripts live in app_pages/, not pages/, so Streamlit never runs one alone)."""
    with streamlit_server("server-deeplink.log") as url:
        open_app(page, f"{url}/train")
        # app.py loads PyTorch first: wait for the page
        page.get_by_role("heading", name=re.compile("Train live")).wait_for(timeout=60_000)
        nav = page.inner_text("[data-testid='stSidebarNav']")
        assert "Train live" in nav and "Overview" in nav  # app.py's menu, not file names
        assert exceptions(page) == []


@pytest.mark.parametrize("path,heading,charts", [("labels", "Smoothed labels", 2),
                                                 ("gradients", "Gradients near saturation", 3)])
def test_mechanism_pages_render(server, page, path, heading, charts):
    open_app(page, f"{server}/{path}")
    assert page.get_by_role("heading", name=heading).is_visible()
    page.wait_for_selector("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg")
    assert page.locator("[data-testid='stVegaLiteChart']").count() >= charts
    assert exceptions(page) == []
    screenshot(page, path)


@pytest.mark.parametrize("path,heading", [("sweep", "ε sweep"), ("calibration", "Calibration")])
def test_sweep_pages_render(server, page, path, heading):
    open_app(page, f"{server}/{path}", timeout=120_000)
    assert page.get_by_role("heading", name=heading).first.is_visible()
    page.wait_for_selector("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg")
    assert exceptions(page) == []
    screenshot(page, path)


def test_uploads_on_the_live_page(server, page, tmp_path):
    """A good CSV restarts training on it; a bad one gets a specific message and changes nothing."""
    open_app(page, f"{server}/train")
    good = tmp_path / "mine.csv"
    good.write_text("x1,x2,label\n" + "".join(f"{i % 7},{i % 5},{i % 3}\n" for i in range(60)))
    bad = tmp_path / "broken.csv"
    bad.write_text("x1,x2,label\n1,2,0\n3,oops,1\n")
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    upload = page.locator("[data-testid='stSidebar'] input[type='file']")
    upload.set_input_files(str(bad))
    page.get_by_text("Could not use broken.csv").wait_for(timeout=30_000)
    assert "x2 in row 3='oops'" in page.inner_text("[data-testid='stSidebar']")
    upload.set_input_files(str(binary))
    page.get_by_text("Could not use photo.csv").wait_for(timeout=30_000)
    upload.set_input_files(str(good))
    page.get_by_text("Using mine.csv: 60 points of 2 features, 3 classes.").wait_for(timeout=30_000)
    page.get_by_text("Training restarted").first.wait_for(timeout=30_000)
    assert exceptions(page) == []
    screenshot(page, "upload")
    # five feature columns, in any order: standardised and drawn in the PCA view, which the page names
    wide = tmp_path / "wide.csv"
    wide.write_text("a,label,b,c,d,e\n" + "".join(f"{i % 7},{i % 3},{i % 5},{i * i % 11},{-i},{i % 4}\n"
                                                   for i in range(90)))
    upload.set_input_files(str(wide))
    page.get_by_text("Using wide.csv: 90 points of 5 features, 3 classes, drawn in a PCA view.").wait_for(
        timeout=30_000)
    page.get_by_text("PCA view of the 5 inputs").wait_for(timeout=60_000)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b,c,label\n1,2,3,0\n4,,6,1\n")
    upload.set_input_files(str(ragged))
    page.get_by_text("Could not use ragged.csv").wait_for(timeout=30_000)
    assert "b in row 3='missing'" in page.inner_text("[data-testid='stSidebar']")
    assert exceptions(page) == []
    screenshot(page, "upload-wide")


def test_clicking_a_point_in_the_picker_inspects_it(server, page):
    """The Altair point selection: a click on a dot moves the inspector to that point."""
    open_app(page, f"{server}/train")
    picker = page.locator(".st-key-picker [data-testid='stVegaLiteChart']")
    picker.scroll_into_view_if_needed()
    box = picker.locator("canvas, svg").first.bounding_box()
    index = page.get_by_label("point index")
    start = index.input_value()
    # the moons fill the middle of the 300 px plot; try a grid of spots until one lands on a dot
    for fx in (0.35, 0.45, 0.55, 0.65, 0.3, 0.5, 0.7):
        for fy in (0.35, 0.45, 0.55, 0.65, 0.5):
            page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
            if new_pick(page, {start}) is not None:
                settle(page)
                assert exceptions(page) == []
                picked = int(index.input_value())
                assert "point at" in page.inner_text("[data-testid='stMain']")
                assert 0 <= picked < 400
                return
    pytest.fail("no click on the picker selected a point")


def test_a_link_cannot_write_links_or_pictures_into_the_app(server, page, tmp_path):
    """Hostile names, values and cells are echoed as plain text; the page fixture also fails on any
    request beyond loopback, so a picture that tried to load would be caught there too."""
    from urllib.parse import quote
    name = quote("Session expired=[Click here to sign in again](https://evil.example/login) "
                 "![](https://evil.example/pixel.png)", safe="=")
    open_app(page, f"{server}/train?{name}")
    value = quote("**Server overloaded.** [Continue on our mirror](https://evil.example)")
    open_app(page, f"{server}/sweep?sw_lr={value}", timeout=120_000)
    warnings = page.inner_text("[data-testid='stMain']")
    assert "Continue on our mirror" in warnings  # shown, as text
    open_app(page, f"{server}/train")
    hostile = tmp_path / "[Click](https:evil.example).csv"
    hostile.write_text("x1,x2,label\n1,2,0\n3,[x](https://evil.example/c) ![](https://evil.example/i.png),1\n")
    page.locator("[data-testid='stSidebar'] input[type='file']").set_input_files(str(hostile))
    page.get_by_text("Could not use").wait_for(timeout=30_000)
    for selector in ("a[href*='evil.example']", "img[src*='evil.example']", "strong:has-text('Server')"):
        assert page.locator(selector).count() == 0, selector
    assert exceptions(page) == []


@pytest.mark.parametrize("path,expected", [("nonexistent", "There is no page at /nonexistent"),
                                           ("TRAIN", "Did you mean /train")])
def test_an_address_that_names_no_page_says_so(server, page, path, expected):
    open_app(page, f"{server}/{path}")
    page.get_by_text(expected).wait_for(timeout=30_000)
    assert exceptions(page) == []


def test_moving_between_pages_gives_no_false_page_notice(server, page):
    open_app(page, f"{server}/train")
    page.locator("[data-testid='stSidebarNav']").get_by_text("Gradients").click()
    page.get_by_role("heading", name="Gradients near saturation").wait_for(timeout=60_000)
    settle(page)
    assert "There is no page" not in page.inner_text("[data-testid='stMain']")


def test_an_upload_that_cannot_be_split_is_refused_and_training_goes_on(server, page, tmp_path):
    open_app(page, f"{server}/train")
    small = tmp_path / "ten_classes.csv"
    small.write_text("x1,x2,label\n" + "".join(f"{i},{i * 7 % 5},{i // 2}\n" for i in range(20)))
    page.locator("[data-testid='stSidebar'] input[type='file']").set_input_files(str(small))
    page.get_by_text("Could not use").wait_for(timeout=30_000)
    settle(page)
    text = page.inner_text("[data-testid='stApp']")
    assert "test_fraction" in text and "Using" not in text
    assert len(scenes(page)) == 2  # the live view stays
    assert exceptions(page) == []
