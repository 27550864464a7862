"""The live boundaries as a custom component: the browser draws both models' pictures from the
small grids and packed points LiveRun.scenes sends, so the server encodes no picture per frame."""
from __future__ import annotations

import json
from pathlib import Path

import streamlit as st

_ASSETS = Path(__file__).parent / "assets"
_SCENES = st.components.v2.component(
    "live_scenes", html='<div class="scenes"></div>', css=(_ASSETS / "scenes.css").read_text(),
    js=(_ASSETS / "scenes.js").read_text())


def show_scenes(payload: dict, size: int) -> None:
    """Both models side by side, each plot area at most `size` CSS pixels wide. The payload goes
    as one JSON string: a dict would be walked key by key for dataframes on every frame."""
    _SCENES(data=json.dumps({**payload, "size": size}), key="live_scenes", width="stretch")
