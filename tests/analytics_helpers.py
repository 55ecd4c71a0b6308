"""Hand-built event frames for the analytics tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

START = date(2024, 1, 1)
DEPARTMENTS = ("Sales", "Finance")


def directory(people: int = 12, **overrides: dict) -> pl.DataFrame:
    """Return a directory of `people` users, half in Sales, half in Finance."""
    rows = []
    for index in range(people):
        user = f"user{index:02d}"
        row = {
            "user_id": user,
            "email": f"{user}@corp.example",
            "department": DEPARTMENTS[index % 2],
            "role": "Staff",
            "start_date": "2020-01-01",
            "end_date": None,
            "accounts": f"CORP\\{user};{user}@corp.example",
        }
        row.update(overrides.get(user, {}))
        rows.append(row)
    return pl.DataFrame(rows)


def routine(people: int = 12, days: int = 50, seed: int = 3) -> pl.DataFrame:
    """Return ordinary weekday activity: logons from London, downloads, mail."""
    rng = np.random.default_rng(seed)
    rows = []
    for day in range(days):
        current = START + timedelta(days=day)
        if current.weekday() >= 5:
            continue
        for index in range(people):
            user = f"user{index:02d}"
            base = datetime.combine(current, datetime.min.time())
            rows.append(event(user, base + timedelta(hours=8, minutes=index), "logon"))
            for n in range(int(rng.integers(8, 13))):
                rows.append(
                    event(
                        user,
                        base + timedelta(hours=9 + n % 8, minutes=n),
                        "file-download",
                        obj=f"https://corp.sharepoint.com/{DEPARTMENTS[index % 2]}/"
                        f"doc{int(rng.integers(0, 30))}.docx",
                    )
                )
    return frame(rows)


def event(
    user: str,
    when: datetime,
    action: str,
    obj: str | None = None,
    country: str | None = "GB",
    city: str | None = "London",
    **extra,
) -> dict:
    category = {
        "logon": "authentication",
        "logon-explicit": "authentication",
        "file-download": "file",
        "mail-send": "email",
        "log-clear": "audit",
        "http-request": "web",
    }[action]
    row = {
        "timestamp": when,
        "user_name": user,
        "user_domain": "CORP",
        "event_category": category,
        "event_action": action,
        "event_outcome": "success",
        "object": obj,
        "host_name": f"ws-{user}",
        "source_country": country if category == "authentication" else None,
        "source_city": city if category == "authentication" else None,
        "bytes": 1000,
    }
    row.update(extra)
    return row


def frame(rows: list[dict]) -> pl.DataFrame:
    """Return events with sequential event ids."""
    events = pl.DataFrame(rows, infer_schema_length=None)
    return (
        events.with_row_index("n")
        .with_columns(pl.format("ev{}", pl.col("n")).alias("event_id"))
        .drop("n")
    )


def add(events: pl.DataFrame, rows: list[dict]) -> pl.DataFrame:
    """Append hand-written events, continuing the event id sequence."""
    extra = frame(rows).with_columns(
        pl.format("extra{}", pl.int_range(pl.len())).alias("event_id")
    )
    return pl.concat([events, extra], how="diagonal_relaxed")


def day(offset: int) -> datetime:
    """Return 10:00 on the day `offset` days after START."""
    return datetime.combine(
        START + timedelta(days=offset), datetime.min.time()
    ).replace(hour=10)
