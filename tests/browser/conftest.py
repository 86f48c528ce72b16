"""Browser tests: the real app on loopback, driven by Playwright through Debian's chromium.

No browser is downloaded: Playwright launches ``/usr/bin/chromium`` (or ``TESSERA_CHROMIUM``).
Without it the tests skip with a reason, except under ``CI=true``, where they fail the run.
Screenshots go to ``test-output/browser/<test>/`` (git-ignored).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
import pytest

from backend.persistence.db import Database
from backend.services.bootstrap import bootstrap
from tests.live_server import live_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = os.environ.get("TESSERA_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-dev-shm-usage"]
OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "browser"
TENANT = "acme"
T = TypeVar("T")


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"browser tests are mandatory under CI=true: {reason}")
    pytest.skip(reason)


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on its own thread: Playwright's sync API owns this thread's event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium, "
                     "or set TESSERA_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _unavailable(f"the playwright package is missing ({exc}); install the dev extras")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield launched
        launched.close()


@dataclass(frozen=True)
class Console:
    """A live server over a fresh SQLite database with a bootstrapped admin of ``acme``."""

    base: str
    admin_token: str
    http: httpx.Client

    def gql(self, query: str, **variables: Any) -> dict[str, Any]:
        response = self.http.post("/graphql", json={"query": query, "variables": variables},
                                  headers={"Authorization": f"Bearer {self.admin_token}"})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        return body["data"]  # type: ignore[no-any-return]


async def _bootstrap(url: str) -> str:
    db = Database(url)
    try:
        return (await bootstrap(db, TENANT, "admin@acme.test")).token
    finally:
        await db.dispose()


@pytest.fixture
def console(sqlite_template: Path, tmp_path: Path) -> Iterator[Console]:
    path = tmp_path / "tessera.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    token = run_async(_bootstrap(url))
    with live_server(url, None) as base, httpx.Client(base_url=base, timeout=30) as http:
        yield Console(base=base, admin_token=token, http=http)


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Path:
    """This test's screenshot folder, emptied first."""
    folder = OUTPUT / str(request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def page(browser: Browser, console: Console) -> Iterator[Page]:
    """A fresh tab on the console; fails the test on any script error or CSP violation."""
    context = browser.new_context(base_url=console.base, viewport={"width": 1360, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=console.base)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    tab.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}")
           if msg.type == "error" else None)
    yield tab
    context.close()
    assert not problems, problems
