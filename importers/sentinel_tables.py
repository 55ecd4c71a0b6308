"""Microsoft Sentinel (Log Analytics) table exports saved as CSV.

A SecurityEvent export carries the Windows event fields as columns (EventID,
Computer, SubjectUserName, TargetUserName, IpAddress, LogonType...), so its
rows go through the same Windows Security rules as EVTX records. A Syslog
export carries the message text and program name, which the Linux
authentication rules classify (sudo commands, PAM sessions). Both are
recognised by their column names.

Log Analytics writes TimeGenerated in UTC but the export drops the zone, so
it is read as UTC and the report records that assumption.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from importers import windows_events
from importers.base import EVENT_SCHEMA, ImportBatch, ImportReport, conform
from importers.line_format import shorten
from importers.syslog_auth import classify
from importers.tabular_events import ORIGINAL, REF, clean, date_rows

TIME_COLUMN = "TimeGenerated"
SECURITY_EVENT_COLUMNS = {"EventID", "Computer", TIME_COLUMN}
SECURITY_EVENT_USERS = {"TargetUserName", "SubjectUserName"}
SYSLOG_COLUMNS = {"SyslogMessage", TIME_COLUMN}

# The Syslog table drops the " ; " between sudo's fields and leaves spaces
# ("TTY=unknown   PWD=/   USER=root"). Restoring it lets the auth.log sudo
# rule match.
_SUDO_GAP = r"\s{2,}((?:PWD|USER|GROUP|TSID|ENV|COMMAND)=)"
_CLASSIFIED = (
    "event_category",
    "event_action",
    "event_outcome",
    "user_name",
    "user_domain",
    "target_user",
    "source_ip",
    "object",
)
Converter = Callable[[pl.DataFrame], ImportBatch]


def converter_for(names: list[str], report: ImportReport) -> Converter | None:
    """Return a converter when `names` is a Sentinel table export, else None."""
    columns = set(names)
    if SECURITY_EVENT_COLUMNS <= columns and SECURITY_EVENT_USERS & columns:
        report.note("Sentinel SecurityEvent table export")
        report.mapping.update(
            {"timestamp": TIME_COLUMN, "event_code": "EventID", "host_name": "Computer"}
        )
        return _TableConverter(names, report, _security_events)
    if SYSLOG_COLUMNS <= columns:
        report.note("Sentinel Syslog table export")
        host = "HostName" if "HostName" in columns else "Computer"
        report.mapping.update({"timestamp": TIME_COLUMN, "message": "SyslogMessage"})
        if host in columns:
            report.mapping["host_name"] = host
        if "ProcessName" in columns:
            report.mapping["event_code"] = "ProcessName"
        return _TableConverter(names, report, _syslog_events)
    return None


class _TableConverter:
    """Converter for a table export: UTC times from TimeGenerated, then `fields`."""

    def __init__(
        self,
        names: list[str],
        report: ImportReport,
        fields: Callable[[pl.DataFrame, list[str]], pl.DataFrame],
    ) -> None:
        self.names = [name for name in names if name]
        self.report = report
        self.fields = fields

    def __call__(self, frame: pl.DataFrame) -> ImportBatch:
        dated, quarantine = date_rows(frame, TIME_COLUMN, None, "UTC", self.report)
        events = pl.concat(
            [
                dated.select(
                    "timestamp",
                    "timestamp_raw",
                    "tz_offset_min",
                    "tz_assumed",
                    pl.col(REF).alias("record_ref"),
                    pl.col(ORIGINAL).alias("original"),
                ),
                self.fields(dated, self.names),
            ],
            how="horizontal",
        )
        return ImportBatch(events=conform(events, EVENT_SCHEMA), quarantine=quarantine)


def _security_events(dated: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    source = dated.select(names).with_columns(pl.all().cast(pl.String))
    return windows_events.normalise_security_events(source)


def _syslog_events(dated: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    def column(name: str) -> pl.Expr:
        return clean(pl.col(name)) if name in names else pl.lit(None, pl.String)

    message = column("SyslogMessage").fill_null("")
    texts = dated.select(
        message.alias("text"),
        message.str.replace_all(_SUDO_GAP, " ; ${1}").alias("standard"),
        column("ProcessName").fill_null("").alias("program"),
        pl.coalesce(column("HostName"), column("Computer")).alias("host_name"),
    )
    line = pl.concat_str([pl.col("program"), pl.lit(": "), pl.col("text")])
    return classify(texts, "standard", "program").select(
        *_CLASSIFIED,
        "host_name",
        pl.when(pl.col("program") != "").then(pl.col("program")).alias("event_code"),
        shorten(line).alias("message"),
    )
