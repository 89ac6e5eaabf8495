"""River/sklearn conventions for the clustering models: parameters, clone, validation, candidates."""

from __future__ import annotations

import inspect
import pickle

import numpy as np
import pytest

from storyline.cluster.candidates import CentroidIndex, MinHashBands
from storyline.cluster.events import EventClusterer
from storyline.cluster.stories import StoryLinker
from storyline.cluster.testing import toy_profile
from storyline.errors import ConfigError

MODELS = [EventClusterer, StoryLinker]


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_init_stores_parameters_unchanged(cls):
    params = {n: p.default for n, p in inspect.signature(cls.__init__).parameters.items() if n != "self"}
    model = cls(**params)
    for name, value in params.items():
        assert getattr(model, name) is value
    assert not [a for a in vars(model) if a.endswith("_")]  # no learned state before learning


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_clone_uses_constructor_params(cls):
    model = cls(threshold=0.42)
    twin = model.clone()
    assert type(twin) is cls and twin.threshold == 0.42 and repr(twin) == repr(model)
    assert model.clone(threshold=0.3).threshold == 0.3


def test_clone_of_a_fitted_model_is_unfitted():
    model = EventClusterer()
    model.learn_one(toy_profile("a", [1, 0], "Quake hits Kabul", names="Kabul"))
    assert not hasattr(model.clone(), "events_")


def test_invalid_parameter_is_reported_in_sklearn_wording():
    model = EventClusterer(threshold=1.5)  # accepted here, refused where used
    with pytest.raises(ConfigError, match="'threshold' parameter of EventClusterer must be"):
        model.learn_one(toy_profile("a", [1, 0], "Quake hits Kabul"))


def test_weights_dict_is_not_mutated():
    weights = {"bias": -1.0, "centroid_score": 3.0}
    model = EventClusterer(weights=weights)
    model.learn_one(toy_profile("a", [1, 0], "Quake hits Kabul", names="Kabul"))
    model.learn_one(toy_profile("b", [1, 0.1], "Kabul quake", names="Kabul"))
    assert weights == {"bias": -1.0, "centroid_score": 3.0}


def test_toy_stream_and_pickle():
    model = EventClusterer()
    a = model.learn_one(toy_profile("a", [1, 0, 0], "Quake hits Kabul", names="Kabul Afghanistan"))
    b = model.learn_one(toy_profile("b", [0, 1, 0], "Stocks slide in Tokyo", names="Tokyo Nikkei"))
    assert a != b
    again = pickle.loads(pickle.dumps(model))
    assert again.assignments_ == model.assignments_


def test_centroid_index_switches_to_ann_and_agrees():
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(60, 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    brute, ann = CentroidIndex(dim=16, ann_after=10_000), CentroidIndex(dim=16, ann_after=20)
    for i, v in enumerate(vecs):
        brute.upsert(i, v, day=None)
        ann.upsert(i, v, day=None)
    assert ann._ann is not None and brute._ann is None
    q = vecs[7]
    assert brute.query(q, k=3, day=None, window=1)[0][0] == ann.query(q, k=3, day=None, window=1)[0][0] == 7
    ann.remove(7)
    assert 7 not in [s for s, _ in ann.query(q, k=3, day=None, window=1)]


def test_minhash_bands_filter_by_estimate():
    from storyline.analyse.profile import minhash_signature

    bands = MinHashBands()
    bands.add("x", minhash_signature("Wildfires forced thousands to leave their homes near Athens on Sunday."))
    near = minhash_signature("Wildfires forced thousands to leave their homes near Athens on Sunday night.")
    far = minhash_signature("The central bank left interest rates unchanged at its meeting.")
    assert bands.query(near, min_jaccard=0.5) == ["x"]
    assert bands.query(far, min_jaccard=0.5) == []
