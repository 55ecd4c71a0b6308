"""IIS logs in the W3C extended log file format.

The file starts with directive lines (``#Software``, ``#Version``, ``#Date``,
``#Fields``). The ``#Fields`` line names the space-separated columns of the
request lines after it. IIS writes a new directive block after a restart or a
logging change, so the columns can change in the middle of a file: each
request line is read with the ``#Fields`` line that precedes it.
"""

from __future__ import annotations

import polars as pl

from importers.base import ImportOptions, ImportReport, empty_events
from importers.line_format import (
    LineImporter,
    LineParser,
    collect,
    null_if_dash,
    quarantine_rows,
    sample_lines,
    split_rows,
    user_columns,
)
from importers.registry import register
from importers.web_access import http_message, http_outcome

DIRECTIVE_PREFIX = "#"
FIELDS_DIRECTIVE = "#Fields:"
IIS_SOFTWARE = "#Software: Microsoft Internet Information Services"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S%.f"

# Fields that show a #Fields line describes HTTP requests, not another W3C log.
HTTP_FIELDS = ("cs-uri-stem", "cs-method", "sc-status")

# Source fields read into the event schema; the whole line stays in `original`.
MAPPED_FIELDS = (
    "date",
    "time",
    "c-ip",
    "cs-username",
    "cs-method",
    "cs-uri-stem",
    "cs-uri-query",
    "sc-status",
    "sc-bytes",
    "cs-bytes",
    "cs(user-agent)",
    "s-computername",
    "s-ip",
)


@register
class IisImporter(LineImporter):
    """IIS W3C extended logs, including files whose #Fields change midway."""

    name = "iis-w3c"
    description = "IIS log in W3C extended format"

    def line_matches(self, text: pl.Expr) -> pl.Expr:
        return text.str.starts_with(DIRECTIVE_PREFIX) | text.str.contains(
            r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"
        )

    def sniff(self, head: bytes, text: str | None) -> float:
        """Return 1 for an IIS header, 0.9 for another W3C log of HTTP requests."""
        lines = sample_lines(head, text)
        if any(line.startswith(IIS_SOFTWARE) for line in lines):
            return 1.0
        for line in lines:
            if line.startswith(FIELDS_DIRECTIVE):
                names = field_names(line)
                has_time = "date" in names and "time" in names
                if has_time and any(name in names for name in HTTP_FIELDS):
                    return 0.9
        return 0.0

    def parser(self, options: ImportOptions, report: ImportReport) -> LineParser:
        report.mapping.update(
            {
                "timestamp": "date + time (UTC)",
                "source_ip": "c-ip",
                "user_name": "cs-username",
                "host_name": "s-computername, or s-ip without it",
                "object": "cs-uri-stem + ? + cs-uri-query",
                "event_code": "sc-status",
                "bytes": "sc-bytes + cs-bytes (either alone when only one is logged)",
                "user_agent": "cs(User-Agent), + read as space",
            }
        )
        return IisParser(report)


def field_names(fields_line: str) -> list[str]:
    """Return the lower-cased column names of a ``#Fields:`` directive."""
    return fields_line[len(FIELDS_DIRECTIVE) :].lower().split()


class IisParser(LineParser):
    """Parser that reads each request line with the #Fields line before it."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        self.columns: dict[int, list[str]] = {}  # #Fields line number -> names
        self.current: int | None = None  # the latest #Fields line so far
        self.header_lines = 0

    def parse(self, lines: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        is_directive = pl.col("text").str.starts_with(DIRECTIVE_PREFIX)
        directives = lines.filter(is_directive)
        self.header_lines += directives.height
        fields_lines = directives.filter(
            pl.col("text").str.to_lowercase().str.starts_with(FIELDS_DIRECTIVE.lower())
        )
        # Directive lines are headers, not events, so a Python loop over the few
        # in a batch is cheap.
        for line_no, text in fields_lines.iter_rows():
            self.columns[line_no] = field_names(text)
        fields_refs = fields_lines.select(pl.col("line_no").alias("fields_line"))
        requests = lines.filter(~is_directive).join_asof(
            fields_refs, left_on="line_no", right_on="fields_line", strategy="backward"
        )
        if self.current is not None:
            requests = requests.with_columns(
                pl.col("fields_line").fill_null(self.current)
            )
        if fields_refs.height:
            self.current = fields_refs.get_column("fields_line").max()

        events = [empty_events()]
        quarantine = [
            quarantine_rows(
                requests.filter(pl.col("fields_line").is_null()),
                pl.lit(
                    "request line before any #Fields directive: its columns are unknown"
                ),
            )
        ]
        for fields_line in requests.get_column("fields_line").drop_nulls().unique():
            block = requests.filter(pl.col("fields_line") == fields_line)
            block_events, block_quarantine = self._parse_block(
                block, fields_line, self.columns[fields_line]
            )
            events.append(block_events)
            quarantine.append(block_quarantine)
        return pl.concat(events, how="diagonal_relaxed"), pl.concat(quarantine)

    def _parse_block(
        self, block: pl.DataFrame, fields_line: int, names: list[str]
    ) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Parse request lines that share the #Fields line at `fields_line`."""
        if "date" not in names or "time" not in names:
            error = (
                f"the #Fields line at line {fields_line} has no date and time fields"
            )
            return empty_events(), quarantine_rows(block, pl.lit(error))
        values = pl.col("text").str.strip_chars()
        # IIS separates fields by one space. Other W3C writers pad with more
        # spaces or tabs, which only those batches pay a regex to squeeze.
        if block.select(pl.col("text").str.contains(r"  |\t").any()).item():
            values = values.str.replace_all(r"[ \t]+", " ")
        columns = [
            pl.col("values").list.get(names.index(name), null_on_oob=True).alias(name)
            for name in MAPPED_FIELDS
            if name in names
        ]
        # The split list is its own column because Polars 2.1 would repeat the
        # split for every list.get below, 13 times for 13 fields.
        query = (
            block.lazy()
            .with_columns(values.str.split(" ").alias("values"))
            .with_columns(pl.col("values").list.len().alias("field_count"), *columns)
        )
        query = query.with_columns(
            (pl.col("date") + " " + pl.col("time")).alias("timestamp_raw")
        ).with_columns(
            pl.col("timestamp_raw")
            .str.strptime(pl.Datetime("us"), TIME_FORMAT, strict=False)
            .alias("timestamp")
        )
        query = query.with_columns(
            pl.when(pl.col("field_count") != len(names))
            .then(
                pl.format(
                    "expected {} fields (from the #Fields line at line {}), found {}",
                    pl.lit(len(names)),
                    pl.lit(fields_line),
                    pl.col("field_count"),
                )
            )
            .when(pl.col("timestamp").is_null())
            .then(
                pl.format(
                    "invalid date or time '{}': expected yyyy-mm-dd HH:MM:SS",
                    pl.col("timestamp_raw"),
                )
            )
            .otherwise(None)
            .alias("error")
        )
        return split_rows(collect(query), _event_columns(names))

    def finish(self) -> None:
        if self.header_lines:
            self.report.note(
                f"{self.header_lines} header lines (# directives and comments) "
                f"are not events; {len(self.columns)} #Fields lines set the columns"
            )
        layouts = {tuple(names) for names in self.columns.values()}
        if len(layouts) > 1:
            starts = ", ".join(str(line) for line in sorted(self.columns))
            self.report.note(
                f"the columns change within the file: #Fields lines at lines {starts}"
            )


def _field(names: list[str], name: str) -> pl.Expr:
    """Return the field's value with ``-`` as null, or null when not logged."""
    if name in names:
        return null_if_dash(pl.col(name))
    return pl.lit(None, dtype=pl.String)


def _event_columns(names: list[str]) -> list[pl.Expr]:
    status = _field(names, "sc-status")
    stem = _field(names, "cs-uri-stem")
    query = _field(names, "cs-uri-query")
    target = pl.when(query.is_not_null()).then(stem + "?" + query).otherwise(stem)

    sent = _field(names, "sc-bytes").cast(pl.Int64, strict=False)
    received = _field(names, "cs-bytes").cast(pl.Int64, strict=False)
    size = (
        pl.when(sent.is_null() & received.is_null())
        .then(None)
        .otherwise(sent.fill_null(0) + received.fill_null(0))
    )

    host = pl.coalesce(_field(names, "s-computername"), _field(names, "s-ip"))
    agent = _field(names, "cs(user-agent)").str.replace_all("+", " ", literal=True)
    return [
        pl.col("timestamp"),
        pl.col("timestamp_raw"),
        # The date and time fields are UTC by definition, not an assumption:
        # "Regardless of the setting, the time stamp for each W3C Extended
        # Logging log record is UTC-based" (Microsoft, IIS 6.0 metabase
        # reference, LogFileLocaltimeRollover,
        # https://learn.microsoft.com/en-us/previous-versions/aa690919(v=vs.71)).
        pl.lit(0, dtype=pl.Int16).alias("tz_offset_min"),
        pl.lit(False).alias("tz_assumed"),
        status.alias("event_code"),
        pl.lit("web").alias("event_category"),
        pl.lit("http-request").alias("event_action"),
        http_outcome(status).alias("event_outcome"),
        *user_columns(_field(names, "cs-username")),
        _field(names, "c-ip").alias("source_ip"),
        host.alias("host_name"),
        target.alias("object"),
        size.alias("bytes"),
        agent.alias("user_agent"),
        http_message(_field(names, "cs-method"), target, status, size).alias("message"),
    ]
