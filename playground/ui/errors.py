"""Library errors as visible messages, never as tracebacks."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from playground.ui.plain import escaped

T = TypeVar("T")


def or_stop(build: Callable[[], T], what: str) -> T:
    """Run `build`; on a ValueError show it, say what could not be done, and stop this run."""
    try:
        return build()
    except ValueError as err:
        st.error(f"Could not {what}: {escaped(err)}")
        st.stop()
