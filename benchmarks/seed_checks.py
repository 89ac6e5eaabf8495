"""The seed checks of the core issue, on the five real articles in ../shared/seeds.

    .venv/bin/python benchmarks/seed_checks.py [--json]

Prints every check with the measured value and PASS/FAIL; exits 1 if any check fails, 0 if all
pass, 2 when ../shared/seeds is not there.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def seed(prefix: str) -> Path:
    return next(SEEDS.glob(f"{prefix}_*.txt"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not SEEDS.is_dir():
        print(f"../shared/seeds not found at {SEEDS}: nothing to check", file=sys.stderr)
        return 2

    from storyline.cli import segment_article
    from storyline.engine import Engine
    from storyline.ingest import read_article

    engine = Engine(strict=True)
    articles = {p: read_article(seed(p)) for p in ("000", "001", "002", "003", "004")}
    profiles = {p: engine.profile(a) for p, a in articles.items()}
    halves = {
        lang: engine.profile(segment_article(articles["001"], lang, source=f"001#{lang}")) for lang in ("zh", "en")
    }
    checks: list[dict[str, object]] = []

    def check(name: str, ok: bool, measured: object) -> None:
        checks.append({"check": name, "ok": bool(ok), "measured": measured})

    r = engine.compare(halves["zh"], halves["en"])
    check("001 zh half vs en half: verdict translation", r.verdict == "translation", r.verdict)
    check("001 zh half vs en half: overall <= 1.3", r.scores["overall"] <= 1.3, round(r.scores["overall"], 2))

    r = engine.compare(profiles["000"], profiles["001"])
    check("000 vs 001: verdict same_event", r.verdict == "same_event", r.verdict)
    check("000 vs 001: overall <= 1.8", r.scores["overall"] <= 1.8, round(r.scores["overall"], 2))
    milley = [m for m in r.evidence.entities if any("mil" in f.lower() for f in m.a + m.b if f.isascii())]
    forms = sorted({f for m in milley for f in m.a + m.b})
    wanted_latin = {"Millie", "Mill", "Millay", "Milley"}
    wanted_zh = {"米利", "米莉", "米勒"}
    joined = " ".join(forms)
    latin_found = {w for w in wanted_latin if w in joined}
    zh_found = {w for w in wanted_zh if w in joined}
    check(
        "000 vs 001 evidence: Millie/Mill/Millay/Milley linked with 米利/米莉/米勒 as one person",
        len(milley) == 1 and latin_found == wanted_latin and zh_found == wanted_zh,
        {"entities": len(milley), "forms": forms},
    )
    for x, y in (("003", "000"), ("003", "001"), ("004", "000"), ("004", "001"), ("003", "004")):
        r = engine.compare(profiles[x], profiles[y])
        check(
            f"{x} vs {y}: same story (overall <= 2.5)",
            r.scores["overall"] <= 2.5 and r.verdict in ("same_story", "same_event", "translation", "near_duplicate"),
            {"overall": round(r.scores["overall"], 2), "verdict": r.verdict},
        )
    r = engine.compare(profiles["002"], profiles["001"])
    check("002 vs 001: time >= 3", r.scores["time"] >= 3, round(r.scores["time"], 2))
    check("002 vs 001: not the same event", r.verdict != "same_event", r.verdict)

    failed = [c for c in checks if not c["ok"]]
    if args.json:
        print(json.dumps({"checks": checks, "passed": len(checks) - len(failed), "failed": len(failed)}, ensure_ascii=False))
    else:
        for c in checks:
            print(f"{'PASS' if c['ok'] else 'FAIL'}  {c['check']}: {c['measured']}")
        print(f"{len(checks) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
