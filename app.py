import sys
from pathlib import Path

import streamlit as st

import playground.ui.shell.threads  # noqa: F401  (first: it must run before PyTorch loads)

# the icon ships with the app: a Material icon here would be fetched from a public font CDN
ICON = Path(__file__).parent / "playground" / "ui" / "shell" / "icon.png"
st.set_page_config(page_title="Label Smoothing Playground", page_icon=str(ICON), layout="wide")
# A fresh server imports PyTorch on its first run, which takes seconds: say so instead of a blank page.
starting = st.empty()
if "torch" not in sys.modules:
    starting.info("Starting the playground: loading PyTorch (a few seconds, once per server)…",
                  icon=":material/hourglass_top:")

from playground.ui.controls.preset_picker import preset_picker
from playground.ui.server.runtime import configure_process
from playground.ui.server.warmup import start_warmup
from playground.ui.shell import cookies
from playground.ui.shell.errors import PageStop, guarded
from playground.ui.shell.layout import compact_layout
from playground.ui.shell.navigation import menu
from playground.ui.shell.plain import escaped
from playground.ui.shell.replica import replica_notice
from playground.ui.shell.url import check_address, finish_page, share_link, start_page
from playground.ui.shell.visibility import apply_visibility, check_hidden

try:
    start_warmup(configure_process())  # once per process, in the background: the first render goes on
except ValueError as err:  # scripts/run.sh and the image refuse to start with such a setting
    st.error(f"The server is misconfigured: {escaped(err)}")
    st.stop()
starting.empty()
compact_layout()
in_room = "ws_in_room" in st.session_state and "fac_room" not in st.session_state  # a learner, in a room
try:
    listing = menu(in_room)
except ValueError as err:  # a malformed PLAYGROUND_SERVER_PAGE
    st.error(f"The server is misconfigured: {escaped(err)}")
    st.stop()
pages = [st.Page(path, title=title, icon=icon, default=i == 0, visibility="visible" if listed else "hidden")
         for i, (path, title, icon, listed) in enumerate(listing)]
page = st.navigation(pages)
start_page()
replica_notice()
check_address(page, pages)
apply_visibility()
preset_picker(page.url_path or "home")
try:
    guarded(page.run)
except PageStop:  # the page said why it stopped; the link is still checked and offered
    pass
check_hidden()
finish_page()
with st.sidebar:
    share_link()
cookies.flush()  # last: a script drawn mid-page would shift what follows it on the next run
