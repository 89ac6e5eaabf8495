"""Milliseconds per article for entity extraction (and the place scan), per language.

    .venv/bin/python benchmarks/bench_entities.py [--repeat 5] [--chars 1800]

Uses the bundled samples (storyline/samples/*.txt), cut to ``--chars`` characters,
after one warm-up call per language (model loading is not counted). Prints the
median ms per article for ``extract_entities`` and for ``find_places``.
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--chars", type=int, default=1800)
    parser.add_argument("--languages", default="en,zh,ru,fr,de,ar")
    args = parser.parse_args(argv)
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
