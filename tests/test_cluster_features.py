"""The fast helpers of cluster/features.py give exactly what the NumPy calls they replace give."""

from __future__ import annotations

import numpy as np
import pytest

from storyline.cluster.features import _common_indices, _diagonal_index, _jaccard, _mean, _top_values


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


@pytest.mark.parametrize("seed", range(20))
def test_diagonal_index_takes_the_cells_of_the_plain_fancy_index(seed: int) -> None:
    rng = np.random.default_rng(seed)
    na, nb = int(rng.integers(1, 70)), int(rng.integers(1, 70))
    sim = rng.normal(size=(na, nb)).astype(np.float32)
    rows = np.arange(na)
    plain = sim[rows, np.minimum(nb - 1, np.round(rows * nb / na).astype(np.intp))]
    got = sim.take(_diagonal_index(na, nb))
    assert got.tolist() == plain.tolist()
    assert _mean(got).hex() == float(np.mean(plain)).hex()
    assert _diagonal_index(na, nb) is _diagonal_index(na, nb) and not _diagonal_index(na, nb).flags.writeable


def test_jaccard_counts_equal_values_in_any_unsigned_dtype() -> None:
    a = np.array([1, 2, 3, 4], dtype=np.uint64)
    assert _jaccard(a, np.array([1, 2, 0, 4], dtype=np.uint32)) == 0.75
    assert _jaccard((1, 2, 3, 4), (1, 9, 3, 9)) == 0.5
    assert _jaccard(a, a[:2]) == 0.0 and _jaccard((), ()) == 0.0


def _event_terms_reference(digest, pair_terms, centroid_score, name_df, n_same_script, n_members):  # type: ignore[no-untyped-def]
    """event_terms as it was written before it was made faster: the mean by sum(), every name sorted."""
    import math

    from storyline.cluster.features import LINK_TERMS

    out = {k: float(sum(t[k] for t in pair_terms) / len(pair_terms)) for k in LINK_TERMS}
    out["centroid_score"] = centroid_score
    covered = covering = 0.0
    if digest.names and n_same_script and name_df:
        ranked = sorted(name_df, key=lambda n: (-name_df[n], n))
        top = [n for n in ranked if name_df[n] >= max(2, 0.5 * n_same_script)][:3]
        if not top:
            top = ranked[:2]
        covered = sum(n in digest.names for n in top) / len(top) - 0.5
        if digest.salient:
            covering = sum(n in name_df for n in digest.salient) / len(digest.salient) - 0.5
    out["event_names_covered"] = covered
    out["article_names_covered"] = covering
    out["event_size_log"] = math.log1p(n_members)
    return out


@pytest.mark.parametrize("seed", range(30))
def test_event_terms_equal_the_plain_mean_and_sort(seed: int) -> None:
    from types import SimpleNamespace

    from storyline.cluster.features import LINK_TERMS, event_terms

    rng = np.random.default_rng(seed)
    names = [f"n{i}" for i in range(int(rng.integers(0, 12)))]
    digest = SimpleNamespace(names=frozenset(n for n in names if rng.random() < 0.5), salient=tuple(n for n in names if rng.random() < 0.3))
    values = [-0.0, 0.0, 0.1, -0.25, np.float32(0.3), np.float64(-0.7), 1e-17]
    pair_terms = [
        {k: values[int(rng.integers(0, len(values)))] if rng.random() < 0.5 else float(rng.normal()) for k in LINK_TERMS}
        for _ in range(int(rng.integers(1, 4)))
    ]
    members = int(rng.integers(1, 8))
    name_df = {n: int(rng.integers(1, members + 1)) for n in names}
    got = event_terms(digest, pair_terms, 0.5, name_df, members, members)  # type: ignore[arg-type]
    want = _event_terms_reference(digest, pair_terms, 0.5, name_df, members, members)
    assert list(got) == list(want)
    assert [float(v).hex() for v in got.values()] == [float(v).hex() for v in want.values()]


def test_link_features_read_through_a_float32_memo_are_identical() -> None:
    from storyline.cluster.features import Digest, Float32Memo, compact_profile, link_features
    from storyline.cluster.testing import toy_profile

    rng = np.random.default_rng(3)

    def digest(name: str) -> Digest:
        p = toy_profile(name, rng.normal(size=8).tolist(), f"Title {name}", text="One. Two sentences here. Three.")
        p = p.replace(sentence_vectors=rng.normal(size=(3, 8)).astype(np.float32), title_vector=rng.normal(size=8).astype(np.float32))
        return Digest(compact_profile(p))

    a, b, c = digest("a"), digest("b"), digest("c")
    memo = Float32Memo(max_bytes=3 * 8 * 4 + 8 * 4)  # one sentence matrix and one vector
    for x, y in ((a, b), (a, c), (b, c), (a, b)):  # more arrays than the limit: the memo starts again
        assert link_features(x, y, None, memo) == link_features(x, y)
    assert 0 < len(memo) <= 2
    v = a.profile.sentence_vectors
    assert v.dtype == np.float16 and memo(v).dtype == np.float32 and memo(v) is memo(v)
