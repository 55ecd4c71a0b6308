"""Shared machinery for formats with one record per text line.

A `LineImporter` reads the file in batches of ``options.batch_rows`` lines,
hands each batch to a per-file `LineParser` as a Polars frame of
(``line_no``, ``text``) and yields what the parser returns. The parser does
the format's regex work on whole columns. This module handles what every line
format shares: the content check, blank lines, undecodable bytes and the
quarantine frame.

Blank lines are counted in a report note, not quarantined. A line with bytes
that are not valid in the file's encoding is parsed like any other: its U+FFFD
replacements stay in the event text and the report counts such lines. Web logs
get these bytes from attack traffic (a TLS handshake sent to a plain HTTP port),
and the request is evidence worth keeping. A parser may still quarantine them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from itertools import islice
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from importers.base import (
    EVENT_SCHEMA,
    HEAD_BYTES,
    QUARANTINE_SCHEMA,
    ImportBatch,
    Importer,
    ImportOptions,
    ImportReport,
    SourceError,
    SourceFile,
    conform,
    detect_text_encoding,
    text_lines,
)

SNIFF_LINES = 50
REPLACEMENT_CHAR = "\ufffd"
MESSAGE_TARGET_CHARS = 200

LINE_SCHEMA: dict[str, pl.DataType] = {"line_no": pl.Int64, "text": pl.String}


class LineParser(ABC):
    """The parsing state for one file, such as a year carried across batches."""

    @abstractmethod
    def parse(self, lines: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Parse one batch of non-blank lines.

        Args:
            lines: columns ``line_no`` (1-based, Int64) and ``text``.

        Returns:
            Events in (a subset of) the event schema, and quarantine rows.
        """

    def finish(self) -> None:  # noqa: B027 - an optional hook, empty by default
        """Write what the whole file showed into the report (notes, assumptions)."""


class LineImporter(Importer):
    """A format with one record per line, parsed batch by batch with Polars."""

    @abstractmethod
    def line_matches(self, text: pl.Expr) -> pl.Expr:
        """Return a boolean expression that is true for lines in the format's layout."""

    @abstractmethod
    def parser(self, options: ImportOptions, report: ImportReport) -> LineParser:
        """Create the parser for one file."""

    def sniff(self, head: bytes, text: str | None) -> float:
        """Return the share of the first non-blank lines that match the format."""
        lines = sample_lines(head, text)
        if not lines:
            return 0.0
        frame = pl.DataFrame({"text": lines}, schema={"text": pl.String})
        share = frame.select(self.line_matches(pl.col("text")).mean()).item()
        return float(share or 0.0)

    def parse(
        self, source: SourceFile, options: ImportOptions, report: ImportReport
    ) -> Iterator[ImportBatch]:
        if options.tz:
            try:
                ZoneInfo(options.tz)
            except (ZoneInfoNotFoundError, ValueError):
                raise SourceError(
                    f"{source.path}: unknown time zone {options.tz!r}; "
                    "pass an IANA zone name such as Europe/Berlin"
                ) from None
        head = source.head()
        encoding = detect_text_encoding(head)
        if encoding is None:
            # Attack traffic can put enough control bytes in the first lines to
            # look binary, so only reject content that also fails the format.
            if self.sniff(head, None) == 0.0:
                raise SourceError(
                    f"{source.path}: binary data, not a {self.description}; "
                    "check that the file is a plain-text log"
                )
            encoding = "utf-8"
        parser = self.parser(options, report)
        blank = 0
        replaced = 0
        for lines in line_frames(source, encoding, options.batch_rows):
            is_blank = pl.col("text").str.strip_chars() == ""
            blank += lines.select(is_blank.sum()).item()
            events, quarantine = parser.parse(lines.filter(~is_blank))
            if events.height:
                replaced += events.select(
                    pl.col("original")
                    .str.contains(REPLACEMENT_CHAR, literal=True)
                    .sum()
                ).item()
            yield ImportBatch(
                events=conform(events, EVENT_SCHEMA),
                quarantine=conform(quarantine, QUARANTINE_SCHEMA),
            )
        parser.finish()
        if blank:
            report.note(f"{blank} blank lines skipped")
        if replaced:
            report.note(
                f"{replaced} imported lines contain bytes that are not valid "
                f"{encoding}; they were replaced with U+FFFD in the event text"
            )


def line_frames(
    source: SourceFile, encoding: str, batch_rows: int
) -> Iterator[pl.DataFrame]:
    """Yield the file's lines as frames of at most `batch_rows` rows.

    NOTE: `text_lines` also ends a line at a lone carriage return, so a raw CR
    inside a record splits it and shifts later line numbers against `wc -l`.
    """
    lines = text_lines(source, encoding)
    first = 1
    while chunk := list(islice(lines, max(1, batch_rows))):
        numbers = pl.int_range(first, first + len(chunk), dtype=pl.Int64, eager=True)
        yield pl.DataFrame({"line_no": numbers, "text": chunk}, schema=LINE_SCHEMA)
        first += len(chunk)


def sample_lines(head: bytes, text: str | None) -> list[str]:
    """Return up to `SNIFF_LINES` non-blank complete lines from the file's head."""
    if text is None:
        text = head.decode("utf-8", errors="replace")
    lines = text.splitlines()
    if len(head) >= HEAD_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the head ends inside this line
    return [line for line in lines if line.strip()][:SNIFF_LINES]


def quarantine_rows(lines: pl.DataFrame, error: pl.Expr) -> pl.DataFrame:
    """Build quarantine rows (record_ref = line number) from rows of `lines`."""
    return lines.select(
        pl.col("line_no").cast(pl.String).alias("record_ref"),
        pl.col("text").alias("raw"),
        error.alias("error"),
    )


def split_rows(
    parsed: pl.DataFrame, event_columns: list[pl.Expr]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split parsed rows on their ``error`` column into events and quarantine.

    `parsed` must keep ``line_no`` and ``text`` and carry a String column
    ``error`` that is null for a good line.
    """
    good = parsed.lazy().filter(pl.col("error").is_null())
    bad = parsed.filter(pl.col("error").is_not_null())
    events = good.select(
        pl.col("line_no").cast(pl.String).alias("record_ref"),
        *event_columns,
        pl.col("text").alias("original"),
    )
    return collect(events), quarantine_rows(bad, pl.col("error"))


def collect(query: pl.LazyFrame) -> pl.DataFrame:
    """Run a row-wise query on Polars' streaming engine, which uses all threads.

    Regex extraction took half the time of the in-memory engine on a 2-core
    machine (Polars 2.1). Steps that depend on row order, such as cumulative
    sums, run on eager frames instead.
    """
    return query.collect(engine="streaming")


def null_if_dash(value: pl.Expr) -> pl.Expr:
    """Turn the placeholders ``-`` and empty text into null."""
    return pl.when(value.is_in(["-", ""])).then(None).otherwise(value)


def user_columns(raw: pl.Expr) -> list[pl.Expr]:
    """Return ``user_name`` and ``user_domain`` expressions for an account name.

    ``DOMAIN\\user`` becomes ``user`` with domain ``DOMAIN``. A UPN such as
    ``Ann@Example.com`` keeps the whole name in lower case, and its domain part
    also goes to ``user_domain``.
    """
    value = null_if_dash(raw)
    has_backslash = value.str.contains("\\", literal=True)
    name = (
        pl.when(has_backslash)
        .then(value.str.extract(r"\\([^\\]*)$"))
        .otherwise(value)
        .str.to_lowercase()
    )
    domain = (
        pl.when(has_backslash)
        .then(value.str.extract(r"^([^\\]*)\\"))
        .otherwise(value.str.to_lowercase().str.extract(r"@([^@]+)$"))
    )
    return [
        null_if_dash(name).alias("user_name"),
        null_if_dash(domain).alias("user_domain"),
    ]


def shorten(value: pl.Expr, max_chars: int = MESSAGE_TARGET_CHARS) -> pl.Expr:
    """Cut text to `max_chars` characters for a message, marking the cut with …."""
    return (
        pl.when(value.str.len_chars() > max_chars)
        .then(value.str.slice(0, max_chars) + "…")
        .otherwise(value)
    )
