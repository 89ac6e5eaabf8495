"""Online event clustering: each profile joins an existing event or opens a new one, at once.

Two stages per article:

1. **Candidates** (cheap): the nearest event centroids by embedding cosine
   within a time window (:class:`~storyline.cluster.candidates.CentroidIndex`),
   plus the events of any MinHash near-duplicate
   (:class:`~storyline.cluster.candidates.MinHashBands`).
2. **Judgement** (on those few): the article–event score
   (:func:`~storyline.cluster.features.event_score`, a small logistic model)
   over pair features against a few representative members of each candidate
   event — the ones closest to it — plus event-level terms (centroid cosine,
   the names most of the event's members use).

The article joins the best event scoring at least ``threshold``; other
candidates scoring at least ``merge_threshold`` are merged into it (merges are
recorded in ``merges_``). Near-duplicates and translations found on the way
are recorded in ``copies_`` (a :class:`CopyGraph`).

>>> from storyline.cluster.events import EventClusterer
>>> from storyline.cluster.testing import toy_profile
>>> model = EventClusterer()
>>> a = model.learn_one(toy_profile("q1", [1, 0, 0], "Quake hits Kabul", names="Kabul Afghanistan"))
>>> b = model.learn_one(toy_profile("q2", [0.98, 0.2, 0], "Kabul quake kills dozens", names="Kabul Afghanistan"))
>>> c = model.learn_one(toy_profile("m1", [0, 1, 0], "Stocks fall in Tokyo", names="Tokyo Nikkei"))
>>> a == b != c, len(model.events_)
(True, 2)
>>> model.predict_one(toy_profile("m2", [0.1, 0.99, 0], "Tokyo stocks slide", names="Tokyo Nikkei")) == c
True
>>> model  # doctest: +ELLIPSIS
EventClusterer(threshold=0.5, ...)
"""

from __future__ import annotations

import contextlib
import functools
import gc
import inspect
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Collection, Iterable, Iterator, Sequence, overload

import numpy as np

from storyline.cluster.candidates import CentroidIndex, MinHashBands
from storyline.cluster.features import Digest, Float32Memo, Vocabulary, event_score, event_terms, key_vector, link_features, link_terms
from storyline.errors import invalid_parameter
from storyline.types import Profile


@dataclass
class EventState:
    """One event as the clusterer holds it (learned state; read it, don't change it)."""

    event_id: str
    slot: int
    members: list[str] = field(default_factory=list)  # article ids, in arrival order
    representatives: list[Digest] = field(default_factory=list)
    vector_sum: np.ndarray | None = None
    first_day: date | None = None
    last_day: date | None = None
    languages: dict[str, int] = field(default_factory=dict)
    sources: dict[str, int] = field(default_factory=dict)
    headline: str = ""
    name_df: dict[int, dict[str, int]] = field(default_factory=dict)  # script -> name -> members naming it
    script_counts: dict[int, int] = field(default_factory=dict)
    retired: bool = False  # out of the live window: light summary only (see :meth:`retire`)
    top_names: tuple[str, ...] | None = None  # set on retirement: the names story linking reads

    def retire(self) -> None:
        """Keep only the light summary: members, counts, days, headline, the centroid (float16)
        and the names story linking reads (:func:`storyline.cluster.stories._event_names`);
        drop the representatives and the name tables. A retired event is no candidate any more.

        >>> from storyline.cluster.testing import toy_profile
        >>> from storyline.cluster.features import Digest
        >>> ev = EventState("e1", 0)
        >>> ev.add(Digest(toy_profile("a", [1, 0], "Quake in Kabul", names="Kabul")), representatives=6)
        >>> ev.retire()
        >>> ev.retired, ev.representatives, ev.top_names, ev.members, ev.centroid.dtype
        (True, [], ('kabul',), ['a'], dtype('float32'))
        """
        from storyline.cluster.stories import _event_names

        names = _event_names(self)
        self.top_names = tuple(sorted(names))
        if self.vector_sum is not None:
            self.vector_sum = self.centroid.astype(np.float16)
        self.representatives = []
        self.name_df = {}
        self.script_counts = {}
        self.retired = True

    def add(self, digest: Digest, *, representatives: int, source: str | None = None) -> None:
        """Add one member (the clusterer calls this; also used to build events from gold labels)."""
        p = digest.profile
        self.members.append(p.article_id)
        self.representatives.append(digest.compact())
        if len(self.representatives) > representatives:
            del self.representatives[representatives // 2]  # keep the first few and the latest
        v = key_vector(p)
        self.vector_sum = v.copy() if self.vector_sum is None else self.vector_sum + v
        if digest.day:
            self.first_day = min(self.first_day, digest.day) if self.first_day else digest.day
            self.last_day = max(self.last_day, digest.day) if self.last_day else digest.day
        self.languages[p.language] = self.languages.get(p.language, 0) + 1
        if source:
            self.sources[source] = self.sources.get(source, 0) + 1
        if not self.headline:
            self.headline = p.title
        self.script_counts[digest.script] = self.script_counts.get(digest.script, 0) + 1
        df = self.name_df.setdefault(digest.script, {})
        for name in sorted(digest.names):  # sorted: set order changes with the hash seed, and ties follow it
            df[name] = df.get(name, 0) + 1

    def absorb(self, other: EventState, *, representatives: int) -> None:
        """Take over all members of ``other`` (a merge)."""
        self.members.extend(other.members)
        room = representatives - len(self.representatives)
        self.representatives.extend(other.representatives[: max(room, 1)])
        del self.representatives[representatives:]
        if other.vector_sum is not None:
            self.vector_sum = other.vector_sum if self.vector_sum is None else self.vector_sum + other.vector_sum
        for d in (other.first_day, other.last_day):
            if d:
                self.first_day = min(self.first_day, d) if self.first_day else d
                self.last_day = max(self.last_day, d) if self.last_day else d
        for table, extra in ((self.languages, other.languages), (self.sources, other.sources), (self.script_counts, other.script_counts)):
            for k, n in extra.items():
                table[k] = table.get(k, 0) + n
        for script, names in other.name_df.items():
            df = self.name_df.setdefault(script, {})
            for name, n in names.items():
                df[name] = df.get(name, 0) + n

    def terms(
        self, digest: Digest, vector: np.ndarray, compare: int, vocabulary: Vocabulary | None = None, memo: dict[Any, Any] | None = None
    ) -> tuple[dict[str, float], list[tuple[Digest, dict[str, float]]]]:
        """The article–event score's inputs for ``digest`` (with ``vector = key_vector(profile)``),
        and the raw pair features against the closest representatives. ``memo``: link features already
        made for a (digest, representative) pair while ``vocabulary`` stood still (see :func:`_link_memo`)."""
        chosen = self._closest(vector, compare)
        pairs = [(r, link_features(digest, r, vocabulary) if memo is None else _link_memo(memo, digest, r, vocabulary)) for r in chosen]
        scored = sorted((link_terms(f) for _, f in pairs), key=lambda t: -(t["title_score"] + t["lead_passage_score"] + 2 * t["diagonal_score"]))
        terms = event_terms(
            digest,
            scored[:2],
            float(self.centroid @ vector),
            self.name_df.get(digest.script, {}),
            self.script_counts.get(digest.script, 0),
            len(self.members),
        )
        return terms, pairs

    def _closest(self, vector: np.ndarray, compare: int) -> list[Digest]:
        """The ``compare`` representatives whose keys are closest to ``vector`` (ties: the earlier kept)."""
        reps = self.representatives
        closeness = np.array([float(r.key() @ vector) for r in reps])
        return [reps[i] for i in np.argsort(-closeness, kind="stable")[:compare]]

    @property
    def n_articles(self) -> int:
        return len(self.members)

    @property
    def centroid(self) -> np.ndarray:
        assert self.vector_sum is not None
        v = np.asarray(self.vector_sum, dtype=np.float32)
        norm = float(np.linalg.norm(v))
        return v / norm if norm > 0 else v


class _LinkMemo(dict):  # type: ignore[type-arg]
    """(id, id) → (digest, digest, link features), and the float32 vectors of the digests met
    (:class:`~storyline.cluster.features.Float32Memo`): what :func:`_link_memo` keeps."""

    def __init__(self) -> None:
        super().__init__()
        self.f32 = Float32Memo()
        self.prefetch: _Prefetch | None = None  # a helper scoring ahead (:meth:`EventClusterer.settle`)
        self.made: Callable[[Digest, EventState, float, bool], None] | None = None  # in the helper: where its scores go


def _link_memo(memo: dict[Any, Any], a: Digest, b: Digest, vocabulary: Vocabulary | None) -> dict[str, float]:
    """:func:`link_features` of ``a`` and ``b``, made once per ``memo`` (which must not outlive the
    vocabulary's state: the lexical score reads it). The two digests are kept with the features, so
    their ids stay theirs while the memo lives; a :class:`_LinkMemo` also widens each vector once."""
    key = (id(a), id(b))
    hit = memo.get(key)
    if hit is None:
        f32 = getattr(memo, "f32", None)
        features = link_features(a, b, vocabulary) if f32 is None else link_features(a, b, vocabulary, f32)
        hit = memo[key] = (a, b, features)
    return hit[2]  # type: ignore[no-any-return]


class _Prefetch:
    """A forked helper process that makes, on a core of its own, the scores a :meth:`EventClusterer.settle`
    will ask for — each (representative, event) score of :meth:`EventClusterer._settle_plan`, the plan of the
    state as it stands, last event first while the settle works from the first — and sends them over a pipe,
    each with the event's size. A score is a pure function of the digest, the event's state and the vocabulary;
    during a settle the vocabulary stands still and an event changes only by absorbing another (which adds
    members), so a score the helper made for an event of the same size as the settle's is bit for bit the one
    the settle would make (the same code on the same data): the settle takes it, and its decisions are the same
    with or without the helper, whatever the helper managed to send. ``progress`` holds where the settle is
    (phase, event slot), so the helper skips what the settle has passed.

    Started with ``fork`` only (the helper reads the settling state without copying it), never from a daemonic
    process; killed when the settle ends.
    """

    BATCH = 64  # scores per message

    def __init__(self, proc: Any, conn: Any, progress: Any) -> None:
        self.proc, self.conn, self.progress = proc, conn, progress
        self.ready: dict[tuple[str, str, int], tuple[float, bool]] = {}
        self.received = self.taken = 0

    @classmethod
    def start(cls, model: EventClusterer) -> _Prefetch | None:
        """Fork the helper for ``model``'s coming settle; None where that is not possible."""
        import multiprocessing as mp

        if "fork" not in mp.get_all_start_methods() or mp.current_process().daemon:
            return None
        ctx = mp.get_context("fork")
        progress = ctx.RawArray("q", 2)  # (phase: 0 rescue / 1 consolidation / 2 past both, slot of the event being settled)
        recv, send = ctx.Pipe(duplex=False)
        _widen_pipe(send.fileno())
        proc = ctx.Process(target=_prefetch_main, args=(model, send, progress), daemon=True, name="storyline-settle-helper")
        try:
            proc.start()
        except OSError:  # no process to spare: the settle scores everything itself
            recv.close()
            send.close()
            return None
        send.close()
        return cls(proc, recv, progress)

    def at(self, phase: int, slot: int) -> None:
        """Tell the helper where the settle is."""
        self.progress[1] = slot
        self.progress[0] = phase

    def take(self, digest: Digest, event: EventState) -> tuple[float, bool] | None:
        """``(score, copy)`` of ``digest`` against ``event`` as it stands, if the helper sent it (see
        :meth:`EventClusterer._scored`), else None."""
        key = (digest.profile.article_id, event.event_id, len(event.members))
        hit = self.ready.get(key)
        if hit is None and self.conn is not None:
            self.drain()
            hit = self.ready.get(key)
        self.taken += hit is not None
        return hit

    def drain(self, wait: bool = False) -> None:
        """Read what the helper has sent (``wait``: until it is done)."""
        try:
            while self.conn is not None and (wait or self.conn.poll()):
                keys, values = self.conn.recv()
                self.received += len(keys)
                self.ready.update(zip(keys, values))
        except (EOFError, OSError):  # the helper is done (or gone): nothing more comes
            self.conn.close()
            self.conn = None

    def stop(self) -> None:
        self.at(2, -1)
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join()
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        self.ready.clear()


def _spare_core(samples: int = 3) -> bool:
    """Whether a core is idle now besides this process's: Linux's count of runnable tasks (``/proc/loadavg``, this
    process included), the least of ``samples`` reads 1 ms apart, is below the cores this process may use.
    False where that count cannot be read.

    >>> isinstance(_spare_core(), bool)
    True
    """
    import os
    import time

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        running = []
        for k in range(samples):
            with open("/proc/loadavg", encoding="ascii") as f:
                running.append(int(f.read().split()[3].split("/")[0]))
            if k + 1 < samples:
                time.sleep(0.001)
    except (OSError, ValueError, IndexError):
        return False
    return min(running) < cores


def _widen_pipe(fd: int, size: int = 1 << 20) -> None:
    """Let the pipe hold ``size`` bytes (Linux; elsewhere, or beyond the system's limit, it stays as it is): a helper
    that never waits on a full pipe is never woken by the settle's reads, so the two never take turns on one core."""
    import fcntl

    setsize = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setsize is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, setsize, size)


def _prefetch_main(model: EventClusterer, conn: Any, progress: Any) -> None:
    """The helper's work (in the forked process): :meth:`EventClusterer._scored` of each item of
    :meth:`EventClusterer._settle_plan` not scored yet, sent in batches."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the settle's to handle (it stops the helper)
    gc.freeze()  # the state the helper reads is never collected here: no collection walks (and copies) it
    keys: list[tuple[str, str, int]] = []
    values: list[tuple[float, bool]] = []

    def send(digest: Digest, event: EventState, score: float, copy: bool) -> None:
        keys.append((digest.profile.article_id, event.event_id, len(event.members)))
        values.append((score, copy))
        if len(keys) >= _Prefetch.BATCH:
            conn.send((keys, values))
            keys.clear()
            values.clear()

    with model._memo_links():
        assert model._links is not None
        model._links.made = send  # each score :meth:`EventClusterer._scored` makes goes to the settle
        for task in model._settle_plan(progress):
            task()
    if keys:
        conn.send((keys, values))
    conn.close()


def segment_translation(profile: Profile, threshold: float = 0.6) -> tuple[str, str, float] | None:
    """Whether the article holds one text twice, in two languages (a translation glued to its
    original): ``(translation_language, original_language, score)``, else None.

    The sentences of the two largest language segments (≥ 2 each, similar counts) must align
    in order (:func:`storyline.similarity.monotone_alignment`, floor 0.5) with a mean similarity of
    at least ``threshold`` over ≥ 80 % of the shorter side. The *first* segment is taken as the
    translation: re-publishers put their translation first and append the source text.

    >>> from storyline.cluster.testing import toy_profile
    >>> segment_translation(toy_profile("x", [1.0], "One language only"))
    """
    from storyline.similarity import monotone_alignment

    languages = profile.languages[:2]
    if len(languages) < 2 or len(profile.sentences) != len(profile.sentence_vectors):
        return None
    rows: dict[str, list[int]] = {lang: [] for lang in languages}
    first: dict[str, int] = {}
    for i, sentence in enumerate(profile.sentences):
        seg = next((s for s in profile.segments if sentence in s.text), None)
        if seg is not None and seg.language in rows:
            rows[seg.language].append(i)
            first.setdefault(seg.language, seg.start)
    a, b = sorted(languages, key=lambda lang: first.get(lang, 0))
    na, nb = len(rows[a]), len(rows[b])
    if min(na, nb) < 2 or min(na, nb) / max(na, nb) < 0.6:
        return None
    sim = profile.sentence_vectors[rows[a]] @ profile.sentence_vectors[rows[b]].T
    score, pairs = monotone_alignment(sim[:60, :60], floor=0.5)
    if score >= threshold and pairs >= 0.8 * min(na, nb, 60):
        return a, b, score
    return None


def _one_language(a: EventState, b: EventState) -> bool:
    """Whether both events are written in one and the same language.

    >>> a, b = EventState("a", 0, languages={"en": 3}), EventState("b", 1, languages={"en": 1})
    >>> _one_language(a, b), _one_language(a, EventState("c", 2, languages={"en": 1, "de": 1}))
    (True, False)
    """
    return len(a.languages) == 1 and a.languages.keys() == b.languages.keys()


def _title_only(ev: EventState) -> bool:
    """Whether every representative of ``ev`` is a title with at most one sentence."""
    return all(len(r.profile.sentences) <= 1 for r in ev.representatives)


def title_agreement(a: EventState, b: EventState) -> float:
    """Mean cosine between the title vectors of two events' representatives.

    >>> from storyline.cluster.testing import toy_profile
    >>> a, b = EventState("a", 0), EventState("b", 1)
    >>> a.add(Digest(toy_profile("x", [1, 0], "Jewels stolen in Paris")), representatives=6)
    >>> b.add(Digest(toy_profile("y", [0.6, 0.8], "Paris jewel heist")), representatives=6)
    >>> round(title_agreement(a, b), 2)
    0.6
    """
    ta = np.stack([np.asarray(r.profile.title_vector, dtype=np.float32) for r in a.representatives])
    tb = np.stack([np.asarray(r.profile.title_vector, dtype=np.float32) for r in b.representatives])
    return float((ta @ tb.T).mean())


def best_split(scores: np.ndarray, min_size: int) -> tuple[float, list[int], list[int]] | None:
    """The two-way split of a group whose parts score least against each other relative to within:
    ``(cross mean / smaller within mean, part a, part b)``, or None when no split leaves two parts of
    ``min_size``. Candidates: each cut of the spectral order (the normalised-cut Fiedler vector of
    ``scores``), each refined by moving members to the part they score higher with.

    >>> s = np.full((6, 6), 0.05); s[:3, :3] = s[3:, 3:] = 0.9; np.fill_diagonal(s, 0)
    >>> ratio, a, b = best_split(s, 3)
    >>> round(ratio, 3), sorted(a), sorted(b)
    (0.056, [0, 1, 2], [3, 4, 5])
    >>> best_split(s, 4) is None
    True
    """
    n = len(scores)
    if n < 2 * min_size:
        return None
    w = np.clip(scores, 0.0, 1.0)
    np.fill_diagonal(w, 0.0)
    deg = w.sum(axis=1) + 1e-9
    lap = np.eye(n) - w / np.sqrt(np.outer(deg, deg))
    order = np.argsort(np.linalg.eigh(lap)[1][:, 1] / np.sqrt(deg), kind="stable")
    best = None
    seen = set()
    for cut in range(min_size, n - min_size + 1):
        side = np.zeros(n, dtype=bool)
        side[order[:cut]] = True
        for _ in range(5):
            to_a = (w[:, side].sum(axis=1)) / np.maximum(side.sum() - side, 1)
            to_b = (w[:, ~side].sum(axis=1)) / np.maximum((~side).sum() - ~side, 1)
            moved = to_a >= to_b
            if moved.sum() < min_size or (~moved).sum() < min_size or (moved == side).all():
                break
            side = moved
        if side.sum() < min_size or (~side).sum() < min_size or side.tobytes() in seen:
            continue
        seen.add(side.tobytes())
        a, b = [int(i) for i in np.flatnonzero(side)], [int(i) for i in np.flatnonzero(~side)]
        within = min(_mean_within(scores, a), _mean_within(scores, b))
        cross = float(scores[np.ix_(a, b)].mean())
        ratio = cross / within if within > 0 else float("inf")
        if best is None or ratio < best[0]:
            best = (ratio, a, b)
    return best


def year_conflict(a: Sequence[Digest], b: Sequence[Digest]) -> bool:
    """Whether two groups of articles happened in different years: the year most of one group's members
    are dated in (their event day — the text's date, else the publication date —, at least half of them)
    is named by no member of the other group, neither as its day nor in its text. Years a text names in
    passing (a founding year, an earlier incident) do not count on the dated side.

    >>> from storyline.cluster.testing import toy_profile
    >>> g = lambda day, *texts: [Digest(toy_profile(str(i), [1.0], "x", text=t, day=day)) for i, t in enumerate(texts)]
    >>> year_conflict(g("2005-11-27", "A quake.", "Aftershocks."), g(None, "A quake.", "Another quake."))
    True
    >>> year_conflict(g("2005-11-27", "A quake.", "Aftershocks."), g(None, "A quake.", "As in 2005."))
    False
    >>> year_conflict(g("2008-09-10", "Since 1999.", "In 1999."), g("2008-09-11", "A quake.", "Another."))
    False
    """
    for one, other in ((a, b), (b, a)):
        counts: dict[int, int] = {}
        for d in one:
            if d.day is not None:
                counts[d.day.year] = counts.get(d.day.year, 0) + 1
        if not counts or 2 * (top := max(counts.values())) < len(one):
            continue
        named = {y for d in other for y in d.years} | {d.day.year for d in other if d.day is not None}
        if not any(counts[y] == top and y in named for y in counts):
            return True
    return False


def _mean_within(scores: np.ndarray, part: list[int]) -> float:
    """Mean score between the distinct members of ``part``."""
    k = len(part)
    return float(scores[np.ix_(part, part)].sum() - np.trace(scores[np.ix_(part, part)])) / (k * (k - 1)) if k > 1 else 0.0


class CopyGraph:
    """Which article is a near-duplicate or a translation of which.

    Edges point from the copy to the original (the earlier-published one, or
    the earlier-seen one when dates are unknown).

    >>> g = CopyGraph()
    >>> g.add("b", "a", "translation", 0.91)
    >>> g.add("c", "a", "near_duplicate", 0.74)
    >>> g.original_of("b"), sorted(g.copies_of("a")), g.independent(["a", "b", "c", "d"])
    ('a', ['b', 'c'], 2)
    """

    def __init__(self) -> None:
        self.edges: list[tuple[str, str, str, float]] = []  # (copy, original, kind, score)
        self._parent: dict[str, str] = {}

    def add(self, copy: str, original: str, kind: str, score: float) -> None:
        self.edges.append((copy, original, kind, round(float(score), 4)))
        self._parent.setdefault(copy, original)

    def original_of(self, article_id: str) -> str:
        seen = {article_id}
        while article_id in self._parent and self._parent[article_id] not in seen:
            article_id = self._parent[article_id]
            seen.add(article_id)
        return article_id

    def copies_of(self, article_id: str) -> list[str]:
        return [c for c, o, _, _ in self.edges if o == article_id]

    def independent(self, article_ids: Iterable[str]) -> int:
        """How many of ``article_ids`` are independent reports (not copies of one another)."""
        return len({self.original_of(a) for a in article_ids})

    def __len__(self) -> int:
        return len(self.edges)


class EventClusterer:
    """Assigns profiles to events online (river-style ``learn_one`` / ``predict_one``).

    Parameters
    ----------
    threshold:
        Minimum link score ([0, 1]) for an article to join an existing event.
    merge_threshold:
        Another candidate event that the article links to at least this strongly is
        merged into the chosen one.
    window_days:
        Candidate events must have a member within this many days of the article
        (when both have a known day).
    candidates:
        How many nearest events the judgement stage looks at.
    candidate_floor:
        Minimum centroid cosine for an event to be a candidate at all.
    representatives:
        Member profiles kept per event for the judgement (half the first ones, half the latest).
    compare:
        How many of those (the closest to the article) are scored.
    duplicate_threshold:
        MinHash Jaccard from which two same-language articles are near-duplicates.
    translation_threshold:
        Ordered sentence-alignment score from which two articles in different languages are translations.
    ann_after:
        Switch the centroid search from brute force to an HNSW index above this many events.
    rescue_threshold:
        Batch only (:meth:`cluster_many`): after the pass, an event of one article joins its best
        candidate event if it scores at least this (1.0: never). Low, because a lone article that
        still has a candidate event is usually a short report of it; streams with many genuinely
        lone articles should raise it.
    retire_after:
        Retire old events once more than this many are live: each time the newest day seen
        advances, every event whose last day is more than ``window_days + retire_margin_days``
        before it leaves the candidate stage and keeps only a light summary
        (:meth:`EventState.retire`). This bounds the memory and the per-article cost of a long
        stream; a smaller stream (below this many events) is clustered exactly as without it.
    retire_margin_days:
        Slack for late articles: an article dated up to this many days before the newest one
        still meets every event it could meet. An article dated earlier than that (a late
        arrival) may only join live events or open a new one.
    consolidate_threshold:
        Batch only (:meth:`cluster_many`): after the rescue of lone articles, two events whose
        representatives score at least this against each other on average (both directions) are
        merged, the best pair first (:meth:`consolidate`; 1.0: never).
    consolidate_far_days:
        Batch only: a *fragment* (an event of at most ``consolidate_far_size`` articles) and another
        event further apart than ``window_days`` but within this many days may still be consolidated,
        when they agree by ``consolidate_far_penalty`` more than ``consolidate_threshold``. Late
        reports of one event (the trial months after a shooting, a director confirmed a year after the
        first film) fall outside a 30-day window and are left as fragments online. 0: never.
    consolidate_far_penalty:
        How much surer than ``consolidate_threshold`` a consolidation beyond ``window_days`` must be.
    consolidate_far_size:
        The largest event that may be consolidated beyond ``window_days`` (two full events months
        apart are different events of one story far more often than one event).
    consolidate_one_way:
        Batch only: when two events are written in one and the same language, the smaller one's
        agreement with the larger alone may consolidate them (as an article joins an event online on
        its own score), not only the mean of both directions: the larger event's representatives
        seldom resemble a late or partial report of it, and with one language the lexical and name
        evidence is all there. Across languages both directions still count.
    split_ratio:
        Batch only (:meth:`cluster_many`), last: an event whose members fall into two groups (each of at
        least ``split_min_size`` articles) that score against each other less than this share of what
        each group scores within itself (and the two groups share a language, and the consolidation would
        not join them again: their agreement is below ``consolidate_threshold``) is split in two
        (:meth:`split_events`; recorded in ``splits_``). Two incidents of one kind at one place (two
        earthquakes on one island, two players of one team put on injured reserve) that the online pass
        joined through one ambiguous article. 0: never.
    split_min_size:
        The smallest group :meth:`split_events` may cut off.
    split_max_size:
        Events larger than this are not examined for a split (the check scores every pair of members).
    settle_max_size:
        :meth:`settle` (the end of an online ingest run) looks for partners of the touched events of at
        most this many articles (the fragments a story leaves while it arrives); larger events are
        found as their partners. On the concatenated dev stream (B-cubed, CPU per article): 2 gives
        0.934 at 1.6 ms; 5, 0.940 at 2.1 ms (no limit: the same at 3.0 ms); 1, 0.931 at 0.7 ms.
    split_year_ratio:
        The split's gate (instead of ``split_ratio``, when higher) for two groups that happened in different
        years (:func:`year_conflict`: the year most of one group is dated in is named by no member of the
        other) — two incidents of one kind at one place, years apart (two earthquakes on one island, a rule
        and its reversal a year later), whose cut scores as high as one inside a single event.
    split_year_margin:
        Such groups are split unless they agree at least ``consolidate_threshold`` plus this much as two events.
    consolidate_title_threshold:
        Two events whose articles are all titles (at most one sentence each) consolidate when the mean
        cosine of their representatives' title vectors reaches this (:func:`title_agreement`; also
        beyond the window, less ``consolidate_far_penalty``): the pair model, fitted on articles with a
        body, scores two bare titles of one event near 0. 1.0: never.
    weights:
        Article–event score weights (``None``: the built-in :data:`~storyline.cluster.features.EVENT_WEIGHTS`).
    """

    def __init__(
        self,
        threshold: float = 0.5,
        merge_threshold: float = 0.6,
        window_days: float = 30.0,
        candidates: int = 8,
        candidate_floor: float = 0.2,
        representatives: int = 6,
        compare: int = 3,
        duplicate_threshold: float = 0.5,
        translation_threshold: float = 0.6,
        ann_after: int = 3000,
        rescue_threshold: float = 0.3,
        weights: dict[str, float] | None = None,
        retire_after: int = 2000,
        retire_margin_days: float = 30.0,
        consolidate_threshold: float = 0.6,
        consolidate_far_days: float = 365.0,
        consolidate_far_penalty: float = 0.05,
        consolidate_far_size: int = 2,
        consolidate_one_way: bool = True,
        split_ratio: float = 0.4,
        split_min_size: int = 3,
        split_max_size: int = 100,
        settle_max_size: int = 2,
        split_year_ratio: float = 0.6,
        split_year_margin: float = 0.1,
        consolidate_title_threshold: float = 0.5,
    ) -> None:
        self.threshold = threshold
        self.merge_threshold = merge_threshold
        self.window_days = window_days
        self.candidates = candidates
        self.candidate_floor = candidate_floor
        self.representatives = representatives
        self.compare = compare
        self.duplicate_threshold = duplicate_threshold
        self.translation_threshold = translation_threshold
        self.ann_after = ann_after
        self.rescue_threshold = rescue_threshold
        self.weights = weights
        self.retire_after = retire_after
        self.retire_margin_days = retire_margin_days
        self.consolidate_threshold = consolidate_threshold
        self.consolidate_far_days = consolidate_far_days
        self.consolidate_far_penalty = consolidate_far_penalty
        self.consolidate_far_size = consolidate_far_size
        self.consolidate_one_way = consolidate_one_way
        self.split_ratio = split_ratio
        self.split_min_size = split_min_size
        self.split_max_size = split_max_size
        self.settle_max_size = settle_max_size
        self.split_year_ratio = split_year_ratio
        self.split_year_margin = split_year_margin
        self.consolidate_title_threshold = consolidate_title_threshold

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickle, filling what older versions did not store (new parameters get their defaults)."""
        self.__dict__.update(state)
        for name, param in inspect.signature(type(self).__init__).parameters.items():
            if name != "self" and name not in self.__dict__:
                setattr(self, name, param.default)
        if "events_" in self.__dict__ and "splits_" not in self.__dict__:
            self.splits_ = []
        if "events_" in self.__dict__ and "unsettled_" not in self.__dict__:
            self.unsettled_ = set()
        if "events_" in self.__dict__ and "article_sources_" not in self.__dict__:
            self.article_sources_ = {}
        if "events_" in self.__dict__ and "_live" not in self.__dict__:  # from before retirement
            self._live = {e: None for e in self.events_}
            self.newest_day_, self._swept_day = None, -1

    # -- sklearn/river conventions -------------------------------------------------

    def _get_params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in inspect.signature(type(self).__init__).parameters if name != "self"}

    def get_params(self) -> dict[str, Any]:
        """Constructor parameters, as given."""
        return self._get_params()

    def clone(self, **changes: Any) -> EventClusterer:
        """A new, unfitted clusterer with the same parameters (and ``changes``)."""
        return type(self)(**{**self._get_params(), **changes})

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self._get_params().items())
        return f"{type(self).__name__}({params})"

    def _validate(self) -> None:
        owner = type(self).__name__
        for name in ("threshold", "merge_threshold", "duplicate_threshold", "translation_threshold", "rescue_threshold", "consolidate_threshold", "consolidate_far_penalty", "split_ratio", "split_year_ratio", "split_year_margin", "consolidate_title_threshold"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise invalid_parameter(name, owner, "a float in the range [0, 1]", value)
        for name in ("candidates", "representatives", "compare", "ann_after", "retire_after", "split_min_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise invalid_parameter(name, owner, "an int in the range [1, inf)", value)
        for name in ("window_days", "retire_margin_days", "consolidate_far_days"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise invalid_parameter(name, owner, "a float in the range [0, inf)", value)
        if not isinstance(self.consolidate_one_way, bool):
            raise invalid_parameter("consolidate_one_way", owner, "a bool", self.consolidate_one_way)
        for name in ("consolidate_far_size", "split_max_size", "settle_max_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise invalid_parameter(name, owner, "an int in the range [0, inf)", value)
        if not isinstance(self.candidate_floor, (int, float)) or not -1.0 <= self.candidate_floor <= 1.0:
            raise invalid_parameter("candidate_floor", owner, "a float in the range [-1, 1]", self.candidate_floor)

    def _init_state(self) -> None:
        self._validate()
        self.events_: dict[str, EventState] = {}
        self.assignments_: dict[str, str] = {}
        self.article_sources_: dict[str, str] = {}  # article id -> the source it was learned with
        self.merges_: list[tuple[str, str, float]] = []  # (absorbed, into, score)
        self.splits_: list[tuple[str, str, float]] = []  # (event, the new event cut off from it, ratio)
        self.unsettled_: set[str] = set()  # events that took an article since the last settle()
        self.copies_ = CopyGraph()
        self.n_seen_ = 0
        self.vocabulary_ = Vocabulary()
        self._slots: dict[int, str] = {}
        self._next_slot = 0
        self._index = CentroidIndex(ann_after=self.ann_after)
        self._bands = MinHashBands()
        self._live: dict[str, None] = {}  # ids of the events not retired, oldest first
        self.newest_day_: int | None = None  # the latest article day seen (ordinal)
        self._swept_day = -1  # the newest day at the last retirement sweep

    @property
    def _fitted(self) -> bool:
        return hasattr(self, "events_")

    # -- the two verbs ------------------------------------------------------------

    def predict_one(self, profile: Profile) -> str | None:
        """The event ``profile`` would join, or None if it would open a new one. Changes nothing."""
        if not self._fitted:
            return None
        if profile.article_id in self.assignments_:
            return self.assignments_[profile.article_id]
        scored = self._judge(Digest(profile))
        if scored and scored[0][1] >= self.threshold:
            return scored[0][0]
        return None

    def learn_one(self, profile: Profile, *, source: str | None = None) -> str:
        """Put ``profile`` into the best event (or a new one) and return that event's id.

        ``source`` (outlet or feed name) feeds the per-event source counts. Learning the
        same article twice returns its event and changes nothing.
        """
        if not self._fitted:
            self._init_state()
        if profile.article_id in self.assignments_:
            return self.assignments_[profile.article_id]
        return self._learn(Digest(profile), source)

    def _learn(self, digest: Digest, source: str | None) -> str:
        profile = digest.profile
        self.vocabulary_.add(digest.words)
        scored = self._judge(digest)
        self._record_copies(digest, scored)
        halves = segment_translation(profile, self.translation_threshold)
        if halves is not None:
            aid = profile.article_id
            self.copies_.add(f"{aid}#{halves[0]}", f"{aid}#{halves[1]}", "translation", halves[2])
        if scored and scored[0][1] >= self.threshold:
            event_id = scored[0][0]
            for other, score, _ in scored[1:]:
                if score >= self.merge_threshold and other in self.events_ and other != event_id and self._agree(other, event_id):
                    self._merge(other, event_id, score)
        else:
            event_id = self._open_event(profile.article_id)
        self._add_member(self.events_[event_id], digest, source)
        self.unsettled_.add(event_id)
        self.n_seen_ += 1
        if digest.day is not None:
            day = digest.day.toordinal()
            if self.newest_day_ is None or day > self.newest_day_:
                self.newest_day_ = day
            if self.newest_day_ > self._swept_day and len(self._live) > self.retire_after:
                self._retire_old()
        return event_id

    def learn_many(self, profiles: Iterable[Profile]) -> Iterator[str]:
        for profile in profiles:
            yield self.learn_one(profile)

    def cluster_many(self, profiles: Sequence[Profile]) -> list[str]:
        """Cluster a batch: learn each profile in order, let lone articles join their best event
        (``rescue_threshold``), merge events that agree with each other (:meth:`consolidate`), then report every article's *final* event (after any merges).
        Returns one event id per profile, in input order."""
        if not self._fitted:
            self._init_state()
        digests: dict[str, Digest] = {}
        for profile in profiles:
            if profile.article_id not in self.assignments_:
                digests[profile.article_id] = Digest(profile)
                self._learn(digests[profile.article_id], None)
        self.rescue_singletons()
        self.consolidate()
        self.split_events(digests)
        self.unsettled_ = set()  # settled, all of it
        return [self.assignments_[p.article_id] for p in profiles]

    def consolidate(self, events: Collection[str] | None = None) -> None:
        """The end of a batch pass, after :meth:`rescue_singletons`: an agglomerative second pass
        over the live events. Two events whose representatives score at least
        ``consolidate_threshold`` against each other on average (both directions, the :meth:`_agree`
        check made symmetric; an event of title-only articles, which has no sentences to be compared
        with, is taken at its own word: its agreement with the other event alone counts) are merged,
        the best pair first, until no pair is left (merges recorded in ``merges_``). Pairs are the nearest centroids (``candidates``, ``candidate_floor``) whose
        day ranges lie within ``window_days`` — or, when one of them has at most ``consolidate_far_size``
        articles, within ``consolidate_far_days``, their agreement then lowered by ``consolidate_far_penalty``.
        Two events :meth:`split_events` cut apart (``splits_``) are never paired. 1.0: never. :meth:`cluster_many` calls it;
        :meth:`learn_one` never does. ``events``: only pairs with at least one of those events are
        scored at the start (:meth:`settle`)."""
        if not self._fitted or self.consolidate_threshold >= 1.0:
            return
        with self._memo_links():
            self._consolidate(events)

    def _consolidate(self, events: Collection[str] | None) -> None:
        scores: dict[tuple[str, str], float] = {}
        apart = self._split_pairs()
        # below the threshold a pair's exact agreement never matters (it is never merged, and the best pair is
        # taken only when it reaches the threshold): its agreement may stop early there
        floor = self.consolidate_threshold
        prefetch = getattr(self._links, "prefetch", None)
        for event_id in list(self._live) if events is None else [e for e in self._live if e in events]:
            if prefetch is not None:
                prefetch.at(1, self.events_[event_id].slot)
            self._pair_scores(event_id, scores, apart, floor)
        if prefetch is not None:
            prefetch.at(2, -1)
        while scores:
            (a, b), best = max(scores.items(), key=lambda kv: (kv[1], -self.events_[kv[0][0]].slot, -self.events_[kv[0][1]].slot))
            if best < self.consolidate_threshold:
                break
            into, absorbed = (a, b) if self.events_[a].slot < self.events_[b].slot else (b, a)
            self._merge(absorbed, into, best)
            scores = {k: v for k, v in scores.items() if absorbed not in k and into not in k}
            self._pair_scores(into, scores, apart, floor)

    def settle(self, *, helper: bool | None = None) -> None:
        """What the end of a batch pass does (:meth:`rescue_singletons`, then :meth:`consolidate`), for
        the events that took an article since the last call only (``unsettled_``; consolidation seeded
        by those of at most ``settle_max_size`` articles), so its cost follows the articles added, not
        the size of the state. The online ingest calls it at the end of each run: events split while a
        story was arriving rejoin, and the merges are recorded as any other (``merges_``). On the
        concatenated dev stream, B-cubed 0.914 with ``learn_one`` alone, 0.934 settled once at the end,
        0.929 settled after each tenth (:meth:`cluster_many`, which can also split: 0.947).

        >>> from storyline.pipeline import LexicalProfiler
        >>> from storyline.types import Article
        >>> c = EventClusterer()
        >>> _ = c.learn_one(LexicalProfiler().profile(Article.from_text("Quake", "A quake hit Kabul.")))
        >>> len(c.unsettled_), c.settle(), len(c.unsettled_)
        (1, None, 0)

        ``helper``: score ahead in a forked helper process (:class:`_Prefetch`), on the core an ingest's
        profiling workers leave idle once they are done; the decisions are the same either way. None
        (default): when at least :attr:`SETTLE_HELPER_MIN` small events are to be settled and a core is idle
        (:func:`_spare_core`; on a busy machine the helper would only take turns with the settle).
        """
        if not self._fitted or not self.unsettled_:
            return
        with self._memo_links():  # no article is learned meanwhile: pairs scored by the rescue are not scored again
            assert self._links is not None
            if helper or (helper is None and self._n_small_unsettled() >= self.SETTLE_HELPER_MIN and _spare_core()):
                self._links.prefetch = _Prefetch.start(self)
            try:
                self.rescue_singletons(set(self.unsettled_))
                small = {e for e in self.unsettled_ if e in self.events_ and self.events_[e].n_articles <= self.settle_max_size}
                self.consolidate(small)  # a rescued article's event is among the unsettled now
            finally:
                if self._links.prefetch is not None:
                    self._links.prefetch.stop()
        self.unsettled_ = set()

    SETTLE_HELPER_MIN = 64
    """Small events from which :meth:`settle` forks a helper by default (for fewer, the fork costs more than it saves)."""

    def _n_small_unsettled(self) -> int:
        return sum(1 for e in self.unsettled_ if e in self.events_ and self.events_[e].n_articles <= self.settle_max_size)

    def _settle_plan(self, progress: Sequence[int] | None = None) -> Iterator[Callable[[], Any]]:
        """The scoring :meth:`settle` is likely to do, as the state stands (before any of its merges), as calls
        that change no state: each lone event's digest against each of its candidate events (the rescue), then
        each small event's agreement with each of its neighbours (the consolidation's first scores); each part
        last event first (the settle works from the first). ``progress``: ``(phase, slot)`` of the settle
        (:meth:`_Prefetch.at`); the events it has passed are left out.

        >>> from storyline.cluster.testing import toy_profile
        >>> c = EventClusterer()
        >>> for i, (v, t) in enumerate([([1, 0], "Quake hits Kabul"), ([0.6, 0.8], "Stocks fall in Tokyo")]):
        ...     _ = c.learn_one(toy_profile(f"a{i}", v, t, day="2024-01-01"))
        >>> [round(task(), 3) for task in c._settle_plan()]  # a1 against a0's event, a0 against a1's, then the two events' agreement twice
        [0.462, 0.462, 0.462, 0.462]
        """

        def passed(phase: int, slot: int) -> bool:
            return progress is not None and (progress[0] > phase or (progress[0] == phase and progress[1] >= slot))

        unsettled = self.unsettled_
        for event_id in reversed([e for e in self._live if e in unsettled and self.events_[e].n_articles == 1]):
            ev = self.events_[event_id]
            if passed(0, ev.slot):
                break
            if ev.retired or not ev.representatives:
                continue
            digest = ev.representatives[0]
            for other in self._candidates(digest, digest.key()):
                if other != event_id:
                    yield functools.partial(self._scored, digest, self.events_[other])
        for event_id in reversed([e for e in self._live if e in unsettled and self.events_[e].n_articles <= self.settle_max_size]):
            ev = self.events_[event_id]
            if passed(1, ev.slot):
                break
            if ev.retired or not ev.representatives:
                continue
            for slot, _ in self._index.query(ev.centroid, k=self.candidates + 1, day=None, window=0.0, floor=self.candidate_floor):
                other = self.events_[self._slots[slot]]
                if other is ev or not other.representatives or not (self._within_window(ev, other) or self._far_pair(ev, other)):
                    continue
                yield functools.partial(self._mutual_agreement, ev, other, self.consolidate_threshold)

    def _scored(self, digest: Digest, event: EventState, *, copies: bool = False) -> float:
        """The article–event score of ``digest`` against ``event`` (:meth:`EventState.terms`, through the link memo
        while one lives); with ``copies``, at least 0.99 where ``digest`` is a near-duplicate or translation of one of
        the representatives scored (as in :meth:`_judge`). Taken from the settle's helper (:class:`_Prefetch`) where
        it made it already; in the helper, each score made is sent to the settle (with whether it is a copy)."""
        memo = getattr(self, "_links", None)
        prefetch = getattr(memo, "prefetch", None)
        hit = prefetch.take(digest, event) if prefetch is not None else None
        if hit is None:
            # while a memo lives (a settle), an event changes only by absorbing another, which adds members: the score of
            # a digest against an event of the same size is made once (the rescue's are the consolidation's first ones)
            key = ("scored", id(digest), id(event), len(event.members))
            seen = memo.get(key) if memo is not None else None
            if seen is not None and seen[0] is digest and seen[1] is event:
                hit = seen[2]
            else:
                terms, pairs = event.terms(digest, digest.key(), self.compare, self.vocabulary_, memo)  # a representative's key, made once
                copy = (copies or memo is not None) and any(self._copy_kind(digest.profile, rep.profile, f) for rep, f in pairs)
                hit = (event_score(terms, self.weights), copy)
                if memo is not None:
                    memo[key] = (digest, event, hit)
                    made = getattr(memo, "made", None)
                    if made is not None:  # the helper: the score goes to the settle
                        made(digest, event, *hit)
        score, copy = hit
        return max(score, 0.99) if copies and copy else score

    @contextlib.contextmanager
    def _memo_links(self) -> Iterator[None]:
        """While no article is learned (the vocabulary stands still), each (article, representative) pair's
        link features are made once: :meth:`consolidate` scores an event again after each merge, mostly
        on pairs it scored before. The memo lives only inside this block (never in a snapshot)."""
        if getattr(self, "_links", None) is not None:
            yield
            return
        self._links: dict[Any, Any] | None = _LinkMemo()
        try:
            yield
        finally:
            self._links = None
            del self._links

    def split_candidates(self) -> set[str]:
        """Ids of the articles :meth:`split_events` needs digests of: the members of every live event
        whose size it may split. A batch run that does not keep every article's digest (the corpus
        of :mod:`storyline.batch`) builds only these."""
        if not self._fitted or self.split_ratio <= 0:
            return set()
        return {m for event_id in self._live if self._may_split(ev := self.events_[event_id]) for m in ev.members}

    def _may_split(self, ev: EventState) -> bool:
        """Whether :meth:`split_events` examines ``ev``: live, with room for two groups, not too large to score."""
        return not ev.retired and 2 * self.split_min_size <= ev.n_articles <= self.split_max_size

    def split_events(self, digests: dict[str, Digest]) -> None:
        """The very end of a batch pass: split each live event (of at most ``split_max_size`` members,
        all in ``digests``) whose members fall into two groups that score against each other less than
        ``split_ratio`` of what each scores within itself (:func:`best_split` over the scores of every
        member against every other as a one-article event, both directions averaged; copies and
        translations 0.99), when the two groups share a language (two groups of different languages
        only meet through the encoder, with no lexical or name evidence: such an event is left whole)
        and agree less than ``consolidate_threshold`` as two events (what :meth:`consolidate` merges on). Two
        groups that happened in different years (:func:`year_conflict`) are cut below ``split_year_ratio``
        unless they agree ``split_year_margin`` more than that. The group holding the event's first member
        keeps its id; splits are recorded in ``splits_``, and :meth:`consolidate` never rejoins a recorded
        pair. :meth:`cluster_many` calls it; :meth:`learn_one` never does."""
        if not self._fitted or self.split_ratio <= 0:
            return
        for event_id in list(self._live):
            ev = self.events_[event_id]
            if not self._may_split(ev) or not all(m in digests for m in ev.members):
                continue
            members = [digests[m] for m in ev.members]
            scores = self._member_scores(members)
            found = best_split(scores, self.split_min_size)
            if found is None:
                continue
            ratio, keep, cut = found
            conflict = year_conflict([members[i] for i in keep], [members[i] for i in cut])
            if ratio >= (max(self.split_ratio, self.split_year_ratio) if conflict else self.split_ratio):
                continue
            if not {members[i].profile.language for i in keep} & {members[i].profile.language for i in cut}:
                continue  # the groups are two languages: the encoder alone compared them, no lexical or name evidence
            parts = []
            for part in (keep, cut):
                state = EventState(event_id="", slot=-1)
                for i in part:
                    state.add(members[i], representatives=self.representatives)
                parts.append(state)
            if self._mutual_agreement(*parts) >= self.consolidate_threshold + (self.split_year_margin if conflict else 0.0):
                continue  # the consolidation would join the two parts again
            if 0 not in keep:
                keep, cut = cut, keep
            self._rebuild(event_id, [members[i] for i in keep])
            new_id = self._open_event(members[cut[0]].profile.article_id)
            self._rebuild(new_id, [members[i] for i in cut])
            self.splits_.append((event_id, new_id, round(float(ratio), 4)))

    def _member_scores(self, members: list[Digest]) -> np.ndarray:
        """Symmetric matrix of the article–event score of each member against each other member taken
        as a one-article event (both directions averaged; a copy or translation scores 0.99)."""
        n = len(members)
        keys = [key_vector(d.profile) for d in members]
        out = np.zeros((n, n))
        for i in range(n):
            for j in range(i + 1, n):
                a, b = members[i], members[j]
                f = link_features(a, b, self.vocabulary_)
                t = [link_terms(f)]
                cos = float(keys[i] @ keys[j])
                ab = event_score(event_terms(a, t, cos, {k: 1 for k in b.names} if a.script == b.script else {}, int(a.script == b.script), 1), self.weights)
                ba = event_score(event_terms(b, t, cos, {k: 1 for k in a.names} if a.script == b.script else {}, int(a.script == b.script), 1), self.weights)
                score = (ab + ba) / 2
                if self._copy_kind(a.profile, b.profile, f):
                    score = 0.99
                out[i, j] = out[j, i] = score
        return out

    def _rebuild(self, event_id: str, members: list[Digest]) -> None:
        """Make ``event_id`` hold exactly ``members`` (in this order), as if they had been added one by one."""
        old = self.events_[event_id]
        ev = EventState(event_id=event_id, slot=old.slot)
        self.events_[event_id] = ev
        for d in members:
            aid = d.profile.article_id
            ev.add(d, representatives=self.representatives, source=self.article_sources_.get(aid))
            self.assignments_[aid] = event_id
        for day in (ev.first_day, ev.last_day):
            self._index.upsert(ev.slot, ev.centroid, day=day.toordinal() if day else None)

    def _pair_scores(
        self, event_id: str, scores: dict[tuple[str, str], float], apart: set[tuple[str, str]] | None = None, floor: float | None = None
    ) -> None:
        """Add the symmetric agreement of ``event_id`` with each nearby live event to ``scores``, except
        for the pairs in ``apart`` (default: the recorded splits, :meth:`_split_pairs`). ``floor``: exact
        only from there up (:meth:`_mutual_agreement`)."""
        apart = self._split_pairs() if apart is None else apart
        ev = self.events_[event_id]
        if ev.retired or not ev.representatives:
            return
        found = self._index.query(ev.centroid, k=self.candidates + 1, day=None, window=0.0, floor=self.candidate_floor)
        for slot, _ in found:
            other = self._slots[slot]
            if other == event_id:
                continue
            key = (event_id, other) if ev.slot < self.events_[other].slot else (other, event_id)
            if key in scores or key in apart:
                continue
            near = self._within_window(ev, self.events_[other])
            if not near and not self._far_pair(ev, self.events_[other]):
                continue
            agreement = self._mutual_agreement(ev, self.events_[other], floor=floor)
            scores[key] = agreement if near else agreement - self.consolidate_far_penalty

    def _split_pairs(self) -> set[tuple[str, str]]:
        """The recorded splits as (older, newer) event id pairs: :meth:`consolidate` never rejoins them."""
        return {(a, b) for a, b, _ in self.splits_} if self.splits_ else set()

    def _mutual_agreement(self, a: EventState, b: EventState, floor: float | None = None) -> float:
        """What :meth:`consolidate` merges on: the mean of both directions' agreement; an event of
        title-only articles at its own word; with ``consolidate_one_way`` and both events in one language,
        the smaller one's word if higher; two events of title-only articles by their titles
        (:func:`title_agreement`, held to ``consolidate_title_threshold``) if higher.

        ``floor``: exact when the agreement reaches ``floor``; below it, some value below ``floor`` (each
        direction stops once it cannot reach ``floor``: every variant above is at most the higher direction
        or the titles' term)."""
        if floor is None:
            x, y = self._state_agreement(a, b, copies=True), self._state_agreement(b, a, copies=True)
        else:
            x, y = self._state_agreement(a, b, copies=True, floor=floor), self._state_agreement(b, a, copies=True, floor=floor)
            if x is None or y is None:  # a direction stopped early
                titles = _title_only(a) and _title_only(b) and self.consolidate_title_threshold < 1.0 and self.consolidate_threshold < 1.0
                if (x is None or x < floor) and (y is None or y < floor) and not titles:
                    return floor - 1.0  # both directions below the floor, no titles' term: below the floor whatever the variant
                return self._mutual_agreement(a, b)  # exact (the link features are in the memo now)
        assert x is not None and y is not None
        tx, ty = _title_only(a), _title_only(b)
        agreement = x if tx and not ty else y if ty and not tx else (x + y) / 2
        if self.consolidate_one_way and _one_language(a, b):
            n, m = a.n_articles, b.n_articles
            agreement = max(agreement, x if n < m else y if m < n else max(x, y))
        if tx and ty and self.consolidate_title_threshold < 1.0 and self.consolidate_threshold < 1.0:
            # titles only on both sides: the pair model, fitted on articles with a body, has little to go on
            # (0.04-0.27 between pieces of one event); their titles are what the two events share
            agreement = max(agreement, title_agreement(a, b) - self.consolidate_title_threshold + self.consolidate_threshold)
        return agreement

    def _far_pair(self, a: EventState, b: EventState) -> bool:
        """Whether two events beyond ``window_days`` of each other may still be consolidated: one of
        them is a fragment (at most ``consolidate_far_size`` articles) and they lie within
        ``consolidate_far_days``."""
        small = min(a.n_articles, b.n_articles) <= self.consolidate_far_size
        return small and self.consolidate_far_days > self.window_days and self._within_window(a, b, self.consolidate_far_days)

    def _within_window(self, a: EventState, b: EventState, days: float | None = None) -> bool:
        """Whether the day ranges of two events lie within ``days`` (default ``window_days``) of each other."""
        if not (a.first_day and a.last_day and b.first_day and b.last_day):
            return True
        gap = max((b.first_day - a.last_day).days, (a.first_day - b.last_day).days, 0)
        return gap <= (self.window_days if days is None else days)

    def _agreement(self, absorbed_id: str, into_id: str, *, copies: bool = False) -> float:
        """Mean score of ``absorbed_id``'s representatives against ``into_id`` (0 without representatives);
        with ``copies``, a representative that is a near-duplicate or translation of one of the other
        event's scores at least 0.99, as in :meth:`_judge`."""
        return self._state_agreement(self.events_[absorbed_id], self.events_[into_id], copies=copies)

    @overload
    def _state_agreement(self, src: EventState, dst: EventState, *, copies: bool = ..., floor: None = ...) -> float: ...

    @overload
    def _state_agreement(self, src: EventState, dst: EventState, *, copies: bool = ..., floor: float) -> float | None: ...

    def _state_agreement(self, src: EventState, dst: EventState, *, copies: bool = False, floor: float | None = None) -> float | None:
        """:meth:`_agreement` of two event states (live or not). With ``floor``: None as soon as the mean
        cannot reach ``floor`` any more (each representative scores at most 1)."""
        scores: list[float] = []
        reps = src.representatives
        for k, d in enumerate(reps):
            scores.append(self._scored(d, dst, copies=copies))
            if floor is not None and k + 1 < len(reps) and sum(scores) + (len(reps) - k - 1) < floor * len(reps) - 1e-9:
                return None
        return float(np.mean(scores)) if scores else 0.0

    def rescue_singletons(self, events: Collection[str] | None = None) -> None:
        """The end of a batch pass: an event of one article joins its best candidate event if that
        scores at least ``rescue_threshold`` (merges recorded in ``merges_``). :meth:`cluster_many`
        calls it; a caller streaming a corpus through :meth:`learn_one` calls it once at the end.
        ``events``: only those lone events (:meth:`settle`), taken in the state's own order, so the
        result does not depend on the collection's order."""
        if self.rescue_threshold >= 1.0:
            return
        with self._memo_links():
            self._rescue(events)

    def _rescue(self, events: Collection[str] | None) -> None:
        prefetch = getattr(self._links, "prefetch", None)
        for event_id in [e for e in self._live if self.events_[e].n_articles == 1 and (events is None or e in events)]:
            ev = self.events_.get(event_id)
            if ev is None or ev.n_articles != 1 or ev.retired:
                continue
            if prefetch is not None:
                prefetch.at(0, ev.slot)
            digest = ev.representatives[0]
            vector = digest.key()  # a representative's: made once, as the events it is compared with use it
            best, best_score = None, float(self.rescue_threshold)
            for other in self._candidates(digest, vector):
                if other == event_id:
                    continue
                score = self._scored(digest, self.events_[other])
                if score >= best_score:
                    best, best_score = other, score
            if best is not None:
                self._merge(event_id, best, best_score)

    # -- reading the state --------------------------------------------------------

    def event_of(self, article_id: str) -> str | None:
        return self.assignments_.get(article_id) if self._fitted else None

    def summary(self, event_id: str) -> dict[str, Any]:
        """Counts and dates of one event: articles, independent reports, sources, languages."""
        ev = self.events_[event_id]
        return {
            "event_id": event_id,
            "headline": ev.headline,
            "n_articles": ev.n_articles,
            "n_independent": self.copies_.independent(ev.members),
            "n_sources": len(ev.sources) if ev.sources else None,
            "languages": dict(sorted(ev.languages.items(), key=lambda kv: -kv[1])),
            "first_day": ev.first_day.isoformat() if ev.first_day else None,
            "last_day": ev.last_day.isoformat() if ev.last_day else None,
            "members": list(ev.members),
        }

    # -- internals ---------------------------------------------------------------

    def _candidates(self, digest: Digest, vector: np.ndarray | None = None) -> list[str]:
        """Live events near ``digest`` (``vector``: its :func:`key_vector`, when the caller has it)."""
        day = digest.day.toordinal() if digest.day else None
        found = self._index.query(
            key_vector(digest.profile) if vector is None else vector, k=self.candidates, day=day, window=float(self.window_days), floor=self.candidate_floor
        )
        events = [self._slots[slot] for slot, _ in found]
        if len(digest.profile.shingles):
            for article_id in self._bands.query(digest.profile.shingles, min_jaccard=self.duplicate_threshold):
                event_id = self.assignments_.get(article_id)
                if event_id is not None and event_id not in events and event_id in self._live:
                    events.append(event_id)
        return events

    def _judge(self, digest: Digest) -> list[tuple[str, float, list[tuple[Digest, dict[str, float]]]]]:
        """Candidate events with their score, best first (ties: older event first)."""
        vector = key_vector(digest.profile)
        out = []
        for event_id in self._candidates(digest, vector):
            terms, pairs = self.events_[event_id].terms(digest, vector, self.compare, self.vocabulary_)
            score = event_score(terms, self.weights)
            if any(self._copy_kind(digest.profile, rep.profile, f) for rep, f in pairs):
                score = max(score, 0.99)  # a copy or translation reports what its original reports
            out.append((event_id, score, pairs))
        out.sort(key=lambda t: (-t[1], self.events_[t[0]].slot))
        return out

    def _agree(self, absorbed_id: str, into_id: str) -> bool:
        """A merge needs the two events to link directly too, not only through the new article:
        the absorbed event's representatives score at least ``threshold`` against the other on average."""
        return bool(self.events_[absorbed_id].representatives) and self._agreement(absorbed_id, into_id) >= self.threshold

    def _copy_kind(self, p: Profile, q: Profile, f: dict[str, float]) -> str | None:
        """``near_duplicate`` / ``translation`` / None for two profiles and their link features."""
        if p.language == q.language and f["minhash_score"] >= self.duplicate_threshold:
            return "near_duplicate"
        if p.language != q.language and (
            (f["diagonal_score"] >= self.translation_threshold and f["aligned50_fraction"] >= 0.8 and f["sentence_ratio"] >= 0.6)
            # same sentence structure, even where the encoder is weak (cs, uk); numbers, when both give some, shared
            or (f.get("length_correlation", 0.0) >= 0.85 and (not f["digits_comparable"] or f["digit_score"] >= 0.08))
            # similar sentence counts aligned in order with a mean similarity of 0.5 (ja-en, where the encoder is weaker)
            or f.get("monotone_score", 0.0) >= 0.5
        ):
            return "translation"
        return None

    def _record_copies(self, digest: Digest, scored: list[tuple[str, float, list[tuple[Digest, dict[str, float]]]]]) -> None:
        p = digest.profile
        for _, _, pairs in scored:
            for rep, f in pairs:
                q = rep.profile
                kind = self._copy_kind(p, q, f)
                if kind is None:
                    continue
                score = f["minhash_score"] if kind == "near_duplicate" else f["diagonal_score"]
                if p.published_at and q.published_at and p.published_at < q.published_at:
                    self.copies_.add(q.article_id, p.article_id, kind, score)
                else:
                    self.copies_.add(p.article_id, q.article_id, kind, score)
                return

    def _open_event(self, article_id: str) -> str:
        slot = self._next_slot
        self._next_slot += 1
        event_id = f"e{slot:06d}-{article_id[:8]}"
        self.events_[event_id] = EventState(event_id=event_id, slot=slot)
        self._slots[slot] = event_id
        self._live[event_id] = None
        return event_id

    def _add_member(self, ev: EventState, digest: Digest, source: str | None) -> None:
        p = digest.profile
        ev.add(digest, representatives=self.representatives, source=source)
        self.assignments_[p.article_id] = ev.event_id
        if source:
            self.article_sources_[p.article_id] = source
        for d in (ev.first_day, ev.last_day):
            self._index.upsert(ev.slot, ev.centroid, day=d.toordinal() if d else None)
        if len(p.shingles):
            self._bands.add(p.article_id, p.shingles)

    def _merge(self, absorbed_id: str, into_id: str, score: float) -> None:
        src, dst = self.events_.pop(absorbed_id), self.events_[into_id]
        self._live.pop(absorbed_id, None)
        for article_id in src.members:
            self.assignments_[article_id] = into_id
        dst.absorb(src, representatives=self.representatives)
        self._index.remove(src.slot)
        del self._slots[src.slot]
        for d in (dst.first_day, dst.last_day):
            self._index.upsert(dst.slot, dst.centroid, day=d.toordinal() if d else None)
        self.merges_.append((absorbed_id, into_id, round(float(score), 4)))
        if absorbed_id in self.unsettled_:
            self.unsettled_.discard(absorbed_id)
            self.unsettled_.add(into_id)

    def _retire_old(self) -> None:
        """Retire the live events whose last day is more than ``window_days + retire_margin_days``
        before the newest day seen (undated events stay live): out of the centroid index, their
        articles out of the MinHash bands, their heavy state dropped (:meth:`EventState.retire`)."""
        assert self.newest_day_ is not None
        self._swept_day = self.newest_day_
        cutoff = self.newest_day_ - float(self.window_days) - float(self.retire_margin_days)
        old = [e for e in self._live if (last := self.events_[e].last_day) is not None and last.toordinal() < cutoff]
        for event_id in old:
            ev = self.events_[event_id]
            del self._live[event_id]
            self._index.remove(ev.slot)
            self._bands.remove(ev.members)
            ev.retire()

    @property
    def n_live_(self) -> int:
        """Events not retired (candidates for new articles)."""
        return len(self._live) if self._fitted else 0
