"""Shared fixtures: a real `streamlit run` server on a free port, and headless Chromium."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


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
    between frames would otherwise read as load to the pacer (playground/sharing.py)."""
    from playground.ui.runtime import configure_process, pacer
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_process(log_name: str = "server.log", *flags: str, env: dict | None = None):
    """`streamlit run app.py` on a free loopback port, with extra command-line `flags` and
    environment; yields (base URL, the process) once healthy, and stops it after."""
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    with open(ARTIFACTS / log_name, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", *flags],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_healthy(url, proc, 60, f"streamlit did not start; see {ARTIFACTS / log_name}")
            yield url, proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextmanager
def streamlit_server(log_name: str = "server.log"):
    """`streamlit run app.py` on a free loopback port; yields its base URL once healthy."""
    with streamlit_process(log_name) as (url, _):
        yield url


def wait_until_healthy(url: str, proc: subprocess.Popen, seconds: float, failure: str) -> None:
    """Until `url`'s /_stcore/health answers; fail with `failure` if `proc` exits or time runs out."""
    deadline = time.time() + seconds
    while not _healthy(url):
        if proc.poll() is not None or time.time() > deadline:
            pytest.fail(failure)
        time.sleep(0.2)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


@pytest.fixture(scope="session")
def server():
    """The app served for the whole test session."""
    with streamlit_server() as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium from the system (never Playwright's own download). Missing is a failure."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install it (apt-get install -y chromium) "
                    "or point the CHROMIUM variable at it")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


LOOPBACK = ("http://127.0.0.1", "ws://127.0.0.1", "http://localhost", "ws://localhost", "data:", "blob:",
            "about:")


def loopback_only(context) -> list[str]:
    """Abort every request the browser makes beyond loopback; returns the list of those attempts,
    which a test asserts empty: the app must need nothing from outside its own server."""
    attempts: list[str] = []

    def route(r):
        if r.request.url.startswith(LOOPBACK):
            r.continue_()
        else:
            attempts.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    return attempts


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    attempts = loopback_only(context)
    pg = context.new_page()
    yield pg
    context.close()
    assert not attempts, f"the page asked for something beyond loopback: {attempts[:5]}"
