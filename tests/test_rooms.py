"""Workshop rooms' store, on SQLite and on a real PostgreSQL server: codes, joining, paced rounds
(vote, discussion, revote, reveal, countdown), votes and tallies, the facilitator's key and moves
that name the state they follow, expiry, and many learners at once."""
from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from playground.serving import rooms
from playground.serving.rooms import ALPHABET, DISCUSS, REVEAL, VOTE, Room, RoomError, RoomMoved, Rooms

CHOICES = ("sharper", "flatter", "same")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'rooms.sqlite3'}"
    return request.getfixturevalue("postgres_url")


def learner_id(n: int) -> str:
    return f"learner-{n:04d}"


def test_open_and_look_up_a_room(store_url):
    store = Rooms(store_url, hours=2, capacity=30, stations=4)
    before = datetime.now(UTC)
    room, key = store.open()
    assert isinstance(room, Room)
    assert len(room.code) == 6 and set(room.code) <= set(ALPHABET)
    assert len(key) >= 16 and key not in room.code
    assert (room.station, room.stations, room.learners, room.capacity) == (1, 4, 0, 30)
    assert room.expires_at.tzinfo is not None
    assert timedelta(hours=2) <= room.expires_at - before < timedelta(hours=2, minutes=1)
    assert not room.expired
    again = store.room(f"  {room.code.lower()} ")  # as a learner might type it
    assert again == room


def test_codes_are_drawn_from_the_alphabet_and_differ(store_url):
    store = Rooms(store_url)
    codes = [store.open()[0].code for _ in range(20)]
    assert all(len(c) == 6 and set(c) <= set(ALPHABET) for c in codes)
    assert len(set(codes)) == 20
    assert not set("01ILO") & set(ALPHABET)


def test_only_the_key_hash_is_stored(store_url):
    store = Rooms(store_url)
    room, key = store.open()
    with store.engine.connect() as conn:
        stored = conn.execute(select(rooms.rooms_table.c.key_hash)
                              .where(rooms.rooms_table.c.code == room.code)).scalar_one()
    assert key not in stored and len(stored) == 64


def test_unknown_and_malformed_codes_are_room_errors(store_url):
    store = Rooms(store_url)
    store.open()
    with pytest.raises(RoomError, match='There is no room "ABC234"; check the code'):
        store.room("abc234")
    for typed in ("ABC12", "ABCDEFG", "ABC10O", "ab cd!", "X" * 40, "", None, 123456):
        with pytest.raises(RoomError, match="is not a room code") as raised:
            store.room(typed)
        if isinstance(typed, str) and typed:
            assert typed[:12] in raised.value.args[0]
    with pytest.raises(RoomError, match="XXXXXXXXXXXX\""):
        store.join("X" * 40, learner_id(1))  # quoted, but cut to 12 characters
    assert issubclass(RoomError, ValueError)


def test_an_expired_room_is_refused_then_removed(store_url):
    store = Rooms(store_url, hours=1)
    room, key = store.open()
    kept, _ = store.open()
    store.join(room.code, learner_id(1))
    assert store.answer(room.code, 1, learner_id(1), "sharper")
    later = Rooms(store_url, clock=lambda: datetime.now(UTC) + timedelta(hours=1, seconds=1))
    for call in (lambda: later.room(room.code), lambda: later.join(room.code, learner_id(2)),
                 lambda: later.answer(room.code, 2, learner_id(1), "same"),
                 lambda: later.tallies(room.code),
                 lambda: later.move(room.code, key, 0, "station", station=2)):
        with pytest.raises(RoomError, match=f"Room {room.code} has expired"):
            call()
    assert store.room(room.code).station == 1  # still there until it is swept
    removed = store.expire(now=datetime.now(UTC) + timedelta(hours=1, seconds=1))
    assert removed >= 2  # both rooms, and any left by earlier tests on this server
    with pytest.raises(RoomError, match=f'There is no room "{room.code}"'):
        store.room(room.code)
    with pytest.raises(RoomError, match="There is no room"):
        store.room(kept.code)
    with store.engine.connect() as conn:
        for table in (rooms.learners_table, rooms.answers_table):
            left = conn.execute(select(func.count()).select_from(table)
                                .where(table.c.room == room.code)).scalar_one()
            assert left == 0, table.name


def test_expire_keeps_live_rooms_and_open_sweeps(store_url):
    store = Rooms(store_url, hours=1)
    old, _ = store.open()
    assert store.expire() == 0
    assert store.room(old.code).code == old.code
    later = Rooms(store_url, hours=1, clock=lambda: datetime.now(UTC) + timedelta(hours=2))
    fresh, _ = later.open()  # opening a room sweeps the expired ones first
    with pytest.raises(RoomError, match="There is no room"):
        store.room(old.code)
    assert later.room(fresh.code).code == fresh.code


def test_joining_twice_counts_once(store_url):
    store = Rooms(store_url)
    room, _ = store.open()
    assert store.join(room.code, learner_id(1)).learners == 1
    assert store.join(room.code.lower(), learner_id(1)).learners == 1
    assert store.join(room.code, learner_id(2)).learners == 2
    assert store.room(room.code).learners == 2


def test_a_full_room_refuses_new_learners_but_not_returning_ones(store_url):
    store = Rooms(store_url, capacity=2)
    room, _ = store.open()
    store.join(room.code, learner_id(1))
    store.join(room.code, learner_id(2))
    with pytest.raises(RoomError, match=rf"Room {room.code} is full \(2 learners\)"):
        store.join(room.code, learner_id(3))
    assert store.join(room.code, learner_id(1)).learners == 2
    assert store.room(room.code).learners == 2


def test_a_changed_vote_replaces_the_first_while_the_vote_is_open(store_url):
    store = Rooms(store_url)
    room, key = store.open()
    store.join(room.code, learner_id(1))
    store.join(room.code, learner_id(2))
    assert store.answer(room.code, 1, learner_id(1), "sharper") == 1
    assert store.answer(room.code, 1, learner_id(1), "flatter") == 1  # a changed mind: replaced
    assert store.answer(room.code, 1, learner_id(2), " flatter ") == 1
    with pytest.raises(RoomError, match=f"Room {room.code} is on station 1 now, not 2"):
        store.answer(room.code, 2, learner_id(1), "same")  # only the station the room is on
    tallies = store.tallies(room.code)
    assert tallies[1] == {1: {"flatter": 2}, 2: {}} and all(tallies[s] == {1: {}, 2: {}} for s in range(2, 7))
    assert store.votes_of(room.code, learner_id(1)) == {(1, 1): "flatter"}
    store.move(room.code, key, 0, "station", station=2)
    assert store.answer(room.code, 2, learner_id(1), "same") == 1
    assert store.votes_of(room.code, learner_id(1)) == {(1, 1): "flatter", (2, 1): "same"}


def test_a_round_runs_vote_discuss_revote_reveal(store_url):
    store = Rooms(store_url)
    room, key = store.open()
    for n in (1, 2):
        store.join(room.code, learner_id(n))
    store.answer(room.code, 1, learner_id(1), "sharper")
    store.answer(room.code, 1, learner_id(2), "same")
    room = store.move(room.code, key, room.version, "discuss")
    assert (room.phase, room.round) == (DISCUSS, 1) and store.room(room.code).phase == DISCUSS
    with pytest.raises(RoomError, match="The vote on station 1 has closed"):
        store.answer(room.code, 1, learner_id(1), "flatter")
    room = store.move(room.code, key, room.version, "revote")
    assert (room.phase, room.round) == (VOTE, 2)
    assert store.answer(room.code, 1, learner_id(2), "sharper") == 2  # the revote counts apart
    room = store.move(room.code, key, room.version, "reveal")
    assert room.phase == REVEAL and not room.voting()
    with pytest.raises(RoomError, match="has closed"):
        store.answer(room.code, 1, learner_id(1), "same")
    assert store.tallies(room.code)[1] == {1: {"sharper": 1, "same": 1}, 2: {"sharper": 1}}
    assert store.votes_of(room.code, learner_id(2)) == {(1, 1): "same", (1, 2): "sharper"}
    for wrong in ("discuss", "revote", "reveal"):  # none of these follows a reveal
        with pytest.raises(RoomError):
            store.move(room.code, key, room.version, wrong)
    room = store.move(room.code, key, room.version, "station", station=2)
    assert (room.station, room.phase, room.round, room.deadline) == (2, VOTE, 1, None)


def test_a_countdown_closes_the_vote_by_itself(store_url):
    now = [datetime.now(UTC)]
    store = Rooms(store_url, clock=lambda: now[0])
    room, key = store.open()
    store.join(room.code, learner_id(1))
    with pytest.raises(ValueError, match=r"seconds=5 is not allowed.*\[10, 600\]"):
        store.move(room.code, key, room.version, "timer", seconds=5)
    room = store.move(room.code, key, room.version, "timer", seconds=30)
    assert room.seconds_left(now[0]) == pytest.approx(30) and room.voting(now[0])
    assert store.answer(room.code, 1, learner_id(1), "same") == 1
    now[0] += timedelta(seconds=31)
    assert not store.room(room.code).voting(now[0])
    with pytest.raises(RoomError, match="has closed"):
        store.answer(room.code, 1, learner_id(1), "sharper")
    assert store.tallies(room.code)[1][1] == {"same": 1}


def test_answers_need_a_joined_learner(store_url):
    store = Rooms(store_url)
    room, _ = store.open()
    with pytest.raises(RoomError, match=f"Join room {room.code}"):
        store.answer(room.code, 1, learner_id(9), "same")
    assert store.tallies(room.code)[1][1] == {}


def test_tallies_are_per_room(store_url):
    store = Rooms(store_url)
    first, _ = store.open()
    second, _ = store.open()
    for room in (first, second):
        store.join(room.code, learner_id(1))
    store.answer(first.code, 1, learner_id(1), "same")
    assert store.tallies(first.code)[1][1] == {"same": 1}
    assert store.tallies(second.code)[1][1] == {}


def test_only_the_facilitator_moves_the_room(store_url):
    store = Rooms(store_url)
    room, key = store.open()
    moved = store.move(room.code, key, 0, "station", station=3)
    assert (moved.station, moved.version) == (3, 1)
    assert store.room(room.code).station == 3
    assert store.resume(room.code, key).station == 3  # the facilitator coming back
    _, other_key = store.open()
    for wrong in (other_key, "", key + "x", None):
        with pytest.raises(RoomError, match=f"Only the facilitator who opened room {room.code} can move it"):
            store.move(room.code, wrong, 1, "station", station=5)
        with pytest.raises(RoomError, match="Only the facilitator"):
            store.resume(room.code, wrong)
    assert store.room(room.code).station == 3
    with pytest.raises(ValueError, match="station=7"):
        store.move(room.code, key, 1, "station", station=7)
    with pytest.raises(ValueError, match="to='sideways'"):
        store.move(room.code, key, 1, "sideways")
    assert store.move(room.code, key, 1, "station", station=1).station == 1


def test_two_facilitators_racing_move_the_room_once(store_url):
    """Two tabs (or devices) press Next at the same moment, both from the state they saw: one
    moves the room, the other is told it moved meanwhile, and the room is one station on."""
    store = Rooms(store_url)
    room, key = store.open()
    start = threading.Barrier(2)

    def press(_):
        start.wait(timeout=30)
        try:
            return store.move(room.code, key, room.version, "station", station=room.station + 1)
        except RoomMoved as moved:
            return moved

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(press, range(2)))
    won = [o for o in outcomes if isinstance(o, Room)]
    lost = [o for o in outcomes if isinstance(o, RoomMoved)]
    assert len(won) == 1 and len(lost) == 1
    assert "moved on meanwhile (now station 2, first vote)" in str(lost[0])
    assert (store.room(room.code).station, store.room(room.code).version) == (2, 1)


def test_arguments_are_checked_with_their_names(store_url):
    store = Rooms(store_url)
    room, _ = store.open()
    store.join(room.code, learner_id(1))
    for bad in ("short", "x" * 65, "has space!", "naïve-learner", 12345678):
        with pytest.raises(ValueError, match=r"learner=.* is not allowed") as raised:
            store.join(room.code, bad)
        assert not isinstance(raised.value, RoomError)
    for bad in (0, 7, 2.5, "two", True):
        with pytest.raises(ValueError, match=rf"station={bad!r}.*\[1, 6\]"):
            store.answer(room.code, bad, learner_id(1), "same")
    for bad in ("", "   ", "x" * 81, None):
        with pytest.raises(ValueError, match=r"choice=.* is not allowed"):
            store.answer(room.code, 1, learner_id(1), bad)
    assert store.tallies(room.code)[1][1] == {}  # nothing refused was recorded
    assert store.answer(room.code, 1, learner_id(1), "x" * 80) == 1


def test_settings_are_checked_with_their_names(tmp_path):
    url = f"sqlite:///{tmp_path / 'rooms.sqlite3'}"
    with pytest.raises(ValueError, match=r"hours=0 is not allowed.*\[0\.1, 48\]"):
        Rooms(url, hours=0)
    with pytest.raises(ValueError, match=r"hours=49 is not allowed"):
        Rooms(url, hours=49)
    with pytest.raises(ValueError, match=r"capacity=0 is not allowed.*\[1, 500\]"):
        Rooms(url, capacity=0)
    with pytest.raises(ValueError, match=r"capacity=501 is not allowed"):
        Rooms(url, capacity=501)
    with pytest.raises(ValueError, match=r"stations=0 is not allowed"):
        Rooms(url, stations=0)
    store = Rooms(url, hours=0.1, capacity=500, stations=1)
    assert (store.hours, store.capacity, store.stations) == (0.1, 500, 1)


def test_from_env_reads_the_variables(tmp_path):
    db = tmp_path / "nested" / "deeper" / "rooms.sqlite3"
    env = {"PLAYGROUND_ROOMS_DB": str(db), "PLAYGROUND_ROOM_HOURS": "1.5",
           "PLAYGROUND_ROOM_CAPACITY": "12"}
    store = Rooms.from_env(env)
    assert store.url == f"sqlite:///{db}"
    assert (store.hours, store.capacity) == (1.5, 12)
    assert not db.exists()
    room, _ = store.open()
    assert db.is_file()  # the directory and file are made when first used
    assert room.capacity == 12
    defaults = Rooms.from_env({"PLAYGROUND_ROOMS_DB": str(db)})
    assert (defaults.hours, defaults.capacity) == (4.0, 60)
    with pytest.raises(ValueError, match=r"PLAYGROUND_ROOM_CAPACITY='lots' is not allowed"):
        Rooms.from_env({**env, "PLAYGROUND_ROOM_CAPACITY": "lots"})
    with pytest.raises(ValueError, match=r"PLAYGROUND_ROOM_CAPACITY='0' is not allowed"):
        Rooms.from_env({**env, "PLAYGROUND_ROOM_CAPACITY": "0"})
    with pytest.raises(ValueError, match=r"PLAYGROUND_ROOM_HOURS='soon' is not allowed"):
        Rooms.from_env({**env, "PLAYGROUND_ROOM_HOURS": "soon"})


def test_store_url_choices(tmp_path, monkeypatch):
    url = "postgresql+psycopg://someone@127.0.0.1:5433/rooms"
    assert rooms.store_url({"PLAYGROUND_ROOMS_URL": url, "PLAYGROUND_ROOMS_DB": "/x.db"}) == url
    assert rooms.store_url({"PLAYGROUND_ROOMS_DB": str(tmp_path / "a.db")}) == f"sqlite:///{tmp_path}/a.db"
    monkeypatch.setenv("HOME", str(tmp_path))
    default = rooms.store_url({})
    assert default == f"sqlite:///{tmp_path}/.cache/label-smoothing-playground/rooms.sqlite3"
    store = Rooms(default)
    assert not (tmp_path / ".cache").exists()  # nothing is made until the store is used
    store.open()
    assert (tmp_path / ".cache" / "label-smoothing-playground" / "rooms.sqlite3").is_file()


def test_a_class_voting_at_once_is_counted_exactly(store_url):
    """30 learners, each on its own thread, join together; at each of the six stations they all
    vote at once and each changes their vote once, and at one station the room revotes: every
    vote is counted once, as last sent, in its round."""
    store = Rooms(store_url, capacity=30)
    room, key = store.open()
    learners = 30
    start = threading.Barrier(learners)

    def plan(n: int, station: int, rnd: int) -> str:
        return CHOICES[(n * station + station + rnd) % len(CHOICES)]

    def vote_all(station: int, rnd: int) -> list[int]:
        def learner(n: int) -> int:
            who = learner_id(n)
            start.wait(timeout=30)
            store.join(room.code, who)
            first_thought = CHOICES[(CHOICES.index(plan(n, station, rnd)) + 1) % len(CHOICES)]
            store.answer(room.code, station, who, first_thought)
            return store.answer(room.code, station, who, plan(n, station, rnd))  # a changed mind
        with ThreadPoolExecutor(max_workers=learners) as pool:
            return list(pool.map(learner, range(learners)))

    for station in range(1, 7):
        if station > 1:
            room = store.move(room.code, key, room.version, "station", station=station)
        assert vote_all(station, 1) == [1] * learners
        if station == 3:
            room = store.move(room.code, key, room.version, "discuss")
            room = store.move(room.code, key, room.version, "revote")
            assert vote_all(station, 2) == [2] * learners
    assert store.room(room.code).learners == learners
    tallies = store.tallies(room.code)
    for station in range(1, 7):
        for rnd in (1, 2) if station == 3 else (1,):
            sent = Counter(plan(n, station, rnd) for n in range(learners))
            assert Counter(tallies[station][rnd]) == sent, (station, rnd)
        assert sum(tallies[station][2].values()) == (learners if station == 3 else 0)


def test_a_full_room_admits_exactly_its_capacity_under_a_rush(store_url):
    store = Rooms(store_url, capacity=25)
    room, _ = store.open()
    rush = 30
    start = threading.Barrier(rush)

    def arrive(n: int) -> str:
        start.wait(timeout=30)
        try:
            store.join(room.code, learner_id(n))
        except RoomError as error:
            return str(error)
        return "admitted"

    with ThreadPoolExecutor(max_workers=rush) as pool:
        outcomes = list(pool.map(arrive, range(rush)))

    assert outcomes.count("admitted") == 25
    refused = [o for o in outcomes if o != "admitted"]
    assert len(refused) == 5 and all(f"Room {room.code} is full (25 learners)" in o for o in refused)
    assert store.room(room.code).learners == 25
