"""The facilitator's view of a room: its code, link and QR code for the projector, the live tally
of locked answers at each station, and the control that moves the room on."""
from __future__ import annotations

import io

import pandas as pd
import segno
import streamlit as st

from playground.experiments import workshop
from playground.serving.rooms import Room
from playground.ui.shell.errors import or_stop
from playground.ui.shell.plain import escaped
from playground.ui.workshop.rooms_store import room_store
from playground.views import charts


def room_link(code: str) -> str:
    """The learners' address: this server's workshop page with the room's code."""
    base = (st.context.url or "").split("?")[0].rstrip("/").rsplit("/", 1)[0]
    return f"{base}/workshop?room={code}"


def qr_png(text: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=8, border=2)
    return buffer.getvalue()


def _open() -> None:
    try:
        room, key = room_store().open()
    except ValueError as err:
        st.session_state["fac_error"] = str(err)
        return
    st.session_state["fac_room"], st.session_state["fac_key"] = room.code, key


def facilitated_room() -> tuple[Room, str] | None:
    """The room this session opened (and its facilitator key), or None after offering to open one."""
    if error := st.session_state.pop("fac_error", None):
        st.error(f"Could not open a room: {escaped(error)}")
    code, key = st.session_state.get("fac_room"), st.session_state.get("fac_key")
    if code is None:
        st.button("Open a room", type="primary", icon=":material/meeting_room:", on_click=_open)
        store = or_stop(room_store, "reach the rooms store")
        st.caption(f"A room holds up to {store.capacity} learners and expires {store.hours:g} hours after it "
                   "opens. Learners answer anonymously: a random id per browser, no names.")
        return None
    return or_stop(lambda: store_room(code), "show the room"), key


def store_room(code: str) -> Room:
    return room_store().room(code)


def _move(code: str, key: str, station: int) -> None:
    try:
        room_store().advance(code, key, station)
    except ValueError as err:
        st.session_state["fac_error"] = str(err)


def show_room(room: Room, key: str) -> None:
    """The tally where the room looks, the code and QR code beside it."""
    link = room_link(room.code)
    left, right = st.columns([3, 2])
    with right:
        st.markdown(f"### Room `{room.code}`")
        st.image(qr_png(link), width=220, alt=f"QR code of the room's address, {link}")
        st.code(link, language=None, wrap_lines=True)
        st.caption(f"Learners open this address or scan the code. Open until {room.expires_at:%H:%M} UTC, "
                   f"up to {room.capacity} learners.")
    with left:
        c1, c2 = st.columns(2)
        c1.button("Back", icon=":material/arrow_back:", disabled=room.station <= 1, width="stretch",
                  on_click=_move, args=(room.code, key, room.station - 1))
        c2.button("Next station", type="primary", icon=":material/arrow_forward:", width="stretch",
                  disabled=room.station >= room.stations, on_click=_move,
                  args=(room.code, key, room.station + 1))
        live_tally(room.code)


def tally_frame(counts: dict[str, int], station: workshop.Station) -> pd.DataFrame:
    return pd.DataFrame([{"choice": c, "count": counts.get(c, 0), "right": "right" if i == station.correct
                          else "other"} for i, c in enumerate(station.choices)])


@st.fragment(run_every=2)
def live_tally(code: str) -> None:
    """The room's answers so far, refreshed every 2 s."""
    try:
        room = room_store().room(code)
        tallies = room_store().tallies(code)
    except ValueError as err:
        st.warning(escaped(err))
        return
    number = room.station
    station = workshop.station(number)
    counts = tallies.get(number, {})
    st.subheader(f"Station {number} of {room.stations}: {station.title}")
    st.markdown(f"**{escaped(station.question)}**")
    c1, c2 = st.columns(2)
    c1.metric("learners in the room", room.learners)
    c2.metric("locked answers here", sum(counts.values()))
    st.altair_chart(charts.tally_chart(tally_frame(counts, station)), width="stretch")
    done = {n: sum(c.values()) for n, c in tallies.items() if c}
    if done:
        st.caption("Answers locked so far, by station: "
                   + ", ".join(f"{n}: {c}" for n, c in sorted(done.items())))
