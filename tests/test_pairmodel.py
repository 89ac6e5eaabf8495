"""The pair network: numpy inference matches torch training, it learns, it explains, it plugs into the scorer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from storyline.errors import ModelError
from storyline.pairmodel import (
    STACK_NAMES,
    ArticleInput,
    PairModel,
    TrainConfig,
    _pack,
    _torch_module,
    article_input,
    out_of_fold,
    train_pair_ensemble,
    train_pair_model,
)
from storyline.types import DIMENSIONS, Profile

TINY = TrainConfig(hidden=8, epochs=12, batch=16, lr=1e-2)


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=-1, keepdims=True)).astype(np.float32)


def _profile(name: str, vectors: np.ndarray) -> Profile:
    return Profile(
        article_id=name,
        title=name,
        language="en",
        segments=(),
        sentences=tuple(f"{name} sentence {i}" for i in range(len(vectors))),
        title_vector=_unit(vectors[:2].mean(axis=0)),
        sentence_vectors=vectors,
        lead_vector=_unit(vectors[:3].mean(axis=0)),
    )


def _synthetic(n: int, seed: int) -> list[tuple[Profile, Profile, dict[str, float]]]:
    """Half the pairs retell the same sentences (shuffled, noisy): gold 1; the rest are unrelated: gold 4."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        a = _unit(rng.normal(size=(int(rng.integers(4, 30)), 512)))
        if k % 2 == 0:
            picked = rng.permutation(len(a))[: max(3, len(a) - 2)]
            b = _unit(a[picked] + rng.normal(scale=0.04, size=(len(picked), 512)))
            gold = 1.0
        else:
            b = _unit(rng.normal(size=(int(rng.integers(4, 30)), 512)))
            gold = 4.0
        out.append((_profile(f"a{seed}-{k}", a), _profile(f"b{seed}-{k}", b), {d: gold for d in DIMENSIONS}))
    return out


@pytest.fixture(scope="module")
def trained() -> PairModel:
    data = _synthetic(96, seed=1)
    return train_pair_model([(article_input(a), article_input(b), g) for a, b, g in data], TINY)


def test_layout_keeps_title_lead_head_and_tail() -> None:
    p = _profile("x", _unit(np.random.default_rng(0).normal(size=(40, 512))))
    inp = article_input(p)
    assert list(inp.index[:3]) == [-1, -2, 0]
    assert inp.index[-1] == 39 and len(inp.index) == 2 + 20 + 6
    short = article_input(_profile("y", p.sentence_vectors[:5]))
    assert list(short.index) == [-1, -2, 0, 1, 2, 3, 4]


def test_numpy_inference_matches_the_torch_network(trained: PairModel) -> None:
    import torch

    net = _torch_module(TINY.hidden, 0.0)
    with torch.no_grad():
        for k, v in trained.weights.items():
            net.p[k].copy_(torch.from_numpy(v))
    net.eval()
    data = _synthetic(6, seed=5)
    inputs = [(article_input(a), article_input(b)) for a, b, _ in data]
    xa, ma, sa = _pack([i[0] for i in inputs])
    xb, mb, sb = _pack([i[1] for i in inputs])
    with torch.no_grad():
        expected = net(*(torch.from_numpy(t) for t in (xa, ma, sa, xb, mb, sb))).numpy()
    got = trained.predict_inputs(inputs)
    assert np.allclose(got, np.clip(expected, 1, 4), atol=1e-4)


def test_it_learns_retold_from_unrelated_on_unseen_pairs(trained: PairModel) -> None:
    held_out = _synthetic(20, seed=9)
    scores = np.array([trained.predict(a, b)["overall"] for a, b, _ in held_out])
    same, other = scores[0::2], scores[1::2]
    assert same.mean() < 2.0 < 3.0 < other.mean()
    assert trained.predict(held_out[0][0], held_out[0][1]) == pytest.approx(trained.predict(held_out[0][1], held_out[0][0]), abs=1e-4)


def test_explain_points_at_the_retold_sentences(trained: PairModel) -> None:
    rng = np.random.default_rng(3)
    a = _unit(rng.normal(size=(8, 512)))
    b = _unit(np.vstack([rng.normal(size=(3, 512)), a[5] + 0.02 * rng.normal(size=512), rng.normal(size=(2, 512))]))
    pa, pb = _profile("a", a), _profile("b", b)
    pairs = trained.explain(pa, pb, k=3)
    assert (pairs[0]["a_index"], pairs[0]["b_index"]) == (5, 3)
    assert pairs[0]["a"] == "a sentence 5" and pairs[0]["score"] > 0.8
    assert pairs[0]["weight"] >= pairs[-1]["weight"] > 0
    assert len({p["a_index"] for p in pairs}) == len(pairs)


def test_save_load_round_trip_and_bad_files(trained: PairModel, tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    trained.save(path)
    again = PairModel.load(path)
    x = _synthetic(2, seed=4)
    assert again.predict(x[0][0], x[0][1]) == trained.predict(x[0][0], x[0][1])
    assert again.meta["n_pairs"] == 96
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="bad.npz"):
        PairModel.load(tmp_path / "bad.npz")
    with pytest.raises(ModelError, match="not found"):
        PairModel.load(tmp_path / "missing.npz")


def test_ensemble_averages_its_members_and_round_trips(tmp_path: Path) -> None:
    data = _synthetic(48, seed=6)
    triples = [(article_input(a), article_input(b), g) for a, b, g in data]
    ensemble = train_pair_ensemble(triples, TINY, members=3)
    assert len(ensemble.members) == 3 and ensemble.meta["members"] == 3
    singles = [PairModel(w) for w in ensemble.members]
    held_out = [(article_input(a), article_input(b)) for a, b, _ in _synthetic(6, seed=8)]
    outs = [m.predict_inputs(held_out) for m in singles]
    assert not np.allclose(outs[0], outs[1], atol=1e-3)  # other seeds: other networks
    raw = np.mean([[m._forward(a, b)[0] for a, b in held_out] for m in singles], axis=0)
    assert np.allclose(ensemble.predict_inputs(held_out), np.clip(raw, 1, 4), atol=1e-5)
    # the first member is the single network of the same seed
    assert np.allclose(singles[0].predict_inputs(held_out), train_pair_model(triples, TINY).predict_inputs(held_out), atol=1e-5)
    path = tmp_path / "e.npz"
    ensemble.save(path)
    again = PairModel.load(path)
    assert len(again.members) == 3
    assert np.array_equal(again.predict_inputs(held_out), ensemble.predict_inputs(held_out))
    assert again.explain(data[0][0], data[0][1]) == ensemble.explain(data[0][0], data[0][1])
    with np.load(path) as z:  # a member missing in the middle is an error, not a silent smaller model
        arrays = {k: z[k] for k in z.files if not k.startswith("m1.")}
    np.savez(tmp_path / "gap.npz", **arrays)
    with pytest.raises(ModelError, match="networks"):
        PairModel.load(tmp_path / "gap.npz")


def test_out_of_fold_never_scores_a_row_with_a_model_that_saw_it() -> None:
    data = _synthetic(40, seed=2)
    inputs = [(article_input(a), article_input(b)) for a, b, _ in data]
    golds = [g for _, _, g in data]
    golds[0] = {d: 4.0 for d in DIMENSIONS}  # a retold pair labelled unrelated: only a leak would fit it
    oof = out_of_fold(inputs, golds, list(range(40)), n_folds=4, config=TINY)
    assert oof.shape == (40, 7) and not np.isnan(oof).any()
    overall = oof[:, DIMENSIONS.index("overall")]
    assert overall[0] < overall[1::2].mean()  # scored like the retold pairs it resembles, not like its label


def test_scorer_with_pair_model_trains_saves_loads_and_explains(tmp_path: Path) -> None:
    from storyline.scorer import PairScorer, train

    data = _synthetic(60, seed=6)
    scorer = train(data, groups=("embedding", "surface"), num_rounds=30, params={"min_data_in_leaf": 3}, pair_model=TINY)
    assert scorer.groups[-1] == "pairmodel" and scorer.feature_names[-7:] == STACK_NAMES
    path = tmp_path / "scorer.json"
    scorer.save(path)
    assert json.loads(path.read_text())["groups"][-1] == "pairmodel" and (tmp_path / "scorer.npz").exists()
    loaded = PairScorer.load(path)
    a, b, _ = _synthetic(2, seed=8)[0]
    result = loaded.score(a, b)
    assert result.scores["overall"] < 2.5
    assert "weight" in result.evidence.sentence_pairs[0]
    assert loaded.feature_matrix([(a, b)]).shape == (1, len(loaded.feature_names))
    (tmp_path / "scorer.npz").unlink()
    with pytest.raises(ModelError, match="scorer.npz"):
        PairScorer.load(path)


def test_article_input_is_a_plain_record() -> None:
    inp = ArticleInput(np.zeros((2, 512), dtype=np.float32), np.array([-1, -2]))
    assert PairModel.random().predict_inputs([(inp, inp)]).shape == (1, 7)


def test_bundled_scorer_ships_the_pair_model_and_compare_shows_its_evidence() -> None:
    from click.testing import CliRunner

    from storyline.cli import main
    from storyline.scorer import PairScorer

    scorer = PairScorer.load()
    assert "pairmodel" in scorer.groups and scorer.pair_model is not None
    samples = Path(__file__).resolve().parents[1] / "storyline" / "samples"
    args = ["compare", str(samples / "01_en_doha_round2.txt"), str(samples / "03_de_doha_round2.txt")]
    result = CliRunner().invoke(main, [*args, "--json"], catch_exceptions=False)
    data = json.loads(result.stdout)
    pairs = data["evidence"]["sentence_pairs"]
    assert pairs and all({"a", "b", "score", "weight", "a_index", "b_index"} <= set(p) for p in pairs)
    assert set(data["scores"]) == set(DIMENSIONS)
    human = CliRunner().invoke(main, args, catch_exceptions=False).stdout
    assert "drove the pair model" in human and pairs[0]["a"][:40] in human
