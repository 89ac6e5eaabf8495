"""``storyline batch``: profile (and cluster) a large corpus into Parquet shards and/or the store.

Exit codes: 0 everything worked; 1 some records failed (the rest were done);
2 bad usage or unreadable input; 3 a configuration problem (e.g. Ray missing).
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

import click

from storyline.errors import ConfigError, InputError, StorylineError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CONFIG = 0, 1, 2, 3


class _Bar:
    """Progress over shards and articles on stderr (a rich bar when stderr is a terminal)."""

    def __init__(self, total_shards: int, finished: int, label: str) -> None:
        self.articles = 0
        self.start = time.perf_counter()
        self._progress: Any = None
        if sys.stderr.isatty() and total_shards:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

            self._progress = Progress(
                TextColumn(label),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("shards · {task.fields[articles]:,} articles · {task.fields[rate]} articles/s"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._task = self._progress.add_task(label, total=total_shards, completed=finished, articles=0, rate="—")
            self._progress.start()

    def advance(self, summary: dict[str, Any]) -> None:
        self.articles += int(summary["articles"]) + len(summary["failures"])
        if self._progress is not None:
            rate = self.articles / max(1e-9, time.perf_counter() - self.start)
            self._progress.update(self._task, advance=1, articles=self.articles, rate=f"{rate:,.0f}")

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()


@click.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="local: worker processes on this machine; ray: Ray actors on a local or existing Ray cluster (extra 'ray').")
@click.option("--ray-api", type=click.Choice(["actors", "data"]), default="actors", show_default=True,
              help="With --engine ray: plain Ray actors, or Ray Data's map_batches over an actor pool (same results; Ray Data "
              "adds its streaming executor's back-pressure and autoscaling at a few % of a core).")
@click.option("--address", default=None, metavar="ADDR", help="Ray cluster to join (auto, ray://head:10001); default: start a local one.")
@click.option("--out", "out", default="profiles.parquet", show_default=True, metavar="DIR|URI",
              help="Output folder of Parquet shards (local path or a URI pyarrow supports, e.g. s3://bucket/run1).")
@click.option("--db", "db", default=None, metavar="PATH|URL", help="Also add the profiled articles to this store (clustered in date order).")
@click.option("--profiler", type=click.Choice(["full", "fast", "lexical"]), default="full", show_default=True,
              help="full: every model; fast: no NER models; lexical: no models (hashed words, for tests/backfills).")
@click.option("--workers", type=click.IntRange(min=0), default=None, help="Processes (local) or Ray actors (default: CPUs; local 0 = in this process).")
@click.option("--shard-size", type=click.IntRange(min=1), default=1000, show_default=True, help="Records (or files) per shard.")
@click.option("--cluster", is_flag=True, help="Cluster the profiled corpus into events and stories (writes OUT/_events.parquet).")
@click.option("--partition-days", type=click.FloatRange(min=0, min_open=True), default=None, metavar="DAYS",
              help="With --cluster: cluster time partitions of DAYS days in parallel on the engine, then stitch them (bounded memory).")
@click.option("--resume", is_flag=True, help="Finish an interrupted batch in OUT: finished shards are skipped.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def batch_command(
    inputs: tuple[str, ...],
    engine: str,
    ray_api: str,
    address: str | None,
    out: str,
    db: str | None,
    profiler: str,
    workers: int | None,
    shard_size: int,
    cluster: bool,
    partition_days: float | None,
    resume: bool,
    as_json: bool,
) -> None:
    """Profile a large corpus in parallel into Parquet shards (and/or the store); resumable.

    INPUT is a file or folder (JSONL, CSV, Parquet, HTML, text, feeds), local or a URI
    pyarrow reads (s3://, gs://, hdfs://). Work is cut into deterministic shards; each
    finished shard is written atomically with a marker, so `--resume` skips it.
    """
    from storyline.batch.executors import import_ray, run_shards
    from storyline.batch.shards import plan_shards
    from storyline.batch.work import done_shards, load_plan, plan_fingerprint, remove_temporary, save_plan, shard_summaries

    if workers is None:
        workers = os.cpu_count() or 1
    try:
        if engine == "ray":
            import_ray()
        shards = plan_shards(list(inputs), shard_size=shard_size, exclude=out)
        previous = load_plan(out)
        fingerprint = plan_fingerprint(shards, profiler)
        if previous is not None and not resume:
            raise InputError(out, "already holds a batch; add --resume to finish it (finished shards are skipped), or choose another --out")
        if previous is not None and previous.get("fingerprint") != fingerprint:
            raise InputError(out, "holds a batch of other inputs, shard size or profiler; use the same ones to resume, or another --out")
        if previous is None:
            save_plan(out, list(inputs), shards, profiler, shard_size)
        if previous is not None:
            remove_temporary(out)  # what a killed run was writing: its shard has no marker, so it runs again
        finished = done_shards(out) if previous is not None else set()
        todo = [s for s in shards if s.shard_id not in finished]
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_CONFIG)
    except StorylineError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    if len(todo) < len(shards):
        click.echo(f"resuming: {len(shards) - len(todo)} of {len(shards)} shards already done, skipped", err=True)

    wall, cpu = time.perf_counter(), time.process_time()
    bar = _Bar(len(shards), len(shards) - len(todo), f"profiling ({engine})")
    try:
        done_now = run_shards(todo, out, profiler, engine=engine, workers=workers, address=address, on_done=bar.advance, ray_api=ray_api)
    finally:
        bar.close()
    seconds = time.perf_counter() - wall
    summaries = shard_summaries(out, shards)
    failures = [f for s in summaries for f in s["failures"]]
    articles_now = sum(s["articles"] for s in done_now)
    report: dict[str, Any] = {
        "out": out,
        "engine": engine,
        "workers": workers,
        "profiler": profiler,
        "shards": len(shards),
        "shards_run": len(done_now),
        "shards_skipped": len(shards) - len(todo),
        "articles": sum(s["articles"] for s in summaries),
        "failed": len(failures),
        "articles_run": articles_now,
        "seconds": round(seconds, 3),
        "articles_per_second": round(articles_now / seconds, 2) if seconds > 0 and articles_now else None,
        "worker_cpu_seconds": round(sum(s["cpu_seconds"] for s in done_now), 3),
        "driver_cpu_seconds": round(time.process_time() - cpu, 3),
        "failures": failures,
        "fingerprint": fingerprint,
    }
    if cluster and db is None:
        from storyline.batch.corpus import cluster_corpus
        from storyline.batch.partitions import cluster_partitioned

        if partition_days is not None:
            result: Any = cluster_partitioned(out, days=partition_days, engine=engine, workers=workers, address=address)
        else:
            result = cluster_corpus(out)
        report["cluster"] = {"articles": result.articles, "events": result.events, "stories": result.stories,
                             "partitions": getattr(result, "partitions", 1),
                             "seconds": round(result.seconds, 3), "cpu_seconds": round(result.cpu_seconds, 3)}
        report["copies"] = _write_copies(out, result.translations, engine, workers, address)
    if db is not None:
        report["store"] = _load_store(out, db, cluster)
    _print_report(report, as_json)
    sys.exit(EXIT_FAILED if failures else EXIT_OK)


def _write_copies(out: str, translations: list[Any], engine: str, workers: int, address: str | None) -> dict[str, Any]:
    """Near-duplicates over the whole corpus (MinHash LSH) and the clusterer's translations → OUT/_copies.parquet."""
    from storyline.batch.duplicates import CopyLink, find_near_duplicates, write_copies

    wall = time.perf_counter()
    links = find_near_duplicates(out, engine=engine, workers=workers, address=address)
    links += [CopyLink(*t) for t in translations]
    write_copies(out, links)
    kinds = [x.kind for x in links]
    return {"near_duplicates": kinds.count("near_duplicate"), "translations": kinds.count("translation"), "seconds": round(time.perf_counter() - wall, 3)}


def _load_store(out: str, db: str, write_events: bool) -> dict[str, Any]:
    from storyline.batch.corpus import load_into_store, write_events as write_event_file
    from storyline.store.commands import command_store

    with command_store(db, must_exist=False) as store:
        ingest, pipe = load_into_store(out, store)
        if write_events:  # the store's own decisions, so the file and the store agree
            links = pipe.linker.assignments_ if hasattr(pipe.linker, "assignments_") else {}
            assignments = {a: (e, links.get(e, "")) for a, e in getattr(pipe.clusterer, "assignments_", {}).items()}
            write_event_file(out, assignments)
        counts = store.counts()
    return {"db": db, "added": ingest.added, "duplicates": ingest.duplicates, "seconds": round(ingest.seconds, 3), "counts": counts}


def _print_report(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
        return
    for f in report["failures"][:50]:
        click.echo(f"failed: {f['source']}: {f['reason']}", err=True)
    if len(report["failures"]) > 50:
        click.echo(f"… and {len(report['failures']) - 50} more failures (see the _shard-*.json files in {report['out']})", err=True)
    rate = report["articles_per_second"]
    click.echo(
        f"{report['articles']:,} articles profiled, {report['failed']:,} failed, in {report['shards']} shards "
        f"({report['shards_run']} run now, {report['shards_skipped']} skipped) → {report['out']}"
    )
    click.echo(
        f"this run: {report['articles_run']:,} articles in {report['seconds']:.1f}s"
        + (f" = {rate:,.1f} articles/s" if rate else "")
        + f" ({report['engine']}, {report['workers']} workers, profiler {report['profiler']}; worker CPU {report['worker_cpu_seconds']:.1f}s)"
    )
    if "cluster" in report:
        c = report["cluster"]
        click.echo(f"clustered: {c['articles']:,} articles → {c['events']:,} events, {c['stories']:,} stories in {c['seconds']:.1f}s → {report['out']}/_events.parquet")
    if "copies" in report:
        k = report["copies"]
        click.echo(f"copies: {k['near_duplicates']:,} near-duplicates, {k['translations']:,} translations in {k['seconds']:.1f}s → {report['out']}/_copies.parquet")
    if "store" in report:
        s = report["store"]
        click.echo(f"store {s['db']}: {s['added']:,} added, {s['duplicates']:,} already there, in {s['seconds']:.1f}s")
