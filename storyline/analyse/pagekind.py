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

import re
from dataclasses import dataclass

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


def _combined() -> re.Pattern[str]:
    from storyline.analyse.dates import _with_prefilter

    # one scan for every family, with a lookahead on the letters a cue can start with: most articles have no
    # cue at all and are read in one pass (~0.1 ms for 2,000 characters instead of ~1 ms)
    return re.compile(_with_prefilter("|".join(f"(?P<{name}>{pattern})" for name, pattern in CUES.items())))


_CUE_RE = _combined()

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
    cues = [(m.start(), m.lastgroup) for m in _CUE_RE.finditer(head)]
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
