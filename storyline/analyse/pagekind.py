"""Pages that are not the article: anti-bot and captcha notices, "enable JavaScript", paywalls, cookie walls,
"access denied" and "page not found" pages, in several languages.

A scraper that is blocked still gets text, and two block pages look identical to every similarity
feature whatever the two articles behind them said. :func:`page_kind` reads the text and says how much
of it is such a notice, so the pair scorer can stop trusting the surface similarity of those pairs and
ingest can flag or refetch the page. The cue phrases are written for storyline (no site's wording).

>>> k = page_kind("Access denied. Please verify you are not a robot. Your IP address: 192.0.2.1")
>>> k.not_article, sorted(k.cues)
(True, ['access', 'ip_address', 'robot'])
>>> page_kind("The minister said the robot factory would open in May, creating 300 jobs.").not_article
False
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["PageKind", "page_kind", "CUES", "NOTICE_MAX_CHARS"]

NOTICE_MAX_CHARS = 3000
"""Texts longer than this are never taken for a notice (a notice is short; a long page that shows one is
mostly article). What the scorer (:func:`storyline.scorer.not_article`) and ingest
(:func:`storyline.pipeline.notice_error`) both apply before :func:`page_kind`."""

CUES: dict[str, str] = {
    "robot": (
        r"captcha|not an? robot|are you (?:a )?(?:human|robot)|verify (?:that )?you(?:'re| are) (?:a )?human|"
        r"nie jestem robotem|nie jesteś robotem|kein roboter|pas un robot|no soy un robot|no eres un robot|"
        r"non sono un robot|я не робот|не робот|robot değilim|لست روبوت|我不是机器人|人机验证|安全验证"
    ),
    "ip_address": (
        r"\bip[- ]?(?:address|adres\w*|adresse|dirección|indirizzo|adresi\w*)|"
        r"(?:adres\w*|adresse|dirección|indirizzo|адрес\w*) ip\b|ip[- ]адрес\w*|عنوان ip|ip\s?地址"
    ),
    "traffic": (
        r"unusual traffic|too many (?:requests|connections)|automated (?:requests|queries|access)|"
        r"zbyt (?:wiele|dużo) (?:zapytań|żądań|połączeń)|zu viele anfragen|ungewöhnlichen? (?:datenverkehr|traffic)|"
        r"trop de (?:requêtes|connexions)|trafic inhabituel|demasiadas (?:solicitudes|peticiones|conexiones)|"
        r"tráfico inusual|troppe (?:richieste|connessioni)|traffico insolito|слишком много запросов|"
        r"подозрительн\w+ трафик|çok fazla (?:istek|bağlantı)|olağandışı trafik|طلبات كثيرة|请求过多|访问过于频繁|异常流量"
    ),
    "javascript": (
        r"(?:enable|activate|turn on) javascript|javascript (?:is )?(?:disabled|required|must be enabled)|"
        r"włącz(?:yć)? javascript|javascript (?:aktivieren|einschalten)|activer (?:le )?javascript|"
        r"(?:habilitar|activar|habilite|active) (?:el )?javascript|(?:abilitare|abilita|attivare) (?:il )?javascript|"
        r"включите javascript|javascript'?i? etkinleştir|تفعيل جافا سكريبت|启用\s?javascript"
    ),
    "access": (
        r"access denied|403 forbidden|\bforbidden\b|page not found|404 not found|odmowa dostępu|brak dostępu|"
        r"nie znaleziono strony|zugriff verweigert|seite nicht gefunden|accès refusé|page introuvable|"
        r"acceso denegado|página no encontrada|accesso negato|pagina non trovata|доступ запрещ[её]н|"
        r"страница не найдена|erişim engellendi|sayfa bulunamadı|تم رفض الوصول|الصفحة غير موجودة|拒绝访问|页面不存在|访问被拒绝"
    ),
    "browser": (
        r"checking your browser|browser (?:check|is out of date)|ddos protection|ray id|"
        r"sprawdzanie przeglądarki|überprüfung ihres browsers|vérification de votre navigateur|"
        r"comprobando (?:su|tu) navegador|verifica del browser|проверка браузера|tarayıcınız kontrol"
    ),
    "paywall": (
        r"(?:subscribe|log ?in|sign in) to (?:continue|read)|already a subscriber|for subscribers only|"
        r"(?:available|reserved) (?:only )?(?:to|for) subscribers|tylko dla (?:prenumeratorów|subskrybentów)|"
        r"nur für abonnenten|réservé aux abonnés|déjà abonné|exclusivo para suscriptores|ya eres suscriptor|"
        r"riservato agli abbonati|sei già abbonato|только для подписчиков|abonelere özel|للمشتركين فقط|仅限订阅用户"
    ),
    "cookies": (
        r"(?:accept|allow) (?:all )?cookies|we use cookies|akceptuj\w* (?:pliki )?cookies|(?:pliki|plików) cookies|"
        r"cookies? (?:akzeptieren|zustimmen)|accepter (?:les )?cookies|aceptar (?:las )?cookies|"
        r"accett\w* (?:i )?cookie|(?:принять|используем) cookie|çerezleri kabul|نستخدم ملفات تعريف الارتباط|使用cookie"
    ),
}
"""Cue families: each name is one kind of notice, a regular expression over several languages (on lower-cased text)."""


def _combined(families: dict[str, list[str]]) -> re.Pattern[str]:
    """One regular expression over the cue families' alternatives, each family a named group, in order."""
    from storyline.analyse.dates import _with_prefilter

    # one scan for every family, with a lookahead on the letters a cue can start with
    return re.compile(_with_prefilter("|".join(f"(?P<{name}>{'|'.join(alternatives)})" for name, alternatives in families.items())))


def split_alternatives(pattern: str) -> list[str]:
    r"""The top-level alternatives of a regular expression (``|`` outside groups and character classes).

    >>> split_alternatives(r"a(?:b|c)|[|x]d|e\|f|[]|]g")
    ['a(?:b|c)', '[|x]d', 'e\\|f', '[]|]g']
    """
    parts, depth, start, in_class, i = [], 0, 0, False, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            i += 1 + (pattern[i + 1 : i + 2] == "^")
            i += pattern[i : i + 1] == "]"  # a "]" right after "[" or "[^" is a literal
            continue
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


def required_literals(pattern: str) -> list[frozenset[str]]:
    r"""Sets of strings a match of ``pattern`` must contain: a string of each set (an empty list: none known).

    Read from the parsed pattern: each run of literal characters (zero-width assertions do not break a run), the
    sets of groups and of repeats of at least one, and of an alternation the union of one set per branch.
    Case-insensitive patterns get none.

    >>> sorted(sorted(s) for s in required_literals(r"(?:enable|turn on) javascript\b"))
    [[' javascript'], ['enable', 'turn on']]
    >>> required_literals(r"\w+ ip"), required_literals(r"(?i)robot"), required_literals(r"a?")
    ([frozenset({' ip'})], [], [])
    """
    import re._constants as sre
    import re._parser as sre_parse  # CPython ≥ 3.11 (storyline's floor)

    parsed = sre_parse.parse(pattern)
    if parsed.state.flags & re.IGNORECASE:
        return []

    def needs(items: Any) -> list[frozenset[str]]:
        out: list[frozenset[str]] = []
        run: list[str] = []
        for op, arg in items:
            if op is sre.LITERAL:
                run.append(chr(arg))
                continue
            if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):  # zero width: the literals around it stay adjacent
                continue
            if run:
                out.append(frozenset(["".join(run)]))
                run = []
            if op is sre.SUBPATTERN and not arg[1] & re.IGNORECASE:
                out.extend(needs(arg[3]))
            elif op is sre.BRANCH:
                branches = [needs(b) for b in arg[1]]
                if all(branches):
                    out.append(frozenset().union(*(max(b, key=_selectivity) for b in branches)))
            elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and arg[0] >= 1:
                out.extend(needs(arg[2]))
        if run:
            out.append(frozenset(["".join(run)]))
        return out

    return needs(parsed)


def _selectivity(options: frozenset[str]) -> tuple[int, int]:
    """How rarely a set of required strings is met in text: its shortest string's length (non-ASCII characters
    count double, spaces not at all), then fewer strings first."""
    return min(sum(0 if c == " " else 1 if c.isascii() else 2 for c in s) for s in options), -len(options)


@dataclass(frozen=True, slots=True)
class _Alternative:
    family: str
    pattern: str
    needs: tuple[frozenset[str], ...]  # every one of these sets has a string in any text the pattern matches


_ALTERNATIVES = tuple(
    _Alternative(family, alternative, tuple(required_literals(alternative)))
    for family, pattern in CUES.items()
    for alternative in split_alternatives(pattern)
)
# the quick test: the most selective set of each alternative; a text with none of these strings has no cue
_KEYS: tuple[str, ...] | None = (
    None
    if any(not a.needs for a in _ALTERNATIVES)
    else tuple(sorted({k for a in _ALTERNATIVES for k in max(a.needs, key=_selectivity)}))
)
if _KEYS is not None:  # a string that holds another key needs no test of its own
    _KEYS = tuple(k for k in _KEYS if not any(o != k and o in k for o in _KEYS))


@functools.lru_cache(maxsize=512)
def _cue_regex(kept: tuple[int, ...]) -> re.Pattern[str]:
    """The combined expression of only the alternatives ``kept`` (indices into :data:`_ALTERNATIVES`), in order."""
    families: dict[str, list[str]] = {}
    for i in kept:
        families.setdefault(_ALTERNATIVES[i].family, []).append(_ALTERNATIVES[i].pattern)
    return _combined(families)


def _cue_hits(head: str) -> list[tuple[int, str | None]]:
    """``(start, family)`` of each cue match in ``head``: what one scan with every cue family finds.

    An alternative whose required strings are not all in ``head`` matches nowhere in it, so leaving it out of the
    expression changes no match: most articles hold no cue's required strings and are not scanned at all (0.02
    instead of 0.4 ms for 1,800 characters), the rest with the few alternatives they might match.

    >>> _cue_hits("please verify you are human. your ip address: 192.0.2.1")
    [(7, 'robot'), (34, 'ip_address')]
    >>> _cue_hits("the council met on monday.")
    []
    """
    if _KEYS is None:
        kept = tuple(range(len(_ALTERNATIVES)))
    else:
        if not any(k in head for k in _KEYS):
            return []
        found: dict[str, bool] = {}

        def present(s: str) -> bool:
            if s not in found:
                found[s] = s in head
            return found[s]

        kept = tuple(i for i, a in enumerate(_ALTERNATIVES) if all(any(present(s) for s in options) for options in a.needs))
        if not kept:
            return []
    return [(m.start(), m.lastgroup) for m in _cue_regex(kept).finditer(head)]


_SENTENCE = re.compile(r"[^.!?\n。！？]+[.!?。！？]?")
_MAX_SENTENCE = 250


@dataclass(frozen=True, slots=True)
class PageKind:
    """What :func:`page_kind` read: the cue families found, the share of the text's characters in
    sentences with a cue (``score``, 0–1) and the verdict."""

    not_article: bool
    score: float
    cues: frozenset[str]


def page_kind(text: str, *, max_chars: int = 4000) -> PageKind:
    """Whether ``text`` is a notice instead of an article.

    A page is not an article when at least 40% of its characters are in sentences with a cue, or when
    two cue families meet in a short page (under 1,500 characters). Only the first ``max_chars`` are read:
    a notice is short, or it is at the top.

    >>> page_kind("Please enable JavaScript to view this page.").not_article
    True
    >>> page_kind("We use cookies. " + "The council voted on the new budget after a long debate. " * 30).not_article
    False
    """
    head = text[:max_chars].lower()
    cues = _cue_hits(head)
    if not cues:
        return PageKind(False, 0.0, frozenset())
    total = sum(len(m.group(0).strip()) for m in _SENTENCE.finditer(head)) or 1
    found: set[str] = set()
    covered = 0
    for m in _SENTENCE.finditer(head):
        hit = {name for start, name in cues if m.start() <= start < m.end() and name}
        if hit:
            found |= hit
            covered += min(len(m.group(0).strip()), _MAX_SENTENCE)  # a run-on "sentence" (no full stops) counts as one
    score = round(min(1.0, covered / total), 4)
    verdict = bool(found) and (score >= 0.4 or (len(found) >= 2 and len(text.strip()) < 1500))
    return PageKind(verdict, score, frozenset(found))
