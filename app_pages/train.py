import streamlit as st

from playground.ui.controls.preset_picker import preset_claim
from playground.ui.controls.train_controls import WHY_WORSE, live_controls
from playground.ui.live.inspector import follow_click
from playground.ui.live.live_state import current_run, holding, playing, transport
from playground.ui.live.live_view import show_live, train_step
from playground.ui.shell.glossary import glossary

settings = live_controls()
st.title(f"Train live: one-hot against {settings.objective_title}")
glossary("ε", "‖∂L/∂z‖", "NLL", "ECE", "uncertain area")
# what comes and goes up here stays in one block: a changing count of elements above the live views moved
# them, and Streamlit showed stale copies of moved widgets beside the new ones (two "point index" inputs)
with st.container():
    preset_claim("train")
    st.caption("Two networks with the same data and the same initial weights; only the objective differs.")
    if settings.on_defaults():
        st.markdown(WHY_WORSE)
        st.page_link("app_pages/sweep.py", label="See it help: the ε sweep on the over-confident preset",
                     icon=":material/arrow_forward:", query_params={"preset": "overconfident"})
    run = current_run(settings)
    for note in (st.session_state.pop("live_message", None), st.session_state.get("live_notice")):
        if note:
            st.info(note)
with holding(run):  # a session ending now releases the run after this run of the page, not during it
    transport(run, settings)
    follow_click(run)  # the pictures below mark the inspected point
    if not playing():
        train_step(settings)  # after Step: train before anything is drawn, so every view shows the new step
    show_live(settings)
