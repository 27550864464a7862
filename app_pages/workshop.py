import streamlit as st

from playground.ui.shell.glossary import glossary
from playground.ui.workshop.workshop_view import (
    follow_room,
    joined_room,
    show_room_station,
    show_station,
    station_number,
)

st.title("Workshop")
st.caption("Six questions about label smoothing. Commit to an answer, then see it measured: each reveal "
           "trains or computes on this server in a few seconds.")
glossary("ε", "q_t", "‖∂L/∂z‖", "NLL", "ECE")
room = joined_room()
if room is None:
    show_station(station_number(None))
else:
    follow_room(room)
    show_room_station(room)
