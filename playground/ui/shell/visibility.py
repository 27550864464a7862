"""Fewer controls for a room: `?simple=1` hides the advanced sections (network, optimizer, device,
uploads) and `?hide=a,b` hides named controls, as TensorFlow Playground's `_hide` does. A hidden
control still exists and keeps its value from the link; it is only not drawn."""
from __future__ import annotations

import streamlit as st

from playground.ui.shell.plain import quoted
from playground.ui.shell.url import keep, known_keys, notice

# what simple mode hides: the live page's advanced sections, and the same settings on the other pages
SECTIONS = {"network": "sec_network", "optimizer": "sec_optimizer", "device": "sec_device"}
SIMPLE_HIDES = (*SECTIONS.values(), "sw_layers", "sw_units", "sw_act", "sw_lr", "alt_units", "alt_lr",
                "ds_upload", "sw_upload")
_HIDDEN = "_hidden_controls"


def section(container, name: str):
    """A container simple mode and `hide=<name>` can hide as a whole."""
    return container.container(key=SECTIONS[name])


def apply_visibility() -> bool:
    """Read `simple` and `hide` from the link and hide those controls; True in simple mode."""
    raw = st.query_params.get("simple")
    simple = raw in ("1", "true")
    if raw is not None and raw not in ("0", "1", "true", "false"):
        notice(f"The link's value {quoted(f'simple={raw}')} is not 0 or 1; showing every control.")
    elif raw is not None:
        keep("simple", [raw])
    names = [n.strip() for v in st.query_params.get_all("hide") for n in v.split(",") if n.strip()]
    if names:
        keep("hide", [",".join(names)])
    hidden = [SECTIONS.get(n, n) for n in names] + (list(SIMPLE_HIDES) if simple else [])
    st.session_state[_HIDDEN] = names
    if hidden:
        rules = ", ".join(f".st-key-{key}" for key in dict.fromkeys(hidden) if key.replace("_", "").isalnum())
        st.html(f"<style>{rules} {{ display: none !important; }}</style>")
    if simple:
        st.sidebar.caption("Simple view: the network, optimizer, device and upload settings are hidden; "
                           "their values still apply. Remove `simple=1` from the address to show them.")
    return simple


def check_hidden() -> None:
    """After the page ran: name the `hide=` entries that match no control on it."""
    known = known_keys() | set(SECTIONS) | {str(k) for k in st.session_state}
    unknown = [n for n in st.session_state.get(_HIDDEN, []) if n not in known]
    if unknown:
        notice(f"The link asks to hide {', '.join(map(quoted, unknown))}, which this page does not have.")
