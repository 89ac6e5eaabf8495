"""Batch clustering in parallel: time partitions clustered independently, then stitched.

The date-ordered corpus is cut into partitions of ``days`` days. Each partition is
clustered by its own :class:`~storyline.cluster.EventClusterer` (in a worker process
or a Ray task), after first learning the ``overlap_days`` before it as *context*, so
an article at the start of a partition still sees the events it could join. Every
article is *core* in exactly one partition; where a partition's context article sits
in an event together with core articles, that event and the event the article got in
its own partition are the same event (union-find over ``(partition, event)``
labels). Events are then rebuilt from their core members only (no double counting),
and linked into stories by one :class:`~storyline.pipeline.ShortlistStoryLinker` over
all events (events are ~1 per 5 articles). Undated articles form one partition of
their own.

What this changes against :func:`storyline.batch.corpus.cluster_corpus`: clustering
memory is bounded by the articles of one partition plus its overlap (not the corpus),
and partitions run in parallel; the price is that two events are stitched only through
articles of an overlap, and that the clusterers of different partitions do not see each
other's events beyond ``overlap_days``.

>>> import pathlib, tempfile, json
>>> from storyline.batch.shards import plan_shards
>>> from storyline.batch.executors import run_local
>>> tmp = pathlib.Path(tempfile.mkdtemp())
>>> text = "A strong quake hit Kabul on Monday. Dozens died in Kabul, officials said. Rescuers searched the rubble."
>>> rows = [{"title": f"Kabul quake day {d}", "text": text + f" Update {d}.", "date": f"2021-03-0{d}"} for d in (1, 2, 3, 4)]
>>> _ = (tmp / "a.jsonl").write_text("\\n".join(json.dumps(r) for r in rows))
>>> out = str(tmp / "out")
>>> _ = list(run_local(plan_shards([str(tmp / "a.jsonl")]), out, "lexical"))
>>> result = cluster_partitioned(out, days=1, overlap_days=1, workers=0)
>>> result.partitions, result.events, result.articles
(4, 1, 4)
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterator, Sequence

from storyline.batch.corpus import ClusterResult, _part_paths, write_events
from storyline.batch.work import _sort_key, filesystem


def _ts_type() -> object:
    import pyarrow as pa

    return pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class Partition:
    """Core range ``[start, end)`` (``None``: the undated articles) and the context before it."""

    index: int
    start: datetime | None
    end: datetime | None
    overlap_days: float


def plan_partitions(out: str, *, days: float = 90.0, overlap_days: float = 30.0) -> list[Partition]:
    """Partitions of ``days`` days from the oldest to the newest dated article (+ one for undated ones)."""
    import pyarrow.compute as pc

    from storyline.batch.work import read_profiles

    when = read_profiles(out, ["published_at"]).column("published_at")
    parts: list[Partition] = []
    if when.null_count < len(when):
        lo, hi = pc.min(when).as_py(), pc.max(when).as_py()
        step = timedelta(days=days)
        start = lo
        while start <= hi:
            parts.append(Partition(len(parts), start, start + step, overlap_days))
            start += step
    if when.null_count:
        parts.append(Partition(len(parts), None, None, 0.0))
    return parts


def _rows(out: str, part: Partition) -> list[dict[str, Any]]:
    """The partition's rows (context first, then core), oldest first, with a ``core`` flag."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    fs, _ = filesystem(out)
    columns = ["article_id", "published_at", "outlet", "profile"]
    rows: list[dict[str, Any]] = []
    lo = part.start - timedelta(days=part.overlap_days) if part.start is not None else None
    field = pc.field("published_at")
    wanted = field.is_null() if part.start is None else (field >= pa.scalar(lo, _ts_type())) & (field < pa.scalar(part.end, _ts_type()))
    for path in _part_paths(out):
        with fs.open_input_file(path) as fh:
            # parts are sorted by time in small row groups, so the statistics skip most of each part
            table = pq.read_table(fh, columns=columns, filters=wanted)
        for row in table.to_pylist():
            when = row["published_at"]
            row["core"] = part.start is None or when >= part.start
            rows.append(row)
    rows.sort(key=_sort_key)
    return rows


def cluster_partition(out: str, part: Partition, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Cluster one partition; returns its core and context assignments and its events rebuilt from core members."""
    from storyline.cluster import EventClusterer
    from storyline.cluster.events import EventState
    from storyline.cluster.features import Digest
    from storyline.store.codec import decode_profile

    cpu = time.process_time()
    clusterer = EventClusterer(**(params or {}))
    rows = _rows(out, part)
    profiles = {}
    context_profiles = {}  # the split at the end needs them too
    for row in rows:
        profile = decode_profile(row["profile"])
        clusterer.learn_one(profile, source=row["outlet"] or None)
        if row["core"]:
            profiles[row["article_id"]] = (profile, row["outlet"])
        else:
            context_profiles[row["article_id"]] = profile
    if rows:
        clusterer.rescue_singletons()  # as cluster_many does after its pass
        clusterer.consolidate()
        wanted = clusterer.split_candidates()  # and the split, with digests only where it may cut
        clusterer.split_events({a: Digest(profiles[a][0] if a in profiles else context_profiles[a]) for a in wanted})
    core = {a: clusterer.assignments_[a] for a in profiles}
    context = {r["article_id"]: clusterer.assignments_[r["article_id"]] for r in rows if not r["core"]}
    events: dict[str, EventState] = {}
    for article_id, event_id in core.items():  # rows are in date order, so members are too
        ev = events.setdefault(event_id, EventState(event_id=event_id, slot=0))
        profile, outlet = profiles[article_id]
        ev.add(Digest(profile), representatives=clusterer.representatives, source=outlet or None)
    copies = getattr(clusterer, "copies_", None)  # learned state: absent when the partition is empty
    translations = [e for e in (copies.edges if copies is not None else []) if e[2] == "translation" and e[0] in core]
    splits = list(getattr(clusterer, "splits_", ()))  # (event, the event cut off from it, ratio)
    return {"index": part.index, "core": core, "context": context, "events": events, "translations": translations,
            "splits": splits, "cpu_seconds": time.process_time() - cpu, "pid": os.getpid()}


def stitched_splits(results: Sequence[dict[str, Any]], assignments: dict[str, str]) -> list[tuple[str, str, float]]:
    """The partitions' splits (``EventClusterer.splits_``) in stitched event ids, for the story linker,
    which keeps the two halves of a split in one story. A split whose halves have no core member in
    their partition, or that stitching joined again, is left out.

    >>> results = [{"core": {"a": "e1", "b": "e2", "c": "e3"}, "splits": [("e1", "e2", 0.3), ("e1", "e9", 0.2)]}]
    >>> stitched_splits(results, {"a": "p0000-e1", "b": "p0000-e2", "c": "p0000-e3"})
    [('p0000-e1', 'p0000-e2', 0.3)]
    """
    out = []
    for r in results:
        member: dict[str, str] = {}
        for article, event in r["core"].items():
            member.setdefault(event, article)
        for a, b, ratio in r.get("splits", ()):
            if a in member and b in member and assignments[member[a]] != assignments[member[b]]:
                out.append((assignments[member[a]], assignments[member[b]], ratio))
    return out


def _find(parent: dict[Any, Any], x: Any) -> Any:
    while parent.setdefault(x, x) != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def stitch(results: Sequence[dict[str, Any]], representatives: int = 6) -> tuple[dict[str, str], dict[str, Any]]:
    """``(article → event id, event id → EventState)`` over all partitions (see the module docstring).

    >>> r0 = {"index": 0, "core": {"a": "e1", "b": "e1"}, "context": {}, "events": {}}
    >>> r1 = {"index": 1, "core": {"c": "e9"}, "context": {"b": "e9"}, "events": {}}
    >>> stitch([r0, r1])[0]
    {'a': 'p0000-e1', 'b': 'p0000-e1', 'c': 'p0000-e1'}
    """
    parent: dict[tuple[int, str], tuple[int, str]] = {}
    home = {a: (r["index"], e) for r in results for a, e in r["core"].items()}
    for r in results:
        for a, e in r["context"].items():
            if a in home:
                x, y = _find(parent, (r["index"], e)), _find(parent, home[a])
                if x != y:
                    parent[max(x, y)] = min(x, y)
    assignments = {}
    for a, label in sorted(home.items(), key=lambda kv: kv[1]):
        root = _find(parent, label)
        assignments[a] = f"p{root[0]:04d}-{root[1]}"
    merged: dict[str, Any] = {}
    for r in sorted(results, key=lambda r: r["index"]):
        for e, state in sorted(r["events"].items()):
            root = _find(parent, (r["index"], e))
            event_id = f"p{root[0]:04d}-{root[1]}"
            if event_id not in merged:
                state.event_id, state.slot = event_id, len(merged)
                merged[event_id] = state
            else:
                merged[event_id].absorb(state, representatives=representatives)
    return assignments, merged


def _run_partitions(out: str, parts: Sequence[Partition], params: dict[str, Any] | None, engine: str, workers: int, address: str | None) -> Iterator[dict[str, Any]]:
    if engine == "ray":
        from storyline.batch.executors import init_ray

        ray = init_ray(address)
        task = ray.remote(num_cpus=1)(cluster_partition)
        pending = [task.remote(out if "://" in out else os.path.abspath(out), p, params) for p in parts]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield ray.get(done[0])
        return
    if workers <= 0 or len(parts) <= 1:
        for p in parts:
            yield cluster_partition(out, p, params)
        return
    import multiprocessing as mp

    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context("spawn")
    with ctx.Pool(min(workers, len(parts))) as pool:
        yield from pool.starmap(cluster_partition, [(out, p, params) for p in parts], chunksize=1)


@dataclass
class PartitionedResult(ClusterResult):
    partitions: int = 0


def cluster_partitioned(
    out: str,
    *,
    days: float = 90.0,
    overlap_days: float | None = None,
    engine: str = "local",
    workers: int = 2,
    address: str | None = None,
    params: dict[str, Any] | None = None,
    linker: Any = None,
    write: bool = True,
) -> PartitionedResult:
    """Cluster ``out`` in time partitions in parallel (``engine`` local processes or Ray tasks), stitch,
    link stories; writes ``out/_events.parquet`` when ``write``. ``overlap_days`` defaults to the
    clusterer's ``window_days``."""
    from storyline.cluster import EventClusterer
    from storyline.pipeline import ShortlistStoryLinker

    wall, cpu = time.perf_counter(), time.process_time()
    template = EventClusterer(**(params or {}))
    overlap = template.window_days if overlap_days is None else overlap_days
    parts = plan_partitions(out, days=days, overlap_days=overlap)
    results = list(_run_partitions(out, parts, params, engine, workers, address))
    assignments, events = stitch(results, template.representatives)
    linker = linker if linker is not None else ShortlistStoryLinker()

    class _Events:  # what StoryLinker.link_many reads
        events_ = events
        splits_ = stitched_splits(results, assignments)

    stories = linker.link_many(_Events) if events else {}
    both = {a: (e, stories.get(e, "")) for a, e in assignments.items()}
    if write:
        write_events(out, both)
    worker_cpu = sum(r["cpu_seconds"] for r in results if r["pid"] != os.getpid())  # in-process ones are in process_time
    return PartitionedResult(
        articles=len(both),
        events=len(events),
        stories=len(set(stories.values())),
        assignments=both,
        seconds=time.perf_counter() - wall,
        cpu_seconds=time.process_time() - cpu + worker_cpu,
        translations=[e for r in sorted(results, key=lambda r: r["index"]) for e in r["translations"]],
        partitions=len(parts),
    )


__all__ = ["Partition", "PartitionedResult", "cluster_partition", "cluster_partitioned", "plan_partitions", "stitch"]
