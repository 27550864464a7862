"""The protocol-level load generator (tools/loadgen.py) against the real server: sessions open
/train, press Play and keep the live fragments running without a browser. Its logic only: how
fast the server serves is a figure the tool prints (tools/capacity.py), not a test."""
import pytest

from tools.loadgen import loopback_base, main, open_session, run_load
from tools.serve import ARTIFACTS

SERVER_LOG = ARTIFACTS / "server.log"  # the `server` fixture's


def test_two_sessions_play_and_the_counter_moves(server):
    report = run_load(server, sessions=2, seconds=8, server_log=SERVER_LOG)
    print("\n" + report.describe())
    summary = report.as_dict()
    assert [e for r in report.results for e in r.errors] == []
    assert report.server_errors == []  # e.g. a run still going when its session closed
    assert summary["first_render_missing"] == 0
    assert summary["updates_per_s"]["min"] > 0
    assert summary["frame_latency_s"]["p50"] is not None
    assert summary["frame_interval_s"]["p50"] is not None
    for result in report.results:
        assert result.advanced, f"session {result.index}: the step counter stayed at {result.last_step}"


def test_a_live_run_draws_several_frames_per_run_of_the_script(server):
    """live_view.live_frame draws frames in bursts: Streamlit's own cost of a run is paid once per
    burst, not once per frame. With one frame per run there is at most one new step value per run
    of the live fragment, and fewer updates than runs of all fragments together; how many a burst
    holds depends on the machine's speed (tools.loadgen prints it as updates per script run)."""
    report = run_load(server, sessions=1, seconds=6, server_log=SERVER_LOG)
    assert report.errors == 0, report.as_dict()["error_messages"]
    result = report.results[0]
    print(f"\n{result.updates} updates in {result.runs} runs; frame interval "
          f"{report.as_dict()['frame_interval_s']}")
    assert result.updates > result.runs


def test_without_play_the_counter_stays(server):
    """What the test above relies on: the counter moves because Play was pressed."""
    report = run_load(server, sessions=1, seconds=2, play=False, server_log=SERVER_LOG)
    assert report.errors == 0, report.as_dict()["error_messages"]
    result = report.results[0]
    assert result.first_render_s is not None
    assert not result.advanced and result.updates == 0


def test_a_session_opens_builds_its_run_and_closes(server):
    session = open_session(server, query="ds_seed=7", play=True)
    try:
        assert session.result.first_render_s is not None
        assert session.result.updates > 0  # open_session waited for the counter to move
    finally:
        result = session.close()
    assert result.errors == []


@pytest.mark.parametrize("url", ["http://example.com:8501", "http://10.0.0.1:8501", "https://127.0.0.1:8501",
                                 "http://127.0.0.1"])
def test_only_loopback_is_accepted(url):
    with pytest.raises(ValueError):
        loopback_base(url)
    with pytest.raises(SystemExit):
        main(["--url", url, "--seconds", "1"])


def test_loopback_spellings():
    assert loopback_base("http://localhost:8501/train") == "http://127.0.0.1:8501"
    assert loopback_base("ws://[::1]:8501") == "http://[::1]:8501"
