import streamlit as st

from playground.serving.rooms import CODE_LENGTH, RoomError, normalise_code
from playground.ui.shell.plain import escaped

st.title("Join a room")
st.caption("Type the code your facilitator shows: six letters and digits. Codes leave out 0, O, 1, I and L, "
           "so what you read is what you type.")
with st.form("join"):
    typed = st.text_input("room code", max_chars=12, placeholder="K7QM2P", autocomplete="off",
                          help=f"{CODE_LENGTH} letters and digits; case does not matter")
    joined = st.form_submit_button("Join", type="primary", icon=":material/login:")
if joined:
    try:
        code = normalise_code(typed)
    except RoomError as err:
        st.error(escaped(err), icon=":material/error:")
    else:
        st.switch_page("app_pages/workshop.py", query_params={"room": code})
