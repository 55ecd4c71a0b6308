"""Time columns of tabular rows: parse the text and convert it to UTC.

Most exports write ISO 8601 with a ``T`` or a space, seconds, an optional
fraction and an optional offset. Those values are read with one fixed-layout
strptime call, which costs a fraction of the general regular-expression
parser. Only the rows these layouts reject go through timeparse.parse_any,
so mixed layouts and offsets in one column still come out right.
"""

from __future__ import annotations

import polars as pl

from importers.timeparse import localize, offset_minutes, parse_any

_ORDER = "__vigil_order"
_WALL = "__vigil_wall"
_OFFSET = "__vigil_offset"
_OFFSET_AT_END = r"(Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)$"
# chrono layout: %.f also accepts a missing fraction.
_ISO_LAYOUT = "%Y-%m-%dT%H:%M:%S%.f"


def parse_times(raw: pl.Expr, time_format: str | None, tz: str | None) -> list[pl.Expr]:
    """Parse time text into ``timestamp``, ``tz_offset_min`` and ``tz_assumed``.

    Without `time_format` this is timeparse.parse_any. A format with ``%z``
    carries its own offset. Any other format is read in zone `tz` (UTC when
    None) and flagged as assumed.
    """
    if time_format is None:
        return parse_any(raw, tz)
    if "%z" in time_format or "%:z" in time_format:
        aware = raw.str.strptime(pl.Datetime("us", "UTC"), time_format, strict=False)
        offset = offset_minutes(raw.str.extract(_OFFSET_AT_END))
        return [
            aware.dt.replace_time_zone(None).alias("timestamp"),
            pl.when(aware.is_not_null()).then(offset).alias("tz_offset_min"),
            pl.lit(False).alias("tz_assumed"),
        ]
    local = raw.str.strptime(pl.Datetime("us"), time_format, strict=False)
    utc, offset, assumed = localize(local, pl.lit(None, pl.Int16), tz)
    return [
        utc.alias("timestamp"),
        offset.alias("tz_offset_min"),
        assumed.alias("tz_assumed"),
    ]


def fast_times(frame: pl.DataFrame, tz: str | None) -> pl.DataFrame:
    """Add the time columns for ISO 8601 values. Others get a null timestamp.

    The trailing offset is cut off and the rest must match one fixed layout
    exactly, so a value such as ``2024-03-04T09-41-17+00:00`` is rejected,
    not read in part. Each step is materialised because the expressions
    that follow use its result several times.
    """
    raw = pl.col("timestamp_raw")
    frame = frame.with_columns(
        raw.str.extract(_OFFSET_AT_END).alias(_OFFSET),
        raw.str.replace(_OFFSET_AT_END, "")
        .str.replace(" ", "T", literal=True)
        .alias(_WALL),
    )
    frame = frame.with_columns(
        pl.col(_WALL).str.strptime(pl.Datetime("us"), _ISO_LAYOUT, strict=False),
        offset_minutes(pl.col(_OFFSET)).alias(_OFFSET),
    )
    utc, offset, assumed = localize(pl.col(_WALL), pl.col(_OFFSET), tz)
    return frame.with_columns(
        utc.alias("timestamp"),
        offset.alias("tz_offset_min"),
        assumed.alias("tz_assumed"),
    ).drop(_WALL, _OFFSET)


def add_times(
    frame: pl.DataFrame, time_format: str | None, tz: str | None
) -> pl.DataFrame:
    """Add the time columns parsed from the ``timestamp_raw`` column of `frame`.

    Rows keep their order. A value no layout accepts gets a null timestamp.
    """
    raw = pl.col("timestamp_raw")
    if time_format is not None:
        return frame.with_columns(parse_times(raw, time_format, tz))
    frame = fast_times(frame, tz)
    rest = pl.col("timestamp").is_null() & raw.is_not_null()
    if not frame.select(rest.any()).item():
        return frame
    frame = frame.with_row_index(_ORDER)
    slow = frame.filter(rest).with_columns(parse_any(raw, tz))
    return pl.concat([frame.filter(~rest), slow]).sort(_ORDER).drop(_ORDER)
