"""Trained results are computed once per process: across sessions, toggles and pages, one training
per key even when several ask at the same moment; the server warms each page's default up in the
background without holding up a page."""
from __future__ import annotations

import threading
from dataclasses import replace

import pytest
import torch

from playground.experiments import sweep
from playground.serving.limits import Limits, memory_budget
from playground.ui.controls import compare_controls, distill_controls, representation_controls, sweep_controls
from playground.ui.server import training_run, warmup
from playground.ui.server.results_cache import RESULTS, Request, ResultsCache, deep_size
from playground.ui.shell.errors import stop_page
from tests.test_url import open_with

WAIT_S = 60  # the longest any condition below may take to come true on a busy machine
# a sweep small enough to train in a moment, spelled as a link and as the config the page builds
TINY_LINK = {"sw_steps": "100", "sw_seeds": "1", "sw_count": "2", "sw_n": "100"}
TINY = replace(sweep_controls.default_config(), dataset=replace(sweep_controls.DATA, n=100),
               eps=(0.0, 0.5), seeds=1, steps=100)


def until(condition, seconds: float = WAIT_S) -> bool:
    """Poll `condition` until it holds (True) or `seconds` pass (False)."""
    pause = threading.Event()
    for _ in range(int(seconds / 0.02)):
        if condition():
            return True
        pause.wait(0.02)
    return condition()


def request(key: str, train, page: str = "p") -> Request:
    return Request(page, key, "1 model", 1, 10, 10, [4], 2, train)


@pytest.fixture
def fresh():
    """The process's cache empty before and after, so other tests' results do not count here."""
    RESULTS.clear()
    yield RESULTS
    RESULTS.clear()


@pytest.fixture
def counted(monkeypatch):
    """playground.experiments.sweep.run wrapped to count its calls (the cache calls it through the module)."""
    calls = []
    real = sweep.run

    def counting(config, *args, **kwargs):
        calls.append(config.key())
        return real(config, *args, **kwargs)

    monkeypatch.setattr(sweep, "run", counting)
    return calls


def test_two_askers_at_the_same_moment_train_once_and_get_the_same_result():
    cache, started, go, calls = ResultsCache(), threading.Event(), threading.Event(), []

    def train(report):
        calls.append(1)
        started.set()
        assert go.wait(WAIT_S)
        report(10, 10, 0.0)
        return object()

    got = [None, None]

    def ask(i):
        got[i] = cache.get(request("k", train))

    first = threading.Thread(target=ask, args=(0,))
    first.start()
    assert started.wait(WAIT_S)
    second = threading.Thread(target=ask, args=(1,))
    second.start()
    flying = cache.in_flight()
    assert len(flying) == 1
    assert until(lambda: flying[0].waiters == 1)  # the second asker has joined the first's training
    go.set()
    first.join(WAIT_S)
    second.join(WAIT_S)
    assert calls == [1] and got[0] is got[1] is not None
    assert cache.trainings == 1 and flying[0].progress == (10, 10, 0.0)
    assert cache.get(request("k", train)) is got[0] and calls == [1]  # kept: no training


def test_a_failed_training_reaches_every_asker_and_is_not_kept():
    cache, calls = ResultsCache(), []

    def train(report):
        calls.append(1)
        raise ValueError("steps=0 is not allowed: at least 1")

    for _ in range(2):
        with pytest.raises(ValueError, match="steps=0"):
            cache.get(request("k", train))
    assert len(calls) == 2 and cache.keys("p") == [] and not cache.in_flight()


def test_at_most_max_entries_per_page_least_recently_used_first():
    cache = ResultsCache({"a": 2})
    for key in ("1", "2"):
        cache.get(request(key, lambda report, key=key: key, page="a"))
    assert cache.cached("a", "1") == (True, "1")  # 1 is now the most recently used
    cache.get(request("3", lambda report: "3", page="a"))
    assert cache.keys("a") == ["1", "3"]
    assert cache.cached("a", "2") == (False, None)
    assert cache.stats()["a"]["entries"] == 2 and cache.stats()["a"]["max_entries"] == 2


def test_at_most_max_bytes_in_all_least_recently_used_first():
    cache = ResultsCache(8, max_bytes=25_000)
    for key in ("1", "2", "3"):  # 10 kB each: the third passes the bound and the first goes
        cache.get(request(key, lambda report: torch.zeros(2500), page="a" if key != "2" else "b"))
    assert cache.keys("a") == ["3"] and cache.keys("b") == ["2"]
    assert sum(row["bytes"] for row in cache.stats().values()) == 20_000
    alone = ResultsCache(8, max_bytes=1)
    alone.get(request("big", lambda report: torch.zeros(10)))
    assert alone.keys("p") == ["big"]  # one larger than the bound is still kept, alone


def test_a_training_holds_its_memory_share_while_it_trains():
    cache, seen = ResultsCache(), []
    job = request("k", lambda report: seen.append(memory_budget().used))
    before = memory_budget().used
    cache.get(job)
    assert seen == [before + job.nbytes] and memory_budget().used == before


def test_deep_size_counts_tensors_frames_and_bytes_once():
    import pandas as pd
    t = torch.zeros(1000)
    frame = pd.DataFrame({"x": range(1000)})
    shared = {"a": t, "b": t, "frame": frame, "image": b"x" * 5000}
    assert deep_size(t) == 4000
    assert 4000 + 8000 + 5000 < deep_size(shared) < 4000 + 8000 + 5000 + 2000  # the tensor once


def test_two_sessions_and_a_toggle_train_the_sweep_once(fresh, counted):
    first = open_with("app_pages/sweep.py", TINY_LINK)
    assert not first.exception, [e.value for e in first.exception]
    assert counted == [TINY.validated().key()]
    first.toggle(key="sw_animate").set_value(True).run()  # a view toggle: the page reruns
    first.toggle(key="sw_animate").set_value(False).run()
    first.select_slider(key="sw_scrub").set_value(0.5).run()
    second = open_with("app_pages/sweep.py", TINY_LINK)  # another visitor, same settings
    calibration = open_with("app_pages/calibration.py", TINY_LINK)  # the same sweep, another page
    for at in (first, second, calibration):
        assert not at.exception, [e.value for e in at.exception]
    assert len(counted) == 1 and fresh.trainings == 1
    shown = [c.value for c in second.caption if "models (2 ε × 1 seeds)" in c.value]
    assert shown and shown == [c.value for c in first.caption if "models (2 ε × 1 seeds)" in c.value]
    # another setting is another result: trained, and kept beside the first
    open_with("app_pages/sweep.py", {**TINY_LINK, "sw_seeds": "2"})
    assert len(counted) == 2 and len(fresh.keys("sweep")) == 2


def test_a_visitor_arriving_while_the_warm_up_trains_waits_for_that_training(fresh, counted, monkeypatch):
    go = threading.Event()
    real = sweep.run

    def held(config, *args, **kwargs):
        assert go.wait(WAIT_S)
        return real(config, *args, **kwargs)

    monkeypatch.setattr(sweep, "run", held)
    job = sweep_controls.request(TINY.validated())
    warming = threading.Thread(target=warmup.warm_up, args=([job], Limits()))
    warming.start()
    page = {}
    visitor = threading.Thread(target=lambda: page.update(at=open_with("app_pages/sweep.py", TINY_LINK)))
    visitor.start()
    joined = until(lambda: any(f.waiters >= 1 for f in fresh.in_flight()) or not visitor.is_alive())
    flying = fresh.in_flight()
    go.set()
    assert joined and flying and flying[0].waiters == 1, "the page did not join the warm-up's training"
    warming.join(WAIT_S)
    visitor.join(WAIT_S)
    at = page["at"]
    assert not at.exception, [e.value for e in at.exception]
    assert any("models (2 ε × 1 seeds)" in c.value for c in at.caption)
    assert fresh.trainings == 1 and fresh.keys("sweep") == [job.key]


PAGES = {"app_pages/sweep.py": (sweep_controls, "sweep"),
         "app_pages/calibration.py": (sweep_controls, "sweep"),
         "app_pages/alternatives.py": (compare_controls, "alternatives"),
         "app_pages/representations.py": (representation_controls, "representations"),
         "app_pages/distillation.py": (distill_controls, "distillation")}


@pytest.mark.parametrize("path", list(PAGES))
def test_the_warm_up_trains_exactly_what_each_page_asks_for_at_its_defaults(path, monkeypatch):
    module, page = PAGES[path]
    asked = []

    def record(request):  # what the page would train; then the page stops, nothing trains
        asked.append(request)
        stop_page()

    monkeypatch.setattr(module, "trained", record)
    at = open_with(path, {})
    assert not at.exception, [e.value for e in at.exception]
    warmed = {r.page: r for r in warmup.default_requests()}
    assert [(r.page, r.key) for r in asked] == [(page, warmed[page].key)]
    assert (asked[0].models, asked[0].runs, asked[0].nbytes) == (
        warmed[page].models, warmed[page].runs, warmed[page].nbytes)


def test_the_warm_up_starts_once_in_the_background_and_never_holds_up_a_page(fresh, monkeypatch):
    go, trained = threading.Event(), []

    def slow(report):
        assert go.wait(WAIT_S)
        trained.append(1)
        return "warm"

    monkeypatch.setattr(warmup, "default_requests", lambda: [request("default", slow, page="sweep")])
    monkeypatch.setattr(warmup, "_thread", None)
    monkeypatch.setenv(warmup.ENV, "1")
    at = open_with("app_pages/home.py", {})  # app.py starts it; the page renders while it trains
    assert not at.exception and at.title
    thread = warmup._thread
    assert thread is not None and thread.daemon and thread.is_alive() and not trained
    assert warmup.start_warmup(Limits()) is None  # once per process
    open_with("app_pages/home.py", {})
    assert warmup._thread is thread
    go.set()
    thread.join(WAIT_S)
    assert trained == [1] and fresh.cached("sweep", "default") == (True, "warm")


def test_the_warm_up_can_be_skipped_and_a_bad_setting_is_named(monkeypatch):
    monkeypatch.setattr(warmup, "_thread", None)
    assert warmup.start_warmup(Limits(), env={warmup.ENV: "0"}) is None and warmup._thread is None
    with pytest.raises(ValueError, match="PLAYGROUND_WARMUP='yes'.*'0', '1'"):
        warmup.start_warmup(Limits(), env={warmup.ENV: "yes"})


def test_the_warm_up_skips_what_the_caps_refuse_and_goes_on_after_a_failure():
    cache = ResultsCache()

    def broken(report):
        raise RuntimeError("boom")

    big = Request("big", "k", "huge", 10**6, 10**6, 10**6, [4], 2, lambda report: pytest.fail("trained"))
    jobs = [request("k", broken, page="broken"), big, request("k", lambda report: "ok", page="fine")]
    assert warmup.warm_up(jobs, Limits(), cache) == ["fine"]
    assert cache.cached("fine", "k") == (True, "ok") and cache.keys("big") == []


def test_a_page_waiting_for_a_training_shows_its_progress(monkeypatch):
    """The bar follows the training another asker started."""
    shown = []

    class Bar:
        def __enter__(self):
            return lambda done, total, left: shown.append((done, total))

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(training_run, "training_progress", lambda what: Bar())
    monkeypatch.setattr(training_run, "POLL_S", 0.01)
    cache, go, halfway = ResultsCache(), threading.Event(), threading.Event()

    def train(report):
        report(5, 10, 1.0)
        halfway.set()
        assert go.wait(WAIT_S)
        return "done"

    monkeypatch.setattr(training_run, "RESULTS", cache)
    cache.flight(request("k", train))
    assert halfway.wait(WAIT_S)
    result = {}
    waiter = threading.Thread(target=lambda: result.update(r=training_run.trained(request("k", train))))
    waiter.start()
    until(lambda: shown or not waiter.is_alive())
    go.set()
    waiter.join(WAIT_S)
    assert result["r"] == "done" and (5, 10) in shown and cache.trainings == 1


def test_every_finished_training_hands_its_memory_back(monkeypatch):
    from playground.ui.server import results_cache, runtime

    freed = []
    monkeypatch.setattr(results_cache, "after_flight", lambda: freed.append(1))
    cache = ResultsCache(2)
    cache.get(request("ok", lambda progress: 1))
    with pytest.raises(RuntimeError):
        cache.get(request("bad", lambda progress: (_ for _ in ()).throw(RuntimeError("x"))))
    assert len(freed) == 2  # after a result and after a failure alike
    assert runtime.limit_arenas() is (runtime._libc is not None)  # glibc takes the arena cap


def test_a_training_run_reports_its_pace_for_the_queues_estimate():
    from playground.ui.server.results_cache import Flight
    request = Request("sweep", "{}", "2 models", 2, 100, 50, [16], 3, lambda progress: None)
    flight = Flight(request)
    assert flight.pace() is None and flight.seconds_left() is None  # before its first report
    flight.report(25, 100, 6.0)  # a quarter done, 6 s left: 2 s so far, for a quarter of its work
    assert flight.seconds_left() == 6.0 and flight.work == 2 * 100 * 50
    assert flight.pace() == pytest.approx(2.0 / (0.25 * 10_000))
    assert flight.wait_estimate() is None  # it is not waiting
