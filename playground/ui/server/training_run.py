"""Training a page asks for (a sweep, a comparison) within the server's caps: work and memory
checked first, the time cap with a smaller run on offer; then the result from the process's
cache, or trained once (holding its share of the process memory) while a progress bar shows the
steps and the time left, to this session and to every other one that asks for it meanwhile."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from playground.engine.cost import CostModel, check_time
from playground.engine.engine import resolve_device
from playground.serving.limits import HEAVY, check_run
from playground.ui.server.results_cache import RESULTS, Request
from playground.ui.server.runtime import cost_model, limits
from playground.ui.shell.errors import or_stop, stop_page
from playground.ui.shell.plain import escaped
from playground.ui.shell.progress import training_progress

# Given the cost model and the cap: a smaller run's (button label, on_click, args), or None.
Offer = Callable[[CostModel, float], tuple[str, Callable, tuple] | None]
POLL_S = 0.2  # how often a waiting page redraws its progress bar (and notices a rerun)


def check_caps(what: str, models: int, steps: int, points: int, widths: list[int], classes: int,
               device: str, runs: int = 1, offer: Offer | None = None, inputs: int = 2) -> None:
    """Stop the page with a message when the run would pass the work, memory or time cap; past
    the time cap, offer a smaller run as one button."""
    or_stop(lambda: check_run(models, steps, points, widths, classes, limits(), runs, inputs), f"run {what}")
    if not limits().max_seconds:
        return
    model = cost_model(resolve_device(device).type)
    try:
        check_time(model, limits().max_seconds, models, steps, points, widths, classes, runs, inputs)
    except ValueError as err:
        st.error(f"Could not run {what}: {escaped(err)}")
        smaller = offer(model, limits().max_seconds) if offer else None
        if smaller is None:
            st.info("Even the smallest run of these settings takes too long here: use fewer models, points "
                    "or units.")
        else:
            label, on_click, args = smaller
            st.button(label, type="primary", on_click=on_click, args=args, key="smaller_run")
        stop_page()


def trained(request: Request) -> Any:
    """The request's result: kept from before, or trained once for every session asking now. While
    it trains this page waits with a progress bar; a rerun meanwhile leaves the training going."""
    flight = RESULTS.flight(request)
    if flight.wait(0):
        return flight.outcome()
    queue = st.empty()
    with training_progress(request.what) as show:
        while not flight.wait(POLL_S):
            place = flight.place()
            if place is not None:
                wait = flight.wait_estimate()
                when = "" if wait is None else f", about {wait:.0f} s to start"
                queue.info(f"The server trains {HEAVY.slots} heavy run(s) at once: this one waits its "
                           f"turn, place {place} in the queue{when}.", icon=":material/hourglass_top:")
                continue
            queue.empty()
            if flight.progress is not None:
                show(*flight.progress)
    return flight.outcome()
