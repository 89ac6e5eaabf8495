"""Remake ``storyline/analyse/data/e5_centroids.npz``: the mean multilingual-e5-small title and lead
vectors per language (≥ 20 articles), over the articles of SemEval-2022 Task 8 pair files (no labels
are read).

e5's cosines are bunched high and shifted by language; the pair scorer's ``e5`` group also compares
two titles and two leads after subtracting each one's language centroid (:func:`storyline.analyse.e5.e5_features`).

    .venv/bin/python scripts/e5_centroids.py ../shared/data/semeval2022-task8/dev_pairs.jsonl \\
        ../shared/data/semeval2022-task8/dev_pairs_mt.jsonl --out storyline/analyse/data/e5_centroids.npz

About 20 minutes on one core (each article is read by the light profiler: language, sentences, title).
"""

from __future__ import annotations

import argparse
import sys

from storyline.analyse.e5 import centroids_of_profiles, save_centroids
from storyline.analyse.profile import Profiler
from storyline.ingest.records import iter_pairs
from storyline.types import ArticlePair


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pairs", nargs="+", help="SemEval-2022 Task 8 pair files (JSONL or CSV)")
    parser.add_argument("--out", required=True, help="the .npz to write")
    args = parser.parse_args(argv)
    articles = {}
    for path in args.pairs:
        for item in iter_pairs(path):
            if isinstance(item, ArticlePair):
                for article in (item.a, item.b):
                    articles.setdefault(article.article_id, article)
            else:
                print(f"skipped: {item}", file=sys.stderr)
    profiler = Profiler(e5=True, entities=False, places=False, dates=False, numbers=False)
    profiles = [profiler.profile(a) for a in articles.values()]
    centroids = centroids_of_profiles(profiles)
    save_centroids(centroids, args.out)
    print(f"{args.out}: {len(centroids.title)} languages ({', '.join(sorted(centroids.title))}) from {len(profiles)} articles")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
