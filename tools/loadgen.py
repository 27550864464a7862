"""Load without a browser: N sessions that speak Streamlit's websocket protocol to a server on
loopback, each opening a page, pressing Play and keeping the live fragments rerunning as the
browser does. Nothing is rendered, so the client costs the machine little next to the server.

usage: .venv/bin/python -m tools.loadgen [--sessions 8] [--seconds 20] [--page /train]
           [--query 'k=v&...'] [--play | --no-play] [--pace tick|finish]
           [--url http://127.0.0.1:PORT [--pid PID]] [--json]

Without --url it starts `streamlit run app.py` on a free loopback port and stops it at the end.
Only 127.0.0.1 (or localhost, ::1) is accepted as a host.

The protocol, as the frontend speaks it: a websocket to /_stcore/stream with subprotocol
"streamlit"; the client sends BackMsg.rerun_script (query string, page name or page hash,
widget states, the hashes of the messages it has cached) and the server answers each run with
new_session, deltas and script_finished, each tagged with the run's id and fragment ids. A
fragment with run_every arrives as auto_rerun {fragment_id, interval}; the browser then sends a
rerun_script with that fragment_id every interval, whether or not a run is going, and the
server folds those that arrive during a run into one queued rerun. A button press is a
whole-page rerun whose widget_states carry the button's trigger_value.

What it measures, from the server's messages alone:
- updates/s per session: new values of the step counter ("**step N** · …") per second, from Play;
- frame latency: a fragment rerun request sent → the next frame of that fragment (a new step value
  drawn by it), or else the first element of the first run started after it; a request sent while
  the server was already drawing the next frame counts as served by it, so this errs short by at
  most one frame's own time;
- frame interval: the time between two consecutive updates of one session, as its viewer waits;
- first render: connecting → the first step counter (on a page without one, the first run's end);
- errors: exception elements, compile errors, page not found, lost connections it could not
  reconnect, requests no run serves, and tracebacks in the server's log when it is known.

Cookies and reconnects, as a browser keeps them (so sessions behind a sticky proxy behave as
browsers do): a session first GETs its page over HTTP, keeps the cookies it is given (there and on
the websocket handshake) and sends them with every later request. When its connection drops it
reconnects as the frontend does: it pings /_stcore/health and /_stcore/host-config until both
answer, opens a new websocket with the same cookies naming the session it had, and asks for a run
of the page with the widget states it holds, if the page was busy (a run going or asked for, or
fragments rerunning on their timers: a page at rest is left as it is until its next interaction).
A reconnect is counted, with the replica the page names ("served by …") and the messages it
shows after it; by itself it is not an error.

Python API: run_load(...) -> Report for a whole run; open_session(...) -> OpenSession and its
close() for one session at a time (the session keeps its fragments running in between).
Learners in a workshop room (Session.choose_and_press: a pick and a click in one run) are
tools/room_load.py.
"""
from __future__ import annotations

import argparse
import asyncio
import email.utils
import ipaddress
import json
import os
import re
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ContextInfo
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from tools.serve import ARTIFACTS, ROOT, streamlit_process

STEP = re.compile(r"\*\*step ([\d,]+)\*\*")
REPLICA = re.compile(r"^served by `([^`]+)`$")  # the sidebar caption of a named replica
MAX_SESSIONS = 200
MAX_SECONDS = 600.0
OPEN_TIMEOUT_S = 120.0  # a fresh server imports PyTorch on its first run
SETTLE_S = 1.0  # after the sessions close, before the server's log is read
STALL_S = 60.0  # a request not served, or a run not finished, this long is an error; the session goes on
FULL = ""  # the request key of a whole-page run (fragment runs use their fragment id)
PACES = ("tick", "finish")
EARLY = ForwardMsg.FINISHED_EARLY_FOR_RERUN
USER_AGENT = "playground-loadgen"  # then "/<session index>": a proxy's log tells the sessions apart
RECONNECT_S = 60.0  # a dropped connection not reconnected this long is an error, and the session ends
RECONNECT_DELAY_S = 0.5  # the first wait after a drop; it doubles up to RECONNECT_MAX_DELAY_S
RECONNECT_MAX_DELAY_S = 4.0
HTTP_TIMEOUT_S = 10.0
MAX_SHOWN = 2000  # the messages and metrics a session keeps, newest last
XSRF_COOKIE = "_streamlit_xsrf"
NO_TOKEN = "PLACEHOLDER_AUTH_TOKEN"  # what the frontend sends in the token's place without one
_HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy


def loopback_base(url: str) -> str:
    """http://host:port of a loopback URL; anything else is refused."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "ws") or not parts.port:
        raise ValueError(f"expected http://127.0.0.1:PORT, got {url!r}")
    if host != "localhost":
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ValueError(f"refusing {host!r}: the load generator only talks to loopback")
    host = "127.0.0.1" if host == "localhost" else host  # never ask a resolver
    return f"http://{f'[{host}]' if ':' in host else host}:{parts.port}"


def session_query(index: int, extra: str = "") -> str:
    """Each session's own query string: its own data seed, so no session is served from another's
    cache (session 0 keeps the default data, the view a browser opening the page gets)."""
    own = f"ds_seed={index}" if index else ""
    return "&".join(q for q in (own, extra.lstrip("?&")) if q)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class SessionResult:
    index: int
    query: str
    first_render_s: float | None = None  # to the first step counter (else to the first run's end)
    play_to_step_s: float | None = None  # Play sent → the first new step value
    step_at_play: int | None = None
    last_step: int | None = None
    updates: int = 0  # new step values seen after Play
    window_s: float = 0.0
    frame_latencies_s: list[float] = field(default_factory=list)
    frame_intervals_s: list[float] = field(default_factory=list)  # between consecutive updates
    runs: int = 0  # script runs finished
    errors: list[str] = field(default_factory=list)
    # cookies and reconnects
    cookies: dict[str, str] = field(default_factory=dict)  # the session's cookies (kept up to date)
    replicas: list[str] = field(default_factory=list)  # the replicas the page named, in order
    session_ids: list[str] = field(default_factory=list)  # the server's session ids, in order
    reconnects: int = 0  # dropped connections reconnected
    reconnect_s: list[float] = field(default_factory=list)  # each drop → its new websocket open
    shown_after_reconnect: list[str] = field(default_factory=list)  # messages (st.info etc.) since then
    alerts: list[tuple[float, str]] = field(default_factory=list)  # (perf_counter, text) of each message
    metrics: list[tuple[float, str, str]] = field(default_factory=list)  # (perf_counter, label, value)
    first_step_after_reconnect: int | None = None  # the step counter's first value since then

    @property
    def updates_per_s(self) -> float:
        return self.updates / self.window_s if self.window_s > 0 else 0.0

    @property
    def advanced(self) -> bool:
        return None not in (self.step_at_play, self.last_step) and self.last_step > self.step_at_play


class Session:
    """One client of the app: a websocket, the run state the browser keeps, and the timers of
    the fragments that rerun on their own. Everything runs on one event loop.

    pace "tick" sends a fragment's rerun at every tick of its timer, as the frontend's
    setInterval does; the server folds requests that arrive during a run into one queued rerun.
    pace "finish" holds a due fragment until no run is going, then sends it once."""

    def __init__(self, url: str, page: str = "/train", query: str = "", index: int = 0,
                 pace: str = "tick", stall_s: float = STALL_S, cookies: dict[str, str] | None = None,
                 reconnect_s: float = RECONNECT_S):
        if pace not in PACES:
            raise ValueError(f"pace must be one of {PACES}")
        self.base = loopback_base(url)
        self.page = page.strip("/")
        self.query_string = query.lstrip("?")
        self.pace = pace
        self.stall_s = stall_s
        self.result = SessionResult(index=index, query=self.query_string, cookies=dict(cookies or {}))
        self.reconnect_s = reconnect_s  # 0: a dropped connection is an error at once
        self._ws = None
        self._ws_open = False
        self._session_id = ""  # the server's id for this session: a reconnect asks for it back
        self._reader: asyncio.Task | None = None
        self._watchdog: asyncio.Task | None = None
        self._t_connect = 0.0
        self._page_hash = ""  # empty until the server names the page; then it replaces page_name
        self._widgets: dict[str, str] = {}  # element id by user key
        self._timers: dict[str, tuple[float, asyncio.Task]] = {}  # fragment id -> interval, ticker
        self._due: dict[str, None] = {}  # pace "finish": fragments due during a run (ordered set)
        self._unserved: dict[str, list[float]] = {}  # FULL or fragment id -> send times no run has served
        self._running: dict[str, float] = {}  # script_run_id -> when its run started (new_session)
        self._drawn: dict[str, float] = {}  # script_run_id -> when its first element arrived
        self._last_update_t: float | None = None
        self._cache: dict[str, list] = {}  # the browser's message cache: hash -> [run count, fragment, facts]
        self._run_count = 0
        self._max_cache_age = 2
        self._seen_new_session = False
        self._steps_seen: set[int] = set()
        self._play_t: float | None = None
        self._window_open = False
        self._closing = False
        self.first_run = asyncio.Event()  # a whole-page run has finished
        self.idle = asyncio.Event()
        self.closed = asyncio.Event()

    # -- connecting and closing

    async def open(self, timeout_s: float = OPEN_TIMEOUT_S) -> None:
        """Load the page over HTTP, connect and run it; returns once a whole run of it has finished
        and no run is going."""
        self._t_connect = time.perf_counter()
        deadline = self._t_connect + timeout_s
        path = f"/{self.page}" + (f"?{self.query_string}" if self.query_string else "")
        status = await self._get(path, min(timeout_s, HTTP_TIMEOUT_S))
        if status != 200:
            self._error(f"GET {path} answered {status or 'nothing'}")
            raise SessionError(self.result.errors[-1])
        await self._connect(timeout_s)
        self._reader = asyncio.create_task(self._read())
        self._watchdog = asyncio.create_task(self._watch())
        await self._send(FULL, [])
        try:
            await asyncio.wait_for(self._wait(self.first_run), deadline - time.perf_counter())
            await asyncio.wait_for(self._wait(self.idle), deadline - time.perf_counter())
        except TimeoutError:
            self._error(f"/{self.page} did not finish a run within {timeout_s:.0f} s")
            raise SessionError(self.result.errors[-1]) from None
        if self.closed.is_set():
            raise SessionError(self.result.errors[-1] if self.result.errors else "connection closed")

    async def _connect(self, timeout_s: float) -> None:
        """A websocket to /_stcore/stream as the frontend opens it: subprotocols "streamlit", then the
        XSRF token (or a placeholder), then on a reconnect the id of the session it had; the
        session's cookies and a same-origin Origin. Cookies set on the handshake are kept."""
        host = self.base.split("//", 1)[1]
        tokens = [self.result.cookies.get(XSRF_COOKIE) or NO_TOKEN] + ([self._session_id] if self._session_id
                                                                        else [])
        self._ws = await connect(f"ws://{host}/_stcore/stream", subprotocols=["streamlit", *tokens],
                                 origin=self.base, max_size=None, ping_interval=None,
                                 open_timeout=timeout_s, user_agent_header=self._user_agent,
                                 additional_headers=self._cookie_header())
        self._keep_cookies(self._ws.response.headers.get_all("Set-Cookie"))
        self._ws_open = True

    # -- cookies, as a browser keeps them for one site

    @property
    def _user_agent(self) -> str:
        return f"{USER_AGENT}/{self.result.index}"

    def _cookie_header(self) -> dict[str, str]:
        jar = self.result.cookies
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())} if jar else {}

    def _keep_cookies(self, set_cookies: list[str]) -> None:
        """Apply Set-Cookie headers: a value replaces the old one; an expiry in the past (or
        Max-Age=0) removes the cookie, as a proxy does for a server without a cookie."""
        for header in set_cookies:
            pair, *attributes = header.split(";")
            name, _, value = pair.strip().partition("=")
            if not name:
                continue
            expired = False
            for attribute in attributes:
                key, _, arg = attribute.strip().partition("=")
                if key.lower() == "max-age":
                    expired = arg.strip().lstrip("-").isdigit() and int(arg) <= 0
                elif key.lower() == "expires":
                    # "01-Jan-1970", the older spelling proxies still send, parses once its dashes are spaces
                    with suppress(TypeError, ValueError):
                        when = email.utils.parsedate_to_datetime(arg.replace("-", " "))
                        expired = when.timestamp() <= time.time()
            if expired:
                self.result.cookies.pop(name, None)
            else:
                self.result.cookies[name] = value.strip()

    async def _get(self, path: str, timeout_s: float) -> int:
        """GET a path of the server with the session's cookies, keeping those it sets; the status
        (0 when nothing answered)."""
        request = urllib.request.Request(self.base + path,
                                         headers={"User-Agent": self._user_agent, **self._cookie_header()})

        def fetch() -> tuple[int, list[str]]:
            try:
                with _HTTP.open(request, timeout=timeout_s) as response:
                    response.read()
                    return response.status, response.headers.get_all("Set-Cookie") or []
            except urllib.error.HTTPError as err:
                return err.code, err.headers.get_all("Set-Cookie") or []
            except (OSError, TimeoutError):
                return 0, []

        status, set_cookies = await asyncio.to_thread(fetch)
        self._keep_cookies(set_cookies)  # on the loop's thread, like every other change to the session
        return status

    async def _wait(self, event: asyncio.Event) -> None:
        """Wait for an event, or for the connection to drop, whichever comes first."""
        waits = [asyncio.ensure_future(event.wait()), asyncio.ensure_future(self.closed.wait())]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()

    async def drop_connection(self) -> None:
        """The network drops the connection: no close frame, as when a server process dies."""
        if self._ws is not None and self._ws_open:
            self._ws.transport.abort()

    async def aclose(self) -> SessionResult:
        self._end_window()
        self._closing = True
        for _, task in self._timers.values():
            task.cancel()
        self._timers.clear()
        if self._watchdog:
            self._watchdog.cancel()
        if self._ws is not None:
            with suppress(Exception):
                await asyncio.wait_for(self._ws.close(), 10)
        if self._reader:
            with suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self._reader, 10)
        return self.result

    # -- what the session does

    async def press(self, key: str) -> None:
        """Click the button with this widget key: a whole-page rerun carrying its trigger."""
        element_id = self._widgets.get(key)
        if element_id is None:
            self._error(f"no widget with key {key!r} on /{self.page}")
            return
        await self._send(FULL, [WidgetState(id=element_id, trigger_value=True)])

    def has_widget(self, key: str) -> bool:
        return key in self._widgets

    async def choose_and_press(self, choice_key: str, choice: str, button_key: str) -> bool:
        """Pick `choice` in the radio (or select box) with key `choice_key` and click the button
        `button_key` in the same run, as a browser sends a pick then a click; False (and an error)
        when either widget is not on the page."""
        ids = [self._widgets.get(choice_key), self._widgets.get(button_key)]
        if None in ids:
            missing = choice_key if ids[0] is None else button_key
            self._error(f"no widget with key {missing!r} on /{self.page}")
            return False
        await self._send(FULL, [WidgetState(id=ids[0], string_value=choice),
                                WidgetState(id=ids[1], trigger_value=True)])
        return True

    def start_window(self) -> None:
        """From now on, new step values count as updates."""
        self._play_t = time.perf_counter()
        self.result.step_at_play = self.result.last_step
        self._window_open = True

    async def play(self) -> None:
        self.start_window()
        await self.press("play")

    async def run_for(self, seconds: float) -> None:
        """Keep the session going (the fragment timers do the work), then close its window."""
        with suppress(TimeoutError):
            await asyncio.wait_for(self.closed.wait(), seconds)
        self._end_window()

    @property
    def window_open(self) -> bool:
        return self._window_open

    def _end_window(self) -> None:
        if self._window_open:
            self._window_open = False
            self.result.window_s = time.perf_counter() - self._play_t

    # -- requests

    def _busy(self) -> bool:
        return bool(self._running) or any(self._unserved.values())

    def _update_idle(self) -> None:
        if self._busy():
            self.idle.clear()
        else:
            self.idle.set()

    async def _send(self, key: str, widgets: list[WidgetState]) -> None:
        """One rerun_script BackMsg: the whole page (key FULL) or one fragment."""
        if self._closing or self.closed.is_set() or not self._ws_open:
            return  # while reconnecting the frontend sends nothing either
        self._unserved.setdefault(key, []).append(time.perf_counter())
        self._update_idle()
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query_string
        if self._page_hash:
            state.page_script_hash = self._page_hash
        else:
            state.page_name = self.page  # the first request names the page as its URL path does
        state.widget_states.widgets.extend(widgets)
        if key != FULL:
            state.fragment_id = key
            state.is_auto_rerun = True
        state.cached_message_hashes.extend(self._cache)
        state.context_info.CopyFrom(ContextInfo(
            timezone="UTC", timezone_offset=0, locale="en-US", is_embedded=False, color_scheme="light",
            url=f"{self.base}/{self.page}" + (f"?{self.query_string}" if self.query_string else "")))
        try:
            await self._ws.send(msg.SerializeToString())
        except ConnectionClosed:
            pass  # the reader reports the lost connection

    async def _send_due(self) -> None:
        """pace "finish": once no run is going, send what fell due meanwhile, each once."""
        if self._due and not self._busy():
            due, self._due = list(self._due), {}
            for fragment_id in due:
                await self._send(fragment_id, [])

    async def _tick(self, fragment_id: str, interval: float) -> None:
        """The browser's setInterval for a fragment that reruns on its own."""
        loop = asyncio.get_running_loop()
        due = loop.time() + interval
        while True:
            await asyncio.sleep(max(0.0, due - loop.time()))
            due = max(due + interval, loop.time())  # a late tick does not make up for missed ones
            if self.pace == "finish" and self._busy():
                self._due[fragment_id] = None
            else:
                await self._send(fragment_id, [])

    async def _watch(self) -> None:
        """A request no run serves, or a run that never finishes, would stop the session
        silently: count it as an error, then go on."""
        while True:
            await asyncio.sleep(1.0)
            now = time.perf_counter()
            started = [t for times in self._unserved.values() for t in times] + list(self._running.values())
            oldest = min(started, default=now)
            if now - oldest > self.stall_s:
                self._error(f"a rerun was not served within {self.stall_s:.0f} s")
                self._unserved.clear()
                self._running.clear()
                self._drawn.clear()
                self._update_idle()
                await self._send_due()

    # -- what the server says

    async def _read(self) -> None:
        try:
            while True:
                try:
                    async for data in self._ws:
                        msg = ForwardMsg()
                        msg.ParseFromString(data)
                        await self._on_message(msg)
                except ConnectionClosed as err:
                    lost = f"disconnected: {err}"
                else:
                    lost = "disconnected by the server"
                if self._closing or not await self._reconnect(lost):
                    return
        except Exception as err:  # a bug here must show as an error, not hang the session
            self._error(f"client failed: {type(err).__name__}: {err}")
        finally:
            self._ws_open = False
            self.closed.set()

    async def _reconnect(self, lost: str) -> bool:
        """Reconnect as the frontend does: wait a little (longer after each failure), ping until
        the server answers, then a new websocket with the same cookies, naming the session it had.
        A page that was busy then asks for a run with the widget states it holds (none but Play, a
        trigger, which is not sent again; the server takes each widget's default, as the frontend's
        values are); one at rest waits for its next interaction, as the frontend does.
        False, with an error counted, when it gave up after reconnect_s."""
        self._ws_open = False
        dropped = time.perf_counter()
        busy = self._busy() or bool(self._timers) or not self._seen_new_session
        # what the old connection had going ends with it: its runs, its pending requests, its timers
        for _, task in self._timers.values():
            task.cancel()
        self._timers.clear()
        self._due.clear()
        self._unserved.clear()
        self._running.clear()
        self._drawn.clear()
        self._update_idle()
        delay = RECONNECT_DELAY_S
        while not self._closing and time.perf_counter() - dropped < self.reconnect_s:
            await asyncio.sleep(delay)
            delay = min(2 * delay, RECONNECT_MAX_DELAY_S)
            if self._closing:
                break
            if await self._get("/_stcore/health", HTTP_TIMEOUT_S) != 200:
                continue
            if await self._get("/_stcore/host-config", HTTP_TIMEOUT_S) != 200:
                continue
            try:
                await self._connect(HTTP_TIMEOUT_S)
            except (OSError, TimeoutError, InvalidHandshake):
                continue
            self.result.reconnects += 1
            self.result.reconnect_s.append(time.perf_counter() - dropped)
            self.result.shown_after_reconnect.clear()
            self.result.first_step_after_reconnect = None
            self._steps_seen.clear()  # the counter may start again: its values are new updates
            if busy:
                await self._send(FULL, [])
            return True
        if not self._closing:
            self._error(lost if self.reconnect_s <= 0
                        else f"{lost}; not reconnected within {self.reconnect_s:g} s")
        return False

    async def _on_message(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "delta":
            self._drawn.setdefault(msg.metadata.run.script_run_id, time.perf_counter())
            facts = self._facts(msg.delta)
            if msg.metadata.cacheable and msg.hash:
                self._cache[msg.hash] = [self._run_count, msg.delta.fragment_id or None, facts]
            if msg.delta.fragment_id and any(kind == "step" for kind, _ in facts):
                self._frame_drawn(msg.delta.fragment_id)
            self._apply(facts)
        elif kind == "ref_hash":  # a message the server knows we hold: what we noted from it counts again
            entry = self._cache.get(msg.ref_hash)
            if entry is None:
                self._error(f"reference to a message never received ({msg.ref_hash})")
            else:
                entry[0] = self._run_count
                self._apply(entry[2])
        elif kind == "new_session":
            self._running[msg.metadata.run.script_run_id] = time.perf_counter()
            self._update_idle()
            self._seen_new_session = True
            session_id = msg.new_session.initialize.session_id
            if session_id and session_id != self._session_id:
                self._session_id = session_id
                self.result.session_ids.append(session_id)
            if msg.new_session.page_script_hash:
                self._page_hash = msg.new_session.page_script_hash
            if not msg.metadata.run.fragment_ids:  # a whole-page run: the browser drops every timer
                self._max_cache_age = msg.new_session.config.max_cached_message_age or 2
                for _, task in self._timers.values():
                    task.cancel()
                self._timers.clear()
                self._due.clear()
        elif kind == "navigation":
            if msg.navigation.page_script_hash:
                self._page_hash = msg.navigation.page_script_hash
        elif kind == "auto_rerun":
            fid, interval = msg.auto_rerun.fragment_id, msg.auto_rerun.interval
            if fid and self._timers.get(fid, (None,))[0] != interval and not self._closing:
                self._stop_timer(fid)
                self._timers[fid] = (interval, asyncio.create_task(self._tick(fid, interval)))
        elif kind == "stop_auto_rerun":
            for fid in msg.stop_auto_rerun.fragment_ids:
                self._stop_timer(fid)
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string  # the address bar follows the app
        elif kind == "script_finished":
            self._on_finished(msg)
            await self._send_due()
        elif kind == "session_event" and msg.session_event.HasField("script_compilation_exception"):
            exc = msg.session_event.script_compilation_exception
            self._error(f"compile error: {exc.type}: {exc.message}")
        elif kind == "page_not_found":
            self._error(f"page not found: {msg.page_not_found.page_name!r}")

    def _frame_drawn(self, fragment: str) -> None:
        """A frame of `fragment` arrived: it serves that fragment's requests sent before it, also
        within a run that draws several frames (the live view takes its timer's requests one by one
        and answers each with the next frame)."""
        now, times = time.perf_counter(), self._unserved.get(fragment)
        if times:
            self.result.frame_latencies_s.extend(now - t for t in times)
            times.clear()

    def _on_finished(self, msg: ForwardMsg) -> None:
        """A run ended: it served the requests for its fragments (all, for a whole-page run)
        sent before it started; later ones wait for the next run."""
        now = time.perf_counter()
        run = msg.metadata.run
        started = self._running.pop(run.script_run_id, now)
        drawn = self._drawn.pop(run.script_run_id, now)
        status = msg.script_finished
        if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
            self._error("the script did not compile")
        # "early for rerun" also marks a run that completed but whose finish was still queued when
        # the next run started (the server relabels it), so it serves its requests like any finish
        self.result.runs += 1
        fragments = set(run.fragment_ids)
        for key, times in self._unserved.items():
            if fragments and key not in fragments:
                continue
            served = [t for t in times if t <= started]
            times[:] = [t for t in times if t > started]
            if key != FULL:
                self.result.frame_latencies_s.extend(drawn - t for t in served)
        if not fragments:  # the server drops reruns of fragments a whole-page run did not keep
            for key in [k for k in self._unserved if k != FULL and k not in self._timers]:
                del self._unserved[key]
        if status != EARLY and self._seen_new_session:
            self._age_cache(fragments)
        if not fragments and status == ForwardMsg.FINISHED_SUCCESSFULLY and not self.first_run.is_set():
            if self.result.first_render_s is None:
                self.result.first_render_s = now - self._t_connect
            self.first_run.set()
        self._update_idle()

    def _age_cache(self, fragments: set[str]) -> None:
        """Forget cached messages as the browser does: after max_cached_message_age runs unused,
        counting only runs that could have sent them again."""
        self._run_count += 1
        for h, (used, fid, _) in list(self._cache.items()):
            if fragments and (fid is None or fid not in fragments):
                continue
            if self._run_count - used > self._max_cache_age:
                del self._cache[h]

    def _stop_timer(self, fragment_id: str) -> None:
        entry = self._timers.pop(fragment_id, None)
        if entry:
            entry[1].cancel()

    @staticmethod
    def _facts(delta) -> list[tuple[str, object]]:
        """What a delta tells: a step value, an error, a widget's id by its key."""
        if delta.WhichOneof("type") != "new_element":
            return []
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind == "markdown":
            m = STEP.search(element.markdown.body)
            if m:
                return [("step", int(m.group(1).replace(",", "")))]
            m = REPLICA.match(element.markdown.body)
            return [("replica", m.group(1))] if m else []
        if kind == "alert":
            return [("shown", element.alert.body)]
        if kind == "metric":
            return [("metric", (element.metric.label, element.metric.body))]
        if kind == "exception":
            e = element.exception
            shown = "warning" if e.is_warning else "exception"
            return [("error", f"{shown} shown: {e.type}: {e.message[:300]}")]
        element_id = getattr(getattr(element, kind), "id", "") if kind else ""
        if isinstance(element_id, str) and element_id.count("-") >= 2:
            return [("widget", element_id)]  # ids end in "-<user key>"
        return []

    def _apply(self, facts: list[tuple[str, object]]) -> None:
        for kind, value in facts:
            if kind == "step":
                self._on_step(value)
            elif kind == "error":
                self._error(value)
            elif kind == "replica":
                if not self.result.replicas or self.result.replicas[-1] != value:
                    self.result.replicas.append(value)
            elif kind == "metric":
                self.result.metrics.append((time.perf_counter(), *value))
                del self.result.metrics[:-MAX_SHOWN]
            elif kind == "shown":
                self.result.alerts.append((time.perf_counter(), value))
                del self.result.alerts[:-MAX_SHOWN]
                if self.result.reconnects and value not in self.result.shown_after_reconnect:
                    self.result.shown_after_reconnect.append(value)
            else:
                self._widgets[value.rsplit("-", 1)[1]] = value

    def _on_step(self, step: int) -> None:
        now = time.perf_counter()
        if self.result.first_render_s is None:
            self.result.first_render_s = now - self._t_connect
        if self._window_open and step not in self._steps_seen:
            self.result.updates += 1
            if self._last_update_t is not None:
                self.result.frame_intervals_s.append(now - self._last_update_t)
            self._last_update_t = now
            if self.result.play_to_step_s is None:
                self.result.play_to_step_s = now - self._play_t
        self._steps_seen.add(step)
        if self.result.reconnects and self.result.first_step_after_reconnect is None:
            self.result.first_step_after_reconnect = step
        self.result.last_step = step

    def _error(self, text: str) -> None:
        self.result.errors.append(text)


class SessionError(RuntimeError):
    pass


# -- a whole run


@dataclass
class Report:
    sessions: int
    seconds: float
    page: str
    play: bool
    pace: str
    results: list[SessionResult]
    server_errors: list[str] = field(default_factory=list)  # tracebacks in the server's log
    server_cpu_s: float | None = None  # the server process's CPU over the run, when its pid is known
    wall_s: float = 0.0
    steady_cpu_s_per_update: float | None = None  # while every session was playing

    @property
    def errors(self) -> int:
        return sum(len(r.errors) for r in self.results) + len(self.server_errors)

    def as_dict(self) -> dict:
        rates = [r.updates_per_s for r in self.results]
        latencies = [x for r in self.results for x in r.frame_latencies_s]
        intervals = [x for r in self.results for x in r.frame_intervals_s]
        firsts = [r.first_render_s for r in self.results if r.first_render_s is not None]
        messages = list(dict.fromkeys([e for r in self.results for e in r.errors] + self.server_errors))
        return {
            "sessions": self.sessions,
            "errors": self.errors,
            "updates_per_s": {"p50": statistics.median(rates) if rates else None,
                              "min": min(rates, default=None)},
            "frame_latency_s": {"p50": percentile(latencies, 0.5), "p95": percentile(latencies, 0.95),
                                "p99": percentile(latencies, 0.99)},
            "frame_interval_s": {"p50": percentile(intervals, 0.5), "p95": percentile(intervals, 0.95),
                                 "p99": percentile(intervals, 0.99)},
            "first_render_s": {"p50": statistics.median(firsts) if firsts else None,
                               "max": max(firsts, default=None)},
            "first_render_missing": self.sessions - len(firsts),
            "frames": len(latencies),
            # the live view draws frames in bursts: several updates per script run when it works
            "updates_per_run": sum(r.updates for r in self.results)
            / max(1, sum(r.runs for r in self.results)),
            "steps_advanced_min": min(((r.last_step or 0) - (r.step_at_play or 0) for r in self.results),
                                      default=0),
            "seconds": self.seconds,
            "page": self.page,
            "play": self.play,
            "pace": self.pace,
            "error_messages": messages[:10],
            "reconnects": sum(r.reconnects for r in self.results),
            # where each session started, by the replica its page named (behind a proxy)
            "sessions_per_replica": dict(Counter(r.replicas[0] for r in self.results if r.replicas)),
            "server_cpu_s": self.server_cpu_s,
            # the server's CPU per live update while every session was playing (opening left out)
            "server_cpu_ms_per_update": None if self.steady_cpu_s_per_update is None
            else 1000 * self.steady_cpu_s_per_update,
            "server_cores_busy": None if self.server_cpu_s is None or not self.wall_s
            else self.server_cpu_s / self.wall_s,
        }

    def describe(self) -> str:
        d = self.as_dict()

        def f(x):
            return "-" if x is None else f"{x:.3f}"

        u, lat, fr, gap = d["updates_per_s"], d["frame_latency_s"], d["first_render_s"], d["frame_interval_s"]
        lines = [f"{d['sessions']} sessions on {d['page']} for {d['seconds']:g} s, reruns sent at each "
                 f"{d['pace']}{'' if d['play'] else ', no Play'}: errors {d['errors']}",
                 f"visible updates/s per session: p50 {f(u['p50'])}, min {f(u['min'])}",
                 f"frame latency (request -> the frame or run that serves it, {d['frames']} requests): "
                 f"p50 {f(lat['p50'])} s, p95 {f(lat['p95'])} s, p99 {f(lat['p99'])} s",
                 f"frame interval (between updates): p50 {f(gap['p50'])} s, p95 {f(gap['p95'])} s, "
                 f"p99 {f(gap['p99'])} s",
                 f"first render (connect -> step counter, else first run): p50 {f(fr['p50'])} s, "
                 f"max {f(fr['max'])} s"
                 + (f", missing in {d['first_render_missing']}" if d["first_render_missing"] else ""),
                 f"fewest steps advanced by a session: {d['steps_advanced_min']}; "
                 f"{d['updates_per_run']:.2f} updates per script run"]
        if d["server_cpu_s"] is not None:
            lines.append(f"server CPU: {d['server_cpu_s']:.1f} s, {f(d['server_cores_busy'])} cores busy, "
                         f"{f(d['server_cpu_ms_per_update'])} ms per live update")
        lines += [f"error: {m}" for m in d["error_messages"]]
        return "\n".join(lines)


async def _one(session: Session, seconds: float, play: bool, open_timeout_s: float) -> SessionResult:
    try:
        await session.open(open_timeout_s)
        if play:
            await session.play()
        else:
            session.start_window()
        await session.run_for(seconds)
    except Exception as err:  # a failed session is counted, not raised
        if not session.result.errors or str(err) != session.result.errors[-1]:
            session._error(f"{type(err).__name__}: {err}")
    finally:
        await session.aclose()
    return session.result


async def _run(url, sessions, seconds, page, query, play, pace, open_timeout_s, pid=None
               ) -> tuple[list[SessionResult], float | None]:
    """The sessions' results, and the server's CPU seconds per live update while all of them were
    in their window (every session playing, none finished yet), when its pid is known."""
    clients = [Session(url, page, session_query(i, query), i, pace) for i in range(sessions)]
    steady: list[tuple[float, int]] = []  # (server CPU, updates so far), while every window is open

    async def watch():
        while True:
            if all(c.window_open for c in clients):
                steady.append((cpu_seconds(pid), sum(c.result.updates for c in clients)))
            elif steady:  # the first window has closed
                return
            await asyncio.sleep(0.25)

    watcher = asyncio.create_task(watch()) if pid is not None else None
    results = await asyncio.gather(*(_one(c, seconds, play, open_timeout_s) for c in clients))
    if watcher is not None:
        watcher.cancel()
    per_update = None
    if len(steady) >= 2 and steady[-1][1] > steady[0][1] and None not in (steady[0][0], steady[-1][0]):
        per_update = (steady[-1][0] - steady[0][0]) / (steady[-1][1] - steady[0][1])
    return results, per_update


def _check_bounds(sessions: int, seconds: float) -> None:
    if not 1 <= sessions <= MAX_SESSIONS:
        raise ValueError(f"sessions must be 1..{MAX_SESSIONS}")
    if not 0 < seconds <= MAX_SECONDS:
        raise ValueError(f"seconds must be in (0, {MAX_SECONDS:g}]")


@contextmanager
def served(url: str | None, log_name: str = "server-loadgen.log", pid: int | None = None):
    """(base URL, its log or None, its process id or None): the given loopback server (whose pid
    the caller may know), or one started for the run and stopped after it."""
    if url is not None:
        yield loopback_base(url), None, pid
        return
    with streamlit_process(log_name) as (base, proc):
        yield base, ARTIFACTS / log_name, proc.pid


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU the process has used, all its threads (Linux /proc), or None."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def log_errors(log: Path, offset: int = 0) -> list[str]:
    """The last line of every traceback through the app's own code that the server logged after
    `offset`: errors no session sees, such as one in a run still going when its session closed.
    Tracebacks only through Streamlit and its web server (a send to a socket the client has
    just closed) are its own noise on a disconnect, which a closing browser causes too."""
    with open(log, errors="replace") as f:
        f.seek(offset)
        lines = f.read().splitlines()
    app = f'File "{ROOT}/'
    found = []
    for i, line in enumerate(lines):
        if not line.startswith("Traceback (most recent call last)"):
            continue
        end = next((j for j in range(i + 1, len(lines)) if lines[j] and not lines[j][0].isspace()),
                   len(lines))
        frames = [x.strip() for x in lines[i + 1:end] if x.strip().startswith("File ")]
        if any(f.startswith(app) and "/site-packages/" not in f for f in frames):
            found.append(f"server log: {lines[end][:300] if end < len(lines) else '(cut off)'}")
    return found


def run_load(url: str | None = None, sessions: int = 8, seconds: float = 20.0, page: str = "/train",
             query: str = "", play: bool = True, pace: str = "tick", open_timeout_s: float = OPEN_TIMEOUT_S,
             server_log: Path | None = None, pid: int | None = None) -> Report:
    """N concurrent sessions for `seconds` each after Play; starts a server when url is None.
    Tracebacks the server logs meanwhile count as errors: its own log, or `server_log` if given.
    Bounded: every session stops by itself; the whole run is cut off after its time plus slack."""
    _check_bounds(sessions, seconds)
    if pace not in PACES:
        raise ValueError(f"pace must be one of {PACES}")
    with served(url, pid=pid) as (base, own_log, server_pid):
        log = server_log or own_log
        offset = log.stat().st_size if log is not None and log.exists() else 0
        limit = open_timeout_s + seconds + 60
        cpu_before, start = cpu_seconds(server_pid), time.perf_counter()
        results, steady = _background().run(
            _run(base, sessions, seconds, page, query, play, pace, open_timeout_s, server_pid), limit)
        cpu_after, wall = cpu_seconds(server_pid), time.perf_counter() - start
        time.sleep(SETTLE_S)  # runs cut short by a closing session log their errors just after
    server_errors = log_errors(log, offset) if log is not None and log.exists() else []
    cpu = None if None in (cpu_before, cpu_after) else cpu_after - cpu_before
    return Report(sessions, seconds, "/" + page.strip("/"), play, pace, results, server_errors, cpu, wall,
                  steady)


# -- one session at a time, from synchronous code (tests)


class _Loop:
    """An event loop on its own thread: sessions stay connected (and their timers run) between
    calls from synchronous code, and a loop the caller may already run is left alone."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, name="loadgen", daemon=True).start()

    def run(self, coro, timeout_s: float):
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout_s)
        except TimeoutError:
            future.cancel()
            raise


_LOOP: _Loop | None = None
_LOOP_LOCK = threading.Lock()


def _background() -> _Loop:
    global _LOOP
    with _LOOP_LOCK:
        if _LOOP is None:
            _LOOP = _Loop()
        return _LOOP


def in_background(coro, timeout_s: float):
    """Run a coroutine of sessions on the generator's own loop thread and return its result: a
    caller whose thread already runs an event loop (a test after the browser tests) can too."""
    return _background().run(coro, timeout_s)


class OpenSession:
    """A session opened by open_session; close() ends it and returns what it saw."""

    def __init__(self, session: Session):
        self.session = session

    @property
    def result(self) -> SessionResult:
        return self.session.result

    def close(self) -> SessionResult:
        return _background().run(self.session.aclose(), 30)

    def drop(self) -> None:
        """Drop the connection as a dying server would; the session reconnects by itself."""
        _background().run(self.session.drop_connection(), 10)

    def play(self) -> None:
        """Press Play (counting updates from now on); returns once it is sent."""
        _background().run(self.session.play(), 10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_session(url: str, page: str = "/train", query: str = "", play: bool = False, index: int = 0,
                 pace: str = "tick", timeout_s: float = OPEN_TIMEOUT_S, cookies: dict[str, str] | None = None,
                 reconnect_s: float = RECONNECT_S) -> OpenSession:
    """Open a page and wait until it has run (on /train: built its run and drawn the step counter);
    with play, also press Play and wait for the counter to move. Raises SessionError on failure.
    `cookies`: what the browser already holds for the site (e.g. a proxy's from an earlier visit)."""
    session = Session(url, page, query, index, pace, cookies=cookies, reconnect_s=reconnect_s)

    async def start():
        try:
            await session.open(timeout_s)
            if play:
                await session.play()
                pressed = time.perf_counter()
                while not session.result.updates and time.perf_counter() - pressed < timeout_s:
                    if session.closed.is_set():
                        raise SessionError("connection closed")
                    await asyncio.sleep(0.05)
                if not session.result.updates:
                    raise SessionError(f"the step counter did not move within {timeout_s:.0f} s of Play")
        except BaseException:
            await session.aclose()
            raise

    _background().run(start(), timeout_s * 2 + 30)
    return OpenSession(session)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server on loopback (default: start one)")
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0, help="per session, from Play")
    parser.add_argument("--page", default="/train")
    parser.add_argument("--query", default="", help="added to each session's own query string")
    parser.add_argument("--play", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--pace", choices=PACES, default="tick",
                        help="tick: a fragment's rerun at every tick of its timer, as the browser sends it "
                             "(default); finish: held until no run is going")
    parser.add_argument("--pid", type=int, help="with --url: the server's process id, to measure its CPU")
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    args = parser.parse_args(argv)
    try:
        _check_bounds(args.sessions, args.seconds)
        if args.url:
            loopback_base(args.url)
    except ValueError as err:
        parser.error(str(err))
    report = run_load(args.url, args.sessions, args.seconds, args.page, args.query, args.play, args.pace,
                      pid=args.pid)
    print(json.dumps(report.as_dict()) if args.json else report.describe())
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
