"""Two replicas behind a real HAProxy on loopback, with the settings of deploy/haproxy.cfg: sessions
spread over the replicas and stick to one; a replica that stops sends its sessions to the live
one, where the page says what happened, and the other replica's sessions go on untouched.

Which replica served what is read twice over: the page names its replica ("served by r1", from
PLAYGROUND_REPLICA), and the proxy's log names the backend and server of every request, with the
cookie the client sent and what the proxy made of it."""
from __future__ import annotations

import subprocess
import time

import pytest

from tools.cluster import COOKIE, DEPLOYED, Cluster, haproxy_binary, replicas_behind_proxy
from tools.loadgen import USER_AGENT, log_errors, open_session, run_load
from tools.serve import ARTIFACTS, ROOT, ServerError, free_port

REPLICAS = ("r1", "r2")
MOVE_TIMEOUT_S = 60.0  # a stopped replica's sessions must be on the live one within this


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    try:
        with replicas_behind_proxy(REPLICAS, config_dir=tmp_path_factory.mktemp("proxy")) as running:
            yield running
    except ServerError as err:
        pytest.fail(str(err))


def test_the_deployed_configs_are_valid_and_agree():
    check = subprocess.run([haproxy_binary(), "-c", "-f", str(DEPLOYED)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    text = DEPLOYED.read_text()
    [cookie] = [line.split() for line in text.splitlines() if line.strip().startswith("cookie ")]
    assert cookie[:3] == ["cookie", COOKIE, "insert"] and "indirect" not in cookie  # the app reads it
    for setting in ("option redispatch", "option httpchk GET /_stcore/health", "timeout tunnel 1h",
                    "balance roundrobin", "nameserver dns 127.0.0.11:53"):
        assert setting in text
    # the compose file runs this proxy config; Kubernetes uses the same cookie and health check
    compose = (ROOT / "deploy" / "compose.yaml").read_text()
    assert "image: haproxy:2.6" in compose
    assert "./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in compose
    assert f'session-cookie-name: "{COOKIE}"' in (ROOT / "deploy" / "k8s" / "ingress.yaml").read_text()
    assert (ROOT / "deploy" / "k8s" / "deployment.yaml").read_text().count("path: /_stcore/health") == 2


def by_session(requests: list[dict], index: int) -> list[dict]:
    return [r for r in requests if r["ua"] == f"{USER_AGENT}/{index}"]


def wait_for(condition, timeout_s: float, what: str) -> float:
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > timeout_s:
            pytest.fail(f"{what}: not within {timeout_s:g} s")
        time.sleep(0.1)
    return time.perf_counter() - start


def logged_websockets(cluster: Cluster, indexes: list[int], each: int) -> list[dict]:
    """Every request the proxy has logged, once it has logged `each` websockets of every session in
    `indexes`: it logs a websocket when the websocket closes, a moment after the client closed it."""
    def streams(requests, index):
        return sum(r["path"] == "/_stcore/stream" for r in by_session(requests, index))

    wait_for(lambda: all(streams(cluster.requests(), i) >= each for i in indexes), 30,
             f"the proxy's log of {each} websocket(s) for each of sessions {indexes}")
    return cluster.requests()


def no_tracebacks():
    for name in REPLICAS:
        assert log_errors(ARTIFACTS / f"server-{name}.log") == [], name


def test_sessions_spread_over_the_replicas_and_stick(cluster):
    report = run_load(cluster.url, sessions=4, seconds=4)
    print("\n" + report.describe())
    summary = report.as_dict()
    assert report.errors == 0, summary["error_messages"]
    spread = summary["sessions_per_replica"]
    print(f"sessions per replica: {spread}")
    assert set(spread) == set(REPLICAS) and sum(spread.values()) == 4, spread
    requests = logged_websockets(cluster, [r.index for r in report.results], 1)
    for result in report.results:
        [replica] = result.replicas  # the page named one replica, all along
        assert result.cookies[COOKIE] == replica and len(result.session_ids) == 1 and result.reconnects == 0
        assert result.advanced
        seen = by_session(requests, result.index)
        bound = [r for r in seen if r["backend"] == "sessions"]
        # the session's own requests all went to its replica: the first (its websocket, without a
        # cookie) was balanced and given the cookie, any later one came with it
        assert bound and {r["server"] for r in bound} == {replica}, seen
        assert bound[0]["path"] == "/_stcore/stream" and bound[0]["status"] == "101"
        assert bound[0]["cookie"] == "-" and bound[0]["persistence"] == "NI", bound[0]
        assert all(r["cookie"] == f"{COOKIE}={replica}" and r["persistence"] == "VN"
                   for r in bound[1:]), bound
        # the page itself came from any replica, and nothing there touched the cookie
        pages = [r for r in seen if r["backend"] == "pages"]
        assert [r["path"] for r in pages] == ["/train"] and pages[0]["persistence"] == "--", pages

    # a browser that comes back with the cookie goes to the same replica, and after a dropped
    # connection it gets its own session back there (the same session id), with no word of a move
    for k, replica in enumerate(REPLICAS):
        session = open_session(cluster.url, query=f"ds_seed={40 + k}", play=True, index=40 + k,
                               cookies={COOKIE: replica})
        try:
            assert session.result.replicas == [replica]
            runs = session.result.runs
            session.drop()
            wait_for(lambda s=session, n=runs: s.result.reconnect_s and s.result.runs > n + 2, 30,
                     "runs again after a dropped connection")
            result = session.result
            assert result.replicas == [replica] and len(result.session_ids) == 1 and result.reconnects == 1
            assert not [m for m in result.shown_after_reconnect if "server you were on" in m]
            assert result.errors == [] and result.cookies[COOKIE] == replica
        finally:
            session.close()
    no_tracebacks()


def told(session, stopped: str, live: str) -> bool:
    """The page names the live replica and has said that the stopped one stopped."""
    result = session.result
    return result.replicas[-1:] == [live] and any(
        f"The server you were on (`{stopped}`) stopped; you are now on `{live}`." in m
        for m in result.shown_after_reconnect)


def test_a_stopped_replicas_sessions_move_to_the_live_one_and_are_told(cluster):
    stopped, live = REPLICAS
    sessions = [open_session(cluster.url, query=f"ds_seed={60 + i}", play=True, index=60 + i)
                for i in range(4)]
    # a page at rest on the replica that stops: the frontend reconnects it but asks for no run
    resting = open_session(cluster.url, query="ds_seed=70", index=70, cookies={COOKIE: stopped})
    try:
        on = {name: [s for s in sessions if s.result.replicas == [name]] for name in REPLICAS}
        assert all(on.values()), {n: len(v) for n, v in on.items()}
        moved, stayed = on[stopped], on[live]
        assert resting.result.replicas == [stopped]
        steps_before = [s.result.last_step for s in stayed]
        wait_for(lambda: all((s.result.last_step or 0) > 100 for s in moved), 60, "training before the stop")
        moved_before = [s.result.last_step for s in moved]
        _, process = cluster.replicas[stopped]
        stopped_at = time.perf_counter()
        process.terminate()
        process.wait(timeout=30)
        exited = time.perf_counter() - stopped_at
        wait_for(lambda: all(told(s, stopped, live) and s.result.first_step_after_reconnect is not None
                             for s in moved), MOVE_TIMEOUT_S,
                 f"the sessions of {stopped} told on {live}")
        took = time.perf_counter() - stopped_at
        print(f"\n{stopped} stopped; its {len(moved)} playing sessions reconnected to {live} "
              + ", ".join(f"{s.result.reconnect_s[0]:.1f} s" for s in moved)
              + f" after the drop, and all showed the message {took:.1f} s after the signal (the process "
              f"exited {exited:.1f} s after it)")
        for s, before in zip(moved, moved_before):
            result = s.result
            assert result.errors == [] and result.reconnects == 1
            assert result.replicas == [stopped, live] and len(result.session_ids) == 2
            assert result.cookies[COOKIE] == live  # the proxy re-set it on the websocket's handshake
            # a new session: training started again from step 0 (it may since have passed `before`)
            assert result.first_step_after_reconnect < before
            print(f"session {result.index} was shown: {result.shown_after_reconnect}")
        # the live replica's sessions never noticed: no reconnect, no error, still training
        for s, before in zip(stayed, steps_before):
            wait_for(lambda s=s, n=before: s.result.last_step > n + 5, 30, "training on the live replica")
            assert s.result.errors == [] and s.result.reconnects == 0 and s.result.replicas == [live]
        # the page at rest is reconnected and says nothing until it is used; then it is told
        wait_for(lambda: resting.result.reconnect_s, MOVE_TIMEOUT_S, "the resting page reconnected")
        assert resting.result.replicas == [stopped] and resting.result.shown_after_reconnect == []
        resting.play()
        wait_for(lambda: told(resting, stopped, live) and resting.result.updates > 0, 30,
                 "the resting page told, and training, after Play")
        assert resting.result.errors == []
    finally:
        for s in [*sessions, resting]:
            s.close()
    requests = logged_websockets(cluster, [s.result.index for s in [*moved, resting]], 2)
    for s in [*moved, resting]:
        seen = by_session(requests, s.result.index)
        before, after = [r for r in seen if r["path"] == "/_stcore/stream"]
        assert before["server"] == stopped and after["server"] == live
        # the websocket came back with the stopped replica's cookie, was sent on, and got a new one
        # (D: its server was known down; V: still thought up, then redispatched when it refused)
        assert after["cookie"] == f"{COOKIE}={stopped}" and after["persistence"] in ("DI", "VI"), after
        # the pings before it went to the pages and left the cookie as it was
        pings = [r for r in seen if r["path"] in ("/_stcore/health", "/_stcore/host-config")]
        assert pings and all(r["backend"] == "pages" and r["server"] == live for r in pings), pings
    no_tracebacks()


def test_the_proxy_sets_the_security_headers_and_hides_the_metrics(cluster):
    import urllib.error
    import urllib.request

    for path in ("/", "/_stcore/health"):
        with urllib.request.urlopen(cluster.url + path, timeout=10) as response:
            headers = response.headers
        assert headers["Content-Security-Policy"] == "frame-ancestors 'self'", path
        assert headers["X-Frame-Options"] == "SAMEORIGIN", path
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin", path
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(cluster.url + "/_stcore/metrics", timeout=10)
    assert refused.value.code == 404


def test_frame_ancestors_can_name_an_embedding_host():
    text = DEPLOYED.read_text()
    assert "presetenv FRAME_ANCESTORS \"'self'\"" in text
    assert 'frame-ancestors ${FRAME_ANCESTORS}' in text and "path_beg /_stcore/metrics" in text



def host_page(page, parent: str, app: str) -> None:
    """Serve `parent` from the test itself: a page whose only content is an iframe of `app`."""
    page.route(parent, lambda r: r.fulfill(
        content_type="text/html",
        body=f'<!doctype html><title>host</title><iframe title="app" src="{app}" width="800" height="600">'))


def test_another_origin_cannot_frame_the_app_and_the_app_itself_can(cluster, page):
    app = f"{cluster.url}/"
    same = f"{cluster.url}/embed-check.html"  # the proxy's own origin: allowed by frame-ancestors 'self'
    host_page(page, same, app)
    page.goto(same)
    page.frame_locator("iframe").locator('[data-testid="stApp"]').wait_for(timeout=60_000)

    other = page.context.new_page()
    elsewhere = f"http://127.0.0.1:{free_port()}/embed.html"  # another port is another origin
    host_page(other, elsewhere, app)
    # Chromium replaces a frame it refuses to show with its error page
    with other.expect_event("framenavigated", lambda f: f.parent_frame is not None
                            and f.url.startswith("chrome-error:"), timeout=60_000):
        other.goto(elsewhere)
    frame = other.frames[1]
    assert frame.query_selector('[data-testid="stApp"]') is None and not frame.url.startswith(app)
