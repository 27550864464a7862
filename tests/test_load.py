"""Load: 20 concurrent sessions against the real server on loopback, each training; 0 errors."""
import pytest

from tests.conftest import streamlit_server
from tests.load import describe, load_run

pytestmark = pytest.mark.browser


def test_twenty_concurrent_training_sessions_have_no_errors():
    with streamlit_server("server-load.log") as url:
        report = load_run(url, sessions=20, train_s=4.0)
    print("\n" + describe(report))
    assert report["errors"] == 0, report["error_messages"]
    assert report["steps_min"] > 0  # every session trained
    assert report["updates_per_s"]["min"] > 0  # and every browser saw its pictures move
