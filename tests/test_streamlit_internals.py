"""The one door to Streamlit's internals: pinned to the version it was checked on, and every access
falls back to public behaviour, with one warning, when Streamlit changed under it."""
import logging
import re
from pathlib import Path

import pytest
import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner_utils import script_run_context

from playground.ui import streamlit_internals as internals
from playground.ui.live import pacing, scenes
from playground.ui.shell import errors

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def fresh_warnings():
    internals._warned.clear()
    yield
    internals._warned.clear()


def test_the_accesses_were_checked_on_the_pinned_streamlit():
    pinned = re.search(r"^streamlit==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M).group(1)
    assert pinned == internals.CHECKED_ON == st.__version__


def test_no_other_module_reaches_into_streamlit():
    private = re.compile(r"streamlit\.(runtime|proto|web)\b|_query_params|_send_query_param_msg")
    files = [p for top in ("playground", "pages") for p in (ROOT / top).rglob("*.py")]
    offenders = [str(p.relative_to(ROOT)) for p in files
                 if p.name != "streamlit_internals.py" and private.search(p.read_text())]
    offenders += ["app.py"] if private.search((ROOT / "app.py").read_text()) else []
    assert offenders == []


class Bare:
    """A run context from a Streamlit whose internals changed: none of the attributes are there."""


@pytest.fixture
def changed_ctx(monkeypatch):
    monkeypatch.setattr(internals, "_ctx", lambda: Bare())


@pytest.mark.parametrize(("call", "public"), [
    (lambda: internals.session_id(), ""),
    (lambda: internals.fragments_this_run(), []),
    (lambda: internals.retime_fragment("f", 0.5), False),
    (lambda: internals.take_timer_request("f"), False),
    (lambda: internals.release_widget_key("k"), False),
    (lambda: internals.rewrite_query_param("k", ["1"]), False),
])
def test_a_changed_run_context_falls_back_with_one_warning(changed_ctx, caplog, call, public):
    with caplog.at_level(logging.WARNING, logger=internals.__name__):
        assert call() == public
        assert call() == public
    warnings = [r for r in caplog.records if "Streamlit internals changed" in r.getMessage()]
    assert len(warnings) == 1 and internals.CHECKED_ON in warnings[0].getMessage()


def test_a_changed_thread_state_means_no_fragment_and_pages_stop_publicly(monkeypatch, caplog):
    monkeypatch.setattr(internals, "_ctx", lambda: object())  # inside a run
    def gone():
        raise AttributeError("ThreadState.get")
    monkeypatch.setattr(script_run_context.ThreadState, "get", gone)
    assert internals.fragment_id() is None
    assert internals.in_fragment(unknown=True) is True
    # the live view then draws one frame per run: no burst, no request taken, nothing retimed
    assert pacing.last_fragment_of_run() is False and pacing.next_request(0.01) is False
    assert pacing.retime(0.5) is None
    stopped = []
    monkeypatch.setattr(st, "stop", lambda: stopped.append(True))
    with pytest.raises(errors.PageStop):  # st.stop() (patched here to return) comes first
        errors.stop_page()
    assert stopped == [True]


def test_a_changed_request_queue_draws_one_frame_per_run(monkeypatch):
    monkeypatch.setattr(internals, "fragment_id", lambda: "f")
    monkeypatch.setattr(internals, "fragments_this_run", lambda: ["f"])
    monkeypatch.setattr(internals, "_ctx", lambda: Bare())
    assert pacing.last_fragment_of_run() is True
    assert pacing.next_request(5.0) is False  # at once, not after the timeout
    assert scenes.release_scenes() is False


def test_a_changed_runtime_is_not_counted_and_releases_nothing(monkeypatch):
    def gone(*_):
        raise AttributeError("Runtime.instance")
    monkeypatch.setattr(Runtime, "instance", gone)
    monkeypatch.setattr(Runtime, "exists", gone)
    assert internals.connected_sessions() is None
    assert internals.session_checker() is None
    assert internals.runtime_exists() is False


def test_without_a_runtime_nothing_is_counted():
    assert not Runtime.exists()
    assert internals.connected_sessions() is None and internals.session_checker() is None
