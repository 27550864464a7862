"""A progress bar for training that is not cached yet: steps done and the time left."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import streamlit as st


@contextmanager
def training_progress(what: str) -> Iterator[Callable[[int, int, float], None]]:
    """Yields the library's on_progress callback (done, total, seconds left); the bar goes when done."""
    bar = st.progress(0.0, f"Training {what}…")
    try:
        yield lambda done, total, left: bar.progress(
            done / total, f"Training {what}: step {done:,} of {total:,}, about {left:.1f} s left")
    finally:
        bar.empty()
