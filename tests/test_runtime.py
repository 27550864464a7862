"""What a session holds is released when it ends, or when the janitor finds it gone too long."""
import gc
import weakref

import pytest

from playground.core.datasets import make_dataset
from playground.engine.engine import TrainConfig
from playground.experiments.live import LiveRun
from playground.serving.limits import MemoryBudget
from playground.ui.server.runtime import Janitor, SessionDevice


def live_run(budget: MemoryBudget | None = None) -> LiveRun:
    share = budget.hold(10) if budget else None
    config = TrainConfig(hidden_layers=1, units=8, device="cpu")
    data = make_dataset("moons", n=100, seed=0)
    return LiveRun(data, config, 0.1, on_release=share.release if share else None)


def test_a_run_the_session_no_longer_shows_is_released_and_gives_its_memory_back():
    budget = MemoryBudget(100)
    device = SessionDevice("s")
    first, second = live_run(budget), live_run(budget)
    device.track(first)
    assert budget.used == 20
    device.track(second)
    assert first.released and not second.released and budget.used == 10
    device.track(second)  # the same run again is kept
    assert not second.released
    device.release()
    assert second.released and budget.used == 0
    second.release()  # twice gives back once
    assert budget.used == 0


def test_the_janitor_releases_a_session_only_after_it_was_gone_for_the_ttl():
    active = {"a": True, "b": True}
    janitor = Janitor(ttl_s=60, is_active=lambda sid: active[sid])
    runs = {}
    for sid in active:
        device = SessionDevice(sid)
        runs[sid] = live_run()
        device.track(runs[sid])
        janitor.register(device)
    engine = weakref.ref(runs["b"].engine)
    assert janitor.sweep(now=0) == 0
    active["b"] = False
    assert janitor.sweep(now=10) == 0  # gone since 10
    active["a"] = False
    assert janitor.sweep(now=69) == 0
    active["a"] = True  # a reconnects in time: its clock starts again
    assert janitor.sweep(now=70) == 1
    assert runs["b"].released and engine() is None and not runs["a"].released
    assert set(janitor.sessions) == {"a"}
    active["a"] = False
    assert janitor.sweep(now=100) == 0 and janitor.sweep(now=159) == 0 and janitor.sweep(now=160) == 1
    assert runs["a"].released and not janitor.sessions


def test_a_released_run_says_so_and_a_failed_build_keeps_nothing_reserved():
    budget = MemoryBudget(100)
    run = live_run(budget)
    assert not run.released
    run.release()
    assert run.released and run.engine is None and budget.used == 0
    with pytest.raises(ValueError, match="budget"):
        budget.hold(101)
    assert budget.used == 0


def test_release_frees_the_engine_even_while_the_run_is_still_referred_to():
    run = live_run()
    run.advance(5)
    run.scenes()
    engine = weakref.ref(run.engine)
    holder = SessionDevice()
    holder.track(run)
    cycle = {"run": run}
    cycle["self"] = cycle  # a closed session's leftovers may hold the run in a cycle
    holder.release()
    gc.collect()
    assert engine() is None and run.engine is None and not run._cache and not holder.held
