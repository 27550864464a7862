"""Workshop rooms: a facilitator opens a room, learners join it by a short code and lock in answers
to numbered stations, and the facilitator reads live tallies and moves the room on.

This is the storage layer only. It keeps rooms in any SQLAlchemy database: a SQLite file by
default (PLAYGROUND_ROOMS_DB), or a server named by PLAYGROUND_ROOMS_URL such as
postgresql+psycopg://user@127.0.0.1:5432/db. Learners are known only by a random session id;
no names are stored. A facilitator's key is returned once when the room opens, and only its
sha256 is kept."""
from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.types import TypeDecorator

from playground.core.validation import check_int, check_number, fail

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: codes are read aloud and copied by hand
CODE_LENGTH = 6
MAX_TYPED_CODE = 12  # longer input is refused before it reaches the database
LEARNER_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,64}")
MAX_CHOICE = 80
HOURS_RANGE = (0.1, 48)
CAPACITY_RANGE = (1, 500)
STATIONS_RANGE = (1, 50)
DEFAULT_HOURS = 4.0
DEFAULT_CAPACITY = 60
DEFAULT_STATIONS = 6
DEFAULT_DB = Path("~/.cache/label-smoothing-playground/rooms.sqlite3")


class RoomError(ValueError):
    """A problem a learner or facilitator can fix: the message is meant to be shown as it is."""


class NoSuchRoom(RoomError):
    """The code names no room: a typo, or a guess. Counted by `FailedLookups`."""


# Failed room-code lookups allowed per client address and per session in LOOKUP_WINDOW_S. A guesser
# at that rate, with MAX_OPEN_ROOMS rooms open, needs on average
#   31^6 codes / (MAX_OPEN_ROOMS rooms × 10 a minute) = 887,503,681 / 1,000 minutes ≈ 1.7 years
# per client address to land in one (expected_minutes_to_a_hit); a person with a typo needs two tries.
LOOKUP_LIMIT = 10
LOOKUP_WINDOW_S = 60.0
MAX_OPEN_ROOMS = 100


def expected_minutes_to_a_hit(per_minute: float = LOOKUP_LIMIT * 60 / LOOKUP_WINDOW_S,
                              open_rooms: int = MAX_OPEN_ROOMS) -> float:
    """Mean minutes for one client guessing at `per_minute` to name one of `open_rooms` rooms."""
    return len(ALPHABET) ** CODE_LENGTH / (open_rooms * per_minute)


class TooManyLookups(RoomError):
    """Too many codes that named no room, from one client: refused without a lookup."""

    def __init__(self, wait_s: float):
        super().__init__(f"Too many room codes that named no room: wait {max(1, round(wait_s))} s, "
                         "then check the code with your facilitator.")


class FailedLookups:
    """Failed room-code lookups per client (an address, a session), in a sliding window; in-process
    and thread-safe (each replica counts its own)."""

    def __init__(self, limit: int | None = None, window_s: float = LOOKUP_WINDOW_S,
                 clock: Callable[[], float] = time.monotonic):
        self.limit = LOOKUP_LIMIT if limit is None else limit  # read when made: a host may lower it
        self.window_s, self.clock = window_s, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures.setdefault(client, deque())
        while times and now - times[0] >= self.window_s:
            times.popleft()
        if not times:
            del self._failures[client]  # forgotten clients take no memory
            return deque()
        return times

    def check(self, clients: Sequence[str]) -> None:
        """Raise TooManyLookups if any of `clients` has used up its failures in the window."""
        with self._lock:
            now = self.clock()
            for client in clients:
                times = self._recent(client, now)
                if len(times) >= self.limit:
                    raise TooManyLookups(self.window_s - (now - times[0]))

    def failed(self, clients: Sequence[str]) -> None:
        with self._lock:
            now = self.clock()
            for client in clients:
                self._recent(client, now)
                self._failures.setdefault(client, deque()).append(now)


def looked_up(lookups: FailedLookups, clients: Sequence[str], lookup: Callable[[], Room]) -> Room:
    """lookup() unless a client is over its limit; a NoSuchRoom counts against every client."""
    lookups.check(clients)
    try:
        return lookup()
    except NoSuchRoom:
        lookups.failed(clients)
        raise


class StoreUnavailable(RoomError):
    """The store is busy (a SQLite file held by another writer), unwritable or unreachable: nothing
    was saved, and the call may be retried. The message is plain and names no server path."""

    MESSAGE = "The rooms store is busy or unreachable right now: not saved yet — retrying."

    def __init__(self, message: str = MESSAGE):
        super().__init__(message)


@contextmanager
def _store_faults() -> Iterator[None]:
    """A database fault other than a refused duplicate becomes StoreUnavailable (its traceback,
    which names server paths, stays out of the message)."""
    try:
        yield
    except IntegrityError:
        raise
    except (DBAPIError, OSError) as err:
        raise StoreUnavailable() from err


def utc_now() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator):
    """An aware UTC datetime stored as a naive UTC timestamp, which SQLite and PostgreSQL both keep
    and compare the same way (SQLite has no time zones; naive values on PostgreSQL would otherwise
    be read in the session's zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"a naive datetime cannot be stored: {value!r}")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


metadata = MetaData()

rooms_table = Table(
    "rooms", metadata,
    Column("code", String(CODE_LENGTH), primary_key=True),
    Column("key_hash", String(64), nullable=False),
    Column("station", Integer, nullable=False),
    Column("stations", Integer, nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False, index=True),
)

learners_table = Table(
    "room_learners", metadata,
    Column("room", String(CODE_LENGTH), ForeignKey("rooms.code", ondelete="CASCADE"), primary_key=True),
    Column("learner", String(64), primary_key=True),
    Column("joined_at", UtcDateTime, nullable=False),
)

answers_table = Table(
    "room_answers", metadata,
    # the primary key is what makes the first lock win: a second one for the same station is refused
    Column("room", String(CODE_LENGTH), ForeignKey("rooms.code", ondelete="CASCADE"), primary_key=True),
    Column("station", Integer, primary_key=True),
    Column("learner", String(64), primary_key=True),
    Column("choice", String(MAX_CHOICE), nullable=False),
    Column("locked_at", UtcDateTime, nullable=False),
)

READ_ONLY = "rooms_read_only"  # execution option: this transaction never writes

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def store_url(env: Mapping[str, str] = os.environ) -> str:
    """PLAYGROUND_ROOMS_URL when set, else a SQLite file: PLAYGROUND_ROOMS_DB or the user's cache."""
    url = env.get("PLAYGROUND_ROOMS_URL", "").strip()
    if url:
        return url
    path = Path(env.get("PLAYGROUND_ROOMS_DB", "").strip() or DEFAULT_DB).expanduser()
    return f"sqlite:///{path}"


def _sqlite_on_connect(dbapi_connection, connection_record) -> None:
    # SQLAlchemy emits BEGIN itself (below); the driver's own transaction handling would
    # also swallow the pragmas, which do nothing inside a transaction
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=5000")  # wait for a writer instead of failing at once
    cursor.execute("PRAGMA journal_mode=WAL")  # readers and one writer at a time, across processes
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    # A writing transaction takes the database's write lock up front, so a read-then-write
    # (count learners, then admit one) cannot interleave with another writer's; readers stay
    # deferred and do not queue behind writers.
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


def engine_for(url: str) -> Engine:
    """One engine per URL for the whole process, with the tables created on first use."""
    with _engines_lock:
        engine = _engines.get(url)
        if engine is not None:
            return engine
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:" and not database.startswith("file:"):
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url)
            event.listen(engine, "connect", _sqlite_on_connect)
            event.listen(engine, "begin", _sqlite_on_begin)
        else:
            # a classroom joins in a burst: let it open more connections than the default 15
            engine = create_engine(url, pool_size=5, max_overflow=30, pool_pre_ping=True)
        metadata.create_all(engine)
        _engines[url] = engine
        return engine


@dataclass(frozen=True)
class Room:
    code: str
    station: int  # the station the facilitator has the room on, 1-based
    stations: int
    learners: int  # how many have joined
    capacity: int
    expires_at: datetime  # UTC

    @property
    def expired(self) -> bool:
        return utc_now() >= self.expires_at

    @property
    def full(self) -> bool:
        return self.learners >= self.capacity


def normalise_code(code) -> str:
    """The code as stored (trimmed, upper-case), or a RoomError that says what a code looks like."""
    typed = code.strip().upper() if isinstance(code, str) else ""
    if len(typed) != CODE_LENGTH or any(c not in ALPHABET for c in typed):
        shown = code.strip()[:MAX_TYPED_CODE] if isinstance(code, str) else repr(code)[:MAX_TYPED_CODE]
        raise RoomError(f'"{shown}" is not a room code: a code is {CODE_LENGTH} letters and digits, '
                        "like K7QM2P; check it with your facilitator.")
    return typed


def check_learner(learner) -> str:
    if not isinstance(learner, str) or not LEARNER_PATTERN.fullmatch(learner):
        fail("learner", learner, "must be 8 to 64 characters of A-Z, a-z, 0-9, _ and -")
    return learner


def check_choice_text(choice) -> str:
    text = choice.strip() if isinstance(choice, str) else ""
    if not 1 <= len(text) <= MAX_CHOICE:
        fail("choice", choice, f"must be a non-empty text of at most {MAX_CHOICE} characters")
    return text


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class Rooms:
    """The rooms kept at one database URL. Safe to share between threads and processes."""

    def __init__(self, url: str, *, hours: float = DEFAULT_HOURS, capacity: int = DEFAULT_CAPACITY,
                 stations: int = DEFAULT_STATIONS, clock: Callable[[], datetime] = utc_now):
        if not isinstance(url, str) or not url.strip():
            fail("url", url, "must be a SQLAlchemy database URL")
        self.url = url
        self.hours = check_number("hours", hours, *HOURS_RANGE)
        self.capacity = check_int("capacity", capacity, *CAPACITY_RANGE)
        self.stations = check_int("stations", stations, *STATIONS_RANGE)
        self.clock = clock  # rooms expire by this clock; tests move it forward

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Rooms:
        """Rooms at store_url(env), with PLAYGROUND_ROOM_HOURS and PLAYGROUND_ROOM_CAPACITY;
        a malformed variable is a ValueError naming it."""
        hours = check_number("PLAYGROUND_ROOM_HOURS",
                             env.get("PLAYGROUND_ROOM_HOURS", "").strip() or DEFAULT_HOURS, *HOURS_RANGE)
        capacity = check_int("PLAYGROUND_ROOM_CAPACITY",
                             env.get("PLAYGROUND_ROOM_CAPACITY", "").strip() or DEFAULT_CAPACITY,
                             *CAPACITY_RANGE)
        return cls(store_url(env), hours=hours, capacity=capacity)

    @property
    def engine(self) -> Engine:
        with _store_faults():
            return engine_for(self.url)

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        with _store_faults(), self.engine.begin() as conn:
            yield conn

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        with _store_faults(), self.engine.connect() as conn:
            conn.execution_options(**{READ_ONLY: True})
            with conn.begin():
                yield conn

    def _load(self, conn: Connection, code: str, *, lock: str | None = None) -> Room:
        """The room, or a RoomError when there is none or it has expired. lock: "update" holds the
        row until the transaction ends (PostgreSQL; SQLite's writer already holds the database),
        "share" keeps it from being deleted or locked for update meanwhile."""
        query = select(rooms_table).where(rooms_table.c.code == code)
        if lock == "update":
            query = query.with_for_update()
        elif lock == "share":
            query = query.with_for_update(read=True)
        row = conn.execute(query).mappings().first()
        if row is None:
            raise NoSuchRoom(f'There is no room "{code}"; check the code with your facilitator.')
        if self.clock() >= row["expires_at"]:
            raise RoomError(f"Room {code} has expired; ask your facilitator to open a new one.")
        learners = conn.execute(select(func.count()).select_from(learners_table)
                                .where(learners_table.c.room == code)).scalar_one()
        return Room(code=code, station=row["station"], stations=row["stations"], learners=learners,
                    capacity=row["capacity"], expires_at=row["expires_at"])

    def open(self) -> tuple[Room, str]:
        """A new room on station 1 and its facilitator key; the key is shown only this once."""
        self.expire()
        with self._reading() as conn:
            open_rooms = conn.execute(select(func.count()).select_from(rooms_table)).scalar_one()
        if open_rooms >= MAX_OPEN_ROOMS:  # the bound the code length is sized for (FailedLookups)
            raise RoomError(f"This server already has {MAX_OPEN_ROOMS} open rooms; try again when one "
                            "has closed, or ask its host.")
        key = secrets.token_urlsafe(16)
        now = self.clock()
        expires_at = now + timedelta(hours=self.hours)
        for _ in range(20):
            code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
            try:
                with self._writing() as conn:
                    conn.execute(insert(rooms_table).values(
                        code=code, key_hash=_hash_key(key), station=1, stations=self.stations,
                        capacity=self.capacity, created_at=now, expires_at=expires_at))
            except IntegrityError:
                continue  # that code is taken: draw another
            room = Room(code=code, station=1, stations=self.stations, learners=0,
                        capacity=self.capacity, expires_at=expires_at)
            return room, key
        raise RuntimeError("could not find a free room code in 20 draws")

    def room(self, code: str) -> Room:
        code = normalise_code(code)
        with self._reading() as conn:
            return self._load(conn, code)

    def join(self, code: str, learner: str) -> Room:
        """Admit the learner (again: joining twice counts once), unless the room is full."""
        learner = check_learner(learner)
        code = normalise_code(code)
        with self._writing() as conn:
            room = self._load(conn, code, lock="update")  # one join at a time per room: capacity holds
            joined = conn.execute(select(learners_table.c.learner).where(
                learners_table.c.room == code, learners_table.c.learner == learner)).first()
            if joined is not None:
                return room
            if room.full:
                raise RoomError(f"Room {code} is full ({room.capacity} learners); "
                                "ask your facilitator to open another room.")
            conn.execute(insert(learners_table).values(room=code, learner=learner, joined_at=self.clock()))
        return Room(code=room.code, station=room.station, stations=room.stations,
                    learners=room.learners + 1, capacity=room.capacity, expires_at=room.expires_at)

    def answer(self, code: str, station: int, learner: str, choice: str) -> bool:
        """Lock the learner's answer for a station: True when recorded, False when they had already
        locked one there (the first stays)."""
        learner = check_learner(learner)
        choice = check_choice_text(choice)
        code = normalise_code(code)
        try:
            with self._writing() as conn:
                room = self._load(conn, code, lock="share")
                station = check_int("station", station, 1, room.stations)
                joined = conn.execute(select(learners_table.c.learner).where(
                    learners_table.c.room == code, learners_table.c.learner == learner)).first()
                if joined is None:
                    raise RoomError(f"Join room {code} before answering.")
                locked = conn.execute(select(answers_table.c.choice).where(
                    answers_table.c.room == code, answers_table.c.station == station,
                    answers_table.c.learner == learner)).first()
                if locked is not None:
                    return False
                conn.execute(insert(answers_table).values(room=code, station=station, learner=learner,
                                                          choice=choice, locked_at=self.clock()))
        except IntegrityError:
            return False  # the same learner's lock from another tab won the race
        return True

    def tallies(self, code: str) -> dict[int, dict[str, int]]:
        """station -> choice -> how many locked it, for every station of the room (empty when none)."""
        code = normalise_code(code)
        with self._reading() as conn:
            room = self._load(conn, code)
            rows = conn.execute(
                select(answers_table.c.station, answers_table.c.choice, func.count())
                .where(answers_table.c.room == code)
                .group_by(answers_table.c.station, answers_table.c.choice)
                .order_by(answers_table.c.station, answers_table.c.choice)).all()
        counts: dict[int, dict[str, int]] = {s: {} for s in range(1, room.stations + 1)}
        for station, choice, count in rows:
            counts.setdefault(station, {})[choice] = count
        return counts

    def advance(self, code: str, key: str, station: int) -> Room:
        """Move the room to a station; only the key the room was opened with may."""
        code = normalise_code(code)
        with self._writing() as conn:
            room = self._load(conn, code, lock="update")
            stored = conn.execute(select(rooms_table.c.key_hash)
                                  .where(rooms_table.c.code == code)).scalar_one()
            offered = _hash_key(key) if isinstance(key, str) else ""
            if not hmac.compare_digest(offered, stored):
                raise RoomError(f"Only the facilitator who opened room {code} can move it.")
            station = check_int("station", station, 1, room.stations)
            conn.execute(update(rooms_table).where(rooms_table.c.code == code).values(station=station))
        return Room(code=room.code, station=station, stations=room.stations, learners=room.learners,
                    capacity=room.capacity, expires_at=room.expires_at)

    def expire(self, now: datetime | None = None) -> int:
        """Delete the rooms past their expiry, with their learners and answers; how many rooms went."""
        now = self.clock() if now is None else now
        with self._writing() as conn:
            # rooms busy in another transaction are left for the next sweep rather than waited for
            codes = conn.execute(select(rooms_table.c.code).where(rooms_table.c.expires_at <= now)
                                 .with_for_update(skip_locked=True)).scalars().all()
            if not codes:
                return 0
            conn.execute(delete(answers_table).where(answers_table.c.room.in_(codes)))
            conn.execute(delete(learners_table).where(learners_table.c.room.in_(codes)))
            conn.execute(delete(rooms_table).where(rooms_table.c.code.in_(codes)))
        return len(codes)
