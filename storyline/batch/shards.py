"""Inputs to deterministic shards, and shards back to articles.

An input is a local path or a URI that :mod:`pyarrow.fs` understands (``s3://``,
``gs://``, ``hdfs://``, ``file://``); a folder is walked in sorted order. Record
files (JSONL, CSV, Parquet) are cut into shards of ``shard_size`` records; the
other files (HTML, text, Markdown, JSON, feeds) are grouped ``shard_size`` files
to a shard. The plan depends only on the inputs (names, sizes, record counts)
and ``shard_size``, so a re-run makes the same shards and can skip finished ones.

Readers reuse :mod:`storyline.ingest`: a shard yields the same ``Article`` /
``RecordError`` items, with the same ``source`` strings, as ``storyline ingest``
would for those records.

>>> import pathlib, tempfile
>>> tmp = pathlib.Path(tempfile.mkdtemp())
>>> _ = (tmp / "a.jsonl").write_text("\\n".join('{"title": "T%d", "text": "Story %d."}' % (i, i) for i in range(5)))
>>> shards = plan_shards([str(tmp)], shard_size=2)
>>> [(s.kind, s.start, s.stop) for s in shards]
[('records', 0, 2), ('records', 2, 4), ('records', 4, None)]
>>> [a.source.rsplit("/", 1)[1] for a in read_shard(shards[1])]
['a.jsonl:3', 'a.jsonl:4']
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

from storyline.errors import InputError
from storyline.ingest.files import parse_file_bytes
from storyline.types import Article, RecordError

RECORD_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet"}
"""File extension → record format; these files are cut into shards of records."""


@dataclass(frozen=True)
class Shard:
    """One unit of work: records ``[start, stop)`` of one record file, or a group of files.

    ``stop`` is ``None`` for the last shard of a file (it takes whatever is left, so a
    count that differs slightly from the reader's never loses records).
    """

    shard_id: int
    kind: str  # "records" or "files"
    paths: tuple[str, ...]
    start: int = 0
    stop: int | None = None
    offset: int | None = None  # JSONL in UTF-8: where record ``start`` begins in the file (bytes) ...
    length: int | None = None  # ... and how many bytes the shard's lines take (None: to the end)
    line: int = 1  # the line number of the byte at ``offset``, for the records' sources
    head: int = 0  # CSV: the bytes of the header row (and anything before it), read with every shard

    @property
    def name(self) -> str:
        return f"shard-{self.shard_id:06d}"

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["paths"] = list(self.paths)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Shard:
        return cls(
            int(data["shard_id"]), str(data["kind"]), tuple(data["paths"]), int(data["start"]), data["stop"],
            data.get("offset"), data.get("length"), int(data.get("line", 1)), int(data.get("head", 0)),
        )


# ------------------------------------------------------------------ file systems


def filesystem(uri: str) -> tuple[Any, str]:
    """``(pyarrow FileSystem, path)`` for a local path or a URI.

    >>> fs, path = filesystem("relative/dir")
    >>> type(fs).__name__, path == os.path.abspath("relative/dir")
    ('LocalFileSystem', True)
    """
    from pyarrow import fs as pafs

    if "://" in uri:
        try:
            return pafs.FileSystem.from_uri(uri)
        except Exception as exc:  # pyarrow raises ArrowInvalid / OSError subclasses for unknown schemes
            raise InputError(uri, f"not a path or a URI pyarrow can read: {exc}") from None
    return pafs.LocalFileSystem(), os.path.abspath(uri)


def _display(uri: str, fs: Any, path: str) -> str:
    """How a file is named in sources: the path as given for local files, the URI otherwise."""
    if "://" in uri:
        scheme = uri.split("://", 1)[0]
        return f"{scheme}://{path}"
    return path


def _list_files(uri: str) -> list[tuple[str, int]]:
    """``(display name, size)`` of every file under ``uri`` (sorted; hidden entries skipped)."""
    from pyarrow import fs as pafs

    fs, path = filesystem(uri)
    info = fs.get_file_info(path)
    if info.type == pafs.FileType.NotFound:
        raise InputError(uri, "no such file or folder")
    if info.type == pafs.FileType.File:
        return [(_display(uri, fs, path), int(info.size or 0))]
    selector = pafs.FileSelector(path, recursive=True)
    files = []
    for entry in fs.get_file_info(selector):
        rel = entry.path[len(path) :].lstrip("/")
        if entry.type != pafs.FileType.File or any(part.startswith(".") or part.startswith("_") for part in rel.split("/")):
            continue
        files.append((_display(uri, fs, entry.path), int(entry.size or 0)))
    return sorted(files)


def read_bytes(name: str) -> bytes:
    """All bytes of one file (local or URI)."""
    fs, path = filesystem(name)
    try:
        with fs.open_input_stream(path) as fh:
            return bytes(fh.read())
    except FileNotFoundError:
        raise InputError(name, "no such file") from None
    except OSError as exc:
        raise InputError(name, f"cannot read: {exc}") from None


def read_range(name: str, offset: int, length: int | None) -> bytes:
    """``length`` bytes of one file from ``offset`` (to the end when ``length`` is ``None``)."""
    fs, path = filesystem(name)
    try:
        with fs.open_input_file(path) as fh:
            fh.seek(offset)
            return bytes(fh.read() if length is None else fh.read(length))
    except FileNotFoundError:
        raise InputError(name, "no such file") from None
    except OSError as exc:
        raise InputError(name, f"cannot read: {exc}") from None


# ------------------------------------------------------------------ planning


def _count_records(name: str, fmt: str) -> int:
    """How many records a CSV or Parquet file holds (CSV rows after the header, Parquet rows)."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        fs, path = filesystem(name)
        with fs.open_input_file(path) as fh:
            return int(pq.ParquetFile(fh).metadata.num_rows)
    text = read_bytes(name).decode("utf-8", "replace")
    rows = sum(1 for row in csv.reader(io.StringIO(text, newline="")) if any(c.strip() for c in row))
    return max(0, rows - 1)


def _utf8_lines(raw: bytes) -> Iterator[tuple[int, int, bytes]]:
    """``(byte offset, line number, line with its newline)`` of every line of ``raw``."""
    pos = 0
    for lineno, line in enumerate(raw.split(b"\n"), start=1):
        end = pos + len(line) + 1
        yield pos, lineno, (line + b"\n" if end <= len(raw) else line)  # the last line has no newline
        pos = end


def _sliceable(raw: bytes) -> bool:
    """Whether ``raw`` can be cut into lines as bytes: UTF-8 (or ASCII) with ``\\n`` newlines."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in raw[:4096] and (b"\n" in raw or b"\r" not in raw)


def csv_ranges(raw: bytes, shard_size: int) -> tuple[int, list[tuple[int, int | None, int | None, int | None, int]]]:
    """The header's length in bytes, and ``(start, stop, offset, length, line)`` per shard of a
    CSV file's bytes, as :func:`jsonl_ranges` gives them: rows ``[start, stop)`` after the header
    (quoted fields may span lines; blank rows are not counted), the bytes they take and
    the line the first one starts on. No byte ranges (and a header length of 0) for a file that is
    not UTF-8 or that the csv module cannot read through; its shards read the whole file.

    >>> csv_ranges(b'title,text\\nA,"one\\ntwo"\\n\\nB,three\\nC,four\\n', 2)
    (11, [(0, 2, 11, 21, 2), (2, None, 32, None, 6)])
    """
    from storyline.ingest.records import sniff_delimiter

    ranges: list[tuple[int, int | None, int | None, int | None, int]] = []
    if not _sliceable(raw):
        from storyline.ingest.decode import decode_bytes

        try:
            text = decode_bytes(raw, "")
        except InputError:  # the reader reports it, in the first shard
            text = ""
        try:
            n = max(0, sum(1 for row in csv.reader(io.StringIO(text, newline="")) if any(c.strip() for c in row)) - 1)
        except csv.Error:
            n = 1
        firsts = list(range(0, max(n, 1), shard_size))
        return 0, [(f, None if j == len(firsts) - 1 else f + shard_size, None, None, 1) for j, f in enumerate(firsts)]
    consumed = [0, 1]  # bytes and lines the csv reader has taken so far

    def lines() -> Iterator[str]:
        for pos, lineno, line in _utf8_lines(raw):
            consumed[:] = [pos + len(line), lineno + 1]
            yield line.decode("utf-8")

    reader = csv.reader(lines(), delimiter=sniff_delimiter(raw[:8192].decode("utf-8", "ignore")))
    header_end: int | None = None
    starts: list[tuple[int, int]] = []  # (byte offset, line) where each row after the header starts
    while True:
        at = (consumed[0], consumed[1])
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error:  # a malformed file: one shard reads it whole and reports the bad rows
            return 0, [(0, None, None, None, 1)]
        if not any(cell.strip() for cell in row):
            continue
        if header_end is None:
            header_end = consumed[0]
            continue
        starts.append(at)
    if header_end is None or not starts:
        return 0, [(0, None, None, None, 1)]
    firsts = list(range(0, len(starts), shard_size))
    for j, first in enumerate(firsts):
        last = j == len(firsts) - 1
        offset, line = starts[first]
        ranges.append((first, None if last else first + shard_size, offset, None if last else starts[first + shard_size][0] - offset, line))
    return header_end, ranges


def jsonl_ranges(raw: bytes, shard_size: int) -> list[tuple[int, int | None, int | None, int | None, int]]:
    """``(start, stop, offset, length, line)`` per shard of a JSONL file's bytes: records
    ``[start, stop)``, the bytes they take and the line the first one is on.

    Byte ranges are given only for UTF-8 (or ASCII) files, whose lines can be cut apart as bytes;
    then each shard reads and decodes its own lines and nothing else. For any other encoding
    (UTF-16, a legacy code page: detected on the whole file) offset and length are ``None`` and
    the shard reads the whole file.

    >>> jsonl_ranges(b'{"a": 1}\\n\\n{"a": 2}\\n{"a": 3}\\n', 2)
    [(0, 2, 0, 19, 1), (2, None, 19, None, 4)]
    >>> jsonl_ranges('{"a": 1}\\n{"a": 2}'.encode("utf-16"), 1)
    [(0, 1, None, None, 1), (1, None, None, None, 1)]
    """
    sliceable = _sliceable(raw)
    # (byte offset, line number) of every non-blank line
    starts = [(pos, lineno) for pos, lineno, line in _utf8_lines(raw) if line.strip()] if sliceable else []
    if sliceable:
        n = len(starts)
    else:  # count the decoded lines (UTF-16 newlines are two bytes)
        from storyline.ingest.decode import decode_bytes

        try:
            n = sum(1 for line in decode_bytes(raw, "").split("\n") if line.strip())
        except InputError:  # the reader reports it, in the first shard
            n = 1
    out: list[tuple[int, int | None, int | None, int | None, int]] = []
    firsts = list(range(0, max(n, 1), shard_size))
    for j, start in enumerate(firsts):
        last = j == len(firsts) - 1
        stop = None if last else start + shard_size
        if not sliceable or not starts:
            out.append((start, stop, None, None, 1))
            continue
        offset, line = starts[start] if j else (0, 1)
        length = None if last else starts[start + shard_size][0] - offset
        out.append((start, stop, offset, length, line))
    return out


def plan_shards(inputs: Sequence[str], *, shard_size: int = 1000, exclude: str | None = None) -> list[Shard]:
    """The shards of ``inputs``, in a deterministic order (inputs as given, files sorted).

    Files under ``exclude`` (the batch's own output folder, when it lies inside an input) are
    skipped. Raises :class:`InputError` when an input does not exist.
    """
    if exclude is not None:
        fs_, root = filesystem(exclude)
        skip = _display(exclude, fs_, root).rstrip("/") + "/"
    else:
        skip = None
    if not isinstance(shard_size, int) or shard_size < 1:
        from storyline.errors import ConfigError

        raise ConfigError(f"[{ConfigError.code}] The 'shard_size' parameter of plan_shards must be an int in the range [1, inf). Got {shard_size!r} instead.")
    shards: list[Shard] = []
    loose: list[str] = []

    def flush_loose() -> None:
        for i in range(0, len(loose), shard_size):
            shards.append(Shard(len(shards), "files", tuple(loose[i : i + shard_size])))
        loose.clear()

    for uri in inputs:
        for name, _size in _list_files(uri):
            if skip is not None and name.startswith(skip):
                continue
            fmt = RECORD_SUFFIXES.get(Path(name).suffix.lower())
            if fmt is None:
                loose.append(name)
                continue
            flush_loose()
            if fmt == "jsonl":
                for start, stop, offset, length, line in jsonl_ranges(read_bytes(name), shard_size):
                    shards.append(Shard(len(shards), "records", (name,), start, stop, offset, length, line))
                continue
            if fmt == "csv":
                head, ranges = csv_ranges(read_bytes(name), shard_size)
                for start, stop, offset, length, line in ranges:
                    shards.append(Shard(len(shards), "records", (name,), start, stop, offset, length, line, head))
                continue
            n = _count_records(name, fmt)
            starts = list(range(0, max(n, 1), shard_size))
            for j, start in enumerate(starts):
                stop = None if j == len(starts) - 1 else start + shard_size
                shards.append(Shard(len(shards), "records", (name,), start, stop))
        flush_loose()
    return shards


# ------------------------------------------------------------------ reading


def _iter_parquet(name: str, start: int, stop: int | None) -> Iterator[Article | RecordError]:
    """Rows ``[start, stop)`` of a Parquet file as articles (columns named as in JSON records)."""
    import pyarrow.parquet as pq

    from storyline.ingest import parse_record

    fs, path = filesystem(name)
    with fs.open_input_file(path) as fh:
        pf = pq.ParquetFile(fh)
        groups, first, offset = [], None, 0
        for g in range(pf.metadata.num_row_groups):  # read only the row groups that overlap the shard
            n = pf.metadata.row_group(g).num_rows
            if offset + n > start and (stop is None or offset < stop):
                groups.append(g)
                first = offset if first is None else first
            offset += n
        if not groups:
            return
        table = pf.read_row_groups(groups)
    lo = start - (first or 0)
    hi = table.num_rows if stop is None else min(stop - (first or 0), table.num_rows)
    for i, row in enumerate(table.slice(lo, max(0, hi - lo)).to_pylist(), start=start):
        where = f"parquet:{name}:{i}"
        try:
            yield parse_record(row, where, fmt="parquet")
        except InputError as exc:
            yield RecordError.from_exc(where, "ingest", exc, raw=repr(row).encode("utf-8", "replace"))


def _jsonl_slice(name: str, raw: bytes, start: int, stop: int | None) -> Iterator[Article | RecordError]:
    """Records ``[start, stop)`` (non-blank lines) of a JSONL file, keeping their line numbers;
    lines outside the slice are blanked, not parsed. For files that are not UTF-8 (whose lines
    cannot be cut apart as bytes before decoding)."""
    from storyline.ingest import iter_jsonl
    from storyline.ingest.decode import decode_bytes

    try:
        text = decode_bytes(raw, name)
    except InputError as exc:
        if start == 0:
            yield RecordError.from_exc(f"file:{name}", "ingest", exc, raw=raw)
        return
    lines = text.split("\n")
    k = 0
    for j, line in enumerate(lines):
        if line.strip():
            if k < start or (stop is not None and k >= stop):
                lines[j] = ""
            k += 1
    yield from iter_jsonl("\n".join(lines).encode("utf-8", "surrogatepass"), name)


def read_shard(shard: Shard) -> Iterator[Article | RecordError]:
    """The articles (and reader errors) of one shard; never raises for a bad file or record."""
    if shard.kind == "records":
        name = shard.paths[0]
        if Path(name).suffix.lower() in (".parquet", ".pq"):
            try:
                yield from _iter_parquet(name, shard.start, shard.stop)
            except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
                yield RecordError.from_exc(f"file:{name}", "ingest", exc)
            return
        jsonl = Path(name).suffix.lower() in (".jsonl", ".ndjson")
        try:
            if jsonl and shard.offset is not None:  # only this shard's lines: read and decode nothing else
                from storyline.ingest import iter_jsonl

                raw = read_range(name, shard.offset, shard.length)
                yield from iter_jsonl(raw, name, first_line=shard.line)
                return
            if shard.offset is not None:  # CSV: the header, then only this shard's rows
                from storyline.ingest import iter_csv

                raw = read_range(name, shard.offset, shard.length)
                header = read_range(name, 0, shard.head)
                delimiter = "\t" if Path(name).suffix.lower() == ".tsv" else None
                yield from iter_csv(raw, name, delimiter=delimiter, header_raw=header, first_line=shard.line)
                return
            raw = read_bytes(name)
        except InputError as exc:
            if shard.start == 0:  # one error for the file, in its first shard
                yield RecordError.from_exc(f"file:{name}", "ingest", exc)
            return
        if jsonl:
            yield from _jsonl_slice(name, raw, shard.start, shard.stop)
            return
        for i, item in enumerate(parse_file_bytes(name, raw)):  # CSV: rows can span lines, so the file is parsed whole
            if i < shard.start:
                continue
            if shard.stop is not None and i >= shard.stop:
                return
            yield item
        return
    for name in shard.paths:
        try:
            raw = read_bytes(name)
        except InputError as exc:
            yield RecordError.from_exc(f"file:{name}", "ingest", exc)
            continue
        yield from parse_file_bytes(name, raw)
