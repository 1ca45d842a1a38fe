"""Real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright, against the same
real servers as the other integration tests, with host pages on a second origin.

`playwright install` cannot download browsers here, so we launch the system Chromium. Each
launch gets a fresh temporary profile from Playwright (it refuses a --user-data-dir of ours
for non-persistent browsers), and every test gets a fresh context: new localStorage, new
conversation. Screenshots go to reports/browser/ (gitignored).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterator

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.integration.browser.host_pages import HostPages
from tests.integration.servers import ROOT

CHROMIUM = Path(os.environ.get("COACH_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "reports" / "browser"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 640}
# Two cores shared with other work: a paced cue can be late by seconds under load, never lost.
expect.set_options(timeout=15_000)


# Per module, not per session: while Playwright's sync API is running it owns an event loop
# on the main thread, and every pytest-asyncio test after it failed with "Runner.run() cannot
# be called from a running event loop". Leaving each module stops it (1-2 s per launch).
@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(
            f"BROWSER TESTS DID NOT RUN: no Chromium at {CHROMIUM}. Install it with `make system-deps` "
            "(Debian package chromium) or point COACH_CHROMIUM at one."
        )

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def host_pages(servers) -> Iterator[HostPages]:
    with HostPages(servers.host_port, servers.url) as pages:
        yield pages


@pytest.fixture()
def new_page(browser, host_pages) -> Iterator[Callable]:
    """Opens pages in fresh contexts; fails the test on any JavaScript error in them."""
    contexts, errors = [], []

    def open_page(viewport=DESKTOP, **context_options):
        context = browser.new_context(viewport=viewport, **context_options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors: {errors}"


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
