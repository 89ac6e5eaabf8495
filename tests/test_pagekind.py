"""Pages that are not the article, from invented notices in several languages."""

import numpy as np
import pytest

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
