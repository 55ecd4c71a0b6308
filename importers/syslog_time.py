"""Years for RFC 3164 syslog times, which carry a month and day but no year.

The investigator gives the year of the first dated line (``--year``). The
lines of a file are in time order, so the year goes up by one wherever the
month falls back by `ROLLOVER_MONTH_DROP` months or more (Dec -> Jan).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import polars as pl

from importers.base import SourceFile, detect_text_encoding
from importers.line_format import line_frames

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun")
MONTHS += ("Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# A month drop this large starts a new year. Smaller drops are clock skew or
# rotated files concatenated out of order, and keep the year.
# NOTE: a file with a gap of 7 months or more between two lines (Jun, then
# Jan of the year after) gets the later lines one year too early.
ROLLOVER_MONTH_DROP = 6
MAX_ROLLOVER_NOTES = 10

# "Mmm dd hh:mm:ss" with the day space-padded ("Jun  9") or not, an optional
# fraction of a second and an optional <PRI> before it.
RFC3164_TIME = (
    rf"(?:<\d{{1,3}}>)?(?P<ts>(?P<month>{'|'.join(MONTHS)}) {{1,2}}"
    r"(?P<day>\d{1,2}) (?P<clock>\d{2}:\d{2}:\d{2})(?:\.(?P<fraction>\d{1,6}))?)"
)


def month_number(month_name: pl.Expr) -> pl.Expr:
    return month_name.replace_strict(
        list(MONTHS), list(range(1, 13)), default=None, return_dtype=pl.Int8
    )


@dataclasses.dataclass
class YearState:
    """The year of the latest RFC 3164 line, carried from batch to batch."""

    year: int
    last_month: int | None = None
    rollovers: list[str] = dataclasses.field(default_factory=list)
    rollover_count: int = 0

    def assign(self, month: pl.Series, line_no: pl.Series) -> pl.Series:
        """Return the year of each line, or null where `month` is null.

        The year rises by one at each line whose month is `ROLLOVER_MONTH_DROP`
        or more below the month of the previous dated line, in this batch or
        an earlier one.
        """
        filled = month.forward_fill()
        previous = filled.shift(1)
        if self.last_month is not None:
            previous = previous.fill_null(self.last_month)
        rollover = ((previous - month) >= ROLLOVER_MONTH_DROP).fill_null(False)
        years = self.year + rollover.cast(pl.Int32).cum_sum()
        self._record_rollovers(
            line_no.filter(rollover),
            previous.filter(rollover),
            month.filter(rollover),
            years.filter(rollover),
        )
        self.year += int(rollover.sum())
        known = filled.drop_nulls()
        if known.len():
            self.last_month = int(known[-1])
        dated_years = pl.select(pl.when(month.is_not_null()).then(years))
        return dated_years.to_series().rename("year")

    def _record_rollovers(
        self, line_no: pl.Series, before: pl.Series, after: pl.Series, year: pl.Series
    ) -> None:
        self.rollover_count += line_no.len()
        room = MAX_ROLLOVER_NOTES - len(self.rollovers)
        for number, old, new, value in zip(
            line_no.head(room), before, after, year, strict=False
        ):
            self.rollovers.append(
                f"line {number} ({MONTHS[old - 1]} -> {MONTHS[new - 1]}, year {value})"
            )


def default_base_year(
    source: SourceFile, batch_rows: int, now: datetime | None = None
) -> int | None:
    """Choose the year of the first RFC 3164 line when ``--year`` is not given.

    Reads the file once for its months. The last dated line is placed in the
    current UTC year, or in the year before when that would put it more than
    a day after `now`. Each rollover before it moves the first line one more
    year back.

    Returns:
        The year, or None when the file has no RFC 3164 line.
    """
    now = now or datetime.now(UTC)
    encoding = detect_text_encoding(source.head()) or "utf-8"
    state = YearState(year=0)
    last: tuple[int, int, str] | None = None
    for lines in line_frames(source, encoding, batch_rows):
        dated = (
            lines.select(
                pl.col("line_no"),
                pl.col("text").str.extract_groups(f"^{RFC3164_TIME} ").alias("parts"),
            )
            .unnest("parts")
            .filter(pl.col("month").is_not_null())
        )
        if not dated.height:
            continue
        months = dated.select(month_number(pl.col("month"))).to_series()
        state.assign(months, dated.get_column("line_no"))
        row = dated.row(-1, named=True)
        last = (int(months[-1]), int(row["day"]), row["clock"])
    if last is None:
        return None
    month, day, clock = last
    # A day the month lacks in the current year (Feb 29) is clamped for the
    # comparison only.
    try:
        last_date = datetime(now.year, month, day)
    except ValueError:
        last_date = datetime(now.year, month, max(1, min(day, 28)))
    hour, minute, second = (int(part) for part in clock.split(":"))
    last_time = last_date + timedelta(hours=hour, minutes=minute, seconds=second)
    last_year = now.year
    # The slack of a day covers a zone ahead of UTC.
    if last_time > now.replace(tzinfo=None) + timedelta(days=1):
        last_year -= 1
    return last_year - state.year
