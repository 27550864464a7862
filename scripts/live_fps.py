"""Visible updates per second on the live page, as a person would see them.

Starts `streamlit run app.py` on a free loopback port, opens /train in headless Chromium,
presses Play and samples the step counter every ~30 ms for 8 s, counting distinct values per
second; repeats and prints each figure and the median. A benchmark, not a test.

usage: .venv/bin/python scripts/live_fps.py [--repeats 5] [--seconds 8]
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, streamlit_server  # noqa: E402

STEP = re.compile(r"step\D{0,12}(\d[\d,]*)", re.I)


def measure(url: str, seconds: float) -> float:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/train")
        page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=60_000)
        page.get_by_role("button", name="Play").click()
        seen, start = set(), time.time()
        while time.time() - start < seconds:
            m = STEP.search(page.inner_text("[data-testid='stMain']"))
            if m:
                seen.add(m.group(1))
            time.sleep(0.03)
        browser.close()
    return len(seen) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    with streamlit_server("live-fps.log") as url:
        figures = [measure(url, args.seconds) for _ in range(args.repeats)]
    print("visible updates/s:", " ".join(f"{f:.1f}" for f in figures))
    print(f"median {statistics.median(figures):.1f}")


if __name__ == "__main__":
    main()
