"""Cheap candidate stage: which few events could a new article belong to?

Two blocking signals, both cheap and both pure reads at query time:

* :class:`CentroidIndex` — nearest event centroids by cosine, brute force over
  a numpy matrix, switching to an HNSW index (hnswlib) once there are more than
  ``ann_after`` events; results are filtered by a time window.
* :class:`MinHashBands` — locality-sensitive hashing over the profile's MinHash
  signature (``Profile.shingles``), so near-duplicates always meet.

>>> import numpy as np
>>> index = CentroidIndex(dim=3)
>>> index.upsert(0, np.array([1.0, 0.0, 0.0], dtype=np.float32), day=10)
>>> index.upsert(1, np.array([0.0, 1.0, 0.0], dtype=np.float32), day=10)
>>> index.query(np.array([0.9, 0.1, 0.0], dtype=np.float32), k=1, day=12, window=5)
[(0, 0.9)]
>>> index.query(np.array([0.9, 0.1, 0.0], dtype=np.float32), k=1, day=40, window=5)
[]
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np


class CentroidIndex:
    """Event centroids with their day range, searchable by cosine within a time window.

    ``day`` values are proleptic ordinals (``date.toordinal()``) or None when unknown;
    an event or a query with no known day is never excluded by the window.
    """

    def __init__(self, dim: int = 512, ann_after: int = 3000) -> None:
        self.dim = dim
        self.ann_after = ann_after
        self._vectors = np.zeros((0, dim), dtype=np.float32)
        self._first = np.zeros(0, dtype=np.float64)  # nan = unknown
        self._last = np.zeros(0, dtype=np.float64)
        self._alive = np.zeros(0, dtype=bool)
        self._ann = None  # hnswlib.Index once large
        self._ann_deleted = 0  # entries marked deleted in it
        self._n_slots = 0  # highest slot + 1
        self._n_alive = 0

    def __len__(self) -> int:
        return self._n_alive

    def upsert(self, slot: int, vector: np.ndarray, *, day: int | None) -> None:
        """Set (or update) the centroid of event ``slot`` and widen its day range with ``day``."""
        if slot >= len(self._vectors):
            grow = max(slot + 1, 2 * len(self._vectors), 64)
            self._vectors = _resize(self._vectors, (grow, self.dim), 0.0)
            self._first = _resize(self._first, (grow,), np.nan)
            self._last = _resize(self._last, (grow,), np.nan)
            self._alive = _resize(self._alive, (grow,), False)
        # an HNSW update re-links the point's neighbours (~1 ms at 20k stories): skip it when only the day range moves
        changed = not self._alive[slot] or not np.array_equal(self._vectors[slot], vector)
        self._vectors[slot] = vector
        if not self._alive[slot]:
            self._alive[slot] = True
            self._n_alive += 1
        self._n_slots = max(self._n_slots, slot + 1)
        if day is not None:
            self._first[slot] = day if np.isnan(self._first[slot]) else min(self._first[slot], day)
            self._last[slot] = day if np.isnan(self._last[slot]) else max(self._last[slot], day)
        if self._ann is None and len(self) > self.ann_after:
            self._build_ann()
        elif self._ann is not None and changed:
            self._ann_add([slot])

    def remove(self, slot: int) -> None:
        """Forget event ``slot`` (merged into another, or retired).

        The HNSW index only marks it deleted; once the live events fall below half of
        ``ann_after`` the index is dropped (brute force again), and once more entries are
        deleted than live it is rebuilt, so a long stream that retires old events keeps
        the search as cheap as its live set.
        """
        if slot >= len(self._alive) or not self._alive[slot]:
            return
        self._alive[slot] = False
        self._n_alive -= 1
        if self._ann is None:
            return
        self._ann_deleted += 1
        live = len(self)
        if live < self.ann_after // 2:
            self._ann, self._ann_deleted = None, 0
        elif self._ann_deleted > live:
            self._build_ann()
        else:
            try:
                self._ann.mark_deleted(slot)
            except RuntimeError:  # already deleted
                pass

    def query(self, vector: np.ndarray, *, k: int, day: int | None, window: float, floor: float = -1.0) -> list[tuple[int, float]]:
        """Up to ``k`` (slot, cosine) of live events within ``window`` days of ``day``, best first."""
        if not len(self):
            return []
        if self._ann is not None:
            n = min(len(self), max(4 * k, 50))
            self._ann.set_ef(max(n, 64))
            labels, distances = self._ann.knn_query(vector.reshape(1, -1), k=n)
            slots = labels[0].astype(np.int64)
            sims = 1.0 - distances[0]
        else:
            # one product over the rows in place from the first live one (events retire roughly in
            # slot order, so that range is mostly live): copying the live rows out first cost ~30x more
            n = self._n_slots
            lo = int(np.argmax(self._alive[:n]))
            if n - lo <= 2 * self._n_alive:
                live = self._alive[lo:n]
                sims = (self._vectors[lo:n] @ vector)[live]
                slots = lo + np.flatnonzero(live)
            else:
                slots = np.flatnonzero(self._alive)
                sims = self._vectors[slots] @ vector
        keep = sims >= floor
        if day is not None:
            first, last = self._first[slots], self._last[slots]
            unknown = np.isnan(first)
            inside = (day >= first - window) & (day <= last + window)
            keep &= unknown | inside
        slots, sims = slots[keep], sims[keep]
        order = np.argsort(-sims, kind="stable")[:k]
        return [(int(slots[i]), round(float(sims[i]), 6)) for i in order]

    def _build_ann(self) -> None:
        import hnswlib

        self._ann = hnswlib.Index(space="ip", dim=self.dim)
        self._ann.init_index(max_elements=max(1024, 2 * len(self)), ef_construction=100, M=16, random_seed=1)
        self._ann_deleted = 0
        self._ann.set_num_threads(1)
        self._ann_add(np.flatnonzero(self._alive).tolist())

    def _ann_add(self, slots: Iterable[int]) -> None:
        assert self._ann is not None
        slots = list(slots)
        need = self._ann.get_current_count() + len(slots)  # labels are slots; capacity counts entries
        if need > self._ann.get_max_elements():
            self._ann.resize_index(max(need, 2 * self._ann.get_max_elements()))
        self._ann.add_items(self._vectors[slots], np.asarray(slots, dtype=np.int64))


def _resize(arr: np.ndarray, shape: tuple[int, ...], fill: object) -> np.ndarray:
    out = np.full(shape, fill, dtype=arr.dtype)
    out[: len(arr)] = arr
    return out


def band_keys(signatures: np.ndarray, rows: int = 4) -> np.ndarray:
    """One 64-bit key per (signature, band) of ``rows`` values: the band's number and its rows,
    hashed with wrap-around arithmetic; shape ``(n, bands)``. The online :class:`MinHashBands`
    and the corpus-wide batch join (:mod:`storyline.batch.duplicates`) use the same keys.

    >>> sig = np.arange(8, dtype=np.uint32).reshape(1, 8)
    >>> k = band_keys(np.vstack([sig, sig, sig + 1]))
    >>> k.shape, bool((k[0] == k[1]).all()), bool((k[0] == k[2]).any())
    ((3, 2), True, False)
    """
    n, width = signatures.shape
    bands = width // rows
    s = signatures[:, : bands * rows].astype(np.uint64).reshape(n, bands, rows)
    key = np.full((n, bands), 0xCBF29CE484222325, dtype=np.uint64) ^ np.arange(bands, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for r in range(rows):
            key = (key ^ s[:, :, r]) * np.uint64(0x100000001B3)
            key ^= key >> np.uint64(29)
    return key


class MinHashBands:
    """Banded LSH over MinHash signatures: items sharing any band are candidates.

    With 64 permutations in 16 bands of 4 rows, pairs with Jaccard ≥ 0.5 meet
    with probability > 0.6 per band… > 0.99 overall; pairs below 0.2 rarely do.

    Compact at scale: signatures are rows of one ``uint32`` matrix, and each band
    becomes one 64-bit key kept in sorted NumPy arrays (recent additions wait in a
    small dict and are merged in batches) — about 0.5 kB per item instead of ~7 kB
    of Python tuples and dicts.

    >>> from storyline.analyse.profile import minhash_signature
    >>> bands = MinHashBands()
    >>> bands.add("a", minhash_signature("The quick brown fox jumps over the lazy dog near the bank of the river."))
    >>> bands.query(minhash_signature("The quick brown fox jumps over the lazy dog near the bank of the river!"))
    ['a']
    >>> bands.query(minhash_signature("Stocks fell sharply in Tokyo as investors sold bank shares."), min_jaccard=0.5)
    []
    """

    def __init__(self, rows: int = 4) -> None:
        self.rows = rows
        self._items: list[str] = []
        self._signatures = np.zeros((0, 0), dtype=np.uint32)
        self._keys = np.zeros(0, dtype=np.uint64)  # sorted band keys ...
        self._owners = np.zeros(0, dtype=np.int32)  # ... and the item (row) of each
        self._pending: dict[int, list[int]] = {}
        self._n_pending = 0
        self._row_of: dict[str, int] = {}  # item -> its row, for the live items
        self._dead = np.zeros(0, dtype=bool)  # rows removed, until the next compaction

    def __len__(self) -> int:
        return len(self._row_of)

    def remove(self, items: Iterable[str]) -> None:
        """Forget ``items`` (articles of retired events): they are never returned again, and
        their rows are dropped once more rows are dead than live.

        >>> from storyline.analyse.profile import minhash_signature
        >>> bands = MinHashBands()
        >>> sig = minhash_signature("The quick brown fox jumps over the lazy dog near the bank of the river.")
        >>> bands.add("a", sig); bands.add("b", sig)
        >>> bands.remove(["a"]); bands.query(sig), len(bands)
        (['b'], 1)
        """
        for item in items:
            row = self._row_of.pop(item, None)
            if row is not None:
                self._dead[row] = True
        n_dead = len(self._items) - len(self._row_of)
        if n_dead > max(1024, len(self._row_of)):
            self._compact()

    def _compact(self) -> None:
        """Drop the dead rows: signatures, items and band keys of live items only, renumbered in order."""
        self._consolidate()
        n = len(self._items)
        live = np.flatnonzero(~self._dead[:n])
        new_row = np.full(n, -1, dtype=np.int64)
        new_row[live] = np.arange(len(live))
        keep = ~self._dead[self._owners]
        self._keys, self._owners = self._keys[keep], new_row[self._owners[keep]].astype(np.int32)
        self._signatures = self._signatures[live].copy()
        self._items = [self._items[r] for r in live.tolist()]
        self._row_of = {item: i for i, item in enumerate(self._items)}
        self._dead = np.zeros(len(self._signatures), dtype=bool)

    def _band_keys(self, signature: Sequence[int] | np.ndarray) -> np.ndarray:
        """One 64-bit key per band of one signature (:func:`band_keys`)."""
        return band_keys(np.asarray(signature, dtype=np.uint64).reshape(1, -1), self.rows)[0]

    def add(self, item: str, signature: Sequence[int] | np.ndarray) -> None:
        sig = np.asarray(signature, dtype=np.uint32)
        row = len(self._items)
        if self._signatures.shape[1] != len(sig):
            if row:
                raise ValueError(f"signature of {len(sig)} values, the index holds {self._signatures.shape[1]}")
            self._signatures = np.zeros((0, len(sig)), dtype=np.uint32)
        if row >= len(self._signatures):
            grown = np.zeros((max(64, 2 * len(self._signatures)), len(sig)), dtype=np.uint32)
            grown[:row] = self._signatures[:row]
            self._signatures = grown
        if row >= len(self._dead):
            self._dead = _resize(self._dead, (len(self._signatures),), False)
        self._signatures[row] = sig
        self._items.append(item)
        self._row_of[item] = row
        for key in self._band_keys(sig).tolist():
            self._pending.setdefault(key, []).append(row)
            self._n_pending += 1
        if self._n_pending > max(4096, len(self._keys) // 8):
            self._consolidate()

    def _consolidate(self) -> None:
        """Move the pending keys into the sorted arrays."""
        if not self._n_pending:
            return
        keys = np.fromiter((k for k, rows in self._pending.items() for _ in rows), dtype=np.uint64, count=self._n_pending)
        owners = np.fromiter((r for rows in self._pending.values() for r in rows), dtype=np.int32, count=self._n_pending)
        keys, owners = np.concatenate([self._keys, keys]), np.concatenate([self._owners, owners])
        order = np.argsort(keys, kind="stable")
        self._keys, self._owners = keys[order], owners[order]
        self._pending, self._n_pending = {}, 0

    def query(self, signature: Sequence[int] | np.ndarray, min_jaccard: float = 0.0) -> list[str]:
        """Items sharing a band with ``signature`` whose estimated Jaccard is at least ``min_jaccard``
        (in the order they were added)."""
        if not len(signature) or not self._items or len(signature) != self._signatures.shape[1]:
            return []
        keys = self._band_keys(signature)
        found: set[int] = set()
        if len(self._keys):
            lo = np.searchsorted(self._keys, keys, side="left")
            hi = np.searchsorted(self._keys, keys, side="right")
            for a, b in zip(lo.tolist(), hi.tolist()):
                if b > a:
                    found.update(self._owners[a:b].tolist())
        for key in keys.tolist():
            found.update(self._pending.get(key, ()))
        if not found:
            return []
        rows = np.fromiter(sorted(found), dtype=np.int64, count=len(found))
        rows = rows[~self._dead[rows]]
        if min_jaccard > 0:
            same = (self._signatures[rows] == np.asarray(signature, dtype=np.uint32)).mean(axis=1)
            rows = rows[same >= min_jaccard]
        return [self._items[r] for r in rows.tolist()]

    def __getstate__(self) -> dict[str, object]:
        self._consolidate()
        state = dict(self.__dict__)
        state["_signatures"] = self._signatures[: len(self._items)].copy()
        state["_dead"] = self._dead[: len(self._items)].copy()
        del state["_row_of"]  # rebuilt on load
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._row_of = {item: r for r, item in enumerate(self._items) if not self._dead[r]}
