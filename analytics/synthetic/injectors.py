"""The records each insider scenario adds, one function per scenario kind.

Each function takes the record builder and the planned scenario and returns
record frames; `scenarios.inject` tags them with the scenario id.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from analytics.synthetic import catalog
from analytics.synthetic.baseline import (
    MINUTE_US,
    internal_recipients,
    mail,
    outside_addresses,
    s3,
    sharepoint,
    signins,
    usb_copies,
    web,
)
from analytics.synthetic.records import FOREIGN_BASE, HOUR_US, RecordBuilder
from analytics.synthetic.scenarios import Scenario


def _days(b: RecordBuilder, s: Scenario, workdays_only: bool = True) -> np.ndarray:
    days = np.arange(s.start, s.end + 1)
    if workdays_only:
        work = days[b.org.calendar.workday[days]]
        days = work if work.size else days
    return days


def _repeat(s: Scenario, days: np.ndarray, counts: np.ndarray) -> tuple:
    day = np.repeat(days, counts)
    return np.full(day.size, s.user), day


def after_hours_usb_leak(b: RecordBuilder, s: Scenario) -> list[pl.DataFrame]:
    rng = b.rng
    nights = _days(b, s, workdays_only=False)
    nights = nights[rng.random(nights.size) < 0.7] if nights.size > 2 else nights
    user = np.full(nights.size, s.user)
    logon = b.hour_times(nights, 20.5, 23.0)
    frames = [
        b.frame("windows", "4624", user, logon, extra=np.full(user.size, "2")),
        b.frame(
            "windows",
            "4634",
            user,
            logon + rng.integers(2, 4, user.size) * HOUR_US,
            extra=np.full(user.size, "2"),
        ),
    ]
    reads = rng.integers(5, 15, nights.size) * (1 + 2 * s.intensity)
    ru = np.repeat(user, reads.astype(int))
    rts = (
        np.repeat(logon, reads.astype(int)) + rng.integers(5, 110, ru.size) * MINUTE_US
    )
    frames.append(
        b.frame(
            "windows",
            "4663",
            ru,
            rts,
            host=np.full(ru.size, catalog.FILE_SERVER),
            obj=b.share_paths(b.dept[ru], b.file_numbers(ru, 0.2)).to_numpy(),
            extra=np.full(ru.size, "0x1"),
        )
    )
    usb_night = nights[nights.size // 2 :][:1] if nights.size else np.array([s.end])
    uts = b.hour_times(usb_night, 22.0, 23.5)
    frames.append(b.frame("windows", "6416", np.array([s.user]), uts))
    copies = int(10 + 30 * s.intensity)
    cu = np.full(copies, s.user)
    cts = np.repeat(uts, copies) + rng.integers(1, 40, copies) * MINUTE_US
    frames.append(usb_copies(b, cu, cts))
    uploads = int(rng.integers(1, 4))
    lu = np.full(uploads, s.user)
    lts = b.hour_times(np.full(uploads, s.end), 21.0, 23.5)
    size = rng.integers(50, 500, uploads) * 1_000_000
    frames.append(web(b, "POST", lu, lts, catalog.LEAK_SITES[1:], size))
    return frames


def departing_employee(b: RecordBuilder, s: Scenario) -> list[pl.DataFrame]:
    rng = b.rng
    days = _days(b, s)
    half = max(1, days.size // 2)
    search, take = days[:half], days[half:] if days.size > 1 else days
    user, day = _repeat(s, search, rng.integers(5, 16, search.size))
    frames = [web(b, "GET", user, b.work_times(user, day), catalog.JOB_SITES)]
    multiple = 3 + 7 * s.intensity
    rate = b.org.column("file_rate")[s.user]
    user, day = _repeat(
        s, take, rng.poisson((multiple - 1) * rate * 0.25 + 1, take.size)
    )
    frames.append(sharepoint(b, "FileDownloaded", user, b.work_times(user, day)))
    user, day = _repeat(s, take, rng.poisson((multiple - 1) * rate + 1, take.size))
    frames.append(
        b.frame(
            "windows",
            "4663",
            user,
            b.work_times(user, day),
            host=np.full(user.size, catalog.FILE_SERVER),
            obj=b.share_paths(b.dept[user], b.file_numbers(user, 0.3)).to_numpy(),
            extra=np.full(user.size, "0x1"),
        )
    )
    if rng.random() < 0.5:
        # Some leavers also forward their mail to a personal address.
        rule_day = np.array([take[0]])
        user = np.array([s.user])
        frames.append(
            b.frame(
                "m365",
                "New-InboxRule",
                user,
                b.work_times(user, rule_day),
                obj=np.array(["fwd"]),
                extra=outside_addresses(b, user, partner=False),
            )
        )
    return frames


def admin_impersonation(b: RecordBuilder, s: Scenario) -> list[pl.DataFrame]:
    rng = b.rng
    ids = list(b.user_ids)
    boss = ids.index(b.org.column("manager")[s.user])
    days = _days(b, s)
    user = np.full(days.size, s.user)
    ts = b.work_times(user, days)
    account = np.full(days.size, boss)
    frames = [
        b.frame("windows", "4648", user, ts, account=account),
        b.frame(
            "windows",
            "4624",
            user,
            ts + 2_000_000,
            account=account,
            extra=np.full(user.size, "2"),
        ),
    ]
    mails = int(20 + 60 * s.intensity)
    mu = np.full(mails, s.user)
    mts = (
        np.repeat(ts, mails // days.size + 1)[:mails]
        + rng.integers(1, 120, mails) * MINUTE_US
    )
    frames.append(
        mail(b, mu, mts, internal_recipients(b, mu, 15), account=np.full(mails, boss))
    )
    return frames


def snooping(b: RecordBuilder, s: Scenario) -> list[pl.DataFrame]:
    rng = b.rng
    days = _days(b, s)
    progress = (days - s.start) / max(1, s.end - s.start)
    per_day = rng.poisson((1 + 5 * progress) * (0.5 + s.intensity))
    user, day = _repeat(s, days, per_day)
    victims = rng.integers(0, b.org.size, user.size)
    ts = b.work_times(user, day)
    frames = [
        b.frame(
            "windows",
            "4624",
            user,
            ts,
            host=b.hosts[victims],
            extra=np.full(user.size, "3"),
        ),
    ]
    paths = pl.Series(
        np.char.add(np.char.add("\\\\", b.hosts[victims]), "\\C$\\Users\\")
    )
    paths = paths + pl.Series(b.user_ids[victims]) + "\\Documents\\notes.docx"
    frames.append(
        b.frame(
            "windows",
            "4663",
            user,
            ts + 60_000_000,
            host=b.hosts[victims],
            obj=paths.to_numpy(),
            extra=np.full(user.size, "0x1"),
        )
    )
    mails = rng.random(days.size) < 0.2 + 0.6 * progress
    mu = np.full(mails.sum(), s.user)
    mts = b.work_times(mu, days[mails])
    size = rng.integers(1, 10, mu.size) * 1_000_000
    frames.append(mail(b, mu, mts, outside_addresses(b, mu, partner=False), size))
    return frames


def layoff_cloud_upload(b: RecordBuilder, s: Scenario) -> list[pl.DataFrame]:
    rng = b.rng
    days = _days(b, s)
    user, day = _repeat(s, days, rng.integers(3, 16, days.size))
    size = (rng.integers(5, 100, user.size) * (1 + s.intensity)).astype(np.int64)
    frames = [
        web(
            b,
            "POST",
            user,
            b.work_times(user, day),
            (str(b.pick(catalog.CLOUD_DRIVES, 1)[0]),),
            size * 1_000_000,
        ),
    ]
    user, day = _repeat(s, days, rng.integers(2, 8, days.size))
    frames.append(sharepoint(b, "FileDownloaded", user, b.work_times(user, day)))
    return frames


def _foreign_place(b: RecordBuilder) -> int:
    return FOREIGN_BASE + int(b.rng.integers(0, len(catalog.FOREIGN_CITIES)))


def impossible_travel(b: RecordBuilder, s: Scenario) -> list[pl.DataFrame]:
    rng = b.rng
    home = int(b.org.column("office")[s.user])
    days = np.arange(s.start, s.end + 1)
    user = np.full(days.size, s.user)
    first = b.hour_times(days, 8.0, 10.0)
    foreign = _foreign_place(b)
    later = first + rng.integers(30, 120, days.size) * MINUTE_US
    frames = [
        signins(b, user, first, np.full(days.size, home)),
        signins(b, user, later, np.full(days.size, foreign)),
    ]
    extra = np.repeat(later, 3) + rng.integers(5, 90, days.size * 3) * MINUTE_US
    eu = np.full(extra.size, s.user)
    frames.append(signins(b, eu, extra, np.full(extra.size, foreign)))
    return frames


def account_sharing(b: RecordBuilder, s: Scenario) -> list[pl.DataFrame]:
    rng = b.rng
    home = int(b.org.column("office")[s.user])
    foreign = _foreign_place(b)
    days = _days(b, s)
    user, day = _repeat(s, days, rng.integers(2, 5, days.size))
    frames = [signins(b, user, b.work_times(user, day), np.full(user.size, home))]
    user, day = _repeat(s, days, rng.integers(2, 6, days.size))
    frames.append(
        signins(b, user, b.work_times(user, day), np.full(user.size, foreign))
    )
    return frames


def access_beyond_role(b: RecordBuilder, s: Scenario) -> list[pl.DataFrame]:
    rng = b.rng
    names = [d[0] for d in catalog.DEPARTMENTS]
    own = int(b.dept[s.user])
    others = [i for i, n in enumerate(names) if i != own and n not in ("IT", "Sales")]
    target = int(rng.choice(others))
    days = _days(b, s)
    user, day = _repeat(s, days, rng.integers(3, 11, days.size))
    dept = np.full(user.size, target)
    numbers = rng.integers(0, catalog.FILES_PER_DEPARTMENT, user.size)
    restricted = b.file_names(b.department_names(dept), numbers)
    path = f"\\\\{catalog.FILE_SERVER}\\{names[target]}-Restricted\\"
    frames = [
        b.frame(
            "windows",
            "4663",
            user,
            b.work_times(user, day),
            host=np.full(user.size, catalog.FILE_SERVER),
            obj=(path + restricted).to_numpy(),
            extra=np.full(user.size, "0x1"),
        ),
    ]
    user, day = _repeat(s, days, rng.integers(1, 5, days.size))
    frames.append(
        sharepoint(
            b,
            "FileAccessed",
            user,
            b.work_times(user, day),
            dept=np.full(user.size, target),
        )
    )
    return frames


def post_contract(b: RecordBuilder, s: Scenario) -> list[pl.DataFrame]:
    rng = b.rng
    days = _days(b, s)
    days = days[rng.random(days.size) < 0.7] if days.size > 1 else days
    home = int(b.org.column("office")[s.user])
    user, day = _repeat(s, days, rng.integers(1, 3, days.size))
    frames = [signins(b, user, b.work_times(user, day), np.full(user.size, home))]
    gets = (rng.integers(20, 60, days.size) * (1 + s.intensity)).astype(int)
    user, day = _repeat(s, days, gets)
    frames.append(s3(b, "GetObject", user, b.work_times(user, day)))
    user, day = _repeat(s, days, rng.integers(2, 10, days.size))
    frames.append(s3(b, "ListObjects", user, b.work_times(user, day)))
    return frames


def bulk_download(b: RecordBuilder, s: Scenario) -> list[pl.DataFrame]:
    rng = b.rng
    days = _days(b, s)
    multiple = 10 * 10**s.intensity  # 10x to 100x, log-uniform
    if b.org.column("department")[s.user] in catalog.S3_DEPARTMENTS:
        user, day = _repeat(s, days, rng.poisson(multiple * 4.0, days.size))
        return [s3(b, "GetObject", user, b.work_times(user, day))]
    rate = b.org.column("file_rate")[s.user] * 0.25
    user, day = _repeat(s, days, rng.poisson(multiple * rate, days.size))
    return [sharepoint(b, "FileDownloaded", user, b.work_times(user, day))]


def accidental_leak(b: RecordBuilder, s: Scenario) -> list[pl.DataFrame]:
    user = np.array([s.user])
    ts = b.work_times(user, np.array([s.start]))
    size = np.array([int((10 + 40 * s.intensity) * 1_000_000)])
    return [mail(b, user, ts, outside_addresses(b, user, partner=True), size)]


def low_and_slow(b: RecordBuilder, s: Scenario) -> list[pl.DataFrame]:
    rng = b.rng
    days = _days(b, s)
    multiple = 1.5 + 0.5 * s.intensity
    rate = b.org.column("file_rate")[s.user] * 0.25
    user, day = _repeat(s, days, rng.poisson((multiple - 1) * rate, days.size))
    frames = [sharepoint(b, "FileDownloaded", user, b.work_times(user, day))]
    user, day = _repeat(s, days, rng.poisson((multiple - 1) * rate * 4, days.size))
    frames.append(
        b.frame(
            "windows",
            "4663",
            user,
            b.work_times(user, day),
            host=np.full(user.size, catalog.FILE_SERVER),
            obj=b.share_paths(b.dept[user], b.file_numbers(user)).to_numpy(),
            extra=np.full(user.size, "0x1"),
        )
    )
    upload_days = days[rng.random(days.size) < 0.3]
    user = np.full(upload_days.size, s.user)
    size = rng.integers(2, 10, user.size) * 1_000_000
    frames.append(
        web(
            b,
            "POST",
            user,
            b.work_times(user, upload_days),
            (str(b.pick(catalog.CLOUD_DRIVES, 1)[0]),),
            size,
        )
    )
    return frames


INJECTORS = {
    "after_hours_usb_leak": after_hours_usb_leak,
    "departing_employee": departing_employee,
    "admin_impersonation": admin_impersonation,
    "snooping": snooping,
    "layoff_cloud_upload": layoff_cloud_upload,
    "impossible_travel": impossible_travel,
    "account_sharing": account_sharing,
    "access_beyond_role": access_beyond_role,
    "post_contract": post_contract,
    "bulk_download": bulk_download,
    "accidental_leak": accidental_leak,
    "low_and_slow": low_and_slow,
}
