"""The fast helpers of cluster/features.py give exactly what the NumPy calls they replace give."""

from __future__ import annotations

import numpy as np
import pytest

from storyline.cluster.features import _common_indices, _jaccard, _mean, _top_values


@pytest.mark.parametrize("seed", range(20))
def test_common_indices_equal_intersect1d(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = np.unique(rng.integers(0, 400, size=rng.integers(1, 200))).astype(np.uint32)
    b = np.unique(rng.integers(0, 400, size=rng.integers(1, 200))).astype(np.uint32)
    _, ia, ib = np.intersect1d(a, b, assume_unique=True, return_indices=True)
    ja, jb = _common_indices(a, b)
    assert ja.tolist() == ia.tolist() and jb.tolist() == ib.tolist()


@pytest.mark.parametrize("seed", range(20))
def test_mean_and_top_values_are_bit_identical(seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows, cols = int(rng.integers(1, 30)), int(rng.integers(1, 30))
    sim = rng.normal(size=(rows, cols)).astype(np.float32)
    sim[0, 0] = sim[-1, -1]  # a tie
    for x in (sim.max(axis=1), sim.max(axis=0), sim[::-1, 0], sim.astype(np.float64).ravel()):
        assert _mean(x).hex() == float(np.mean(x)).hex()
    flat = np.sort(sim, axis=None)[::-1]
    for k in (1, 5, sim.size, sim.size + 3):
        expected = flat[: max(1, min(k, flat.size))]
        got = _top_values(sim, k)
        assert got.tolist() == expected.tolist()
        assert _mean(got).hex() == float(expected.mean()).hex()


def test_jaccard_counts_equal_values_in_any_unsigned_dtype() -> None:
    a = np.array([1, 2, 3, 4], dtype=np.uint64)
    assert _jaccard(a, np.array([1, 2, 0, 4], dtype=np.uint32)) == 0.75
    assert _jaccard((1, 2, 3, 4), (1, 9, 3, 9)) == 0.5
    assert _jaccard(a, a[:2]) == 0.0 and _jaccard((), ()) == 0.0
