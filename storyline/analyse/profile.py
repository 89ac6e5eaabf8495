"""Build a :class:`~storyline.types.Profile` from an :class:`~storyline.types.Article`.

The profiler runs each analyser once per language segment, so a Chinese
translation glued to its English original gets Chinese entities from the
Chinese half and English entities from the English half.

>>> from storyline.types import Article
>>> profiler = Profiler()
>>> p = profiler.profile(Article.from_text("Talks in Doha", "Gen. Mark Milley met Taliban negotiators in Doha on Monday, November 16, 2020."))
>>> p.language, p.sentence_vectors.shape
('en', (1, 512))
"""

from __future__ import annotations

import functools
import gc
import itertools
import pickle
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

import numpy as np

from storyline.analyse.embed import Encoder
from storyline.analyse.language import SUPPORTED_LANGUAGES, detect_language, iter_sentence_spans, split_segments
from storyline.types import Article, DateMention, Mention, NumberMention, Place, Profile, Segment

if TYPE_CHECKING:
    from storyline.analyse.entities import EntityExtractor

MINHASH_PERMUTATIONS = 64


@dataclass
class Profiler:
    """Turns articles into profiles. Holds the loaded models; build one and reuse it.

    Parameters
    ----------
    encoder:
        The sentence encoder (a new :class:`Encoder` by default).
    max_sentences, tail_sentences:
        Sentences embedded per article: the first ``max_sentences - tail_sentences`` and the last ``tail_sentences``.
    lead_chars:
        Length of the lead passage (title + the sentences that start in the first ``lead_chars``
        characters), whose vector pools the token features of those sentences.
    entities, places, dates, numbers:
        Switch analysers off (for speed measurements and ablations).
    entity_models:
        Use the per-language NER models (spaCy, natasha, jiagu); False uses only the
        gazetteers, titles and capitalisation — about twice as fast, fewer people found.
    e5:
        A *deep* profile: also read the title and the lead (first 512 characters) with a second
        encoder, multilingual-e5-small (:mod:`storyline.analyse.e5`), whose judgement the pair
        scorer adds to its own (about 0.2 s of CPU more per article, so ``compare`` and
        ``eval``/``train pairs`` use it and ingest does not).
    """

    encoder: Encoder = field(default_factory=Encoder)
    max_sentences: int = 48
    tail_sentences: int = 12
    lead_chars: int = 1000
    entities: bool = True
    entity_models: bool = True
    places: bool = True
    dates: bool = True
    numbers: bool = True
    e5: bool = False

    _light_extractor: object = field(default=None, init=False, repr=False, compare=False)
    _e5_encoder: object = field(default=None, init=False, repr=False, compare=False)

    def profile(self, article: Article) -> Profile:
        draft = self._prepare(article)
        return self._finish(draft, self._model_spans(draft.ner_segments))

    def profile_many(self, articles: Iterable[Article], *, batch: int = 4) -> Iterator[Profile]:
        """Profiles of ``articles`` in order, the NER of ``batch`` articles at a time.

        The same profiles as :meth:`profile` one by one: only the per-language NER models read the
        segments and titles of several articles in one ``nlp.pipe`` batch (a call's set-up is paid
        once; 1.6 ms less per English article at 4). An article that fails fails the batch: call
        :meth:`profile` per article to tell which.

        >>> from storyline.types import Article
        >>> arts = [Article.from_text("Talks in Doha", "The Taliban met US envoys in Doha."), Article.from_text("", "Rain in Paris.")]
        >>> [p.title for p in Profiler(entity_models=False).profile_many(arts)]
        ['Talks in Doha', 'Rain in Paris.']
        """
        it = iter(articles)
        while chunk := list(itertools.islice(it, max(1, batch))):
            drafts = [self._prepare(a) for a in chunk]
            spans = self._model_spans([seg for d in drafts for seg in d.ner_segments])
            at = 0
            for d in drafts:
                yield self._finish(d, spans[at : at + len(d.ner_segments)])
                at += len(d.ner_segments)

    def _prepare(self, article: Article) -> _Draft:
        """Everything but the entities: segments, sentences, vectors (the NER models read ``ner_segments`` next)."""
        text = article.text
        segments = split_segments(text, hint=article.language_hint)
        if not segments:
            segments = (Segment(article.language_hint or "xx", 0, len(text), text),)
        language = _main_language(segments)
        spans = _pick(list(iter_sentence_spans(text)), self.max_sentences, self.tail_sentences)
        sentences = tuple(text[s:e] for s, e in spans)
        title = article.title.strip() or (sentences[0] if sentences else "")
        # the lead passage (title + text up to lead_chars) pools the token features of the title and of the
        # sentences that start inside it, so nothing is embedded twice (see Encoder.encode_pooled)
        budget = self.lead_chars - len(article.title.strip()) - 1
        lead = ([0] if article.title.strip() else []) + [1 + i for i, (s, _) in enumerate(spans) if s < budget]
        vectors, (lead_vector,) = self.encoder.encode_pooled([title, *sentences], [lead], max_chars=self.lead_chars)
        title_seg = None
        if title and article.title.strip():
            title_seg = Segment(detect_language(title, hint=language), -len(title) - 1, -1, title)
        return _Draft(article, segments, language, sentences, title, vectors, lead_vector, title_seg)

    def _finish(self, d: _Draft, model_spans: Sequence[list[tuple[int, int, str]] | None]) -> Profile:
        """The profile of a draft, given the NER models' spans of its ``ner_segments``."""
        article, segments, title_seg = d.article, d.segments, d.title_seg
        mentions: list[Mention] = []
        places: list[Place] = []
        dates: list[DateMention] = []
        numbers: list[NumberMention] = []
        for seg, seg_spans in zip(segments, model_spans):
            seg_mentions = self._entities(seg, seg_spans)
            mentions.extend(seg_mentions)
            places.extend(self._places(seg, seg_mentions))
            dates.extend(self._dates(seg, article))
            numbers.extend(self._numbers(seg))
        if title_seg is not None:
            title_mentions = self._entities(title_seg, model_spans[-1])
            mentions.extend(title_mentions)
            places.extend(self._places(title_seg, title_mentions))
        entity_groups = self._group(mentions)
        return Profile(
            article_id=article.article_id,
            title=d.title,
            language=d.language,
            segments=segments,
            sentences=d.sentences,
            title_vector=d.vectors[0],
            lead_vector=d.lead_vector,
            sentence_vectors=d.vectors[1:],
            entities=tuple(mentions),
            entity_groups=entity_groups,
            places=tuple(places),
            dates=tuple(dates),
            numbers=tuple(numbers),
            published_at=article.published_at,
            n_chars=len(article.text),
            shingles=minhash_signature(article.text),
            e5_vectors=self._e5_vectors(d) if self.e5 else None,
        )

    def _e5_vectors(self, d: _Draft) -> np.ndarray:
        from storyline.analyse.e5 import E5Encoder, lead_text, title_text

        if self._e5_encoder is None:
            self._e5_encoder = E5Encoder()
        return self._e5_encoder.encode([title_text(d.title, d.sentences), lead_text(d.title, d.sentences)])  # type: ignore[attr-defined, no-any-return]

    def preload(self, languages: Iterable[str] = SUPPORTED_LANGUAGES, *, vocabulary: bool = False) -> None:
        """Load now what profiling loads on the first article of each language.

        The encoder, each language's NER model (spaCy, natasha, jiagu), date and number
        rules, gazetteers and language identifiers otherwise load lazily. A process that
        forks profiling workers calls this once before the fork: the workers then share
        the models copy-on-write instead of each loading them (about 2.5 s of CPU per
        worker for es, uk and ja alone), and the encoder's rows of frequent tokens
        (:meth:`Encoder.preload`). ``vocabulary`` also makes the spaCy lexemes of
        every string the models know (1–2 s per model, ~30 MB), which spaCy otherwise
        makes on the first sight of each word. Profiles do not change.

        Only the models of ``languages`` load (and English's, which several languages
        borrow): a language met later loads on its first article, as without preload.
        The encoder loads in a second thread meanwhile (its loading and products release
        the GIL), so a second core shortens the wait.

        >>> profiler = Profiler(entity_models=False)
        >>> profiler.preload(["en", "de"])
        """
        languages = tuple(dict.fromkeys(languages))
        # the warm-up article: its English line, and the lines of the other scripts asked for (a script
        # not asked for — pypinyin for Han names — loads on the first article that has it, as without preload)
        lines = [line for langs, line in _WARM_UP_LINES if "en" in langs or set(langs) & set(languages)]
        warm = Article.from_text("", "".join(lines))
        # The encoder's part (language identification, USE's weights, its token rows) runs in a thread
        # while this one loads the entity models, gazetteers and rules: LZMA, zlib and NumPy's matrix
        # products release the GIL, so a second core does them. Each part touches only its own models,
        # and the encoder makes its rows in the same order as one thread would (warm-up text first).
        def encode() -> _Draft:
            draft = self._prepare(Article.from_text(_WARM_UP_TITLE, warm.text))
            self.encoder.preload()
            return draft

        # no garbage collection meanwhile: the models are ~200-400k objects that live on, and the collections
        # their loading sets off (4-5 full ones) walk them again and again: 0.4-0.8 s of CPU for little
        # garbage. A zero threshold, not gc.disable(): spaCy's loader (srsly) enables collection again.
        thresholds = gc.get_threshold()
        gc.set_threshold(0)
        try:
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="storyline-preload") as pool:
                encoded = pool.submit(encode)
                for language in languages:
                    seg = Segment(language, 0, len(warm.text), warm.text)
                    self._places(seg, self._entities(seg))
                    self._dates(seg, warm)
                    self._numbers(seg)
                draft = encoded.result()
            self._finish(draft, self._model_spans(draft.ner_segments))  # the NER of the warm-up article, batched
            if vocabulary and self.entities and self.entity_models:
                self._extractor().fill_vocabularies()
        finally:
            gc.set_threshold(*thresholds)

    def _extractor(self) -> EntityExtractor:
        from storyline.analyse.entities import EntityExtractor, default_extractor

        if self.entity_models:
            return default_extractor()
        if self._light_extractor is None:
            self._light_extractor = EntityExtractor(use_models=False)
        return self._light_extractor  # type: ignore[return-value]

    def _model_spans(self, segs: list[Segment]) -> list[list[tuple[int, int, str]] | None]:
        if not self.entities:
            return [None] * len(segs)
        return self._extractor().model_spans_many([(seg.text, seg.language) for seg in segs])

    def _entities(self, seg: Segment, spans: list[tuple[int, int, str]] | None = None) -> list[Mention]:
        if not self.entities:
            return []
        return [_shift(m, seg.start) for m in self._extractor().extract(seg.text, seg.language, spans=spans)]

    def _group(self, mentions: list[Mention]) -> tuple[tuple[int, ...], ...]:
        """Which mentions name the same entity (done once here, so comparisons don't redo it)."""
        if not mentions:
            return ()
        from storyline.analyse.entities import group_mentions

        index = {id(m): i for i, m in enumerate(mentions)}
        return tuple(tuple(index[id(m)] for m in group if id(m) in index) for group in group_mentions(mentions))

    def _places(self, seg: Segment, mentions: list[Mention]) -> list[Place]:
        if not self.places:
            return []
        local = [_shift(m, -seg.start) for m in mentions]
        # through the extractor: it reuses the gazetteer scan its extract() made of this segment
        return [_shift_place(p, seg.start) for p in self._extractor().find_places(seg.text, seg.language, local)]

    def _dates(self, seg: Segment, article: Article) -> list[DateMention]:
        if not self.dates or seg.start < 0:
            return []
        from storyline.analyse.dates import extract_dates

        return [
            DateMention(d.text, d.value, d.start + seg.start if d.start >= 0 else -1, d.precision)
            for d in extract_dates(seg.text, seg.language, article.published_at)
        ]

    def _numbers(self, seg: Segment) -> list[NumberMention]:
        if not self.numbers or seg.start < 0:
            return []
        from storyline.analyse.numbers import extract_numbers

        return [
            NumberMention(n.text, n.value, n.unit, n.start + seg.start if n.start >= 0 else -1)
            for n in extract_numbers(seg.text, seg.language)
        ]


@dataclass
class _Draft:
    """An article's analysis before its entities (:meth:`Profiler._prepare`)."""

    article: Article
    segments: tuple[Segment, ...]
    language: str
    sentences: tuple[str, ...]
    title: str
    vectors: np.ndarray
    lead_vector: np.ndarray
    title_seg: Segment | None

    @property
    def ner_segments(self) -> list[Segment]:
        """What the NER models read: the segments, then the title."""
        return [*self.segments, *([self.title_seg] if self.title_seg is not None else [])]


# Warm-up text for Profiler.preload (written for storyline): every script the analysers treat apart, each line
# with the languages whose articles have that script (the Han line for Japanese too: kanji names read as pinyin).
_WARM_UP_TITLE = "Talks resume in Doha"
_WARM_UP_LINES = (
    (("en",), "Gen. Mark Milley met the Taliban in Doha on Monday, 16 November 2020; 2,500 troops remain.\n"),
    (("zh", "ja"), "马克·米利将军周一在多哈会见了塔利班代表，约2500名士兵仍在当地。\n"),
    (("ru", "uk"), "Генерал Марк Милли встретился с представителями талибов в Дохе в понедельник.\n"),
    (("ar", "fa"), "التقى الجنرال مارك ميلي بممثلي طالبان في الدوحة يوم الاثنين.\n"),
    (("ja",), "ミリー将軍は月曜日にドーハでタリバンの代表と会談した。\n"),
)


def _shift(m: Mention, offset: int) -> Mention:
    return Mention(m.text, m.label, m.start + offset, m.end + offset, m.language, m.key)


def _shift_place(p: Place, offset: int) -> Place:
    return Place(p.text, p.place_id, p.name, p.country, p.kind, p.start + offset if p.start >= 0 else -1)


def _main_language(segments: tuple[Segment, ...]) -> str:
    sizes: dict[str, int] = {}
    for seg in segments:
        sizes[seg.language] = sizes.get(seg.language, 0) + seg.end - seg.start
    return max(sizes, key=lambda lang: sizes[lang])


def _pick(spans: list[tuple[int, int]], limit: int, tail: int) -> list[tuple[int, int]]:
    if len(spans) <= limit:
        return spans
    return spans[: limit - tail] + spans[-tail:]


def minhash_signature(text: str, *, k: int = 5, num_perm: int = MINHASH_PERMUTATIONS) -> tuple[int, ...]:
    """MinHash signature of the character ``k``-shingles of ``text`` (whitespace folded, lowercased).

    Shingles are hashed in NumPy (a polynomial hash of the code points, mixed by the
    splitmix64 finaliser, 32 bits kept), then permuted by ``(a·h + b) mod (2^61 − 1)``
    with fixed seeds: values below 2^32, stable across runs and machines.

    >>> a = minhash_signature("The quick brown fox jumps over the lazy dog near the river bank.")
    >>> b = minhash_signature("The quick brown fox jumps over the lazy dog near the river bank!")
    >>> c = minhash_signature("Stocks fell sharply in Tokyo as investors sold bank shares.")
    >>> jaccard_estimate(a, b) > 0.8 > jaccard_estimate(a, c)
    True
    >>> len(a), minhash_signature("abc")
    (64, ())
    """
    norm = " ".join(text.lower().split())
    if len(norm) < k:
        return ()
    codes = np.frombuffer(norm.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
    n = len(codes) - k + 1
    h = np.zeros(n, dtype=np.uint64)
    a, b = _permutations(num_perm)
    out = np.full(num_perm, _LOW32, dtype=np.uint64)
    with np.errstate(over="ignore"):  # uint64 arithmetic wraps by design
        for j in range(k):
            h = h * np.uint64(0x100000001B3) + codes[j : j + n]
        h ^= h >> np.uint64(30)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(27)
        h *= np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(31)
        h = np.unique(h >> np.uint64(32))
        for s in range(0, len(h), 4096):  # bounded memory for long texts
            part = h[s : s + 4096, None] * a
            part += b  # < 2^64: h and a are below 2^32
            # part mod (2^61 − 1) without a division (in place): fold the top bits down, subtract once
            top = part >> np.uint64(61)
            part &= _MERSENNE_61
            part += top
            np.subtract(part, _MERSENNE_61, out=part, where=part >= _MERSENNE_61)
            part &= _LOW32
            np.minimum(out, part.min(axis=0), out=out)
    return tuple(int(x) for x in out)


_LOW32 = np.uint64(0xFFFFFFFF)
_MERSENNE_61 = np.uint64((1 << 61) - 1)


@functools.lru_cache(maxsize=4)
def _permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(1)
    return (
        rng.randint(1, 1 << 32, size=num_perm, dtype=np.uint64),
        rng.randint(0, 1 << 32, size=num_perm, dtype=np.uint64),
    )


def jaccard_estimate(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Estimated Jaccard similarity of two MinHash signatures (0 when either is empty)."""
    if not a or not b or len(a) != len(b):
        return 0.0
    return float(np.mean(np.asarray(a) == np.asarray(b)))


def dumps_profiles(profiles: list[Profile]) -> bytes:
    """Serialise profiles to compact bytes (for caches and worker processes)."""
    return pickle.dumps(profiles, protocol=pickle.HIGHEST_PROTOCOL)


def loads_profiles(data: bytes) -> list[Profile]:
    profiles = pickle.loads(data)
    if not isinstance(profiles, list) or not all(isinstance(p, Profile) for p in profiles):
        raise ValueError("not a list of storyline profiles")
    return profiles
