import streamlit as st

from playground.ui.workshop.room_view import facilitated_room, show_room

st.title("Facilitate a workshop")
st.caption("Open a room, show its code on the projector, and move the room through the six stations. "
           "Learners lock in their answers before each reveal; their tally updates here live.")
opened = facilitated_room()
if opened is not None:
    show_room(*opened)
