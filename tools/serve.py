"""The app and a browser as the tools and the tests start them: `streamlit run app.py` on a free
loopback port, and the system's headless Chromium (never Playwright's own download) kept on
loopback. tests/conftest.py builds its fixtures on these."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"  # server logs and screenshots
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOOPBACK = ("http://127.0.0.1", "ws://127.0.0.1", "http://localhost", "ws://localhost", "data:", "blob:",
            "about:")
START_S = 60.0  # a fresh server's wait for /_stcore/health


class ServerError(RuntimeError):
    """A server (the app or a proxy) that did not come up."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_process(log_name: str = "server.log", *flags: str, env: dict | None = None):
    """`streamlit run app.py` on a free loopback port, with extra command-line `flags` and
    environment, its output in artifacts/`log_name`; yields (base URL, the process) once healthy,
    and stops it after."""
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    with open(ARTIFACTS / log_name, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", *flags],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_healthy(url, proc, START_S, f"streamlit did not start; see {ARTIFACTS / log_name}")
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
    """Until `url`'s /_stcore/health answers; ServerError(`failure`) if `proc` exits or time runs out."""
    deadline = time.monotonic() + seconds
    while not healthy(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise ServerError(failure)
        time.sleep(0.2)


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def chromium_missing() -> str | None:
    """Why the system Chromium cannot be used, or None."""
    from shutil import which
    if Path(CHROMIUM).exists() or which(CHROMIUM):
        return None
    return (f"Chromium not found at {CHROMIUM}: install it (apt-get install -y chromium) "
            "or point the CHROMIUM variable at it")


def is_loopback(url: str) -> bool:
    return url.startswith(LOOPBACK)


def loopback_only(context) -> list[str]:
    """Abort every request a (sync Playwright) browser context makes beyond loopback; returns the
    list of those attempts, which a caller asserts empty: the app must need nothing from outside
    its own server."""
    attempts: list[str] = []

    def route(r):
        if is_loopback(r.request.url):
            r.continue_()
        else:
            attempts.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    return attempts
