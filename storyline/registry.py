"""The entity registry: one canonical entity per person, organisation or place, across articles and scripts.

Built incrementally from profiles, river style: :meth:`EntityRegistry.learn_one`
links every entity group of a profile (the name variants
:func:`~storyline.analyse.entities.group_mentions` put together) to a canonical
entity or opens a new one; :meth:`EntityRegistry.predict_one` says what it
would do and changes nothing. Each entity keeps its type, its name variants
per language and script, the articles that mention it, and one
:class:`LinkRecord` per mention with the *rule* that linked it.

Linking rules, in order (the rule names are what :attr:`LinkRecord.rule` holds):

1. ``manual`` — a surface form pinned to an entity by :meth:`~EntityRegistry.split`
   or :meth:`~EntityRegistry.merge` always goes there.
2. ``gazetteer id`` — known organisations (bundled table) and places
   (countries, capitals, large cities; :func:`~storyline.analyse.places.lookup_place`)
   resolve to their ids (``org:Taliban``, ``iso:QA``, ``geonames:290030``); the
   entity id *is* that id, so 卡塔尔, Qatar and Катара meet without comparing names.
3. Names (:func:`~storyline.analyse.names.name_similarity` ≥ ``threshold``):
   ``same name``, ``same key``, ``transliteration``, ``token subset``,
   ``edit distance N`` … When both sides give a full name, only full names are
   compared (given names must agree: Scott Miller ≠ Mark Milley).
4. Surname only (the group never gives a full name, e.g. "General Miller"):
   the surname is compared with each candidate's *dominant* surname (the key
   most of its mentions use), so a minority MT spelling (马克·米勒 once for
   Milley) does not capture every Miller. When several candidates pass, the one
   sharing more context wins: co-occurring entities in the same article
   (Jaccard of entity ids) and title words ("General", 将军, генерал count as one
   class). The rule is then ``surname + context`` and the evidence lists the
   shared entities and titles. A surname-only group with no passing candidate
   opens a new entity.
5. Otherwise ``new entity``. Other mentions of the same group follow their
   group with rule ``same document group``.

Manual decisions are commands that are recorded and reversible
(:meth:`~EntityRegistry.merge`, :meth:`~EntityRegistry.split`,
:meth:`~EntityRegistry.undo`). They become constraints: merged or split-off
surface forms are pinned (must-link) and split entities get a cannot-link
pair; automatic linking only ever *adds* mentions to entities and never merges
or splits entities, so it cannot undo a manual decision.

>>> from storyline.types import Mention
>>> reg = EntityRegistry()
>>> m = lambda t, l, lang, i=0: Mention(t, l, i, i + len(t), lang, "")
>>> reg.learn_mentions([m("Mark Milley", "PER", "en"), m("Milley", "PER", "en", 20), m("Doha", "LOC", "en", 40)], article_id="a1")
['ent:1', 'ent:1', 'geonames:290030']
>>> reg.learn_mentions([m("马克·米利", "PER", "zh"), m("米莉", "PER", "zh", 9), m("多哈", "LOC", "zh", 20)], article_id="a2")
['ent:1', 'ent:1', 'geonames:290030']
>>> e = reg.entity("米利"); e.name, e.label, sorted(e.articles), e.languages()
('Mark Milley', 'PER', ['a1', 'a2'], ['en', 'zh'])
>>> [r.rule for r in e.links]
['new entity', 'same document group', 'transliteration', 'same document group']
>>> EntityRegistry.from_json(reg.to_json()).entity("Milley").entity_id
'ent:1'
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Protocol, Sequence

from storyline.analyse.entities import ALIGN_THRESHOLD, group_mentions
from storyline.analyse.names import name_key, name_similarity, script_of, strip_titles
from storyline.types import Mention, Profile

__all__ = [
    "EntityRegistry",
    "Entity",
    "LinkRecord",
    "Decision",
    "NameLink",
    "link_names",
    "resolve_known",
    "RegistryStore",
    "MemoryStore",
    "JsonFileStore",
    "RegistryError",
]

FORMAT_VERSION = 1


class RegistryError(ValueError):
    """A registry command that cannot be carried out (unknown entity, empty split …)."""


# ---------------------------------------------------------------------------
# Known entities: organisations and places from the bundled gazetteers

_ARTICLE_RE = re.compile(r"^(?:the|The|THE|le|la|les|l'|L'|el|der|die|das)\s+")


@functools.lru_cache(maxsize=65536)
def resolve_known(surface: str, language: str = "", label: str = "") -> str | None:
    """The gazetteer id of a known organisation or place, or None.

    Organisations (any label but LOC) come from ``analyse/data/organisations.json``
    and get ``org:<English name>``; places (labels LOC, MISC or none) get
    :func:`~storyline.analyse.places.lookup_place` ids (``iso:QA``,
    ``geonames:290030``). People (PER) are never resolved.

    >>> resolve_known("卡塔尔", "zh"), resolve_known("Доху", "ru", "LOC"), resolve_known("طالبان", "ar", "ORG")
    ('iso:QA', 'geonames:290030', 'org:Taliban')
    >>> resolve_known("Milley", "en", "PER") is None
    True
    """
    if label == "PER":
        return None
    from storyline.analyse.entities import _organisations

    text = _ARTICLE_RE.sub("", surface.strip())
    if label != "LOC":
        latin, cjk, _ = _organisations()
        org = cjk.get(text) or latin.get(" ".join(text.split()).casefold())
        if org is not None and (not org.exact_case or text.replace(".", "").isupper()):
            return f"org:{org.name}"
    if label in ("LOC", "MISC", "GPE", ""):
        from storyline.analyse.places import lookup_place

        place = lookup_place(text, language)
        if place is not None:
            return place.place_id
    return None


@dataclass(frozen=True, slots=True)
class NameLink:
    """The decision for two names: ``same`` when ``score`` reaches the threshold."""

    same: bool
    score: float
    rule: str


_COMPATIBLE = {frozenset(("ORG", "MISC")), frozenset(("LOC", "MISC")), frozenset(("PER", "MISC"))}


def _compatible(a: str, b: str) -> bool:
    return not a or not b or a == b or frozenset((a, b)) in _COMPATIBLE


def link_names(a: str, la: str, b: str, lb: str, label_a: str = "", label_b: str = "",
               *, threshold: float = ALIGN_THRESHOLD) -> NameLink:
    """Whether two names denote the same entity, the way the registry decides it.

    Known organisations and places are compared by gazetteer id (South Sudan
    ≠ Sudan, 卡塔尔 = Qatar); names of incompatible types never match;
    everything else goes through :func:`~storyline.analyse.names.name_similarity`.

    >>> link_names("Sudan", "en", "South Sudan", "en", "LOC", "LOC")
    NameLink(same=False, score=0.0, rule='gazetteer id')
    >>> link_names("北约", "zh", "NATO", "en", "ORG", "ORG")
    NameLink(same=True, score=1.0, rule='gazetteer id')
    >>> link_names("Gen. Miller", "en", "Milley", "en", "PER", "PER")
    NameLink(same=False, score=0.75, rule='consonants differ')
    """
    if not _compatible(label_a, label_b):
        return NameLink(False, 0.0, "types differ")
    ida, idb = resolve_known(a, la, label_a), resolve_known(b, lb, label_b)
    if ida and idb:
        return NameLink(ida == idb, 1.0 if ida == idb else 0.0, "gazetteer id")
    score, rule = name_similarity(a, la, b, lb)
    return NameLink(score >= threshold, score, rule)


# ---------------------------------------------------------------------------
# Records

# Title words that say the same thing in several languages (compared as classes).
_TITLE_CLASSES = {
    "military": ("general", "gen", "gen.", "generals", "général", "generale", "generał", "gral", "gral.", "orgeneral",
                 "将军", "將軍", "上将", "上將", "генерал", "الجنرال", "جنرال", "ژنرال", "στρατηγός", "admiral", "adm",
                 "adm.", "colonel", "col", "col.", "commander", "司令", "командующий", "generalstabschef",
                 "us-generalstabschef"),
    "head": ("president", "pres", "pres.", "président", "présidente", "presidente", "präsident", "prezydent",
             "总统", "總統", "президент", "الرئيس", "رئيس", "πρόεδρος", "cumhurbaşkanı", "主席"),
    "envoy": ("envoy", "special", "sondergesandte", "sondergesandten", "sondergesandter", "émissaire", "envoyé",
              "enviado", "特使", "特别代表", "спецпредставитель", "спецпосланник", "المبعوث", "مبعوث"),
    "doctor": ("dr", "dr.", "doctor", "博士", "доктор", "الدكتور", "دکتر"),
    "minister": ("minister", "secretary", "ministre", "ministro", "ministra", "министр", "госсекретарь", "国务卿",
                 "部长", "外长", "الوزير", "وزير", "υπουργός"),
    "cleric": ("mullah", "mulla", "mollah", "mawlawi", "mowlavi", "maulvi", "mawlavi", "sheikh", "shaykh", "sheik",
               "cheikh", "мулла", "шейх", "الملا", "ملا", "الشيخ", "شيخ", "毛拉", "谢赫"),
}
_TITLE_CLASS = {w: c for c, words in _TITLE_CLASSES.items() for w in words}


def title_classes(surface: str, language: str = "") -> set[str]:
    """Title classes of a mention: "General Miller" and 米勒将军 both give ``{"military"}``.

    >>> title_classes("Gen. Scott Miller", "en"), title_classes("米勒将军", "zh"), title_classes("Miller")
    ({'military'}, {'military'}, set())
    """
    _, titles = strip_titles(surface, language)
    return {_TITLE_CLASS[t.casefold()] for t in titles if t.casefold() in _TITLE_CLASS}


@dataclass(slots=True)
class LinkRecord:
    """One mention linked to an entity, and why."""

    link_id: int
    entity_id: str
    article_id: str
    surface: str
    language: str
    label: str
    key: str
    rule: str  # "gazetteer id", "transliteration", "token subset", "surname + context", "manual", ...
    score: float = 1.0
    matched: str = ""  # the variant it matched ("" for a new entity)
    evidence: dict[str, Any] = field(default_factory=dict)  # shared context, titles, decision id ...


@dataclass(slots=True)
class Entity:
    """A canonical entity: derived from its :class:`LinkRecord`s."""

    entity_id: str
    label: str
    known_id: str | None = None  # the gazetteer id when the entity is a known place or organisation
    links: list[LinkRecord] = field(default_factory=list)
    context: Counter[str] = field(default_factory=Counter)  # co-occurring entity id -> articles
    titles: Counter[str] = field(default_factory=Counter)  # title class -> mentions

    @property
    def articles(self) -> list[str]:
        """Articles mentioning the entity, in the order they were learned."""
        return list(dict.fromkeys(r.article_id for r in self.links))

    @property
    def name(self) -> str:
        """Display name: the longest frequent Latin-script form without titles."""
        forms = Counter(strip_titles(r.surface, r.language)[0] for r in self.links)
        if not forms:
            return self.entity_id
        latin = [f for f in forms if script_of(f) == "latin"] or list(forms)
        return max(latin, key=lambda f: (len(f.split()) if self.label == "PER" else 0, forms[f], len(f)))

    def variants(self) -> dict[str, dict[str, list[str]]]:
        """Surface forms per language and script: ``{"zh": {"han": ["马克·米利", "米莉"]}}``."""
        out: dict[str, dict[str, list[str]]] = {}
        for r in self.links:
            forms = out.setdefault(r.language, {}).setdefault(script_of(r.surface), [])
            if r.surface not in forms:
                forms.append(r.surface)
        return out

    def languages(self) -> list[str]:
        return sorted({r.language for r in self.links})

    def surname_keys(self) -> Counter[str]:
        """Last-token keys of the mentions (for people), most used first."""
        return Counter(r.key.split()[-1] for r in self.links if r.key)

    def full_links(self) -> list[LinkRecord]:
        seen: dict[str, LinkRecord] = {}
        for r in self.links:
            if r.key and len(r.key.split()) >= 2:
                seen.setdefault(r.key, r)
        return list(seen.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "entity_id": self.entity_id,
            "name": self.name,
            "label": self.label,
            "known_id": self.known_id,
            "variants": self.variants(),
            "articles": self.articles,
            "titles": dict(self.titles),
            "context": dict(self.context),
            "links": [asdict(r) for r in self.links],
        }


@dataclass(slots=True)
class Decision:
    """A manual command, kept so it can be undone and so automatic linking respects it."""

    decision_id: int
    kind: str  # "merge" | "split" | "undo"
    entity_ids: list[str]  # merge: [kept, absorbed]; split: [source, new]
    link_ids: list[int]  # the links that moved
    surfaces: list[str]  # the pinned surface forms
    note: str = ""
    undone: bool = False


# ---------------------------------------------------------------------------
# Storage (the SQLite store comes later; keep it behind this)

class RegistryStore(Protocol):
    def save(self, data: dict[str, Any]) -> None: ...

    def load(self) -> dict[str, Any] | None: ...


class MemoryStore:
    """Keeps the last saved state in memory (tests, short sessions).

    >>> s = MemoryStore(); s.save({"x": 1}); s.load()
    {'x': 1}
    """

    def __init__(self) -> None:
        self._data: dict[str, Any] | None = None

    def save(self, data: dict[str, Any]) -> None:
        self._data = copy.deepcopy(data)

    def load(self) -> dict[str, Any] | None:
        return copy.deepcopy(self._data)


class JsonFileStore:
    """One JSON file, written atomically (write to a temporary file, then rename)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def save(self, data: dict[str, Any]) -> None:
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        tmp.replace(self.path)

    def load(self) -> dict[str, Any] | None:
        if not self.path.exists():
            return None
        return json.loads(self.path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------
# The registry

_FIRST_SOUND = str.maketrans("kgqhcjzxsfpbvwdtlrnmyaeiou", "KKKKKJJJSFPPVVTTLRNMYAAAAA")


def _blocks(key: str) -> set[str]:
    return {t[:1].translate(_FIRST_SOUND) for t in key.split() if t} or {"_"}


@dataclass
class _Group:
    mentions: list[Mention]
    label: str
    known_id: str | None
    titles: set[str]

    @property
    def full(self) -> list[Mention]:
        return [m for m in self.mentions if len(m.key.split()) >= 2 and m.label in ("PER", "MISC")]

    def surname(self) -> Mention:
        keys = Counter(m.key.split()[-1] for m in self.mentions if m.key)
        top = keys.most_common(1)[0][0]
        return next(m for m in self.mentions if m.key and m.key.split()[-1] == top)


def _surname_text(m: Mention) -> str:
    bare = strip_titles(m.text, m.language)[0]
    parts = [p for p in re.split(r"[\s·•‧・]+", bare) if p]
    return parts[-1] if parts else bare


class EntityRegistry:
    """Canonical entities learned from profiles, with the evidence for every link.

    Parameters
    ----------
    threshold:
        Name similarity needed to link a mention to an existing entity.
    surname_threshold:
        Similarity a surname-only group needs with a candidate's dominant surname.
    context_weight:
        How much shared context (co-occurring entities, title classes) adds when
        choosing between several surname-only candidates.
    store:
        Where :meth:`save` writes (a :class:`RegistryStore`); None keeps nothing.
    """

    def __init__(self, threshold: float = ALIGN_THRESHOLD, surname_threshold: float = 0.85,
                 context_weight: float = 0.2, store: RegistryStore | None = None) -> None:
        self.threshold = threshold
        self.surname_threshold = surname_threshold
        self.context_weight = context_weight
        self.store = store

    # -- learned state (created on first use)
    def _init_state(self) -> None:
        if hasattr(self, "entities_"):
            return
        self.entities_: dict[str, Entity] = {}
        self.decisions_: list[Decision] = []
        self.pinned_: dict[tuple[str, str], str] = {}  # (surface, language) -> entity id (must-link)
        self.cannot_link_: set[frozenset[str]] = set()
        self.n_links_ = 0
        self.n_entities_ = 0
        self._index: dict[str, set[str]] = {}  # block -> entity ids

    def __repr__(self) -> str:
        return (f"EntityRegistry(threshold={self.threshold!r}, surname_threshold={self.surname_threshold!r}, "
                f"context_weight={self.context_weight!r})")

    # -- public reading API
    def __len__(self) -> int:
        return len(getattr(self, "entities_", {}))

    def __iter__(self) -> Iterable[Entity]:
        return iter(list(getattr(self, "entities_", {}).values()))

    def get(self, entity_id: str) -> Entity:
        self._init_state()
        try:
            return self.entities_[entity_id]
        except KeyError:
            raise RegistryError(f"no entity {entity_id!r} in the registry") from None

    def entity(self, name: str, language: str = "") -> Entity | None:
        """The entity an id or surface form refers to (exact variant first, then the best name match)."""
        self._init_state()
        if name in self.entities_:
            return self.entities_[name]
        for e in self.entities_.values():
            if any(r.surface == name for r in e.links):
                return e
        lang = language or ("zh" if script_of(name) == "han" else "")
        best: tuple[float, Entity | None] = (0.0, None)
        for e in self.entities_.values():
            for r in e.links:
                score, _ = name_similarity(name, lang, r.surface, r.language)
                if score > best[0]:
                    best = (score, e)
        return best[1] if best[0] >= self.threshold else None

    def entities(self, *, label: str | None = None) -> list[Entity]:
        """Entities, most mentioned first."""
        self._init_state()
        es = [e for e in self.entities_.values() if label is None or e.label == label]
        return sorted(es, key=lambda e: (-len(e.articles), -len(e.links), e.entity_id))

    # -- learning
    def learn_one(self, profile: Profile, article_id: str | None = None) -> list[str]:
        """Link every entity group of ``profile``; returns one entity id per mention (in ``profile.entities`` order)."""
        groups = [tuple(profile.entities[i] for i in g) for g in profile.entity_groups] if profile.entity_groups else None
        return self.learn_mentions(profile.entities, article_id=article_id or profile.article_id, groups=groups)

    def predict_one(self, profile: Profile) -> list[str | None]:
        """The entity id each mention would link to (None: a new entity). Changes nothing."""
        clone = EntityRegistry.from_json(self.to_json()) if hasattr(self, "entities_") else EntityRegistry(
            self.threshold, self.surname_threshold, self.context_weight)
        existing = set(getattr(self, "entities_", {}))
        ids = clone.learn_one(profile)
        return [i if i in existing else None for i in ids]

    def learn_mentions(self, mentions: Sequence[Mention], *, article_id: str,
                       groups: Sequence[tuple[Mention, ...]] | None = None) -> list[str]:
        """Link mentions of one article (grouped with :func:`group_mentions` unless ``groups`` is given)."""
        self._init_state()
        mentions = [m if m.key else Mention(m.text, m.label, m.start, m.end, m.language, name_key(m.text, m.language))
                    for m in mentions]
        if groups is None:
            groups = group_mentions(mentions)
        else:
            groups = [tuple(m if m.key else Mention(m.text, m.label, m.start, m.end, m.language,
                                                     name_key(m.text, m.language)) for m in g) for g in groups]
        prepared = [self._prepare(g) for g in groups if any(m.key for m in g)]
        # known ids and full names first: they give surname-only groups their context
        order = sorted(range(len(prepared)), key=lambda i: (prepared[i].known_id is None, not prepared[i].full))
        linked: dict[int, str] = {}
        for i in order:
            others = {v for j, v in linked.items() if j != i}
            linked[i] = self._link_group(prepared[i], article_id, others)
        ids = set(linked.values())
        for eid in ids:
            self.entities_[eid].context.update(ids - {eid})
        by_mention: dict[tuple[int, int, str], str] = {}
        for i, g in enumerate(prepared):
            for m in g.mentions:
                by_mention[(m.start, m.end, m.text)] = linked[i]
        return [by_mention.get((m.start, m.end, m.text), "") for m in mentions]

    def _prepare(self, group: tuple[Mention, ...]) -> _Group:
        ms = [m for m in group if m.key]
        labels = Counter(m.label for m in ms)
        label = max(labels, key=lambda lab: (labels[lab], lab != "MISC"))
        known = None
        for m in ms:
            known = resolve_known(m.text, m.language, m.label)
            if known:
                break
        titles: set[str] = set()
        for m in ms:
            titles |= title_classes(m.text, m.language)
        return _Group(ms, label, known, titles)

    def _candidates(self, group: _Group) -> set[str]:
        out: set[str] = set()
        for m in group.mentions:
            for b in _blocks(m.key):
                out |= self._index.get(b, set())
        return out

    def _link_group(self, group: _Group, article_id: str, others: set[str]) -> str:
        # 1. manual pins
        for m in group.mentions:
            eid = self.pinned_.get((m.text, m.language))
            if eid in self.entities_:
                return self._attach(eid, group, article_id, m, "manual", 1.0, "", {})
        # 2. gazetteer ids
        if group.known_id:
            eid = group.known_id
            if eid not in self.entities_:
                self._new_entity(eid, group.label, known_id=eid)
                return self._attach(eid, group, article_id, group.mentions[0], "new entity", 1.0, "", {"known_id": eid})
            return self._attach(eid, group, article_id, group.mentions[0], "gazetteer id", 1.0, eid, {})
        # 3./4. names
        best = self._best_by_name(group, others)
        if best is not None:
            eid, score, rule, mention, matched, evidence = best
            return self._attach(eid, group, article_id, mention, rule, score, matched, evidence)
        eid = self._new_id()
        self._new_entity(eid, group.label)
        return self._attach(eid, group, article_id, group.mentions[0], "new entity", 1.0, "", {})

    def _best_by_name(self, group: _Group, others: set[str]) -> tuple[str, float, str, Mention, str, dict[str, Any]] | None:
        scored: list[tuple[float, str, str, Mention, str, dict[str, Any]]] = []
        surname_only = group.label in ("PER", "MISC") and not group.full
        for eid in sorted(self._candidates(group)):
            e = self.entities_[eid]
            if e.known_id:
                continue
            if not _compatible(group.label, e.label):
                # NER label noise ("Milley" tagged LOC once): only an exact key match links across labels
                keys = {r.key for r in e.links}
                hit = next((m for m in group.mentions if m.key in keys and len(m.key) >= 4), None)
                if hit is not None:
                    r = next(x for x in e.links if x.key == hit.key)
                    scored.append((0.9, eid, "same key (label differs)", hit, r.surface, {"labels": [group.label, e.label]}))
                continue
            if any(frozenset((eid, o)) in self.cannot_link_ for o in others):
                continue
            if e.label == "PER" and group.label in ("PER", "MISC"):
                full_e = e.full_links()
                if group.full and full_e:
                    best = max(((name_similarity(strip_titles(m.text, m.language)[0], m.language,
                                                 strip_titles(r.surface, r.language)[0], r.language), m, r)
                                for m in group.full[:6] for r in full_e[:8]), key=lambda t: t[0][0])
                    (score, rule), m, r = best
                    if score >= self.threshold:
                        scored.append((score, eid, rule, m, r.surface, {}))
                    continue
                # one side gives only a surname: compare with the dominant surname
                top_key = e.surname_keys().most_common(1)[0][0]
                r = next(x for x in e.links if x.key and x.key.split()[-1] == top_key)
                m = group.surname()
                score, rule = name_similarity(_surname_text(m), m.language, _surname_text_r(r), r.language)
                if score < self.surname_threshold:
                    continue
                evidence: dict[str, Any] = {}
                shared = sorted(others & set(e.context))
                titles = sorted(group.titles & set(e.titles))
                bonus = 0.0
                if surname_only:
                    jacc = len(shared) / max(1, len(others | set(e.context)))
                    bonus = self.context_weight * (jacc + 0.5 * bool(titles))
                    evidence = {"shared_entities": shared, "shared_titles": titles, "context_score": round(jacc, 3)}
                    rule = "surname + context" if (shared or titles) else "surname: " + rule
                scored.append((score + bonus, eid, rule, m, r.surface, evidence))
                continue
            best_pair = (0.0, "", group.mentions[0], "")
            for m in group.mentions[:6]:
                for r in _distinct_links(e)[:8]:
                    score, rule = name_similarity(strip_titles(m.text, m.language)[0], m.language,
                                                  strip_titles(r.surface, r.language)[0], r.language)
                    if score > best_pair[0]:
                        best_pair = (score, rule, m, r.surface)
            if best_pair[0] >= self.threshold:
                scored.append((best_pair[0], eid, best_pair[1], best_pair[2], best_pair[3], {}))
        if not scored:
            return None
        scored.sort(key=lambda t: (-t[0], t[1]))
        score, eid, rule, m, matched, evidence = scored[0]
        if len(scored) > 1:
            evidence = dict(evidence, runner_up=scored[1][1], margin=round(score - scored[1][0], 3))
        return eid, round(min(score, 1.0), 3), rule, m, matched, evidence

    def _new_id(self) -> str:
        self.n_entities_ += 1
        return f"ent:{self.n_entities_}"

    def _new_entity(self, eid: str, label: str, known_id: str | None = None) -> Entity:
        e = Entity(eid, label, known_id)
        self.entities_[eid] = e
        return e

    def _attach(self, eid: str, group: _Group, article_id: str, matched_mention: Mention, rule: str, score: float,
                matched: str, evidence: dict[str, Any]) -> str:
        e = self.entities_[eid]
        for m in group.mentions:
            self.n_links_ += 1
            own = m is matched_mention
            e.links.append(LinkRecord(
                self.n_links_, eid, article_id, m.text, m.language, m.label, m.key,
                rule if own else "same document group", score if own else 1.0,
                matched if own else matched_mention.text, dict(evidence) if own else {},
            ))
            for b in _blocks(m.key):
                self._index.setdefault(b, set()).add(eid)
        e.titles.update(group.titles)
        if e.label == "MISC" and group.label != "MISC":
            e.label = group.label
        return eid

    # -- manual decisions
    def merge(self, keep: str, absorb: str, *, note: str = "") -> Decision:
        """Move every link of ``absorb`` into ``keep`` (recorded; see :meth:`undo`).

        >>> from storyline.types import Mention
        >>> reg = EntityRegistry()
        >>> reg.learn_mentions([Mention("Gen. Miller", "PER", 0, 11, "en", "")], article_id="a")
        ['ent:1']
        >>> reg.learn_mentions([Mention("Mark Milley", "PER", 0, 11, "en", "")], article_id="b")
        ['ent:2']
        >>> d = reg.merge("ent:2", "ent:1"); sorted(reg.get("ent:2").articles), len(reg)
        (['a', 'b'], 1)
        >>> reg.undo(d.decision_id).kind, sorted(e.entity_id for e in reg)
        ('undo', ['ent:1', 'ent:2'])
        """
        self._init_state()
        if keep == absorb:
            raise RegistryError(f"cannot merge {keep!r} with itself")
        k, a = self.get(keep), self.get(absorb)
        if frozenset((keep, absorb)) in self.cannot_link_:
            self.cannot_link_.discard(frozenset((keep, absorb)))  # a newer manual decision wins
        moved = [r.link_id for r in a.links]
        surfaces = sorted({r.surface for r in a.links} | {r.surface for r in k.links})
        self._move(a, k, set(moved))
        k.context.update(a.context)
        k.titles.update(a.titles)
        del self.entities_[absorb]
        self._replace_context(absorb, keep)
        for r in k.links:
            self.pinned_[(r.surface, r.language)] = keep
        d = self._record("merge", [keep, absorb], moved, surfaces, note)
        return d

    def split(self, entity_id: str, surfaces: Iterable[str], *, note: str = "") -> Decision:
        """Move the mentions with the given surface forms to a new entity (recorded; cannot-link from now on).

        >>> from storyline.types import Mention
        >>> reg = EntityRegistry()
        >>> reg.learn_mentions([Mention("Mark Milley", "PER", 0, 11, "en", ""), Mention("Mark Miller", "PER", 20, 31, "en", "")], article_id="a")
        ['ent:1', 'ent:1']
        >>> d = reg.split("ent:1", ["Mark Miller"]); d.entity_ids
        ['ent:1', 'ent:2']
        >>> reg.learn_mentions([Mention("Mark Miller", "PER", 0, 11, "en", "")], article_id="b")
        ['ent:2']
        """
        self._init_state()
        e = self.get(entity_id)
        wanted = set(surfaces)
        moving = {r.link_id for r in e.links if r.surface in wanted}
        if not moving:
            raise RegistryError(f"none of {sorted(wanted)!r} is a variant of {entity_id!r}; "
                                f"variants: {sorted({r.surface for r in e.links})!r}")
        if len(moving) == len(e.links):
            raise RegistryError(f"splitting every variant off {entity_id!r} would leave it empty")
        new_id = self._new_id()
        new = self._new_entity(new_id, e.label)
        self._move(e, new, moving)
        for r in new.links:
            self.pinned_[(r.surface, r.language)] = new_id
        for r in e.links:
            self.pinned_[(r.surface, r.language)] = entity_id
        self.cannot_link_.add(frozenset((entity_id, new_id)))
        return self._record("split", [entity_id, new_id], sorted(moving), sorted(wanted), note)

    def undo(self, decision_id: int) -> Decision:
        """Reverse a merge or split (links learned since then stay where they are)."""
        self._init_state()
        d = next((x for x in self.decisions_ if x.decision_id == decision_id), None)
        if d is None:
            raise RegistryError(f"no decision {decision_id}")
        if d.undone or d.kind == "undo":
            raise RegistryError(f"decision {decision_id} ({d.kind}) cannot be undone")
        if d.kind == "merge":
            keep, absorb = d.entity_ids
            src = self.get(keep)
            dst = self._new_entity(absorb, src.label)
            self._move(src, dst, set(d.link_ids))
            self.cannot_link_.add(frozenset((keep, absorb)))
        else:
            source, new = d.entity_ids
            dst, src = self.get(source), self.get(new)
            self._move(src, dst, set(d.link_ids))
            self.cannot_link_.discard(frozenset((source, new)))
            if not src.links:
                del self.entities_[new]
                self._replace_context(new, source)
        for eid in d.entity_ids:
            for r in getattr(self.entities_.get(eid), "links", []):
                self.pinned_[(r.surface, r.language)] = eid
        d.undone = True
        return self._record("undo", list(d.entity_ids), list(d.link_ids), list(d.surfaces), f"undo {decision_id}")

    def _move(self, src: Entity, dst: Entity, link_ids: set[int]) -> None:
        keep = []
        for r in src.links:
            if r.link_id in link_ids:
                r.entity_id = dst.entity_id
                dst.links.append(r)
                for b in _blocks(r.key):
                    self._index.setdefault(b, set()).add(dst.entity_id)
            else:
                keep.append(r)
        src.links = keep
        dst.links.sort(key=lambda r: r.link_id)

    def _replace_context(self, old: str, new: str) -> None:
        for e in self.entities_.values():
            if old in e.context:
                e.context[new] += e.context.pop(old)
        for ids in self._index.values():
            if old in ids:
                ids.discard(old)
                ids.add(new)

    def _record(self, kind: str, ids: list[str], links: list[int], surfaces: list[str], note: str) -> Decision:
        d = Decision(len(self.decisions_) + 1, kind, ids, links, surfaces, note)
        self.decisions_.append(d)
        return d

    # -- serialisation
    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict with parameters, entities (with links), decisions and constraints."""
        self._init_state()
        return {
            "format": FORMAT_VERSION,
            "params": {"threshold": self.threshold, "surname_threshold": self.surname_threshold,
                       "context_weight": self.context_weight},
            "entities": [e.to_json() for e in self.entities_.values()],
            "decisions": [asdict(d) for d in self.decisions_],
            "pinned": [[s, lang, eid] for (s, lang), eid in sorted(self.pinned_.items())],
            "cannot_link": sorted(sorted(p) for p in self.cannot_link_),
            "counters": {"links": self.n_links_, "entities": self.n_entities_},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | str, store: RegistryStore | None = None) -> EntityRegistry:
        """Rebuild a registry saved with :meth:`to_json` (a dict or its JSON text)."""
        if isinstance(data, str):
            data = json.loads(data)
        if data.get("format") != FORMAT_VERSION:
            raise RegistryError(f"registry format {data.get('format')!r} is not {FORMAT_VERSION}")
        reg = cls(**data["params"], store=store)
        reg._init_state()
        for ej in data["entities"]:
            e = Entity(ej["entity_id"], ej["label"], ej.get("known_id"), [LinkRecord(**r) for r in ej["links"]],
                       Counter(ej.get("context", {})), Counter(ej.get("titles", {})))
            reg.entities_[e.entity_id] = e
            for r in e.links:
                for b in _blocks(r.key):
                    reg._index.setdefault(b, set()).add(e.entity_id)
        reg.decisions_ = [Decision(**d) for d in data["decisions"]]
        reg.pinned_ = {(s, lang): eid for s, lang, eid in data["pinned"]}
        reg.cannot_link_ = {frozenset(p) for p in data["cannot_link"]}
        reg.n_links_ = data["counters"]["links"]
        reg.n_entities_ = data["counters"]["entities"]
        return reg

    def save(self) -> None:
        """Write the registry to its ``store``."""
        if self.store is None:
            raise RegistryError("this registry has no store: pass store=JsonFileStore(path)")
        self.store.save(self.to_json())

    @classmethod
    def load(cls, store: RegistryStore) -> EntityRegistry:
        """A registry from ``store`` (empty when the store holds nothing yet)."""
        data = store.load()
        return cls(store=store) if data is None else cls.from_json(data, store=store)


def _distinct_links(e: Entity) -> list[LinkRecord]:
    seen: dict[str, LinkRecord] = {}
    for r in e.links:
        seen.setdefault(r.key, r)
    return list(seen.values())


def _surname_text_r(r: LinkRecord) -> str:
    return _surname_text(Mention(r.surface, r.label, 0, 0, r.language, r.key))
