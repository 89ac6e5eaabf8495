"""The web app's thin adapter onto :class:`storyline.pipeline.Pipeline`: add articles, one outcome each.

Each article goes through ``Pipeline.add_one`` (profile → cluster → one store
transaction), so when the API answers, every article it reports as added is
committed. One bad article becomes a failed outcome (and a stored failure); the
others go on. A page that is a notice instead of the article is such a failure, as in
``storyline ingest`` (:func:`storyline.pipeline.notice_error`).
"""

from __future__ import annotations

from typing import Any, Sequence

from storyline.pipeline import notice_error
from storyline.types import Article, RecordError

__all__ = ["ingest", "make_pipeline", "summary"]


def make_pipeline(store: Any, engine: Any, profiler: Any = None) -> Any:
    """A pipeline over ``store`` that shares the engine's encoder and models (they load once).

    The engine profiles deeply for comparing (``Profiler(e5=True)``); stored articles are profiled as
    ``storyline ingest`` profiles them, without the second encoder.
    """
    import dataclasses

    from storyline.pipeline import Pipeline

    if profiler is None:
        profiler = engine.profiler
        if getattr(profiler, "e5", False):
            profiler = dataclasses.replace(profiler, e5=False)
    return Pipeline(store, profiler=profiler, workers=0)


def ingest(services: Any, articles: Sequence[Article]) -> list[dict[str, Any]]:
    """Add ``articles`` in order; one outcome dict per article (``ok``, ``status``, ids or ``error``)."""
    outcomes: list[dict[str, Any]] = []
    with services.lock:  # one writer: the clusterer and the store's write side are not shared
        pipeline = services.pipeline
        for article in articles:
            error = None if pipeline.keep_notices else notice_error(article)
            if error is None:
                try:
                    placed = pipeline.add_one(article)
                except Exception as exc:  # the batch boundary: one bad article never stops the others
                    error = RecordError.from_exc(article.source, "analyse", exc)
            if error is not None:
                record = getattr(services.store, "record_failures", None)
                if record is not None:
                    record([error])
                outcomes.append({"ok": False, "status": "failed", "article_id": article.article_id, "source": article.source, "error": error.reason})
                continue
            outcomes.append(
                {
                    "ok": True,
                    "status": "duplicate" if placed.duplicate else "added",
                    "article_id": placed.article_id,
                    "event_id": placed.event_id,
                    "story_id": placed.story_id,
                }
            )
    return outcomes


def summary(outcomes: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Counts of a batch's outcomes.

    >>> summary([{"status": "added"}, {"status": "duplicate"}, {"status": "failed"}, {"status": "added"}])
    {'added': 2, 'duplicates': 1, 'failed': 1}
    """
    statuses = [o["status"] for o in outcomes]
    return {"added": statuses.count("added"), "duplicates": statuses.count("duplicate"), "failed": statuses.count("failed")}
