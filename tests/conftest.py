"""Shared fixtures: a real `streamlit run` server on a free port, and headless Chromium (started
by tools/serve.py, which the benchmark commands share)."""
from __future__ import annotations

import os

import pytest

import playground.ui.shell.threads  # noqa: F401  (before PyTorch loads: one thread per op in every test, as served)
from tools.serve import (  # noqa: F401 (ARTIFACTS and free_port: for tests/browser.py)
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    chromium_missing,
    free_port,
    loopback_only,
    streamlit_process,
    streamlit_server,
)

pytest_plugins = ["tests.postgres"]  # the PostgreSQL server's fixtures, for every test that asks

# The app's warm-up trains four pages' default results in the background (playground/ui/server/warmup.py):
# no test process or server it starts does unless a test asks for it.
os.environ.setdefault("PLAYGROUND_WARMUP", "0")
os.environ.setdefault("PLAYGROUND_SERVER_PAGE", "1")  # the tests cover the host's health page too

# AppTest's wait for one run of a page: a guard against a hung run, not a speed check (a page that
# trains took over 60 s on 2 cores shared with other work)
APP_TIMEOUT_S = 240


@pytest.fixture(scope="session", autouse=True)
def rooms_store(tmp_path_factory):
    """Workshop rooms in a file of this test session, for the app in-process and every server it starts."""
    path = tmp_path_factory.mktemp("rooms") / "rooms.sqlite3"
    old = os.environ.get("PLAYGROUND_ROOMS_DB")
    os.environ["PLAYGROUND_ROOMS_DB"] = str(path)
    yield path
    if old is None:
        os.environ.pop("PLAYGROUND_ROOMS_DB", None)
    else:
        os.environ["PLAYGROUND_ROOMS_DB"] = old


@pytest.fixture
def unpaced(monkeypatch):
    """Live pages in-process that train exactly their 'steps per update': the test harness's own CPU
    between frames would otherwise read as load to the pacer (playground/serving/sharing.py)."""
    from playground.ui.server.runtime import configure_process, pacer
    monkeypatch.setenv("PLAYGROUND_LIVE_CORES", "1024")
    configure_process.clear()
    pacer.clear()
    yield
    monkeypatch.undo()
    configure_process.clear()
    pacer.clear()


@pytest.fixture(scope="module")
def one_thread():
    """One torch thread, as the server runs: on a busy small machine extra OpenMP threads only fight
    the other work (a training run took 200 s with two threads under load, 8 s with one)."""
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def server():
    """The app served for the whole test session."""
    with streamlit_server() as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium from the system (never Playwright's own download). Missing is a failure."""
    if missing := chromium_missing():
        pytest.fail(missing)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    attempts = loopback_only(context)
    pg = context.new_page()
    yield pg
    context.close()
    assert not attempts, f"the page asked for something beyond loopback: {attempts[:5]}"
