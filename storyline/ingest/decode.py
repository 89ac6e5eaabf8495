"""Bytes to text: byte-order marks, declared charsets, detection, mojibake repair.

>>> decode_bytes("Café".encode("cp1252"), "a.txt")
'Café'
>>> decode_bytes("CafÃ© au lait".encode("utf-8"), "a.txt")
'Café au lait'
"""

from __future__ import annotations

import codecs
import re
import unicodedata

import ftfy
from ftfy.badness import is_bad

from storyline.errors import InputError

__all__ = ["decode_bytes", "sniff_binary"]

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "ZIP archive (or DOCX/XLSX/EPUB)"),
    (b"\x1f\x8b", "gzip archive"),
    (b"BZh", "bzip2 archive"),
    (b"\xfd7zXZ\x00", "xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "7z archive"),
    (b"\x7fELF", "executable"),
    (b"MZ", "Windows executable"),
    (b"RIFF", "RIFF media file"),
    (b"ID3", "MP3 audio"),
    (b"SQLite format 3\x00", "SQLite database"),
    (b"\xd0\xcf\x11\xe0", "Microsoft Office document"),
)
_DECLARED = re.compile(
    rb"""(?:<meta[^>]{0,200}?charset\s*=\s*["']?\s*|<\?xml[^>]{0,200}?encoding\s*=\s*["']\s*|^@charset\s+["'])([A-Za-z0-9_.:-]{2,40})""",
    re.IGNORECASE,
)
_SNIFF = 65_536
# Non-ASCII characters that plausibly occur in Western European text decoded as cp1252.
_CP1252_PUNCT = set("–—‘’‚“”„•…€«»°£§©®·¿¡ºª×÷±\u00a0")
_CENTRAL_EUROPEAN = {"Czech", "Polish", "Slovak", "Hungarian", "Croatian", "Slovene", "Romanian"}
_BAD_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def sniff_binary(raw: bytes) -> str | None:
    """What binary format ``raw`` looks like, or ``None`` when it may be text.

    >>> sniff_binary(b"\\x89PNG\\r\\n\\x1a\\n\\x00\\x00")
    'PNG image'
    >>> sniff_binary("plain text".encode()) is None
    True
    """
    for magic, name in _MAGIC:
        if raw.startswith(magic):
            if magic in (b"MZ", b"BZh", b"ID3", b"RIFF") and b"\x00" not in raw[:1024]:
                continue  # short ASCII prefixes: only binary if NULs follow
            return name
    head = raw[:_SNIFF]
    if b"\x00" in head and _utf16_guess(head) is None and not head.startswith(tuple(b for b, _ in _BOMS)):
        return "data with NUL bytes"
    return None


def _utf16_guess(head: bytes) -> str | None:
    """UTF-16 without a byte-order mark: NULs on every other byte."""
    sample = head[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    even_nul = even.count(0) / max(1, len(even))
    odd_nul = odd.count(0) / max(1, len(odd))
    if odd_nul > 0.3 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.3 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def _try(raw: bytes, encoding: str) -> str | None:
    try:
        return raw.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _plausible_cp1252(text: str) -> bool:
    return all(ch.isascii() or ch.isalpha() or ch in _CP1252_PUNCT for ch in text)


def _detect(raw: bytes) -> str:
    from charset_normalizer import from_bytes

    sample = raw[:_SNIFF]
    # UTF-16/32 without a BOM has NUL bytes and was handled before; never guess it here.
    results = [r for r in from_bytes(sample) if not r.encoding.startswith(("utf_16", "utf_32"))]
    best = results[0] if results else None
    # Mostly-ASCII Latin text with a few accented letters: detectors are unreliable on
    # short inputs (they guess EBCDIC, Baltic or Cyrillic code pages), cp1252 is by far
    # the likeliest, unless the detector is sure of a Central European language.
    high = sum(1 for byte in sample if byte >= 0x80)
    letters = sum(1 for byte in sample if 65 <= byte <= 90 or 97 <= byte <= 122)
    central = best is not None and best.encoding in ("cp1250", "iso8859_2") and best.language in _CENTRAL_EUROPEAN
    if high <= 0.3 * (letters + high) and not central:
        as_cp1252 = _try(raw, "cp1252")
        if as_cp1252 is not None and _plausible_cp1252(as_cp1252):
            return as_cp1252
    if best is not None:
        text = _try(raw, best.encoding)
        if text is not None:
            return text
        return raw.decode(best.encoding, errors="replace")
    return raw.decode("cp1252", errors="replace")


def _decode(raw: bytes) -> str:
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return raw[len(bom) :].decode(encoding, errors="replace")
    guess16 = _utf16_guess(raw[:_SNIFF]) if b"\x00" in raw[:_SNIFF] else None
    if guess16:
        return raw.decode(guess16, errors="replace")
    text = _try(raw, "utf-8")
    if text is not None:
        return text
    declared = _DECLARED.search(raw[:4096])
    if declared:
        name = declared.group(1).decode("ascii", "replace")
        try:
            codec = codecs.lookup(name).name
        except LookupError:
            codec = ""
        if codec and codec not in ("utf-8", "utf-16", "utf-32", "utf-16-le", "utf-16-be"):
            text = _try(raw, codec)
            if text is not None:
                return text
    return _detect(raw)


def decode_bytes(raw: bytes, source: str) -> str:
    """Decode a file's bytes to clean Unicode text, or raise :class:`InputError`.

    Order: byte-order mark, UTF-16 without BOM, strict UTF-8, the charset the
    document declares (``<meta charset>``, ``<?xml encoding?>``), then
    charset-normalizer's guess (preferring cp1252 for plausible Western text).
    Mojibake is repaired with ftfy, newlines become ``\\n`` and NFC is applied.
    Curly quotes and full-width punctuation are kept as they are.

    >>> decode_bytes("東京\\r\\n".encode("utf-16"), "x.txt")
    '東京\\n'
    >>> decode_bytes(b"\\x89PNG\\r\\n\\x1a\\n\\x00\\x00\\x00\\rIHDR", "logo.png")
    Traceback (most recent call last):
    storyline.errors.InputError: [E101] logo.png: binary file, not text (looks like PNG image)
    """
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        raise InputError(source, f"expected bytes, got {type(raw).__name__}")
    raw = bytes(raw)
    if not raw.strip():
        raise InputError(source, "empty file: no text to read")
    kind = sniff_binary(raw)
    if kind:
        raise InputError(source, f"binary file, not text (looks like {kind})")
    text = _decode(raw)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    if len(_BAD_CONTROL.findall(text[:_SNIFF])) > max(8, len(text[:_SNIFF]) // 20):
        raise InputError(source, "binary file, not text (too many control characters)")
    text = _BAD_CONTROL.sub("", text.replace("\x0b", "\n").replace("\x0c", "\n"))
    if not text.isascii() and is_bad(text):  # ftfy is slow on big files: only when it may find mojibake
        text = ftfy.fix_text(text, uncurl_quotes=False, fix_character_width=False, normalization="NFC")
    text = unicodedata.normalize("NFC", text)
    if not text.strip():
        raise InputError(source, "empty file: only whitespace or control characters")
    return text
