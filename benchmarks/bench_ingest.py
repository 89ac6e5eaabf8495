"""End-to-end ingest speed: read → profile (real models) → online clustering → store, articles per second.

    nice -n 10 .venv/bin/python benchmarks/bench_ingest.py                 # 400 articles, full profiler, 2 workers
    .venv/bin/python benchmarks/bench_ingest.py --n 200 --profiler fast --workers 2

Articles: the texts of ``../shared/data/clustering`` (many languages) that have at least
1,500 characters, cut to ~1,800 characters at a sentence end; without ``../shared`` the
bundled samples are used (cut the same way, made distinct), and the output says so.
Profiling runs in ``--workers`` processes feeding the single writer (clustering + SQLite).
Reports the wall-clock rate over the whole run (model loading in the workers included)
and in steady state (from the first stored batch to the end); CPU time per article of the
writer and of the workers (the models of the languages of the first articles load once, in the writer process, before
the workers fork and share them, as ``Pipeline.ingest`` does: that CPU is reported apart), and from those the rate two otherwise idle cores
would give, with and without the loading; and the machine's load average (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from storyline.pipeline import PRELOAD_PEEK, Pipeline, stream_languages  # noqa: E402
from storyline.store import open_store  # noqa: E402
from storyline.types import Article  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "clustering"


def cut(text: str, size: int = 1800) -> str:
    if len(text) <= size:
        return text
    head = text[:size]
    ends = [m.end() for m in re.finditer(r"[.!?。！？](\s|$)", head)]
    return head[: ends[-1]].strip() if ends and ends[-1] > size * 0.7 else head


def _pieces(text: str, size: int = 1800) -> list[str]:
    """``text`` cut into consecutive pieces of ≤ ``size`` characters (at sentence ends), no overlap; the last
    piece may be short."""
    out = []
    rest = text.strip()
    while rest:
        head = cut(rest, size)
        out.append(head)
        rest = rest[len(head) :].strip()
    return out


def more_articles(first: list[Article], size: int = 1800) -> list[Article]:
    """Distinct articles beyond the clustering texts, for runs longer than those (≈ 1,400 more), best first:
    each distinct text of ../shared/data/semeval2022-task8 with ≥ 1,500 characters (its first ≤ 1,800-character
    piece, as for the clustering texts); then the next pieces of every text longer than one piece, each
    ≥ 1,500 characters (different sentences of one report, never overlapping); then last pieces of
    1,000–1,500 characters. The clustering texts' first pieces are ``first``."""
    texts: list[tuple[str, str, str, str | None, str]] = []  # (source, title, text, language, outlet)
    for path in sorted(SHARED.glob("*.jsonl")):
        for line in path.open(encoding="utf-8"):
            row = json.loads(line)
            texts.append((f"{path.name}:{row.get('id')}", row.get("title") or "", row.get("text") or "", row.get("lang"), path.stem))
    pairs = SHARED.parent / "semeval2022-task8"
    for path in sorted(pairs.glob("*.jsonl")) if pairs.is_dir() else []:
        for line in path.open(encoding="utf-8"):
            row = json.loads(line)
            for k in "12":
                texts.append((f"{path.name}:{row.get('pair_id')}:{k}", row.get(f"title{k}") or "", row.get(f"text{k}") or "",
                              row.get(f"lang{k}"), path.stem))
    seen_ids = {a.article_id for a in first}
    seen_texts: set[str] = set()
    ranked: list[list[Article]] = [[], [], []]
    for source, title, text, language, outlet in texts:
        if len(text) < 1500 or text in seen_texts:
            continue
        seen_texts.add(text)
        for j, piece in enumerate(_pieces(text, size)):
            kind = 0 if j == 0 else 1 if len(piece) >= 1500 else 2 if len(piece) >= 1000 else None
            if kind is None:
                continue
            a = Article.from_text(title if j == 0 else "", piece, source=f"{source}#{j}" if j else source, language_hint=language,
                                  meta={"outlet": outlet, "piece": ("pair text", "continuation", "tail")[kind]})
            if a.article_id not in seen_ids:
                seen_ids.add(a.article_id)
                ranked[kind].append(a)
    return ranked[0] + ranked[1] + ranked[2]


def articles(n: int, size: int = 1800) -> tuple[list[Article], str]:
    """``n`` distinct articles of ``size`` characters at most (cut at a sentence end), and where they come from."""
    out: list[Article] = []
    if SHARED.is_dir():
        for path in sorted(SHARED.glob("*.jsonl")):
            for line in path.open(encoding="utf-8"):
                row = json.loads(line)
                text = row.get("text") or ""
                if len(text) >= 1500:
                    out.append(Article.from_text(row.get("title") or "", cut(text, size), source=f"{path.name}:{row.get('id')}",
                                                 language_hint=row.get("lang"), meta={"outlet": path.stem}))
        # interleave the files so the stream mixes languages
        out.sort(key=lambda a: a.article_id)
        if len(out) >= n:
            return out[:n], f"../shared/data/clustering ({len(out)} texts ≥ 1,500 chars, cut to ≤ {size:,})"
        more = more_articles(out, size)
        if len(out) + len(more) >= n:
            extra = more[: n - len(out)]
            mixed = sorted(out + extra, key=lambda a: a.article_id)
            kinds = {kind: sum(1 for a in extra if a.meta.get("piece") == kind) for kind in ("pair text", "continuation", "tail")}
            return mixed, (
                f"../shared/data/clustering ({len(out)} texts ≥ 1,500 chars, cut to ≤ {size:,}) + {len(extra)} more from ../shared/data: "
                f"{kinds['pair text']} texts of semeval2022-task8 ≥ 1,500 chars (each distinct text once, cut the same way), "
                f"{kinds['continuation']} next ≤ {size:,}-char pieces of texts longer than one piece (≥ 1,500 chars each, no overlap), "
                f"{kinds['tail']} last pieces of 1,000-1,500 chars; interleaved by article id"
            )
    from importlib import resources

    samples = [p for p in resources.files("storyline.samples").iterdir() if p.name.endswith(".txt")]
    texts = [p.read_text(encoding="utf-8") for p in samples]
    i = 0
    while len(out) < n:
        body = texts[i % len(texts)]
        while len(body) < size:
            body += "\n" + texts[(i + len(body)) % len(texts)]
        out.append(Article.from_text(f"Sample {i}", cut(body, size) + f" ({i})", source=f"sample:{i}"))
        i += 1
    return out[:n], "bundled samples (../shared not found), repeated and made distinct"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--profiler", default="full", choices=["full", "fast", "lexical"])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--max-chars", type=int, default=1800, help="cut each text to this many characters at a sentence end (1950: mean ≈ 1,770)")
    ap.add_argument("--all-languages", action="store_true", help="load every supported language's models first (as before session 6)")
    args = ap.parse_args()
    docs, origin = articles(args.n, args.max_chars)
    db = Path(tempfile.mkdtemp(prefix="bench_ingest_")) / "ingest.db"
    store = open_store(db)
    load0 = os.getloadavg()
    first: list[float] = []
    done = [0]

    def progress(k: int) -> None:
        done[0] += k
        if not first:
            first.append(time.perf_counter())

    import resource

    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu0, t0 = time.process_time(), time.perf_counter()
    pipe = Pipeline(store, profiler=args.profiler, workers=args.workers, batch_size=args.batch_size)
    load_cpu = time.process_time()
    # what Pipeline.ingest does itself before forking (timed apart here): the models of the languages of
    # the first articles, once, in this process (forked workers share them); --all-languages: all 20
    languages = None if args.all_languages else stream_languages(docs[:PRELOAD_PEEK])
    pipe.preload(languages)
    load_cpu = time.process_time() - load_cpu
    report = pipe.ingest(docs, on_progress=progress)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    steady = time.perf_counter() - first[0] if first else wall
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    worker_cpu = (children.ru_utime + children.ru_stime) - (children0.ru_utime + children0.ru_stime)
    total_cpu = cpu + worker_cpu
    counts = store.counts()
    store.close()
    out = {
        "articles": report.added,
        "failed": report.failed,
        "mean_chars": round(sum(len(d.text) for d in docs) / len(docs)),
        "languages": dict(Counter(d.language_hint or "?" for d in docs).most_common()),
        "source": origin,
        "profiler": args.profiler,
        "workers": args.workers,
        "articles_per_second_total": round(report.added / wall, 1),
        "articles_per_second_steady": round((report.added - 1) / steady, 1) if steady > 0 else None,
        "model_load_cpu_s": round(load_cpu, 2),  # once, in the writer process, before the workers fork
        "model_load_languages": list(languages) if languages is not None else "all",
        "writer_cpu_ms_per_article": round(1000 * (cpu - load_cpu) / max(1, report.added), 1),  # cluster + store (+ feeding the pool)
        "worker_cpu_ms_per_article": round(1000 * worker_cpu / max(1, report.added), 1),  # profile + encode (+ lazily loaded per-language models)
        # the rate both cores would give without the one-off model loading
        "cpu_bound_articles_per_second_2_cores_after_loading": round(2 * report.added / (cpu - load_cpu + worker_cpu), 1),
        # what both cores of an otherwise idle machine would do: articles per CPU-second of all processes, times 2
        "cpu_bound_articles_per_second_2_cores": round(2 * report.added / total_cpu, 1) if total_cpu > 0 else None,
        "seconds": round(wall, 1),
        "peak_rss_mb_writer": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "peak_rss_mb_largest_worker": children.ru_maxrss // 1024,
        "events": counts["events"],
        "stories": counts["stories"],
        "load_avg_before": [round(x, 2) for x in load0],
        "load_avg_after": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
    }
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
