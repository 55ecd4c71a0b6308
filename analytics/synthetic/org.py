"""The people, calendar and habits of a synthetic organisation.

Habits are drawn once per person and persist for the whole window, so each
person has a stable baseline that scenarios can depart from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from analytics.synthetic import catalog


@dataclass
class Calendar:
    """The days of the window with their weekday, holiday and month-end flags."""

    start: date
    days: int
    dates: list[date]
    workday: np.ndarray  # bool[days]
    month_end: np.ndarray  # bool[days]: last two working days of a month

    @property
    def day_epoch_us(self) -> np.ndarray:
        """Microseconds since 1970-01-01 at midnight UTC of each day."""
        first = (self.start - date(1970, 1, 1)).days
        return (np.arange(self.days, dtype=np.int64) + first) * 86_400_000_000


def easter(year: int) -> date:
    """Return Easter Sunday (Gregorian calendar, anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month = (h + m - 7 * n + 114) // 31
    day = (h + m - 7 * n + 114) % 31 + 1
    return date(year, month, day)


def public_holidays(year: int) -> set[date]:
    """Return the England and Wales bank holidays of `year` (no substitute days)."""

    def first_monday(month: int) -> date:
        day = date(year, month, 1)
        return day + timedelta(days=(7 - day.weekday()) % 7)

    def last_monday(month: int) -> date:
        day = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
        return day - timedelta(days=day.weekday())

    sunday = easter(year)
    return {
        date(year, 1, 1),
        sunday - timedelta(days=2),
        sunday + timedelta(days=1),
        first_monday(5),
        last_monday(5),
        last_monday(8),
        date(year, 12, 25),
        date(year, 12, 26),
    }


def build_calendar(start: date, days: int) -> Calendar:
    dates = [start + timedelta(days=i) for i in range(days)]
    holidays: set[date] = set()
    for year in {d.year for d in dates} | {dates[-1].year + 1}:
        holidays |= public_holidays(year)

    def is_workday(day: date) -> bool:
        return day.weekday() < 5 and day not in holidays

    workday = np.array([is_workday(d) for d in dates])
    month_end = np.zeros(days, dtype=bool)
    for i, day in enumerate(dates):
        # Month-end: no more than one working day left in the month after it.
        following = day + timedelta(days=1)
        left = 0
        while following.month == day.month:
            left += is_workday(following)
            following += timedelta(days=1)
        month_end[i] = workday[i] and left <= 1
    return Calendar(start, days, dates, workday, month_end)


@dataclass
class Organisation:
    """Everyone in the organisation: one row per person in `people`.

    Day fields are indexes into the calendar. `first_day` and `last_day`
    bound the days the person is active; `directory_end` is the end date the
    directory shows (it differs from `last_day` for a contractor who keeps
    working after the contract ended).
    """

    calendar: Calendar
    people: pl.DataFrame

    @property
    def size(self) -> int:
        return self.people.height

    def column(self, name: str) -> np.ndarray:
        return self.people.get_column(name).to_numpy()


def _user_ids(rng: np.random.Generator, count: int) -> tuple[list[str], list[str]]:
    firsts = rng.choice(catalog.FIRST_NAMES, count)
    lasts = rng.choice(catalog.LAST_NAMES, count)
    seen: dict[str, int] = {}
    ids, names = [], []
    for first, last in zip(firsts, lasts, strict=True):
        base = f"{first[0]}{last}"
        seen[base] = seen.get(base, 0) + 1
        ids.append(base if seen[base] == 1 else f"{base}{seen[base]}")
        names.append(f"{first.title()} {last.title()}")
    return ids, names


def build_organisation(
    rng: np.random.Generator, users: int, calendar: Calendar
) -> Organisation:
    """Draw departments, managers, employment dates and habits for `users` people."""
    days = calendar.days
    shares = np.array([d[1] for d in catalog.DEPARTMENTS])
    dept = np.sort(rng.choice(len(shares), users - 1, p=shares / shares.sum()))
    dept_names = [d[0] for d in catalog.DEPARTMENTS]
    ids, names = _user_ids(rng, users)

    department = ["Executive"] + [dept_names[i] for i in dept]
    role = ["Chief Executive"]
    manager = [""]
    heads: dict[str, str] = {}
    for index, name in enumerate(department[1:], start=1):
        roles = catalog.DEPARTMENTS[dept_names.index(name)][2]
        if name not in heads:
            heads[name] = ids[index]
            role.append(f"Head of {name}")
            manager.append(ids[0])
        else:
            role.append(roles[int(rng.integers(len(roles)))])
            manager.append(heads[name])

    dept_index = np.array([-1] + dept.tolist())
    is_head = np.array([r.startswith(("Head of", "Chief")) for r in role])
    contractor = np.array([d == "Contractors" for d in department])

    first_day = np.zeros(users, dtype=np.int64)
    last_day = np.full(users, days - 1, dtype=np.int64)
    roll = rng.random(users)
    new_hire = (roll < 0.05) & ~is_head
    first_day[new_hire] = rng.integers(10, max(11, days - 20), new_hire.sum())
    leaver = (roll > 0.96) & ~is_head
    last_day[leaver] = rng.integers(min(30, days - 2), days - 1, leaver.sum())
    contract_ends = contractor & (rng.random(users) < 0.3) & ~new_hire & ~leaver
    last_day[contract_ends] = rng.integers(
        min(20, days - 2), days - 1, contract_ends.sum()
    )
    directory_end = np.where(last_day < days - 1, last_day, -1)

    late = rng.random(users) < 0.08
    start_hour = np.clip(rng.normal(8.3, 0.7, users), 6.5, 10.5)
    start_hour[late] = rng.uniform(11.0, 13.0, late.sum())
    day_length = np.clip(rng.normal(8.5, 0.7, users), 6.5, 10.5)
    day_length[late] = rng.uniform(9.5, 11.0, late.sum())
    weekend_rate = np.where(late | (dept_index == dept_names.index("IT")), 0.15, 0.03)

    travel_share = np.array([0.02] + [catalog.DEPARTMENTS[i][4] for i in dept])
    office = rng.choice(len(catalog.OFFICES), users, p=catalog.OFFICE_WEIGHTS)
    host_numbers = rng.choice(90_000, users, replace=False) + 10_000
    # One address per workstation: (third, fourth octet) is unique per index.
    ip_third = 1 + office * 40 + (np.arange(users) // 240)
    people = pl.DataFrame(
        {
            "user_id": ids,
            "display_name": names,
            "department": department,
            "dept_index": dept_index,
            "role": role,
            "manager": manager,
            "first_day": first_day,
            "last_day": last_day,
            "directory_end": directory_end,
            "new_hire": new_hire,
            "contractor": contractor,
            "is_admin": dept_index == dept_names.index("IT"),
            "late_worker": late,
            "start_hour": start_hour,
            "day_length": day_length,
            "weekend_rate": weekend_rate,
            "usb_user": rng.random(users) < 0.10,
            "traveller": rng.random(users) < travel_share,
            "shared_machine_user": rng.random(users) < 0.06,
            "job_browser": rng.random(users) < 0.15,
            "cloud_user": rng.random(users) < 0.08,
            "office": office,
            "host": [f"WS-{n:05d}" for n in host_numbers],
            "ip": [
                f"10.{o + 1}.{t % 256}.{10 + i % 240}"
                for i, (o, t) in enumerate(zip(office, ip_third, strict=True))
            ],
            "file_offset": rng.integers(0, catalog.FILES_PER_DEPARTMENT, users),
            "agent": rng.integers(0, len(catalog.USER_AGENTS), users),
            "external_mail_rate": np.array(
                [0.05] + [catalog.DEPARTMENTS[i][5] for i in dept]
            ),
            "file_rate": np.array([2.0] + [catalog.DEPARTMENTS[i][3] for i in dept]),
        }
    )
    return Organisation(calendar, people)


def active_days(rng: np.random.Generator, org: Organisation) -> np.ndarray:
    """Return bool[users, days]: the days each person works.

    Working days minus a one-to-two-week holiday and random days off, plus
    occasional weekend and holiday work, inside each person's employment.
    """
    cal = org.calendar
    users, days = org.size, cal.days
    day = np.arange(days)
    employed = (day[None, :] >= org.column("first_day")[:, None]) & (
        day[None, :] <= org.column("last_day")[:, None]
    )
    off = rng.random((users, days)) < 0.04
    leave_start = rng.integers(0, max(1, days - 10), users)
    leave_length = rng.integers(5, 12, users)
    takes_leave = rng.random(users) < min(1.0, days / 180)
    on_leave = (
        (day[None, :] >= leave_start[:, None])
        & (day[None, :] < (leave_start + leave_length)[:, None])
        & takes_leave[:, None]
    )
    weekend_work = rng.random((users, days)) < org.column("weekend_rate")[:, None]
    working = np.where(cal.workday[None, :], ~off & ~on_leave, weekend_work)
    return working & employed


def trips(
    rng: np.random.Generator, org: Organisation, active: np.ndarray
) -> np.ndarray:
    """Return int[users, days]: index into TRIP_CITIES while travelling, else -1."""
    users, days = active.shape
    where = np.full((users, days), -1, dtype=np.int64)
    travellers = np.flatnonzero(org.column("traveller"))
    for user in travellers:
        # A traveller keeps to a few favourite destinations.
        favourites = rng.choice(len(catalog.TRIP_CITIES), 3, replace=False)
        for _ in range(int(rng.integers(1, 2 + days // 45))):
            begin = int(rng.integers(0, max(1, days - 6)))
            length = int(rng.integers(2, 6))
            where[user, begin : begin + length] = rng.choice(favourites)
    return where
