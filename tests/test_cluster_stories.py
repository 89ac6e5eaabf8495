"""Story linking and the centroid index it shares with the event clusterer: what keeps their cost flat."""

from __future__ import annotations

import pickle

import numpy as np

from storyline.cluster.candidates import CentroidIndex
from storyline.cluster.stories import StoryLinker, StoryState


def _unit(rng: np.random.Generator, dim: int) -> np.ndarray:
    v = rng.normal(size=dim).astype(np.float32)
    return v / np.linalg.norm(v)


def test_an_ann_index_follows_a_moved_centroid_and_a_widened_day_range():
    rng = np.random.default_rng(0)
    index = CentroidIndex(dim=16, ann_after=10)
    vectors = [_unit(rng, 16) for _ in range(30)]
    for slot, v in enumerate(vectors):
        index.upsert(slot, v, day=100)
    assert index._ann is not None  # past ann_after: HNSW answers
    # the same vector again, a later day: only the day range moves
    index.upsert(3, vectors[3], day=200)
    assert index.query(vectors[3], k=1, day=230, window=40) == [(3, 1.0)]
    assert index.query(vectors[4], k=1, day=230, window=40) == [(3, round(float(vectors[4] @ vectors[3]), 6))]
    # a new vector for slot 5: the index finds it there, and no longer at its old place
    moved = _unit(rng, 16)
    index.upsert(5, moved, day=100)
    assert index.query(moved, k=1, day=100, window=5)[0][0] == 5
    assert all(not (slot == 5 and sim > 0.999) for slot, sim in index.query(vectors[5], k=3, day=100, window=5))


def test_a_story_keeps_the_norm_of_its_sum_and_scores_as_from_the_sum():
    rng = np.random.default_rng(1)
    story = StoryState("s1")
    total = np.zeros(8, dtype=np.float32)
    for _ in range(5):
        v = _unit(rng, 8)
        story.add_vector(v)
        total = total + v
    assert story.norm == float(np.linalg.norm(total))
    np.testing.assert_array_equal(story.centroid, total / np.float32(np.linalg.norm(total)))
    # a story pickled before it kept its norm (an older snapshot) has none: the centroid is computed from the sum
    old = pickle.loads(pickle.dumps(story))
    del old.__dict__["norm"]
    assert old.norm is None
    np.testing.assert_array_equal(old.centroid, story.centroid)
    assert old.norm == story.norm  # and kept from then on


def test_linking_keeps_every_story_norm_current():
    from storyline.cluster.events import EventClusterer
    from storyline.cluster.testing import toy_profile

    events = EventClusterer()
    rng = np.random.default_rng(2)
    base = _unit(rng, 6)
    for i in range(12):
        vec = base + 0.4 * _unit(rng, 6) if i % 2 else _unit(rng, 6)
        _ = events.learn_one(toy_profile(f"a{i}", vec.tolist(), f"Talks {i}", text=f"Talks {i}. Envoy met in Doha.", day=f"2020-03-{i + 1:02d}"))
    linker = StoryLinker()
    linker.link_many(events)
    assert linker.stories_
    for story in linker.stories_.values():
        assert story.norm is not None and abs(story.norm - float(np.linalg.norm(story.vector_sum))) < 1e-6
        assert abs(float(np.linalg.norm(story.centroid)) - 1.0) < 1e-5
