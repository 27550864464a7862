"""Helpers for the browser tests: open a page as a person would and wait for it to settle."""
from __future__ import annotations

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
