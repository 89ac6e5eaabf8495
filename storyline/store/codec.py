"""A compact, versioned, pickle-free encoding of profiles for the store.

Layout: ``b"SLP"`` + version byte + zlib( 4-byte header length + JSON header +
float16 vectors (title, lead, then one row per sentence), then, in a deep profile, the
second encoder's vectors (``e5`` in the header holds their shape) ). No pickle, so an
imported store file cannot run code. float16 keeps cosines to about 1e-3; the
pipeline clusters the *decoded* profile, so a replay after a restart makes
exactly the decisions the first run made.

>>> from storyline.cluster.testing import toy_profile
>>> p = toy_profile("a1", [1, 0.5], "Quake hits Kabul", names="Kabul Afghanistan", day="2020-02-29")
>>> q = decode_profile(encode_profile(p))
>>> (q.article_id, q.title, q.published_at.year, q.sentence_vectors.shape, q.shingles == p.shingles)
('a1', 'Quake hits Kabul', 2020, (2, 512), True)
>>> round(float(q.lead_vector @ p.lead_vector), 3)
1.0
>>> q.e5_vectors is None
True
>>> d = decode_profile(encode_profile(p.replace(e5_vectors=np.full((2, 384), 0.05, np.float32))))
>>> d.e5_vectors.shape, round(float(d.e5_vectors[1, 0]), 3), d.sentence_vectors.shape
((2, 384), 0.05, (2, 512))
>>> decode_profile(b"nonsense")
Traceback (most recent call last):
...
storyline.store.base.StoreError: [E301] not a storyline profile (bad magic b'nons')
"""

from __future__ import annotations

import json
import struct
import zlib
from datetime import date, datetime
from itertools import starmap
from typing import Any

import numpy as np

from storyline.store.base import StoreError
from storyline.types import DateMention, Mention, NumberMention, Place, Profile, Segment

MAGIC = b"SLP"
VERSION = 1


def encode_profile(p: Profile) -> bytes:
    """Profile → bytes (see the module docstring for the layout)."""
    dim = int(p.lead_vector.shape[0])
    sv = np.asarray(p.sentence_vectors, dtype=np.float32).reshape(-1, dim) if p.sentence_vectors.size else np.zeros((0, dim), np.float32)
    header = {
        "id": p.article_id,
        "title": p.title,
        "lang": p.language,
        "dim": dim,
        "n_sent": int(sv.shape[0]),
        "seg": [[s.language, s.start, s.end, s.text] for s in p.segments],
        "sent": list(p.sentences),
        "ent": [[m.text, m.label, m.start, m.end, m.language, m.key] for m in p.entities],
        "grp": [list(g) for g in p.entity_groups],
        "plc": [[x.text, x.place_id, x.name, x.country, x.kind, x.start] for x in p.places],
        "dat": [[d.text, d.value.isoformat(), d.start, d.precision] for d in p.dates],
        "num": [[n.text, n.value, n.unit, n.start] for n in p.numbers],
        "pub": p.published_at.isoformat() if p.published_at else None,
        "nch": p.n_chars,
        "sh": list(p.shingles),
    }
    e5 = p.e5_vectors
    if e5 is not None:
        header["e5"] = list(e5.shape)
    head = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    vectors = np.vstack([p.title_vector.reshape(1, dim), p.lead_vector.reshape(1, dim), sv]).astype("<f2")
    body = struct.pack("<I", len(head)) + head + vectors.tobytes()
    if e5 is not None:
        body += np.asarray(e5, dtype="<f2").tobytes()
    return MAGIC + bytes([VERSION]) + zlib.compress(body, 1)


def decode_profile(data: bytes, *, vectors: bool = True) -> Profile:
    """bytes → Profile; raises :class:`StoreError` on anything that is not one.

    ``vectors=False`` decompresses only the header (the analysed fields: numbers, places,
    dates, entities, text) and leaves every vector zero, for readers that need no vectors
    (a story's disagreements): about a third of the work.

    >>> from storyline.cluster.testing import toy_profile
    >>> p = toy_profile("a1", [1, 0.5], "Quake hits Kabul", day="2020-02-29")
    >>> q = decode_profile(encode_profile(p), vectors=False)
    >>> q.title, q.published_at.year, float(abs(q.lead_vector).sum()), q.sentence_vectors.shape
    ('Quake hits Kabul', 2020, 0.0, (2, 512))
    """
    if data[:3] != MAGIC:
        raise StoreError(f"[{StoreError.code}] not a storyline profile (bad magic {bytes(data[:4])!r})")
    if data[3] != VERSION:
        raise StoreError(f"[{StoreError.code}] profile encoding version {data[3]} is not supported (this release reads {VERSION})")
    try:
        if vectors:
            body = zlib.decompress(data[4:])
        else:  # the header only: the 4-byte length, then that much JSON
            stream = zlib.decompressobj()
            body = stream.decompress(data[4:], 4)
            (n,) = struct.unpack("<I", body[:4])
            body += stream.decompress(stream.unconsumed_tail, n)
        (n,) = struct.unpack("<I", body[:4])
        h: dict[str, Any] = json.loads(body[4 : 4 + n].decode("utf-8"))
        dim = int(h["dim"])
        e5_shape = tuple(h.get("e5") or ())
        n_e5 = int(np.prod(e5_shape)) if e5_shape else 0
        e5: np.ndarray | None = None
        if vectors:
            flat = np.frombuffer(body[4 + n :], dtype="<f2").astype(np.float32)
            if n_e5:
                flat, e5 = flat[:-n_e5], flat[-n_e5:].reshape(e5_shape)
            matrix = flat.reshape(-1, dim)
        else:
            matrix = np.zeros((2 + int(h["n_sent"]), dim), np.float32)
            e5 = np.zeros(e5_shape, np.float32) if n_e5 else None
    except (zlib.error, struct.error, ValueError, KeyError) as exc:
        raise StoreError(f"[{StoreError.code}] corrupt profile: {exc}") from exc
    return Profile(
        article_id=h["id"],
        title=h["title"],
        language=h["lang"],
        segments=tuple(starmap(Segment, h["seg"])),  # starmap: no generator frame per record (same records)
        sentences=tuple(h["sent"]),
        title_vector=matrix[0],
        lead_vector=matrix[1],
        sentence_vectors=matrix[2:] if h["n_sent"] else np.zeros((0, dim), np.float32),
        entities=tuple(starmap(Mention, h["ent"])),
        entity_groups=tuple(map(tuple, h["grp"])),
        places=tuple(starmap(Place, h["plc"])),
        dates=tuple(DateMention(d[0], date.fromisoformat(d[1]), d[2], d[3]) for d in h["dat"]),
        numbers=tuple(starmap(NumberMention, h["num"])),
        published_at=datetime.fromisoformat(h["pub"]) if h["pub"] else None,
        n_chars=h["nch"],
        shingles=tuple(h["sh"]),
        e5_vectors=e5,
    )


def roundtrip(p: Profile) -> Profile:
    """What the store will give back for ``p`` (the pipeline clusters this)."""
    return decode_profile(encode_profile(p))
