import streamlit as st

from playground.ui.workshop.room_view import facilitated_room, show_room

st.title("Facilitate a workshop")
st.caption("Open a room, show its code on the projector, and pace the room through the six stations: "
           "a vote whose tally stays hidden until you close it, a discussion and a revote if you like, "
           "then the reveal of both votes and the measured answer.")
opened = facilitated_room()
if opened is not None:
    show_room(*opened)
