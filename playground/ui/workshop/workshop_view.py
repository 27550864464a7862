"""A workshop station as a learner sees it.

Alone: the question, an answer locked in before anything is revealed, then the measured reveal and
a link to the page that explores it. In a room the facilitator paces each station as a round: the
learner votes (and may change the vote) while the tally stays hidden, sees the room's first vote
during the discussion, votes again, and at the reveal sees both votes and the answer. The learner
is a random id kept in the browser, so a reload or a sleeping phone is the same learner with the
same votes; a vote the store could not take is kept and sent again, never dropped silently."""
from __future__ import annotations

import secrets
import time
from urllib.parse import parse_qs

import pandas as pd
import streamlit as st

from playground.experiments import workshop
from playground.serving.rooms import (
    DISCUSS,
    LEARNER_PATTERN,
    REVEAL,
    VOTE,
    Room,
    RoomError,
    StoreUnavailable,
    TooManyLookups,
    looked_up,
)
from playground.ui.shell import cookies
from playground.ui.shell.navigation import PAGES
from playground.ui.shell.plain import escaped
from playground.ui.shell.url import control, keep
from playground.ui.workshop.rooms_store import clients, failed_lookups, room_store
from playground.views import charts

PAGE_FILES = {path.split("/")[-1].removesuffix(".py"): (path, title) for path, title, _ in PAGES}
LEARNER_DAYS = 2  # how long a browser keeps its learner id: as long as the longest room lasts
RETRY_S = (2, 4, 8, 16)  # waits between sends of a vote the store could not take


@st.cache_resource(show_spinner=False, max_entries=len(workshop.STATIONS))
def measured(number: int) -> workshop.Reveal:
    """A station's reveal, measured once per server: the whole room sees the same run."""
    return workshop.station(number).reveal()


def learner_id() -> str:
    """This browser's random, anonymous id: from its cookie when it has one, else a new one that
    the browser keeps (LEARNER_DAYS)."""
    if "ws_learner" not in st.session_state:
        kept = cookies.read("learner")
        fresh = kept is None or not LEARNER_PATTERN.fullmatch(kept)
        st.session_state["ws_learner"] = secrets.token_hex(8) if fresh else kept
        st.session_state["ws_learner_new"] = fresh
    if st.session_state.pop("ws_learner_new", False):
        cookies.write("learner", st.session_state["ws_learner"], LEARNER_DAYS)
    return st.session_state["ws_learner"]


def joined_room() -> Room | None:
    """The room named by the link (?room=CODE), joined, with this learner's votes read back from
    the store; None when working alone or when the room cannot be joined (then the message says
    why and the stations stay open to work through alone)."""
    code = st.query_params.get("room")
    if not code:
        return None
    failed = st.session_state.get("ws_failed_code")
    last = st.session_state.get("ws_room")
    try:
        if failed and failed[0] == code:  # a rerun asks again for a code that failed: no new lookup
            raise RoomError(failed[1])
        store = room_store()
        me = learner_id()
        room = looked_up(failed_lookups(), clients(me), lambda: store.join(code, me))
        st.session_state["ws_votes"] = {**store.votes_of(room.code, me), **pending_vote()}
    except StoreUnavailable as err:
        if last is not None and last.code == code.strip().upper():  # a blip: stay in the room as last seen
            keep("room", [last.code])
            st.warning(f"{escaped(err)} The room is shown as it was last seen.",
                       icon=":material/sync_problem:")
            return last
        st.error(f"{escaped(err)} Reload in a moment to join room {escaped(code)}.",
                 icon=":material/meeting_room:")
        keep("room", [code])
        return None
    except RoomError as err:
        if not isinstance(err, TooManyLookups):  # that one passes: ask again
            st.session_state["ws_failed_code"] = (code, str(err))
        keep("room", [code])  # the code stays in the link, with the message saying what is wrong
        st.error(f"{escaped(err)} You can still work through the stations on your own below.",
                 icon=":material/meeting_room:")
        return None
    except ValueError as err:
        st.error(f"The workshop rooms are not available here: {escaped(err)}")
        return None
    keep("room", [room.code])
    st.session_state["ws_in_room"] = room.code  # the menu leaves out the facilitator's page
    st.session_state["ws_room"] = room
    return room


def station_number(room: Room | None) -> int:
    """In a room, the facilitator's station; alone, the learner's pick (?station=N)."""
    if room is not None:
        return room.station
    numbers = list(range(1, len(workshop.STATIONS) + 1))  # links spell a station by its number
    return control("station", options=numbers, required=True,
                   help=" · ".join(f"{n}. {s.title}" for n, s in zip(numbers, workshop.STATIONS)))


# ---- a vote in a room, sent now or again later --------------------------------------------------

def pending_vote() -> dict[tuple[int, int], str]:
    """The vote not yet saved, as (station, round) -> choice ({} when none waits)."""
    waiting = st.session_state.get("ws_pending")
    return {} if waiting is None else {(waiting["station"], waiting["round"]): waiting["choice"]}


def send_vote(room: Room, number: int, choice: str) -> None:
    """Send the vote; if the store cannot take it now, keep it to send again (retry_pending)."""
    try:
        counted = room_store().answer(room.code, number, learner_id(), choice)
    except StoreUnavailable:
        st.session_state["ws_pending"] = {"station": number, "round": room.round, "choice": choice,
                                          "tries": 1, "next": time.monotonic() + RETRY_S[0]}
        st.session_state.setdefault("ws_votes", {})[(number, room.round)] = choice
        return
    except RoomError as err:
        st.session_state["ws_vote_error"] = str(err)
        return
    st.session_state.pop("ws_pending", None)
    st.session_state.setdefault("ws_votes", {})[(number, counted)] = choice


def retry_pending(room: Room) -> None:
    """Send the waiting vote again when its back-off has passed (2, 4, 8, then every 16 s)."""
    waiting = st.session_state.get("ws_pending")
    if waiting is None or time.monotonic() < waiting["next"]:
        return
    try:
        room_store().answer(room.code, waiting["station"], learner_id(), waiting["choice"])
    except StoreUnavailable:
        waiting["tries"] += 1
        waiting["next"] = time.monotonic() + RETRY_S[min(waiting["tries"], len(RETRY_S)) - 1]
        return
    except RoomError as err:  # the vote closed meanwhile: say so, plainly
        st.session_state["ws_vote_error"] = f"Your vote ({waiting['choice']}) could not be counted: {err}"
        st.session_state.get("ws_votes", {}).pop((waiting["station"], waiting["round"]), None)
    st.session_state.pop("ws_pending", None)
    st.rerun(scope="app")


@st.fragment(run_every=2)
def follow_room(room: Room) -> None:
    """Every 2 s: send a waiting vote again, count the vote's time down, and reload the page when
    the facilitator moves the room on."""
    retry_pending(room)
    try:
        now = room_store().room(room.code)
    except StoreUnavailable as err:
        st.warning(f"{escaped(err)}", icon=":material/sync_problem:")
        return
    except ValueError as err:
        st.warning(f"{escaped(err)}")
        return
    left = now.seconds_left()
    timer = "" if left is None else (
        f" · the vote closes in {left:.0f} s" if left > 0 else " · the vote has closed")
    st.caption(f"Room **{room.code}** · {now.learners} learners{timer} · the facilitator moves the room on.")
    if (now.version, now.station) != (room.version, room.station) or (left == 0 and room.voting()):
        st.rerun(scope="app")


def _send(room: Room, number: int) -> None:
    choice = st.session_state.get(f"ws_vote_{number}_{room.round}")
    if choice is None:
        st.session_state["ws_pick_first"] = True
        return
    send_vote(room, number, choice)


def room_tally_frame(counts: dict[int, dict[str, int]], station: workshop.Station,
                     rounds: tuple[int, ...]) -> pd.DataFrame:
    """The votes of `rounds` for votes_chart: every choice in each round, none voted 0."""
    return pd.DataFrame([{"choice": c, "round": workshop.ROUND_NAMES[r], "votes": counts.get(r, {}).get(c, 0),
                          "right": i == station.correct}
                         for r in rounds for i, c in enumerate(station.choices)])


def held_rounds(counts: dict[int, dict[str, int]], room: Room) -> tuple[int, ...]:
    """The rounds the station has held so far: the revote only once it was opened."""
    return (1, 2) if room.round == 2 or counts.get(2) else (1,)


def show_room_station(room: Room) -> None:
    """The station the facilitator has the room on, in its phase."""
    number = room.station
    station = workshop.station(number)
    st.header(f"Station {number} of {len(workshop.STATIONS)}: {station.title}")
    votes = st.session_state.get("ws_votes", {})
    first, mine = votes.get((number, 1)), votes.get((number, room.round))
    if error := st.session_state.pop("ws_vote_error", None):
        st.warning(escaped(error), icon=":material/block:")
    if room.phase == VOTE:
        show_vote(room, number, station, mine, first)
        return
    try:
        counts = room_store().tallies(room.code).get(number, {})
    except StoreUnavailable as err:
        st.warning(f"{escaped(err)} The room's votes show once the store answers.",
                   icon=":material/sync_problem:")
        return
    shown = held_rounds(counts, room)
    if room.phase == DISCUSS:
        st.markdown(f"**{escaped(station.question)}**")
        st.info("The first vote is closed. Here is how the room voted: talk it over with your neighbours "
                "(why would each answer be right?), then the facilitator opens a second vote.",
                icon=":material/forum:")
    chart = charts.votes_chart(room_tally_frame(counts, station, shown), reveal=room.phase == REVEAL)
    st.altair_chart(chart, width="stretch")
    if first is not None:
        again = votes.get((number, 2))
        st.caption(f"Your first vote: {first}." + (f" Your revote: {again}." if again else ""))
    if room.phase == REVEAL:
        show_answer(number, station, votes.get((number, 2)) or first)


def show_vote(room: Room, number: int, station: workshop.Station, mine: str | None,
              first: str | None) -> None:
    open_now = room.voting()
    if room.round == 2 and first is not None:
        st.caption(f"Second vote, after the discussion. Your first vote was: {first}.")
    st.radio(station.question, station.choices, key=f"ws_vote_{number}_{room.round}", disabled=not open_now,
             index=station.choices.index(mine) if mine in station.choices else None)
    if not open_now:
        st.info("The vote has closed; the facilitator reveals the answer next.", icon=":material/timer_off:")
        return
    st.button("Change my vote" if mine else "Send my vote", type="primary", key=ACTION, on_click=_send,
              args=(room, number), icon=":material/how_to_vote:",
              help="you can change your vote until the facilitator closes it")
    if st.session_state.pop("ws_pick_first", False):
        st.warning("Pick an answer first, then send it.")
    if st.session_state.get("ws_pending"):
        st.warning(f"Your vote ({escaped(st.session_state['ws_pending']['choice'])}) is not saved yet: the "
                   "rooms store is busy or unreachable. It is kept here and sent again every few seconds.",
                   icon=":material/sync_problem:")
    elif mine:
        st.success(f"Your vote is in: {mine}. You can change it until the vote closes; the room's votes "
                   "are shown when it does.", icon=":material/check_circle:")
    else:
        st.caption("Pick an answer and send it; the room's votes stay hidden until the vote closes.")


def show_answer(number: int, station: workshop.Station, last: str | None) -> None:
    """The right answer, the learner's against it, and the measurement that decides it."""
    right = station.choices[station.correct]
    if last == right:
        st.success(f"You answered: {last}. Right.", icon=":material/check_circle:")
    elif last is not None:
        st.info(f"You answered: {last}. The measurement says: {right}.", icon=":material/lightbulb:")
    else:
        st.info(f"The measurement says: {right}.", icon=":material/lightbulb:")
    show_measurement(number, station)


def show_measurement(number: int, station: workshop.Station) -> None:
    with st.spinner("Measuring…"):
        reveal = measured(number)
    # its text alternative: the sentences computed from the same run, which say what it shows
    st.altair_chart(reveal.chart, width="content",
                    alt=f"The measurement for station {number}, {station.title}: "
                        + " ".join(reveal.sentences))
    st.markdown("\n".join(f"- {line}" for line in reveal.sentences))
    st.caption(f"Measured on this server in {reveal.seconds:.1f} s (once; everyone in the room sees the same "
               "run).")
    path, title = PAGE_FILES[station.page]
    st.page_link(path, label=f"Explore it on the {title} page", icon=":material/open_in_new:",
                 query_params={k: v if len(v) > 1 else v[0] for k, v in parse_qs(station.query).items()})


# ---- working alone: lock, reveal, next ---------------------------------------------------------

ACTION = "ws_action"  # one key for Lock and then Next at every station: the button stays the same
# element in the browser, so keyboard focus stays on it after each press; every state has an icon
# and help, since a button with help or an icon is drawn inside other elements than one without


def _lock(number: int) -> None:
    choice = st.session_state.get(f"ws_choice_{number}")
    if choice is None:
        st.session_state["ws_pick_first"] = True
        return
    st.session_state[f"ws_locked_{number}"] = choice


def _next(number: int) -> None:
    st.session_state["station"] = number % len(workshop.STATIONS) + 1


def action_button(number: int, locked: bool) -> None:
    """Lock, then Next: one button in one place, for the keyboard as for the mouse."""
    if not locked:
        st.button("Lock in my answer", type="primary", key=ACTION, on_click=_lock, args=(number,),
                  icon=":material/lock:", help="answers are final: commit before you see the measurement")
    else:
        last = number == len(workshop.STATIONS)
        st.button("Back to station 1" if last else f"Next: station {number + 1}", type="primary", key=ACTION,
                  on_click=_next, args=(number,), icon=":material/arrow_forward:",
                  help="the next question; your answers here stay locked")


def show_station(number: int) -> None:
    """A station worked through alone: lock an answer, then see it measured."""
    station = workshop.station(number)
    st.header(f"Station {number} of {len(workshop.STATIONS)}: {station.title}")
    locked = st.session_state.get(f"ws_locked_{number}")
    st.radio(station.question, station.choices, index=None, key=f"ws_choice_{number}",
             disabled=locked is not None)
    action_button(number, locked is not None)
    if locked is None:
        if st.session_state.pop("ws_pick_first", False):
            st.warning("Pick an answer first, then lock it in.")
        st.caption("Pick an answer and lock it in; the measurement is revealed after.")
        return
    show_answer(number, station, locked)
