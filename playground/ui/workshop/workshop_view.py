"""A workshop station as a learner sees it: the question, an answer locked in before anything is
revealed, then the measured reveal and a link to the page that explores it. In a room the station
follows the facilitator and each locked answer is recorded, anonymously."""
from __future__ import annotations

import secrets
from urllib.parse import parse_qs

import streamlit as st

from playground.experiments import workshop
from playground.serving.rooms import Room, RoomError, StoreUnavailable, TooManyLookups, looked_up
from playground.ui.shell.navigation import PAGES
from playground.ui.shell.plain import escaped
from playground.ui.shell.url import control, keep
from playground.ui.workshop.rooms_store import clients, failed_lookups, room_store

PAGE_FILES = {path.split("/")[-1].removesuffix(".py"): (path, title) for path, title, _ in PAGES}


@st.cache_resource(show_spinner=False, max_entries=len(workshop.STATIONS))
def measured(number: int) -> workshop.Reveal:
    """A station's reveal, measured once per server: the whole room sees the same run."""
    return workshop.station(number).reveal()


def learner_id() -> str:
    """This browser session's random, anonymous id."""
    return st.session_state.setdefault("ws_learner", secrets.token_hex(8))


def joined_room() -> Room | None:
    """The room named by the link (?room=CODE), joined; None when working alone or when the room
    cannot be joined (then the message says why and the stations stay open to work through alone)."""
    code = st.query_params.get("room")
    if not code:
        return None
    failed = st.session_state.get("ws_failed_code")
    try:
        if failed and failed[0] == code:  # a rerun asks again for a code that failed: no new lookup
            raise RoomError(failed[1])
        store = room_store()
        room = looked_up(failed_lookups(), clients(learner_id()), lambda: store.join(code, learner_id()))
    except RoomError as err:
        if not isinstance(err, (TooManyLookups, StoreUnavailable)):  # those may pass: ask again
            st.session_state["ws_failed_code"] = (code, str(err))
        keep("room", [code])  # the code stays in the link, with the message saying what is wrong
        st.error(f"{escaped(err)} You can still work through the stations on your own below.",
                 icon=":material/meeting_room:")
        return None
    except ValueError as err:
        st.error(f"The workshop rooms are not available here: {escaped(err)}")
        return None
    keep("room", [room.code])
    return room


def station_number(room: Room | None) -> int:
    """In a room, the facilitator's station; alone, the learner's pick (?station=N)."""
    if room is not None:
        return room.station
    numbers = list(range(1, len(workshop.STATIONS) + 1))  # links spell a station by its number
    return control("station", options=numbers, required=True,
                   help=" · ".join(f"{n}. {s.title}" for n, s in zip(numbers, workshop.STATIONS)))

@st.fragment(run_every=2)
def follow_room(room: Room) -> None:
    """Reload the page when the facilitator moves the room to another station."""
    try:
        now = room_store().room(room.code)
    except ValueError as err:
        st.warning(f"{escaped(err)}")
        return
    st.caption(f"Room **{room.code}** · {now.learners} learners · the facilitator moves the room on.")
    if now.station != room.station:
        st.rerun(scope="app")


ACTION = "ws_action"  # one key for Lock and then Next at every station: the button stays the same
# element in the browser, so keyboard focus stays on it after each press; every state has an icon
# and help, since a button with help or an icon is drawn inside other elements than one without


def _lock(number: int, room: Room | None) -> None:
    choice = st.session_state.get(f"ws_choice_{number}")
    if choice is None:
        st.session_state["ws_pick_first"] = True
        return
    if room is not None:
        try:
            room_store().answer(room.code, number, learner_id(), choice)
        except StoreUnavailable as err:  # not committed: not shown as locked; the pick stays
            st.session_state["ws_not_saved"] = str(err)
            return
        except ValueError as err:
            st.session_state["ws_answer_error"] = str(err)
    st.session_state[f"ws_locked_{number}"] = choice  # only after the store has committed it


def _next(number: int) -> None:
    st.session_state["station"] = number % len(workshop.STATIONS) + 1


def action_button(number: int, room: Room | None, locked: bool) -> None:
    """Lock, then (working alone) Next: one button in one place, for the keyboard as for the mouse."""
    if not locked:
        st.button("Lock in my answer", type="primary", key=ACTION, on_click=_lock, args=(number, room),
                  icon=":material/lock:", help="answers are final: commit before you see the measurement")
    elif room is None:
        last = number == len(workshop.STATIONS)
        st.button("Back to station 1" if last else f"Next: station {number + 1}", type="primary", key=ACTION,
                  on_click=_next, args=(number,), icon=":material/arrow_forward:",
                  help="the next question; your answers here stay locked")
    else:
        st.button("Answer locked: the facilitator moves the room on", type="primary", key=ACTION,
                  icon=":material/hourglass_top:",
                  help="your answer is recorded; the next station opens when the facilitator moves on")


def show_station(number: int, room: Room | None) -> None:
    station = workshop.station(number)
    st.header(f"Station {number} of {len(workshop.STATIONS)}: {station.title}")
    locked = st.session_state.get(f"ws_locked_{number}")
    st.radio(station.question, station.choices, index=None, key=f"ws_choice_{number}",
             disabled=locked is not None)
    action_button(number, room, locked is not None)
    if locked is None:
        if st.session_state.pop("ws_pick_first", False):
            st.warning("Pick an answer first, then lock it in.")
        if not_saved := st.session_state.pop("ws_not_saved", None):
            st.warning(f"{escaped(not_saved)} Your pick is kept here: press Lock again.",
                       icon=":material/sync_problem:")
        st.caption("Pick an answer and lock it in; the measurement is revealed after.")
        return
    if error := st.session_state.pop("ws_answer_error", None):
        st.warning(f"Your answer could not be recorded in the room: {escaped(error)}")
    right = station.choices[station.correct]
    if locked == right:
        st.success(f"You answered: {locked}. Right.", icon=":material/check_circle:")
    else:
        st.info(f"You answered: {locked}. The measurement says: {right}.", icon=":material/lightbulb:")
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
