"""Measure event clustering against gold document clusters: B-cubed precision, recall, F1.

>>> p, r, f = bcubed(["a", "a", "b"], ["x", "x", "x"])
>>> round(p, 3), round(r, 3), round(f, 3)
(1.0, 0.556, 0.714)

The gold files (``../shared/data/clustering/*.jsonl``) hold one document per
line with fields ``id, lang, title, text, date, event, topic``; ``level``
chooses which field is the gold cluster (``event`` or ``story`` → ``topic``).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from storyline.ingest.dates import parse_date
from storyline.types import Article, Profile

LEVELS = {"event": "event", "story": "topic"}


def bcubed(pred: Sequence[str], gold: Sequence[str]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 of a predicted clustering against a gold one.

    For each document: precision is the share of its predicted cluster that shares
    its gold cluster, recall the share of its gold cluster that shares its predicted
    cluster; both are averaged over documents.

    >>> bcubed(["1", "1", "2", "2"], ["a", "a", "b", "b"])
    (1.0, 1.0, 1.0)
    >>> p, r, f = bcubed(["1", "2", "3"], ["a", "a", "a"])
    >>> round(p, 3), round(r, 3), round(f, 3)
    (1.0, 0.333, 0.5)
    """
    if len(pred) != len(gold):
        raise ValueError(f"pred and gold must have the same length; got {len(pred)} and {len(gold)}")
    n = len(pred)
    if n == 0:
        return 0.0, 0.0, 0.0
    both = Counter(zip(pred, gold))
    size_pred = Counter(pred)
    size_gold = Counter(gold)
    precision = sum(c * c / size_pred[p] for (p, _), c in both.items()) / n
    recall = sum(c * c / size_gold[g] for (_, g), c in both.items()) / n
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def parse_gold_date(value: Any) -> datetime | None:
    """A gold file's free-text ``date`` (a byline, often) as a UTC datetime, or None — read as
    ``storyline ingest`` reads a record's date (:func:`storyline.ingest.dates.parse_date`).

    >>> [parse_gold_date(s).date().isoformat() for s in ("First Published : June 13, 2013 4 : 59 PM EDT",
    ...     "1 de marzo de 2008", "Posted : 04 / 9 / 2012 8 : 33 am", "2013 - 09 - 26", "THURSDAY, MAY 2, 2013")]
    ['2013-06-13', '2008-03-01', '2012-04-09', '2013-09-26', '2013-05-02']
    >>> parse_gold_date(None), parse_gold_date(""), parse_gold_date("She was 91.")
    (None, None, None)
    """
    return parse_date(value) if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class GoldDoc:
    """One document of a gold clustering file, as an :class:`Article` with its gold labels."""

    article: Article
    event: str
    topic: str
    lang: str


def read_gold(path: str | Path, *, prefix: str = "") -> list[GoldDoc]:
    """Read a gold clustering JSONL file into articles and labels.

    ``prefix`` is put before the gold labels (so files can be concatenated
    without their cluster ids colliding).
    """
    path = Path(path)
    docs = []
    with path.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            article = Article.from_text(
                row.get("title") or "",
                row.get("text") or "",
                source=f"jsonl:{path}:{i}",
                published_at=parse_gold_date(row.get("date")),
                language_hint=row.get("lang") or None,
                meta={"id": row.get("id")},
            )
            docs.append(GoldDoc(article, prefix + str(row.get("event")), prefix + str(row.get("topic")), row.get("lang") or ""))
    return docs


def evaluate_clustering(
    docs: Sequence[GoldDoc],
    profiles: Sequence[Profile] | None = None,
    *,
    level: str = "event",
    clusterer: Any = None,
    profiler: Any = None,
) -> dict[str, Any]:
    """Cluster ``docs`` (profiling them unless ``profiles`` is given) and score against gold.

    Returns ``{"n", "bcubed": {"precision", "recall", "f1"}, "clusters", "gold_clusters", "docs_per_second"}``;
    ``docs_per_second`` counts profiling only when this function did the profiling.
    """
    from storyline.cluster.events import EventClusterer

    if level not in LEVELS:
        raise ValueError(f"The 'level' parameter of evaluate_clustering must be one of {sorted(LEVELS)}. Got {level!r} instead.")
    started = time.perf_counter()
    if profiles is None:
        if profiler is None:
            from storyline.analyse.profile import Profiler

            profiler = Profiler()
        profiles = [profiler.profile(d.article) for d in docs]
    model = clusterer if clusterer is not None else EventClusterer()
    pred = model.cluster_many(profiles)
    seconds = time.perf_counter() - started
    gold = [d.event if level == "event" else d.topic for d in docs]
    return clustering_report(pred, gold, seconds=seconds)


def clustering_report(pred: Sequence[str], gold: Sequence[str], *, seconds: float | None = None) -> dict[str, Any]:
    """The ``storyline eval clusters --json`` contract for one predicted clustering.

    >>> r = clustering_report(["e1", "e1", "e2"], ["a", "a", "b"], seconds=0.5)
    >>> r["bcubed"]["f1"], r["clusters"], r["gold_clusters"], r["docs_per_second"]
    (1.0, 2, 2, 6.0)
    """
    p, r, f = bcubed(pred, gold)
    return {
        "n": len(gold),
        "bcubed": {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)},
        "clusters": len(set(pred)),
        "gold_clusters": len(set(gold)),
        "docs_per_second": round(len(gold) / seconds, 2) if seconds else None,
    }


def gold_labels(docs: Iterable[GoldDoc], level: str = "event") -> list[str]:
    return [d.event if level == "event" else d.topic for d in docs]


ProfileFn = Callable[[Article], Profile]
