"""Read JSON log documents as batches of records, whatever their layout.

Cloud and SaaS audit logs arrive in several layouts: JSON Lines (one record
per line), a JSON array of records, a wrapper object such as CloudTrail's
``{"Records": [...]}``, a single pretty-printed record, or several such
documents one after another. Any of them may be gzipped, which SourceFile
undoes transparently.

`read_json_records` yields frames of (record_ref, original, json) with one
record per row, where ``json`` is the record's text on a single line, ready
for `importers.jsonfields.JsonFields` to parse a whole column at once. JSON
Lines are split by Polars and never pass through Python's json module. The
other layouts are split into records with ``json.JSONDecoder.raw_decode``
over a bounded text buffer, so memory stays flat for arrays of any length.

Record references are stable within a file: the 1-based line number where a
record starts for JSON Lines and concatenated objects, ``Records[17]`` (the
wrapper key as written) for wrapper objects and ``[17]`` for top-level
arrays. Records of a second or later document in the same file get the
document's start line as a prefix: ``412:Records[3]``.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass

import polars as pl

from importers.base import (
    HEAD_BYTES,
    QUARANTINE_SCHEMA,
    ImportReport,
    SourceError,
    SourceFile,
    detect_text_encoding,
)

logger = logging.getLogger(__name__)

# Keys whose array value contains the records: CloudTrail S3 objects ("Records"),
# Azure Monitor storage exports ("records") and Microsoft Graph pages ("value").
RECORD_ARRAY_KEYS = ("Records", "records", "value")

# A record larger than this is reported as invalid instead of being buffered
# further; it bounds memory when a document is truncated or broken.
MAX_RECORD_CHARS = 32 << 20
_READ_CHARS = 1 << 20
# Records are read in blocks of about this many characters (8 Mi), which
# bounds the text held per batch whatever the record size.
_BLOCK_CHARS = 8 << 20
_MAX_RAW_CHARS = 64 << 10  # quarantined text is cut to this length
# A decode error this close to the end of the buffer may only mean that the
# value continues in text not read yet ("tr" of "true", a cut number).
_CUT_MARGIN = 16

_WRAPPER_START = re.compile(
    r'\{\s*(?:"@odata\.[^"]*"\s*:\s*"[^"]*"\s*,\s*)*"('
    + "|".join(RECORD_ARRAY_KEYS)
    + r')"\s*:\s*\['
)
_WS = re.compile(r"\s*")
_NEXT_OBJECT_LINE = re.compile(r"\n(?=\{)")


@dataclass
class RecordBatch:
    """Records read from a source, and the pieces that could not be read.

    Attributes:
        records: columns record_ref, original (the text as written) and json
            (the same text on one line).
        quarantine: rows in QUARANTINE_SCHEMA, or None.
    """

    records: pl.DataFrame
    quarantine: pl.DataFrame | None = None


def quarantine_frame(
    refs: list[str], raws: list[str], errors: list[str]
) -> pl.DataFrame:
    """Build quarantine rows, cutting long raw text to a readable length."""
    return pl.DataFrame(
        {
            "record_ref": refs,
            "raw": [raw[:_MAX_RAW_CHARS] for raw in raws],
            "error": errors,
        },
        schema=QUARANTINE_SCHEMA,
    )


def one_line(text: pl.Expr) -> pl.Expr:
    """Join a JSON text onto one line.

    Valid JSON has no raw line breaks inside strings, so replacing them with
    spaces never changes a value.
    """
    return text.str.replace_all("\n", " ", literal=True).str.replace_all(
        "\r", " ", literal=True
    )


def read_json_records(
    source: SourceFile, batch_rows: int, report: ImportReport
) -> Iterator[RecordBatch]:
    """Yield the records of a JSON document in batches of at most `batch_rows`.

    Raises:
        SourceError: the file is not text or does not start like JSON.
    """
    head = source.head()
    encoding = detect_text_encoding(head)
    if encoding is None:
        raise SourceError(f"{source.path}: not a text file (binary content)")
    start = head.decode(encoding, errors="replace").lstrip("\ufeff \t\r\n")
    if not start:
        raise SourceError(f"{source.path}: file is empty")
    if start[0] not in "[{":
        raise SourceError(
            f"{source.path}: not a JSON document: it starts with {start[:20]!r}"
        )
    if _first_line_is_record(start, len(head) >= HEAD_BYTES):
        yield from _read_lines(source, encoding, batch_rows, report)
    else:
        yield from _JsonStream(source, encoding, batch_rows, report).batches()


def _first_line_is_record(start: str, head_is_cut: bool) -> bool:
    """Tell JSON Lines apart from pretty-printed and wrapped documents."""
    if not start.startswith("{") or _WRAPPER_START.match(start):
        return False
    line, newline, _ = start.partition("\n")
    if not newline and head_is_cut:
        return False  # the first line may go on past the head
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def _read_lines(
    source: SourceFile, encoding: str, batch_rows: int, report: ImportReport
) -> Iterator[RecordBatch]:
    """Read JSON Lines in blocks of text split by Polars, never line by line."""
    stream, raw = _text_stream(source, encoding)
    next_line = 1
    tail = ""
    try:
        while True:
            chunk = stream.read(_BLOCK_CHARS)
            text = tail + chunk
            if not text:
                if raw.error is not None:
                    _note_truncated(report, f"line {next_line - 1}", raw.error)
                return
            cut = text.rfind("\n") + 1 if chunk else len(text)
            if cut == 0 and len(text) < MAX_RECORD_CHARS:
                tail = text  # the line goes on in the next block
                continue
            block, tail = (text, "") if cut == 0 else (text[:cut], text[cut:])
            lines = pl.Series("original", [block.removesuffix("\n")]).str.split("\n")
            frame = lines.explode().to_frame().with_row_index("index", next_line)
            next_line += frame.height
            frame = frame.filter(pl.col("original").str.strip_chars() != "").select(
                record_ref=pl.col("index").cast(pl.String),
                original=pl.col("original").str.strip_chars_end("\r"),
            )
            for part in frame.iter_slices(batch_rows):
                yield RecordBatch(part.with_columns(json=one_line(pl.col("original"))))
    finally:
        source.close()


class _StopAtCut(io.RawIOBase):
    """A binary stream that ends, instead of raising, where its source is cut.

    GzipFile raises EOFError for a truncated stream and drops the bytes of
    the failing read. Through this wrapper a text reader gets every byte
    before the cut and then the end of the file, and `error` stores the reason.
    """

    def __init__(self, raw: io.BufferedIOBase, source: SourceFile) -> None:
        self.raw = raw
        self.source = source
        self._error: BaseException | None = None

    @property
    def error(self) -> BaseException | None:
        """The read error, or the damage SourceFile found in a gzip stream."""
        if self._error is None and self.source.truncation:
            return EOFError(self.source.truncation)
        return self._error

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        # read1 makes at most one read of the source, so a failing call
        # loses no bytes decompressed by earlier calls.
        try:
            data = self.raw.read1(min(len(buffer), _READ_CHARS))
        except (EOFError, OSError) as exc:
            self._error = exc
            return 0
        buffer[: len(data)] = data
        return len(data)


def _text_stream(
    source: SourceFile, encoding: str
) -> tuple[io.TextIOWrapper, _StopAtCut]:
    raw = _StopAtCut(source.open(), source)
    stream = io.TextIOWrapper(
        io.BufferedReader(raw), encoding=encoding, errors="replace", newline=""
    )
    return stream, raw


def _note_truncated(report: ImportReport, ref: str, exc: BaseException) -> None:
    """Mark the import partial: the records from `ref` on could not be read."""
    report.partial_at = report.partial_at or ref
    report.note(
        f"reading stopped near record {ref} because the file ends early or is "
        f"corrupt: {exc}"
    )
    logger.warning("%s: reading stopped near record %s: %s", report.path, ref, exc)


class _JsonStream:
    """Split arrays, wrapper objects and concatenated objects into records."""

    def __init__(
        self, source: SourceFile, encoding: str, batch_rows: int, report: ImportReport
    ) -> None:
        self.source = source
        self.encoding = encoding
        self.batch_rows = batch_rows
        self.report = report
        self.decoder = json.JSONDecoder()
        self.stream: io.TextIOWrapper | None = None
        self.raw: _StopAtCut | None = None
        self.buffer = ""
        self.pos = 0
        self.line = 1  # line number at buffer[counted]
        self.counted = 0
        self.eof = False
        self.refs: list[str] = []
        self.last_ref = "1"  # the last record read, for truncation notes
        self.texts: list[str] = []
        self.chars = 0
        self.bad: tuple[list[str], list[str], list[str]] = ([], [], [])

    # -- buffer handling -------------------------------------------------

    def _fill(self) -> bool:
        """Read more text into the buffer; return False at the end of the file."""
        if self.eof:
            return False
        if self.pos > _READ_CHARS:
            self._line_at(self.pos)
            self.buffer = self.buffer[self.pos :]
            self.counted -= self.pos
            self.pos = 0
        chunk = self.stream.read(_READ_CHARS)
        if not chunk:
            self.eof = True
            if self.raw.error is not None:
                _note_truncated(self.report, self.last_ref, self.raw.error)
            return False
        self.buffer += chunk
        return True

    def _line_at(self, pos: int) -> int:
        """Return the line number at `pos`, which never moves backwards."""
        self.line += self.buffer.count("\n", self.counted, pos)
        self.counted = pos
        return self.line

    def _drain(self) -> None:
        """Skip the rest of the file."""
        self.pos = len(self.buffer)
        while self._fill():
            self.pos = len(self.buffer)

    def _skip_space(self) -> str:
        """Move past whitespace and return the next character, or "" at the end."""
        while True:
            self.pos = _WS.match(self.buffer, self.pos).end()
            if self.pos < len(self.buffer):
                return self.buffer[self.pos]
            if not self._fill():
                return ""

    def _decode(self) -> str | None:
        """Decode one JSON value at the current position and return its text.

        Returns None on invalid JSON and leaves the position at the value's
        start, with the message in `self.error`. A value cut by the end
        of the buffer is retried with more text, up to MAX_RECORD_CHARS.
        """
        while True:
            try:
                _, end = self.decoder.raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError as exc:
                near_end = exc.pos >= len(self.buffer) - _CUT_MARGIN
                cut = near_end or exc.msg.startswith("Unterminated string")
                size = len(self.buffer) - self.pos
                if cut and size < MAX_RECORD_CHARS and self._fill():
                    continue
                if cut and self.eof:
                    self.error = "the file ends inside this record"
                else:
                    offset = exc.pos - self.pos
                    self.error = f"invalid JSON: {exc.msg} (character {offset})"
                return None
            text = self.buffer[self.pos : end]
            self.pos = end
            return text

    # -- records ---------------------------------------------------------

    def _add(self, ref: str, text: str) -> Iterator[RecordBatch]:
        self.refs.append(ref)
        self.last_ref = ref
        self.texts.append(text)
        self.chars += len(text)
        if len(self.refs) >= self.batch_rows or self.chars >= _BLOCK_CHARS:
            yield self._flush()

    def _reject(self, ref: str, raw: str, error: str) -> None:
        for column, value in zip(self.bad, (ref, raw, error), strict=True):
            column.append(value)

    def _flush(self) -> RecordBatch:
        frame = pl.DataFrame(
            {"record_ref": self.refs, "original": self.texts},
            schema={"record_ref": pl.String, "original": pl.String},
        ).with_columns(json=one_line(pl.col("original")))
        quarantine = quarantine_frame(*self.bad) if self.bad[0] else None
        self.refs, self.texts = [], []
        self.chars = 0
        self.bad = ([], [], [])
        return RecordBatch(frame, quarantine)

    def batches(self) -> Iterator[RecordBatch]:
        self.stream, self.raw = _text_stream(self.source, self.encoding)
        try:
            document = 0
            while (char := self._skip_space()) != "":
                start_line = self._line_at(self.pos)
                prefix = f"{start_line}:" if document else ""
                document += 1
                if char == "[":
                    self.pos += 1
                    yield from self._array(prefix)
                elif char == "{" and self._wrapper_start():
                    yield from self._wrapper(prefix)
                else:
                    yield from self._top_value(str(start_line))
            if self.refs or self.bad[0]:
                yield self._flush()
        finally:
            self.source.close()

    def _wrapper_start(self) -> re.Match | None:
        while len(self.buffer) - self.pos < 4096 and self._fill():
            pass
        return _WRAPPER_START.match(self.buffer, self.pos)

    def _top_value(self, ref: str) -> Iterator[RecordBatch]:
        text = self._decode()
        if text is None:
            # Skip to the next line that starts an object and go on from there.
            start = self.pos
            match = _NEXT_OBJECT_LINE.search(self.buffer, start)
            end = match.end() if match else len(self.buffer)
            self._reject(ref, self.buffer[start:end], self.error)
            if match:
                self.pos = end
            else:
                _note_truncated(self.report, ref, ValueError(self.error))
                self._drain()
        elif text.startswith("{"):
            yield from self._add(ref, text)
        else:
            self._reject(ref, text, "not a JSON object")

    def _array(self, path: str) -> Iterator[RecordBatch]:
        """Yield the elements of the array whose "[" was just consumed."""
        index = 0
        while True:
            char = self._skip_space()
            if char == "]":
                self.pos += 1
                return
            if index and char == ",":
                self.pos += 1
                char = self._skip_space()
            ref = f"{path}[{index}]"
            if char == "":
                error = "the file ends inside an array (missing ']')"
                _note_truncated(self.report, ref, EOFError(error))
                return
            text = self._decode()
            if text is None:
                # The array's structure is lost: nothing after this can be
                # split into records reliably.
                self._reject(ref, self.buffer[self.pos :], self.error)
                _note_truncated(self.report, ref, ValueError(self.error))
                self._drain()
                return
            if text.startswith("{"):
                yield from self._add(ref, text)
            else:
                self._reject(ref, text, "array element is not a JSON object")
            index += 1

    def _wrapper(self, prefix: str) -> Iterator[RecordBatch]:
        """Yield the records of ``{"Records": [...], ...}`` and skip other keys."""
        match = _WRAPPER_START.match(self.buffer, self.pos)
        self.pos = match.end()
        yield from self._array(f"{prefix}{match.group(1)}")
        # Skip the members after the array ("@odata.nextLink" and the like).
        while (char := self._skip_space()) != "}":
            if char == "":
                self.report.note("the file ends inside the wrapper object")
                return
            if char in ",:":
                self.pos += 1
            elif self._decode() is None:
                self.report.note(f"text after the record array ignored: {self.error}")
                self._drain()
                return
        self.pos += 1
