"""Milliseconds per article for entity extraction (and the place scan), per language.

    .venv/bin/python benchmarks/bench_entities.py [--repeat 5] [--chars 1800]
    .venv/bin/python benchmarks/bench_entities.py --pairs de,pl,it   # entity quality on dev pairs

Uses the bundled samples (storyline/samples/*.txt), cut to ``--chars`` characters,
after one warm-up call per language (model loading is not counted). Prints the
median ms per article for ``extract_entities`` and for ``find_places``.

With ``--pairs LANGS``: every dev pair of ../shared/data/semeval2022-task8 with a side in
one of LANGS; each article's entities are extracted (text and title), grouped and aligned
across the pair as profiles and comparisons do, and the share of aligned entities
(matched / all salient, the pair scorer's ``entity_jaccard_score``) is correlated with
the gold *entities* score (Pearson; 1 = same entities on the gold scale, so the better
the entities, the more negative r). Also prints mentions per article and CPU seconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SAMPLES = {
    "en": "01_en_doha_round2.txt", "zh": "02_zh_doha_round2_translation.txt", "de": "03_de_doha_round2.txt",
    "ar": "05_ar_doha_round2.txt", "ru": "06_ru_doha_round2.txt", "fr": "10_fr_football_unrelated.txt",
    "es": "04_es_doha_round2_conflicting_troops.txt",
}


def sample_text(language: str, chars: int) -> str:
    path = Path(str(resources.files("storyline") / "samples")) / SAMPLES[language]
    text = path.read_text(encoding="utf-8").strip()
    while len(text) < chars:  # short samples are repeated up to the length asked for
        text = text + "\n\n" + text
    return text[:chars]


def timed(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


DEV = ROOT.parent / "shared" / "data" / "semeval2022-task8"


def pair_quality(languages: set[str]) -> int:
    """Pearson of the aligned-entity share with the gold entities score (see the module docstring)."""
    import json
    from collections import Counter, defaultdict

    import numpy as np

    from storyline.analyse.entities import EntityExtractor, align_entities, group_mentions

    if not DEV.is_dir():
        print(f"dev pairs not found at {DEV}", file=sys.stderr)
        return 2
    extractor = EntityExtractor()
    cache: dict[tuple[str, str, str], tuple] = {}  # type: ignore[type-arg]

    def entities(title: str, text: str, lang: str) -> tuple:  # type: ignore[type-arg]
        key = (title, text, lang)
        if key not in cache:
            mentions = extractor.extract(text, lang) + (extractor.extract(title, lang) if title else [])
            cache[key] = (mentions, group_mentions(mentions))
        return cache[key]

    rows = []
    for name in ("dev_pairs.jsonl", "dev_pairs_mt.jsonl"):
        with (DEV / name).open(encoding="utf-8") as fh:
            rows.extend(r for r in map(json.loads, fh) if r["lang1"] in languages or r["lang2"] in languages)
    cpu = time.process_time()
    shares, gold, by_pair = [], [], defaultdict(list)
    for r in rows:
        a = entities(r.get("title1") or "", r["text1"] or "", r["lang1"])
        b = entities(r.get("title2") or "", r["text2"] or "", r["lang2"])
        matches = align_entities(a[0], b[0], groups_a=a[1], groups_b=b[1])
        share = sum(1 for m in matches if m.a and m.b) / max(1, len(matches))
        shares.append(share)
        gold.append(r["entities"])
        by_pair[f"{r['lang1']}-{r['lang2']}"].append((share, r["entities"]))
    cpu = time.process_time() - cpu
    mentions: Counter[str] = Counter()
    articles: Counter[str] = Counter()
    for (_, _, lang), (ms, _) in cache.items():
        mentions[lang] += len(ms)
        articles[lang] += 1
    print(f"{len(rows)} pairs, {len(cache)} articles, {cpu:.1f} CPU s (extract + group + align)")
    print("mentions per article:", ", ".join(f"{k} {mentions[k] / articles[k]:.1f}" for k in sorted(articles)))
    print(f"Pearson(aligned share, gold entities), all pairs: {np.corrcoef(shares, gold)[0, 1]:.4f}")
    for pair, values in sorted(by_pair.items()):
        x, y = zip(*values)
        print(f"  {pair:6s} n={len(values):4d} r={np.corrcoef(x, y)[0, 1]:.4f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--chars", type=int, default=1800)
    parser.add_argument("--languages", default="en,zh,ru,fr,de,ar")
    parser.add_argument("--pairs", help="entity quality on the dev pairs with a side in these languages (e.g. de,pl,it)")
    args = parser.parse_args(argv)
    if args.pairs:
        return pair_quality(set(args.pairs.split(",")))
    from storyline.analyse.entities import EntityExtractor
    from storyline.analyse.places import find_places, place_index

    place_index()
    extractor = EntityExtractor()
    print(f"{'lang':<5} {'chars':>6} {'entities ms':>12} {'places ms':>10}")
    for lang in args.languages.split(","):
        text = sample_text(lang, args.chars)
        extractor.extract(text, lang)  # warm-up: loads the model
        # vary the text a little so no per-text cache answers
        counter = iter(range(10_000))
        ent = timed(lambda: extractor.extract(text + " " * next(counter), lang), args.repeat)
        pl = timed(lambda: find_places(text + " " * next(counter), lang), args.repeat)
        print(f"{lang:<5} {len(text):>6} {ent:>12.1f} {pl:>10.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
