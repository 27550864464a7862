"""An unexpected exception in a page reaches the browser as a short message with an error id; its
traceback, with the server's paths, goes only to the server log under that id."""
import logging
import re

from streamlit.testing.v1 import AppTest

from playground.core import smoothing
from tests.conftest import APP_TIMEOUT_S

SECRET = "/srv/secret/path/playground.py"


def test_a_failing_page_shows_an_error_id_and_no_traceback(monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError(f"boom in {SECRET}")

    monkeypatch.setattr(smoothing, "target_values", broken)
    caplog.set_level(logging.ERROR, logger="playground.errors")
    at = AppTest.from_file("../app.py", default_timeout=APP_TIMEOUT_S)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = " ".join(e.value for e in at.error)
    [error_id] = re.findall(r"error id `([0-9a-f]{8})`", shown)
    screen = " ".join(str(getattr(e, "value", "")) for e in at.main) + shown
    assert SECRET not in screen and "Traceback" not in screen and "RuntimeError" not in screen
    logged = [r for r in caplog.records if error_id in r.getMessage()]
    assert logged and logged[0].exc_info and SECRET in str(logged[0].exc_info[1])
    assert at.sidebar  # the shared sidebar is still drawn after the page failed
