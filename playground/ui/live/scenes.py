"""The live boundaries as a custom component: the browser draws both models' pictures from the
small grids and points LiveRun.scenes gives, sent as one binary message (render.pack_scene), so
the server encodes no picture per frame."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from playground.ui import streamlit_internals as internals
from playground.views.render import pack_scene

_ASSETS = Path(__file__).parent / "assets"
_SCENES = st.components.v2.component(
    "live_scenes", html='<div class="scenes"></div>', css=(_ASSETS / "scenes.css").read_text(),
    js=(_ASSETS / "scenes.js").read_text())
KEY = "live_scenes"


def show_scenes(payload: dict, size: int) -> None:
    """Both models side by side, each plot area at most `size` CSS pixels wide. The payload goes
    as bytes, which Streamlit forwards as they are (a dict would be walked key by key for
    dataframes, a string encoded as JSON again, on every frame)."""
    _SCENES(data=pack_scene({**payload, "size": size}), key=KEY, width="stretch")


def release_scenes() -> bool:
    """Let the scenes be drawn again in this run, into the same placeholder: a fragment that draws
    several frames per run (live_view.live_frame). False: draw no second frame."""
    return internals.release_widget_key(KEY)
