"""The replica notice: the caption naming the replica, and the message after a session moved.
The whole path through a real proxy is in tests/test_proxy.py; cookies cannot be given to AppTest,
so here the cookie the browser sent is stood in for."""
import pytest
from streamlit.testing.v1 import AppTest

from playground.ui.shell import replica
from playground.ui.shell.replica import ENV, moved_from, replica_id
from tests.conftest import APP_TIMEOUT_S


def test_moved_only_when_the_cookie_names_another_replica():
    assert moved_from("r1", "r2") == "r1"
    assert moved_from(" r1 ", "r2") == "r1"
    assert moved_from("r2", "r2") is None
    assert moved_from(None, "r2") is None and moved_from("", "r2") is None
    assert moved_from("r1", "") is None  # a replica without a name cannot tell


def test_replica_id_falls_back_to_the_host_name(monkeypatch):
    monkeypatch.setenv(ENV, "r7")
    assert replica_id() == "r7"
    monkeypatch.delenv(ENV)
    monkeypatch.setattr(replica.socket, "gethostname", lambda: "host-1")
    assert replica_id() == "host-1"


def _page():
    from playground.ui.shell.replica import replica_notice
    replica_notice()


def page_with_cookie(monkeypatch, cookie):
    monkeypatch.setattr(replica, "_request_cookie", lambda: cookie)
    return AppTest.from_function(_page, default_timeout=30)


def test_a_session_from_a_stopped_replica_is_told_once(monkeypatch):
    monkeypatch.setenv(ENV, "r2")
    at = page_with_cookie(monkeypatch, "r1").run()
    assert [c.value for c in at.sidebar.caption] == ["served by `r2`"]
    [info] = at.info
    assert "The server you were on (`r1`) stopped; you are now on `r2`." in info.value
    assert "starts again from step 0" in info.value
    at.run()
    assert not at.info  # the cookie stays as it was when the session connected: judged once
    assert [c.value for c in at.sidebar.caption] == ["served by `r2`"]


@pytest.mark.parametrize("cookie", ["r2", None])
def test_a_session_on_its_own_replica_sees_only_the_caption(monkeypatch, cookie):
    monkeypatch.setenv(ENV, "r2")
    at = page_with_cookie(monkeypatch, cookie).run()
    assert not at.info and [c.value for c in at.sidebar.caption] == ["served by `r2`"]


def test_nothing_at_all_without_a_replica_name(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    at = page_with_cookie(monkeypatch, "r1").run()
    assert not at.info and not at.sidebar.caption and not at.caption


def test_a_hostile_cookie_is_shown_as_a_value(monkeypatch):
    monkeypatch.setenv(ENV, "r2")
    at = page_with_cookie(monkeypatch, "[sign in](https://evil.example)").run()
    assert "`[sign in](https://evil.example)`" in at.info[0].value


def test_the_app_names_its_replica(monkeypatch):
    monkeypatch.setenv(ENV, "r2")
    at = AppTest.from_file("../app.py", default_timeout=APP_TIMEOUT_S).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "served by `r2`" in [c.value for c in at.sidebar.caption]
    assert not at.info or all("stopped" not in i.value for i in at.info)
