"""Linux syslog files: auth.log, secure, messages and syslog.

Three line layouts are read, and one file may mix them:

- RFC 3164 (BSD syslog), as rsyslog and syslog-ng write by default::

      Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user admin from 10.1.2.3

  The time carries no year and no UTC offset. The year comes from ``--year``
  (or `default_base_year`) and rolls over as `importers.syslog_time`
  describes. The zone comes from ``--tz``, else UTC. Both are reported as
  assumptions.
- RFC 5424: ``<34>1 2003-10-11T22:14:15.003Z host app procid msgid [sd] msg``.
- ISO 8601 times (rsyslog ``RSYSLOG_FileFormat``):
  ``2024-03-04T09:41:17.123+01:00 host prog[pid]: msg``.

An optional ``<PRI>`` prefix is accepted before the RFC 3164 and ISO layouts.
Messages are classified by `importers.syslog_auth`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from importers.base import (
    ImportBatch,
    ImportOptions,
    ImportReport,
    SourceError,
    SourceFile,
)
from importers.line_format import (
    REPLACEMENT_CHAR,
    LineImporter,
    LineParser,
    shorten,
    split_rows,
)
from importers.registry import register
from importers.syslog_auth import classify
from importers.syslog_time import (
    RFC3164_TIME,
    ROLLOVER_MONTH_DROP,
    YearState,
    default_base_year,
    month_number,
)
from importers.timeparse import localize, parse_iso

# Each layout pattern captures only the text before the host (group "prefix").
# The rest of the line is then cut off by the prefix length, because a regex
# capture that runs to the end of the line is several times slower in Polars.
RFC3164_PREFIX = rf"^(?P<prefix>{RFC3164_TIME} )"
ISO_PREFIX = (
    r"^(?P<prefix>(?:<\d{1,3}>)?(?P<ts>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}"
    r"(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?) )"
)
RFC5424_PATTERN = (
    r"^<\d{1,3}>1 (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) \S+ \S+ "
    r"(?:-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: (?P<msg>.*))?$"
)
# After the time: an optional host, then the tag (program, optional [pid],
# colon). A line may have no host, or an empty one ("Feb 22 10:21:43  sshd[1]:"),
# and a word ending in ":" is the tag, not a host. login(1) on older Red Hat
# systems writes the tag as "-- root[2421]:".
HOST_TAG_PATTERN = (
    r"^(?P<head>(?:(?P<host>\S*[^\s:]) | )?\s*(?:-- )?"
    r"(?P<program>[^\s:\[\]]+)(?:\[[^\]\s]*\])?: ?)"
)
# Reads only the host, for lines whose tag has no colon ("syslogd 1.4.1: restart.").
HOST_PATTERN = r"^(?P<head>(?:(?P<host>\S*[^\s:]) | )?)"
# Where a line has no "tag:", its first word is taken as the program name.
BARE_PROGRAM = r"^([A-Za-z][\w./-]*)"


def _unnamed(pattern: str) -> str:
    return re.sub(r"\(\?P<\w+>", "(?:", pattern)


# An ISO line must also show a tag to count in the content check, so that
# other logs with ISO times ("2024-03-04T09:41:17Z INFO started") are not
# taken for syslog.
_SNIFF_PATTERNS = (
    _unnamed(RFC3164_PREFIX),
    _unnamed(ISO_PREFIX) + _unnamed(HOST_TAG_PATTERN)[1:],
    _unnamed(RFC5424_PATTERN),
)

LINE_ERROR = (
    "not a syslog line: expected an RFC 3164 ('Mmm dd hh:mm:ss host tag: msg'), "
    "RFC 5424 or ISO 8601 timestamp at the start"
)


@dataclasses.dataclass(frozen=True)
class SyslogOptions(ImportOptions):
    """Import options with the base year filled in, and where it came from."""

    year_origin: str = "from --year"


@register
class SyslogImporter(LineImporter):
    """Linux auth.log, secure and syslog files (RFC 3164, RFC 5424, ISO times)."""

    name = "syslog"
    description = "Linux syslog or auth.log file"

    def line_matches(self, text: pl.Expr) -> pl.Expr:
        checks = [text.str.contains(pattern) for pattern in _SNIFF_PATTERNS]
        return checks[0] | checks[1] | checks[2]

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
        fields = dataclasses.asdict(options)
        if options.year is None:
            fields["year"] = default_base_year(source, options.batch_rows)
            fields["year_origin"] = (
                "no --year given, so the last line was placed on or before "
                "today (UTC); pass --year to set it"
            )
        yield from super().parse(source, SyslogOptions(**fields), report)

    def parser(self, options: ImportOptions, report: ImportReport) -> LineParser:
        report.mapping.update(
            {
                "timestamp": "syslog time (RFC 3164: year and zone assumed)",
                "host_name": "HOSTNAME field",
                "event_code": "program name (TAG or APP-NAME) without its PID",
                "user_name": "account named in the auth message",
                "target_user": "account acted on (su, sudo, useradd, usermod)",
                "source_ip": "'from IP' or 'rhost=IP' in the message",
                "object": "sudo or cron command; group name for group changes",
            }
        )
        return SyslogParser(options, report)


class SyslogParser(LineParser):
    """Parses the syslog lines of one file, carrying the year across batches."""

    def __init__(self, options: ImportOptions, report: ImportReport) -> None:
        self.options = options
        self.report = report
        self.zone = options.tz or "UTC"
        year = options.year if options.year is not None else datetime.now(UTC).year
        self.years = YearState(year=year)
        self.year_origin = getattr(options, "year_origin", "from --year")
        self.first_year: int | None = None
        self.assumed = 0

    def parse(self, lines: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        frame = _split_layouts(lines)
        years = self.years.assign(
            frame.get_column("month"), frame.get_column("line_no")
        )
        if self.first_year is None and years.is_not_null().any():
            self.first_year = int(years.drop_nulls()[0])
        frame = frame.with_columns(years)
        frame = frame.with_columns(_time_columns(self.zone))
        frame = frame.with_columns(_error_column(self.zone))
        frame = classify(frame, "message", "program")
        events, quarantine = split_rows(frame, _event_columns())
        self.assumed += events.select(pl.col("tz_assumed").sum()).item() or 0
        return events, quarantine

    def finish(self) -> None:
        if self.first_year is not None:
            self.report.assume(
                "RFC 3164 lines carry no year: the first one was read as "
                f"{self.first_year} ({self.year_origin})"
            )
        if self.years.rollover_count:
            self.report.note(
                f"{self.years.rollover_count} year rollovers, where the month fell "
                f"back by {ROLLOVER_MONTH_DROP} or more: "
                + "; ".join(self.years.rollovers)
            )
        if self.assumed:
            origin = "from --tz" if self.options.tz else "default; pass --tz to set it"
            self.report.assume(
                f"{self.assumed} times carry no UTC offset and were read in zone "
                f"{self.zone} ({origin})"
            )


def _split_layouts(lines: pl.DataFrame) -> pl.DataFrame:
    """Split each line into its layout, time fields, host, program and message.

    Every regex result is stored as a column before it is used, because
    Polars would run an expression again for each place that refers to it.
    """
    text = pl.col("text")
    frame = lines.with_columns(text.str.extract_groups(RFC3164_PREFIX).alias("bsd"))
    is_bsd = pl.col("bsd").struct.field("ts").is_not_null()
    other = pl.when(~is_bsd).then(text)
    frame = frame.with_columns(
        other.str.extract_groups(ISO_PREFIX).alias("iso"),
        other.str.extract_groups(RFC5424_PATTERN).alias("rfc5424"),
    )
    bsd, iso, rfc5424 = pl.col("bsd"), pl.col("iso"), pl.col("rfc5424")
    prefix = pl.coalesce(bsd.struct.field("prefix"), iso.struct.field("prefix"))
    frame = frame.with_columns(
        pl.when(is_bsd)
        .then(pl.lit("rfc3164"))
        .when(iso.struct.field("ts").is_not_null())
        .then(pl.lit("iso"))
        .when(rfc5424.struct.field("ts").is_not_null())
        .then(pl.lit("rfc5424"))
        .alias("layout"),
        pl.coalesce(
            bsd.struct.field("ts"), iso.struct.field("ts"), rfc5424.struct.field("ts")
        ).alias("ts"),
        month_number(bsd.struct.field("month")).alias("month"),
        text.str.slice(prefix.str.len_chars()).alias("after"),
    )
    after = pl.col("after")
    frame = frame.with_columns(after.str.extract_groups(HOST_TAG_PATTERN).alias("tag"))
    tag = pl.col("tag")
    has_tag = tag.struct.field("head").is_not_null()
    frame = frame.with_columns(
        pl.when(~has_tag).then(after).str.extract_groups(HOST_PATTERN).alias("bare")
    )
    bare = pl.col("bare")
    untagged = after.str.slice(bare.struct.field("head").str.len_chars())
    is_5424 = pl.col("layout") == "rfc5424"
    return frame.with_columns(
        pl.when(is_5424)
        .then(rfc5424.struct.field("host"))
        .otherwise(pl.coalesce(tag.struct.field("host"), bare.struct.field("host")))
        .alias("host"),
        pl.when(is_5424)
        .then(rfc5424.struct.field("app"))
        .when(has_tag)
        .then(tag.struct.field("program"))
        .otherwise(untagged.str.extract(BARE_PROGRAM))
        .alias("program"),
        pl.when(is_5424)
        .then(rfc5424.struct.field("msg").fill_null("").str.strip_chars_start("\ufeff"))
        .when(has_tag)
        .then(after.str.slice(tag.struct.field("head").str.len_chars()))
        .otherwise(untagged)
        .alias("message"),
    ).drop("iso", "rfc5424", "after", "tag", "bare")


def _time_columns(zone: str) -> list[pl.Expr]:
    bsd = pl.col("bsd")
    is_bsd = pl.col("layout") == "rfc3164"
    bsd_text = pl.format(
        "{}-{}-{} {}",
        pl.col("year"),
        pl.col("month").cast(pl.String).str.zfill(2),
        bsd.struct.field("day").str.zfill(2),
        bsd.struct.field("clock"),
    )
    micros = bsd.struct.field("fraction").fill_null("0").str.pad_end(6, "0")
    bsd_local = bsd_text.str.strptime(
        pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False
    ) + pl.duration(microseconds=micros.cast(pl.Int64))
    iso_local, iso_offset = parse_iso(pl.when(~is_bsd).then(pl.col("ts")))
    local = pl.when(is_bsd).then(bsd_local).otherwise(iso_local)
    offset = pl.when(is_bsd).then(pl.lit(None, pl.Int16)).otherwise(iso_offset)
    utc, offset_min, assumed = localize(local, offset, zone)
    return [
        local.alias("local"),
        utc.alias("timestamp"),
        offset_min.alias("tz_offset_min"),
        assumed.alias("tz_assumed"),
    ]


def _error_column(zone: str) -> pl.Expr:
    """Return why a line cannot become an event, or null when it can."""
    bsd = pl.col("bsd")
    return (
        pl.when(pl.col("text").str.contains(REPLACEMENT_CHAR, literal=True))
        .then(pl.lit("line contains bytes that are not valid in the file's encoding"))
        .when(pl.col("layout").is_null())
        .then(pl.lit(LINE_ERROR))
        .when(pl.col("ts") == "-")
        .then(pl.lit("RFC 5424 timestamp is '-' (no time recorded)"))
        .when((pl.col("layout") == "rfc3164") & pl.col("local").is_null())
        .then(
            pl.format(
                "invalid date '{} {}' in year {}",
                bsd.struct.field("month"),
                bsd.struct.field("day"),
                pl.col("year"),
            )
        )
        .when(pl.col("local").is_null())
        .then(pl.format("invalid timestamp '{}'", pl.col("ts")))
        .when(pl.col("timestamp").is_null())
        .then(
            pl.format(
                "local time '{}' does not exist in zone {} (daylight saving gap)",
                pl.col("ts"),
                pl.lit(zone),
            )
        )
        .otherwise(None)
        .alias("error")
    )


def _event_columns() -> list[pl.Expr]:
    host = pl.col("host")
    return [
        pl.col("timestamp"),
        pl.col("ts").alias("timestamp_raw"),
        pl.col("tz_offset_min"),
        pl.col("tz_assumed"),
        pl.col("program").str.replace(r"\(.*$", "").alias("event_code"),
        pl.col("event_category"),
        pl.col("event_action"),
        pl.col("event_outcome"),
        pl.col("user_name"),
        pl.col("user_domain"),
        pl.col("target_user"),
        pl.col("source_ip"),
        pl.when(host.is_in(["", "-"])).then(None).otherwise(host).alias("host_name"),
        pl.col("object"),
        shorten(pl.col("message").str.strip_chars()).alias("message"),
    ]
