"""Column mapping for tabular sources: automatic by name, or from a mapping file.

A CSV header or the flattened keys of JSON objects name the source columns.
Each event schema column is matched to one source column by comparing names
case-insensitively with ``_ - .`` and spaces removed. A mapping file names
columns explicitly and overrides the automatic choice:

    {"columns": {"timestamp": "When", "user_name": "Who"},
     "time_format": "%d/%m/%Y %H:%M", "tz": "Europe/London",
     "event_category": "file"}
"""

from __future__ import annotations

import json
import re
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path

from importers.base import SourceError
from importers.vocabulary import CATEGORIES

# Normalised source column names for each schema column, in order of preference.
ALIASES: dict[str, tuple[str, ...]] = {
    "timestamp": (
        "time",
        "timestamp",
        "date",
        "datetime",
        "@timestamp",
        "eventtime",
        "creationtime",
        "creationdate",
        "timegenerated",
        "timecreated",
        "ts",
    ),
    "user_name": (
        "user",
        "username",
        "account",
        "userid",
        "userprincipalname",
        "actor",
        "principal",
    ),
    "source_ip": (
        "ip",
        "ipaddress",
        "clientip",
        "srcip",
        "sourceip",
        "sourceipaddress",
        "callerip",
        "remoteaddr",
    ),
    "host_name": (
        "host",
        "hostname",
        "computer",
        "computername",
        "device",
        "workstation",
    ),
    "event_action": (
        "action",
        "operation",
        "eventname",
        "activity",
        "event",
        "operationname",
    ),
    "event_outcome": ("outcome", "result", "status", "resultstatus"),
    "object": (
        "object",
        "file",
        "filename",
        "path",
        "url",
        "resource",
        "objectname",
        "target",
        "bucket",
        "key",
    ),
    "bytes": ("bytes", "size", "bytessent", "bytesout", "bytestransferred"),
    "user_agent": ("useragent", "agent"),
    "target_user": ("targetuser", "targetusername", "member"),
    "event_code": ("eventid", "code"),
}

# Schema columns that may also match a source name ending in one of their
# aliases, such as "Event DateTime" or "userIdentity.userName". The others
# match whole names only, because a suffix match there picks wrong columns
# ("errorCode" is no event code, "destinationIpAddress" no source address).
SUFFIX_MATCHED = ("timestamp", "user_name", "user_agent")
_MIN_SUFFIX_LEN = 4

# Schema columns a mapping file may name under "columns".
MAPPABLE = (*ALIASES, "user_domain", "source_country", "source_city", "message")
MAPPING_KEYS = ("columns", "time_format", "tz", "event_category")

_SEPARATORS = re.compile(r"[_\-. ]")


def normalise_name(name: str) -> str:
    """Lower-case a column name and drop ``_ - .`` and spaces."""
    return _SEPARATORS.sub("", name.lower())


@dataclass(frozen=True)
class MappingFile:
    """A validated mapping file."""

    path: Path
    columns: dict[str, str] = field(default_factory=dict)
    time_format: str | None = None
    tz: str | None = None
    event_category: str | None = None


@dataclass(frozen=True)
class ColumnMapping:
    """The mapping used for one source: schema column to source column."""

    columns: dict[str, str]
    unmapped: tuple[str, ...]
    time_format: str | None = None
    tz: str | None = None
    event_category: str | None = None
    date_column: str | None = None  # a "Date" column read before a "Time" column
    other_times: tuple[str, ...] = ()  # unused columns whose names also mean a time


def load_mapping_file(path: Path) -> MappingFile:
    """Read and validate a mapping file.

    Raises:
        SourceError: the file is missing, is not a JSON object, or has an
            unknown key or an invalid value. The message names the file and
            the key.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise SourceError(f"{path}: mapping file could not be read: {exc}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: mapping file is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise SourceError(f"{path}: mapping file must contain a JSON object")
    for key in data:
        if key not in MAPPING_KEYS:
            raise SourceError(
                f"{path}: invalid mapping file key {key!r}; "
                f"allowed keys: {', '.join(MAPPING_KEYS)}"
            )
    return MappingFile(
        path=Path(path),
        columns=_checked_columns(path, data.get("columns", {})),
        time_format=_checked_time_format(path, data.get("time_format")),
        tz=checked_zone(data.get("tz"), f"{path}: invalid mapping file key 'tz'"),
        event_category=_checked_category(path, data.get("event_category")),
    )


def _checked_columns(path: Path, columns: object) -> dict[str, str]:
    if not isinstance(columns, dict):
        raise SourceError(
            f"{path}: invalid mapping file key 'columns': expected an object "
            'such as {"timestamp": "When"}'
        )
    for target, source in columns.items():
        if target not in MAPPABLE:
            raise SourceError(
                f"{path}: invalid mapping file key 'columns.{target}': not an "
                f"event schema column; allowed: {', '.join(MAPPABLE)}"
            )
        if not isinstance(source, str) or not source:
            raise SourceError(
                f"{path}: invalid mapping file key 'columns.{target}': "
                "the value must be a source column name"
            )
    return dict(columns)


def _checked_time_format(path: Path, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or "%" not in value:
        raise SourceError(
            f"{path}: invalid mapping file key 'time_format': {value!r} is not "
            "a strftime format such as '%d/%m/%Y %H:%M'"
        )
    return value


def _checked_category(path: Path, value: object) -> str | None:
    if value is None:
        return None
    if value not in CATEGORIES:
        raise SourceError(
            f"{path}: invalid mapping file key 'event_category': {value!r}; "
            f"allowed: {', '.join(CATEGORIES)}"
        )
    return str(value)


def checked_zone(zone: object, context: str) -> str | None:
    """Return `zone` if it is an IANA zone name (or None), else raise SourceError."""
    if zone is None:
        return None
    try:
        zoneinfo.ZoneInfo(str(zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise SourceError(
            f"{context}: {zone!r} is not an IANA time zone such as 'Europe/London'"
        ) from exc
    return str(zone)


def resolve_mapping(
    source_columns: list[str], mapping_file: MappingFile | None
) -> ColumnMapping:
    """Choose a source column for each schema column.

    Columns named in the mapping file come first. The rest are matched by
    alias (whole names first, then the suffix matches of SUFFIX_MATCHED), and
    each source column feeds at most one schema column. Unnamed columns, such
    as the index column pandas writes first, are never mapped.

    Raises:
        SourceError: a column named in the mapping file is not in the source.
    """
    chosen: dict[str, str] = {}
    if mapping_file is not None:
        for target, wanted in mapping_file.columns.items():
            chosen[target] = _find_column(mapping_file.path, wanted, source_columns)
    named = [name for name in source_columns if name.strip()]
    _match_aliases(chosen, named, suffix=False)
    _match_aliases(chosen, named, suffix=True)
    used = set(chosen.values())
    date_column = None
    if mapping_file is None or "timestamp" not in mapping_file.columns:
        date_column = _date_for_time(chosen.get("timestamp"), named, used)
    if date_column is not None:
        used.add(date_column)
    ordered = {target: chosen[target] for target in MAPPABLE if target in chosen}
    time_aliases = set(ALIASES["timestamp"])
    other_times = tuple(
        name
        for name in named
        if name not in used and normalise_name(name) in time_aliases
    )
    return ColumnMapping(
        columns=ordered,
        unmapped=tuple(name for name in named if name not in used),
        time_format=mapping_file.time_format if mapping_file else None,
        tz=mapping_file.tz if mapping_file else None,
        event_category=mapping_file.event_category if mapping_file else None,
        date_column=date_column,
        other_times=other_times,
    )


def _date_for_time(
    time_column: str | None, columns: list[str], used: set[str]
) -> str | None:
    """Find the "Date" column that goes with a time-of-day column named "Time".

    Some exports (firewalls, W3C-style CSV) split the date and the time of
    day into two columns, which only together give an instant.
    """
    if time_column is None or normalise_name(time_column) != "time":
        return None
    return next(
        (
            name
            for name in columns
            if normalise_name(name) == "date" and name not in used
        ),
        None,
    )


def _find_column(path: Path, wanted: str, source_columns: list[str]) -> str:
    if wanted in source_columns:
        return wanted
    by_normal = {normalise_name(name): name for name in source_columns}
    if normalise_name(wanted) in by_normal:
        return by_normal[normalise_name(wanted)]
    raise SourceError(
        f"{path}: invalid mapping file: column {wanted!r} is not in the source; "
        f"its columns are: {', '.join(source_columns)}"
    )


def _match_aliases(chosen: dict[str, str], columns: list[str], suffix: bool) -> None:
    normal = {name: normalise_name(name) for name in columns}
    for target, aliases in ALIASES.items():
        if target in chosen or (suffix and target not in SUFFIX_MATCHED):
            continue
        free = [name for name in columns if name not in chosen.values()]
        for alias in aliases:
            if suffix and (len(alias) < _MIN_SUFFIX_LEN or alias.startswith("@")):
                continue
            match = next(
                (
                    name
                    for name in free
                    if normal[name] == alias
                    or (suffix and normal[name].endswith(alias))
                ),
                None,
            )
            if match is not None:
                chosen[target] = match
                break


def missing_time_message(path: Path | str, columns: list[str]) -> str:
    """Explain that no time column was found and how to write a mapping file."""
    listed = ", ".join(repr(name) for name in columns if name.strip())
    return (
        f"{path}: no time column recognised among the columns {listed}. "
        "Write a mapping file (JSON) that names it, for example "
        '{"columns": {"timestamp": "When", "user_name": "Who"}, '
        '"time_format": "%d/%m/%Y %H:%M", "tz": "Europe/London"}, '
        "and pass it as the mapping file option"
    )
