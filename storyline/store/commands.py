"""Click commands over the store: ``ingest``, ``events``, ``event``, ``stories``, ``story``, ``export``, ``import``.

Plain ``@click.command()`` functions; :func:`attach` registers them on the main CLI.
The database is ``--db`` (a path, ``sqlite:///PATH`` or ``postgresql://…``), else
``$STORYLINE_DB``, else ``./storyline.db``. Exit codes: 0 ok, 1 some records
failed, 2 bad usage or unreadable input, 3 internal/config problem.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator, Sequence

import click

from storyline.errors import ConfigError, InputError, StorylineError
from storyline.store.base import EventFilter, StoreError, default_db

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

db_option = click.option("--db", "db", default=None, metavar="PATH|URL", help="Store: a path, sqlite:///PATH or postgresql://… (default $STORYLINE_DB or ./storyline.db).")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


def parse_since(value: str | None, *, now: datetime | None = None) -> datetime | None:
    """``2d``, ``12h``, ``30m``, ``1w`` ago, or an ISO date/time (UTC).

    >>> parse_since("2d", now=datetime(2020, 3, 3, tzinfo=timezone.utc)).isoformat()
    '2020-03-01T00:00:00+00:00'
    >>> parse_since("2020-02-29").isoformat()
    '2020-02-29T00:00:00+00:00'
    >>> parse_since("soon")
    Traceback (most recent call last):
    ...
    click.exceptions.BadParameter: 'soon' is neither a duration (2d, 12h, 30m, 1w) nor an ISO date
    """
    if value is None:
        return None
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*", value)
    if m:
        unit = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[m.group(2)]
        return (now or datetime.now(timezone.utc)) - timedelta(**{unit: float(m.group(1))})
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is neither a duration (2d, 12h, 30m, 1w) nor an ISO date") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


@contextmanager
def command_store(db: str | None, *, must_exist: bool = True) -> Iterator[Any]:
    """The store a command works on, closed afterwards; a store error ends the command with a one-line error
    (exit code 2 when it cannot be opened, 3 when it fails during the command)."""
    from storyline.store.base import open_store

    url = db or default_db()
    if must_exist and "://" not in url and not Path(url).exists():
        click.echo(f"error: no store at {url} (run `storyline ingest PATH --db {url}` first)", err=True)
        sys.exit(EXIT_USAGE)
    try:
        store = open_store(url)
    except StoreError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    try:
        yield store
    except StoreError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INTERNAL)
    finally:
        store.close()


@contextmanager
def _progress(total: int | None, label: str) -> Iterator[Any]:
    """A rich progress bar on stderr when it is a terminal; a no-op otherwise."""

    class _Null:
        def advance(self, n: int = 1) -> None:
            pass

    if not sys.stderr.isatty():
        yield _Null()
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(label, total=total)

        class _Bar:
            def advance(self, n: int = 1) -> None:
                progress.advance(task, n)

        yield _Bar()


def _print_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, default=str))


def _table(title: str, columns: Sequence[str], rows: list[list[str]], *, ids: Sequence[int] = (0,)) -> None:
    """Print a rich table; the ``ids`` columns are never wrapped or cut (ids are to be copied into the next command)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for i, c in enumerate(columns):
        table.add_column(c, no_wrap=i in ids, min_width=max((len(str(r[i])) for r in rows), default=0) if i in ids else None)
    for r in rows:
        table.add_row(*[escape(str(x)) for x in r])
    Console(highlight=False).print(table)


def _day(value: datetime | None) -> str:
    return value.date().isoformat() if value else "—"


# ------------------------------------------------------------------ ingest


@click.command()
@click.argument("paths", nargs=-1, required=True)
@db_option
@click.option("--profiler", type=click.Choice(["full", "fast", "lexical"]), default="full", show_default=True,
              help="full: every model; fast: no NER models; lexical: no models (hashed words, for tests/backfills).")
@click.option("--workers", type=click.IntRange(min=0), default=None, help="Profiling processes (default: CPUs; 0 = in this process).")
@click.option("--batch-size", type=click.IntRange(min=1), default=32, show_default=True, help="Articles per store transaction.")
@click.option("--snapshot-every", type=click.IntRange(min=1), default=2000, show_default=True, help="Articles between clusterer snapshots.")
@click.option("--keep-notices", is_flag=True,
              help="Store pages that are an anti-bot, captcha, paywall or 'access denied' notice instead of the article (by default each is reported as failed and not stored).")
@json_option
def ingest_command(paths: tuple[str, ...], db: str | None, profiler: str, workers: int | None, batch_size: int, snapshot_every: int, keep_notices: bool, as_json: bool) -> None:
    """Add articles (files, folders, JSONL/CSV records, RSS/Atom feed files) to the store.

    Each article is profiled, lands in an event at once (new or existing) and is stored with
    its event, story, merges and copy/translation links. Re-running skips what is stored
    (same content or same URL); a killed run loses only what was not yet committed.
    """
    from storyline.engine import default_workers
    from storyline.ingest import iter_articles
    from storyline.pipeline import Pipeline

    urls = [p for p in paths if p.startswith(("http://", "https://"))]
    paths = tuple(p for p in paths if p not in urls)
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        click.echo(f"error: no such file or folder: {', '.join(missing)}", err=True)
        sys.exit(EXIT_USAGE)
    n_workers = default_workers() if workers is None else workers
    with command_store(db, must_exist=False) as store:
        try:
            pipe = Pipeline(store, profiler=profiler, workers=n_workers, batch_size=batch_size, snapshot_every=snapshot_every,
                            keep_notices=keep_notices)
        except ConfigError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_INTERNAL)
        if pipe.replayed:
            click.echo(f"resumed: replayed {pipe.replayed} stored articles into the clusterer in {pipe.restore_seconds:.1f}s", err=True)

        def shout(err: Any) -> None:
            if not as_json:
                click.echo(f"failed: {err.source}: {err.reason}", err=True)

        own = _own_files(store)
        local = (x for x in iter_articles(list(paths)) if not (own and _source_path(x) in own)) if paths else iter(())
        items = itertools.chain(local, _fetched(urls))
        with _progress(None, "ingesting") as bar:
            report = pipe.ingest(items, on_progress=bar.advance, on_failure=shout)
        counts = store.counts()
    if as_json:
        _print_json({**report.to_json(), "store": counts})
    else:
        rate = f", {report.added / report.seconds:.1f} articles/s" if report.seconds > 0 and report.added else ""
        click.echo(
            f"{report.added} added, {report.duplicates} already stored, {report.failed} failed{rate}; "
            f"store: {counts['articles']} articles, {counts['events']} events, {counts['stories']} stories",
            err=True,
        )
    if report.failed:
        sys.exit(EXIT_FAILED)


def _fetched(urls: Sequence[str]) -> Iterator[Any]:
    """Articles of pages and feeds on the web (:mod:`storyline.fetch`: bounded, robots.txt, no private addresses)."""
    if not urls:
        return
    from storyline.fetch import Fetcher, FetchPolicy
    from storyline.types import RecordError

    fetcher = Fetcher(FetchPolicy())
    for url in urls:
        try:
            yield from fetcher.fetch_articles(url)
        except InputError as exc:
            yield RecordError.from_exc(url, "ingest", exc)


def _own_files(store: Any) -> set[str]:
    """The store's own files (a folder being ingested may contain them): never read as articles."""
    path = getattr(store, "path", None)
    if path is None:
        return set()
    base = Path(path).resolve()
    return {str(base), f"{base}-wal", f"{base}-shm", f"{base}-journal"}


def _source_path(item: Any) -> str:
    src = item.source
    if src.startswith("file:"):
        src = src[len("file:") :]
    try:
        return str(Path(src).resolve())
    except (OSError, ValueError):
        return src


# ------------------------------------------------------------------ reading


def _filter(since: str | None, until: str | None, lang: str | None, source: str | None, entity: str | None, place: str | None,
            q: str | None, limit: int, offset: int) -> EventFilter:
    return EventFilter(since=parse_since(since), until=parse_since(until), language=lang, source=source, entity=entity, place=place,
                       q=q, limit=limit, offset=offset)


def filter_options(f: Any) -> Any:
    for option in reversed([
        click.option("--since", default=None, help="Seen since: 2d, 12h, 1w or an ISO date."),
        click.option("--until", default=None, help="Seen until: a duration ago or an ISO date."),
        click.option("--lang", default=None, help="Has an article in this language (ISO 639-1)."),
        click.option("--source", default=None, help="Has an article from this outlet."),
        click.option("--entity", default=None, help="Names this entity (any spelling or script)."),
        click.option("--place", default=None, help="Names this place (id like geonames:290030, or name)."),
        click.option("--q", "q", default=None, help="Free text (matches names across scripts)."),
        click.option("--limit", type=click.IntRange(min=1, max=1000), default=50, show_default=True),
        click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True),
    ]):
        f = option(f)
    return f


@click.command()
@db_option
@filter_options
@json_option
def events_command(db: str | None, as_json: bool, **kw: Any) -> None:
    """Events, most recently seen first: headline per language, sources, languages, first/last seen, counts."""
    with command_store(db) as store:
        page = store.list_events(_filter(**kw))
    if as_json:
        _print_json(page.to_json())
        return
    rows = [
        [e.event_id, "\n".join(f"[{lang}] {h}" for lang, h in e.headlines.items()), ", ".join(e.languages), str(len(e.sources)),
         f"{e.n_articles} / {e.n_independent}", f"{_day(e.first_seen)} … {_day(e.last_seen)}"]
        for e in page.items
    ]
    _table(f"events {page.offset + 1}–{page.offset + len(page.items)} of {page.total}",
           ["event", "headlines", "languages", "sources", "articles / independent", "seen"], rows)


@click.command()
@click.argument("event_id")
@db_option
@json_option
def event_command(event_id: str, db: str | None, as_json: bool) -> None:
    """One event with its articles (copies and translations marked)."""
    with command_store(db) as store:
        event = store.get_event(event_id)
    if event is None:
        click.echo(f"error: no event {event_id}", err=True)
        sys.exit(EXIT_USAGE)
    if as_json:
        _print_json(event.to_json())
        return
    click.echo(f"{event.event_id}  story {event.story_id}  {event.n_articles} articles, {event.n_independent} independent")
    _table("articles", ["article", "lang", "outlet", "published", "title", "copy of"],
           [[a.article_id, a.language, a.outlet, _day(a.published_at), a.title, f"{a.copy_kind} of {a.copy_of}" if a.copy_of else ""]
            for a in event.articles])


@click.command()
@db_option
@filter_options
@json_option
def stories_command(db: str | None, as_json: bool, **kw: Any) -> None:
    """Stories (events that belong together over time), most recently seen first."""
    with command_store(db) as store:
        page = store.list_stories(_filter(**kw))
    if as_json:
        _print_json(page.to_json())
        return
    rows = [[s.story_id, s.headline, str(s.n_events), f"{s.n_articles} / {s.n_independent}", ", ".join(s.languages), str(len(s.sources)),
             f"{_day(s.first_seen)} … {_day(s.last_seen)}"] for s in page.items]
    _table(f"stories {page.offset + 1}–{page.offset + len(page.items)} of {page.total}",
           ["story", "headline", "events", "articles / independent", "languages", "sources", "seen"], rows)


def timeline_date(entry: dict[str, Any]) -> str:
    """How a timeline entry's date reads: a day, a month or a year as precise as the text gave it, else when it was stored.

    >>> timeline_date({"date": "2021-05-01", "precision": "month"}), timeline_date({"date": "2018-08-26", "precision": "day"})
    ('2021-05', '2018-08-26')
    >>> timeline_date({"date": None, "first_seen": "2026-11-29"})
    'undated (stored 2026-11-29)'
    """
    day = entry.get("date")
    if not day:
        return f"undated (stored {entry['first_seen']})" if entry.get("first_seen") else "undated"
    return {"month": day[:7], "year": day[:4]}.get(entry.get("precision") or "day", day)


@click.command()
@click.argument("story_id")
@db_option
@json_option
def story_command(story_id: str, db: str | None, as_json: bool) -> None:
    """One story: timeline, events, entities, places and disagreements."""
    with command_store(db) as store:
        story = store.get_story(story_id)
    if story is None:
        click.echo(f"error: no story {story_id}", err=True)
        sys.exit(EXIT_USAGE)
    if as_json:
        _print_json(story.to_json())
        return
    click.echo(f"{story.story_id}: {story.headline}  ({story.n_events} events, {story.n_articles} articles, {story.n_independent} independent)")
    _table("timeline", ["date", "event", "headlines", "articles"],
           [[timeline_date(t), t["event_id"], "\n".join(f"[{k}] {v}" for k, v in t["headlines"].items()), str(t["n_articles"])] for t in story.timeline],
           ids=(0, 1))
    if story.entities:
        _table("entities", ["name", "type", "spellings"],
               [[e["name"], e["label"], "; ".join(f"{k}: {', '.join(v)}" for k, v in e["variants"].items())] for e in story.entities[:15]])
    if story.places:
        _table("places", ["place", "country", "articles"], [[p["name"], p["country"], str(p["n_articles"])] for p in story.places[:15]])
    if story.disagreements:
        _table("numbers across articles", ["label", "what", "sides"],
               [[d["label"], f"{d['unit']} ({d['subject'] or '?'})",
                 " | ".join(f"{s['value']:g}: {', '.join(s.get('sources') or s.get('article_ids') or [])}" for s in d["sides"])]
                for d in story.disagreements[:15]])


# ------------------------------------------------------------------ export / import


@click.command()
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "parquet"]), default=None,
              help="jsonl (default) or parquet (one file, a row per record); default: from OUT's suffix (.parquet)")
@db_option
def export_command(out: Path, fmt: str | None, db: str | None) -> None:
    """Write the whole store to a JSONL or Parquet file (articles with profiles, events, stories, links, failures)."""
    from storyline.store.transfer import export_store

    with command_store(db) as store, _progress(None, "exporting") as bar:
        counts = export_store(store, out, format=fmt, on_row=bar.advance)
    click.echo(", ".join(f"{n} {k}s" for k, n in counts.items()) or "empty store", err=True)


@click.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
def import_command(path: Path, db: str | None) -> None:
    """Read a JSONL or Parquet export into the store (records already present are skipped)."""
    from storyline.store.transfer import import_export

    with command_store(db, must_exist=False) as store, _progress(None, "importing") as bar:
        try:
            counts = import_export(store, path, on_row=bar.advance)
        except InputError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_USAGE)
    click.echo(", ".join(f"{n} {k}s" for k, n in counts.items()) or "nothing imported", err=True)


def attach(main: click.Group) -> None:
    """Register the store commands on the main CLI group."""
    main.add_command(ingest_command, name="ingest")
    main.add_command(events_command, name="events")
    main.add_command(event_command, name="event")
    main.add_command(stories_command, name="stories")
    main.add_command(story_command, name="story")
    main.add_command(export_command, name="export")
    main.add_command(import_command, name="import")


__all__ = ["attach", "parse_since", "StorylineError"]
