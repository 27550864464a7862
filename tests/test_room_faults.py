"""Store faults: a SQLite file held exclusively by another process's connection, or read-only, and
a real PostgreSQL server stopped and restarted mid-round, are a plain StoreUnavailable; nothing is
recorded or lost, and the same vote counts once when the store is back."""
import sqlite3

import pytest

from playground.experiments import workshop
from playground.serving.rooms import RoomError, Rooms, StoreUnavailable


def test_a_held_sqlite_file_is_a_plain_retryable_fault(tmp_path):
    path = tmp_path / "rooms.sqlite3"
    store = Rooms(f"sqlite:///{path}")
    room, _ = store.open()
    store.join(room.code, "learner-0001")
    holder = sqlite3.connect(path, isolation_level=None, timeout=0)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreUnavailable, match="not saved yet") as raised:
            store.answer(room.code, 1, "learner-0001", "sharper")
        assert str(path) not in str(raised.value) and isinstance(raised.value, RoomError)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert store.tallies(room.code)[1][1] == {}  # nothing half-saved
    assert store.answer(room.code, 1, "learner-0001", "sharper") == 1
    assert store.tallies(room.code)[1][1] == {"sharper": 1}


def test_an_unwritable_sqlite_file_is_a_plain_fault_and_loses_nothing_saved(tmp_path):
    path = tmp_path / "rooms.sqlite3"
    store = Rooms(f"sqlite:///{path}")
    room, _ = store.open()
    store.join(room.code, "learner-0001")
    assert store.answer(room.code, 1, "learner-0001", "sharper") == 1
    # the same file opened read-only (as root, file modes do not stop writes; SQLite's mode=ro does)
    read_only = Rooms(f"sqlite:///file:{path}?mode=ro&uri=true")
    with pytest.raises(StoreUnavailable, match="not saved yet") as raised:
        read_only.answer(room.code, 1, "learner-0001", "flatter")
    assert str(path) not in str(raised.value)
    with pytest.raises(StoreUnavailable):
        read_only.open()
    assert store.tallies(room.code)[1][1] == {"sharper": 1}  # the saved vote, unchanged


def test_postgresql_stopped_and_restarted_mid_round_loses_and_doubles_nothing(postgres_server, monkeypatch):
    """The real server stops in the middle of a vote: the learner's vote is a plain StoreUnavailable
    and is kept on their page (not shown as sent), the facilitator's page says the store is not
    answering; once the server is back the page sends the vote again, and it counts once."""
    from playground.ui.workshop import workshop_view
    from playground.ui.workshop.rooms_store import room_store
    from tests.test_app_workshop import facilitator, learner, vote

    monkeypatch.setenv("PLAYGROUND_ROOMS_URL", postgres_server.url)
    room_store.clear()
    try:
        host = facilitator()
        code = host.session_state["fac_room"]
        one, two = learner({"room": code}), learner({"room": code})
        choices = workshop.station(1).choices
        vote(one, 1, 0)
        postgres_server.stop()
        try:
            with pytest.raises(StoreUnavailable, match="not saved yet"):
                room_store().answer(code, 1, two.session_state["ws_learner"], choices[1])
            vote(two, 1, 1)  # through the page: kept, not shown as sent
            assert not two.exception and "ws_pending" in two.session_state
            assert any("not saved yet" in w.value and "sent again" in w.value for w in two.warning)
            assert not any("Your vote is in" in s.value for s in two.success)
            host.run()
            assert not host.exception and any("Not answering since" in e.value for e in host.error)
        finally:
            postgres_server.start()
        monkeypatch.setattr(workshop_view, "RETRY_S", (0, 0, 0, 0))
        two.session_state["ws_pending"]["next"] = 0
        two.run()  # the page sends the kept vote again
        assert "ws_pending" not in two.session_state
        tallies = room_store().tallies(code)[1][1]
        assert tallies == {choices[0]: 1, choices[1]: 1}  # each vote once
        host.run()
        assert not any("Not answering" in e.value for e in host.error)
    finally:
        room_store.clear()
