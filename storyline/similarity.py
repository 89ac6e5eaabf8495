"""Language-independent features of an article pair, and the evidence behind them.

Pure functions over two :class:`~storyline.types.Profile` objects: no I/O, no
model loading. Every feature is symmetric (``f(a, b) == f(b, a)``) and in a
small numeric range, named ``*_score`` when it is a similarity in [0, 1].

Feature groups are plain functions registered in :data:`FEATURE_GROUPS`; the
learned combiner (:mod:`storyline.scorer`) records which groups it was trained
on, so a new pair model drops in as one more group.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from storyline.types import EntityMatch, Evidence, Profile

FeatureGroup = Callable[[Profile, Profile], dict[str, float]]

_SCRIPTS = {"zh": 0, "ja": 0, "ko": 0, "ar": 1, "fa": 1, "ru": 2, "uk": 2, "el": 3}


def _head(p: Profile, n: int = 3) -> np.ndarray:
    rows = p.sentence_vectors[:n]
    return _unit(rows.mean(axis=0)) if len(rows) else p.title_vector


def _tail(p: Profile, n: int = 3) -> np.ndarray:
    rows = p.sentence_vectors[-n:]
    return _unit(rows.mean(axis=0)) if len(rows) else p.title_vector


def _unit(v: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v


def similarity_matrix(a: Profile, b: Profile) -> np.ndarray:
    """Cosine of every sentence of ``a`` with every sentence of ``b`` (rows: a)."""
    if len(a.sentence_vectors) == 0 or len(b.sentence_vectors) == 0:
        return np.zeros((max(1, len(a.sentence_vectors)), max(1, len(b.sentence_vectors))), dtype=np.float32)
    return a.sentence_vectors @ b.sentence_vectors.T


def monotone_alignment(sim: np.ndarray, floor: float = 0.3) -> tuple[float, int]:
    """Best order-preserving one-to-one sentence alignment (dynamic programming, skips allowed).

    Returns the mean similarity of the aligned pairs over the *shorter* side and
    the number of pairs. Translations align in order; two reports of one event
    reuse facts in any order. Pairs below ``floor`` are never aligned.

    >>> monotone_alignment(np.array([[0.9, 0.1, 0.0], [0.1, 0.2, 0.8]]))
    (0.85, 2)
    """
    na, nb = sim.shape
    gain = np.where(sim >= floor, sim, 0.0)
    best = np.zeros((na + 1, nb + 1))
    count = np.zeros((na + 1, nb + 1), dtype=np.int64)
    for i in range(1, na + 1):
        for j in range(1, nb + 1):
            take = best[i - 1, j - 1] + gain[i - 1, j - 1]
            up, left = best[i - 1, j], best[i, j - 1]
            if take >= up and take >= left and gain[i - 1, j - 1] > 0:
                best[i, j], count[i, j] = take, count[i - 1, j - 1] + 1
            elif up >= left:
                best[i, j], count[i, j] = up, count[i - 1, j]
            else:
                best[i, j], count[i, j] = left, count[i, j - 1]
    return round(float(best[na, nb]) / max(1, min(na, nb)), 6), int(count[na, nb])


def embedding_features(a: Profile, b: Profile) -> dict[str, float]:
    """Cosines at several granularities and sentence-alignment statistics."""
    sim = similarity_matrix(a, b)
    row_best = sim.max(axis=1)
    col_best = sim.max(axis=0)
    align_a, align_b = float(row_best.mean()), float(col_best.mean())
    flat = np.sort(sim, axis=None)[::-1]
    top = flat[: max(1, min(5, flat.size))]
    # order-preserving alignment: sentence i of a against the sentence at the same relative position in b
    na, nb = sim.shape
    pos = [sim[i, min(nb - 1, round(i * nb / na))] for i in range(na)]
    monotone, aligned_pairs = monotone_alignment(sim[:40, :40], floor=0.5)
    title_head = (
        float(a.title_vector @ _head(b)),
        float(b.title_vector @ _head(a)),
    )
    return {
        "title_score": float(a.title_vector @ b.title_vector),
        "document_score": float(a.document_vector @ b.document_vector),
        "lead_passage_score": float(a.lead_vector @ b.lead_vector),
        "head_score": float(_head(a) @ _head(b)),
        "lead_score": float(_head(a, 1) @ _head(b, 1)),
        "tail_score": float(_tail(a) @ _tail(b)),
        "title_head_max_score": max(title_head),
        "title_head_min_score": min(title_head),
        "align_mean_score": (align_a + align_b) / 2,
        "align_min_score": min(align_a, align_b),
        "align_max_score": max(align_a, align_b),
        "best_pair_score": float(flat[0]),
        "top5_pair_score": float(top.mean()),
        "diagonal_score": float(np.mean(pos)),
        "monotone_score": monotone,
        "monotone_coverage": aligned_pairs / max(1, min(na, nb, 40)),
        "aligned70_fraction": float(((row_best > 0.7).mean() + (col_best > 0.7).mean()) / 2),
        "aligned50_fraction": float(((row_best > 0.5).mean() + (col_best > 0.5).mean()) / 2),
        "matrix_mean_score": float(sim.mean()),
    }


def surface_features(a: Profile, b: Profile) -> dict[str, float]:
    """Lengths, languages and character-level overlap."""
    la, lb = math.log1p(a.n_chars), math.log1p(b.n_chars)
    sa, sb = len(a.sentences), len(b.sentences)
    from storyline.analyse.profile import jaccard_estimate

    return {
        "log_chars_min": min(la, lb),
        "log_chars_max": max(la, lb),
        "sentences_min": float(min(sa, sb)),
        "sentence_ratio": min(sa, sb) / max(1, sa, sb),
        "same_language": float(a.language == b.language),
        "same_script": float(_SCRIPTS.get(a.language, 9) == _SCRIPTS.get(b.language, 9)),
        "minhash_score": jaccard_estimate(a.shingles, b.shingles),
        "mixed_language": float(len(a.languages) > 1 or len(b.languages) > 1),
    }


def entity_matches(a: Profile, b: Profile) -> list[EntityMatch]:
    """Entities of ``a`` aligned with those of ``b`` across scripts (see :mod:`storyline.analyse.entities`)."""
    if not a.entities and not b.entities:
        return []
    from storyline.analyse.entities import align_entities

    return list(align_entities(a.entities, b.entities, groups_a=_groups(a), groups_b=_groups(b)))


def _groups(p: Profile) -> list[tuple]:  # type: ignore[type-arg]
    return [tuple(p.entities[i] for i in group) for group in p.entity_groups] if p.entity_groups else []


def entity_features(a: Profile, b: Profile, matches: Sequence[EntityMatch] | None = None) -> dict[str, float]:
    """Overlap of named entities, overall and per type."""
    if matches is None:
        matches = entity_matches(a, b)
    both = [m for m in matches if m.a and m.b]
    only = [m for m in matches if not (m.a and m.b)]
    weight_both = sum(len(m.a) + len(m.b) for m in both)
    weight_all = weight_both + sum(len(m.a) + len(m.b) for m in only)
    feats = {
        "entity_jaccard_score": len(both) / max(1, len(matches)),
        "entity_weighted_score": weight_both / max(1, weight_all),
        "entity_shared_count": math.log1p(len(both)),
        "entity_total_count": math.log1p(len(matches)),
        "entity_match_quality": float(np.mean([m.match_score for m in both])) if both else 0.0,
        "entity_none": float(not matches),
    }
    for label in ("PER", "ORG", "LOC"):
        typed = [m for m in matches if m.label == label]
        shared = [m for m in typed if m.a and m.b]
        feats[f"entity_{label.lower()}_score"] = len(shared) / max(1, len(typed))
    return feats


def place_features(a: Profile, b: Profile) -> dict[str, float]:
    """Shared places and countries."""
    ids_a = {p.place_id for p in a.places}
    ids_b = {p.place_id for p in b.places}
    ca = {p.country for p in a.places if p.country}
    cb = {p.country for p in b.places if p.country}
    return {
        "place_score": len(ids_a & ids_b) / max(1, len(ids_a | ids_b)),
        "country_score": len(ca & cb) / max(1, len(ca | cb)),
        "place_shared_count": math.log1p(len(ids_a & ids_b)),
        "place_none": float(not ids_a or not ids_b),
        **place_specificity_features(a, b),
    }


_SPECIFICITY = {"city": 3.0, "region": 2.0, "country": 1.0}


def _country_profile(p: Profile) -> dict[str, float]:
    """Share of the place mentions of an article that fall in each country (cities count for their country)."""
    counts: dict[str, float] = {}
    for place in p.places:
        if place.country:
            counts[place.country] = counts.get(place.country, 0.0) + 1.0
    total = sum(counts.values()) or 1.0
    return {c: n / total for c, n in counts.items()}


def place_specificity_features(a: Profile, b: Profile) -> dict[str, float]:
    """Place overlap weighted by how specific a place is (a shared city says more than a shared
    country), and agreement of the two articles' country mention profiles.

    >>> from storyline.types import Place
    >>> def prof(*places):
    ...     return Profile("x", "", "en", (), (), np.zeros(2), np.zeros((0, 2)), np.zeros(2), places=places)
    >>> kabul = Place("Kabul", "geonames:1138958", "Kabul", "AF", "city")
    >>> af, us = Place("Afghanistan", "iso:AF", "Afghanistan", "AF", "country"), Place("US", "iso:US", "United States", "US", "country")
    >>> f = place_specificity_features(prof(kabul, af, us), prof(kabul, kabul, us))
    >>> round(f["place_specific_score"], 3), f["place_city_shared"], round(f["country_profile_score"], 3)
    (0.8, 1.0, 1.0)
    """
    wa = {p.place_id: _SPECIFICITY.get(p.kind, 1.0) for p in a.places}
    wb = {p.place_id: _SPECIFICITY.get(p.kind, 1.0) for p in b.places}
    shared = set(wa) & set(wb)
    union = set(wa) | set(wb)
    ka, kb = _country_profile(a), _country_profile(b)
    dot = sum(v * kb.get(c, 0.0) for c, v in ka.items())
    norm = math.sqrt(sum(v * v for v in ka.values()) * sum(v * v for v in kb.values()))
    top_a = max(ka, key=lambda c: ka[c]) if ka else None
    top_b = max(kb, key=lambda c: kb[c]) if kb else None
    return {
        "place_specific_score": sum(wa.get(i, wb.get(i, 1.0)) for i in shared) / max(1.0, sum(wa.get(i, wb.get(i, 1.0)) for i in union)),
        "place_city_shared": float(sum(1 for i in shared if wa[i] >= 3.0)),
        "country_profile_score": dot / norm if norm else 0.0,
        "main_country_same": float(top_a is not None and top_a == top_b),
        "places_count_min": math.log1p(min(len(a.places), len(b.places))),
    }


def event_date(p: Profile) -> date | None:
    """When the reported event happened: from the text when it says, else the publication date."""
    from storyline.analyse.dates import date_of_event

    return date_of_event(list(p.dates), p.published_at)


def date_features(a: Profile, b: Profile) -> dict[str, float]:
    """Gaps between the two articles' dates and overlap of the dates they mention."""
    da, db = event_date(a), event_date(b)
    gap = abs((da - db).days) if da and db else None
    pub_gap = abs((a.published_at - b.published_at).days) if a.published_at and b.published_at else None
    days_a = {d.value for d in a.dates if d.precision == "day"}
    days_b = {d.value for d in b.dates if d.precision == "day"}
    years_a = {d.value.year for d in a.dates}
    years_b = {d.value.year for d in b.dates}
    months_a = {(d.value.year, d.value.month) for d in a.dates if d.precision != "year"}
    months_b = {(d.value.year, d.value.month) for d in b.dates if d.precision != "year"}
    nearest = min((abs((x - y).days) for x in days_a for y in days_b), default=None)
    year_a = _main_year(a)
    year_b = _main_year(b)
    return {
        "date_gap_log": math.log1p(gap) if gap is not None else -1.0,
        "date_missing": float(gap is None),
        "published_gap_log": math.log1p(pub_gap) if pub_gap is not None else -1.0,
        "date_overlap_score": len(days_a & days_b) / max(1, len(days_a | days_b)),
        "year_overlap_score": len(years_a & years_b) / max(1, len(years_a | years_b)),
        "dates_count_min": math.log1p(min(len(a.dates), len(b.dates))),
        "month_overlap_score": len(months_a & months_b) / max(1, len(months_a | months_b)),
        "nearest_day_gap_log": math.log1p(nearest) if nearest is not None else -1.0,
        "main_year_gap": float(abs(year_a - year_b)) if year_a and year_b else -1.0,
        "published_missing": float(a.published_at is None) + float(b.published_at is None),
    }


def _main_year(p: Profile) -> int | None:
    """The year the article is set in: its publication year, else the most mentioned year."""
    if p.published_at is not None:
        return p.published_at.year
    years = [d.value.year for d in p.dates]
    return max(set(years), key=years.count) if years else None


def compare_numbers(a: Profile, b: Profile) -> dict[str, Any]:
    from storyline.analyse.numbers import compare_numbers as _compare

    return dict(_compare(list(a.numbers), list(b.numbers)))


def number_features(a: Profile, b: Profile, compared: Mapping[str, Any] | None = None) -> dict[str, float]:
    """Numbers that both articles give, and numbers they disagree on."""
    if compared is None:
        compared = compare_numbers(a, b)
    return {
        "number_score": float(compared.get("overlap_score", 0.0)),
        "number_shared_count": math.log1p(len(compared.get("shared", []))),
        "number_conflict_count": math.log1p(len(compared.get("conflicting", []))),
    }


_WORD = re.compile(r"[^\W\d_]{4,}")
_HAN = re.compile(r"[\u4e00-\u9fff\u3040-\u30ff]+")


def content_words(text: str) -> set[str]:
    """Lowercased words of four or more letters; for Chinese and Japanese, character bigrams.

    >>> sorted(content_words("Talks in Doha resumed: 多哈会谈"))
    ['doha', 'resumed', 'talks', '会谈', '哈会', '多哈']
    """
    words = {w.lower() for w in _WORD.findall(_HAN.sub(" ", text))}
    for run in _HAN.findall(text):
        words.update(run[i : i + 2] for i in range(len(run) - 1))
    return words


def lexical_features(a: Profile, b: Profile) -> dict[str, float]:
    """Word overlap: strong within one language (wire copy, shared quotes), zero across scripts."""
    wa = content_words(" ".join(a.sentences))
    wb = content_words(" ".join(b.sentences))
    ta, tb = content_words(a.title), content_words(b.title)
    shared = len(wa & wb)
    return {
        "word_jaccard_score": shared / max(1, len(wa | wb)),
        "word_containment_score": shared / max(1, min(len(wa), len(wb))),
        "title_word_score": len(ta & tb) / max(1, len(ta | tb)),
    }


_STEM_WORD = re.compile(r"[^\W\d_]{3,}")
_RAW_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def stem_keys(text: str, k: int = 5) -> set[str]:
    """Words of three or more letters, transliterated to ASCII, lowercased and cut to ``k`` letters:
    a stemmer for any language with inflection at the end (Polish, Russian, German, Arabic...).

    >>> sorted(stem_keys("Wybory prezydenckie: wyborów w Polsce, Выборы"))
    ['polsc', 'prezy', 'vybor', 'wybor']
    """
    from anyascii import anyascii

    return {w.lower()[:k] for w in _STEM_WORD.findall(anyascii(text))}


def name_keys(sentences: Sequence[str], k: int = 6) -> set[str]:
    """Keys of the words that look like names: capitalised and not the first word of a sentence
    (every word in scripts without case, e.g. Arabic), transliterated and cut to ``k`` letters.
    Needs no NER model, so it works where :mod:`storyline.analyse.entities` has only a fallback.

    >>> sorted(name_keys(["Der Kanzler traf Macron in Berlin.", "Вчера Путин говорил"]))
    ['berlin', 'kanzle', 'macron', 'putin']
    """
    from anyascii import anyascii

    out: set[str] = set()
    for sentence in sentences:
        for word in _STEM_WORD.findall(sentence)[1:]:
            if word[0].isupper() or not word[0].islower():
                out.add(anyascii(word).lower()[:k])
    return out


def token_features(a: Profile, b: Profile) -> dict[str, float]:
    """Language-independent token overlap: word stems, name-like words and the numbers as written.

    Strong within one language (and for names and figures across Latin and Cyrillic scripts), where
    the entity analysers have no model for the language."""
    ta, tb = a.title + "\n" + "\n".join(a.sentences), b.title + "\n" + "\n".join(b.sentences)
    sa, sb = stem_keys(ta), stem_keys(tb)
    ca, cb = name_keys((a.title, *a.sentences)), name_keys((b.title, *b.sentences))
    na = {n.replace(",", ".") for n in _RAW_NUMBER.findall(ta) if len(n) >= 2}
    nb = {n.replace(",", ".") for n in _RAW_NUMBER.findall(tb) if len(n) >= 2}
    ha, hb = stem_keys(a.title), stem_keys(b.title)

    def jaccard(x: set[str], y: set[str]) -> float:
        return len(x & y) / max(1, len(x | y))

    return {
        "stem_jaccard_score": jaccard(sa, sb),
        "stem_containment_score": len(sa & sb) / max(1, min(len(sa), len(sb))),
        "name_jaccard_score": jaccard(ca, cb),
        "name_containment_score": len(ca & cb) / max(1, min(len(ca), len(cb))),
        "name_shared_count": math.log1p(len(ca & cb)),
        "raw_number_score": jaccard(na, nb),
        "raw_number_shared_count": math.log1p(len(na & nb)),
        "title_stem_score": jaccard(ha, hb),
    }


_PANDEMIC = re.compile(  # on lower-cased text; the lookahead on first letters makes the scan ~5x faster
    r"(?=[cklpqsк新冠كال封])(?:covid|coronavirus|corona\b|koronawirus|koronavirüs|коронавирус|карантин|sars-cov|新冠|冠状病毒|"
    r"كورونا|كوفيد|pandemi|pandémie|lockdown|confinement|cuarentena|quarantena|kwarantann|karantina|الحجر الصحي|封城)"
    r"|(?=п)пандеми"
)
"""Cues of the COVID-19 pandemic in the training languages: an era marker (an article that names it was written
from 2020 on), the one such cue that is common in the news."""


def era_cues(p: Profile) -> tuple[int, float]:
    """How often the article names the pandemic, and that count per sentence (capped at 1).

    >>> def prof(*sentences):
    ...     return Profile("x", "", "en", (), sentences, np.zeros(2), np.zeros((0, 2)), np.zeros(2))
    >>> era_cues(prof("Schools closed in the lockdown.", "The COVID-19 figures rose.", "Rain is due."))
    (2, 0.6667)
    """
    count = len(_PANDEMIC.findall("\n".join((p.title, *p.sentences)).lower()))
    return count, round(min(1.0, count / max(1, len(p.sentences))), 4)


def era_features(a: Profile, b: Profile) -> dict[str, float]:
    """When the two articles were written, read from cues in the text (no publication date needed):
    both name the pandemic, only one does (written in different eras, or about different things), the
    difference of how much they dwell on it; and the weekdays they name (the same days: the same week).

    >>> def prof(*sentences):
    ...     return Profile("x", "", "en", (), sentences, np.zeros(2), np.zeros((0, 2)), np.zeros(2))
    >>> f = era_features(prof("Coronavirus cases rose.", "Shops shut."), prof("The election was held.", "Turnout fell."))
    >>> f["era_pandemic_both"], f["era_pandemic_one"], f["era_pandemic_gap"]
    (0.0, 1.0, 0.5)
    """
    from storyline.analyse.dates import weekdays_named

    (na, sa), (nb, sb) = era_cues(a), era_cues(b)
    wa = weekdays_named("\n".join((a.title, *a.sentences)))
    wb = weekdays_named("\n".join((b.title, *b.sentences)))
    top_a = max(wa, key=lambda d: wa[d]) if wa else None
    top_b = max(wb, key=lambda d: wb[d]) if wb else None
    return {
        "era_pandemic_both": float(na > 0 and nb > 0),
        "era_pandemic_one": float((na > 0) != (nb > 0)),
        "era_pandemic_gap": abs(sa - sb),
        "weekday_jaccard_score": len(set(wa) & set(wb)) / max(1, len(set(wa) | set(wb))),
        "weekday_both": float(bool(wa) and bool(wb)),
        "weekday_main_same": float(top_a is not None and top_a == top_b),
        "weekday_one": float(bool(wa) != bool(wb)),
    }


LANGUAGES: tuple[str, ...] = ("ar", "de", "en", "es", "fr", "it", "pl", "ru", "tr", "zh")
"""Languages with their own indicator feature (those of the SemEval-2022 Task 8 training data)."""


def language_features(a: Profile, b: Profile) -> dict[str, float]:
    """How many of the two articles are written in each language of :data:`LANGUAGES` (0, 1 or 2).

    Lets the combiner calibrate per language: how far a cosine or a shared name can be trusted
    differs by language (no NER model for Polish, MT noise), and so do the annotators' habits.

    >>> def prof(lang):
    ...     return Profile("x", "", lang, (), (), np.zeros(2), np.zeros((0, 2)), np.zeros(2))
    >>> f = language_features(prof("pl"), prof("en"))
    >>> f["language_pl"], f["language_en"], f["language_de"]
    (1.0, 1.0, 0.0)
    """
    return {f"language_{code}": float(a.language == code) + float(b.language == code) for code in LANGUAGES}


DEEP_FEATURES = ("e5_title_score", "e5_lead_score", "e5_cross_score", "e5_title_centred", "e5_lead_centred")
"""What :func:`e5_features` gives: the features only a deep profile (``Profiler(e5=True)``) feeds."""


def e5_features(a: Profile, b: Profile) -> dict[str, float]:
    """The two articles as a second encoder reads them (multilingual-e5-small, deep profiles only):
    cosines of titles, leads and title against lead, and of titles and leads after subtracting each
    one's language centroid, since e5's raw cosines are bunched high and shifted by language
    (:func:`storyline.analyse.e5.e5_features`, measured in docs/e5.md). NaN when either profile has
    no e5 vectors; the scorer then uses its model trained without this group.

    >>> import math
    >>> def prof(lang, rows):
    ...     return Profile("x", "", lang, (), (), np.zeros(2), np.zeros((0, 2)), np.zeros(2), e5_vectors=rows)
    >>> rows = np.eye(2, 384, dtype=np.float32)
    >>> f = e5_features(prof("en", rows), prof("en", rows))
    >>> round(f["e5_title_score"], 3), round(f["e5_cross_score"], 3), round(f["e5_lead_centred"], 3)
    (1.0, 0.0, 1.0)
    >>> math.isnan(e5_features(prof("en", rows), prof("de", None))["e5_lead_score"])
    True
    """
    from storyline.analyse.e5 import e5_features as cosines
    from storyline.analyse.e5 import load_centroids, vectors_of

    va, vb = vectors_of(a), vectors_of(b)
    if va is None or vb is None:
        return dict.fromkeys(DEEP_FEATURES, math.nan)
    return cosines(va, vb, load_centroids())


FEATURE_GROUPS: dict[str, FeatureGroup] = {
    "embedding": embedding_features,
    "surface": surface_features,
    "lexical": lexical_features,
    "entities": entity_features,
    "places": place_features,
    "dates": date_features,
    "numbers": number_features,
    "tokens": token_features,
    "languages": language_features,
    "era": era_features,
    "e5": e5_features,
}
"""Built-in feature groups, in order. Pair models register more (see :mod:`storyline.scorer`)."""


def pair_features(a: Profile, b: Profile, groups: Sequence[str] = tuple(FEATURE_GROUPS)) -> dict[str, float]:
    """All features of the named groups, as one flat dict."""
    out: dict[str, float] = {}
    for name in groups:
        out.update(FEATURE_GROUPS[name](a, b))
    return out


def build_evidence(a: Profile, b: Profile, *, matches: Sequence[EntityMatch], numbers: Mapping[str, Any]) -> Evidence:
    """What a person needs to check a score: shared entities, places, dates, numbers, sentences."""
    both = [m for m in matches if m.a and m.b]
    both.sort(key=lambda m: -(len(m.a) + len(m.b)))
    places = []
    ids_b = {p.place_id: p for p in b.places}
    seen: set[str] = set()
    for p in a.places:
        if p.place_id in ids_b and p.place_id not in seen:
            seen.add(p.place_id)
            places.append(
                {
                    "place_id": p.place_id,
                    "name": p.name,
                    "country": p.country,
                    "kind": p.kind,
                    "a": sorted({q.text for q in a.places if q.place_id == p.place_id}),
                    "b": sorted({q.text for q in b.places if q.place_id == p.place_id}),
                }
            )
    da, db = event_date(a), event_date(b)
    dates = {
        "a": da.isoformat() if da else None,
        "b": db.isoformat() if db else None,
        "gap_days": abs((da - db).days) if da and db else None,
    }
    sim = similarity_matrix(a, b)
    pairs = []
    if a.sentences and b.sentences:
        order = np.argsort(sim, axis=None)[::-1]
        used_a: set[int] = set()
        used_b: set[int] = set()
        for flat in order[:50]:
            i, j = divmod(int(flat), sim.shape[1])
            if i in used_a or j in used_b:
                continue
            used_a.add(i)
            used_b.add(j)
            pairs.append({"a": a.sentences[i], "b": b.sentences[j], "score": round(float(sim[i, j]), 3)})
            if len(pairs) == 3:
                break
    return Evidence(
        entities=tuple(both),
        places=tuple(places),
        dates=dates,
        numbers={"shared": list(numbers.get("shared", [])), "conflicting": list(numbers.get("conflicting", []))},
        sentence_pairs=tuple(pairs),
    )
