"""Helpers for the browser tests: open a page as a person would and wait for it to settle."""
from __future__ import annotations

import re

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


STEP = re.compile(r"step ([\d,]+)")


def shown_step(page: Page, timeout: float = 30_000) -> int:
    """The live page's step counter; waits for it (a page just settled may still be routing)."""
    main = "[data-testid='stMain']"
    page.wait_for_function(f"/step [\\d,]+/.test(document.querySelector(\"{main}\").innerText)",
                           timeout=timeout)
    return int(STEP.search(page.inner_text(main)).group(1).replace(",", ""))
