"""Store faults: a SQLite file held exclusively by another process's connection is a plain
StoreUnavailable, nothing is recorded, and the same call succeeds once the lock is released."""
import sqlite3

import pytest

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
