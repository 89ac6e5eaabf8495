from __future__ import annotations

import pytest

from storyline.analyse.profile import Profiler
from storyline.similarity import embedding_features, surface_features
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
    for group in (embedding_features, surface_features):
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
