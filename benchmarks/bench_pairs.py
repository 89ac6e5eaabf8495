"""Pair-scoring quality on the SemEval-2022 Task 8 dev pairs, with baselines on the same folds.

    .venv/bin/python benchmarks/bench_pairs.py [--out results.json] [--save-profiles P | --profiles P [--reprofile pl,ru]] [--stack-cache S] [--no-pair-model]

Profiles every article of ../shared/data/semeval2022-task8/dev_pairs*.jsonl once (or loads the pickle
``--profiles`` written earlier by ``--save-profiles``), then reports grouped 5-fold cross-validated
Pearson (folds keep every article, and every machine-translated copy of it, on one side) for:
storyline's combiner with the pair network stacked (trained inside every fold, out of fold on the
fold's training rows: nested, needs torch; ``--stack-cache`` keeps those network outputs, which do not
depend on the combiner's features, so a feature change is measured again in minutes); the pair network alone on the same folds; the plateau
model (the combiner over all cheap feature groups, no pair network); the combiner over embeddings +
surface only; and plain USE cosines (lead passage, mean of sentences). Exits 2 when ../shared is not there.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "semeval2022-task8"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="Also write the full JSON report here.")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--save-profiles", type=Path, default=None, help="Pickle the profiles here (for training without re-profiling).")
    parser.add_argument("--profiles", type=Path, default=None, help="Load profiles pickled by --save-profiles instead of profiling.")
    parser.add_argument("--inner-folds", type=int, default=3, help="Folds of the nested CV that makes the pair network's out-of-fold features inside each outer fold.")
    parser.add_argument("--stack-cache", type=Path, default=None, help="Pickle of the nested pair-network outputs per fold: read when there, written after.")
    parser.add_argument(
        "--reprofile", default="", metavar="LANGS",
        help="With --profiles: profile again the articles with a segment in these languages (comma-separated, e.g. pl,ru) "
        "— after an analyser change that touches only them; --save-profiles then writes the patched cache.",
    )
    parser.add_argument("--no-pair-model", action="store_true", help="Skip the pair network (no torch needed; ~25 network trainings saved).")
    args = parser.parse_args()
    files = [DATA / "dev_pairs.jsonl", DATA / "dev_pairs_mt.jsonl"]
    if not all(f.exists() for f in files):
        print(f"{DATA} not found: nothing to measure", file=sys.stderr)
        return 2

    import numpy as np

    from storyline.cli import _load_pairs, _profile_pairs
    from storyline.evaluate import _with_sources, evaluate_pairs_cv, gold_arrays, pearson_report
    from storyline.scorer import translation_pairs
    from storyline.similarity import embedding_features

    failures: list = []
    pairs = _load_pairs([str(f) for f in files], None, failures)
    extra = translation_pairs(pairs, limit=100)
    started = time.perf_counter()
    if args.profiles:
        import pickle

        profiles = pickle.loads(args.profiles.read_bytes())["profiles"]
        missing = [p for p in pairs + extra if p.a.article_id not in profiles or p.b.article_id not in profiles]
        languages = {x.strip() for x in args.reprofile.split(",") if x.strip()}
        if languages:
            missing += [
                p for p in pairs + extra
                if any(s.language in languages for art in (p.a, p.b) for s in profiles[art.article_id].segments)
            ]
        if missing:
            profiles.update(_profile_pairs(missing, args.workers, failures))
            print(f"profiled again: {len({a.article_id for p in missing for a in (p.a, p.b)})} articles", file=sys.stderr)
    else:
        profiles = _profile_pairs(pairs + extra, args.workers, failures)
    profile_seconds = time.perf_counter() - started
    if args.save_profiles:
        import pickle

        args.save_profiles.write_bytes(pickle.dumps({"pairs": pairs, "profiles": profiles}))
    results: dict[str, object] = {"pairs": len(pairs), "articles": len(profiles), "profile_seconds": round(profile_seconds, 1)}
    systems = ["storyline", "plateau_no_pair_model", "storyline_no_translation_pairs", "cheap_features_gbm", "use_cosine_lead_passage", "use_cosine_sentence_mean"]
    if args.no_pair_model:
        results["storyline"] = evaluate_pairs_cv(pairs, profiles, extra=extra)
        systems.remove("plateau_no_pair_model")
    else:
        import pickle

        cache = pickle.loads(args.stack_cache.read_bytes()) if args.stack_cache and args.stack_cache.exists() else {}
        results["storyline"] = evaluate_pairs_cv(
            pairs, profiles, extra=extra, pair_model=True, inner_folds=args.inner_folds, log=lambda m: print(m, file=sys.stderr, flush=True), stack_cache=cache
        )
        if args.stack_cache:
            args.stack_cache.write_bytes(pickle.dumps(cache))
        results["pair_model_alone"] = results["storyline"].pop("pair_model_alone")  # type: ignore[union-attr]
        results["plateau_no_pair_model"] = evaluate_pairs_cv(pairs, profiles, extra=extra)
        systems.insert(1, "pair_model_alone")
    results["storyline_no_translation_pairs"] = evaluate_pairs_cv(pairs, profiles)
    results["cheap_features_gbm"] = evaluate_pairs_cv(pairs, profiles, feature_groups=("embedding", "surface"))
    gold = gold_arrays(pairs)
    for name, key in (("use_cosine_lead_passage", "lead_passage_score"), ("use_cosine_sentence_mean", "document_score")):
        cos = np.array([embedding_features(profiles[p.a.article_id], profiles[p.b.article_id])[key] for p in pairs])
        predicted = {d: -cos for d in gold}  # higher cosine = more similar = lower SemEval score
        results[name] = _with_sources(pearson_report(gold, predicted, [p.language_pair for p in pairs]), pairs, predicted, gold)
    mt = np.array([p.machine_translated for p in pairs])
    print(f"{len(pairs)} pairs ({int(mt.sum())} machine-translated), {len(profiles)} articles profiled in {profile_seconds:.0f} s")
    dims = ["overall", "geography", "entities", "time", "narrative", "style", "tone"]
    print(f"{'system':34s} " + " ".join(f"{d[:9]:>9s}" for d in dims) + "   real     mt")
    for name in systems:
        rep = results[name]
        src = rep.get("by_source", {})  # type: ignore[union-attr]
        print(
            f"{name:34s} " + " ".join(f"{(rep['pearson'].get(d) or 0):9.3f}" for d in dims)  # type: ignore[index]
            + f"  {src.get('real', {}).get('overall') or 0:.3f}  {src.get('machine_translated', {}).get('overall') or 0:.3f}"
        )
    plateau = "plateau_no_pair_model" if "plateau_no_pair_model" in results else "storyline"
    print(f"\nper language pair, overall (n): storyline | {plateau} | cheap GBM | USE lead cosine")
    for lp, entry in results["storyline"]["by_language_pair"].items():  # type: ignore[index]
        flat = results[plateau]["by_language_pair"][lp]["overall"]  # type: ignore[index]
        cheap = results["cheap_features_gbm"]["by_language_pair"][lp]["overall"]  # type: ignore[index]
        cos = results["use_cosine_lead_passage"]["by_language_pair"][lp]["overall"]  # type: ignore[index]
        print(f"  {lp:6s} ({entry['n']:4d}): {entry['overall']:.3f} | {flat:.3f} | {cheap:.3f} | {cos:.3f}")
    if args.out:
        args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
