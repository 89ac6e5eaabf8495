"""Pairwise precision and recall of "same entity" on the name test set.

    .venv/bin/python benchmarks/bench_names.py [--decision names|registry] [--errors N] [--json]

Every pair of variants in ``tests/fixtures/names/names.jsonl`` is one decision:
a positive when both variants belong to the same entity, a negative otherwise.
The library says "same" when

* ``--decision names``: :func:`storyline.analyse.names.name_similarity` reaches
  :data:`storyline.analyse.entities.ALIGN_THRESHOLD` (what ``align_entities`` uses);
* ``--decision registry`` (default): :func:`storyline.registry.link_names` says so
  (gazetteer ids for known places and organisations first, then the name rules).

Prints precision, recall and F1 overall, per entity type and on the pairs marked
``confusable_with``, plus the worst errors. Exit code 0 always (the thresholds are
asserted by ``tests/test_names.py``).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TEST_SET = ROOT / "tests" / "fixtures" / "names" / "names.jsonl"


@dataclass
class Result:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    false_pos: list[tuple[float, str, str, str]] = field(default_factory=list)
    false_neg: list[tuple[float, str, str, str]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4),
                "tp": self.tp, "fp": self.fp, "fn": self.fn, "pairs": self.tp + self.fp + self.fn + self.tn}


def load_test_set(path: Path = TEST_SET) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def decision_function(kind: str):  # type: ignore[no-untyped-def]
    """``(a, lang_a, type_a, b, lang_b, type_b) -> (same, score, reason)`` for the chosen decision."""
    if kind == "names":
        from storyline.analyse.entities import ALIGN_THRESHOLD
        from storyline.analyse.names import name_similarity

        def decide(a: str, la: str, ta: str, b: str, lb: str, tb: str) -> tuple[bool, float, str]:
            score, reason = name_similarity(a, la, b, lb)
            return score >= ALIGN_THRESHOLD, score, reason

        return decide
    from storyline.registry import link_names

    def decide(a: str, la: str, ta: str, b: str, lb: str, tb: str) -> tuple[bool, float, str]:
        link = link_names(a, la, b, lb, ta, tb)
        return link.same, link.score, link.rule

    return decide


def evaluate(entities: list[dict], decide) -> dict[str, Result]:  # type: ignore[no-untyped-def]
    """Results keyed "all", each entity type, and "confusable"."""
    items = [(e["id"], e["type"], text, lang) for e in entities for text, lang in e["variants"]]
    confusable = {(e["id"], c) for e in entities for c in e.get("confusable_with", ())}
    confusable |= {(b, a) for a, b in confusable}
    results: dict[str, Result] = {"all": Result(), "confusable": Result()}
    for x, y in itertools.combinations(items, 2):
        same_gold = x[0] == y[0]
        same, score, reason = decide(x[2], x[3], x[1], y[2], y[3], y[1])
        buckets = ["all"]
        if same_gold or x[1] == y[1]:
            buckets.append(x[1])
        if (x[0], y[0]) in confusable:
            buckets.append("confusable")
        for b in buckets:
            r = results.setdefault(b, Result())
            if same and same_gold:
                r.tp += 1
            elif same:
                r.fp += 1
                if b == "all":
                    r.false_pos.append((score, f"{x[2]}|{x[3]}", f"{y[2]}|{y[3]}", f"{reason} ({x[0]} vs {y[0]})"))
            elif same_gold:
                r.fn += 1
                if b == "all":
                    r.false_neg.append((score, f"{x[2]}|{x[3]}", f"{y[2]}|{y[3]}", f"{reason} ({x[0]})"))
            else:
                r.tn += 1
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--decision", choices=("registry", "names"), default="registry")
    parser.add_argument("--errors", type=int, default=15, help="how many false positives/negatives to list")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--path", type=Path, default=TEST_SET)
    args = parser.parse_args(argv)
    entities = load_test_set(args.path)
    t0 = time.perf_counter()
    results = evaluate(entities, decision_function(args.decision))
    seconds = time.perf_counter() - t0
    n_variants = sum(len(e["variants"]) for e in entities)
    if args.json:
        print(json.dumps({k: r.as_dict() for k, r in results.items()} | {"seconds": round(seconds, 2)}, indent=2))
        return 0
    print(f"name test set: {len(entities)} entities, {n_variants} variants, decision={args.decision}, {seconds:.1f}s")
    for key, r in results.items():
        d = r.as_dict()
        if key == "confusable":  # only different-entity pairs: report how many were wrongly matched
            n = r.fp + r.tn
            print(f"  {key:<11} false matches {r.fp} of {n} pairs ({r.fp / max(n, 1):.1%})")
            continue
        print(f"  {key:<11} P={d['precision']:.3f} R={d['recall']:.3f} F1={d['f1']:.3f}  "
              f"tp={d['tp']} fp={d['fp']} fn={d['fn']} pairs={d['pairs']}")
    r = results["all"]
    if args.errors:
        print("false positives (highest score first):")
        for score, a, b, why in sorted(r.false_pos, reverse=True)[: args.errors]:
            print(f"  {score:.3f}  {a}  ~  {b}  [{why}]")
        print("false negatives (lowest score first):")
        for score, a, b, why in sorted(r.false_neg)[: args.errors]:
            print(f"  {score:.3f}  {a}  ~  {b}  [{why}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
