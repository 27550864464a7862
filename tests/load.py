"""A bounded load run: N concurrent browser sessions against one real server on loopback, each
opening the live page, training for a few seconds and pausing. Reports errors and latencies."""
from __future__ import annotations

import asyncio
import re
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from playwright.async_api import async_playwright

from tests.conftest import CHROMIUM, CHROMIUM_ARGS

STEP = re.compile(r"step ([\d,]+)")


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
    page = await context.new_page()
    result = {"index": index, "error": None}
    try:
        start = time.perf_counter()
        # every session trains on its own data, so none is served from another's cache
        # the wait for the first render below bounds the load; goto's own 30 s wait for every
        # static file is not what is measured here
        await page.goto(f"{url}/train?ds_seed={index}&ds_n={200 + 50 * (index % 8)}", wait_until="commit",
                        timeout=90_000)
        await page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",
                                     timeout=90_000)
        result["first_render_s"] = time.perf_counter() - start
        # as long as the other waits: with 20 sessions on 2 cores the page keeps rerunning for a while
        await page.get_by_role("button", name="Play", exact=True).click(timeout=90_000)
        clicked = time.perf_counter()
        await page.wait_for_function(
            "/step [1-9]/.test(document.querySelector(\"[data-testid='stMain']\").innerText)", timeout=90_000)
        result["first_step_s"] = time.perf_counter() - clicked
        # the step values this browser shows while training: visible updates per second
        shown = await page.evaluate(COUNT_UPDATES, train_s * 1000)
        result["updates_per_s"] = max(0, shown - 1) / train_s
        text = await page.inner_text("[data-testid='stMain']")
        result["steps"] = int(STEP.search(text).group(1).replace(",", ""))
        await page.get_by_role("button", name="Pause", exact=True).click()
        if await page.locator("[data-testid='stException']").count():
            result["error"] = "exception shown"
    except Exception as err:  # a failed session is counted, not raised
        result["error"] = f"{type(err).__name__}: {str(err)[:200]}"
    finally:
        await context.close()
    return result


async def _run(url: str, sessions: int, train_s: float) -> list[dict]:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            return await asyncio.wait_for(
                asyncio.gather(*(_session(browser, url, i, train_s) for i in range(sessions))), timeout=240)
        finally:
            await browser.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def load_run(url: str, sessions: int = 20, train_s: float = 4.0) -> dict:
    # its own thread: a sync Playwright elsewhere in the process may already own this thread's loop
    with ThreadPoolExecutor(1) as pool:
        results = pool.submit(asyncio.run, _run(url, sessions, train_s)).result()
    ok = [r for r in results if r["error"] is None]
    report = {"sessions": sessions, "errors": len(results) - len(ok),
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
    lines = [f"{report['sessions']} concurrent sessions, errors {report['errors']}"]
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
