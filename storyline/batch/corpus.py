"""A profiled corpus (the Parquet shards of a batch) in date order: clustering and loading into a store.

Each shard is sorted by publication time, so a k-way merge of the shards
(:func:`iter_in_date_order`) streams the whole corpus in date order while holding
one row batch per shard. :func:`cluster_corpus` feeds that stream to the online
:class:`~storyline.cluster.EventClusterer` — its candidate blocking is the time
window × nearest event centroids (an HNSW index past ``ann_after`` events) plus
MinHash bands for near-duplicates, each candidate scored with the pair scorer's
features — then lets lone articles join their best event (as ``cluster_many``
does) and links events into stories. :func:`load_into_store` feeds the same
stream to a :class:`~storyline.pipeline.Pipeline`, so the online engine carries
on from the result.

>>> import pathlib, tempfile
>>> from storyline.batch.shards import plan_shards
>>> from storyline.batch.executors import run_local
>>> tmp = pathlib.Path(tempfile.mkdtemp())
>>> rows = ['{"title": "Quake hits Kabul", "text": "A strong quake hit Kabul on Monday. Dozens died in Kabul.", "date": "2021-03-01"}',
...         '{"title": "Kabul quake kills dozens", "text": "A strong quake hit Kabul on Monday. Dozens died in Kabul, officials said.", "date": "2021-03-01"}',
...         '{"title": "Cup final", "text": "The home side won the cup final on penalties after extra time.", "date": "2021-03-02"}']
>>> _ = (tmp / "a.jsonl").write_text("\\n".join(rows))
>>> out = str(tmp / "out")
>>> _ = list(run_local(plan_shards([str(tmp / "a.jsonl")], shard_size=2), out, "lexical"))
>>> result = cluster_corpus(out)
>>> result.articles, result.events
(3, 2)
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterator

from storyline.batch.work import _sort_key, filesystem
from storyline.store.codec import decode_profile
from storyline.types import Article, Profile

_COLUMNS = ["article_id", "source", "outlet", "title", "text", "published_at", "url", "author", "profile"]


def _part_paths(out: str) -> list[str]:
    from pyarrow import fs as pafs

    fs, root = filesystem(out)
    files = {info.base_name: info.path for info in fs.get_file_info(pafs.FileSelector(root)) if info.type == pafs.FileType.File}
    return sorted(p for b, p in files.items() if b.startswith("part-") and b.endswith(".parquet") and f"_shard-{b[5:-8]}.json" in files)


def _iter_part(path: str, fs: Any, columns: list[str]) -> Iterator[dict[str, Any]]:
    import pyarrow.parquet as pq

    with fs.open_input_file(path) as fh:
        for batch in pq.ParquetFile(fh).iter_batches(batch_size=256, columns=columns):
            yield from batch.to_pylist()


def iter_in_date_order(out: str, columns: list[str] | None = None) -> Iterator[dict[str, Any]]:
    """Every row of the finished shards, oldest first (undated last; ties by article id)."""
    fs, _ = filesystem(out)
    cols = columns or _COLUMNS
    cols = cols if "article_id" in cols and "published_at" in cols else list(dict.fromkeys([*cols, "article_id", "published_at"]))
    streams = [_iter_part(p, fs, cols) for p in _part_paths(out)]
    yield from heapq.merge(*streams, key=_sort_key)


def row_to_article(row: dict[str, Any]) -> Article:
    """The :class:`Article` a shard row was made from (its ``outlet`` kept in ``meta``)."""
    when = row["published_at"]
    if isinstance(when, datetime) and when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return Article(
        article_id=row["article_id"],
        source=row["source"],
        title=row["title"],
        text=row["text"],
        published_at=when,
        url=row["url"],
        author=row["author"],
        meta={"outlet": row["outlet"]} if row.get("outlet") else {},
    )


@dataclass
class ClusterResult:
    """What :func:`cluster_corpus` found; ``assignments`` maps article → (event, story);
    ``translations`` are the clusterer's ``(copy, original, "translation", score)`` edges."""

    articles: int
    events: int
    stories: int
    assignments: dict[str, tuple[str, str]]
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    translations: list[tuple[str, str, str, float]] = field(default_factory=list)


def cluster_corpus(out: str, *, clusterer: Any = None, linker: Any = None, write: bool = True) -> ClusterResult:
    """Cluster every profiled article of ``out`` in date order; writes ``out/_events.parquet``
    (``article_id, event_id, story_id``) when ``write``."""
    import time

    from storyline.cluster import EventClusterer
    from storyline.pipeline import ShortlistStoryLinker

    wall, cpu = time.perf_counter(), time.process_time()
    clusterer = clusterer if clusterer is not None else EventClusterer()
    linker = linker if linker is not None else ShortlistStoryLinker()
    order: list[str] = []
    for row in iter_in_date_order(out, ["article_id", "published_at", "outlet", "profile"]):
        profile: Profile = decode_profile(row["profile"])
        clusterer.learn_one(profile, source=row["outlet"] or None)
        order.append(row["article_id"])
    if order:
        clusterer.rescue_singletons()  # what cluster_many does after its pass (lone articles join their best event)
        clusterer.consolidate()  # and then (events split online rejoin)
        split_events(out, clusterer)  # and last, events joined online through one ambiguous article are cut
        stories = linker.link_many(clusterer)
    else:
        stories = {}
    assignments = {a: (clusterer.assignments_[a], stories.get(clusterer.assignments_[a], "")) for a in order}
    copies = getattr(clusterer, "copies_", None)  # learned state: absent when nothing was learned
    result = ClusterResult(
        articles=len(order),
        events=len({e for e, _ in assignments.values()}),
        stories=len({s for _, s in assignments.values()}),
        assignments=assignments,
        seconds=time.perf_counter() - wall,
        cpu_seconds=time.process_time() - cpu,
        translations=[e for e in copies.edges if e[2] == "translation"] if copies is not None else [],
    )
    if write:
        write_events(out, assignments)
    return result


def split_events(out: str, clusterer: Any) -> None:
    """:meth:`EventClusterer.split_events` as :meth:`~EventClusterer.cluster_many` ends, with digests
    made only for the members of the events it may split (their profiles read again from ``out``), so
    memory does not grow with the corpus."""
    from storyline.cluster.features import Digest

    wanted = clusterer.split_candidates()
    if not wanted:
        return
    digests = {}
    for row in iter_in_date_order(out, ["article_id", "published_at", "profile"]):
        if row["article_id"] in wanted:
            digests[row["article_id"]] = Digest(decode_profile(row["profile"]))
    clusterer.split_events(digests)


def write_events(out: str, assignments: dict[str, tuple[str, str]]) -> None:
    """``out/_events.parquet``: one row per article with its event and story (written atomically)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from storyline.batch.work import _write_atomic

    ids = list(assignments)
    table = pa.table(
        {"article_id": ids, "event_id": [assignments[a][0] for a in ids], "story_id": [assignments[a][1] for a in ids]}
    )

    def write(fs: Any, path: str) -> None:
        with fs.open_output_stream(path) as fh:
            pq.write_table(table, fh, compression="zstd")

    _write_atomic(out, "_events.parquet", write)


def load_into_store(out: str, store: Any, *, batch_size: int = 256, snapshot_every: int = 5000, on_progress: Any = None) -> Any:
    """Add every profiled article of ``out`` to ``store`` in date order through the online pipeline
    (clustered as ``storyline ingest`` would, stored ones skipped); returns the pipeline's
    :class:`~storyline.pipeline.IngestReport` and leaves a snapshot the online engine starts from."""
    encoded: dict[str, bytes] = {}
    recent: deque[str] = deque()

    def items() -> Iterator[Article]:
        for row in iter_in_date_order(out):
            encoded[row["article_id"]] = row["profile"]
            recent.append(row["article_id"])
            if len(recent) > 4096:  # skipped (already stored) articles' bytes are dropped once far behind
                encoded.pop(recent.popleft(), None)
            yield row_to_article(row)

    from storyline.pipeline import Pipeline

    pipe = Pipeline(store, profiler="lexical", workers=0, batch_size=batch_size, snapshot_every=snapshot_every)  # profiles nothing
    return pipe.ingest(items(), on_progress=on_progress, encoded=lambda a: encoded.pop(a.article_id)), pipe
