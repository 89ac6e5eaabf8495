"""Tiny hand-made profiles for doctests and unit tests (no encoder needed).

>>> p = toy_profile("a1", [1, 0, 0], "Quake hits Kabul", names="Kabul")
>>> p.lead_vector.shape, round(float(p.lead_vector @ p.lead_vector), 3)
((512,), 1.0)
"""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np

from storyline.analyse.language import split_sentences
from storyline.analyse.profile import minhash_signature
from storyline.types import Profile, Segment


def toy_profile(
    article_id: str,
    direction: list[float],
    title: str,
    *,
    names: str = "",
    language: str = "en",
    text: str | None = None,
    day: str | None = None,
) -> Profile:
    """A profile whose vectors all point along ``direction`` (padded to 512 dims).

    ``names`` are capitalised words put into a sentence so the name features see them.
    """
    v = np.zeros(512, dtype=np.float32)
    v[: len(direction)] = direction
    v /= float(np.linalg.norm(v)) or 1.0
    body = text if text is not None else f"{title}. Reports from {names} said so."
    sentences = (title, f"Reports from {names} said so.") if text is None else tuple(split_sentences(text))
    return Profile(
        article_id=article_id,
        title=title,
        language=language,
        segments=(Segment(language, 0, len(body), body),),
        sentences=sentences,
        title_vector=v,
        sentence_vectors=np.stack([v] * len(sentences)),
        lead_vector=v,
        published_at=datetime.fromisoformat(day).replace(tzinfo=timezone.utc) if day else None,
        n_chars=len(body),
        shingles=minhash_signature(body),
    )
