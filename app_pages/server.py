import streamlit as st

from playground.ui.server.health_view import REFRESH_S, show_health

st.title("Server")
st.caption("How busy this server is, for whoever hosts it: live sessions, their updates and the CPU each "
           f"costs, refreshed every {REFRESH_S:g} s. Each live session is paced so that together they fit "
           "the cores given to live training.")
st.fragment(show_health, run_every=REFRESH_S)()
