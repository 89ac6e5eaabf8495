"""Core speed benchmark: profiling throughput on one core, compare throughput, peak memory.

    .venv/bin/python benchmarks/bench_core.py [--articles 200] [--warmup 0] [--json]

Articles: real texts from ../shared/data/semeval2022-task8 cut to ~1,800 characters (the dev data's
mean) when ../shared is there; otherwise the bundled samples, repeated (and the output says so).
Runs in one process with one BLAS thread, so the numbers are per core. Rates are given per CPU
second (``time.process_time``: the acceptance numbers, robust to other jobs on a shared machine) and
per wall-clock second.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "semeval2022-task8" / "dev_pairs.jsonl"


def load_articles(n: int, length: int = 1800):  # type: ignore[no-untyped-def]
    from storyline.ingest import iter_articles
    from storyline.types import Article

    if SHARED.exists():
        by_language: dict[str, list[Article]] = {}
        seen: set[str] = set()
        for source in (SHARED, SHARED.with_name("dev_pairs_mt.jsonl")):
            with source.open(encoding="utf-8") as fh:
                for line in fh:
                    row = json.loads(line)
                    for k in ("1", "2"):
                        text = row.get("text" + k) or ""
                        if len(text) < length or text in seen:
                            continue
                        seen.add(text)
                        lang = row["lang" + k]
                        by_language.setdefault(lang, []).append(
                            Article.from_text(row.get("title" + k) or "", text[:length], language_hint=lang)
                        )
        out: list[Article] = []
        while len(out) < n and any(by_language.values()):  # round-robin over languages
            for lang in sorted(by_language):
                if by_language[lang] and len(out) < n:
                    out.append(by_language[lang].pop(0))
        return out, f"{SHARED.parent} (every language in turn, cut to {length} chars)"
    samples = Path(__file__).resolve().parents[1] / "storyline" / "samples"
    base = [a for a in iter_articles([samples]) if isinstance(a, Article)]
    return (base * (n // max(1, len(base)) + 1))[:n], f"bundled samples (../shared not found), {samples}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument(
        "--warmup", type=int, default=0,
        help="profile this many other articles first (untimed), so caches that fill during a long batch "
        "(spaCy's vocabulary, name-similarity and place lookups) are warm, as they are after a few hundred articles",
    )
    parser.add_argument(
        "--preload", action="store_true",
        help="Profiler.preload(vocabulary=True) before the clock starts (every language's models, and the spaCy "
        "lexemes of the models' own strings), as an ingest that preloads before forking its workers would",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from storyline.analyse.profile import Profiler
    from storyline.scorer import PairScorer

    articles, origin = load_articles(args.articles + args.warmup)
    articles, warmup = articles[: args.articles], articles[args.articles :]  # same timed set for any --warmup
    mean_chars = sum(len(a.text) for a in articles) / max(1, len(articles))
    results: dict[str, object] = {"articles": len(articles), "mean_chars": round(mean_chars), "data": origin}

    profiler = Profiler()
    first_of_language: dict[str | None, object] = {}
    for article in articles:
        first_of_language.setdefault(article.language_hint, article)
    for article in first_of_language.values():  # load every model once (per language), outside the timing
        profiler.profile(article)  # type: ignore[arg-type]
    if args.preload:
        profiler.preload(vocabulary=True)
    for article in warmup:
        profiler.profile(article)
    results["languages"] = sorted(str(k) for k in first_of_language)
    results["warmup_articles"] = len(warmup)
    results["preload"] = bool(args.preload)
    # all analysis first: the encoder keeps each token id's projected row (Encoder caches them), so the pass
    # that runs first sees the timed articles' tokens new; the embedding-only pass after it reads warm rows
    results["embedding_only_after_all_analysis"] = True
    for name, switches in (
        ("all_analysis", {}),
        ("embedding_only", dict(entities=False, places=False, dates=False, numbers=False)),
    ):
        p = Profiler(encoder=profiler.encoder, **switches)  # type: ignore[arg-type]
        cpu, wall = time.process_time(), time.perf_counter()
        timed = [p.profile(a) for a in articles]
        if name == "all_analysis":
            profiles = timed
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        # the acceptance number is the CPU-time rate (one thread, so per core); wall time
        # also counts waiting for a CPU on a shared machine
        results[f"profile_{name}_articles_per_cpu_second"] = round(len(articles) / cpu, 1)
        results[f"profile_{name}_cpu_ms_per_article"] = round(1000 * cpu / len(articles), 1)
        results[f"profile_{name}_articles_per_wall_second"] = round(len(articles) / wall, 1)

    # a deep profile (Profiler(e5=True), what compare and train pairs make) adds e5's title and lead vectors
    from storyline.analyse.e5 import E5Encoder, lead_text, title_text

    e5 = E5Encoder()
    e5.encode(["warm-up"])
    cpu = time.process_time()
    deep = [p.replace(e5_vectors=e5.encode([title_text(p.title, p.sentences), lead_text(p.title, p.sentences)])) for p in profiles]
    cpu = time.process_time() - cpu
    results["deep_e5_cpu_ms_per_article"] = round(1000 * cpu / len(profiles), 1)

    scorer = PairScorer.load()
    for name, rows in (("", deep), ("_stored_profiles", profiles)):  # the full model; the fallback without e5
        pairs = [(rows[i % len(rows)], rows[(i * 7 + 3) % len(rows)]) for i in range(args.pairs)]
        scorer.score(*pairs[0])
        cpu, wall = time.process_time(), time.perf_counter()
        for a, b in pairs:
            scorer.score(a, b)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        results[f"compare{name}_pairs_per_cpu_second"] = round(len(pairs) / cpu, 1)
        results[f"compare{name}_pairs_per_wall_second"] = round(len(pairs) / wall, 1)
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if args.json:
        print(json.dumps(results))
    else:
        for key, value in results.items():
            print(f"{key:45s} {value}")


if __name__ == "__main__":
    main()
