"""Click commands for clustering: ``storyline cluster`` and ``storyline eval clusters``.

Plain ``@click.command()`` functions; the main CLI attaches them (``cluster_command``
as ``cluster``, ``eval_clusters_command`` as ``clusters`` under ``eval``).
Progress bars go to stderr, and only when stderr is a terminal.
"""

from __future__ import annotations

import json
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

import click

from storyline.cluster.evaluate import LEVELS, clustering_report, read_gold
from storyline.types import Article, RecordError


@contextmanager
def _progress(total: int | None, label: str) -> Iterator[Any]:
    """A rich progress bar on stderr when it is a terminal; a no-op otherwise."""
    if not sys.stderr.isatty():

        class _Null:
            def advance(self, n: int = 1) -> None:
                pass

        yield _Null()
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=Console(stderr=True), transient=True
    ) as progress:
        task = progress.add_task(label, total=total)

        class _Bar:
            def advance(self, n: int = 1) -> None:
                progress.advance(task, n)

        yield _Bar()


def _read_articles(path: Path) -> tuple[list[Article], list[RecordError]]:
    try:
        from storyline.ingest import iter_articles
    except ImportError:  # pragma: no cover - ingest not installed yet
        docs = read_gold(path)
        return [d.article for d in docs], []
    articles: list[Article] = []
    errors: list[RecordError] = []
    for item in iter_articles([path]):
        (errors if isinstance(item, RecordError) else articles).append(item)  # type: ignore[arg-type]
    return articles, errors


def _profile_all(articles: Sequence[Article], label: str) -> list[Any]:
    from storyline.analyse.profile import Profiler

    profiler = Profiler()
    out = []
    with _progress(len(articles), label) as bar:
        for article in articles:
            out.append(profiler.profile(article))
            bar.advance()
    return out


@click.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write JSONL here (default: stdout).")
@click.option("--threshold", type=float, default=None, help="Article–event score needed to join an event (default 0.5).")
def cluster_command(path: Path, out: Path | None, threshold: float | None) -> None:
    """Cluster the articles of a JSONL file into events (batch, no database).

    Writes one JSON object per article: id, article_id, event, story, copy_of, copy_kind.
    """
    from storyline.cluster.events import EventClusterer
    from storyline.cluster.stories import StoryLinker

    articles, errors = _read_articles(path)
    for err in errors:
        click.echo(f"skipped {err.source}: {err.reason}", err=True)
    profiles = _profile_all(articles, "profiling")
    model = EventClusterer() if threshold is None else EventClusterer(threshold=threshold)
    events = model.cluster_many(profiles)
    stories = StoryLinker().link_many(model)
    copies = {c: (o, kind) for c, o, kind, _ in model.copies_.edges}
    sink = out.open("w", encoding="utf-8") if out else sys.stdout
    try:
        for article, event in zip(articles, events):
            copy = copies.get(article.article_id)
            row = {
                "id": article.meta.get("record_id", article.meta.get("id")),
                "article_id": article.article_id,
                "event": event,
                "story": stories.get(event),
                "copy_of": copy[0] if copy else None,
                "copy_kind": copy[1] if copy else None,
            }
            sink.write(json.dumps(row, ensure_ascii=False) + "\n")
    finally:
        if out:
            sink.close()
    click.echo(f"{len(articles)} articles, {len(model.events_)} events, {len(set(stories.values()))} stories, "
               f"{len(model.copies_)} copies/translations, {len(errors)} skipped", err=True)
    if errors:
        sys.exit(1)


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--level", type=click.Choice(sorted(LEVELS)), default="event", show_default=True, help="Gold field: event, or story (= topic).")
def eval_clusters_command(files: tuple[Path, ...], as_json: bool, level: str) -> None:
    """B-cubed precision, recall and F1 of storyline's event clustering against gold files.

    Files use the ../shared/data/clustering format (id, lang, title, text, date, event, topic).
    Several files are clustered as one stream (gold labels are kept apart per file).
    """
    from storyline.cluster.events import EventClusterer

    docs = [d for path in files for d in read_gold(path, prefix=f"{path}:" if len(files) > 1 else "")]
    started = time.perf_counter()
    profiles = _profile_all([d.article for d in docs], "profiling")
    pred = EventClusterer().cluster_many(profiles)
    gold = [d.event if level == "event" else d.topic for d in docs]
    report = clustering_report(pred, gold, seconds=time.perf_counter() - started)
    report["level"] = level
    if as_json:
        click.echo(json.dumps(report))
        return
    b = report["bcubed"]
    click.echo(
        f"n={report['n']}  B-cubed P={b['precision']:.3f} R={b['recall']:.3f} F1={b['f1']:.3f}  "
        f"clusters={report['clusters']} (gold {report['gold_clusters']})  {report['docs_per_second']} docs/s"
    )
