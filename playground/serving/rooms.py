"""Workshop rooms: a facilitator opens a room, learners join it by a short code, and each station
runs as a round that the facilitator paces: learners vote (and may change their vote) while the
tally stays hidden; the facilitator closes the vote for discussion and opens a revote, or reveals;
at the reveal everyone sees the room's first and second votes and the answer.

This is the storage layer only. It keeps rooms in any SQLAlchemy database: a SQLite file by
default (PLAYGROUND_ROOMS_DB), or a server named by PLAYGROUND_ROOMS_URL such as
postgresql+psycopg://user@127.0.0.1:5432/db. Learners are known only by a random id kept in their
browser; no names are stored. A facilitator's key is returned once when the room opens, and only
its sha256 is kept. Every move of a room names the state it moves from, so two facilitator tabs
pressing at once move it once."""
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
from dataclasses import dataclass, replace
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
VOTE, DISCUSS, REVEAL = "vote", "discuss", "reveal"  # a station's phases, in the order a round runs
PHASES = (VOTE, DISCUSS, REVEAL)
ROUNDS = (1, 2)  # the first vote, and the revote after discussion
TIMER_RANGE = (10, 600)  # seconds a facilitator may give a vote


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

# The tables are named workshop_*: the stores of earlier versions (rooms, room_learners,
# room_answers, with no rounds) are left as they are and expire unused.
rooms_table = Table(
    "workshop_rooms", metadata,
    Column("code", String(CODE_LENGTH), primary_key=True),
    Column("key_hash", String(64), nullable=False),
    Column("station", Integer, nullable=False),
    Column("phase", String(8), nullable=False),
    Column("round", Integer, nullable=False),
    Column("deadline", UtcDateTime, nullable=True),  # the vote's countdown, when one runs
    Column("version", Integer, nullable=False),  # +1 at every move: a move names the one it follows
    Column("stations", Integer, nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False, index=True),
)

learners_table = Table(
    "workshop_learners", metadata,
    Column("room", String(CODE_LENGTH), ForeignKey("workshop_rooms.code", ondelete="CASCADE"),
           primary_key=True),
    Column("learner", String(64), primary_key=True),
    Column("joined_at", UtcDateTime, nullable=False),
)

votes_table = Table(
    "workshop_votes", metadata,
    # one vote per learner, station and round: a changed mind replaces it while the vote is open
    Column("room", String(CODE_LENGTH), ForeignKey("workshop_rooms.code", ondelete="CASCADE"),
           primary_key=True),
    Column("station", Integer, primary_key=True),
    Column("round", Integer, primary_key=True),
    Column("learner", String(64), primary_key=True),
    Column("choice", String(MAX_CHOICE), nullable=False),
    Column("voted_at", UtcDateTime, nullable=False),
)
answers_table = votes_table  # the name earlier code and tests read

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
    phase: str = VOTE
    round: int = 1
    deadline: datetime | None = None  # UTC; the vote closes then
    version: int = 0

    @property
    def expired(self) -> bool:
        return utc_now() >= self.expires_at

    @property
    def full(self) -> bool:
        return self.learners >= self.capacity

    def seconds_left(self, now: datetime | None = None) -> float | None:
        """Of the vote's countdown (0 once it is over); None when no countdown runs."""
        if self.deadline is None or self.phase != VOTE:
            return None
        return max(0.0, (self.deadline - (now or utc_now())).total_seconds())

    def voting(self, now: datetime | None = None) -> bool:
        """Whether votes are taken now."""
        left = self.seconds_left(now)
        return self.phase == VOTE and (left is None or left > 0)

    @property
    def state(self) -> str:
        """The room's place, in words: "station 2, first vote", "station 2, revealed"."""
        what = {VOTE: "first vote" if self.round == 1 else "revote", DISCUSS: "discussion",
                REVEAL: "revealed"}[self.phase]
        return f"station {self.station}, {what}"


class RoomMoved(RoomError):
    """The room changed since the facilitator last looked (another tab or device moved it)."""


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
                    capacity=row["capacity"], expires_at=row["expires_at"], phase=row["phase"],
                    round=row["round"], deadline=row["deadline"], version=row["version"])

    def open(self) -> tuple[Room, str]:
        """A new room on station 1, first vote, and its facilitator key; the key is shown only this
        once (the facilitator's page keeps it in their browser and offers a resume link)."""
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
                        code=code, key_hash=_hash_key(key), station=1, phase=VOTE, round=1, deadline=None,
                        version=0, stations=self.stations, capacity=self.capacity, created_at=now,
                        expires_at=expires_at))
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
        return replace(room, learners=room.learners + 1)

    def answer(self, code: str, station: int, learner: str, choice: str) -> int:
        """Record the learner's vote on the station the room is on, replacing their earlier vote
        in this round; the round it counts in. A RoomError when the room is elsewhere or the vote
        has closed (then nothing changed)."""
        learner = check_learner(learner)
        choice = check_choice_text(choice)
        code = normalise_code(code)
        for attempt in range(2):
            try:
                with self._writing() as conn:
                    room = self._load(conn, code, lock="share")
                    station = check_int("station", station, 1, room.stations)
                    joined = conn.execute(select(learners_table.c.learner).where(
                        learners_table.c.room == code, learners_table.c.learner == learner)).first()
                    if joined is None:
                        raise RoomError(f"Join room {code} before answering.")
                    if station != room.station:
                        raise RoomError(f"Room {code} is on station {room.station} now, not {station}.")
                    if not room.voting(self.clock()):
                        raise RoomError(f"The vote on station {station} has closed.")
                    mine = (votes_table.c.room == code, votes_table.c.station == station,
                            votes_table.c.round == room.round, votes_table.c.learner == learner)
                    changed = conn.execute(update(votes_table).where(*mine).values(
                        choice=choice, voted_at=self.clock())).rowcount
                    if not changed:
                        conn.execute(insert(votes_table).values(
                            room=code, station=station, round=room.round, learner=learner, choice=choice,
                            voted_at=self.clock()))
                return room.round
            except IntegrityError:
                if attempt:  # the same learner's vote from another tab landed first: update it
                    raise
        raise AssertionError("unreachable")

    def votes_of(self, code: str, learner: str) -> dict[tuple[int, int], str]:
        """The learner's votes in the room: (station, round) -> choice."""
        learner = check_learner(learner)
        code = normalise_code(code)
        with self._reading() as conn:
            self._load(conn, code)
            rows = conn.execute(select(votes_table.c.station, votes_table.c.round, votes_table.c.choice)
                                .where(votes_table.c.room == code, votes_table.c.learner == learner)).all()
        return {(station, rnd): choice for station, rnd, choice in rows}

    def tallies(self, code: str) -> dict[int, dict[int, dict[str, int]]]:
        """station -> round -> choice -> votes, for every station and round of the room."""
        code = normalise_code(code)
        with self._reading() as conn:
            room = self._load(conn, code)
            rows = conn.execute(
                select(votes_table.c.station, votes_table.c.round, votes_table.c.choice, func.count())
                .where(votes_table.c.room == code)
                .group_by(votes_table.c.station, votes_table.c.round, votes_table.c.choice)
                .order_by(votes_table.c.station, votes_table.c.round, votes_table.c.choice)).all()
        counts = {s: {r: {} for r in ROUNDS} for s in range(1, room.stations + 1)}
        for station, rnd, choice, count in rows:
            counts.setdefault(station, {r: {} for r in ROUNDS})[rnd][choice] = count
        return counts

    def resume(self, code: str, key: str) -> Room:
        """The room, if `key` is the one it was opened with (a facilitator coming back)."""
        code = normalise_code(code)
        with self._reading() as conn:
            room = self._load(conn, code)
            self._check_key(conn, code, key)
        return room

    @staticmethod
    def _check_key(conn: Connection, code: str, key) -> None:
        stored = conn.execute(select(rooms_table.c.key_hash).where(rooms_table.c.code == code)).scalar_one()
        offered = _hash_key(key) if isinstance(key, str) else ""
        if not hmac.compare_digest(offered, stored):
            raise RoomError(f"Only the facilitator who opened room {code} can move it.")

    def move(self, code: str, key: str, since: int, to: str, *, station: int | None = None,
             seconds: float | None = None) -> Room:
        """Move the room on, as its facilitator: `since` is the version they saw (a RoomMoved if the
        room changed meanwhile, so two tabs pressing at once move it once). `to`:
        "station" (to `station`, first vote), "discuss" (close the first vote, show its tally),
        "revote" (open the second vote), "reveal" (close the vote, show the tallies and the answer),
        "timer" (the open vote closes in `seconds`)."""
        code = normalise_code(code)
        with self._writing() as conn:
            room = self._load(conn, code, lock="update")
            self._check_key(conn, code, key)
            if since != room.version:
                raise RoomMoved(f"Room {code} moved on meanwhile (now {room.state}), perhaps from another "
                                "tab; look again and press once more if you still want to.")
            values = self._next_state(room, to, station, seconds)
            conn.execute(update(rooms_table).where(rooms_table.c.code == code)
                         .values(**values, version=room.version + 1))
        return replace(room, **values, version=room.version + 1)

    def _next_state(self, room: Room, to: str, station: int | None, seconds: float | None) -> dict:
        if to == "station":
            station = check_int("station", station, 1, room.stations)
            return {"station": station, "phase": VOTE, "round": 1, "deadline": None}
        if to == "timer":
            if room.phase != VOTE:
                raise RoomError("A countdown runs only while a vote is open.")
            seconds = check_number("seconds", seconds, *TIMER_RANGE)
            return {"deadline": self.clock() + timedelta(seconds=seconds)}
        if to == "discuss":
            if (room.phase, room.round) != (VOTE, 1):
                raise RoomError("Only the first vote can be closed for discussion.")
            return {"phase": DISCUSS, "deadline": None}
        if to == "revote":
            if room.phase != DISCUSS:
                raise RoomError("A revote opens after the discussion of the first vote.")
            return {"phase": VOTE, "round": 2, "deadline": None}
        if to == "reveal":
            if room.phase == REVEAL:
                raise RoomError(f"Station {room.station} is already revealed.")
            return {"phase": REVEAL, "deadline": None}
        fail("to", to, "must be one of station, timer, discuss, revote, reveal")

    def expire(self, now: datetime | None = None) -> int:
        """Delete the rooms past their expiry, with their learners and answers; how many rooms went."""
        now = self.clock() if now is None else now
        with self._writing() as conn:
            # rooms busy in another transaction are left for the next sweep rather than waited for
            codes = conn.execute(select(rooms_table.c.code).where(rooms_table.c.expires_at <= now)
                                 .with_for_update(skip_locked=True)).scalars().all()
            if not codes:
                return 0
            conn.execute(delete(votes_table).where(votes_table.c.room.in_(codes)))
            conn.execute(delete(learners_table).where(learners_table.c.room.in_(codes)))
            conn.execute(delete(rooms_table).where(rooms_table.c.code.in_(codes)))
        return len(codes)


# ---- the address learners open ---------------------------------------------------------------------

PUBLIC_URL_ENV = "PLAYGROUND_PUBLIC_URL"
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0")


def lan_address() -> str | None:
    """This machine's address on its local network, or None. A UDP socket "connected" to a
    private address sends nothing; it only asks the system which interface it would use."""
    import socket
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.254.254.254", 9))
            address = probe.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


@dataclass(frozen=True)
class JoinAddress:
    base: str  # the server's address as learners reach it, without a trailing slash
    source: str  # "setting", "request" or "network"
    warning: str | None = None  # what the facilitator must know, naming the setting that fixes it

    def room(self, code: str) -> str:
        return f"{self.base}/workshop?room={code}"

    @property
    def join(self) -> str:
        return f"{self.base}/join"


def join_address(page_url: str, env: Mapping[str, str] = os.environ,
                 lan: Callable[[], str | None] = lan_address) -> JoinAddress:
    """The address learners open, in order: PLAYGROUND_PUBLIC_URL when set; the facilitator's own
    address (`page_url`, the page they are on) when it is not loopback; else this machine's LAN
    address on the same port, with a warning that phones must be on the same network."""
    from urllib.parse import urlsplit
    public = env.get(PUBLIC_URL_ENV, "").strip().rstrip("/")
    if public:
        parts = urlsplit(public)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            fail(PUBLIC_URL_ENV, public, "must be an http(s) address such as https://playground.example.org")
        return JoinAddress(public, "setting")
    parts = urlsplit(page_url or "")
    root = parts.path.rstrip("/").rsplit("/", 1)[0] if parts.path.count("/") > 1 else ""
    host = (parts.hostname or "").lower()
    if host and host not in LOOPBACK_HOSTS and not host.startswith("127."):
        return JoinAddress(f"{parts.scheme}://{parts.netloc}{root}", "request")
    port = f":{parts.port}" if parts.port else ""
    address = lan()
    fix = (f"Set {PUBLIC_URL_ENV} to the address phones can reach (for example "
           f"http://{address or 'this-machine'}{port}), or open this page by that address.")
    if address is None:
        return JoinAddress(f"{parts.scheme or 'http'}://{parts.netloc or 'localhost'}{root}", "request",
                           "This page was opened on this machine's own address (localhost), which no phone "
                           f"can reach, and no network address was found. {fix}")
    return JoinAddress(f"{parts.scheme or 'http'}://{address}{port}{root}", "network",
                       f"Phones must be on the same network as this machine ({address}): you opened this "
                       f"page on localhost, so the code points at the machine's network address. {fix}")
