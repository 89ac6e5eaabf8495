"""Link features: how strongly one article belongs with another, for event clustering.

Built on :mod:`storyline.similarity` (embedding and surface features) plus two
cheap signals that separate *different events of the same kind* (two
earthquakes, two rehab check-ins): the names both articles use and the years
and dates they are about. Names come from the entity analyser when the
profile has entities, else from capitalised words (Latin, Cyrillic, Greek
scripts) — a fallback that needs no model.

>>> from storyline.cluster.features import name_keys_from_text
>>> sorted(name_keys_from_text(["Gen. Mark Milley met Taliban envoys in Doha.", "Then Milley left."]))
['doha', 'mark', 'milley', 'taliban']
"""

from __future__ import annotations

import functools
import heapq
import math
import re
import zlib
from datetime import date
from itertools import repeat
from typing import Any, Callable

import numpy as np

from storyline.types import Profile

_WORD = re.compile(r"[^\W\d_][\w'’\-]*", re.UNICODE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20[0-4]\d)(?!\d)")
_COMMON = {
    # capitalised for grammar, not names: weekdays, months, titles, sentence glue (en es it nl de fr)
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july "
    "august september october november december mr mrs ms dr gen sen rep president minister the a an in on "
    "at of for and but if as it he she they we i this that these those there his her their its our new "
    "el la los las un una en de del por para con lo il le gli di da per che een het van voor op met der die "
    "das und ein eine des dem im les du pour avec est sur au aux et ce cette"
}
_CASELESS = {"zh", "ja", "ko", "th", "ar", "fa", "he", "hi"}
_COMMON = {w for chunk in _COMMON for w in chunk.split()}


def name_keys_from_text(sentences: list[str] | tuple[str, ...]) -> set[str]:
    """Lower-cased capitalised words that are not sentence-initial (a cheap proxy for names)."""
    return set(name_counts_from_text(sentences))


def name_counts_from_text(sentences: list[str] | tuple[str, ...]) -> dict[str, int]:
    """:func:`name_keys_from_text` with how often each occurs."""
    keys: dict[str, int] = {}
    for sentence in sentences:
        words = _WORD.findall(sentence)
        for k, word in enumerate(words):
            if k == 0 or len(word) < 3 or not word[0].isupper():
                continue
            low = word.lower()
            if low in _COMMON:
                continue
            key = low.strip("'’-")
            keys[key] = keys.get(key, 0) + 1
    return keys


def name_counts(profile: Profile) -> dict[str, int]:
    """Name keys of a profile with their counts: entity keys when the entity analyser ran, else capitalised words."""
    if profile.entities:
        counts: dict[str, int] = {}
        for m in profile.entities:
            if m.label in ("PER", "ORG", "LOC", "MISC"):
                key = (m.key or m.text).lower()
                if key:
                    counts[key] = counts.get(key, 0) + 1
                    last = key.split()[-1]
                    if last != key and len(last) >= 3:  # "Gabriel Boric" is also "Boric"
                        counts[last] = counts.get(last, 0) + 1
        return counts
    if profile.language in _CASELESS:
        return {}  # capitalised words in zh/ja/ko text are boilerplate (site names), not the story's names
    return name_counts_from_text([profile.title, *profile.sentences])


def name_keys(profile: Profile) -> frozenset[str]:
    """The set of :func:`name_counts`."""
    return frozenset(name_counts(profile))


def salient_names(counts: dict[str, int], k: int = 3) -> tuple[str, ...]:
    """The ``k`` most frequent names (ties: first seen first), each seen at least twice when possible.

    >>> salient_names({"oscars": 3, "academy": 1, "jackman": 4, "sydney": 2})
    ('jackman', 'oscars', 'sydney')
    """
    order = sorted(counts, key=lambda n: -counts[n])
    repeated = [n for n in order if counts[n] >= 2]
    return tuple((repeated or order)[:k])


def lead_persons(profile: Profile, k: int = 2) -> tuple[str, ...]:
    """The ``k`` people the article names most (entity keys' last word, so "Mark Milley" and "Milley"
    are one person; ties: first named first). Empty without entities.

    >>> from storyline.cluster.testing import toy_profile
    >>> from storyline.types import Mention
    >>> p = toy_profile("x", [1.0], "Talks").replace(entities=tuple(Mention(t, "PER", 0, 1, "en", t.lower()) for t in ("Mike Pompeo", "Milley", "Pompeo")))
    >>> lead_persons(p)
    ('pompeo', 'milley')
    """
    counts: dict[str, int] = {}
    for m in profile.entities:
        if m.label == "PER":
            key = (m.key or m.text).lower().split()
            if key:
                counts[key[-1]] = counts.get(key[-1], 0) + 1
    return tuple(sorted(counts, key=lambda n: -counts[n])[:k])


def lead_mismatch(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """1.0 when two articles are led by different people: each one's most named person is not
    among the other's two most named (a different actor: Pompeo's meeting vs Milley's), else 0.0.

    >>> lead_mismatch(("pompeo", "baradar"), ("milley", "flaherty")), lead_mismatch(("pompeo",), ("milley", "pompeo"))
    (1.0, 0.0)
    """
    if not a or not b:
        return 0.0
    return float(a[0] != b[0] and a[0] not in b and b[0] not in a)


def years(profile: Profile) -> frozenset[int]:
    """Years the text mentions (plus those of extracted dates)."""
    found = {int(y) for s in profile.sentences for y in _YEAR.findall(s)}
    found.update(d.value.year for d in profile.dates)
    return frozenset(found)


def digit_set(profile: Profile) -> frozenset[str]:
    """Numbers written in the text (any script's digits, separators dropped): they survive translation.

    >>> from storyline.cluster.testing import toy_profile
    >>> sorted(digit_set(toy_profile("x", [1.0], "Paiement", text="Il a payé 2,500 euros le 16 novembre 2020.")))
    ['16', '2020', '2500']
    """
    found = set()
    for sentence in profile.sentences:
        for m in _NUMBER.finditer(sentence):
            digits = "".join(str(int(ch)) for ch in m.group() if ch.isdigit())
            if len(digits) >= 2:
                found.add(digits.lstrip("0") or "0")
    return frozenset(found)


def event_day(profile: Profile) -> date | None:
    """The day the article is about: the extracted event date when the dates analyser ran, else publication."""
    if profile.dates:
        try:
            from storyline.analyse.dates import date_of_event

            return date_of_event(list(profile.dates), profile.published_at)
        except ImportError:  # pragma: no cover - dates analyser not installed
            pass
    return profile.published_at.date() if profile.published_at else None


_TOKEN = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]+")


def word_counts(profile: Profile) -> dict[str, int]:
    """Lower-cased words (3+ letters) of title and sentences; character bigrams for CJK runs."""
    counts: dict[str, int] = {}
    for text in (profile.title, *profile.sentences):
        low = text.lower()
        for run in _CJK.findall(low):
            for i in range(len(run) - 1):
                counts[run[i : i + 2]] = counts.get(run[i : i + 2], 0) + 1
        for token in _TOKEN.findall(_CJK.sub(" ", low)):
            counts[token] = counts.get(token, 0) + 1
    return counts


Words = tuple[np.ndarray, np.ndarray]
"""An article's words as two aligned arrays: sorted ``uint32`` word ids (:func:`word_id`) and
sublinear term weights ``1 + log(count)`` (``float32``)."""


def word_id(word: str) -> int:
    """A stable 32-bit id for a word (CRC-32 of its UTF-8 bytes; the same in every process).

    >>> word_id("quake") == word_id("quake") != word_id("bank")
    True
    """
    return zlib.crc32(word.encode("utf-8"))


def word_vector(counts: dict[str, int]) -> Words:
    """:func:`word_counts` as compact arrays (ids sorted; colliding ids add their counts).

    >>> ids, weights = word_vector({"the": 3, "quake": 1})
    >>> len(ids), float(weights[list(ids).index(word_id("quake"))])
    (2, 1.0)
    """
    merged: dict[int, int] = {}
    for word, n in counts.items():
        key = word_id(word)
        merged[key] = merged.get(key, 0) + n
    ids = np.fromiter(sorted(merged), dtype=np.uint32, count=len(merged))
    weights = np.array([1.0 + math.log(merged[int(i)]) for i in ids.tolist()], dtype=np.float32)
    return ids, weights


class Vocabulary:
    """Document frequencies of words (by :func:`word_id`), learned online, for the lexical (TF-IDF) score.

    >>> v = Vocabulary()
    >>> v.add({"the": 3, "quake": 1}); v.add(word_vector({"the": 2, "bank": 1}))
    >>> round(v.idf("the"), 3) < round(v.idf("quake"), 3)
    True
    """

    def __init__(self) -> None:
        self.df: dict[int, int] = {}
        self.n_docs = 0
        self._memo: list[Any] = [0, {}]  # idf arrays made at this n_docs, by array

    def __getstate__(self) -> dict[str, Any]:
        return {"df": self.df, "n_docs": self.n_docs}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.df, self.n_docs = state["df"], state["n_docs"]
        self._memo = [0, {}]

    def add(self, words: Words | dict[str, int]) -> None:
        """Count one document's words (:func:`word_vector` arrays, or a ``{word: count}`` dict)."""
        ids = words[0].tolist() if isinstance(words, tuple) else [word_id(w) for w in words]
        self.n_docs += 1
        df = self.df
        for w in ids:
            df[w] = df.get(w, 0) + 1

    def idf(self, word: str | int) -> float:
        key = word_id(word) if isinstance(word, str) else int(word)
        return math.log((self.n_docs + 1) / (self.df.get(key, 0) + 1)) + 1.0

    def _idf_array(self, ids: np.ndarray) -> np.ndarray:
        memo = self._memo
        if memo[0] != self.n_docs:  # the frequencies move with every document added
            memo[:] = [self.n_docs, {}]
        hit = memo[1].get(id(ids))
        if hit is not None and hit[0] is ids:  # the same array: an article against several representatives
            return hit[1]
        counts = np.fromiter(map(self.df.get, ids.tolist(), repeat(0)), dtype=np.float64, count=len(ids))
        out = np.log((self.n_docs + 1) / (counts + 1)) + 1.0
        memo[1][id(ids)] = (ids, out)
        return out

    def _weighted(self, words: Words) -> tuple[np.ndarray, float]:
        """``words``' tf × idf weights and their norm, made once per array while the frequencies hold
        (an article is compared with several representatives, a representative with several articles)."""
        memo = self._memo
        if memo[0] != self.n_docs:
            memo[:] = [self.n_docs, {}]
        key = ("w", id(words[0]))
        hit = memo[1].get(key)
        if hit is not None and hit[0] is words[0] and hit[1] is words[1]:
            return hit[2], hit[3]
        w = words[1] * self._idf_array(words[0])
        norm = float(np.sqrt(w @ w))
        memo[1][key] = (words[0], words[1], w, norm)
        return w, norm

    def lexical_score(self, a: Words, b: Words) -> float:
        """Cosine of sublinear-tf × idf vectors (:func:`word_vector` arrays)."""
        if not len(a[0]) or not len(b[0]):
            return 0.0
        ia, ib = _common_indices(a[0], b[0])
        if not len(ia):
            return 0.0
        wa, na = self._weighted(a)
        wb, nb = self._weighted(b)
        return float(wa[ia] @ wb[ib]) / (na * nb) if na and nb else 0.0


def _common_indices(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where two sorted arrays of unique ids share a value: the indices into each, in increasing order
    (what ``np.intersect1d(a, b, assume_unique=True, return_indices=True)`` gives, without its sort).

    >>> ia, ib = _common_indices(np.array([2, 5, 9], np.uint32), np.array([1, 5, 9, 12], np.uint32))
    >>> ia.tolist(), ib.tolist()
    ([1, 2], [1, 2])
    """
    pos = b.searchsorted(a)  # np.searchsorted(b, a) without its Python wrapper
    pos[pos == len(b)] = 0
    ia = np.flatnonzero(b[pos] == a)
    return ia, pos[ia]


class Digest:
    """What the link features need from one profile, computed once per article."""

    __slots__ = ("profile", "names", "salient", "years", "day", "script", "digits", "words", "persons", "_doc", "_key")

    def __init__(self, profile: Profile) -> None:
        from storyline.similarity import _SCRIPTS

        self.profile = profile
        counts = name_counts(profile)
        self.names = frozenset(counts)
        self.salient = salient_names(counts)
        self.digits = digit_set(profile)
        self.words = word_vector(word_counts(profile))
        self.years = years(profile)
        self.day = event_day(profile)
        self.script = _SCRIPTS.get(profile.language, 9) if not profile.entities else -1
        self.persons = lead_persons(profile)
        self._doc: np.ndarray | None = None
        self._key: np.ndarray | None = None

    def document_vector(self) -> np.ndarray:
        """:func:`document_vector` of the profile, made once (a representative is compared with many articles)."""
        if self._doc is None:
            self._doc = document_vector(self.profile)
        return self._doc

    def key(self) -> np.ndarray:
        """:func:`key_vector` of the profile, made once."""
        if self._key is None:
            self._key = key_vector(self.profile, self.document_vector())
        return self._key

    def compact(self) -> Digest:
        """The same digest holding a compact profile (what an event keeps of a representative):
        vectors in float16, the MinHash signature as a ``uint32`` array, segments without their text.
        Link features read it as they read the full profile."""
        out = Digest.__new__(Digest)
        for name in Digest.__slots__:
            setattr(out, name, getattr(self, name))
        out.profile = compact_profile(self.profile)
        out._doc = out._key = None  # the compact profile's vectors are float16: made again from them
        return out

    def __getstate__(self) -> tuple[Any, ...]:
        return (self.profile, self.names, self.salient, self.years, self.day, self.script, self.digits, self.words, self.persons)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.profile, self.names, self.salient, self.years, self.day, self.script, self.digits, self.words = state[:8]
        self.persons = state[8] if len(state) > 8 else lead_persons(self.profile)
        self._doc = self._key = None


def compact_profile(profile: Profile) -> Profile:
    """``profile`` with float16 vectors, a ``uint32`` MinHash array and text-free segments (≈ half the memory).

    >>> from storyline.cluster.testing import toy_profile
    >>> p = compact_profile(toy_profile("x", [1.0, 0.0], "Quake hits Kabul"))
    >>> p.lead_vector.dtype, p.shingles.dtype, p.segments[0].text, p.languages
    (dtype('float16'), dtype('uint32'), '', ('en',))
    """
    from storyline.types import Segment

    if profile.lead_vector.dtype == np.float16:
        return profile
    return profile.replace(
        title_vector=profile.title_vector.astype(np.float16),
        lead_vector=profile.lead_vector.astype(np.float16),
        sentence_vectors=profile.sentence_vectors.astype(np.float16),
        shingles=np.asarray(profile.shingles, dtype=np.uint32),
        segments=tuple(Segment(s.language, s.start, s.end, "") for s in profile.segments),
    )


def _f32(v: np.ndarray) -> np.ndarray:
    return v if v.dtype == np.float32 else v.astype(np.float32)


class Float32Memo:
    """``_f32`` of arrays met again and again (the float16 vectors of the representatives a settle
    compares over and over: widening half floats is a quarter of a pair's link features), each made
    once while the memo lives; at most ``max_bytes`` of copies are held (then it starts again: a
    settle over 2,000 new articles holds ≈ 56 MB). Each array is kept with its copy, so its id stays its own.

    >>> memo = Float32Memo(max_bytes=64)
    >>> v = np.ones(3, dtype=np.float16)
    >>> memo(v) is memo(v), memo(v).dtype, len(memo)
    (True, dtype('float32'), 1)
    """

    def __init__(self, max_bytes: int = 64 << 20) -> None:
        self.max_bytes = max_bytes
        self._held: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._bytes = 0

    def __call__(self, v: np.ndarray) -> np.ndarray:
        hit = self._held.get(id(v))  # looked up first: the arrays met again and again are the half floats
        if hit is None:
            if v.dtype == np.float32:
                return v
            copy = v.astype(np.float32)
            if self._bytes + copy.nbytes > self.max_bytes:
                self._held.clear()
                self._bytes = 0
            hit = self._held[id(v)] = (v, copy)
            self._bytes += copy.nbytes
        return hit[1]

    def __len__(self) -> int:
        return len(self._held)


def _jaccard(a: Any, b: Any) -> float:
    """MinHash Jaccard estimate for tuples or arrays (0 when either is empty)."""
    if len(a) == 0 or len(b) == 0 or len(a) != len(b):
        return 0.0
    if not (isinstance(a, np.ndarray) and a.dtype.kind == "u" and isinstance(b, np.ndarray) and b.dtype.kind == "u"):
        a, b = np.asarray(a, dtype=np.uint64), np.asarray(b, dtype=np.uint64)
    return np.count_nonzero(a == b) / len(a)  # np.mean of the booleans, without its overhead (same float)


def _mean(x: np.ndarray) -> float:
    """``float(np.mean(x))`` of a float32 or float64 array, without ``np.mean``'s Python overhead: the
    same sum (``np.add.reduce``) divided by the count in float64, rounded to the array's type (bit-identical).

    >>> x = np.array([0.1, 0.7, 0.3], dtype=np.float32)
    >>> _mean(x) == float(np.mean(x)), _mean(x[::-1]) == float(x[::-1].mean())
    (True, True)
    """
    return float(_mean_scalar(x))


def _mean_scalar(x: np.ndarray) -> Any:
    """:func:`_mean` as NumPy returns it: a scalar of the array's type."""
    return x.dtype.type(float(np.add.reduce(x, axis=None)) / x.size)


def document_vector(p: Profile) -> np.ndarray:
    """The mean of the sentence vectors, re-normalised (the title vector when there are none)."""
    rows = _f32(p.sentence_vectors)
    if not len(rows):
        return _f32(p.title_vector)
    v = rows.mean(axis=0)
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else _f32(p.title_vector)


def key_vector(profile: Profile, document: np.ndarray | None = None) -> np.ndarray:
    """The vector events are blocked on: lead passage + document mean, re-normalised."""
    v = profile.lead_vector.astype(np.float32) + (document if document is not None else document_vector(profile))
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v


LINK_FEATURES: tuple[str, ...] = (
    "lexical_score",
    "lexical_comparable",
    "lead_passage_score",
    "title_score",
    "document_score",
    "align_mean_score",
    "top5_pair_score",
    "diagonal_score",
    "aligned50_fraction",
    "minhash_score",
    "name_score",
    "name_shared_log",
    "names_comparable",
    "salient_score",
    "digit_score",
    "digits_comparable",
    "sentence_ratio",
    "year_conflict",
    "day_gap_log",
    "day_known",
)


_max_reduce = np.maximum.reduce


def _cos(u: np.ndarray, v: np.ndarray, f32: Callable[[np.ndarray], np.ndarray] = _f32) -> float:
    return float(f32(u) @ f32(v))


def length_correlation(a: Profile, b: Profile, min_sentences: int = 5) -> float | None:
    """Pearson correlation of the log lengths of the two articles' sentences, position by position,
    when both have the same number of sentences (at least ``min_sentences``); else None.

    A translation keeps the sentence structure, so its sentence lengths follow the original's
    (Gale & Church's length-based alignment) in any script, including languages the encoder
    does not know (cs, uk). On the dev files: 0.85 or more for ~90 % of translation pairs with equal
    sentence counts, and for 2 of ~1,800 other cross-language pairs.

    >>> from storyline.cluster.testing import toy_profile
    >>> a = toy_profile("a", [1.0], "x", text="Short one. A much longer sentence follows here, with detail. Tiny. Another fairly long sentence, again. Ok.")
    >>> b = toy_profile("b", [1.0], "y", text="Kurz. Ein viel längerer Satz folgt hier, mit vielen Details. Klein. Noch ein ziemlich langer Satz, wieder. Gut.")
    >>> round(length_correlation(a, b), 2), length_correlation(a, a.replace(sentences=a.sentences[:3]))
    (0.95, None)
    """
    sa, sb = a.sentences, b.sentences
    if len(sa) != len(sb) or len(sa) < min_sentences:
        return None
    x = np.log([max(1, len(s)) for s in sa])
    y = np.log([max(1, len(s)) for s in sb])
    if float(x.std()) == 0.0 or float(y.std()) == 0.0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def _top_values(sim: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` largest values of ``sim`` (at least one), largest first, laid out as
    ``np.sort(sim, axis=None)[::-1][:k]`` lays them out (a reversed view of ascending values, so a
    mean of them sums in the same order), without sorting all of ``sim``.

    >>> sim = np.array([[0.1, 0.9, 0.3], [0.8, 0.2, 0.7]], dtype=np.float32)
    >>> _top_values(sim, 2).tolist() == np.sort(sim, axis=None)[::-1][:2].tolist()
    True
    """
    n = sim.size
    k = max(1, min(k, n))
    if k >= n:
        return np.sort(sim, axis=None)[::-1][:k]
    flat = sim.flatten()  # what np.partition(axis=None) partitions, without its Python wrappers
    flat.partition(n - k)
    tail = flat[n - k :]
    tail.sort()
    return tail[::-1]


@functools.lru_cache(maxsize=4096)
def _diagonal_index(na: int, nb: int) -> np.ndarray:
    """Flat indices into an ``na`` × ``nb`` matrix of the cells :func:`link_features`' diagonal score
    averages: row ``i``, column ``min(nb - 1, round(i * nb / na))`` (made once per shape; read-only).

    >>> _diagonal_index(3, 2).tolist()
    [0, 3, 5]
    """
    rows = np.arange(na)
    out = rows * nb + np.minimum(nb - 1, np.round(rows * nb / na).astype(np.intp))
    out.flags.writeable = False
    return out


def link_features(
    a: Digest, b: Digest, vocabulary: Vocabulary | None = None, f32: Callable[[np.ndarray], np.ndarray] = _f32
) -> dict[str, float]:
    """Symmetric features of one article pair. ``vocabulary`` (document frequencies) enables
    the lexical score, which is only computed for two articles in the same language. ``f32``: how
    the vectors are read as float32 (a :class:`Float32Memo` where the same representatives come back)."""
    pa, pb = a.profile, b.profile
    if len(pa.sentence_vectors) and len(pb.sentence_vectors):
        sim = f32(pa.sentence_vectors) @ f32(pb.sentence_vectors).T
    else:
        sim = np.zeros((max(1, len(pa.sentence_vectors)), max(1, len(pb.sentence_vectors))), dtype=np.float32)
    row_best, col_best = _max_reduce(sim, axis=1), _max_reduce(sim, axis=0)  # sim.max(axis=...) without its wrappers
    na, nb = sim.shape
    top = _top_values(sim, 5)
    diag = _mean(sim.take(_diagonal_index(na, nb)))  # sim[i, min(nb - 1, round(i * nb / na))], i = 0 .. na - 1
    comparable = a.script == b.script and bool(a.names) and bool(b.names)
    shared = len(a.names & b.names) if comparable else 0
    union = len(a.names | b.names) if comparable else 0
    salient = 0.0
    if comparable and a.salient and b.salient:
        salient = (len(set(a.salient) & b.names) / len(a.salient) + len(set(b.salient) & a.names) / len(b.salient)) / 2
    digits_ok = len(a.digits) >= 3 and len(b.digits) >= 3
    digit_score = len(a.digits & b.digits) / (len(a.digits | b.digits) + 2) if digits_ok else 0.0
    sa, sb = len(pa.sentences), len(pb.sentences)
    year_conflict = 0.0
    if a.years and b.years and not (a.years & b.years):
        year_conflict = 1.0
    gap = abs((a.day - b.day).days) if a.day and b.day else None
    same_language = pa.language == pb.language and vocabulary is not None and vocabulary.n_docs >= 2
    lexical = vocabulary.lexical_score(a.words, b.words) if same_language and vocabulary is not None else 0.0
    lengths = length_correlation(pa, pb) if pa.language != pb.language else None
    align_mean = float(_mean_scalar(row_best) + _mean_scalar(col_best)) / 2  # summed in float32, as np.mean's scalars
    monotone = 0.0
    if pa.language != pb.language and min(sa, sb) >= 4 and min(sa, sb) / max(sa, sb) >= 0.75 and align_mean >= 0.45:
        from storyline.similarity import monotone_alignment

        monotone = monotone_alignment(sim[:60, :60], floor=0.35)[0]  # ordered alignment: translations keep the order
    return {
        "monotone_score": monotone,
        "length_correlation": lengths if lengths is not None else 0.0,
        "lexical_score": lexical,
        "lexical_comparable": float(same_language),
        "lead_passage_score": _cos(pa.lead_vector, pb.lead_vector, f32),
        "title_score": _cos(pa.title_vector, pb.title_vector, f32),
        "document_score": _cos(a.document_vector(), b.document_vector()),
        "align_mean_score": align_mean,
        "top5_pair_score": _mean(top),
        "diagonal_score": diag,
        "aligned50_fraction": (np.count_nonzero(row_best > 0.5) / na + np.count_nonzero(col_best > 0.5) / nb) / 2,
        "minhash_score": _jaccard(pa.shingles, pb.shingles),
        "name_score": shared / (union + 3) if union else 0.0,  # shrunk: two short name lists prove little
        "name_shared_log": math.log1p(shared),
        "names_comparable": float(comparable),
        "salient_score": salient,
        "digit_score": digit_score,
        "digits_comparable": float(digits_ok),
        "sentence_ratio": min(sa, sb) / max(1, sa, sb),
        "year_conflict": year_conflict,
        "day_gap_log": math.log1p(gap) if gap is not None else 0.0,
        "day_known": float(gap is not None),
        "lead_mismatch": lead_mismatch(a.persons, b.persons) if pa.language == pb.language else 0.0,
    }


def feature_vector(a: Digest, b: Digest) -> np.ndarray:
    f = link_features(a, b)
    return np.array([f[k] for k in LINK_FEATURES], dtype=np.float64)


LINK_TERMS: tuple[str, ...] = (
    "lexical_evidence",
    "lead_passage_score",
    "title_score",
    "diagonal_score",
    "align_mean_score",
    "minhash_score",
    "name_evidence",
    "name_shared_evidence",
    "salient_evidence",
    "digit_evidence",
    "sentence_ratio",
    "day_gap_excess",
    "year_conflict",
    "lead_mismatch",
    "lexical_high",
)
"""The inputs of the link score (derived from :func:`link_features`)."""

def link_terms(f: dict[str, float]) -> dict[str, float]:
    """The link score's inputs from raw link features: name evidence only where names are comparable,
    the day gap only beyond three days, and the lexical score also as a hinge above 0.35 (a high
    same-language TF-IDF cosine is stronger evidence than a linear term gives it)."""
    comparable = f["names_comparable"]
    gap = f["day_gap_log"] * f["day_known"]
    return {
        "lexical_evidence": f.get("lexical_comparable", 0.0) * (f.get("lexical_score", 0.0) - 0.2),
        "lead_passage_score": f["lead_passage_score"],
        "title_score": f["title_score"],
        "diagonal_score": f["diagonal_score"],
        "align_mean_score": f["align_mean_score"],
        "minhash_score": f["minhash_score"],
        "name_evidence": comparable * (f["name_score"] - 0.1),
        "name_shared_evidence": comparable * f["name_shared_log"],
        "salient_evidence": comparable * (f["salient_score"] - 0.5),
        "digit_evidence": f["digits_comparable"] * (f["digit_score"] - 0.15),
        "sentence_ratio": f["sentence_ratio"],
        "day_gap_excess": max(gap - math.log1p(3), 0.0),
        "year_conflict": f["year_conflict"],
        "lead_mismatch": f.get("lead_mismatch", 0.0),
        "lexical_high": f.get("lexical_comparable", 0.0) * max(f.get("lexical_score", 0.0) - 0.35, 0.0),
    }


EVENT_TERMS: tuple[str, ...] = LINK_TERMS + ("centroid_score", "event_names_covered", "article_names_covered", "event_size_log")
"""Inputs of the article–event score: the link terms averaged over the closest members, plus event-level terms."""

EVENT_WEIGHTS: dict[str, float] = {
    "bias": -5.883,
    "lexical_evidence": 9.043,
    "lead_passage_score": -1.381,
    "title_score": 4.136,
    "diagonal_score": 3.932,
    "align_mean_score": -2.88,
    "minhash_score": 7.113,
    "name_evidence": 4.642,
    "name_shared_evidence": 0.938,
    "salient_evidence": -1.904,
    "digit_evidence": 11.938,
    "sentence_ratio": -0.085,
    "day_gap_excess": -0.584,
    "year_conflict": -0.762,
    "lead_mismatch": -1.237,
    "lexical_high": 1.44,
    "centroid_score": 1.871,
    "event_names_covered": 0.221,
    "article_names_covered": 1.734,
    "event_size_log": 0.661,
}
"""Logistic weights of the article–event score, fitted once on the four dev clustering files pooled
(online-like rows, each file weighted equally); refit with ``benchmarks/bench_cluster.py --fit-weights``."""


def event_terms(
    digest: Digest,
    pair_terms: list[dict[str, float]],
    centroid_score: float,
    name_df: dict[str, int],
    n_same_script: int,
    n_members: int,
) -> dict[str, float]:
    """The article–event score's inputs.

    ``pair_terms`` are :func:`link_terms` against the closest members; ``name_df`` counts in how many
    members *of the article's script* each name occurs (``n_same_script`` of them).
    """
    if len(pair_terms) == 1:  # the mean as sum() makes it (from 0, in order), without a generator per term
        (t0,) = pair_terms
        out = {k: float((0 + t0[k]) / 1) for k in LINK_TERMS}
    elif len(pair_terms) == 2:
        t0, t1 = pair_terms
        out = {k: float((0 + t0[k] + t1[k]) / 2) for k in LINK_TERMS}
    else:
        out = {k: float(sum(t[k] for t in pair_terms) / len(pair_terms)) for k in LINK_TERMS}
    out["centroid_score"] = centroid_score
    covered = covering = 0.0
    if digest.names and n_same_script and name_df:
        # the (at most 3) most frequent names held by at least half the members (and 2), else the 2 most
        # frequent; ties by name: independent of the hash seed. Only the few that qualify are sorted.
        floor = max(2, 0.5 * n_same_script)
        top = sorted((n for n, c in name_df.items() if c >= floor), key=lambda n: (-name_df[n], n))[:3]
        if not top:
            top = heapq.nsmallest(2, name_df, key=lambda n: (-name_df[n], n))  # = sorted(...)[:2]
        covered = sum(n in digest.names for n in top) / len(top) - 0.5
        if digest.salient:
            covering = sum(n in name_df for n in digest.salient) / len(digest.salient) - 0.5
    out["event_names_covered"] = covered
    out["article_names_covered"] = covering
    out["event_size_log"] = math.log1p(n_members)
    return out


def event_score(terms: dict[str, float], weights: dict[str, float] | None = None) -> float:
    """Probability-like [0, 1] score that an article belongs to an event."""
    w = EVENT_WEIGHTS if weights is None else weights
    z = w.get("bias", 0.0) + sum(w.get(k, 0.0) * v for k, v in terms.items())
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
