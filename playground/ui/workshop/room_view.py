"""The facilitator's view of a room, for the projector: its code, address and QR code; the round
at the current station (vote, discussion, revote, reveal) with the controls that pace it; the
votes, hidden while a vote is open; the store's state; and the results as a CSV.

The facilitator's key is kept in their browser (a cookie) and in a resume link, so a reload of the
projector's tab, or the link opened on another device, keeps control of the room."""
from __future__ import annotations

import io
from datetime import UTC, datetime

import segno
import streamlit as st

from playground.experiments import workshop
from playground.serving.rooms import (
    DISCUSS,
    REVEAL,
    VOTE,
    JoinAddress,
    Room,
    StoreUnavailable,
    join_address,
)
from playground.ui.shell import cookies
from playground.ui.shell.errors import or_stop
from playground.ui.shell.plain import escaped
from playground.ui.shell.url import keep
from playground.ui.workshop.rooms_store import room_store
from playground.ui.workshop.workshop_view import held_rounds, room_tally_frame, show_measurement
from playground.views import charts

KEY_DAYS = 2  # how long the facilitator's browser keeps the room's key: the longest a room lasts
TIMERS = {"30 s": 30, "1 min": 60, "2 min": 120}


def address() -> JoinAddress:
    return join_address(st.context.url or "")


def qr_png(text: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=8, border=2)
    return buffer.getvalue()


def _remember(code: str, key: str) -> None:
    st.session_state["fac_room"], st.session_state["fac_key"] = code, key
    st.session_state["fac_remember"] = True


def _open() -> None:
    try:
        room, key = room_store().open()
    except ValueError as err:
        st.session_state["fac_error"] = str(err)
        return
    _remember(room.code, key)


def _resumed() -> tuple[str, str] | None:
    """A room to resume: from the resume link (?room=CODE&key=KEY, the key then leaves the address
    bar, which the room can see on the projector), or from this browser's cookie."""
    linked = st.query_params.get("key"), st.query_params.get("room")
    if linked[0] is not None:
        del st.query_params["key"]
    kept = cookies.read("facilitator")
    tries = [(linked[1], linked[0])] if all(linked) else []
    if kept and ":" in kept:
        tries.append(tuple(kept.split(":", 1)))
    for code, key in tries:
        try:
            room = room_store().resume(code, key)
        except StoreUnavailable as err:
            st.error(f"{escaped(err)} Reload in a moment to take the room back.")
            st.stop()
        except ValueError as err:
            if (code, key) == tries[0] and all(linked):
                st.error(f"Could not resume the room: {escaped(err)}")
            continue
        return room.code, key
    return None


def facilitated_room() -> tuple[Room, str] | None:
    """The room this browser facilitates (and its key), or None after offering to open one."""
    if error := st.session_state.pop("fac_error", None):
        st.error(f"Could not open a room: {escaped(error)}")
    if st.session_state.get("fac_room") is None and (resumed := _resumed()) is not None:
        _remember(*resumed)
    code, key = st.session_state.get("fac_room"), st.session_state.get("fac_key")
    if code is None:
        st.button("Open a room", type="primary", icon=":material/meeting_room:", on_click=_open)
        store = or_stop(room_store, "reach the rooms store")
        st.caption(f"A room holds up to {store.capacity} learners and expires {store.hours:g} hours after it "
                   "opens. Learners vote anonymously: each browser keeps a random id, no names.")
        return None
    if st.session_state.pop("fac_remember", False):
        cookies.write("facilitator", f"{code}:{key}", KEY_DAYS)
    keep("room", [code])
    last = st.session_state.get("fac_last")
    try:
        room = room_store().room(code)
    except StoreUnavailable:
        if last is not None and last.code == code:  # the round as last seen; the live view says why
            return last, key
        room = or_stop(lambda: room_store().room(code), "show the room")  # says so, and stops
    except ValueError:
        room = or_stop(lambda: room_store().room(code), "show the room")
    st.session_state["fac_last"] = room
    return room, key


def _move(code: str, key: str, since: int, to: str, **where) -> None:
    try:
        room_store().move(code, key, since, to, **where)
    except ValueError as err:
        st.session_state["fac_error"] = str(err)


def show_room(room: Room, key: str) -> None:
    """The round where the room looks, the code and QR code beside it."""
    where = address()
    link = where.room(room.code)
    left, right = st.columns([3, 2])
    with right:
        st.markdown(f"### Room `{room.code}`")
        st.image(qr_png(link), width=220, alt=f"QR code of the room's address, {link}")
        st.code(link, language=None, wrap_lines=True)
        st.caption(f"Learners scan the code, open this address, or type the code at {where.join}. Open until "
                   f"{room.expires_at:%H:%M} UTC, up to {room.capacity} learners.")
        if where.warning:
            st.warning(escaped(where.warning), icon=":material/wifi_off:")
        with st.expander("Resume on another device", icon=":material/key:"):
            st.code(f"{where.base}/facilitator?room={room.code}&key={key}", language=None, wrap_lines=True)
            st.caption("Anyone with this link can move the room: keep it off the projector. This browser "
                       "also keeps the key, so a reload keeps the room.")
    with left:
        pace(room, key)
        live_round(room.code, room.version)
        results(room.code)


def pace(room: Room, key: str) -> None:
    """The buttons that move the round on, for the phase the room is in, the next step first."""
    if error := st.session_state.pop("fac_error", None):
        st.error(escaped(error))
    args = (room.code, key, room.version)
    steps = []  # (label, icon, what the move is, its keywords, help)
    if room.phase == VOTE:
        steps.append(("Reveal", ":material/visibility:", "reveal", {},
                      "close the vote; show the votes and the answer"))
        if room.round == 1:
            steps.append(("Discuss, then revote", ":material/forum:", "discuss", {},
                          "close the vote and show its votes, not the answer; a second vote follows"))
    elif room.phase == DISCUSS:
        steps.append(("Open the revote", ":material/how_to_vote:", "revote", {},
                      "the same question again, after the discussion"))
        steps.append(("Reveal", ":material/visibility:", "reveal", {},
                      "skip the revote: show the answer now"))
    if room.station < room.stations:
        steps.append(("Next station", ":material/arrow_forward:", "station", {"station": room.station + 1},
                      "the next question, first vote"))
    # the next step on its own, full width, the others beside each other below it
    places = [st.container()] + (list(st.columns(len(steps) - 1)) if len(steps) > 1 else [])
    for n, (place, (label, icon, to, where, why)) in enumerate(zip(places, steps)):
        place.button(label, type="primary" if n == 0 else "secondary", icon=icon, width="stretch",
                     on_click=_move, args=(*args, to), kwargs=where, help=why)
    if room.phase == VOTE:
        seconds = st.segmented_control("countdown", list(TIMERS), key=f"fac_timer_{room.version}",
                                       help="the vote closes by itself when the time is up")
        if seconds is not None and room.deadline is None:
            _move(*args, "timer", seconds=TIMERS[seconds])
            st.rerun()
    st.button("Back a station", icon=":material/arrow_back:", disabled=room.station <= 1, on_click=_move,
              args=(*args, "station"), kwargs={"station": room.station - 1})


PROJECTOR_REFRESH_S = 1  # one page per room: the count moves as the votes come in, at little cost


@st.fragment(run_every=PROJECTOR_REFRESH_S)
def live_round(code: str, version: int) -> None:
    """The round so far, refreshed every second: while the vote is open only how many have voted (the
    room's votes stay hidden from the projector too), then the votes, and at the reveal the answer
    and its measurement. The store's state is shown with it."""
    try:
        room = room_store().room(code)
        tallies = room_store().tallies(code)
    except StoreUnavailable as err:
        since = st.session_state.setdefault("fac_store_down", datetime.now(UTC))
        st.error(f"{escaped(err)} Not answering since {since:%H:%M:%S} UTC. Votes the learners send "
                 "meanwhile wait on their phones and are sent again; nothing is counted twice.",
                 icon=":material/cloud_off:")
        return
    except ValueError as err:
        st.warning(escaped(err))
        return
    st.session_state.pop("fac_store_down", None)
    if room.version != version:  # moved from another tab or device: redraw the buttons too
        st.rerun(scope="app")
    number = room.station
    station = workshop.station(number)
    counts = tallies.get(number, {})
    st.subheader(f"Station {number} of {room.stations}: {station.title}")
    st.markdown(f"**{escaped(station.question)}**")
    voted = sum(counts.get(room.round, {}).values())
    c1, c2, c3 = st.columns(3)
    c1.metric("learners in the room", room.learners)
    c2.metric("votes in this round" if room.phase == VOTE else "votes, first round",
              voted if room.phase == VOTE else sum(counts.get(1, {}).values()))
    left = room.seconds_left()
    c3.metric("vote", {VOTE: ("open" if left is None else f"{left:.0f} s left" if left else "closed"),
                       DISCUSS: "closed: discuss", REVEAL: "revealed"}[room.phase])
    if room.phase == VOTE:
        st.caption(f"{'Revote' if room.round == 2 else 'First vote'} open: the votes stay hidden until you "
                   "close it, so no one follows the crowd.")
    else:
        shown = held_rounds(counts, room)
        chart = charts.votes_chart(room_tally_frame(counts, station, shown), reveal=room.phase == REVEAL)
        st.altair_chart(chart, width="stretch")
        if room.phase == REVEAL:
            show_measurement(number, station)
    st.caption(f"Store: answering, checked {datetime.now(UTC):%H:%M:%S} UTC.")


def results(code: str) -> None:
    """The room's votes so far, as counts per station and round, to download or show at the end."""
    try:
        room = room_store().room(code)
        frame = workshop.results_frame(room_store().tallies(code), room.learners)
    except ValueError:
        return  # the live view above says what is wrong
    with st.expander("Results so far", icon=":material/table_chart:"):
        right = frame[frame["right"]]
        summary = right.assign(share=lambda f: (f["votes"] / f["voters"].where(f["voters"] > 0)).round(2))
        st.dataframe(summary[["station", "title", "round", "voters", "share"]].rename(
            columns={"share": "right share"}), hide_index=True)
        st.download_button("Download the results (CSV)", frame.to_csv(index=False),
                           file_name=f"room-{code}-results.csv", mime="text/csv",
                           icon=":material/download:",
                           help="per station and round: the votes for each choice and how many voted; no ids")
