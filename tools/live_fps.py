"""Visible updates per second on the live page, as a person would see them, beside what the load
generator counts for one session against the same server.

Starts `streamlit run app.py` on a free loopback port, opens /train in headless Chromium and
presses Play. In the page, every animation frame reads the step counter and keeps each distinct
value it paints, so the figure is what was drawn, not what a slower poller happened to catch.
Then one load-generator session plays on the same server for as long. Repeats, alternating the
two, and prints each figure, the medians and their ratio. A benchmark, not a test.

usage: .venv/bin/python -m tools.live_fps [--repeats 5] [--seconds 8]
"""
from __future__ import annotations

import argparse
import statistics
import time

from playwright.sync_api import sync_playwright

from tools.loadgen import run_load
from tools.serve import CHROMIUM, CHROMIUM_ARGS, streamlit_server

# every painted frame: the step counter's value, kept once per distinct value
COUNT_PAINTED_STEPS = """() => {
  window.__steps = new Set();
  const tick = () => {
    for (const el of document.querySelectorAll("[data-testid='stMain'] strong")) {
      const m = /^step ([\\d,]+)$/.exec(el.textContent.trim());
      if (m) { window.__steps.add(m[1]); break; }
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""


def browser_updates_per_s(url: str, seconds: float) -> float:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/train")
        page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=60_000)
        page.get_by_role("button", name="Play").click()
        page.get_by_role("button", name="Pause").wait_for(timeout=30_000)
        page.evaluate(COUNT_PAINTED_STEPS)
        time.sleep(seconds)
        painted = page.evaluate("window.__steps.size")
        browser.close()
    return painted / seconds


def loadgen_updates_per_s(url: str, seconds: float) -> float:
    return run_load(url, sessions=1, seconds=seconds).as_dict()["updates_per_s"]["p50"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    browser, generator = [], []
    with streamlit_server("live-fps.log") as url:
        for _ in range(args.repeats):
            browser.append(browser_updates_per_s(url, args.seconds))
            generator.append(loadgen_updates_per_s(url, args.seconds))
    print("browser visible updates/s:", " ".join(f"{f:.1f}" for f in browser))
    print("load generator updates/s: ", " ".join(f"{f:.1f}" for f in generator))
    b, g = statistics.median(browser), statistics.median(generator)
    print(f"median: browser {b:.1f}, load generator {g:.1f}; browser/generator {b / g:.2f}")


if __name__ == "__main__":
    main()
