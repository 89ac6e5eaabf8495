"""Pages that are not the article, from invented notices in several languages."""

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storyline.analyse import pagekind
from storyline.analyse.pagekind import page_kind
from storyline.scorer import PairScorer, not_article
from storyline.types import Profile, Segment

NOTICES = [
    ("Access denied. Our systems noticed unusual traffic from your network. Please confirm you are not a robot.", "en"),
    ("Please enable JavaScript in your browser to continue.", "en"),
    ("Przepraszamy, wykryliśmy zbyt wiele zapytań z Twojej sieci. Zaznacz pole: nie jestem robotem. Twój adres IP: 198.51.100.7", "pl"),
    ("Zugriff verweigert. Bitte bestätigen Sie, dass Sie kein Roboter sind.", "de"),
    ("Доступ запрещён. Подтвердите, что вы не робот. Ваш IP-адрес: 203.0.113.9", "ru"),
    ("Este contenido es exclusivo para suscriptores. ¿Ya eres suscriptor? Inicia sesión.", "es"),
    ("Pour continuer, veuillez activer JavaScript. Vérification de votre navigateur en cours.", "fr"),
    ("Erişim engellendi. Robot değilim kutusunu işaretleyin.", "tr"),
    ("访问过于频繁，请完成安全验证。", "zh"),
]


@pytest.mark.parametrize("text,lang", NOTICES)
def test_notices_are_not_articles(text, lang):
    kind = page_kind(text)
    assert kind.not_article and kind.cues and kind.score >= 0.4


ARTICLES = [
    "The minister said the robot factory would open in May. It will employ 300 people. Unions welcomed the plan.",
    # a real article with a cookie line and a video notice at the top: the notice is a small part of it
    "Please enable JavaScript to watch this clip. " + "Rescue teams searched the flooded valley through the night, officials said. " * 12,
    "Wir verwenden Cookies. " + "Der Stadtrat beschloss am Dienstag den Haushalt für das kommende Jahr nach langer Debatte. " * 10,
]


@pytest.mark.parametrize("text", ARTICLES)
def test_articles_are_articles(text):
    assert not page_kind(text).not_article


def _profile(text: str, lang: str = "en") -> Profile:
    unit = np.zeros(512, dtype=np.float32)  # the encoder's width; the scorer's pair network reads these
    unit[0] = 1.0
    return Profile("p" + str(len(text)), "", lang, (Segment(lang, 0, len(text), text),), (text,),
                   unit, unit[None, :].copy(), unit.copy(), n_chars=len(text))


def test_scorer_gives_a_not_article_pair_the_training_mean():
    scorer = PairScorer.load()
    prior = scorer.meta.get("prior")
    if not prior:
        pytest.skip("the shipped model predates the not-article prior")
    block = _profile(NOTICES[0][0])
    assert not_article(block) and not not_article(_profile(ARTICLES[0]))
    result = scorer.score(block, _profile(NOTICES[0][0]))
    assert result.verdict == "not_article"
    assert result.scores == pytest.approx({d: prior[d] for d in result.scores})


# ---- the quick path (pagekind._cue_hits) finds exactly what one scan of every cue finds


# the reference: every family's whole pattern in one expression, as page_kind scanned before the quick path
_FULL = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in pagekind.CUES.items()))


def _full_scan(head: str) -> list[tuple[int, str | None]]:
    return [(m.start(), m.lastgroup) for m in _FULL.finditer(head)]


def test_every_alternative_is_kept_once_in_order():
    assert [a.family for a in pagekind._ALTERNATIVES] == [f for f, p in pagekind.CUES.items() for _ in pagekind.split_alternatives(p)]
    for family, pattern in pagekind.CUES.items():
        assert "|".join(pagekind.split_alternatives(pattern)) == pattern
        for alternative in pagekind.split_alternatives(pattern):
            re.compile(alternative)  # each piece stands alone
    assert all(a.needs for a in pagekind._ALTERNATIVES) and pagekind._KEYS


@pytest.mark.parametrize("index", range(len(pagekind._ALTERNATIVES)))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_a_match_holds_a_string_of_each_required_set(index, data):
    alternative = pagekind._ALTERNATIVES[index]
    match = data.draw(st.from_regex(alternative.pattern, fullmatch=True))
    for options in alternative.needs:
        assert any(s in match for s in options), (alternative.pattern, match, options)
    assert any(k in match for k in pagekind._KEYS)


FILLER = [
    "The council met on Monday and approved the budget after a long debate.",
    "Rescue teams searched the valley; officials said 12 people were missing.",
    "Der Stadtrat beschloss den Haushalt.",
    "Le conseil a voté le budget mardi.",
    "Совет принял бюджет во вторник.",
    "市议会周二通过了预算。",
    "The address to the nation was read by the minister, who said the robot factory would continue.",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(FILLER + [t for t, _ in NOTICES] + ARTICLES[:1]), min_size=1, max_size=8),
       st.lists(st.tuples(st.integers(0, 3000), st.text(max_size=12)), max_size=3))
def test_quick_path_finds_what_the_full_scan_finds(parts, inserts):
    text = " ".join(parts)
    for at, piece in inserts:
        text = text[:at] + piece + text[at:]
    head = text[:4000].lower()
    assert pagekind._cue_hits(head) == _full_scan(head)


@given(st.text(alphabet="aceiklnoprstuvwy .-'", max_size=300))
@settings(max_examples=300, deadline=None)
def test_quick_path_on_near_miss_letters(text):
    assert pagekind._cue_hits(text) == _full_scan(text)
