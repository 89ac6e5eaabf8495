"""A scorer trained on deep profiles (e5 vectors) uses them, and falls back to its twin trained without them
for pairs where a side is not deep (stored articles: ingest does not read titles twice)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from storyline.scorer import DEEP_GROUP, PairScorer, train
from storyline.similarity import DEEP_FEATURES
from storyline.types import DIMENSIONS, Profile


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=-1, keepdims=True)).astype(np.float32)


def _profile(name: str, use: np.ndarray, e5: np.ndarray | None) -> Profile:
    return Profile(name, name, "en", (), (f"{name} one.", f"{name} two."), use[0], use, use[1], e5_vectors=e5)


def _pairs(n: int, seed: int, deep: bool = True) -> list[tuple[Profile, Profile, dict[str, float]]]:
    """USE vectors are noise; only the e5 vectors say whether the two articles are the same story."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        same = k % 2 == 0
        e5a = _unit(rng.normal(size=(2, 384)))
        e5b = _unit(e5a + rng.normal(scale=0.05, size=(2, 384))) if same else _unit(rng.normal(size=(2, 384)))
        a = _profile(f"a{seed}-{k}", _unit(rng.normal(size=(2, 512))), e5a if deep else None)
        b = _profile(f"b{seed}-{k}", _unit(rng.normal(size=(2, 512))), e5b if deep else None)
        out.append((a, b, dict.fromkeys(DIMENSIONS, 1.0 if same else 4.0)))
    return out


@pytest.fixture(scope="module")
def deep_scorer() -> PairScorer:
    return train(_pairs(80, seed=1), groups=("embedding", "surface", DEEP_GROUP), num_rounds=40, params={"min_data_in_leaf": 3})


def test_deep_scorer_learns_from_e5_and_keeps_a_fallback(deep_scorer: PairScorer, tmp_path: Path) -> None:
    assert DEEP_GROUP in deep_scorer.groups and set(DEEP_FEATURES) <= set(deep_scorer.feature_names)
    fallback = deep_scorer.fallback
    assert fallback is not None and DEEP_GROUP not in fallback.groups and not set(DEEP_FEATURES) & set(fallback.feature_names)
    path = tmp_path / "deep.json"
    deep_scorer.save(path)
    loaded = PairScorer.load(path)
    assert loaded.fallback is not None and loaded.fallback.feature_names == fallback.feature_names
    test = _pairs(20, seed=2)
    same = [loaded.score(a, b).scores["overall"] for a, b, g in test if g["overall"] == 1.0]
    other = [loaded.score(a, b).scores["overall"] for a, b, g in test if g["overall"] == 4.0]
    assert max(same) < min(other)  # only e5 tells them apart
    assert set(DEEP_FEATURES) <= set(loaded.score(*test[0][:2]).features)


def test_pairs_without_e5_go_to_the_fallback(deep_scorer: PairScorer) -> None:
    deep = _pairs(10, seed=3)
    plain = _pairs(10, seed=3, deep=False)
    mixed = [(a, pb) for (a, _, _), (_, pb, _) in zip(deep, plain)]  # one side deep, the other stored
    for a, b in [(a, b) for a, b, _ in plain] + mixed:
        assert deep_scorer.for_pair(a, b) is deep_scorer.fallback
        assert not set(DEEP_FEATURES) & set(deep_scorer.score(a, b).features)
    assert deep_scorer.for_pair(*deep[0][:2]) is deep_scorer
    # many pairs at once give what one by one gives, whichever model each pair needs
    pairs = [(a, b) for a, b, _ in deep[:5]] + mixed[:5]
    batch = deep_scorer.predict_pairs(pairs)
    for i, (a, b) in enumerate(pairs):
        assert batch["overall"][i] == pytest.approx(deep_scorer.score(a, b).scores["overall"])


def test_training_without_deep_profiles_makes_no_deep_group() -> None:
    scorer = train(_pairs(40, seed=4, deep=False), groups=("embedding", "surface", DEEP_GROUP), num_rounds=20, params={"min_data_in_leaf": 3})
    assert DEEP_GROUP not in scorer.groups and scorer.fallback is None
    assert not set(DEEP_FEATURES) & set(scorer.feature_names)
