"""Language identification, sentence splitting and mixed-language segmentation.

Script decides first (Han → zh, kana → ja, Arabic script → ar, Cyrillic → ru,
Hangul → ko …) because it is certain and cheap; py3langid, restricted to the
languages storyline supports, decides between languages that share a script.

>>> detect_language("Der Bundestag hat am Donnerstag das Gesetz verabschiedet.")
'de'
>>> detect_language("美国最高军事官员在多哈会见了代表团。")
'zh'
>>> [s.language for s in split_segments("Talks resumed in Doha on Monday after a pause of two months.\\n会谈于周一在多哈恢复。双方同意继续谈判。", min_chars=10)]
['en', 'zh']
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from storyline.types import Segment

SUPPORTED_LANGUAGES: tuple[str, ...] = (
    "en", "zh", "de", "es", "ar", "ru", "fr", "it", "pl", "tr",
    "nl", "pt", "ja", "ko", "uk", "cs", "fa", "el", "sv", "ro",
)
"""Languages storyline labels; everything else becomes the closest of these or ``xx``."""

_LATIN_LANGS = [lang for lang in SUPPORTED_LANGUAGES if lang not in ("zh", "ja", "ko", "ar", "fa", "ru", "uk", "el")]
_CYRILLIC_LANGS = ["ru", "uk"]
_ARABIC_LANGS = ["ar", "fa"]


@lru_cache(maxsize=1)
def _langid_model():  # type: ignore[no-untyped-def]
    """py3langid's model, read once a process.

    py3langid ships it as an LZMA-compressed ``.npz`` (0.4 s of CPU to decompress on every start);
    its arrays are kept deflated in storyline's cache folder (:func:`~storyline.analyse.places.cache_dir`)
    and read back from there in ~0.15 s. The identifier is the one py3langid builds from its file.
    """
    import numpy as np
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    ptc, pc, classes, nextmove, row, output = _langid_arrays(MODEL_DIR / MODEL_FILE)
    return LanguageIdentifier(np.asarray(ptc), np.asarray(pc), classes, nextmove, output, norm_probs=True, tk_row=row)


def _langid_arrays(source: Path) -> tuple[Any, ...]:
    """What ``py3langid.modelio.load_model(source)`` returns, through the cached copy when there is one."""
    path = _langid_cache_path(source)
    if path is not None:
        arrays = _read_langid_cache(path)
        if arrays is None and _write_langid_cache(path, source):
            arrays = _read_langid_cache(path)
        if arrays is not None:
            return arrays
    from py3langid.modelio import load_model

    return tuple(load_model(source))


def _langid_cache_path(source: Path) -> Path | None:
    """``<cache dir>/langid-<digest>.npz``: the digest of the model file and py3langid's version."""
    import hashlib
    from importlib import metadata

    from storyline.analyse.places import cache_dir

    try:
        digest = hashlib.blake2b(source.read_bytes(), digest_size=8)
        digest.update(f"py3langid={metadata.version('py3langid')}".encode())
    except (OSError, metadata.PackageNotFoundError):
        return None
    return cache_dir() / f"langid-{digest.hexdigest()}.npz"


def _read_langid_cache(path: Path) -> tuple[Any, ...] | None:
    """The model's arrays from the cached copy at ``path``, as py3langid's loader returns them; None if unreadable."""
    import zipfile
    from array import array

    import numpy as np

    def to_array(a: np.ndarray) -> array:  # type: ignore[type-arg]  # as py3langid.modelio._to_array
        out = array({2: "H", 4: "I", 8: "L"}[a.dtype.itemsize])
        out.frombytes(memoryview(np.ascontiguousarray(a)).cast("B"))
        return out

    try:
        with np.load(path, allow_pickle=False) as data:
            return (data["ptc"], data["pc"], data["classes"].tolist(), to_array(data["nextmove"]),
                    to_array(data["nextmove_row"]), data["out_feat"].tolist())
    except (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile):
        return None


def _write_langid_cache(path: Path, source: Path) -> bool:
    """Write the arrays of py3langid's ``source`` deflated to ``path`` (atomically); False if it cannot."""
    import io
    import lzma
    import os
    import tempfile

    import numpy as np

    try:
        with lzma.open(source) as fh:
            raw = fh.read()
        with np.load(io.BytesIO(raw), allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                np.savez_compressed(out, **arrays)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except (OSError, lzma.LZMAError, ValueError):
        return False
    return True


@lru_cache(maxsize=4)
def _identifier(languages: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """An identifier restricted to ``languages``, sharing the one model (restricting copies the columns it keeps)."""
    ident = copy.copy(_langid_model())
    ident.set_languages(list(languages))
    return ident


def script_of(text: str) -> str:
    """The dominant script of ``text``: latin, han, kana, hangul, arabic, cyrillic, greek, other or none.

    >>> script_of("Кабул"), script_of("喀布尔"), script_of("كابل"), script_of("Kabul"), script_of("2024")
    ('cyrillic', 'han', 'arabic', 'latin', 'none')
    """
    counts: dict[str, int] = {}
    for ch, n in Counter(text).items():  # distinct characters, in order of first occurrence
        if not ch.isalpha():
            continue
        script = _char_script(ch)
        counts[script] = counts.get(script, 0) + n
    if not counts:
        return "none"
    if counts.get("kana", 0) >= 2 or (counts.get("kana", 0) and counts.get("han", 0)):
        return "kana"
    return max(counts, key=lambda s: counts[s])


def _char_script(ch: str) -> str:
    code = ord(ch)
    if code < 0x250:
        return "latin"
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF or 0x20000 <= code <= 0x2FA1F:
        return "han"
    if 0x3040 <= code <= 0x30FF:
        return "kana"
    if 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF:
        return "hangul"
    if 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F or 0xFB50 <= code <= 0xFDFF or 0xFE70 <= code <= 0xFEFF:
        return "arabic"
    if 0x0400 <= code <= 0x04FF:
        return "cyrillic"
    if 0x0370 <= code <= 0x03FF:
        return "greek"
    if 0x1E00 <= code <= 0x1EFF:
        return "latin"
    name = unicodedata.name(ch, "")
    if name.startswith("LATIN"):
        return "latin"
    return "other"


def detect_language(text: str, *, hint: str | None = None) -> str:
    """ISO 639-1 code of ``text`` (``xx`` when there is nothing to go on)."""
    script = script_of(text)
    if script == "none":
        return hint or "xx"
    if script == "han":
        return "zh"
    if script == "kana":
        return "ja"
    if script == "hangul":
        return "ko"
    if script == "greek":
        return "el"
    if script == "arabic":
        return _classify(text, tuple(_ARABIC_LANGS))
    if script == "cyrillic":
        return _classify(text, tuple(_CYRILLIC_LANGS))
    if script == "latin":
        if hint in _LATIN_LANGS and len(text) < 40:
            return hint
        return _classify(text, tuple(_LATIN_LANGS))
    return hint or "xx"


def _classify(text: str, languages: tuple[str, ...]) -> str:
    label, _ = _identifier(languages).classify(text[:2000])
    return str(label)


_SENTENCE_END = re.compile(
    r"""
    (?<=[.!?…])["'”’»)\]]*\s+(?=["'“‘«(\[]?[A-ZÀ-ÖØ-ÞĀ-ſА-ЯЁ0-9\u0600-\u06FF])   # Latin/Cyrillic: end mark, space, capital
    | (?<=[。！？!?；])["'”’」』)]*                                                # CJK: end mark (no space needed)
    | (?<=[.؟!])\s+(?=[\u0600-\u06FF])                                              # Arabic
    """,
    re.VERBOSE,
)
_ABBREVIATION = re.compile(
    r"(?:\b(?:[A-Z]|Mr|Mrs|Ms|Dr|Gen|Lt|Col|Sgt|Capt|Adm|Gov|Sen|Rep|Sec|St|Jr|Sr|Prof|Cmdr|No|Nr|Vol|vs|etc|Inc|Corp|Ltd|Co|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|bzw|z\.B|Dr|Hr|Fr|ca|St|av|art|éd|Sra|Sr|Dña|г|ул|им|т\.е)\.)$"
)


def iter_sentence_spans(text: str) -> Iterator[tuple[int, int]]:
    """Yield ``(start, end)`` offsets of sentences: lines first, then end marks.

    >>> t = "Gen. Mark Milley met U.S. envoys. Talks went on.\\n谈判继续。双方同意。"
    >>> [t[s:e] for s, e in iter_sentence_spans(t)]
    ['Gen. Mark Milley met U.S. envoys.', 'Talks went on.', '谈判继续。', '双方同意。']
    """
    for line in re.finditer(r"[^\n]+", text):
        start = line.start()
        body = line.group()
        cut = 0
        for mark in _SENTENCE_END.finditer(body):
            left = body[cut : mark.start()].rstrip()
            if _ABBREVIATION.search(left):
                continue
            if left.strip():
                yield from _trimmed(text, start + cut, start + mark.start())
            cut = mark.end()
        if body[cut:].strip():
            yield from _trimmed(text, start + cut, start + len(body))


def _trimmed(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        yield start, end


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` in order (see :func:`iter_sentence_spans`)."""
    return [text[s:e] for s, e in iter_sentence_spans(text)]


def _paragraph_spans(text: str, long_line: int = 600) -> Iterator[tuple[int, int]]:
    """Lines, or the sentences of a line longer than ``long_line``: language rarely changes inside a
    paragraph, and one detection per paragraph is several times cheaper than one per sentence."""
    for line in re.finditer(r"[^\n]+", text):
        if not line.group().strip():
            continue
        if len(line.group()) <= long_line:
            yield from _trimmed(text, line.start(), line.end())
        else:
            for s, e in iter_sentence_spans(line.group()):
                yield line.start() + s, line.start() + e


def _weight(text: str) -> int:
    """Length in Latin-character equivalents: one CJK character carries about three letters' worth."""
    wide = sum(1 for ch in text if ord(ch) >= 0x2E80 and ch.isalpha())
    return len(text) + 2 * wide


def split_segments(text: str, *, hint: str | None = None, min_chars: int = 60) -> tuple[Segment, ...]:
    """Split ``text`` into runs of one language each.

    Every paragraph (or sentence of a long paragraph) is labelled; runs of the same label are joined; a run shorter
    than ``min_chars`` (a quoted name, a stray line; a Han, kana or Hangul
    character counts three) joins its neighbour, so
    only real language switches (a translation glued to its original, a
    quoted tweet in another language) make new segments.
    """
    spans = list(_paragraph_spans(text))
    if not spans:
        return ()
    labelled = [(s, e, detect_language(text[s:e], hint=hint)) for s, e in spans]
    runs: list[list[object]] = []
    for s, e, lang in labelled:
        if runs and runs[-1][2] == lang:
            runs[-1][1] = e
        else:
            runs.append([s, e, lang])
    # absorb short runs into the neighbour with the most text, repeatedly
    def size(run: list[object] | None) -> int:
        return _weight(text[int(run[0]) : int(run[1])]) if run else -1  # type: ignore[call-overload]

    changed = True
    while changed and len(runs) > 1:
        changed = False
        for i, (s, e, lang) in enumerate(runs):
            if size(runs[i]) >= min_chars:
                continue
            left = runs[i - 1] if i > 0 else None
            right = runs[i + 1] if i + 1 < len(runs) else None
            target = left if size(left) >= size(right) else right
            assert target is not None
            target[0] = min(int(target[0]), int(s))  # type: ignore[call-overload]
            target[1] = max(int(target[1]), int(e))  # type: ignore[call-overload]
            del runs[i]
            changed = True
            break
        # merge neighbours that now share a language
        merged: list[list[object]] = []
        for run in runs:
            if merged and merged[-1][2] == run[2]:
                merged[-1][1] = run[1]
            else:
                merged.append(run)
        runs = merged
    return tuple(Segment(str(lang), int(s), int(e), text[int(s) : int(e)]) for s, e, lang in runs)  # type: ignore[call-overload]
