"""Apache and Nginx access logs in the common and combined formats.

One line per request::

    192.0.2.4 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326
        "http://referer/" "Mozilla/5.0"

Accepted variants:

- the common format (no referer and user agent) and the combined format;
- a virtual-host prefix (Apache ``vhost_combined``), ``www.example.com:443``
  before the client;
- ``-`` for the size, and extra fields after the last one (Nginx
  ``$request_time``);
- IPv6 clients, escaped quotes, unescaped quotes (Tomcat) and binary garbage
  inside the request, such as a TLS handshake sent to a plain HTTP port;
- ISO 8601 times inside the brackets (Nginx ``$time_iso8601``).
"""

from __future__ import annotations

import polars as pl

from importers.base import ImportOptions, ImportReport
from importers.line_format import (
    LineImporter,
    LineParser,
    collect,
    null_if_dash,
    shorten,
    split_rows,
    user_columns,
)
from importers.registry import register
from importers.timeparse import localize, offset_minutes, parse_iso


def _quoted(name: str) -> str:
    """Return a pattern for a quoted field, in which quotes are escaped as \\"."""
    return rf'"(?P<{name}>(?:[^"\\]|\\.)*)"'


_PREFIX = (
    r"^(?:(?P<vhost>\S+) )?(?P<client>\S+) (?P<ident>\S+) (?P<authuser>\S+) "
    r"\[(?P<time>[^\]]*)\] "
)
_TAIL = r" (?P<status>\d{3}|-) (?P<size>\d+|-)"
_EXTRA = r"(?P<extra>\s.*)?$"

LINE_PATTERN = (
    _PREFIX
    + _quoted("request")
    + _TAIL
    + f"(?: {_quoted('referer')} {_quoted('agent')})?"
    + _EXTRA
)

# Fallback for servers that write quotes inside the request unescaped (Tomcat):
# the request runs to the last `" status size` in the line.
LOOSE_LINE_PATTERN = (
    _PREFIX
    + r'"(?P<request>.*)"'
    + _TAIL
    + r'(?: "(?P<referer>[^"]*)" "(?P<agent>[^"]*)")?'
    + _EXTRA
)

REQUEST_PATTERN = (
    r"^(?P<method>[A-Za-z][A-Za-z_-]*) (?P<target>.+?)(?: (?P<protocol>HTTP/[0-9.]+))?$"
)

# %t: [day/month/year:hour:minute:second zone], month as its English abbreviation.
CLF_TIME_PATTERN = (
    r"^(?P<local>\d{2}/[A-Za-z]{3}/\d{4}:\d{2}:\d{2}:\d{2}) "
    r"(?P<offset>[+-](?:0\d|1[0-4])[0-5]\d)$"
)
CLF_TIME_FORMAT = "%d/%b/%Y:%H:%M:%S"

LINE_ERROR = (
    "not an access log line: expected "
    "'client ident user [time] \"request\" status size' "
    "with optional referer and user agent"
)


def http_outcome(status: pl.Expr) -> pl.Expr:
    """Map an HTTP status to success (below 400), failure, or unknown."""
    code = status.cast(pl.Int32, strict=False)
    return (
        pl.when(code.is_null())
        .then(pl.lit("unknown"))
        .when(code < 400)
        .then(pl.lit("success"))
        .otherwise(pl.lit("failure"))
    )


def http_message(
    method: pl.Expr, target: pl.Expr, status: pl.Expr, size: pl.Expr
) -> pl.Expr:
    """Build ``GET /x 200 (2326 bytes)``, leaving out the size when it is unknown."""
    size_text = (
        pl.when(size.is_not_null())
        .then(pl.format(" ({} bytes)", size))
        .otherwise(pl.lit(""))
    )
    return pl.concat_str(
        [
            method.fill_null("-"),
            pl.lit(" "),
            shorten(target.fill_null("-")),
            pl.lit(" "),
            status.fill_null("-"),
            size_text,
        ]
    )


def unescape_log_item(value: pl.Expr) -> pl.Expr:
    """Undo the ``\\"`` and ``\\\\`` escapes that Apache writes in logged fields.

    Nginx writes ``\\x22`` and ``\\x5C`` instead, which stay as written.
    """
    return value.str.replace_all(r'\\(["\\])', "$1")


@register
class WebAccessImporter(LineImporter):
    """Apache and Nginx access logs: common, combined and their variants."""

    name = "web-access"
    description = "Apache or Nginx access log (common or combined format)"

    def line_matches(self, text: pl.Expr) -> pl.Expr:
        return text.str.contains(LINE_PATTERN) | text.str.contains(LOOSE_LINE_PATTERN)

    def parser(self, options: ImportOptions, report: ImportReport) -> LineParser:
        report.mapping.update(
            {
                "timestamp": "%t (time with its own UTC offset)",
                "source_ip": "%h client",
                "user_name": "%u authenticated user",
                "host_name": "virtual host prefix (%v), without its port",
                "object": "request target (path and query) from %r",
                "event_code": "%>s status",
                "bytes": "%b / %O response size",
                "user_agent": "User-Agent field",
            }
        )
        return WebAccessParser(options, report)


class WebAccessParser(LineParser):
    """Parser for access log lines that counts the times read without an offset."""

    def __init__(self, options: ImportOptions, report: ImportReport) -> None:
        self.options = options
        self.report = report
        self.assumed = 0

    def parse(self, lines: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        parsed = _extract_fields(lines)
        request = pl.col("request").str.extract_groups(REQUEST_PATTERN)
        clf_time = pl.col("time").str.contains(CLF_TIME_PATTERN)
        with_iso = parsed.select(
            (pl.col("time").is_not_null() & ~clf_time).any()
        ).item()
        query = parsed.lazy().with_columns(
            request.struct.field("method").alias("method"),
            unescape_log_item(request.struct.field("target")).alias("target"),
            *_time_columns(pl.col("time"), self.options.tz, with_iso),
        )
        query = query.with_columns(
            pl.when(pl.col("client").is_null())
            .then(pl.lit(LINE_ERROR))
            .when(pl.col("timestamp").is_null())
            .then(
                pl.format(
                    "invalid time '{}': expected dd/Mon/yyyy:HH:MM:SS +hhmm "
                    "or ISO 8601",
                    pl.col("time"),
                )
            )
            .otherwise(None)
            .alias("error")
        )
        events, quarantine = split_rows(collect(query), _event_columns())
        self.assumed += events.select(pl.col("tz_assumed").sum()).item() or 0
        return events, quarantine

    def finish(self) -> None:
        if self.assumed:
            zone = self.options.tz or "UTC"
            self.report.assume(
                f"{self.assumed} times carry no UTC offset and were read in zone {zone}"
            )


def _extract_fields(lines: pl.DataFrame) -> pl.DataFrame:
    """Extract the line's fields, trying the loose pattern where the strict fails.

    The loose pattern runs only on the failed rows because capture extraction
    costs about as much as the rest of the parse.
    """
    parsed = collect(
        lines.lazy()
        .with_columns(pl.col("text").str.extract_groups(LINE_PATTERN).alias("fields"))
        .unnest("fields")
    )
    failed = parsed.filter(pl.col("client").is_null())
    if not failed.height:
        return parsed
    retried = failed.select(
        "line_no",
        "text",
        pl.col("text").str.extract_groups(LOOSE_LINE_PATTERN).alias("fields"),
    ).unnest("fields")
    matched = parsed.filter(pl.col("client").is_not_null())
    return pl.concat([matched, retried]).sort("line_no")


def _time_columns(raw: pl.Expr, tz: str | None, with_iso: bool) -> list[pl.Expr]:
    """Parse %t times, and ISO 8601 times too where `with_iso` is true."""
    clf = raw.str.extract_groups(CLF_TIME_PATTERN)
    local = clf.struct.field("local").str.strptime(
        pl.Datetime("us"), CLF_TIME_FORMAT, strict=False
    )
    offset = offset_minutes(clf.struct.field("offset"))
    if with_iso:
        iso_local, iso_offset = parse_iso(raw)
        has_clf = local.is_not_null()
        offset = pl.when(has_clf).then(offset).otherwise(iso_offset)
        local = pl.when(has_clf).then(local).otherwise(iso_local)
    utc, offset_min, assumed = localize(local, offset, tz)
    return [
        utc.alias("timestamp"),
        offset_min.alias("tz_offset_min"),
        assumed.alias("tz_assumed"),
    ]


def _event_columns() -> list[pl.Expr]:
    status = null_if_dash(pl.col("status"))
    size = null_if_dash(pl.col("size")).cast(pl.Int64, strict=False)
    authuser = unescape_log_item(pl.col("authuser"))
    unparsed_request = pl.format('"{}"', shorten(pl.col("request"), 80))
    message = (
        pl.when(pl.col("method").is_not_null())
        .then(http_message(pl.col("method"), pl.col("target"), status, size))
        .otherwise(
            pl.concat_str([unparsed_request, pl.lit(" "), status.fill_null("-")])
        )
    )
    return [
        pl.col("timestamp"),
        pl.col("time").alias("timestamp_raw"),
        pl.col("tz_offset_min"),
        pl.col("tz_assumed"),
        status.alias("event_code"),
        pl.lit("web").alias("event_category"),
        pl.lit("http-request").alias("event_action"),
        http_outcome(status).alias("event_outcome"),
        *user_columns(authuser),
        pl.col("client").alias("source_ip"),
        null_if_dash(pl.col("vhost").str.replace(r":\d+$", "")).alias("host_name"),
        pl.col("target").alias("object"),
        size.alias("bytes"),
        null_if_dash(unescape_log_item(pl.col("agent"))).alias("user_agent"),
        # Attack traffic puts control bytes in the request. The message stays one
        # printable line, and `original` keeps the bytes.
        message.str.replace_all(r"[\x00-\x1f\x7f]", "\ufffd").alias("message"),
    ]
