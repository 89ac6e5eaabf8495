"""Entity-registry checks on the five real articles in ../shared/seeds (issue 3).

    .venv/bin/python benchmarks/seed_entities.py [--json]

Learns the seeds in order (000 … 004) into an :class:`~storyline.registry.EntityRegistry`
and checks: Milley's variants in 000 and 001 (English and Chinese) form one entity,
distinct from General (Scott) Miller in 004; Khalilzad's variants (002, 004) form one
entity; Doha/多哈 and Qatar/卡塔尔 resolve to their gazetteer ids. Exit 0 when all
pass, 1 otherwise, 2 when the seeds are missing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
SEEDS = ROOT.parent / "shared" / "seeds"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not SEEDS.is_dir():
        print(f"seeds not found at {SEEDS}", file=sys.stderr)
        return 2
    from storyline.engine import Engine
    from storyline.ingest import read_article
    from storyline.registry import EntityRegistry

    engine = Engine(strict=True)
    reg = EntityRegistry()
    ids: dict[str, dict[str, str]] = {}
    for path in sorted(SEEDS.glob("*.txt")):
        prefix = path.name[:3]
        profile = engine.profile(read_article(path))
        linked = reg.learn_one(profile, article_id=prefix)
        ids[prefix] = {m.text: eid for m, eid in zip(profile.entities, linked)}

    def eid(prefix: str, *surfaces: str) -> set[str]:
        return {ids[prefix][s] for s in surfaces if s in ids[prefix]}

    milley = eid("000", "Mark Millie", "Mark Millay", "Mark Mill") | eid("001", "Mark Milley", "Milley", "马克·米利", "米莉")
    miller_004 = eid("004", "Miller")
    khalilzad = eid("000", "Zalmai Khalilzad") | eid("002", "Zalmay Khalilzad", "Khalilzad") | eid("004", "Zalmay Khalilzad")
    doha = eid("001", "Doha", "多哈") | eid("000", "Doha")
    qatar = eid("001", "Qatar", "卡塔尔") | eid("000", "Qatar")
    checks = {
        "milley_one_entity": len(milley) == 1,
        "miller_004_not_milley": bool(miller_004) and not (miller_004 & milley),
        "khalilzad_one_entity": len(khalilzad) == 1,
        "doha_gazetteer": doha == {"geonames:290030"},
        "qatar_gazetteer": qatar == {"iso:QA"},
    }
    details = {
        "milley": sorted(milley), "miller_004": sorted(miller_004), "khalilzad": sorted(khalilzad),
        "doha": sorted(doha), "qatar": sorted(qatar),
    }
    entities = {e: reg.get(e) for e in sorted(milley | miller_004 | khalilzad)}
    if args.json:
        print(json.dumps({"checks": checks, "ids": details,
                          "entities": {k: {"name": e.name, "variants": e.variants(), "articles": e.articles,
                                           "rules": sorted({r.rule for r in e.links})} for k, e in entities.items()}},
                         ensure_ascii=False, indent=2))
    else:
        for name, ok in checks.items():
            print(f"{'PASS' if ok else 'FAIL'}  {name}")
        for k, e in entities.items():
            print(f"  {k}: {e.name} articles={e.articles} variants={e.variants()}")
            for r in e.links:
                if r.rule != "same document group":
                    print(f"     {r.article_id} {r.surface!r} -> {r.rule} ({r.score}) matched={r.matched!r} {r.evidence or ''}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
