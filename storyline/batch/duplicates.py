"""Near-duplicates across a whole profiled corpus: MinHash LSH, recorded as copy links.

The online :class:`~storyline.cluster.EventClusterer` notices a copy only when the
original is among the few representatives of a candidate event it compares; here
every profiled article meets every other that shares a MinHash band. It runs in
three steps:

1. **map** (one task per Parquet part, on worker processes or Ray tasks): decode the
   profiles, keep id, date, language and the 64-value MinHash signature, and cut the
   signature into 16 bands of 4 rows, each hashed to one 64-bit key;
2. **join** (driver, NumPy): per band, sort the keys; articles with equal keys are
   candidate pairs (a bucket of more than ``max_bucket`` articles — boilerplate — pairs
   each member only with its ``max_bucket`` oldest);
3. **verify**: a candidate pair of the same language whose Jaccard estimate (equal
   signature values) reaches ``threshold`` — the clusterer's ``duplicate_threshold``,
   0.5 — is a near-duplicate, exactly the online rule. Each copy links to the oldest
   article it duplicates (the corpus order: publication time, then article id), as
   the online copy graph links a copy to the earlier-published article.

>>> import pathlib, tempfile, json
>>> from storyline.batch.shards import plan_shards
>>> from storyline.batch.executors import run_local
>>> tmp = pathlib.Path(tempfile.mkdtemp())
>>> wire = "The central bank raised its main interest rate by half a point on Thursday to fight inflation, its governor said."
>>> rows = [{"title": "Rates up", "text": wire, "date": "2022-05-05"},
...         {"title": "Rates up again", "text": wire.replace("Thursday", "Thursday morning"), "date": "2022-05-06"},
...         {"title": "Cup final", "text": "The home side won the cup final on penalties after extra time.", "date": "2022-05-06"}]
>>> _ = (tmp / "a.jsonl").write_text("\\n".join(json.dumps(r) for r in rows))
>>> out = str(tmp / "out")
>>> _ = list(run_local(plan_shards([str(tmp / "a.jsonl")]), out, "lexical"))
>>> [(link.kind, link.score >= 0.5) for link in find_near_duplicates(out, workers=0)]
[('near_duplicate', True)]
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from storyline.batch.corpus import _part_paths
from storyline.cluster.candidates import band_keys
from storyline.batch.work import _write_atomic, filesystem

ROWS = 4
"""Signature values per band (64 permutations → 16 bands), as in the online clusterer's MinHash bands."""
COPIES_FILE = "_copies.parquet"


@dataclass(frozen=True)
class CopyLink:
    """``copy`` reproduces ``original`` (the older one): ``near_duplicate`` or ``translation``, with its score."""

    copy: str
    original: str
    kind: str
    score: float


def part_signatures(path: str, out: str) -> dict[str, Any]:
    """The map step for one part: ids, dates (µs since 1970; ``dated`` False where unknown), languages and MinHash signatures."""
    import pyarrow.parquet as pq

    from storyline.store.codec import decode_profile

    fs, _ = filesystem(out)
    with fs.open_input_file(path) as fh:
        table = pq.read_table(fh, columns=["article_id", "published_at", "language", "profile"])
    ids, whens, dated, langs, sigs = [], [], [], [], []
    for row in table.to_pylist():
        shingles = decode_profile(row["profile"]).shingles
        if len(shingles) == 0:
            continue  # too short to shingle: never a near-duplicate online either
        ids.append(row["article_id"])
        when = row["published_at"]
        whens.append(0 if when is None else int(when.timestamp() * 1_000_000))
        dated.append(when is not None)
        langs.append(row["language"] or "")
        sigs.append(np.asarray(shingles, dtype=np.uint32))
    width = len(sigs[0]) if sigs else 0
    return {
        "ids": ids,
        "when": np.asarray(whens, dtype=np.int64),
        "dated": np.asarray(dated, dtype=bool),
        "language": langs,
        "signatures": np.vstack(sigs) if sigs else np.zeros((0, width), dtype=np.uint32),
    }


def candidate_pairs(keys: np.ndarray, *, max_bucket: int = 200) -> tuple[np.ndarray, int]:
    """Unique pairs ``(i, j)``, ``i < j``, of rows sharing a band key; and how many buckets were capped.

    Rows must be in corpus order (oldest first): a capped bucket pairs every member with its
    ``max_bucket`` oldest members only.

    >>> keys = np.array([[1, 7], [1, 8], [2, 8], [3, 9]], dtype=np.uint64)
    >>> candidate_pairs(keys)[0].tolist()
    [[0, 1], [1, 2]]
    """
    found: list[np.ndarray] = []
    capped = 0
    for band in range(keys.shape[1]):
        col = keys[:, band]
        order = np.argsort(col, kind="stable")  # stable: members of a bucket stay oldest first
        sorted_keys = col[order]
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        sizes = np.diff(np.r_[starts, len(col)])
        for start, size in zip(starts[sizes > 1].tolist(), sizes[sizes > 1].tolist()):
            members = order[start : start + size]
            head = members[:max_bucket]
            capped += size > max_bucket
            a, b = np.meshgrid(head, members, indexing="ij")
            pairs = np.stack([a.ravel(), b.ravel()], axis=1)
            found.append(pairs[pairs[:, 0] < pairs[:, 1]])
    if not found:
        return np.zeros((0, 2), dtype=np.int64), capped
    allpairs = np.concatenate(found).astype(np.int64)
    return np.unique(allpairs, axis=0), capped


def _map(paths: Sequence[str], out: str, engine: str, workers: int, address: str | None) -> Iterator[dict[str, Any]]:
    if engine == "ray":
        from storyline.batch.executors import init_ray

        ray = init_ray(address)
        task = ray.remote(num_cpus=1)(part_signatures)
        root = out if "://" in out else os.path.abspath(out)
        yield from ray.get([task.remote(p, root) for p in paths])
        return
    if workers <= 0 or len(paths) <= 1:
        for p in paths:
            yield part_signatures(p, out)
        return
    import multiprocessing as mp

    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context("spawn")
    with ctx.Pool(min(workers, len(paths))) as pool:
        yield from pool.starmap(part_signatures, [(p, out) for p in paths], chunksize=1)


def find_near_duplicates(
    out: str,
    *,
    threshold: float = 0.5,
    engine: str = "local",
    workers: int = 2,
    address: str | None = None,
    max_bucket: int = 200,
) -> list[CopyLink]:
    """Every profiled article of ``out`` that near-duplicates an older one (same language, MinHash
    Jaccard ≥ ``threshold``), linked to the oldest such article; in corpus order."""
    parts = list(_map(_part_paths(out), out, engine, workers, address))
    ids = [a for p in parts for a in p["ids"]]
    if len(ids) < 2:
        return []
    when = np.concatenate([p["when"] for p in parts])
    dated = np.concatenate([p["dated"] for p in parts])
    langs = np.asarray([x for p in parts for x in p["language"]])
    sigs = np.vstack([p["signatures"] for p in parts])
    id_arr = np.asarray(ids)
    order = np.lexsort((id_arr, np.where(dated, when, 0), ~dated))  # dated by time, then undated; ties by id
    id_arr, langs, sigs = id_arr[order], langs[order], sigs[order]
    pairs, _ = candidate_pairs(band_keys(sigs, ROWS), max_bucket=max_bucket)
    if not len(pairs):
        return []
    i, j = pairs[:, 0], pairs[:, 1]
    same = langs[i] == langs[j]
    i, j = i[same], j[same]
    score = np.empty(len(i), dtype=np.float64)
    for s in range(0, len(i), 65536):  # chunks keep the comparison matrix small
        score[s : s + 65536] = (sigs[i[s : s + 65536]] == sigs[j[s : s + 65536]]).mean(axis=1)
    keep = score >= threshold
    i, j, score = i[keep], j[keep], score[keep]
    first = np.lexsort((i, j))  # for each copy j, its oldest original i first
    i, j, score = i[first], j[first], score[first]
    lead = np.r_[True, j[1:] != j[:-1]]
    return [CopyLink(str(id_arr[b]), str(id_arr[a]), "near_duplicate", round(float(s), 4)) for a, b, s in zip(i[lead], j[lead], score[lead])]


def translations_of(copies: Any, articles: Iterable[str] | None = None) -> list[CopyLink]:
    """The ``translation`` edges of a clusterer's copy graph (``EventClusterer.copies_``), those of
    ``articles`` only when given: MinHash cannot see them, the clusterer's judgement does."""
    wanted = None if articles is None else set(articles)
    return [CopyLink(c, o, k, s) for c, o, k, s in copies.edges if k == "translation" and (wanted is None or c in wanted)]


def write_copies(out: str, links: Sequence[CopyLink]) -> None:
    """``out/_copies.parquet``: ``copy_id, original_id, kind, score`` (written atomically)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "copy_id": [x.copy for x in links],
            "original_id": [x.original for x in links],
            "kind": [x.kind for x in links],
            "score": pa.array([x.score for x in links], pa.float32()),
        }
    )

    def write(fs: Any, path: str) -> None:
        with fs.open_output_stream(path) as fh:
            pq.write_table(table, fh, compression="zstd")

    _write_atomic(out, COPIES_FILE, write)


def copy_graph(links: Iterable[CopyLink]) -> Any:
    """The links as the online clusterer's :class:`~storyline.cluster.events.CopyGraph`."""
    from storyline.cluster.events import CopyGraph

    graph = CopyGraph()
    for x in links:
        graph.add(x.copy, x.original, x.kind, x.score)
    return graph


__all__ = ["COPIES_FILE", "CopyLink", "candidate_pairs", "copy_graph", "find_near_duplicates", "part_signatures", "translations_of", "write_copies"]
