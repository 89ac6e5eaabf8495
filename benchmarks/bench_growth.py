"""Cost of adding one article as the store grows (10k → 30k → 100k), peak memory, restart cost.

    nice -n 10 .venv/bin/python benchmarks/bench_growth.py                      # 10k, 30k, 100k
    .venv/bin/python benchmarks/bench_growth.py --sizes 2000,5000 --measure 500  # a quick run
    nice -n 10 .venv/bin/python benchmarks/bench_growth.py --db STORE --sizes 100000 --total 101000 --reuse-snapshot --breakdown --json
        # on a built store: where the CPU of each added article goes (clustering, linking, writes, snapshot, GC)

Synthetic articles (~600 characters, topic vocabulary, one story per topic, topics active
for a few days, the stream moving through two years) profiled with the model-free
``lexical`` profiler in one worker process; the cost measured is what grows with the store:
online clustering, story linking and the store write (one transaction per 64 articles),
as CPU time of the writer process (``time.process_time``) and wall time, per article, over
``--measure`` articles added once the store holds each size. Also: peak RSS (writer and
worker), snapshot size and time, restart time from the snapshot vs replaying the whole log,
and read-query latency at the largest size.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from storyline.pipeline import Pipeline, snapshot_interval  # noqa: E402
from storyline.store import EventFilter, open_store  # noqa: E402
from storyline.types import Article  # noqa: E402

START = datetime(2019, 1, 1, tzinfo=timezone.utc)


def synthetic(start: int, stop: int, total: int, seed: int = 0) -> Iterator[Article]:
    """Articles ``start``..``stop`` of a stream of ``total``: topic ``i // 5`` or one of the 200 before it."""
    for i in range(start, stop):
        rnd = random.Random(seed * 1_000_003 + i)
        t = i // 5 - rnd.randrange(min(200, i // 5 + 1))
        pool = _words(t)
        text = " ".join(rnd.choice(pool) for _ in range(70)) + "."
        when = START + timedelta(days=730 * i / total, minutes=rnd.randrange(600))
        yield Article.from_text(f"{pool[0]} {pool[1]} {pool[2]} {pool[-2]}", text, source=f"synthetic:{i}", published_at=when,
                                url=f"https://example.org/{i}", meta={"outlet": f"outlet{rnd.randrange(40)}"})


def _words(topic: int) -> list[str]:
    """A topic's vocabulary: 16 pseudo-words, a name and a place (shared by 1 topic in 500)."""
    rnd = random.Random(topic)
    letters = "abcdefghijklmnopqrstuvwxyz"
    word = lambda k: "".join(rnd.choice(letters) for _ in range(k))  # noqa: E731
    place = random.Random(10**9 + topic % 500)
    return [word(rnd.randrange(4, 10)) for _ in range(16)] + [word(7).title(), "".join(place.choice(letters) for _ in range(6)).title()]


def reuse_snapshot_fingerprint(store: object) -> None:
    """Make this process's code fingerprint the one in the stored snapshot's header (``--reuse-snapshot``)."""
    import storyline.pipeline as pipeline

    found = store.open_snapshot()  # type: ignore[attr-defined]
    if found is None:
        return
    with found[1] as f:
        version, fingerprint = pipeline._read_header(f)
    if fingerprint is not None:
        pipeline.code_fingerprint = lambda: fingerprint  # type: ignore[assignment]
        print(f"reusing the snapshot written by code {fingerprint}", file=sys.stderr)


def snapshot_size(store: object) -> int:
    """Bytes of the stored snapshot, read part by part."""
    found = store.open_snapshot()  # type: ignore[attr-defined]
    if found is None:
        return 0
    size = 0
    with found[1] as f:
        while chunk := f.read(1 << 20):
            size += len(chunk)
    return size


class CpuBreakdown:
    """CPU seconds (``time.process_time``) spent in a few named calls of the writer and in its garbage collections.

    Wraps methods of the objects' classes with a timer while the block runs (the real methods
    still run; on the class, so a snapshot taken meanwhile pickles no timer) and times the cyclic
    GC through ``gc.callbacks``; nested timers count in both (``learn`` holds ``link``), and the
    collections made while a timer whose name ends in ``snapshot`` runs are counted apart (``gc2_in_snapshot``).

    >>> class A:
    ...     def f(self, x): return x + 1
    >>> b = CpuBreakdown()
    >>> b.wrap("f", A(), "f")
    >>> with b:
    ...     A().f(1)
    2
    >>> b.calls["f"], A.f(A(), 1), b.calls["f"]
    (1, 2, 1)
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._gc_start = 0.0
        self._active: list[str] = []  # the timers running now, innermost last
        self._wrapped: list[tuple[type, str, object, object]] = []  # (class, name, its own attribute or None, timer)

    def wrap(self, name: str, owner: object, attr: str, rename: Callable[..., str] | None = None) -> None:
        """Time ``type(owner).attr`` under ``name`` (or ``rename(*args)`` of each call) while the block runs."""
        cls = type(owner)
        method = getattr(cls, attr)

        def timed(*args: object, **kwargs: object) -> object:
            key = rename(*args) if rename is not None else name
            t0 = time.process_time()
            self._active.append(key)
            try:
                return method(*args, **kwargs)  # type: ignore[operator]
            finally:
                self._active.pop()
                self.seconds[key] = self.seconds.get(key, 0.0) + time.process_time() - t0
                self.calls[key] = self.calls.get(key, 0) + 1

        self._wrapped.append((cls, attr, vars(cls).get(attr), timed))

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_start = time.process_time()
            return
        key = f"gc{info['generation']}" + ("_in_snapshot" if any(a.endswith("snapshot") for a in self._active) else "")
        self.seconds[key] = self.seconds.get(key, 0.0) + time.process_time() - self._gc_start
        self.calls[key] = self.calls.get(key, 0) + 1

    def __enter__(self) -> "CpuBreakdown":
        import gc

        for cls, attr, _, timed in self._wrapped:
            setattr(cls, attr, timed)
        gc.callbacks.append(self._on_gc)
        return self

    def __exit__(self, *exc: object) -> None:
        import gc

        gc.callbacks.remove(self._on_gc)
        for cls, attr, own, _ in reversed(self._wrapped):
            if own is None:
                delattr(cls, attr)
            else:
                setattr(cls, attr, own)

    def per_article_ms(self, n: int) -> dict[str, object]:
        return {k: {"ms": round(1000 * v / max(1, n), 3), "calls": self.calls.get(k, 0)} for k, v in sorted(self.seconds.items())}


def rss_mb() -> tuple[float, float]:
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,30000,100000")
    ap.add_argument("--measure", type=int, default=1000, help="articles timed at each size")
    ap.add_argument("--db", default=None, help="store (default: a temp SQLite file)")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--total", type=int, default=None,
                    help="length of the synthetic stream (sets its density: two years for this many articles; "
                         "default: the largest size + --measure). Give 101000 to measure 10k/30k on the 100k run's stream")
    ap.add_argument("--reuse-snapshot", action="store_true",
                    help="load the store's snapshot even if other clustering code wrote it (timing only, when the pickled "
                         "state's format is unchanged: saves replaying the whole log after a code change)")
    ap.add_argument("--breakdown", action="store_true",
                    help="also report the writer's CPU per article in clustering, story linking, the store write, the "
                         "duplicate check and each GC generation (timers around the real calls; adds ~1 %%)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    total = args.total or sizes[-1] + args.measure
    db = args.db or str(Path(tempfile.mkdtemp(prefix="bench_growth_")) / "growth.db")
    store = open_store(db)
    if args.reuse_snapshot:
        reuse_snapshot_fingerprint(store)
    pipe = Pipeline(store, profiler="lexical", workers=args.workers, batch_size=64, snapshot_every=10**9)
    out: dict[str, object] = {"db": db, "load_avg_start": os.getloadavg(), "sizes": {}}
    n = store.counts()["articles"]
    for size in sizes:
        if n < size:
            t0 = time.perf_counter()
            pipe.ingest(synthetic(n, size, total))
            print(f"built to {size} in {time.perf_counter() - t0:.0f}s", file=sys.stderr)
            n = size
        breakdown = CpuBreakdown()
        if args.breakdown:
            for name, owner, attr in (("learn", pipe, "_learn"), ("events", pipe.clusterer, "learn_one"), ("link", pipe.linker, "learn_one"),
                                      ("known_ids", store, "known_ids"), ("snapshot", pipe, "write_snapshot")):
                breakdown.wrap(name, owner, attr)
            # a write that carries the snapshot also drops the old one's parts and commits the new ones: counted apart
            breakdown.wrap("store_write", store, "write", lambda _, batch: "store_write_with_snapshot" if batch.snapshot else "store_write")
        cpu0, wall0 = time.process_time(), time.perf_counter()
        with breakdown:
            report = pipe.ingest(synthetic(n, n + args.measure, total))
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        n += args.measure
        t0, c0 = time.perf_counter(), time.process_time()
        pipe.snapshot()  # streamed into the store's parts: the whole pickle is never in memory
        snap_s, snap_cpu = time.perf_counter() - t0, time.process_time() - c0
        snap_bytes = snapshot_size(store)
        added = max(1, report.added)
        clustering_ms = 1000 * (cpu - snap_cpu) / added  # the timed ingest ended with one snapshot too
        row = {
            "added": report.added,
            "cpu_ms_per_article": round(1000 * cpu / added, 2),
            "cpu_ms_per_article_without_the_final_snapshot": round(clustering_ms, 2),
            # in a long ingest: clustering + store, plus a snapshot every snapshot_interval(2000, n) articles
            "cpu_ms_per_article_amortised": round(clustering_ms + 1000 * snap_cpu / snapshot_interval(2000, n), 2),
            "wall_ms_per_article": round(1000 * wall / max(1, report.added), 2),
            "events": store.counts()["events"],
            "live_events": pipe.clusterer.n_live_,
            "stories": store.counts()["stories"],
            "snapshot_mb": round(snap_bytes / 1e6, 1),
            "snapshot_seconds": round(snap_s, 2),
            "snapshot_cpu_seconds": round(snap_cpu, 2),
            "rss_mb_writer": round(rss_mb()[0]),
            "rss_mb_worker": round(rss_mb()[1]),
            "load_avg": os.getloadavg()[0],
        }
        if args.breakdown:
            row["breakdown_cpu_ms_per_article"] = breakdown.per_article_ms(added)
            # the end-of-ingest write that carries the snapshot, as timed inside the ingest (the row above subtracts a second snapshot)
            snapshot_write = breakdown.seconds.get("store_write_with_snapshot", 0.0)
            row["cpu_ms_per_article_without_the_snapshot_write"] = round(1000 * (cpu - snapshot_write) / added, 2)
            row["cpu_ms_per_article_amortised_snapshot_write"] = round(1000 * (cpu - snapshot_write) / added + 1000 * snapshot_write / snapshot_interval(2000, n), 2)
        out["sizes"][str(size)] = row  # type: ignore[index]
        print(json.dumps({str(size): row}), file=sys.stderr)
    # restart: from the snapshot (replaying nothing), and the replay rate on the last 2,000 articles of the log
    del pipe
    t0, c0 = time.perf_counter(), time.process_time()
    again = Pipeline(store, profiler="lexical", workers=0)
    restart_snapshot, restart_cpu = time.perf_counter() - t0, time.process_time() - c0
    replayed = again.replayed
    del again
    tail = 2000
    t0 = time.perf_counter()
    from storyline.cluster import EventClusterer
    from storyline.pipeline import ShortlistStoryLinker

    fresh = Pipeline.__new__(Pipeline)
    fresh.clusterer, fresh.linker = EventClusterer(), ShortlistStoryLinker()
    count = 0
    for _, profile, outlet in store.iter_profiles(store.last_seq() - tail):
        fresh._learn(profile, outlet)
        count += 1
    replay_rate = count / (time.perf_counter() - t0)
    out["restart"] = {
        "from_snapshot_seconds": round(restart_snapshot, 2),
        "from_snapshot_cpu_seconds": round(restart_cpu, 2),
        "replayed_after_snapshot": replayed,
        "replay_articles_per_second": round(replay_rate, 1),
        "full_rebuild_seconds_estimate": round(n / replay_rate, 0) if replay_rate else None,
    }
    # read queries at the largest size
    timings: dict[str, list[float]] = {}
    story_ids = [s.story_id for s in store.list_stories(EventFilter(limit=20)).items]
    queries = {
        "list_events": lambda i: store.list_events(EventFilter(limit=50)),
        "list_events_lang_since": lambda i: store.list_events(EventFilter(language="en", since=START + timedelta(days=700), limit=50)),
        "search_q": lambda i: store.list_events(EventFilter(q=f"t{(i * 7919) % (n // 5)}w3", limit=20)),
        "get_story": lambda i: store.get_story(story_ids[i % len(story_ids)]),
        "list_stories": lambda i: store.list_stories(EventFilter(limit=50, offset=50 * (i % 5))),
    }
    for name, fn in queries.items():
        for i in range(30):
            t0 = time.perf_counter()
            fn(i)
            timings.setdefault(name, []).append(1000 * (time.perf_counter() - t0))
    out["query_ms_p50_p95"] = {k: (round(statistics.median(v), 1), round(sorted(v)[int(0.95 * len(v)) - 1], 1)) for k, v in timings.items()}
    out["db_mb"] = round(sum(f.stat().st_size for f in Path(db).parent.glob(Path(db).name + "*")) / 1e6, 1) if "://" not in db else None
    out["load_avg_end"] = os.getloadavg()
    store.close()
    print(json.dumps(out, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
