"""Room-code guessing is limited: failed lookups per client address and per session, in a sliding
window, with codes long enough that guessing at the limit takes over a year."""
import pytest

from playground.serving import rooms
from playground.serving.rooms import FailedLookups, NoSuchRoom, RoomError, Rooms, TooManyLookups, looked_up
from tests.test_url import open_with

pytestmark = pytest.mark.usefixtures("one_thread")


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def missing():
    raise NoSuchRoom("no such room")


def test_the_eleventh_failure_in_a_minute_is_refused_without_a_lookup():
    clock = Clock()
    lookups = FailedLookups(limit=10, window_s=60, clock=clock)
    for _ in range(10):
        with pytest.raises(NoSuchRoom):
            looked_up(lookups, ["session a"], missing)
        clock.now += 1
    called = []
    with pytest.raises(TooManyLookups, match="wait 50 s"):
        looked_up(lookups, ["session a"], lambda: called.append(1))
    assert not called  # refused before the store is asked
    looked_up(lookups, ["session b"], lambda: "room")  # another client is not held back
    clock.now += 50  # the first failure leaves the window
    with pytest.raises(NoSuchRoom):
        looked_up(lookups, ["session a"], missing)


def test_an_address_is_limited_across_its_sessions_and_successes_do_not_count():
    lookups = FailedLookups(limit=3, window_s=60, clock=Clock())
    for session in "abc":
        assert looked_up(lookups, [f"session {session}", "address 10.0.0.7"], lambda: "room") == "room"
        with pytest.raises(NoSuchRoom):
            looked_up(lookups, [f"session {session}", "address 10.0.0.7"], missing)
    with pytest.raises(TooManyLookups):  # a fourth, fresh session from the same address
        looked_up(lookups, ["session d", "address 10.0.0.7"], lambda: "room")
    assert looked_up(lookups, ["session d", "address 10.0.0.8"], lambda: "room") == "room"


def test_at_the_limit_a_guess_takes_over_a_year_with_the_most_rooms_open():
    minutes = rooms.expected_minutes_to_a_hit()
    assert minutes == len(rooms.ALPHABET) ** rooms.CODE_LENGTH / (rooms.MAX_OPEN_ROOMS * rooms.LOOKUP_LIMIT)
    assert minutes / (60 * 24 * 365) > 1.0


def test_an_unknown_code_is_no_such_room_and_the_open_rooms_are_capped(tmp_path, monkeypatch):
    store = Rooms(f"sqlite:///{tmp_path / 'rooms.sqlite3'}")
    with pytest.raises(NoSuchRoom):
        store.room("ABCDEF")
    monkeypatch.setattr(rooms, "MAX_OPEN_ROOMS", 2)
    store.open()
    store.open()
    with pytest.raises(RoomError, match="already has 2 open rooms"):
        store.open()


def test_the_workshop_page_refuses_a_guesser_and_spares_a_typo(monkeypatch):
    monkeypatch.setattr(rooms, "LOOKUP_LIMIT", 3)
    from playground.ui.workshop.rooms_store import failed_lookups
    failed_lookups.clear()
    try:
        at = open_with("app_pages/workshop.py", {"room": "AAAAAA"})
        for _ in range(5):  # the page reruns with the same wrong code: one failure, not five
            at.run()
        assert not at.exception and 'There is no room "AAAAAA"' in at.error[0].value
        for code in ("BBBBBB", "CCCCCC"):
            at.query_params["room"] = code
            at.run()
            assert f'There is no room "{code}"' in at.error[0].value
        at.query_params["room"] = "DDDDDD"  # the fourth code this session tried
        at.run()
        assert not at.exception and "Too many room codes" in at.error[0].value
        assert at.header[0].value.startswith("Station")  # the stations stay open to work alone
    finally:
        failed_lookups.clear()
