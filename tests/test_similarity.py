from __future__ import annotations

import pytest

from storyline.analyse.profile import Profiler
from storyline.similarity import embedding_features, surface_features, token_features
from storyline.types import Article

EN = Article.from_text(
    "Negotiators resume talks in Doha",
    "Government and rebel negotiators met in Doha on Tuesday for a second round of talks. "
    "Both sides agreed to a ceasefire in the northern provinces. "
    "The mediator said 3,000 fighters would be withdrawn by March.",
)
ZH = Article.from_text(
    "谈判代表在多哈恢复会谈",
    "政府和叛军谈判代表周二在多哈举行第二轮会谈。双方同意在北部省份停火。调解人表示,3000名武装人员将在三月前撤出。",
)
UNRELATED = Article.from_text(
    "Champions beat the league leaders",
    "The home side scored twice in the second half to beat the league leaders 2-0 on Saturday. "
    "The coach praised his young defenders after the match.",
)


@pytest.fixture(scope="module")
def profiles():
    profiler = Profiler(entities=False, places=False, dates=False, numbers=False)
    return {name: profiler.profile(a) for name, a in (("en", EN), ("zh", ZH), ("other", UNRELATED))}


def test_features_are_symmetric(profiles) -> None:
    for group in (embedding_features, surface_features, token_features):
        ab = group(profiles["en"], profiles["zh"])
        ba = group(profiles["zh"], profiles["en"])
        assert ab.keys() == ba.keys()
        for key in ab:
            assert ab[key] == pytest.approx(ba[key], abs=1e-6), key


def test_translation_aligns_better_than_an_unrelated_article(profiles) -> None:
    translation = embedding_features(profiles["en"], profiles["zh"])
    unrelated = embedding_features(profiles["en"], profiles["other"])
    for key in ("document_score", "align_mean_score", "title_score", "lead_passage_score", "diagonal_score"):
        assert translation[key] > unrelated[key] + 0.2, key
    assert translation["aligned70_fraction"] >= 0.6


def test_surface_features_see_languages_and_near_duplicates(profiles) -> None:
    assert surface_features(profiles["en"], profiles["zh"])["same_language"] == 0.0
    assert surface_features(profiles["en"], profiles["en"])["minhash_score"] == 1.0
    assert surface_features(profiles["en"], profiles["other"])["minhash_score"] < 0.2


# Two reports of one vote in Polish, inflected differently, and one in Russian on another topic (own text).
PL_A = Article.from_text(
    "Sejm przyjął ustawę o wyborach",
    "Posłowie przegłosowali w czwartek ustawę o wyborach prezydenckich. Za głosowało 235 posłów. "
    "Marszałek Witek zapowiedziała, że Senat zajmie się ustawą w przyszłym tygodniu.",
)
PL_B = Article.from_text(
    "Ustawa wyborcza przegłosowana",
    "Ustawa o wyborach prezydenckich przeszła w Sejmie: poparło ją 235 posłów. "
    "Według marszałek Witek, senatorowie zbiorą się w przyszłym tygodniu.",
)
RU = Article.from_text(
    "Футбольный клуб сменил тренера",
    "Клуб объявил о смене главного тренера после поражения со счётом 0:3. Новым тренером стал Иванов.",
)


def test_token_features_match_inflected_words_names_and_numbers() -> None:
    profiler = Profiler(entities=False, places=False, dates=False, numbers=False)
    a, b, c = (profiler.profile(x) for x in (PL_A, PL_B, RU))
    same = token_features(a, b)
    other = token_features(a, c)
    assert same["stem_jaccard_score"] > other["stem_jaccard_score"] + 0.15
    assert same["stem_containment_score"] > same["stem_jaccard_score"]
    assert same["name_shared_count"] > 0 and other["name_shared_count"] == 0  # Witek, Sejm / Senat
    assert same["raw_number_score"] > 0 and other["raw_number_score"] == 0  # 235
    assert token_features(a, a)["title_stem_score"] == 1.0


def test_era_features_read_weekdays_across_languages_and_the_pandemic(profiles) -> None:
    from storyline.similarity import era_features

    same_week = era_features(profiles["en"], profiles["zh"])  # "on Tuesday" and 周二
    assert same_week["weekday_main_same"] == 1.0 and same_week["weekday_jaccard_score"] == 1.0
    other = era_features(profiles["en"], profiles["other"])  # Tuesday vs Saturday
    assert other["weekday_both"] == 1.0 and other["weekday_main_same"] == 0.0 and other["weekday_jaccard_score"] == 0.0
    assert era_features(profiles["other"], profiles["en"]) == other  # symmetric
    pandemic = Profiler(entities=False, places=False, dates=False, numbers=False).profile(
        Article.from_text("Schools reopen", "Schools reopened after the COVID-19 lockdown ended. Pupils wore masks.")
    )
    f = era_features(pandemic, profiles["en"])
    assert f["era_pandemic_one"] == 1.0 and f["era_pandemic_both"] == 0.0 and f["era_pandemic_gap"] > 0.5
    assert era_features(pandemic, pandemic)["era_pandemic_both"] == 1.0
