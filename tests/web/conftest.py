"""Web fixtures: real stores in tmp dirs, the real engine, the app served by a real uvicorn on a free port.

The demo store holds the bundled samples ingested by the real pipeline with the
real profiler (built once per session). Browser tests drive Debian's chromium
through Playwright; they are skipped (with the reason) only when chromium is absent.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest
from webtools import _SCREENSHOTS, API_KEY, CHROMIUM, CHROMIUM_ARGS, Live, serve


@pytest.fixture(scope="session")
def engine() -> Any:
    from storyline.engine import Engine

    return Engine()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory, engine: Any) -> Path:
    """A SQLite store with the bundled samples, ingested like ``storyline serve --demo`` does."""
    from storyline.pipeline import Pipeline
    from storyline.store import open_store
    from storyline.web.commands import ingest_samples

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    store = open_store(path)
    report = ingest_samples(Pipeline(store, profiler=engine.profiler, workers=0), progress=False)
    assert report.added == 12 and not report.failures
    store.close()
    return path


@pytest.fixture(scope="session")
def demo_server(demo_db: Path, engine: Any) -> Iterator[Live]:
    """The app over a copy of the demo store, served on a free port (writes allowed with API_KEY)."""
    from storyline.store import open_store
    from storyline.web import WebSettings, create_app

    copy = demo_db.parent / "served.db"
    shutil.copy(demo_db, copy)
    store = open_store(copy)
    app = create_app(store, settings=WebSettings(api_key=API_KEY), engine=engine)
    url, server, thread = serve(app)
    yield Live(url, app, store)
    server.should_exit = True
    thread.join(10)
    store.close()


# ------------------------------------------------------------------ browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module: Playwright's sync API keeps an event loop running while it is open,
    which would break ``asyncio.run`` in tests and doctests collected after it."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"chromium not found at {CHROMIUM} (apt-get install -y chromium; scripts/install --test does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    context.close()


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: ``$STORYLINE_SCREENSHOTS`` or a folder in pytest's tmp dir (paths printed at the end)."""
    wanted = os.environ.get("STORYLINE_SCREENSHOTS")
    folder = Path(wanted) if wanted else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _SCREENSHOTS:
        terminalreporter.write_sep("-", "web UI screenshots")
        for path in _SCREENSHOTS:
            terminalreporter.write_line(str(path))
