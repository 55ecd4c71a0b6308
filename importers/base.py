"""The importer contract: event schema, source files, options and reports.

An importer turns one log file into Polars frames in the common event schema,
plus quarantine rows for what it could not read. It never touches DuckDB: the
workspace stores what the importer yields.
"""

from __future__ import annotations

import gzip
import io
import json
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import polars as pl

# Columns an importer fills. The workspace adds event_id and source_id.
EVENT_SCHEMA: dict[str, pl.DataType] = {
    "timestamp": pl.Datetime("us"),  # UTC instant, stored without a zone
    "timestamp_raw": pl.String,  # the time exactly as the source wrote it
    "tz_offset_min": pl.Int16,  # the source's UTC offset in minutes, if known
    "tz_assumed": pl.Boolean,  # true where the offset came from an option
    "record_ref": pl.String,  # line number, EVTX record id or JSON path
    "event_code": pl.String,  # vendor code: EVTX id, API call, HTTP status
    "event_category": pl.String,
    "event_action": pl.String,
    "event_outcome": pl.String,  # success, failure or unknown
    "user_name": pl.String,  # lower case, domain split off
    "user_domain": pl.String,
    "target_user": pl.String,
    "source_ip": pl.String,
    "source_country": pl.String,
    "source_city": pl.String,
    "host_name": pl.String,
    "object": pl.String,
    "bytes": pl.Int64,
    "user_agent": pl.String,
    "message": pl.String,
    "original": pl.String,
}

QUARANTINE_SCHEMA: dict[str, pl.DataType] = {
    "record_ref": pl.String,
    "raw": pl.String,
    "error": pl.String,
}

HEAD_BYTES = 64 * 1024
GZIP_MAGIC = b"\x1f\x8b"


class SourceError(Exception):
    """Raised when a whole file cannot be imported; the message names the file."""


def conform(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Return `frame` with exactly the columns of `schema`, in order and type.

    Missing columns become nulls; extra columns are dropped.
    """
    columns = []
    for name, dtype in schema.items():
        if name in frame.columns:
            columns.append(pl.col(name).cast(dtype, strict=False))
        else:
            columns.append(pl.lit(None, dtype=dtype).alias(name))
    return frame.select(columns)


def empty_events() -> pl.DataFrame:
    return pl.DataFrame(schema=EVENT_SCHEMA)


@dataclass(frozen=True)
class ImportOptions:
    """Choices the investigator makes for one import.

    Attributes:
        year: year for sources whose lines carry none (syslog, auth.log).
        tz: IANA zone name for sources whose times carry no offset.
        mapping_file: JSON file mapping schema columns to CSV or JSON fields.
        batch_rows: rows per yielded batch.
        format: importer name that overrides content sniffing.
    """

    year: int | None = None
    tz: str | None = None
    mapping_file: Path | None = None
    batch_rows: int = 100_000
    format: str | None = None


@dataclass
class ImportReport:
    """Account of one source file's import: counts, assumptions, notes and errors."""

    path: str
    format: str = ""
    events: int = 0
    quarantined: int = 0
    duplicates: int = 0
    status: str = "ok"  # ok, partial, failed, cancelled
    first: str | None = None
    last: str | None = None
    sha256: str = ""
    notes: list[str] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    partial_at: str | None = None
    source_id: int | None = None  # set by the workspace when the import commits
    errors: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def assume(self, text: str) -> None:
        if text not in self.assumptions:
            self.assumptions.append(text)

    def to_json(self) -> str:
        return json.dumps(self.__dict__, default=str)


@dataclass
class ImportBatch:
    """One chunk of a source: events, quarantine rows, or both."""

    events: pl.DataFrame | None = None
    quarantine: pl.DataFrame | None = None


class SourceFile:
    """A log file on disk, read as bytes, transparently gunzipped.

    `fraction_read` reports progress on the file as stored, so a gzip source
    moves the progress bar by compressed bytes.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.size = self.path.stat().st_size
        self._raw: BinaryIO | None = None
        self._gzip: _TolerantGzip | None = None
        with self.path.open("rb") as handle:
            self.compressed = handle.read(2) == GZIP_MAGIC

    def open(self, whole_lines: bool = False, seekable: bool = False) -> BinaryIO:
        """Open the file for reading from its start, gunzipping if needed.

        A gzip stream that is cut short or corrupt ends the content at the
        point of damage instead of raising, and `truncation` then describes
        it. Line formats pass `whole_lines` so that the partial line before
        the damage is dropped and no record is read with its end missing.
        Binary formats that seek pass `seekable` and get a plain GzipFile,
        which raises at the damage; they check their own structure.
        """
        self.close()
        self._gzip = None
        self._raw = self.path.open("rb")
        if not self.compressed:
            return self._raw
        if seekable:
            return gzip.GzipFile(fileobj=self._raw, mode="rb")  # type: ignore[return-value]
        self._gzip = _TolerantGzip(self._raw, whole_lines)
        return io.BufferedReader(self._gzip, buffer_size=1 << 20)  # type: ignore[return-value]

    @property
    def truncation(self) -> str | None:
        """Where and why the last read of a damaged gzip stream stopped, if it did."""
        return self._gzip.damage if self._gzip is not None else None

    def head(self, size: int = HEAD_BYTES) -> bytes:
        """Return the first `size` bytes of the decompressed content.

        A gzip stream cut short still gives the bytes before the cut.
        """
        opener = gzip.open if self.compressed else open
        data = bytearray()
        try:
            with opener(self.path, "rb") as handle:
                while len(data) < size and (chunk := handle.read1(size - len(data))):
                    data += chunk
        except (OSError, EOFError):
            pass
        return bytes(data)

    def fraction_read(self) -> float:
        if self._raw is None or self._raw.closed or self.size == 0:
            return 0.0
        return min(1.0, self._raw.tell() / self.size)

    def close(self) -> None:
        if self._raw is not None and not self._raw.closed:
            self._raw.close()
        self._raw = None

    def __str__(self) -> str:
        return str(self.path)


class _TolerantGzip(io.RawIOBase):
    """A gzip reader that ends the content where the compressed data is damaged."""

    def __init__(self, raw: BinaryIO, whole_lines: bool) -> None:
        self._raw = raw
        self._stream = gzip.GzipFile(fileobj=raw, mode="rb")
        self._whole_lines = whole_lines
        self._partial_line = (
            b""  # bytes after the last newline, returned once the line ends
        )
        self._ready = b""  # bytes read but not yet returned
        self._ended = False
        self.damage: str | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._ready and not self._ended:
            self._ready = self._read_more(len(buffer))
        if not self._ready and self._partial_line and self.damage is None:
            self._ready, self._partial_line = self._partial_line, b""
        data, self._ready = self._ready[: len(buffer)], self._ready[len(buffer) :]
        buffer[: len(data)] = data
        return len(data)

    def _read_more(self, size: int) -> bytes:
        try:
            chunk = self._stream.read1(size)
        except (EOFError, OSError, zlib.error) as exc:
            position = self._raw.tell()
            self.damage = (
                f"the gzip stream is damaged or cut short near compressed byte "
                f"{position}: {exc}"
            )
            if self._partial_line:
                dropped = len(self._partial_line)
                self.damage += f"; a partial last line of {dropped} bytes was not read"
                self._partial_line = b""
            self._ended = True
            return b""
        if not chunk:
            self._ended = True
            return b""
        if not self._whole_lines:
            return chunk
        data = self._partial_line + chunk
        cut = data.rfind(b"\n") + 1
        self._partial_line = data[cut:]
        return data[:cut]


def decode_head(head: bytes) -> str | None:
    """Decode the first bytes of a text file, or return None for binary data."""
    encoding = detect_text_encoding(head)
    if encoding is None:
        return None
    text = head.decode(encoding, errors="replace")
    if "\x00" in text:
        return None
    return text


def detect_text_encoding(head: bytes) -> str | None:
    """Guess the encoding of a text file from its BOM and its first bytes.

    Returns "utf-8-sig" or "utf-16" (with a BOM), "utf-16-le" or "utf-16-be"
    (NUL bytes in the pattern of ASCII text), "utf-8", or None when the bytes
    look binary (control bytes).
    """
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    sample = head[:4096]
    if not sample:
        return None
    # UTF-16 without a BOM: every other byte is NUL for ASCII text.
    if len(sample) >= 4 and sample[1::2].count(0) > 0.4 * len(sample) / 2:
        if sample[0::2].count(0) < 0.05 * len(sample) / 2:
            return "utf-16-le"
    if len(sample) >= 4 and sample[0::2].count(0) > 0.4 * len(sample) / 2:
        if sample[1::2].count(0) < 0.05 * len(sample) / 2:
            return "utf-16-be"
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32 and b != 27)
    if controls > 0.01 * len(sample):
        return None
    return "utf-8"


def text_lines(source: SourceFile, encoding: str) -> Iterator[str]:
    """Yield the decoded lines of a text source, keeping undecodable bytes visible.

    Bytes that are not valid in `encoding` become U+FFFD so that the line can
    be quarantined with its number instead of stopping the import.
    """
    stream = io.TextIOWrapper(
        source.open(whole_lines=True),
        encoding=encoding,
        errors="replace",
        newline="",
    )
    try:
        for line in stream:
            yield line.rstrip("\r\n")
    finally:
        source.close()


class Importer(ABC):
    """One log format: a cheap content check and a streaming parse."""

    name: str = ""
    description: str = ""

    @abstractmethod
    def sniff(self, head: bytes, text: str | None) -> float:
        """Return how sure the importer is that it reads this content, 0 to 1.

        Args:
            head: the first bytes of the decompressed file.
            text: the same bytes decoded as text, or None for binary content.
        """

    @abstractmethod
    def parse(
        self, source: SourceFile, options: ImportOptions, report: ImportReport
    ) -> Iterator[ImportBatch]:
        """Yield batches of events and quarantine rows for the whole file.

        Raises SourceError when the file cannot be read at all. Adds notes,
        zone assumptions and the field mapping to `report`.
        """
