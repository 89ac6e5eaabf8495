from __future__ import annotations

import numpy as np

from storyline.evaluate import article_groups, cross_validate, grouped_folds, pair_groups, pearson, pearson_report
from storyline.types import Article, ArticlePair


def test_pearson_is_none_when_undefined() -> None:
    assert pearson([1, 2], [1, 2]) is None
    assert pearson([1, 1, 1], [1, 2, 3]) is None
    assert round(pearson([1, 2, 3, 4], [2, 4, 6, 8.5]) or 0, 3) == 0.998


def test_groups_join_pairs_that_share_an_article() -> None:
    assert article_groups([("a", "b"), ("c", "d"), ("b", "e"), ("e", "c"), ("f", "g")]) == [0, 0, 0, 0, 1]


def test_machine_translated_pair_is_grouped_with_its_source_pair() -> None:
    a, b = Article.from_text("A", "one text"), Article.from_text("B", "another text")
    b_translated = Article.from_text("B", "ein anderer Text")
    c, d = Article.from_text("C", "third"), Article.from_text("D", "fourth")
    pairs = [
        ArticlePair("100_200", a, b),
        ArticlePair("100de_200de", Article.from_text("A", "ein Text"), b_translated),
        ArticlePair("300_400", c, d),
    ]
    assert pair_groups(pairs) == [0, 0, 1]


def test_folds_keep_groups_whole_and_cover_everything() -> None:
    groups = [i // 3 for i in range(60)]
    folds = grouped_folds(groups, 5)
    assert sorted(np.concatenate(folds).tolist()) == list(range(60))
    for fold in folds:
        assert {groups[i] for i in fold}.isdisjoint({groups[i] for f in folds if f is not fold for i in f})


def test_cross_validation_learns_a_real_signal_and_not_noise() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3))
    y = 2.5 + 0.8 * x[:, 0] + rng.normal(scale=0.2, size=400)
    groups = list(range(400))
    predicted = cross_validate(x, {"overall": y}, ["f0", "f1", "f2"], groups, num_rounds=60)
    assert (pearson(predicted["overall"], y) or 0) > 0.8
    noise = rng.normal(size=400)
    predicted_noise = cross_validate(x, {"overall": noise}, ["f0", "f1", "f2"], groups, num_rounds=60)
    assert abs(pearson(predicted_noise["overall"], noise) or 0) < 0.2


def test_report_shape_is_the_documented_contract() -> None:
    report = pearson_report({"overall": [1, 2, 3, 4]}, {"overall": [1.1, 2.2, 2.9, 3.7]}, ["en-en"] * 4, pairs_per_second=10.0)
    assert set(report) == {"n", "pearson", "by_language_pair", "pairs_per_second"}
    assert report["by_language_pair"]["en-en"]["n"] == 4
