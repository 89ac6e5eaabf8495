"""Persistent, online ingest: read → profile → cluster → store, one article at a time.

:class:`Pipeline` holds an :class:`~storyline.cluster.EventClusterer` and a
:class:`~storyline.cluster.StoryLinker` over a :class:`~storyline.store.Store`.
Each new article is profiled (in worker processes for a batch), clustered at
once in arrival order, and written with its event, story, merges and
copy/translation edges in one store transaction per batch: what the store
acknowledged is durable, and a re-run skips what is stored (by content hash
and URL), so a crash loses nothing acknowledged and duplicates nothing.

**Restart.** The clusterer and linker are pickled into the store every
``snapshot_every`` articles together with their position in the article log;
on open the pipeline loads the latest snapshot and *replays* the stored
articles after it (their stored profiles, in log order). Profiles are
clustered in their stored (decoded) form, so the replay makes exactly the
decisions the first run made, and new stories are linked the moment an event
opens (not per batch), so batch boundaries do not matter either.

>>> import tempfile, os
>>> from storyline.store import open_store
>>> from storyline.types import Article
>>> store = open_store(os.path.join(tempfile.mkdtemp(), "s.db"))
>>> pipe = Pipeline(store, profiler="lexical", workers=0)
>>> a = pipe.add_one(Article.from_text("Quake hits Kabul", "A strong quake hit Kabul on Monday. Dozens died in Kabul."))
>>> b = pipe.add_one(Article.from_text("Kabul quake kills dozens", "A strong quake hit Kabul on Monday. Dozens died in Kabul, officials said."))
>>> a.event_id == b.event_id, store.get_event(a.event_id).n_articles
(True, 2)
>>> store.close()
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import pickle
import re
import threading
from collections import deque
import time
import zlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from storyline.store.base import NewArticle, Store, WriteBatch
from storyline.store.codec import decode_profile, encode_profile
from storyline.types import Article, Profile, RecordError, Segment

_log = logging.getLogger(__name__)

PROFILERS = ("full", "fast", "lexical")
"""``full``: every analyser and model; ``fast``: no per-language NER models (gazetteers and
capitalisation); ``lexical``: no models at all — hashed word vectors (for tests and huge synthetic loads)."""

SNAPSHOT_VERSION = 3
"""3: a header line ``storyline-snapshot 3 <code fingerprint>`` followed by the state pickle
``(clusterer, linker)``, so a snapshot of other code (or of an older format) is refused unread."""

SNAPSHOT_MAGIC = b"storyline-snapshot"


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of the clustering code and parameters' source: a snapshot is used only by the code that wrote it."""
    import hashlib
    from pathlib import Path

    import storyline.cluster as cluster_package

    digest = hashlib.blake2b(digest_size=8)
    for path in sorted(Path(cluster_package.__file__).parent.glob("*.py")) + [Path(__file__)]:
        digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class Placement:
    """Where one article landed."""

    article_id: str
    event_id: str | None
    story_id: str | None
    duplicate: bool = False


@dataclass
class IngestReport:
    """What an ingest did."""

    added: int = 0
    duplicates: int = 0
    failures: list[RecordError] = field(default_factory=list)
    replayed: int = 0
    seconds: float = 0.0
    events: set[str] = field(default_factory=set)

    @property
    def failed(self) -> int:
        return len(self.failures)

    def to_json(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "duplicates": self.duplicates,
            "failed": self.failed,
            "replayed": self.replayed,
            "events_touched": len(self.events),
            "seconds": round(self.seconds, 3),
            "articles_per_second": round(self.added / self.seconds, 2) if self.seconds > 0 else None,
            "failures": [{"source": f.source, "stage": f.stage, "reason": f.reason} for f in self.failures],
        }


# ------------------------------------------------------------------ profilers


class LexicalProfiler:
    """Model-free profiles: hashed word (and CJK character-bigram) vectors, sentences, MinHash.

    Much faster than the real profiler and deterministic across processes; clusters
    same-language near-copies and shared-vocabulary reports, not translations.

    >>> p = LexicalProfiler().profile(Article.from_text("Quake hits Kabul", "A quake hit Kabul. Many died."))
    >>> p.language, p.sentence_vectors.shape, round(float(p.lead_vector @ p.lead_vector), 3)
    ('en', (2, 512), 1.0)
    """

    def __init__(self, dim: int = 512, max_sentences: int = 24) -> None:
        self.dim = dim
        self.max_sentences = max_sentences

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        words = re.findall(r"\w+", text.lower())
        cjk = [w for w in words if re.match(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]", w)]
        tokens = [w for w in words if w not in cjk] + [w[i : i + 2] for w in cjk for i in range(max(1, len(w) - 1))]
        for token in tokens:
            h = zlib.crc32(token.encode("utf-8"))
            v[h % self.dim] += 1.0 if (h >> 16) & 1 else -1.0
        norm = float(np.linalg.norm(v))
        if norm == 0:
            v[0] = 1.0
            return v
        return v / norm

    def profile(self, article: Article) -> Profile:
        from storyline.analyse.language import detect_language, iter_sentence_spans
        from storyline.analyse.profile import minhash_signature

        text = article.text
        language = article.language_hint or detect_language(text[:400])
        sentences = tuple(text[s:e] for s, e in list(iter_sentence_spans(text))[: self.max_sentences])
        title = article.title.strip() or (sentences[0] if sentences else "")
        rows = [self._vector(s) for s in sentences]
        return Profile(
            article_id=article.article_id,
            title=title,
            language=language,
            segments=(Segment(language, 0, len(text), text),),
            sentences=sentences,
            title_vector=self._vector(title),
            lead_vector=self._vector((title + "\n" + text)[:1000]),
            sentence_vectors=np.vstack(rows) if rows else np.zeros((0, self.dim), np.float32),
            published_at=article.published_at,
            n_chars=len(text),
            shingles=minhash_signature(text),
        )


def make_profiler(kind: str) -> Any:
    """A profiler by name (see :data:`PROFILERS`)."""
    if kind == "lexical":
        return LexicalProfiler()
    from storyline.analyse.profile import Profiler

    if kind == "fast":
        return Profiler(entity_models=False)
    if kind == "full":
        return Profiler()
    from storyline.errors import ConfigError

    raise ConfigError(f"[{ConfigError.code}] unknown profiler {kind!r}: use one of {', '.join(PROFILERS)}")


_WORKER: dict[str, Any] = {}

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
"""Environment variables that size the BLAS/OpenMP thread pools of libraries loaded later."""


def one_thread_per_process(threads: int = 1) -> Any:
    """Limit this process's BLAS/OpenMP pools (loaded now, and through the environment loaded later) to ``threads``.

    Profiling workers run one per core: with the libraries' default of one thread per core each,
    ``workers × cores`` threads fight for the cores and OpenMP's spinning waits burn CPU (the full
    profiler measured 204 ms CPU per article that way, 83 ms with one thread). Returns the
    ``threadpoolctl`` limiter (keep it alive; ``.restore_original_limits()`` undoes it).
    """
    import os

    from threadpoolctl import threadpool_limits

    for var in THREAD_VARIABLES:
        os.environ[var] = str(threads)
    torch = __import__("sys").modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)
    return threadpool_limits(limits=threads)


def _init_worker(profiler: str | Any) -> None:
    """Start a profiling worker: one thread per pool, and the profiler (``profiler`` is a kind, or,
    in a forked worker, the parent's loaded profiler, shared copy-on-write instead of loaded again)."""
    import sys

    _WORKER["limits"] = one_thread_per_process()
    _WORKER["profiler"] = make_profiler(profiler) if isinstance(profiler, str) else profiler
    _WORKER["limits"] = one_thread_per_process()
    _WORKER["modules"] = len(sys.modules)


def _profile_encoded(article: Article) -> tuple[Article, bytes | RecordError]:
    """In a worker: the article's encoded profile (the form the store keeps), or its error."""
    try:
        profile = _WORKER["profiler"].profile(article)
        _recheck_threads()
        return article, encode_profile(profile)
    except Exception as exc:  # returned as a value: one bad record never stops the batch
        return article, RecordError.from_exc(article.source, "analyse", exc)


def _profile_encoded_many(articles: list[Article]) -> list[tuple[Article, bytes | RecordError]]:
    """:func:`_profile_encoded` of several articles, through the profiler's ``profile_many`` when it has
    one (the NER models read the articles in one batch); if that fails, one by one, so only the
    failing article gets the error."""
    profiler = _WORKER["profiler"]
    if len(articles) > 1 and hasattr(profiler, "profile_many"):
        try:
            profiles = list(profiler.profile_many(articles, batch=len(articles)))
            _recheck_threads()
            return [(a, encode_profile(p)) for a, p in zip(articles, profiles)]
        except Exception:  # noqa: BLE001 - told apart below
            pass
    return [_profile_encoded(a) for a in articles]


def _recheck_threads() -> None:
    """A model loaded lazily (a new language) may have brought its own thread pool: one thread again."""
    import sys

    if len(sys.modules) != _WORKER["modules"]:
        _WORKER["limits"] = one_thread_per_process()
        _WORKER["modules"] = len(sys.modules)


# ------------------------------------------------------------------ story linking that stays flat

_COSINE_SLACK = 1e-3
"""How far the story index's cosine (float32 products, rounded to 6 places) may be taken to stray from the scored one."""

_CENTROID_CACHE = 4096
"""Story centroids a :class:`ShortlistStoryLinker` keeps at most (≈ 2 kB each)."""


def _story_linker_class() -> type:
    from storyline.cluster.stories import StoryLinker

    return StoryLinker


class ShortlistStoryLinker(_story_linker_class()):  # type: ignore[misc]
    """A :class:`~storyline.cluster.StoryLinker` that scores only a shortlist of stories per new event.

    The plain linker scores every story for every new event, so its cost grows with the
    store. This one keeps the story centroids in a :class:`~storyline.cluster.candidates.CentroidIndex`
    and scores only the ``shortlist`` stories with the highest centroid cosine *inside the time
    window* plus every story that shares one of the event's names. A story outside that set
    shares no name, so its score is ``(1 - name_weight) * cosine``, below that of the best
    shortlisted story: below ``ann_after`` stories (brute force) the choice is the one the plain
    linker makes (same scores, same tie order); above, the nearest stories come from an HNSW
    index (approximate), so the cost per new event stays flat as stories accumulate.

    >>> from storyline.cluster import EventClusterer
    >>> from storyline.cluster.testing import toy_profile
    >>> events = EventClusterer()
    >>> for i, v in enumerate([[1, 0], [0.9, 0.3], [0, 1]]):
    ...     _ = events.learn_one(toy_profile(f"a{i}", v, f"t{i}", day="2020-03-0" + str(i + 1)))
    >>> from storyline.cluster import StoryLinker
    >>> StoryLinker().link_many(events) == ShortlistStoryLinker(shortlist=1).link_many(events)
    True
    """

    def __init__(
        self, threshold: float = 0.45, window_days: float = 1100.0, name_weight: float = 0.5, shortlist: int = 32, ann_after: int = 3000
    ) -> None:
        super().__init__(threshold=threshold, window_days=window_days, name_weight=name_weight)
        self.shortlist = shortlist
        self.ann_after = ann_after

    def _init_state(self) -> None:
        super()._init_state()
        self._ids: list[str] = []
        self._pos: dict[str, int] = {}
        self._index: Any = None  # CentroidIndex of the story centroids (slot = position in _ids), made at the first story
        self._by_name: dict[str, set[str]] = {}

    def _best(self, event: Any, names: set[str] | None = None) -> tuple[str | None, float]:
        """The best story for ``event`` and its score (``names``: :func:`~storyline.cluster.stories._event_names`
        of the event, when the caller has them)."""
        n = len(self._ids) if hasattr(self, "_ids") else 0
        if n <= self.shortlist:
            return super()._best(event, names)
        from storyline.cluster.stories import _event_names

        day = event.first_day.toordinal() if event.first_day else None
        centroid = event.centroid
        found = self._index.query(np.asarray(centroid, dtype=np.float32), k=self.shortlist, day=day, window=float(self.window_days))
        near = dict(found)  # slot -> the index's cosine (within ~1e-6 of the one scored below)
        candidates = set(near)
        if names is None:
            names = _event_names(event)  # once per event, not once per story scored
        for name in names:
            candidates.update(self._pos[s] for s in self._by_name.get(name, ()))
        w = self.name_weight
        # each candidate's score (what StoryLinker.score gives: tests/test_pipeline.py checks it) is at most
        # (1 - w) * cosine + w * overlap, or 0 outside the window; a cosine is at most the index's plus a slack
        # (or 1, unit vectors, for a story that only shares a name). Scored from the highest bound down, a story
        # whose bound is below the best score so far cannot win: the choice (ties: the lowest slot, as the plain
        # linker's first-best) is the one scoring every candidate makes.
        bounded = []
        for i in candidates:
            story = self.stories_[self._ids[i]]
            overlap = len(names & story.names.keys()) / max(1, min(len(names), len(story.names))) if names and story.names else 0.0
            bound = max(0.0, (1 - w) * (near.get(i, 1.0) + _COSINE_SLACK) + w * overlap)
            bounded.append((-bound, i, overlap))
        bounded.sort()
        best_slot, best_score = -1, -1.0
        for minus_bound, i, overlap in bounded:
            if -minus_bound < best_score:
                break
            story = self.stories_[self._ids[i]]
            score = (1 - w) * float(centroid @ self._centroid(story)) + w * overlap if self._in_window(event, story) else 0.0
            if score > best_score or (score == best_score and i < best_slot):
                best_slot, best_score = i, score
        return (self._ids[best_slot] if best_slot >= 0 else None), best_score

    def _centroid(self, story: Any) -> np.ndarray:
        """``story.centroid``, kept until the story gains an event (a story is scored far more often than it grows)."""
        cache = self.__dict__.setdefault("_centroids", {})
        hit = cache.get(story.story_id)
        if hit is None or hit[0] != len(story.events):
            if len(cache) >= _CENTROID_CACHE:  # bounded: the stories scored again are mostly recent ones
                cache.clear()
            hit = cache[story.story_id] = (len(story.events), story.centroid)
        return hit[1]

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_centroids", None)  # made again on use: not worth a snapshot's bytes
        return state

    def learn_one(self, event: Any) -> str:
        """:meth:`StoryLinker.learn_one <storyline.cluster.stories.StoryLinker.learn_one>`, then the story's
        centroid and names indexed."""
        if event.event_id in getattr(self, "assignments_", {}):
            return self.assignments_[event.event_id]
        story_id = super().learn_one(event)
        story = self.stories_[story_id]
        if story_id not in self._pos:
            self._pos[story_id] = len(self._ids)
            self._ids.append(story_id)
        centroid = np.asarray(self._centroid(story), dtype=np.float32)
        if self._index is None:
            from storyline.cluster.candidates import CentroidIndex

            self._index = CentroidIndex(dim=int(centroid.shape[0]), ann_after=self.ann_after)
        i = self._pos[story_id]
        for d in (story.first_day, story.last_day):
            self._index.upsert(i, centroid, day=d.toordinal() if d else None)
        for name in story.names:
            self._by_name.setdefault(name, set()).add(story_id)
        return story_id


# ------------------------------------------------------------------ the pipeline


def outlet_of(article: Article) -> str:
    """The outlet an article came from: ``meta["source"|"outlet"]``, the URL's host, else the file/feed it was read from.

    >>> outlet_of(Article.from_text("t", "x", url="https://www.bbc.co.uk/news/1"))
    'bbc.co.uk'
    >>> outlet_of(Article.from_text("t", "x", source="feed:feeds/dw.xml#entry-3"))
    'feeds/dw.xml'
    """
    for key in ("outlet", "source", "site"):
        value = article.meta.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    if article.url and "://" in article.url:
        host = article.url.split("://", 1)[1].split("/", 1)[0].split("@")[-1].split(":")[0].lower()
        return host[4:] if host.startswith("www.") else host
    src = article.source
    for prefix in ("file:", "feed:", "jsonl:", "csv:", "json:"):
        if src.startswith(prefix):
            src = src[len(prefix) :]
    return re.split(r"[#]|:\d+$", src)[0]


class Pipeline:
    """Online ingest into a store (see the module docstring).

    Parameters
    ----------
    store:
        Where everything goes (:func:`storyline.store.open_store`).
    profiler:
        ``"full"``, ``"fast"`` or ``"lexical"`` (:data:`PROFILERS`), or a profiler object (in-process only).
    workers:
        Profiling processes; 0 profiles in this process. The clusterer and the store writer
        always run in this process (the single writer).
    batch_size:
        Articles per store transaction.
    snapshot_every:
        Articles between clusterer snapshots, at least; once the clusterer holds more than ten times
        that many, a snapshot every tenth of what it holds. A snapshot's cost grows with the state,
        so the growing interval keeps its cost per added article flat, and a restart replays at most
        a tenth of the log. Also taken at the end of every ingest.
    clusterer, linker:
        Unfitted :class:`EventClusterer` / :class:`StoryLinker` to start from when the store has no snapshot.
    keep_notices:
        Store pages that are a notice instead of the article (anti-bot, captcha, "enable JavaScript",
        paywall, "access denied": :func:`storyline.analyse.pagekind.page_kind`) like any other. By
        default each is a failed record ("not an article") and is not stored: such pages all look
        alike, so they would gather into one event of their own and hide the articles behind them.
    """

    def __init__(
        self,
        store: Store,
        *,
        profiler: str | Any = "full",
        workers: int = 0,
        batch_size: int = 32,
        snapshot_every: int = 2000,
        clusterer: Any = None,
        linker: Any = None,
        keep_notices: bool = False,
    ) -> None:
        from storyline.cluster import EventClusterer

        self.store = store
        self.profiler_kind = profiler if isinstance(profiler, str) else None
        self._profiler = None if isinstance(profiler, str) else profiler
        self._shared_profiler: Any = None
        self.workers = workers
        self.batch_size = batch_size
        self.snapshot_every = snapshot_every
        self.keep_notices = keep_notices
        self.clusterer = clusterer if clusterer is not None else EventClusterer()
        self.linker = linker if linker is not None else ShortlistStoryLinker()
        self.replayed = 0
        self.restore_seconds = 0.0
        self._since_snapshot = 0
        self._lock = threading.RLock()
        self._restore()
        if getattr(self.clusterer, "assignments_", None):  # a snapshot loaded or articles replayed
            import gc

            # the restored state lives as long as the process: the collector need not walk it again
            # (full collections at 102k stored articles: 0.19-0.38 -> 0.03 ms per added article)
            gc.collect()
            gc.freeze()

    # -- restart ------------------------------------------------------------------

    def _restore(self) -> None:
        """:meth:`_restore_now` with one BLAS/OpenMP thread: the clusterer's products are small, and a
        second thread only spins and burns CPU on a loaded machine (the ingest path limits them the same way)."""
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            self._restore_now()

    def _restore_now(self) -> None:
        """Load the latest snapshot and replay the stored articles after it.

        A snapshot from other clustering code (see :func:`code_fingerprint`) or one that does
        not load is not used: the whole log is replayed, and stored events and stories are
        re-synced with what the current code decides.
        """
        start = time.perf_counter()
        snap = self.store.open_snapshot()
        after, stale = 0, False
        if snap is not None:
            try:
                with snap[1] as f:  # unpickled from the stored parts as they are read: never the whole snapshot in memory
                    version, fingerprint = _read_header(f)
                    if version == SNAPSHOT_VERSION and fingerprint == code_fingerprint():
                        clusterer, linker = _load_state(f)
            except Exception as exc:  # noqa: BLE001 - any unreadable snapshot means: rebuild from the log
                _log.warning("%s: snapshot at article %s does not load (%s); rebuilding from the stored articles", self.store, snap[0], exc)
                version, fingerprint = None, None
            if version == SNAPSHOT_VERSION and fingerprint == code_fingerprint():
                after, self.clusterer, self.linker = snap[0], clusterer, linker
            else:
                stale = True
        for _, profile, outlet in self.store.iter_profiles(after):
            self._learn(profile, outlet)
            self.replayed += 1
        if stale:
            self._resync()
        self._since_snapshot = self.replayed
        self.restore_seconds = time.perf_counter() - start

    def _resync(self, chunk: int = 2000) -> None:
        """Write the rebuilt clusterer's events, stories and copy edges over the stored ones."""
        c, linker = self.clusterer, self.linker
        if not hasattr(c, "assignments_"):
            return
        stored = {r["article_id"]: r["event_id"] for r in self.store.iter_rows("articles")}  # type: ignore[attr-defined]
        moved = {a: e for a, e in c.assignments_.items() if stored.get(a, e) != e}
        items = list(moved.items())
        for i in range(0, max(1, len(items)), chunk):
            self.store.write(WriteBatch(assignments=dict(items[i : i + chunk])))
        self.store.write(
            WriteBatch(
                stories={e: linker.assignments_[e] for e in c.events_ if e in linker.assignments_},
                event_days={e: (_day(ev.first_day), _day(ev.last_day)) for e, ev in c.events_.items()},
                copies=list(c.copies_.edges),
                snapshot=(-1, self.write_snapshot),
            )
        )

    def snapshot_due(self) -> int:
        """Articles between snapshots now (:func:`snapshot_interval` of what the clusterer holds)."""
        return snapshot_interval(self.snapshot_every, len(self.clusterer.assignments_))

    def snapshot_bytes(self) -> bytes:
        """The snapshot as bytes (what :meth:`write_snapshot` streams)."""
        import io

        buffer = io.BytesIO()
        self.write_snapshot(buffer)
        return buffer.getvalue()

    def write_snapshot(self, file: Any) -> None:
        """Pickle the header and the clusterer and linker state into ``file`` as it goes (the store
        passes a file that flushes a stored part every few MB: the whole pickle is never in memory)."""
        file.write(b"%s %d %s\n" % (SNAPSHOT_MAGIC, SNAPSHOT_VERSION, code_fingerprint().encode("ascii")))
        # protocol 5: with 4, each NumPy array is copied into a bytes object that the pickler's memo
        # keeps until the end (+270 MB of peak RSS at 102k stored articles)
        with _gc_paused():  # collections while pickling were a third of a snapshot's CPU
            pickler = pickle.Pickler(file, protocol=pickle.HIGHEST_PROTOCOL)
            pickler.dispatch_table = _snapshot_reducers()
            pickler.dump((self.clusterer, self.linker))

    def snapshot(self) -> None:
        """Write a snapshot now (as of the last stored article)."""
        self.store.write(WriteBatch(snapshot=(-1, self.write_snapshot)))
        self._since_snapshot = 0

    # -- clustering one profile ------------------------------------------------------

    def _learn(self, profile: Profile, outlet: str, batch: WriteBatch | None = None) -> tuple[str, str]:
        c, linker = self.clusterer, self.linker
        fitted = hasattr(c, "events_")
        n_merges = len(c.merges_) if fitted else 0
        n_copies = len(c.copies_) if fitted else 0
        event_id = c.learn_one(profile, source=outlet or None)
        story_id = linker.assignments_.get(event_id) if hasattr(linker, "assignments_") else None
        if story_id is None:
            story_id = linker.learn_one(c.events_[event_id])
            if batch is not None:
                batch.stories[event_id] = story_id
        if batch is not None:
            batch.merges.extend(c.merges_[n_merges:])
            batch.copies.extend(c.copies_.edges[n_copies:])
            ev = c.events_[event_id]
            batch.event_days[event_id] = (_day(ev.first_day), _day(ev.last_day))
        return event_id, story_id

    # -- the Python API ------------------------------------------------------------------

    def add_one(self, article: Article, *, outlet: str | None = None, profile: Profile | None = None) -> Placement:
        """Add one article now (profiled in this process); returns its event and story.

        Thread-safe: calls from several threads (an HTTP server) are serialised around the clusterer.
        """
        with self._lock:
            return self._add_one(article, outlet=outlet, profile=profile)

    def _add_one(self, article: Article, *, outlet: str | None, profile: Profile | None) -> Placement:
        if self.store.known_ids([article.article_id], [article.url] if article.url else []):
            stored = self.store.get_article(article.article_id)
            return Placement(article.article_id, stored.event_id if stored else None, stored.story_id if stored else None, duplicate=True)
        encoded = encode_profile(profile if profile is not None else self._local_profiler().profile(article))
        batch = WriteBatch()
        placement = self._add(article, decode_profile(encoded), outlet if outlet is not None else outlet_of(article), batch, encoded)
        self._flush(batch)
        return placement

    def preload(self, languages: Iterable[str] | None = None) -> None:
        """Load the profiler's models now rather than at the first article (the pooled ingest loads
        them here once and forks its workers from this process, so they share them).

        ``languages``: only those languages' models (see :func:`stream_languages`); None loads every
        supported language's. A language met later loads in each worker on its first article."""
        import multiprocessing as mp

        if self.workers > 0 and self._profiler is None and "fork" in mp.get_all_start_methods():
            self._pool_profiler(languages)
        else:
            self._local_profiler()

    def _pool_profiler(self, languages: Iterable[str] | None = None) -> Any:
        """The profiler the forked workers share, loaded once in this process with one BLAS/OpenMP thread."""
        if self._shared_profiler is None:
            from threadpoolctl import threadpool_limits

            with threadpool_limits(limits=1):
                profiler = make_profiler(self.profiler_kind or "full")
                try:  # models load on first use: load the languages' here, once, before the fork
                    if hasattr(profiler, "preload"):
                        profiler.preload() if languages is None else profiler.preload(languages)
                    else:
                        profiler.profile(Article.from_text("Warm-up", "The council of Paris met on Monday. It approved 12 new schools."))
                except Exception as exc:  # noqa: BLE001 - the workers then load (and report) on their own
                    _log.warning("profiler warm-up failed (%s): each worker loads its models", exc)
                self._shared_profiler = profiler
        return self._shared_profiler

    def _local_profiler(self) -> Any:
        if self._profiler is None:
            self._profiler = make_profiler(self.profiler_kind or "full")
        return self._profiler

    def _add(self, article: Article, profile: Profile, outlet: str, batch: WriteBatch, encoded: bytes | None = None) -> Placement:
        event_id, story_id = self._learn(profile, outlet, batch)
        batch.articles.append(NewArticle(article, profile, outlet, event_id, encoded=encoded))  # stored as the workers encoded it
        return Placement(article.article_id, event_id, story_id)

    def _flush(self, batch: WriteBatch, report: IngestReport | None = None, *, final: bool = False) -> None:
        if not batch.articles and not batch.failures and not final:
            return
        self._since_snapshot += len(batch.articles)
        if final or self._since_snapshot >= self.snapshot_due():
            batch.snapshot = (-1, self.write_snapshot)
            self._since_snapshot = 0
        result = self.store.write(batch)
        if report is not None:
            report.added += len(result.added)
            report.events.update(a.event_id for a in batch.articles if a.event_id)
        # result.duplicates (stored meanwhile by another writer) need nothing: the in-memory state has them

    # -- batch ingest ----------------------------------------------------------------------

    def ingest(
        self,
        items: Iterable[Article | RecordError],
        *,
        on_progress: Callable[[int], None] | None = None,
        on_failure: Callable[[RecordError], None] | None = None,
        encoded: Callable[[Article], bytes] | None = None,
    ) -> IngestReport:
        """Add a stream of articles (and reader errors): profiled in ``workers`` processes, clustered
        and written here in batches. Articles already stored (by id or URL) are skipped.

        ``encoded``, when given, returns each article's profile already encoded (as a batch run
        wrote it, :func:`storyline.store.codec.encode_profile`): nothing is profiled here."""
        with self._lock:
            if encoded is not None or self.workers <= 0 or self._profiler is not None:
                return self._ingest(items, on_progress=on_progress, on_failure=on_failure, encoded=encoded)
            from threadpoolctl import threadpool_limits

            with threadpool_limits(limits=1):  # the writer shares the cores with the workers: no BLAS pool of its own
                return self._ingest(items, on_progress=on_progress, on_failure=on_failure)

    def _ingest(
        self,
        items: Iterable[Article | RecordError],
        *,
        on_progress: Callable[[int], None] | None,
        on_failure: Callable[[RecordError], None] | None,
        encoded: Callable[[Article], bytes] | None = None,
    ) -> IngestReport:
        start = time.perf_counter()
        report = IngestReport(replayed=self.replayed)
        pending_failures: deque[RecordError] = deque()  # appended by the reader thread, drained here

        def fail(err: RecordError) -> None:
            report.failures.append(err)
            pending_failures.append(err)
            if on_failure is not None:
                on_failure(err)

        fresh = self._fresh(items, report, fail, on_progress)
        batch = WriteBatch()
        profiled = ((a, encoded(a)) for a in fresh) if encoded is not None else self._profiled(fresh)
        for article, result in profiled:
            if isinstance(result, RecordError):
                fail(result)
            else:
                self._add(article, decode_profile(result), outlet_of(article), batch, result)
            if on_progress is not None:
                on_progress(1)
            if len(batch.articles) >= self.batch_size:
                batch.failures = _drain(pending_failures)
                self._flush(batch, report)
                batch = WriteBatch()
        self._settle(batch)
        batch.failures = _drain(pending_failures)
        self._flush(batch, report, final=True)
        report.seconds = time.perf_counter() - start
        return report

    def _settle(self, batch: WriteBatch) -> None:
        """The end of an ingest run: lone articles and events split while their story arrived join
        where they belong (:meth:`EventClusterer.settle`, over the events this run touched); the
        merges go into the run's last transaction, with the snapshot."""
        c = self.clusterer
        if not hasattr(c, "settle") or not hasattr(c, "events_"):
            return
        n_merges = len(c.merges_)
        c.settle()
        merges = c.merges_[n_merges:]
        batch.merges.extend(merges)
        for _, into, _ in merges:
            if into in c.events_:
                ev = c.events_[into]
                batch.event_days[into] = (_day(ev.first_day), _day(ev.last_day))

    def _fresh(
        self,
        items: Iterable[Article | RecordError],
        report: IngestReport,
        fail: Callable[[RecordError], None],
        on_progress: Callable[[int], None] | None,
        chunk: int = 128,
    ) -> Iterator[Article]:
        """Articles not stored yet and not seen earlier in this run (by id and by URL)."""
        seen_ids: set[str] = set()
        seen_urls: set[str] = set()
        buffer: list[Article] = []

        def drain() -> Iterator[Article]:
            known = self.store.known_ids([a.article_id for a in buffer], [a.url for a in buffer if a.url])
            for a in buffer:
                if a.article_id in known or a.article_id in seen_ids or (a.url and (a.url in known or a.url in seen_urls)):
                    report.duplicates += 1
                    if on_progress is not None:
                        on_progress(1)
                    continue
                seen_ids.add(a.article_id)
                if a.url:
                    seen_urls.add(a.url)
                yield a
            buffer.clear()

        for item in items:
            if not isinstance(item, RecordError) and not self.keep_notices:
                item = notice_error(item) or item
            if isinstance(item, RecordError):
                fail(item)
                if on_progress is not None:
                    on_progress(1)
                continue
            buffer.append(item)
            if len(buffer) >= chunk:
                yield from drain()
        yield from drain()

    def _profiled(self, articles: Iterator[Article]) -> Iterator[tuple[Article, bytes | RecordError]]:
        if self.workers <= 0 or self._profiler is not None:
            profiler = self._local_profiler()
            for article in articles:
                try:
                    yield article, encode_profile(profiler.profile(article))
                except Exception as exc:  # one bad record never stops the batch
                    yield article, RecordError.from_exc(article.source, "analyse", exc)
            return
        import multiprocessing as mp

        fork = "fork" in mp.get_all_start_methods()
        ctx = mp.get_context("fork" if fork else "spawn")
        slots = threading.BoundedSemaphore(max(64, 64 * self.workers))  # articles in flight: memory stays bounded
        # forked workers inherit the models loaded once here (not pickled: fork passes the object itself),
        # those of the languages of the first articles; spawned ones load their own
        if fork and self._shared_profiler is None:
            head = list(itertools.islice(articles, PRELOAD_PEEK))
            self._pool_profiler(stream_languages(head))
            articles = itertools.chain(head, articles)
        shared = self._pool_profiler() if fork else (self.profiler_kind or "full")
        import gc

        if fork:
            gc.collect()
            gc.freeze()  # what is loaded now (the models, the restored state): no collection walks (and copies) it again
        pool = ctx.Pool(self.workers, initializer=_init_worker, initargs=(shared,))
        with pool:  # articles go to the workers 4 at a time, profiled together (Profiler.profile_many)
            for results in pool.imap(_profile_encoded_many, _batched(_bounded(articles, slots), PROFILE_BATCH)):
                for result in results:
                    slots.release()
                    yield result


PRELOAD_PEEK = 256
"""Articles a pooled ingest reads ahead to choose the models it loads before forking (:func:`stream_languages`)."""


def stream_languages(articles: Sequence[Article]) -> tuple[str, ...]:
    """The languages whose models to load before profiling ``articles``: English (which several
    languages' entity extraction borrows), then each article's language hint and the language
    detected in its first 1,000 characters, in order of first appearance.

    Loading only these (instead of all 20 supported languages) saves the rest's model loading
    (French spaCy alone: ~2.5 s of CPU) on every ingest run.

    >>> stream_languages([Article.from_text("", "Der Bundestag hat am Donnerstag das Gesetz verabschiedet.")])
    ('en', 'de')
    """
    from storyline.analyse.language import SUPPORTED_LANGUAGES, detect_language

    found = {"en": None}
    for a in articles:
        if a.language_hint:
            found[a.language_hint.split("-")[0].lower()] = None
        found[detect_language(a.text[:1000])] = None
    return tuple(lang for lang in found if lang in SUPPORTED_LANGUAGES)


def _read_header(file: Any) -> tuple[int | None, str | None]:
    """``(version, code fingerprint)`` from a snapshot's header line; ``(None, None)`` for anything else.

    >>> import io
    >>> _read_header(io.BytesIO(b"storyline-snapshot 3 0123abcd\\n...")), _read_header(io.BytesIO(b"\\x80\\x05..."))
    ((3, '0123abcd'), (None, None))
    """
    line = file.readline(200)
    parts = line.split()
    if len(parts) != 3 or parts[0] != SNAPSHOT_MAGIC or not parts[1].isdigit():
        return None, None
    return int(parts[1]), parts[2].decode("ascii", "replace")


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector paused: while a snapshot is pickled or unpickled it would
    otherwise scan the growing heap again and again as millions of objects are made."""
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@functools.lru_cache(maxsize=1)
def _snapshot_reducers() -> dict[Any, Any]:
    """The snapshot pickler's dispatch table: copyreg's, plus a reducer for each frozen, slotted record of
    :mod:`storyline.types` (profiles and their mentions, places, dates, numbers, segments — most objects of a
    snapshot) that gives what ``object.__reduce_ex__`` gives through dataclasses' ``__getstate__``, without the
    ``dataclasses.fields()`` call per object: the same bytes, ~20 % less pickling CPU.

    >>> from storyline.types import Segment
    >>> import io
    >>> seg = Segment("en", 0, 5, "Hello")
    >>> out = io.BytesIO(); p = pickle.Pickler(out, protocol=5); p.dispatch_table = _snapshot_reducers(); p.dump(seg)
    >>> out.getvalue() == pickle.dumps(seg, protocol=5)
    True
    """
    import copyreg
    import dataclasses

    import storyline.types as records

    table: dict[Any, Any] = dict(copyreg.dispatch_table)
    getstate = getattr(dataclasses, "_dataclass_getstate", None)  # what frozen slotted dataclasses pickle through
    for cls in vars(records).values():
        if isinstance(cls, type) and dataclasses.is_dataclass(cls) and getstate is not None and cls.__dict__.get("__getstate__") is getstate:
            table[cls] = _record_reducer(cls, tuple(f.name for f in dataclasses.fields(cls)))
    return table


def _record_reducer(cls: type, names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    import copyreg
    import operator

    newobj, args = copyreg.__newobj__, (cls,)  # type: ignore[attr-defined]
    if len(names) == 1:
        one = operator.attrgetter(names[0])

        def reduce_one(obj: Any) -> tuple[Any, ...]:
            return newobj, args, [one(obj)], None, None

        return reduce_one
    values = operator.attrgetter(*names)

    def reduce(obj: Any) -> tuple[Any, ...]:
        return newobj, args, list(values(obj)), None, None

    return reduce


def _load_state(file: Any) -> Any:
    """Unpickle a snapshot from ``file`` with the cyclic garbage collector paused."""
    with _gc_paused():
        return pickle.load(file)


def snapshot_interval(every: int, held: int) -> int:
    """Articles between two snapshots when the clusterer holds ``held``: ``every``, or a tenth of ``held``.

    A snapshot costs time proportional to the state, so a fixed interval would make the cost per
    added article grow with the store; a tenth keeps it flat and bounds a restart's replay.

    >>> snapshot_interval(2000, 5_000), snapshot_interval(2000, 100_000)
    (2000, 10000)
    """
    return max(every, held // 10)


def _bounded(items: Iterator[Article], slots: Any) -> Iterator[Article]:
    """Yield items only while fewer than the semaphore's size are in flight (the pool's feeder thread would read them all)."""
    for item in items:
        slots.acquire()
        yield item


PROFILE_BATCH = 4
"""Articles a profiling worker receives and profiles at a time."""


def _batched(items: Iterator[Article], n: int) -> Iterator[list[Article]]:
    while chunk := list(itertools.islice(items, n)):
        yield chunk


def notice_error(article: Article) -> RecordError | None:
    """The failed record for a page that is a notice instead of the article, or None for an article.

    >>> notice_error(Article.from_text("Access denied", "Access denied. Please verify you are not a robot.", source="x.html")).reason
    'not an article: the page is a notice (access, robot) instead of the article; fetch it again or from another source'
    >>> notice_error(Article.from_text("Talks resume", "Talks resumed in Doha on Monday.")) is None
    True
    """
    from storyline.analyse.pagekind import NOTICE_MAX_CHARS, page_kind

    if len(article.text) > NOTICE_MAX_CHARS:
        return None

    kind = page_kind(f"{article.title}\n{article.text}" if article.title else article.text)
    if not kind.not_article:
        return None
    cues = ", ".join(sorted(kind.cues))
    reason = f"not an article: the page is a notice ({cues}) instead of the article; fetch it again or from another source"
    return RecordError(article.source, "ingest", reason, "NotAnArticle")


def _drain(queue: deque[RecordError]) -> list[RecordError]:
    out = []
    while queue:
        out.append(queue.popleft())
    return out


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def ingest_paths(store: Store, paths: Sequence[str], **options: Any) -> IngestReport:
    """Read files/folders/feeds with :func:`storyline.ingest.iter_articles` and ingest them."""
    from storyline.ingest import iter_articles

    return Pipeline(store, **options).ingest(iter_articles(list(paths)))
