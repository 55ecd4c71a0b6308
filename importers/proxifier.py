"""Proxifier client logs: one line per connection opened, closed or failed.

::

    [10.30 16:49:06] chrome.exe - proxy.example.org:5070 open through proxy
        proxy.example.org:5070 HTTPS
    [10.30 16:49:07] chrome.exe *64 - www.example.com:443 close, 1190 bytes sent,
        1727 bytes (1.68 KB) received, lifetime 00:02
    [10.30 17:15:42] QQ.exe - host.example.com:443 error : Could not connect ...

Proxifier is a proxy client on the user's desktop, so the lines name the
local program and the remote host, not the user or the client address.
Times carry neither a year nor a zone: the year comes from
``options.year`` and the zone from ``options.tz`` (UTC without it).
"""

from __future__ import annotations

import calendar
import datetime as dt

import polars as pl

from importers.base import ImportOptions, ImportReport
from importers.line_format import LineImporter, LineParser, collect, split_rows
from importers.registry import register
from importers.timeparse import localize

LINE_PATTERN = (
    r"^\[(?P<month>\d{2})\.(?P<day>\d{2}) (?P<clock>\d{2}:\d{2}:\d{2})\] "
    r"(?P<app>.+?) - (?P<target>\S+) (?P<verb>open|close|error)\b(?P<detail>.*)$"
)
OPEN_PATTERN = r"^ (?P<route>.+)$"
# Sizes above 1 KB are followed by a rounded copy in brackets: "(1.68 KB)".
CLOSE_PATTERN = (
    r"^, (?P<sent>\d+) bytes(?: \([^)]*\))? sent, "
    r"(?P<received>\d+) bytes(?: \([^)]*\))? received, lifetime (?P<lifetime>.+)$"
)
ERROR_PATTERN = r"^ ?: ?(?P<reason>.*?)\s*$"

LINE_ERROR = (
    "not a Proxifier line: expected "
    "'[MM.DD HH:MM:SS] program - host:port open|close|error ...'"
)
DETAIL_ERRORS = {
    "open": "open line without a route after 'open'",
    "close": "close line without 'N bytes sent, M bytes received, lifetime T'",
    "error": "error line without ': reason'",
}

# A step back of this many months or more between consecutive lines is read as
# the turn of a year (December to January). Smaller steps back keep the year,
# because Proxifier files wrap around and merged runs step back by months.
ROLLOVER_MONTH_DROP = 10


@register
class ProxifierImporter(LineImporter):
    """Proxifier connection logs with the year and zone supplied as options."""

    name = "proxifier"
    description = "Proxifier client connection log"

    def line_matches(self, text: pl.Expr) -> pl.Expr:
        return text.str.contains(LINE_PATTERN)

    def parser(self, options: ImportOptions, report: ImportReport) -> LineParser:
        report.mapping.update(
            {
                "timestamp": "[MM.DD HH:MM:SS] with the year and zone from options",
                "object": "remote host:port",
                "event_code": "open, close or error",
                "bytes": "bytes sent + bytes received (close lines)",
                "message": "program name, verb, host and details",
            }
        )
        return ProxifierParser(options, report)


class ProxifierParser(LineParser):
    """Parser that carries the last month and the year rollovers across batches."""

    def __init__(self, options: ImportOptions, report: ImportReport) -> None:
        self.report = report
        self.tz = options.tz
        self.year_given = options.year is not None
        self.first_year = options.year  # set from the first dated line otherwise
        self.last_month: int | None = None
        self.last_local: dt.datetime | None = None
        self.rollovers = 0
        self.backward_steps = 0
        self.first_backward: str | None = None

    def parse(self, lines: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        parsed = collect(
            lines.lazy()
            .with_columns(pl.col("text").str.extract_groups(LINE_PATTERN).alias("f"))
            .unnest("f")
            .with_columns(_detail_columns())
        )
        parsed = self._with_years(parsed)
        local = (
            pl.format("{}.{}.{} {}", "year", "month", "day", "clock")
            .str.strptime(pl.Datetime("us"), "%Y.%m.%d %H:%M:%S", strict=False)
            .alias("local")
        )
        parsed = parsed.with_columns(local)
        self._count_backward_steps(parsed)
        utc, offset, assumed = localize(
            pl.col("local"), pl.lit(None, dtype=pl.Int16), self.tz
        )
        query = parsed.lazy().with_columns(
            utc.alias("timestamp"),
            offset.alias("tz_offset_min"),
            assumed.alias("tz_assumed"),
        )
        return split_rows(
            collect(query.with_columns(_error(self.tz or "UTC"))), _event_columns()
        )

    def _with_years(self, parsed: pl.DataFrame) -> pl.DataFrame:
        """Add the year of each line, one more after each drop of many months.

        Runs eagerly because it depends on the row order.
        """
        number = pl.col("month").cast(pl.Int32, strict=False)
        month = pl.when(number.is_between(1, 12)).then(number)
        previous = month.forward_fill().shift(1)
        if self.last_month is not None:
            previous = previous.fill_null(self.last_month)
        rolled = ((previous - month) >= ROLLOVER_MONTH_DROP).fill_null(False)
        if self.first_year is None:
            dated = parsed.filter(month.is_not_null())
            if not dated.height:
                return parsed.with_columns(pl.lit(None, dtype=pl.Int32).alias("year"))
            first_month, first_day = dated.select("month", "day").row(0)
            self.first_year = default_first_year(int(first_month), int(first_day))
        parsed = parsed.with_columns(
            (self.first_year + self.rollovers + rolled.cum_sum()).alias("year"),
            rolled.alias("rolled"),
        )
        self.rollovers += int(parsed.get_column("rolled").sum())
        last_month = parsed.select(month.drop_nulls().last()).item()
        if last_month is not None:
            self.last_month = last_month
        return parsed

    def _count_backward_steps(self, parsed: pl.DataFrame) -> None:
        """Count lines whose time is earlier than the line before them."""
        dated = parsed.filter(pl.col("local").is_not_null())
        previous = pl.col("local").shift(1)
        if self.last_local is not None:
            previous = previous.fill_null(self.last_local)
        backward = dated.filter(pl.col("local") < previous)
        if backward.height and self.first_backward is None:
            self.first_backward = str(backward.get_column("line_no")[0])
        self.backward_steps += backward.height
        if dated.height:
            self.last_local = dated.get_column("local")[-1]

    def finish(self) -> None:
        zone = self.tz or "UTC"
        self.report.assume(f"times carry no zone; read in {zone}")
        if self.first_year is None:
            return  # no line carried a date
        if self.year_given:
            self.report.assume(
                f"times carry no year; the first line was read in {self.first_year} "
                "(from the year option)"
            )
        else:
            self.report.assume(
                f"times carry no year; the first line was read in {self.first_year} "
                "so that it falls on or before today (UTC); set the year option "
                "to change it"
            )
        self.report.note(
            f"the year advances where the month drops by {ROLLOVER_MONTH_DROP} or "
            f"more between lines (December to January): {self.rollovers} times"
        )
        if self.backward_steps:
            self.report.note(
                f"{self.backward_steps} lines are earlier than the line before them, "
                f"first at line {self.first_backward}; the file wraps around or "
                "joins separate runs, so these steps keep the year"
            )


def default_first_year(month: int, day: int, now: dt.datetime | None = None) -> int:
    """Return the year that puts month.day on or before `now` (UTC), one day spare.

    The spare day covers zones ahead of UTC. A day past the month's end (such
    as February 29 in a common year) counts as the month's last day.
    """
    now = now or dt.datetime.now(dt.UTC)
    year = now.year
    day = min(max(day, 1), calendar.monthrange(year, month)[1])
    if dt.datetime(year, month, day, tzinfo=dt.UTC) > now + dt.timedelta(days=1):
        year -= 1
    return year


def _detail_columns() -> list[pl.Expr]:
    detail = pl.col("detail")
    opened = detail.str.extract_groups(OPEN_PATTERN)
    closed = detail.str.extract_groups(CLOSE_PATTERN)
    failed = detail.str.extract_groups(ERROR_PATTERN)
    verb = pl.col("verb")
    return [
        pl.when(verb == "open").then(opened.struct.field("route")).alias("route"),
        pl.when(verb == "close")
        .then(closed.struct.field("sent").cast(pl.Int64, strict=False))
        .alias("sent"),
        pl.when(verb == "close")
        .then(closed.struct.field("received").cast(pl.Int64, strict=False))
        .alias("received"),
        pl.when(verb == "close")
        .then(closed.struct.field("lifetime"))
        .alias("lifetime"),
        pl.when(verb == "error").then(failed.struct.field("reason")).alias("reason"),
    ]


def _error(zone: str) -> pl.Expr:
    verb = pl.col("verb")
    detail_missing = (
        ((verb == "open") & pl.col("route").is_null())
        | ((verb == "close") & pl.col("lifetime").is_null())
        | ((verb == "error") & pl.col("reason").is_null())
    )
    return (
        pl.when(pl.col("app").is_null())
        .then(pl.lit(LINE_ERROR))
        .when(detail_missing)
        .then(verb.replace_strict(DETAIL_ERRORS, default=None))
        .when(pl.col("local").is_null())
        .then(
            pl.format(
                "invalid date '{}.{} {}' in year {}: expected MM.DD HH:MM:SS",
                "month",
                "day",
                "clock",
                pl.col("year").cast(pl.String).fill_null("unknown"),
            )
        )
        .when(pl.col("timestamp").is_null())
        .then(
            pl.format(
                "local time '{}' does not exist in zone {} (daylight saving gap)",
                pl.col("local").cast(pl.String),
                pl.lit(zone),
            )
        )
        .otherwise(None)
        .alias("error")
    )


def _event_columns() -> list[pl.Expr]:
    verb = pl.col("verb")
    details = (
        pl.when(verb == "open")
        .then(pl.format(" {}", "route"))
        .when(verb == "close")
        .then(
            pl.format(
                " ({} bytes sent, {} received, lifetime {})",
                "sent",
                "received",
                "lifetime",
            )
        )
        .otherwise(pl.format(": {}", "reason"))
    )
    return [
        pl.col("timestamp"),
        pl.format("{}.{} {}", "month", "day", "clock").alias("timestamp_raw"),
        pl.col("tz_offset_min"),
        pl.col("tz_assumed"),
        verb.alias("event_code"),
        pl.lit("web").alias("event_category"),
        pl.lit("proxy-connection").alias("event_action"),
        pl.when(verb == "error")
        .then(pl.lit("failure"))
        .otherwise(pl.lit("success"))
        .alias("event_outcome"),
        pl.col("target").alias("object"),
        (pl.col("sent") + pl.col("received")).alias("bytes"),
        pl.concat_str(
            [pl.col("app"), pl.lit(" "), verb, pl.lit(" "), pl.col("target"), details]
        ).alias("message"),
    ]
