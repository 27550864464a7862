"""Helpers for the browser tests: open a page as a person would and wait for it to settle."""
from __future__ import annotations

import time

from playwright.sync_api import Page

from tests.conftest import ARTIFACTS


def open_app(page: Page, url: str, timeout: float = 60_000) -> None:
    page.goto(url)
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout)
    settle(page, timeout)


def settle(page: Page, timeout: float = 60_000) -> None:
    """Wait until the script has finished and no skeletons remain."""
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout)
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=\"stSkeleton\"]').length == 0", timeout=timeout)


def exceptions(page: Page) -> list[str]:
    return page.locator("[data-testid='stException']").all_inner_texts()


def screenshot(page: Page, name: str) -> str:
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return str(path)


def scenes(page: Page) -> list[dict]:
    """The live page's boundary canvases a person sees (drawn in the browser), read in one go so
    all come from one moment: each one's width, the training step it shows, and the share of its
    pixels that are coloured (neither white nor grey)."""
    return page.locator(".scenes canvas").evaluate_all("""cs => cs.filter(c => c.getClientRects().length)
      .map(c => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let coloured = 0;
        for (let i = 0; i < d.length; i += 4) {
          const hi = Math.max(d[i], d[i + 1], d[i + 2]), lo = Math.min(d[i], d[i + 1], d[i + 2]);
          if (hi - lo > 30) coloured++;
        }
        return {width: c.width, step: Number(c.dataset.step), coloured: coloured / (d.length / 4)};
      })""")


def shown_step(page: Page, timeout: float = 30_000) -> int:
    """The live page's step counter; waits for it (a page just settled may still be routing).
    Read and matched in one call in the page: a rerun between a wait and a second read could
    take the counter away again."""
    handle = page.wait_for_function("""() => {
      const m = /step ([\\d,]+)/.exec(document.querySelector("[data-testid='stMain']").innerText);
      return m ? {step: Number(m[1].replace(/,/g, ""))} : null;  // an object: step 0 is falsy
    }""", timeout=timeout)
    return int(handle.json_value()["step"])


def step_past(page: Page, step: int, timeout: float = 30_000) -> int:
    """Wait until the live page's step counter shows more than `step`; returns what it shows."""
    page.wait_for_function("""step => {
      const m = /step ([\\d,]+)/.exec(document.querySelector("[data-testid='stMain']").innerText);
      return m && Number(m[1].replace(/,/g, "")) > step;
    }""", arg=step, timeout=timeout)
    return shown_step(page)


def still_for(page: Page, ms: float, timeout: float = 60_000) -> int:
    """Wait until the live page's step counter has shown one value for `ms` on end; returns it."""
    page.evaluate("window.__still = undefined")
    page.wait_for_function("""ms => {
      const m = /step ([\\d,]+)/.exec(document.querySelector("[data-testid='stMain']").innerText);
      const value = m ? m[1] : null, now = Date.now();
      if (!window.__still || window.__still.value !== value) window.__still = {value, since: now};
      return value !== null && now - window.__still.since >= ms;
    }""", arg=ms, polling=50, timeout=timeout)
    return shown_step(page)


def new_pick(page: Page, picked: set[str], timeout_s: float = 2.0) -> str | None:
    """The point index the inspector shows if it is none of `picked`, waiting up to `timeout_s`
    for it after a click on the picker; None when the click picked nothing new by then."""
    index = page.get_by_label("point index")
    deadline = time.monotonic() + timeout_s
    while True:
        fresh = [v for v in index.evaluate_all("els => els.map(e => e.value)") if v not in picked]
        if fresh or time.monotonic() > deadline:
            return fresh[0] if fresh else None
        time.sleep(0.05)


# every chart and picture on screen drawn, with the same sizes as at the last look
DRAWN = """() => {
  const main = document.querySelector("[data-testid='stMain']");
  if (!main) return false;
  const sizes = [];
  for (const chart of main.querySelectorAll("[data-testid='stVegaLiteChart']")) {
    if (!chart.getClientRects().length) continue;  // in a closed expander or another tab
    const marks = chart.querySelector("canvas, svg.marks");
    const box = marks && marks.getBoundingClientRect();
    if (!box || box.width === 0) return false;
    sizes.push(Math.round(box.width), Math.round(box.height));
  }
  for (const img of main.querySelectorAll("img")) {
    if (img.getClientRects().length && !img.complete) return false;
  }
  const key = sizes.join(","), same = window.__drawnSizes === key;
  window.__drawnSizes = key;
  return same;
}"""


def drawn(page: Page, timeout: float = 60_000) -> None:
    """Wait until the charts and pictures on screen are drawn and hold their sizes for two looks
    in a row: charts draw, and may resize, after the script has finished."""
    page.evaluate("window.__drawnSizes = undefined")
    page.wait_for_function(DRAWN, polling=250, timeout=timeout)
