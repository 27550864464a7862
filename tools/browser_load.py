"""Load in real browsers: N concurrent headless-Chromium sessions against one server on loopback,
each opening the live page on its own data, pressing Play, training for a few seconds and
pausing. Prints errors, page-to-first-render and Play-to-first-step times, and the visible
updates a second. A benchmark, not a test: with the browsers on the server's own cores it
measures the machine as much as the server (tools/capacity.py measures the server alone).

usage: .venv/bin/python -m tools.browser_load [--sessions 20] [--train-seconds 4]
           [--url http://127.0.0.1:PORT] [--json]

Without --url it starts `streamlit run app.py` on a free loopback port and stops it after. Every
request a browser makes beyond loopback is aborted and counted as that session's error. Exits 1
when any session failed.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from playwright.async_api import async_playwright

from tools.loadgen import loopback_base, percentile
from tools.serve import CHROMIUM, CHROMIUM_ARGS, chromium_missing, is_loopback, streamlit_server

STEP = re.compile(r"step ([\d,]+)")
STEP_TIMEOUT_MS = 90_000  # any one wait of a session: 20 on 2 busy cores took a minute to first render


# polls the step counter's text (cheap: no layout) and counts the distinct values it shows
COUNT_UPDATES = """async (ms) => {
  const seen = new Set(), end = Date.now() + ms;
  while (Date.now() < end) {
    for (const e of document.querySelectorAll("[data-testid='stMarkdownContainer'] strong")) {
      if (e.textContent.startsWith("step ")) { seen.add(e.textContent); break; }
    }
    await new Promise(r => setTimeout(r, 30));
  }
  return seen.size;
}"""


async def _session(browser, url: str, index: int, train_s: float) -> dict:
    context = await browser.new_context(viewport={"width": 1200, "height": 900})
    beyond: list[str] = []

    async def route(r):
        if is_loopback(r.request.url):
            await r.continue_()
        else:
            beyond.append(r.request.url)
            await r.abort()

    await context.route("**/*", route)
    page = await context.new_page()
    result = {"index": index, "error": None}
    try:
        start = time.perf_counter()
        # every session trains on its own data, so none is served from another's cache
        # the wait for the first render below bounds the load; goto's own 30 s wait for every
        # static file is not what is measured here
        await page.goto(f"{url}/train?ds_seed={index}&ds_n={200 + 50 * (index % 8)}", wait_until="commit",
                        timeout=STEP_TIMEOUT_MS)
        await page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",
                                     timeout=STEP_TIMEOUT_MS)
        result["first_render_s"] = time.perf_counter() - start
        # as long as the other waits: with 20 sessions on 2 cores the page keeps rerunning for a while
        await page.get_by_role("button", name="Play", exact=True).click(timeout=STEP_TIMEOUT_MS)
        clicked = time.perf_counter()
        await page.wait_for_function(
            "/step [1-9]/.test(document.querySelector(\"[data-testid='stMain']\").innerText)",
            timeout=STEP_TIMEOUT_MS)
        result["first_step_s"] = time.perf_counter() - clicked
        # the step values this browser shows while training: visible updates per second
        shown = await page.evaluate(COUNT_UPDATES, train_s * 1000)
        result["updates_per_s"] = max(0, shown - 1) / train_s
        text = await page.inner_text("[data-testid='stMain']")
        result["steps"] = int(STEP.search(text).group(1).replace(",", ""))
        await page.get_by_role("button", name="Pause", exact=True).click(timeout=STEP_TIMEOUT_MS)
        if await page.locator("[data-testid='stException']").count():
            result["error"] = "exception shown"
        elif beyond:
            result["error"] = f"asked for something beyond loopback: {beyond[:3]}"
    except Exception as err:  # a failed session is counted, not raised
        result["error"] = f"{type(err).__name__}: {str(err)[:200]}"
    finally:
        await context.close()
    return result


def run_limit_s(train_s: float) -> float:
    """The whole run's bound: every wait of a session above at its longest, and then some."""
    return 5 * STEP_TIMEOUT_MS / 1000 + train_s + 60


async def _run(url: str, sessions: int, train_s: float) -> list[dict]:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            return await asyncio.wait_for(
                asyncio.gather(*(_session(browser, url, i, train_s) for i in range(sessions))),
                timeout=run_limit_s(train_s))
        finally:
            await browser.close()


def load_run(url: str, sessions: int = 20, train_s: float = 4.0) -> dict:
    # its own thread: a sync Playwright elsewhere in the process may already own this thread's loop
    with ThreadPoolExecutor(1) as pool:
        results = pool.submit(asyncio.run, _run(url, sessions, train_s)).result()
    ok = [r for r in results if r["error"] is None]
    report = {"sessions": sessions, "machine": f"{os.cpu_count()} cores", "errors": len(results) - len(ok),
              "error_messages": [r["error"] for r in results if r["error"]]}
    for name in ("first_render_s", "first_step_s"):
        values = [r[name] for r in ok]
        if values:
            report[name] = {"p50": statistics.median(values), "p90": percentile(values, 0.9),
                            "p99": percentile(values, 0.99), "max": max(values)}
    report["steps_min"] = min((r["steps"] for r in ok), default=0)
    rates = [r["updates_per_s"] for r in ok]
    if rates:
        report["updates_per_s"] = {"p50": statistics.median(rates), "min": min(rates)}
    return report


def describe(report: dict) -> str:
    lines = [f"{report['sessions']} concurrent sessions on {report['machine']}, errors {report['errors']}"]
    for name, label in (("first_render_s", "page to first render"), ("first_step_s", "Play to first step")):
        if name in report:
            r = report[name]
            lines.append(f"{label}: p50 {r['p50']:.2f} s, p90 {r['p90']:.2f} s, p99 {r['p99']:.2f} s, "
                         f"max {r['max']:.2f} s")
    lines.append(f"fewest steps trained by a session: {report['steps_min']}")
    if "updates_per_s" in report:
        u = report["updates_per_s"]
        lines.append(f"visible updates/s per session while training: p50 {u['p50']:.1f}, min {u['min']:.1f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server on loopback (default: start one)")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--train-seconds", type=float, default=4.0, help="per session, from its first step")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= 100:
        parser.error("--sessions must be 1..100")
    if not 0 < args.train_seconds <= 120:
        parser.error("--train-seconds must be in (0, 120]")
    if missing := chromium_missing():
        parser.error(missing)
    if args.url:
        try:
            url = loopback_base(args.url)
        except ValueError as err:
            parser.error(str(err))
    try:
        if args.url:
            report = load_run(url, args.sessions, args.train_seconds)
        else:
            with streamlit_server("server-browser-load.log") as url:
                report = load_run(url, args.sessions, args.train_seconds)
    except TimeoutError:
        print(f"the sessions did not finish within {run_limit_s(args.train_seconds):.0f} s", file=sys.stderr)
        return 2
    print(json.dumps(report) if args.json else describe(report))
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
