"""How fast each page shows something and how fast it is complete, as a person would see it.

Starts `streamlit run app.py` on a free loopback port and opens every page in headless Chromium,
two ways: in a fresh browser (its cache empty, so it also loads Streamlit's own code for each
kind of element) and in a browser that has opened the app before. "First" is the first element of
the page on screen; "complete" is the script finished with no placeholder left. Each page is
opened once beforehand so that trained results are cached, as on a warm server. Medians of
--repeats visits. A benchmark, not a test.

usage: .venv/bin/python -m tools.page_times [--repeats 3]
"""
from __future__ import annotations

import argparse
import statistics
import time

from playwright.sync_api import sync_playwright

from playground.ui.shell.navigation import PAGES
from tools.serve import CHROMIUM, CHROMIUM_ARGS, streamlit_server

SHOWN = """() => document.querySelectorAll("[data-testid='stMain'] [data-testid='stElementContainer']")
    .length > 0"""
DONE = """() => document.querySelector("[data-testid='stApp']")?.getAttribute('data-test-script-state')
    === 'notRunning' && document.querySelectorAll("[data-testid='stSkeleton']").length === 0"""


def visit(page, url: str) -> tuple[float, float]:
    """Seconds to the first element and to the complete page (complete twice, 0.25 s apart)."""
    start = time.perf_counter()
    page.goto(url)
    first = None
    while time.perf_counter() - start < 120:
        if first is None and page.evaluate(SHOWN):
            first = time.perf_counter() - start
        if page.evaluate(DONE):
            done = time.perf_counter() - start
            page.wait_for_timeout(250)
            if page.evaluate(DONE):
                return first or done, done
        page.wait_for_timeout(20)
    raise TimeoutError(f"{url} did not complete in 120 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    slugs = [path.removeprefix("app_pages/").removesuffix(".py") for path, _, _ in PAGES]
    with streamlit_server("page-times.log") as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        returning = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        for slug in slugs:  # train and cache what the pages show; warm the returning browser
            visit(returning, f"{url}/{'' if slug == 'home' else slug}")
        print(f"{'page':12s} {'fresh browser: first / complete (s)':>36s} "
              f"{'returning: first / complete (s)':>32s}")
        for slug in slugs:
            target = f"{url}/{'' if slug == 'home' else slug}"
            fresh, back = [], []
            for _ in range(args.repeats):
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                fresh.append(visit(context.new_page(), target))
                context.close()
                back.append(visit(returning, target))
            med = [statistics.median(v) for v in zip(*fresh)] + [statistics.median(v) for v in zip(*back)]
            print(f"{slug:12s} {med[0]:>27.2f} / {med[1]:.2f} {med[2]:>23.2f} / {med[3]:.2f}")
        browser.close()


if __name__ == "__main__":
    main()
