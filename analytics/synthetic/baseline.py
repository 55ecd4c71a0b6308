"""Everyday activity of every person, including the benign look-alikes of threats.

Counts per person and day are Poisson draws on a rate matrix; `explode`
turns them into one row per record. Benign look-alikes drawn here: IT
administrators with access to every department's share and their own admin
accounts, travellers abroad, Finance month-end at ten times its usual volume,
job-site browsing by people who stay, personal cloud drives, USB users,
occasional single mails to outside addresses, and shared machines.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from analytics.synthetic import catalog
from analytics.synthetic.org import Organisation
from analytics.synthetic.records import (
    HOUR_US,
    TRIP_BASE,
    RecordBuilder,
    explode,
    place_ip,
)

MINUTE_US = 60_000_000


def baseline_records(
    b: RecordBuilder, active: np.ndarray, travel: np.ndarray
) -> list[pl.DataFrame]:
    """Return the everyday records of everyone on their active days."""
    return [
        *windows_records(b, active),
        *linux_records(b, active),
        *proxy_records(b, active),
        *m365_records(b, active),
        *cloudtrail_records(b, active),
        *signin_records(b, active, travel),
    ]


def _rates(org: Organisation, active: np.ndarray, per_user: np.ndarray) -> np.ndarray:
    return active * np.asarray(per_user, dtype=float)[:, None]


def windows_records(b: RecordBuilder, active: np.ndarray) -> list[pl.DataFrame]:
    org, rng = b.org, b.rng
    users = org.size
    frames = []

    # One interactive session a working day, on the own or a shared machine.
    user, day = explode(active.astype(np.int64))
    start = b.day_us[day] + (org.column("start_hour")[user] * HOUR_US).astype(np.int64)
    start += rng.integers(-15, 15, user.size) * MINUTE_US
    end = start + (org.column("day_length")[user] * HOUR_US).astype(np.int64)
    shared = org.column("shared_machine_user")[user] & (rng.random(user.size) < 0.4)
    host = np.where(shared, b.pick(catalog.SHARED_HOSTS, user.size), b.hosts[user])
    logon_type = np.where(rng.random(user.size) < 0.1, "11", "2")
    frames.append(b.frame("windows", "4624", user, start, host=host, extra=logon_type))
    frames.append(b.frame("windows", "4634", user, end, host=host, extra=logon_type))

    # Network logons to the file server and mistyped passwords.
    user, day = explode(rng.poisson(_rates(org, active, np.full(users, 1.0))))
    frames.append(
        b.frame(
            "windows",
            "4624",
            user,
            b.work_times(user, day),
            host=np.full(user.size, catalog.FILE_SERVER),
            extra=np.full(user.size, "3"),
        )
    )
    user, day = explode(rng.poisson(_rates(org, active, np.full(users, 0.05))))
    frames.append(
        b.frame(
            "windows",
            "4625",
            user,
            b.work_times(user, day),
            extra=np.full(user.size, "2"),
        )
    )

    # File server object access; Finance reads ten times as much at month-end.
    rate = _rates(org, active, org.column("file_rate"))
    finance = org.column("department") == "Finance"
    rate[np.ix_(finance, org.calendar.month_end)] *= 10
    user, day = explode(rng.poisson(rate))
    dept = b.dept[user].copy()
    admin = org.column("is_admin")[user]
    broad = admin & (rng.random(user.size) < 0.5)
    dept[broad] = rng.integers(0, len(catalog.DEPARTMENTS), broad.sum())
    frames.append(
        b.frame(
            "windows",
            "4663",
            user,
            b.work_times(user, day),
            host=np.full(user.size, catalog.FILE_SERVER),
            obj=b.share_paths(dept, b.file_numbers(user)).to_numpy(),
            extra=np.full(user.size, "0x1"),
        )
    )

    # Administrators run tools with their own admin account (a-<user>).
    admins = org.column("is_admin")
    user, day = explode(rng.poisson(_rates(org, active, admins * 0.8)))
    frames.append(
        b.frame(
            "windows",
            "4648",
            user,
            b.work_times(user, day),
            extra=np.full(user.size, "admin"),
        )
    )

    # USB users plug in a stick now and then and copy a few files to it.
    plug = rng.random(active.shape) < 0.12 * org.column("usb_user")[:, None]
    user, day = explode((plug & active).astype(np.int64))
    ts = b.work_times(user, day)
    frames.append(b.frame("windows", "6416", user, ts))
    copies = rng.poisson(3, user.size) + 1
    cu = np.repeat(user, copies)
    cts = np.repeat(ts, copies) + rng.integers(1, 90, cu.size) * MINUTE_US
    frames.append(usb_copies(b, cu, cts))
    return frames


def usb_copies(b: RecordBuilder, user: np.ndarray, ts: np.ndarray) -> pl.DataFrame:
    """4663 writes to a removable drive (E:) on the person's workstation."""
    names = b.file_names(b.department_names(b.dept[user]), b.file_numbers(user))
    return b.frame(
        "windows",
        "4663",
        user,
        ts,
        obj=("E:\\" + names).to_numpy(),
        extra=np.full(user.size, "0x2"),
    )


def linux_records(b: RecordBuilder, active: np.ndarray) -> list[pl.DataFrame]:
    org, rng = b.org, b.rng
    dept = org.column("department")
    ssh = np.select(
        [dept == "Engineering", dept == "IT", dept == "Contractors"], [2.5, 3.0, 1.5], 0
    )
    sudo = np.select([dept == "IT", dept == "Engineering"], [3.0, 0.4], 0)
    frames = []
    for op, per_user in (
        ("ssh-accepted", ssh),
        ("ssh-failed", ssh * 0.04),
        ("sudo", sudo),
    ):
        user, day = explode(rng.poisson(_rates(org, active, per_user)))
        favourite = org.column("file_offset")[user] + rng.integers(0, 3, user.size)
        host = np.asarray(catalog.LINUX_HOSTS)[favourite % len(catalog.LINUX_HOSTS)]
        frames.append(b.frame("linux", op, user, b.work_times(user, day), host=host))
    return frames


def proxy_records(b: RecordBuilder, active: np.ndarray) -> list[pl.DataFrame]:
    org, rng = b.org, b.rng
    users = org.size
    frames = []
    user, day = explode(rng.poisson(_rates(org, active, np.full(users, 14.0))))
    frames.append(web(b, "GET", user, b.work_times(user, day), catalog.BUSINESS_SITES))

    # Job sites: a few sessions a month for many people who never leave.
    browse = np.where(org.column("job_browser"), 0.08, 0.005)
    sessions = rng.random(active.shape) < browse[:, None]
    user, day = explode((sessions & active) * rng.integers(3, 9, active.shape))
    frames.append(web(b, "GET", user, b.work_times(user, day), catalog.JOB_SITES))

    # Personal cloud drives: occasional modest uploads by a few people.
    cloud = org.column("cloud_user") * 0.06
    user, day = explode(rng.poisson(_rates(org, active, cloud)))
    size = rng.lognormal(14.0, 1.0, user.size).astype(np.int64)
    frames.append(
        web(b, "POST", user, b.work_times(user, day), catalog.CLOUD_DRIVES, size)
    )
    # Engineers read paste sites.
    engineers = (org.column("department") == "Engineering") * 0.05
    user, day = explode(rng.poisson(_rates(org, active, engineers)))
    frames.append(
        web(b, "GET", user, b.work_times(user, day), ("https://pastebin.com/raw",))
    )
    return frames


def web(
    b: RecordBuilder,
    method: str,
    user: np.ndarray,
    ts: np.ndarray,
    sites: tuple[str, ...],
    size: np.ndarray | None = None,
    scenario: str | None = None,
) -> pl.DataFrame:
    """Proxy requests; for POST, `bytes` is the uploaded size (see writers)."""
    if size is None:
        size = b.rng.lognormal(9.5, 1.2, user.size).astype(np.int64) + 200
    urls = b.pick(sites, user.size)
    extra = {} if scenario is None else {"scenario": np.full(user.size, scenario)}
    return b.frame("proxy", method, user, ts, obj=urls, bytes=size, **extra)


def m365_records(b: RecordBuilder, active: np.ndarray) -> list[pl.DataFrame]:
    org, rng = b.org, b.rng
    users = org.size
    frames = []
    file_rate = org.column("file_rate")
    finance = org.column("department") == "Finance"
    for op, scale in (
        ("FileAccessed", 0.5),
        ("FileDownloaded", 0.25),
        ("FileUploaded", 0.1),
    ):
        rate = _rates(org, active, file_rate * scale)
        if op != "FileUploaded":
            rate[np.ix_(finance, org.calendar.month_end)] *= 10
        user, day = explode(rng.poisson(rate))
        frames.append(sharepoint(b, op, user, b.work_times(user, day)))

    user, day = explode(rng.poisson(_rates(org, active, np.full(users, 3.0))))
    frames.append(mail(b, user, b.work_times(user, day), internal_recipients(b, user)))

    # Mail to partners and customers, and a rare single mail to a personal box.
    rate = _rates(org, active, org.column("external_mail_rate"))
    user, day = explode(rng.poisson(rate))
    frames.append(
        mail(b, user, b.work_times(user, day), outside_addresses(b, user, partner=True))
    )
    user, day = explode(rng.poisson(_rates(org, active, np.full(users, 0.004))))
    frames.append(
        mail(
            b, user, b.work_times(user, day), outside_addresses(b, user, partner=False)
        )
    )
    # Inbox rules that file mail into a folder (no forwarding).
    user, day = explode(rng.poisson(_rates(org, active, np.full(users, 0.003))))
    frames.append(
        b.frame(
            "m365",
            "New-InboxRule",
            user,
            b.work_times(user, day),
            obj=np.full(user.size, "Newsletters"),
        )
    )
    return frames


def sharepoint(
    b: RecordBuilder,
    op: str,
    user: np.ndarray,
    ts: np.ndarray,
    dept: np.ndarray | None = None,
    scenario: str | None = None,
) -> pl.DataFrame:
    dept = b.dept[user] if dept is None else dept
    size = b.rng.lognormal(12.0, 1.0, user.size).astype(np.int64)
    extra = {} if scenario is None else {"scenario": np.full(user.size, scenario)}
    return b.frame(
        "m365",
        op,
        user,
        ts,
        obj=b.sharepoint_urls(dept, b.file_numbers(user)).to_numpy(),
        bytes=size,
        **extra,
    )


def internal_recipients(
    b: RecordBuilder, user: np.ndarray, count: int = 1
) -> np.ndarray:
    """Addresses of random colleagues, `count` per mail, joined with ';'."""
    picks = b.rng.integers(0, b.org.size, (user.size, count))
    addresses = np.char.add(b.user_ids[picks], "@" + catalog.MAIL_DOMAIN)
    if count == 1:
        return addresses[:, 0]
    return np.array([";".join(row) for row in addresses])


def outside_addresses(b: RecordBuilder, user: np.ndarray, partner: bool) -> np.ndarray:
    """Return a partner contact, or the person's own personal mail address."""
    if partner:
        local = b.pick(("info", "accounts", "j.smith", "legal", "orders"), user.size)
        domains = b.pick(catalog.PARTNER_MAIL_DOMAINS, user.size)
    else:
        local = np.char.add(b.user_ids[user], ".home")
        domains = b.pick(catalog.PERSONAL_MAIL_DOMAINS, user.size)
    return np.char.add(np.char.add(local, "@"), domains)


def mail(
    b: RecordBuilder,
    user: np.ndarray,
    ts: np.ndarray,
    recipients: np.ndarray,
    size: np.ndarray | None = None,
    scenario: str | None = None,
    **columns,
) -> pl.DataFrame:
    if size is None:
        size = b.rng.lognormal(10.5, 1.0, user.size).astype(np.int64)
    if scenario is not None:
        columns["scenario"] = np.full(user.size, scenario)
    return b.frame("m365", "Send", user, ts, extra=recipients, bytes=size, **columns)


def cloudtrail_records(b: RecordBuilder, active: np.ndarray) -> list[pl.DataFrame]:
    org, rng = b.org, b.rng
    users_s3 = np.isin(org.column("department"), catalog.S3_DEPARTMENTS)
    frames = []
    for op, rate in (("ListObjects", 1.0), ("GetObject", 4.0)):
        user, day = explode(rng.poisson(_rates(org, active, users_s3 * rate)))
        frames.append(s3(b, op, user, b.work_times(user, day)))
    return frames


def s3(
    b: RecordBuilder,
    op: str,
    user: np.ndarray,
    ts: np.ndarray,
    scenario: str | None = None,
) -> pl.DataFrame:
    contractor = b.org.column("contractor")[user]
    bucket = np.where(
        contractor,
        b.pick(catalog.S3_BUCKETS[1:], user.size),
        b.pick(catalog.S3_BUCKETS[:2], user.size),
    )
    numbers = b.file_numbers(user)
    keys = pl.Series(numbers).cast(pl.String).str.zfill(5)
    obj = pl.Series(np.char.add(bucket, "/datasets/part-")) + keys + ".parquet"
    size = np.where(
        op == "GetObject", b.rng.lognormal(14.0, 1.0, user.size).astype(np.int64), 0
    )
    extra = {} if scenario is None else {"scenario": np.full(user.size, scenario)}
    return b.frame("cloudtrail", op, user, ts, obj=obj.to_numpy(), bytes=size, **extra)


def signin_records(
    b: RecordBuilder, active: np.ndarray, travel: np.ndarray
) -> list[pl.DataFrame]:
    rng = b.rng
    frames = []
    counts = active * (1 + rng.poisson(0.8, active.shape))
    user, day = explode(counts)
    frames.append(
        signins(b, user, b.work_times(user, day), home_place(b, user, day, travel))
    )
    user, day = explode(rng.poisson(active * 0.04))
    frames.append(
        signins(
            b,
            user,
            b.work_times(user, day),
            home_place(b, user, day, travel),
            error="50126",
        )
    )
    return frames


def home_place(
    b: RecordBuilder, user: np.ndarray, day: np.ndarray, travel: np.ndarray
) -> np.ndarray:
    trip = travel[user, day]
    return np.where(trip >= 0, TRIP_BASE + trip, b.org.column("office")[user])


def signins(
    b: RecordBuilder,
    user: np.ndarray,
    ts: np.ndarray,
    place: np.ndarray,
    error: str = "0",
    scenario: str | None = None,
) -> pl.DataFrame:
    extra = {} if scenario is None else {"scenario": np.full(user.size, scenario)}
    return b.frame(
        "signin",
        np.full(user.size, error),
        user,
        ts,
        place=place,
        ip=place_ip(place, user),
        host=np.full(user.size, None),
        **extra,
    )
