"""Sharing a server among live sessions: the pace follows the measured load, and the seats cap
how many train live at once."""
import threading

import pytest

from playground.serving.sharing import FLOOR_S, FRAME_S, MIN_STEPS_SCALE, SIDE_S, Pacer, Seats
from playground.ui.server.runtime import pacer, seats
from tests.test_limits import server_env  # noqa: F401
from tests.test_url import open_with


class Machine:
    """A clock and a CPU counter the test moves by hand."""

    def __init__(self):
        self.now, self.cpu = 0.0, 0.0

    def run(self, pacer: Pacer, sessions: int, seconds: float, interval: float, cost: float) -> None:
        """`sessions` each drawing a live update every `interval` s, each update costing `cost` s of CPU."""
        t = 0.0
        while t < seconds:
            for s in range(sessions):
                self.cpu += cost
                pacer.frame(f"s{s}")
            t += interval
            self.now += interval


def pacer_on(machine: Machine, cores: float = 1.0) -> Pacer:
    return Pacer(cores, clock=lambda: machine.now, cpu=lambda: machine.cpu)


def test_an_idle_or_lightly_used_server_goes_at_full_speed():
    machine = Machine()
    pace = pacer_on(machine).pace()
    assert (pace.frame_s, pace.side_s, pace.steps_scale) == (FRAME_S, SIDE_S, 1.0)
    p = pacer_on(machine)
    machine.run(p, sessions=1, seconds=3, interval=FRAME_S, cost=0.01)
    assert p.pace().frame_s == FRAME_S and p.pace().steps_scale == 1.0
    stats = p.stats()
    assert stats["live_sessions"] == 1 and stats["cpu_ms_per_update"] == pytest.approx(10)
    assert stats["updates_per_s"] == pytest.approx(1 / FRAME_S, rel=0.05)


def test_sessions_are_spaced_to_fit_the_cores():
    machine = Machine()
    p = pacer_on(machine, cores=1.0)
    machine.run(p, sessions=4, seconds=3, interval=0.05, cost=0.025)  # 4 × 25 ms wants 0.1 s each
    pace = p.pace()
    assert pace.frame_s == pytest.approx(0.1) and pace.steps_scale == 1.0
    assert pace.side_s >= SIDE_S and pace.side_s >= pace.frame_s


def test_past_the_floor_rate_each_update_trains_fewer_steps():
    machine = Machine()
    p = pacer_on(machine, cores=1.0)
    machine.run(p, sessions=10, seconds=3, interval=0.1, cost=0.03)  # wants 0.3 s: past the floor
    pace = p.pace()
    assert pace.frame_s == FLOOR_S  # every session keeps the floor rate
    assert MIN_STEPS_SCALE <= pace.steps_scale < 1.0
    more = pacer_on(machine, cores=2.0)
    machine.run(more, sessions=10, seconds=3, interval=0.1, cost=0.03)
    assert more.pace().steps_scale > pace.steps_scale  # more cores, bigger steps


def test_sessions_that_stopped_drawing_no_longer_count():
    machine = Machine()
    p = pacer_on(machine)
    machine.run(p, sessions=8, seconds=2, interval=0.1, cost=0.03)
    machine.now += 10  # all of them paused
    assert p.stats()["live_sessions"] == 0 and p.pace().frame_s == FRAME_S


def test_the_pacer_refuses_nonsense_cores():
    with pytest.raises(ValueError, match="cores"):
        Pacer(0)


def test_seats_admit_up_to_capacity_once_each_and_free_on_leave():
    places = Seats(2)
    assert places.take("a") and places.take("a") and places.take("b")
    assert not places.take("c") and places.taken == 2
    places.leave("a")
    assert places.take("c") and places.taken == 2
    assert Seats(0).take("anyone")  # 0: no limit


def test_seats_hold_under_a_rush():
    places, admitted = Seats(5), []
    barrier = threading.Barrier(20)

    def rush(i):
        barrier.wait()
        if places.take(str(i)):
            admitted.append(i)

    threads = [threading.Thread(target=rush, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(admitted) == 5 and places.taken == 5


def test_a_full_server_says_so_and_offers_to_wait(server_env):  # noqa: F811
    server_env(MAX_LIVE=1)
    seats.clear()
    try:
        assert seats().take("another session")  # the one place is taken
        at = open_with("app_pages/train.py", {})
        assert not at.exception and "live" not in at.session_state
        assert any("This server is full" in w.value for w in at.warning)
        at.toggle(key="live_wait").set_value(True).run()
        assert any("Waiting for a place" in c.value for c in at.caption)
        seats().leave("another session")
        at.run()
        assert "live" in at.session_state and not any("full" in w.value for w in at.warning)
        assert seats().taken == 1
    finally:
        seats.clear()


def test_the_server_page_shows_the_pace_and_the_live_sessions():
    pacer.clear()
    try:
        pacer().frame("a session")
        pacer().frame("a session")
        at = open_with("app_pages/server.py", {})
        assert not at.exception
        labels = {m.label: m.value for m in at.metric}
        assert labels["live sessions (drawing now)"] == "1"
        assert any("Pace now: a live update every" in c.value for c in at.caption)
    finally:
        pacer.clear()  # the frames recorded here must not pace other tests' sessions
