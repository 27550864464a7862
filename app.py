import streamlit as st

from playground.ui.errors import or_stop
from playground.ui.navigation import PAGES
from playground.ui.runtime import configure_process
from playground.ui.url import finish_page, share_link, start_page

st.set_page_config(page_title="Label Smoothing Playground", page_icon=":material/target:", layout="wide")
or_stop(configure_process, "read the server's limits")
page = st.navigation([st.Page(path, title=title, icon=icon, default=i == 0)
                      for i, (path, title, icon) in enumerate(PAGES)])
start_page()
page.run()
finish_page()
with st.sidebar:
    share_link()
