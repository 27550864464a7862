"""Library errors as visible messages, never as tracebacks; and ending a page early without
losing what app.py does after it (the link's check and the link box)."""
from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import NoReturn, TypeVar

import streamlit as st

from playground.ui import streamlit_internals as internals
from playground.ui.shell.plain import escaped

T = TypeVar("T")
LOG = logging.getLogger("playground.errors")


class PageStop(Exception):
    """Ends a page's run early; app.py catches it. (After st.stop() nothing more can be written.)"""


def stop_page() -> NoReturn:
    """Stop the page here. Inside a fragment, Streamlit's own stop: an exception raised in a
    fragment is shown as a traceback, and a fragment cannot end the page anyway."""
    if internals.in_fragment(unknown=True):  # unknown: st.stop(), which never shows a traceback
        st.stop()
    raise PageStop


def or_stop(build: Callable[[], T], what: str) -> T:
    """Run `build`; on a ValueError show it, say what could not be done, and stop this run."""
    try:
        return build()
    except ValueError as err:
        st.error(f"Could not {what}: {escaped(err)}")
        stop_page()


def guarded(run: Callable[[], object]) -> None:
    """Run a page inside the error boundary: an unexpected exception becomes a short message with
    an error id, and its traceback goes to the server log under that id, never to the browser.
    Streamlit's own stop and rerun are BaseExceptions and pass through; so does PageStop."""
    try:
        run()
    except PageStop:
        raise
    except Exception:
        error_id = secrets.token_hex(4)
        LOG.exception("page error %s", error_id)
        st.error(f"Something went wrong on this page (error id `{error_id}`). Try again, or tell the "
                 "host this id: the details are in the server log.", icon=":material/error:")
