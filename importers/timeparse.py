"""Vectorised timestamp parsing into UTC with the source's own offset kept.

Every function here works on whole Polars series, never value by value.
Each value is converted with its own offset, so a column that mixes offsets
gives the right UTC instants whatever the batch size. A value that matches
no known layout comes back null, and the caller quarantines its record:
nothing is truncated to a shorter layout (``09-41-17`` is not read as 09h).
"""

from __future__ import annotations

import polars as pl

# Date, time with optional seconds and fraction, then an optional offset.
_ISO_PATTERN = (
    r"^\s*(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)"
    r"(?:[.,](\d{1,9}))?\s*(Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?\s*$"
)

# Layouts without an offset, tried in order after ISO 8601.
_LOCAL_FORMATS = (
    "%m/%d/%Y %I:%M:%S %p",  # Purview and Excel exports: 9/20/2023 4:05:03 AM
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%d",
)

TIME_COLUMNS = ("timestamp", "tz_offset_min", "tz_assumed")


def offset_minutes(offset: pl.Expr) -> pl.Expr:
    """Convert offset text (``Z``, ``+05:30``, ``-0700``, ``+02``) to minutes."""
    digits = offset.str.replace_all(":", "")
    sign = pl.when(digits.str.starts_with("-")).then(-1).otherwise(1)
    hours = digits.str.slice(1, 2).cast(pl.Int32, strict=False)
    minutes = digits.str.slice(3, 2).cast(pl.Int32, strict=False).fill_null(0)
    numeric = sign * (hours * 60 + minutes)
    is_utc = offset.str.to_uppercase().is_in(["Z", "UTC", "GMT"])
    return pl.when(is_utc).then(0).otherwise(numeric).cast(pl.Int16)


def localize(
    local: pl.Expr, offset_min: pl.Expr, tz: str | None
) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Turn wall-clock times into UTC.

    Values with a known offset use it. The others are read in zone `tz`
    (UTC when `tz` is None) and flagged as assumed.

    Returns:
        Expressions for the UTC timestamp, the offset in minutes and the
        assumed flag.
    """
    known = offset_min.is_not_null()
    zone = tz or "UTC"
    zoned = (
        local.dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
        .dt.replace_time_zone(None)
    )
    shifted = local - pl.duration(minutes=offset_min.cast(pl.Int64))
    utc = pl.when(known).then(shifted).otherwise(zoned)
    derived_offset = ((local - zoned).dt.total_minutes()).cast(pl.Int16)
    offset = pl.when(known).then(offset_min).otherwise(derived_offset)
    assumed = ~known & local.is_not_null()
    return utc, offset, assumed


def parse_iso(raw: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Parse ISO 8601 text into wall-clock time and the written offset.

    Returns:
        The naive local time (null where the layout does not match) and the
        offset in minutes (null where the text carries none).
    """
    parts = raw.str.extract_groups(_ISO_PATTERN)
    date = parts.struct.field("1")
    clock = parts.struct.field("2")
    fraction = parts.struct.field("3").fill_null("0")
    clock = pl.when(clock.str.len_chars() == 5).then(clock + ":00").otherwise(clock)
    nanos = fraction.str.pad_end(9, "0").cast(pl.Int64, strict=False)
    base = (date + " " + clock).str.strptime(
        pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False
    )
    local = base + pl.duration(microseconds=nanos // 1000)
    return local, offset_minutes(parts.struct.field("4"))


def parse_local(raw: pl.Expr, formats: tuple[str, ...] = _LOCAL_FORMATS) -> pl.Expr:
    """Parse text in any of `formats` (which carry no offset) as naive time."""
    stripped = raw.str.strip_chars()
    candidates = [
        stripped.str.strptime(pl.Datetime("us"), fmt, strict=False) for fmt in formats
    ]
    return pl.coalesce(candidates)


def parse_epoch(raw: pl.Expr) -> pl.Expr:
    """Parse Unix time in seconds (10 digits) or milliseconds (13 digits)."""
    text = raw.str.strip_chars()
    is_seconds = text.str.contains(r"^\d{9,10}(?:\.\d+)?$")
    is_millis = text.str.contains(r"^\d{12,13}$")
    number = text.cast(pl.Float64, strict=False)
    micros = (
        pl.when(is_seconds)
        .then(number * 1_000_000)
        .when(is_millis)
        .then(number * 1_000)
        .otherwise(None)
    )
    return micros.cast(pl.Int64).cast(pl.Datetime("us"))


def parse_any(raw: pl.Expr, tz: str | None) -> list[pl.Expr]:
    """Parse ISO 8601, common offset-less layouts and Unix epochs into UTC.

    Epoch values are UTC by definition and never flagged as assumed.

    Returns:
        Expressions named ``timestamp``, ``tz_offset_min`` and ``tz_assumed``.
    """
    iso_local, iso_offset = parse_iso(raw)
    local = pl.coalesce([iso_local, parse_local(raw)])
    utc, offset, assumed = localize(local, iso_offset, tz)
    epoch = parse_epoch(raw)
    is_epoch = local.is_null() & epoch.is_not_null()
    return [
        pl.when(is_epoch).then(epoch).otherwise(utc).alias("timestamp"),
        pl.when(is_epoch)
        .then(pl.lit(0, pl.Int16))
        .otherwise(offset)
        .alias("tz_offset_min"),
        pl.when(is_epoch).then(False).otherwise(assumed).alias("tz_assumed"),
    ]
