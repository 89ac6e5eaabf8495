"""The engine: wires ingest → analyse → compare, with a batch loop that never dies on one record.

>>> from storyline import Article, Engine
>>> engine = Engine()
>>> a = Article.from_text("Quake hits Kabul", "A strong earthquake struck Kabul on Monday, killing at least 12 people.")
>>> b = Article.from_text("喀布尔发生强烈地震", "周一,喀布尔发生强烈地震,造成至少12人死亡。")
>>> result = engine.compare(a, b)
>>> result.scores["overall"] < 2.5
True
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from storyline.analyse.profile import Profiler
from storyline.scorer import PairScorer
from storyline.types import Article, PairScore, Profile, RecordError


@dataclass
class Report:
    """What a batch did: how many records went through and which failed, and why."""

    ok: int = 0
    failures: list[RecordError] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.failures)


@dataclass
class Engine:
    """Profiles and compares articles.

    Parameters
    ----------
    profiler:
        Builds profiles; by default a deep one (``Profiler(e5=True)``: the title read by a
        second encoder too), since an engine is for comparing. Ingest builds its own, without.
    scorer:
        The pair scorer; the bundled model when omitted (loaded on first use).
    strict:
        Re-raise the first error instead of recording it and going on (tests use this).
    """

    profiler: Profiler = field(default_factory=lambda: Profiler(e5=True))
    scorer_path: str | Path | None = None
    strict: bool = False
    _scorer: PairScorer | None = field(default=None, init=False, repr=False)

    @property
    def scorer(self) -> PairScorer:
        if self._scorer is None:
            self._scorer = PairScorer.load(self.scorer_path)
        return self._scorer

    def profile(self, article: Article) -> Profile:
        return self.profiler.profile(article)

    def compare(self, a: Article | Profile, b: Article | Profile) -> PairScore:
        """Seven scores, a verdict and the evidence for two articles (or their profiles)."""
        pa = a if isinstance(a, Profile) else self.profile(a)
        pb = b if isinstance(b, Profile) else self.profile(b)
        return self.scorer.score(pa, pb)

    def profile_many(
        self,
        items: Iterable[Article | RecordError],
        report: Report | None = None,
        *,
        on_item: Callable[[], None] | None = None,
    ) -> Iterator[tuple[Article, Profile]]:
        """Profile a stream; errors (from the reader or from analysis) go to ``report``, the stream goes on."""
        report = report if report is not None else Report()
        for item in items:
            if on_item is not None:
                on_item()
            if isinstance(item, RecordError):
                report.failures.append(item)
                continue
            try:
                profile = self.profile(item)
            except Exception as exc:  # the one broad catch: a batch never dies on one record
                if self.strict:
                    raise
                report.failures.append(RecordError.from_exc(item.source, "analyse", exc))
                continue
            report.ok += 1
            yield item, profile


def default_workers() -> int:
    """Worker processes for batch profiling: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def profile_in_processes(articles: Sequence[Article], workers: int, *, on_done: Callable[[int], None] | None = None) -> list[Profile | RecordError]:
    """Profile ``articles`` in ``workers`` processes (models loaded once per process), in order.

    A failed article comes back as a :class:`RecordError` in its place.
    """
    if workers <= 1 or len(articles) < 8:
        engine = Engine()
        out: list[Profile | RecordError] = []
        for article in articles:
            out.append(_profile_or_error(engine, article))
            if on_done:
                on_done(1)
        return out
    import multiprocessing as mp

    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    results: list[Profile | RecordError] = []
    with ctx.Pool(workers, initializer=_init_worker) as pool:
        for result in pool.imap(_worker_profile, articles, chunksize=8):
            results.append(result)
            if on_done:
                on_done(1)
    return results


_WORKER_ENGINE: list[Engine] = []  # one per worker process, set by the pool initializer


def _init_worker() -> None:
    _WORKER_ENGINE.clear()
    _WORKER_ENGINE.append(Engine())


def _worker_profile(article: Article) -> Profile | RecordError:
    return _profile_or_error(_WORKER_ENGINE[0], article)


def _profile_or_error(engine: Engine, article: Article) -> Profile | RecordError:
    try:
        return engine.profile(article)
    except Exception as exc:  # returned as a value: one bad record never stops the batch
        return RecordError.from_exc(article.source, "analyse", exc)
