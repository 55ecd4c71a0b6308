"""Apache httpd error logs (``error_log``) in the 2.2 and 2.4 layouts.

::

    [Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/...
    [Sun Dec 04 05:15:09 2005] [error] [client 192.0.2.7] Directory index ...
    [Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416]
        [client 192.0.2.7:51234] AH00128: File does not exist: /var/www/x

Times carry no zone: they are read in ``options.tz``, or UTC without it, and
flagged as assumed.
"""

from __future__ import annotations

import polars as pl

from importers.base import ImportOptions, ImportReport
from importers.line_format import (
    LineImporter,
    LineParser,
    collect,
    shorten,
    split_rows,
)
from importers.registry import register
from importers.timeparse import localize

LEVELS = r"emerg|alert|crit|error|warn|notice|info|debug|trace[1-8]"
LINE_PATTERN = (
    r"^\[(?P<time>[^\]]+)\] "
    r"\[(?:(?P<module>[^:\]\s]*):)?(?P<level>" + LEVELS + r")\]"
    r"(?: \[pid (?P<pid>\d+)(?::tid (?P<tid>\d+))?\])?"
    r"(?P<rest>.*)$"
)
CLIENT_PATTERN = r"\[client ([^\]]+)\]"
# Bracketed fields at the start of the text that the message leaves out.
LEADING_FIELDS = r"^(?:\s*\[(?:client|remote) [^\]]*\])*\s*"
# mod_auth_basic and mod_authn_file failures name the account.
USER_PATTERN = r"(?:^|: )user (\S+?):? (?:authentication failure|not found)"

# ctime() layout with an optional fraction (2.4), or ErrorLogFormat %{cu}t.
TIME_FORMATS = ("%b %d %H:%M:%S%.f %Y", "%Y-%m-%d %H:%M:%S%.f")
WEEKDAY = r"^[A-Za-z]{3} "

FAILURE_LEVELS = ("emerg", "alert", "crit", "error")
UNKNOWN_LEVELS = ("warn",)
MESSAGE_CHARS = 300

LINE_ERROR = (
    "not an Apache error log line: expected '[time] [level] message' with level "
    + LEVELS.replace("|", ", ").replace("trace[1-8]", "trace1 to trace8")
)


@register
class ApacheErrorImporter(LineImporter):
    """Apache httpd error_log lines with the zone from options."""

    name = "apache-error"
    description = "Apache httpd error log"

    def line_matches(self, text: pl.Expr) -> pl.Expr:
        return text.str.contains(LINE_PATTERN)

    def parser(self, options: ImportOptions, report: ImportReport) -> LineParser:
        report.mapping.update(
            {
                "timestamp": "[time] read in the zone from options",
                "event_code": "level (error, notice, ...)",
                "event_outcome": "failure for error and worse, unknown for warn",
                "source_ip": "[client address], without its port",
                "user_name": "user named in an authentication failure",
                "message": "level and text",
            }
        )
        return ApacheErrorParser(options, report)


class ApacheErrorParser(LineParser):
    def __init__(self, options: ImportOptions, report: ImportReport) -> None:
        self.tz = options.tz
        self.report = report

    def parse(self, lines: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        local = _local_time(pl.col("time"))
        utc, offset, assumed = localize(
            pl.col("local"), pl.lit(None, dtype=pl.Int16), self.tz
        )
        query = (
            lines.lazy()
            .with_columns(pl.col("text").str.extract_groups(LINE_PATTERN).alias("f"))
            .unnest("f")
            .with_columns(local.alias("local"))
            .with_columns(
                utc.alias("timestamp"),
                offset.alias("tz_offset_min"),
                assumed.alias("tz_assumed"),
            )
            .with_columns(_error(self.tz or "UTC"))
        )
        return split_rows(collect(query), _event_columns())

    def finish(self) -> None:
        zone = self.tz or "UTC"
        self.report.assume(f"times carry no zone; read in {zone}")


def _local_time(raw: pl.Expr) -> pl.Expr:
    text = raw.str.strip_chars().str.replace(WEEKDAY, "")
    return pl.coalesce(
        [
            text.str.strptime(pl.Datetime("us"), layout, strict=False)
            for layout in TIME_FORMATS
        ]
    )


def _error(zone: str) -> pl.Expr:
    return (
        pl.when(pl.col("level").is_null())
        .then(pl.lit(LINE_ERROR))
        .when(pl.col("local").is_null())
        .then(
            pl.format(
                "invalid time '{}': expected 'Sun Dec 04 04:47:44 2005' with an "
                "optional fraction of a second",
                "time",
            )
        )
        .when(pl.col("timestamp").is_null())
        .then(
            pl.format(
                "local time '{}' does not exist in zone {} (daylight saving gap)",
                pl.col("time").cast(pl.String),
                pl.lit(zone),
            )
        )
        .otherwise(None)
        .alias("error")
    )


def _client_ip() -> pl.Expr:
    """Return the [client] address without the ``:port`` that httpd 2.4 appends.

    httpd 2.4 writes ``ip:port`` (log_remote_address in server/log.c), 2.2 the
    address alone, so only 2.4 lines and IPv4 addresses with a port are cut.
    """
    client = pl.col("rest").str.extract(CLIENT_PATTERN)
    is_24 = pl.col("module").is_not_null() | pl.col("pid").is_not_null()
    ipv4_with_port = client.str.contains(r"^\d{1,3}(?:\.\d{1,3}){3}:\d+$")
    return (
        pl.when(is_24 | ipv4_with_port)
        .then(client.str.replace(r":\d+$", ""))
        .otherwise(client)
    )


def _event_columns() -> list[pl.Expr]:
    level = pl.col("level")
    text = pl.col("rest").str.replace(LEADING_FIELDS, "")
    outcome = (
        pl.when(level.is_in(FAILURE_LEVELS))
        .then(pl.lit("failure"))
        .when(level.is_in(UNKNOWN_LEVELS))
        .then(pl.lit("unknown"))
        .otherwise(pl.lit("success"))
    )
    return [
        pl.col("timestamp"),
        pl.col("time").alias("timestamp_raw"),
        pl.col("tz_offset_min"),
        pl.col("tz_assumed"),
        level.alias("event_code"),
        pl.lit("web").alias("event_category"),
        pl.lit("other").alias("event_action"),
        outcome.alias("event_outcome"),
        text.str.extract(USER_PATTERN).str.to_lowercase().alias("user_name"),
        _client_ip().alias("source_ip"),
        pl.concat_str([level, pl.lit(": "), shorten(text, MESSAGE_CHARS)]).alias(
            "message"
        ),
    ]
