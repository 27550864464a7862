"""A workshop room under load: simulated learners on phones and one facilitator go through every
station, each a full round (first vote, discussion, revote, reveal), against one server or two
replicas behind HAProxy with PostgreSQL as the rooms' store.

usage: .venv/bin/python -m tools.room_load [--learners 30] [--stations 6] [--spread 3]
           [--change 0.2] [--replicas 2] [--seed 0] [--json]

Each learner is a websocket session of the workshop page (tools/loadgen.Session) with its own
learner cookie, as a phone that scanned the room's code: it waits for the round's question, picks
an answer at a random moment within --spread seconds and sends it; a share (--change) sends a
second answer a moment later (a changed vote replaces the first). The facilitator moves the room
through the store, as the page's buttons do, and the projector's page stays open, refreshing.

What it measures:
- answer → tally: a vote sent → the store counts it (its voted_at), the tally every projector and
  revealed chart read; p50, p95 and max over every vote;
- answer → saved on the phone: a vote sent → the learner's page says "Your vote is in";
- lost and doubled: after the session every learner's last answer of every round is compared with
  the store, and each round's tally with the number of learners who voted;
- with --replicas 2: which replica served each learner, and that every learner saw every round.

Figures depend on the machine; docs/workshop.md records them with the machine they came from."""
from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import random
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from playground.experiments import workshop
from playground.serving.rooms import Rooms, votes_table
from tools.loadgen import OPEN_TIMEOUT_S, Session, in_background, percentile

LEARNER_COOKIE = "lsp_learner"  # the workshop page's learner id (playground/ui/shell/cookies.py)
VOTE_KEY, SEND_KEY = "ws_vote_{station}_{round}", "ws_action"
SAVED = "Your vote is in: {choice}."
ROUND_TIMEOUT_S = 120.0  # every learner must see the round's question, and save its vote, within this
MAX_LEARNERS = 200
PROJECTOR_S = 2.0  # the facilitator's page refreshes its count every second: it has caught up by then
OPEN_IN_WAVES_OF = 5  # phones join a few at a time, as a room scans a code


@dataclass
class Vote:
    learner: int
    station: int
    round: int
    choice: str
    sent_at: datetime  # the wall clock, to compare with the store's voted_at
    sent_perf: float
    saved_s: float | None = None  # → "Your vote is in" on the learner's page
    tallied_s: float | None = None  # → the store's voted_at (for the learner's last vote of the round)
    projected_s: float | None = None  # → the projector's count includes it (a learner's first vote)


@dataclass
class RoomReport:
    learners: int
    stations: int
    replicas: int
    store: str
    votes: list[Vote] = field(default_factory=list)
    lost: int = 0  # a learner's last answer the store does not hold (or holds another)
    doubled: int = 0  # votes a round's tally counts beyond the learners who voted in it
    errors: list[str] = field(default_factory=list)
    served_by: dict[str, int] = field(default_factory=dict)  # replica -> learners it served
    seed: int = 0
    windows: list[tuple[int, int, float, float]] = field(default_factory=list)  # station, round, open, close
    rounds: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        def stats(values):
            values = [v for v in values if v is not None]
            return {"n": len(values), "p50": percentile(values, 0.5), "p95": percentile(values, 0.95),
                    "max": max(values, default=None)}
        last = [v for v in self.votes if v.tallied_s is not None]
        return {"learners": self.learners, "stations": self.stations, "rounds": self.rounds,
                "replicas": self.replicas, "store": self.store, "votes_sent": len(self.votes),
                "answer_to_tally_s": stats([v.tallied_s for v in last]),
                "answer_to_saved_s": stats([v.saved_s for v in self.votes]),
                "answer_to_projector_s": stats([v.projected_s for v in self.votes]),
                "lost": self.lost, "doubled": self.doubled, "errors": len(self.errors),
                "error_messages": self.errors[:10], "served_by": self.served_by,
                "seconds": round(self.seconds, 1)}

    def describe(self) -> str:
        d = self.as_dict()
        tally, saved = d["answer_to_tally_s"], d["answer_to_saved_s"]
        where = (f"{self.replicas} replicas behind HAProxy (learners per replica: {self.served_by})"
                 if self.replicas else "one server")
        return "\n".join([
            f"{self.learners} learners, {self.stations} stations, {self.rounds} rounds, {where}, "
            f"store {self.store}, {d['seconds']} s in all",
            f"answer → tally: p50 {_s(tally['p50'])}, p95 {_s(tally['p95'])}, max {_s(tally['max'])} "
            f"over {tally['n']} votes",
            f"answer → on the projector's count: p50 {_s(d['answer_to_projector_s']['p50'])}, p95 "
            f"{_s(d['answer_to_projector_s']['p95'])}, max {_s(d['answer_to_projector_s']['max'])} over "
            f"{d['answer_to_projector_s']['n']} first votes",
            f"answer → saved on the phone: p50 {_s(saved['p50'])}, p95 {_s(saved['p95'])}, "
            f"max {_s(saved['max'])} over {saved['n']} sends",
            f"lost {self.lost}, doubled {self.doubled}, errors {len(self.errors)}"
            + (f": {self.errors[:3]}" if self.errors else "")])


def learner_id(seed: int, index: int) -> str:
    """The id a simulated learner's browser keeps (rooms.LEARNER_PATTERN)."""
    return f"load{seed:04d}learner{index:04d}"


def _s(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f} s"


async def _until(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} within {timeout_s:.0f} s")
        await asyncio.sleep(0.05)


def _shown_since(session: Session, since: float, text: str) -> float | None:
    """When the page first showed a message holding `text` at or after `since` (perf_counter)."""
    return next((t for t, body in session.result.alerts if t >= since and text in body), None)


async def _vote(session: Session, index: int, station: int, rnd: int, choices: tuple[str, ...],
                rng: random.Random, spread_s: float, change: float, report: RoomReport) -> None:
    """One learner's round: wait, answer, perhaps change the answer; each send waits to be saved."""
    picks = [rng.choice(choices)]
    if rng.random() < change:
        picks.append(rng.choice([c for c in choices if c != picks[0]]))
    await asyncio.sleep(rng.uniform(0, spread_s))
    for choice in picks:
        vote = Vote(index, station, rnd, choice, datetime.now(UTC), time.perf_counter())
        report.votes.append(vote)
        if not await session.choose_and_press(VOTE_KEY.format(station=station, round=rnd), choice, SEND_KEY):
            return
        told = functools.partial(_shown_since, session, vote.sent_perf, SAVED.format(choice=choice))
        await _until(lambda told=told: told() is not None, ROUND_TIMEOUT_S,
                     f"learner {index} was not told its vote ({choice}) was saved")
        vote.saved_s = told() - vote.sent_perf
        await asyncio.sleep(rng.uniform(0.5, 1.5))  # a second look before changing it


async def _session(base: str, rooms: Rooms, learners: int, stations: int, spread_s: float, change: float,
                   seed: int, report: RoomReport) -> str:
    rng = random.Random(seed)
    room, key = rooms.open()
    code = room.code
    projector = Session(base, "/facilitator", f"room={code}&key={key}", index=0)
    people = [Session(base, "/workshop", f"room={code}", index=i + 1,
                      cookies={LEARNER_COOKIE: learner_id(seed, i)}) for i in range(learners)]
    try:
        await projector.open()
        for wave in range(0, learners, OPEN_IN_WAVES_OF):
            await asyncio.gather(*(p.open() for p in people[wave:wave + OPEN_IN_WAVES_OF]))
        for number in range(1, stations + 1):
            station = workshop.station(number)
            if number > 1:
                room = rooms.move(code, key, room.version, "station", station=number)
            for rnd in (1, 2):
                if rnd == 2:
                    room = rooms.move(code, key, room.version, "discuss")
                    room = rooms.move(code, key, room.version, "revote")
                opened = time.perf_counter()
                widget = VOTE_KEY.format(station=number, round=rnd)
                await _until(lambda widget=widget: all(p.has_widget(widget) for p in people), ROUND_TIMEOUT_S,
                             f"not every learner saw station {number}, round {rnd}")
                await asyncio.gather(*(_vote(p, i, number, rnd, station.choices, random.Random(rng.random()),
                                             spread_s, change, report) for i, p in enumerate(people)))
                await asyncio.sleep(PROJECTOR_S)  # the projector's count catches up before the vote closes
                report.windows.append((number, rnd, opened, time.perf_counter()))
                report.rounds += 1
            room = rooms.move(code, key, room.version, "reveal")
            await asyncio.sleep(1.0)  # the reveal: the phones redraw, the projector shows the answer
    finally:
        for s in [projector, *people]:
            await s.aclose()
            report.errors.extend(f"session {s.result.index}: {e}" for e in s.result.errors)
        for p in people:
            for name in set(p.result.replicas):
                report.served_by[name] = report.served_by.get(name, 0) + 1
    _project(projector, report)
    return code


def _project(projector: Session, report: RoomReport) -> None:
    """For each round, the k-th learner to vote (by first send) is on the projector once its count
    of votes in this round reaches k."""
    shown = [(t, int(value)) for t, label, value in projector.result.metrics
             if label == "votes in this round" and value.isdigit()]
    for station, rnd, opened, closed in report.windows:
        counts = [(t, n) for t, n in shown if opened <= t <= closed]
        firsts: dict[int, Vote] = {}
        for vote in report.votes:
            if (vote.station, vote.round) == (station, rnd):
                firsts.setdefault(vote.learner, vote)
        for k, vote in enumerate(sorted(firsts.values(), key=lambda v: v.sent_perf), start=1):
            seen = next((t for t, n in counts if n >= k and t >= vote.sent_perf), None)
            vote.projected_s = None if seen is None else seen - vote.sent_perf


def _check_store(rooms: Rooms, code: str, learners: int, report: RoomReport) -> None:
    """Each learner's last answer of each round against the store; the store's voted_at times the
    tally; each round's count against its voters."""
    last: dict[tuple[int, int, int], Vote] = {}
    for vote in report.votes:
        last[(vote.learner, vote.station, vote.round)] = vote
    with rooms.engine.connect() as conn:
        rows = conn.execute(select(votes_table.c.station, votes_table.c.round, votes_table.c.learner,
                                   votes_table.c.choice, votes_table.c.voted_at)
                            .where(votes_table.c.room == code)).all()
    held = {(r.learner, r.station, r.round): (r.choice, r.voted_at) for r in rows}
    for (learner, station, rnd), vote in last.items():
        found = held.get((learner_id(report.seed, learner), station, rnd))
        if found is None or found[0] != vote.choice:
            report.lost += 1
            continue
        voted_at = found[1] if found[1].tzinfo else found[1].replace(tzinfo=UTC)
        vote.tallied_s = (voted_at - vote.sent_at).total_seconds()
    tallies = rooms.tallies(code)
    for station, rounds in tallies.items():
        for rnd, counts in rounds.items():
            voters = {k[0] for k in last if k[1:] == (station, rnd)}
            report.doubled += max(0, sum(counts.values()) - len(voters))


def run_room(learners: int = 30, stations: int = len(workshop.STATIONS), spread_s: float = 3.0,
             change: float = 0.2, replicas: int = 0, seed: int = 0) -> RoomReport:
    """A whole session against a server (or replicas) this starts and stops."""
    from tools import cluster, postgres
    from tools.serve import streamlit_process
    if not 1 <= learners <= MAX_LEARNERS:
        raise ValueError(f"learners={learners} must be in [1, {MAX_LEARNERS}]")
    if not 1 <= stations <= len(workshop.STATIONS):
        raise ValueError(f"stations={stations} must be in [1, {len(workshop.STATIONS)}]")
    if replicas not in (0, 2):
        raise ValueError(f"replicas={replicas} must be 0 (one server, SQLite) or 2 (HAProxy, PostgreSQL)")
    with ExitStack() as stack:
        if replicas:
            store = stack.enter_context(postgres.postgres_server()).url
            env = {"PLAYGROUND_ROOMS_URL": store}
            base = stack.enter_context(cluster.replicas_behind_proxy(("r1", "r2"), env=env)).url
        else:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="room-load-")))
            store = f"sqlite:///{folder / 'rooms.sqlite3'}"
            base, _ = stack.enter_context(streamlit_process("server-room-load.log",
                                                            env={"PLAYGROUND_ROOMS_URL": store}))
        rooms = Rooms(store, capacity=max(learners, 30))
        report = RoomReport(learners, stations, replicas, store.split(":", 1)[0].split("+")[0], seed=seed)
        start = time.perf_counter()
        try:
            # on the load generator's own loop thread: the caller's thread may run an event loop already
            limit = (2 * stations + 2) * (ROUND_TIMEOUT_S + spread_s + 10) + OPEN_TIMEOUT_S
            whole = _session(base, rooms, learners, stations, spread_s, change, seed, report)
            code = in_background(whole, limit)
            _check_store(rooms, code, learners, report)
        except TimeoutError as err:
            report.errors.append(str(err))
        report.seconds = time.perf_counter() - start
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--stations", type=int, default=len(workshop.STATIONS))
    parser.add_argument("--spread", type=float, default=3.0, help="seconds over which a round's votes arrive")
    parser.add_argument("--change", type=float, default=0.2, help="share of learners who change their vote")
    parser.add_argument("--replicas", type=int, default=0, choices=(0, 2),
                        help="0: one server on SQLite; 2: two replicas behind HAProxy on PostgreSQL")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    args = parser.parse_args(argv)
    try:
        report = run_room(args.learners, args.stations, args.spread, args.change, args.replicas, args.seed)
    except ValueError as err:
        parser.error(str(err))
    print(json.dumps(report.as_dict()) if args.json else report.describe())
    return 1 if report.errors or report.lost or report.doubled else 0


if __name__ == "__main__":
    os.environ.setdefault("PLAYGROUND_WARMUP", "0")  # the room's own pages only
    sys.exit(main())
