"""The default result of each training page, trained once in the background when the server starts,
so the first visitor to the sweep (or Calibration, Alternatives, Representations, Distillation)
waits no longer than the next one.

One daemon thread per process trains them one after another, in menu order, through the results
cache: a visitor who opens such a page while its default is training waits on that same training
instead of starting another. PLAYGROUND_WARMUP=0 skips it (the test suite does, so every test
process does not train four defaults it never shows); 1, or unset, starts it.
"""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping

from playground.core.validation import check_choice
from playground.serving.limits import Limits, check_run
from playground.ui.controls import compare_controls, distill_controls, representation_controls, sweep_controls
from playground.ui.server.results_cache import RESULTS, Request, ResultsCache

ENV = "PLAYGROUND_WARMUP"
_log = logging.getLogger(__name__)
_lock = threading.Lock()
_thread: threading.Thread | None = None


def enabled(env: Mapping[str, str] = os.environ) -> bool:
    return check_choice(ENV, env.get(ENV, "1").strip() or "1", ("0", "1")) == "1"


def default_requests() -> list[Request]:
    """Each training page's default result, in menu order (Calibration reads the sweep's)."""
    return [sweep_controls.default_request(), compare_controls.default_request(),
            representation_controls.default_request(), distill_controls.default_request()]


def warm_up(requests: list[Request], limits: Limits, cache: ResultsCache = RESULTS) -> list[str]:
    """Train each request the server's caps allow, one at a time; returns the pages warmed. A failure
    is logged and the next one goes on: the page will train (and say why) when it is opened."""
    warmed = []
    for request in requests:
        try:
            check_run(request.models, request.steps, request.points, request.widths, request.classes,
                      limits, request.runs, inputs=request.inputs)
            cache.get(request)
        except Exception:  # noqa: BLE001 (the server serves on without this page's default)
            _log.exception("warming up the %s page's default result failed", request.page)
        else:
            warmed.append(request.page)
    return warmed


def start_warmup(limits: Limits, env: Mapping[str, str] = os.environ) -> threading.Thread | None:
    """Start the warm-up once per process, unless PLAYGROUND_WARMUP=0; returns at once with its
    thread (None when skipped or already started)."""
    global _thread
    if not enabled(env):
        return None
    with _lock:
        if _thread is not None:
            return None
        requests = default_requests()  # built here, on the caller's thread, from the forms' defaults
        _thread = threading.Thread(target=warm_up, args=(requests, limits), daemon=True,
                                   name="playground-warmup")
        _thread.start()
        return _thread
