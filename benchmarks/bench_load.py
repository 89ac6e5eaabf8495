"""Load test of ``storyline serve`` on loopback: concurrent clients mixing ingest and queries.

    .venv/bin/python benchmarks/bench_load.py                                   # 2,000 stored, 20 clients, 60 s
    .venv/bin/python benchmarks/bench_load.py --preload 500 --seconds 20        # a quick run
    nice -n 10 .venv/bin/python benchmarks/bench_load.py --preload 100000 --db /tmp/load100k.db   # the big one

Builds (or reuses) a SQLite store holding ``--preload`` synthetic articles (written by
the real pipeline with the model-free ``lexical`` profiler: ~700-character articles, about
six per event, each event with its own vocabulary, in towns and on topics that recur, from 30 outlets), starts ``storyline serve`` on
it as a separate process on a free loopback port (API key set, ``--profiler lexical``),
then runs ``--clients`` concurrent clients for ``--seconds``. Each client loops: picks a
request by weight (ingest a batch of 5, ingest one, search, list/filter stories and
events, get a story, get an article, the front page, a story page), sends it, waits for
the answer, and records latency and status. Prints p50/p95/max per route, requests per
second, and the error count (any non-2xx answer or transport error). Bounded: the run
stops after ``--seconds`` and every request has a 30 s timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KEY = "bench-load-key"
TOWNS = ["Arlen", "Brisk", "Corvo", "Dunmere", "Eskar", "Folkton", "Garrow", "Hessel", "Ilford", "Jarrow", "Kestle", "Lorn"]
TOPICS = [
    ("council", "budget", "roads", "schools", "vote"),
    ("storm", "flood", "river", "rain", "evacuated"),
    ("strike", "workers", "union", "wages", "trains"),
    ("election", "candidate", "mayor", "ballot", "turnout"),
    ("fire", "factory", "firefighters", "smoke", "injured"),
    ("festival", "music", "crowd", "tickets", "stage"),
    ("court", "judge", "trial", "verdict", "appeal"),
    ("hospital", "doctors", "patients", "beds", "funding"),
]
START = datetime(2024, 1, 1, tzinfo=timezone.utc)

WEIGHTS = {
    "POST /api/articles/batch": 12,
    "POST /api/articles": 5,
    "GET /api/search?q=": 14,
    "GET /api/stories?q=": 10,
    "GET /api/stories?language=": 5,
    "GET /api/stories/{id}": 14,
    "GET /api/events?since=": 10,
    "GET /api/articles/{id}": 10,
    "GET /": 5,
    "GET /stories/{id}": 15,
}


_SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "bre", "dal", "fen", "gor", "hal", "jun", "kor", "lem", "mar", "nis", "pol", "qua", "ros", "sel", "tur", "val", "wen", "yor"]


def _words(event: int, k: int) -> list[str]:
    """``k`` pseudo-words of their own for one event (distinct letters, so MinHash sees distinct texts)."""
    rnd = random.Random(7919 * event + 1)
    return ["".join(rnd.choice(_SYLLABLES) for _ in range(rnd.randrange(2, 4))) for _ in range(k)]


def synthetic(start: int, stop: int, seed: int = 0) -> Iterator[dict[str, Any]]:
    """Article dicts ``start``..``stop``: event ``i // 6`` (give or take the 40 latest) with its own vocabulary,
    in a town and on a topic that recur (so events link into stories), spread over a year."""
    for i in range(start, stop):
        rnd = random.Random(seed * 1_000_003 + i)
        event = max(0, i // 6 - rnd.randrange(40))
        town = TOWNS[event % len(TOWNS)]
        topic = TOPICS[(event // len(TOWNS)) % len(TOPICS)]
        pool = _words(event, 14) + list(topic) + [town]
        n = 10 + event % 900
        body = " ".join(rnd.choice(pool) for _ in range(70))
        yield {
            "title": f"{town} {topic[0]}: {pool[0]} {pool[1]} {pool[2]}",
            "text": f"{body}. {n} {topic[1]} {town}.",
            "source": f"outlet{rnd.randrange(30)}",
            "url": f"https://example.test/{town.lower()}/{i}-{seed}",
            "published_at": (START + timedelta(hours=(event * 20 + rnd.randrange(48)) % 8760)).isoformat(),
        }


def preload(db: str, n: int) -> int:
    from storyline.pipeline import Pipeline
    from storyline.store import open_store
    from storyline.types import Article

    store = open_store(db)
    have = store.counts()["articles"]
    if have < n:
        pipe = Pipeline(store, profiler="lexical", workers=0, batch_size=64)
        t0 = time.perf_counter()
        pipe.ingest(
            Article.from_text(d["title"], d["text"], source="bench", url=d["url"], published_at=datetime.fromisoformat(d["published_at"]), meta={"outlet": d["source"]})
            for d in synthetic(have, n)
        )
        print(f"preloaded {n - have} articles in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    count = store.counts()["articles"]
    store.close()
    return count


def start_server(db: str) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "STORYLINE_API_KEY": KEY}
    cmd = [sys.executable, "-c", "from storyline.cli import main; main()", "serve", "--db", db, "--port", "0", "--profiler", "lexical"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit(f"storyline serve exited with {proc.wait()}")
        m = re.search(r"serving on (http://\S+?)/ ", line)
        if m:
            return proc, m.group(1)
    raise SystemExit("storyline serve printed no URL within 300 s")


async def run_clients(url: str, clients: int, seconds: float, seed: int) -> dict[str, Any]:
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        story_items = (await http.get("/api/stories", params={"limit": 200})).json()["items"]
        article_items = (await http.get("/api/articles", params={"limit": 200})).json()["items"]
    stories = [s["story_id"] for s in story_items]
    articles = [a["article_id"] for a in article_items]
    # query words: the synthetic stream's, and words of the stored headlines (a store built by another generator)
    stored_words = sorted({w.lower() for item in story_items + article_items for w in re.findall(r"[^\W\d_]{4,}", item.get("headline") or item.get("title") or "")})
    if not stories or not articles:
        raise SystemExit("the store holds no stories/articles: preload some")
    latencies: dict[str, list[float]] = {k: [] for k in WEIGHTS}
    errors: dict[str, int] = {k: 0 for k in WEIGHTS}
    samples: list[str] = []
    counter = [10_000_000 + seed * 1_000_000]
    deadline = time.perf_counter() + seconds
    routes = list(WEIGHTS)
    weights = [WEIGHTS[r] for r in routes]
    base_words = [t for topic in TOPICS for t in topic] + [t.lower() for t in TOWNS]
    words = base_words + random.Random(seed).sample(stored_words, min(len(stored_words), len(base_words)))

    def next_articles(k: int) -> list[dict[str, Any]]:
        start = counter[0]
        counter[0] += k
        return list(synthetic(start, start + k, seed=seed + 1))

    async def one_client(idx: int) -> None:
        rnd = random.Random(seed * 97 + idx)
        async with httpx.AsyncClient(base_url=url, timeout=30, headers={"X-API-Key": KEY}) as http:
            while time.perf_counter() < deadline:
                route = rnd.choices(routes, weights)[0]
                t0 = time.perf_counter()
                try:
                    if route == "POST /api/articles/batch":
                        r = await http.post("/api/articles/batch", json={"articles": next_articles(5)})
                    elif route == "POST /api/articles":
                        r = await http.post("/api/articles", json=next_articles(1)[0])
                    elif route == "GET /api/search?q=":
                        r = await http.get("/api/search", params={"q": rnd.choice(words), "limit": 20})
                    elif route == "GET /api/stories?q=":
                        r = await http.get("/api/stories", params={"q": rnd.choice(words), "limit": 20})
                    elif route == "GET /api/stories?language=":
                        r = await http.get("/api/stories", params={"language": "en", "limit": 20, "offset": rnd.randrange(0, 100)})
                    elif route == "GET /api/stories/{id}":
                        r = await http.get(f"/api/stories/{rnd.choice(stories)}")
                    elif route == "GET /api/events?since=":
                        r = await http.get("/api/events", params={"since": "2024-06-01", "limit": 20})
                    elif route == "GET /api/articles/{id}":
                        r = await http.get(f"/api/articles/{rnd.choice(articles)}")
                    elif route == "GET /":
                        r = await http.get("/")
                    else:
                        r = await http.get(f"/stories/{rnd.choice(stories)}")
                    ok = 200 <= r.status_code < 300
                    if not ok and len(samples) < 5:
                        samples.append(f"{route}: {r.status_code} {r.text[:200]}")
                except httpx.HTTPError as exc:
                    ok = False
                    if len(samples) < 5:
                        samples.append(f"{route}: {type(exc).__name__} {exc}")
                latencies[route].append(time.perf_counter() - t0)
                if not ok:
                    errors[route] += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(one_client(i) for i in range(clients)))
    elapsed = time.perf_counter() - t0

    def pct(values: list[float], q: float) -> float | None:
        if not values:
            return None
        ordered = sorted(values)
        return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    per_route = {
        route: {
            "n": len(v),
            "p50_ms": pct(v, 0.50),
            "p95_ms": pct(v, 0.95),
            "max_ms": round(1000 * max(v), 1) if v else None,
            "mean_ms": round(1000 * statistics.fmean(v), 1) if v else None,
            "errors": errors[route],
        }
        for route, v in latencies.items()
    }
    total = sum(len(v) for v in latencies.values())
    return {
        "seconds": round(elapsed, 1),
        "requests": total,
        "requests_per_second": round(total / elapsed, 1),
        "errors": sum(errors.values()),
        "error_samples": samples,
        "articles_ingested": counter[0] - (10_000_000 + seed * 1_000_000),
        "routes": per_route,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default=None, help="load an already running server (its API key must be %s)" % KEY)
    ap.add_argument("--db", default=None, help="store to build/reuse (default: a temp SQLite file)")
    ap.add_argument("--preload", type=int, default=2000, help="articles stored before the run")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--seed", type=int, default=int(time.time()) % 1000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    proc = None
    stored = None
    if args.url is None:
        db = args.db or str(Path(tempfile.mkdtemp(prefix="bench_load_")) / "load.db")
        stored = preload(db, args.preload)
        proc, url = start_server(db)
    else:
        url = args.url.rstrip("/")
    try:
        result = asyncio.run(run_clients(url, args.clients, args.seconds, args.seed))
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
    result.update({"stored_before": stored, "clients": args.clients, "cpus": os.cpu_count(), "load_avg_end": os.getloadavg()[0]})
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{args.clients} clients, {result['seconds']} s, {stored} articles stored before, {result['articles_ingested']} ingested during the run")
    print(f"{result['requests']} requests, {result['requests_per_second']} req/s, {result['errors']} errors, load average {result['load_avg_end']:.1f}")
    print(f"{'route':32} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'errors':>6}")
    for route, row in result["routes"].items():
        print(f"{route:32} {row['n']:>6} {row['p50_ms'] or 0:>8} {row['p95_ms'] or 0:>8} {row['max_ms'] or 0:>8} {row['errors']:>6}")
    for s in result["error_samples"]:
        print("error:", s)


if __name__ == "__main__":
    main()
