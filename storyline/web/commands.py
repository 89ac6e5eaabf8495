"""``storyline serve``: the web UI and JSON API over a store.

``--demo`` ingests the bundled sample articles (``storyline/samples/*.txt``) into a
temporary store first (or into ``--db`` when given), then serves it.
"""

from __future__ import annotations

import gc
import socket
import sys
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

import click


def sample_paths() -> list[Path]:
    """The bundled sample articles, in name order.

    >>> [p.name for p in sample_paths()][:2]
    ['01_en_doha_round2.txt', '02_zh_doha_round2_translation.txt']
    """
    folder = Path(str(resources.files("storyline") / "samples"))
    return sorted(folder.glob("*.txt"))


def ingest_samples(pipeline: Any, *, progress: bool = True) -> Any:
    """Ingest the bundled samples with ``pipeline`` (a :class:`storyline.pipeline.Pipeline`)."""
    from storyline.ingest import iter_articles

    paths = sample_paths()
    if not progress:
        return pipeline.ingest(iter_articles(paths))
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("ingesting samples"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("ingest", total=len(paths))
        return pipeline.ingest(iter_articles(paths), on_progress=lambda n: bar.advance(task, n))


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: a free one), IPv6 when the host is."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise click.UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


@click.command("serve")
@click.option("--db", "db", default=None, metavar="PATH|URL", help="Store: a path, sqlite:///PATH or postgresql://… (default $STORYLINE_DB or ./storyline.db).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0 for every interface).")
@click.option("--port", type=click.IntRange(min=0, max=65535), default=8000, show_default=True, help="Port (0: any free port).")
@click.option("--demo", is_flag=True, help="Ingest the bundled sample articles into a temporary store first.")
@click.option("--api-key", envvar="STORYLINE_API_KEY", default=None, help="Key that writes (POST /api/articles…) must send in X-API-Key [env STORYLINE_API_KEY]. Without it writes are off.")
@click.option("--profiler", type=click.Choice(["full", "fast", "lexical"]), default="full", show_default=True, help="How added articles are profiled.")
@click.option("--allow-private-fetch", is_flag=True, help="Let POST /api/articles/fetch reach private/loopback addresses (an intranet).")
@click.option("--max-body-bytes", type=click.IntRange(min=1024), default=None, help="Largest request body accepted (default 2,000,000).")
def serve_command(db: str | None, host: str, port: int, demo: bool, api_key: str | None, profiler: str, allow_private_fetch: bool, max_body_bytes: int | None) -> None:
    """Serve the web UI and the JSON API (OpenAPI at /docs) over a store.

    \b
    storyline serve --demo                 # the bundled samples, in a temporary store
    storyline serve --db news.db --port 8080
    STORYLINE_API_KEY=secret storyline serve --db news.db   # writes need X-API-Key: secret
    """
    import uvicorn

    from storyline.engine import Engine
    from storyline.fetch import FetchPolicy
    from storyline.pipeline import Pipeline, make_profiler
    from storyline.store import open_store
    from storyline.web.app import WebSettings, create_app

    tmp: tempfile.TemporaryDirectory[str] | None = None
    if demo and db is None:
        tmp = tempfile.TemporaryDirectory(prefix="storyline-demo-")
        db = str(Path(tmp.name) / "demo.db")
    try:
        store = open_store(db)
    except Exception as exc:
        raise click.UsageError(str(exc)) from None
    engine = Engine(profiler=make_profiler(profiler)) if profiler != "lexical" else None
    pipeline = Pipeline(store, profiler=engine.profiler if engine is not None else "lexical", workers=0)
    if demo:
        report = ingest_samples(pipeline, progress=sys.stderr.isatty())
        click.echo(f"demo: {report.added} sample articles added ({report.duplicates} already there) to {store.url}", err=True)
    settings = WebSettings.from_env(api_key=api_key, max_body_bytes=max_body_bytes, fetch=FetchPolicy(allow_private=allow_private_fetch))
    app = create_app(store, settings=settings, engine=engine, pipeline=pipeline)
    sock = bind(host, port)
    actual = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    counts = store.counts()
    click.echo(f"storyline: {counts['articles']} articles, {counts['stories']} stories in {store.url}")
    click.echo(f"writes: {'on (X-API-Key needed)' if settings.api_key else 'off (set STORYLINE_API_KEY or --api-key)'}")
    click.echo(f"serving on http://{shown}:{actual}/  (API docs at /docs; Ctrl-C stops)", nl=True)
    sys.stdout.flush()
    # the restored clusterer is millions of long-lived objects (3M at 100k articles): a full
    # collection walking them stops every request for ~2.5 s; frozen, the collector skips them
    gc.collect()
    gc.freeze()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        store.close()
        if tmp is not None:
            tmp.cleanup()
