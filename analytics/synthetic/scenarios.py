"""Injected insider scenarios: who, when, how strong, and the records they add.

`plan_scenarios` picks people and windows before baseline activity is drawn,
because leaving and contract ends change the days a person works.
`inject` then adds each scenario's records, tagged with its scenario id.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from analytics.synthetic.org import Organisation
from analytics.synthetic.records import RecordBuilder

# scenario kind: (min days, max days, expected features)
KINDS: dict[str, tuple[int, int, str]] = {
    "after_hours_usb_leak": (5, 12, "after_hours;usb;leak_upload"),
    "departing_employee": (14, 30, "job_search;bulk_download;bulk_copy;volume"),
    "admin_impersonation": (1, 4, "logon_as_other;mass_mail"),
    "snooping": (21, 42, "snooping_logons;personal_mail"),
    "layoff_cloud_upload": (2, 7, "cloud_upload;bulk_download"),
    "impossible_travel": (1, 2, "impossible_travel;new_country"),
    "account_sharing": (5, 15, "account_sharing;impossible_travel;new_country"),
    "access_beyond_role": (5, 15, "peer_rare_resource"),
    "post_contract": (3, 10, "post_contract;bulk_download;volume"),
    "bulk_download": (1, 3, "bulk_download;volume"),
    "accidental_leak": (1, 1, "external_mail;large_mail"),
    "low_and_slow": (25, 35, "volume;bulk_download;cloud_upload"),
}
LEAVING_KINDS = ("after_hours_usb_leak", "departing_employee")


@dataclass
class Scenario:
    """One injected scenario; `start` and `end` are day indexes, inclusive."""

    scenario_id: str
    kind: str
    user: int
    start: int
    end: int
    intensity: float
    expected: str
    records: int = 0


def _eligible(
    org: Organisation, kind: str, start: int, end: int, warm: int
) -> np.ndarray:
    role = org.column("role")
    ok = ~np.char.startswith(role.astype(str), "Head of") & (role != "Chief Executive")
    ok &= org.column("first_day") <= max(0, start - warm)
    ok &= org.column("last_day") >= end + (7 if kind in LEAVING_KINDS else 0)
    if kind == "admin_impersonation":
        ok &= org.column("is_admin")
    elif kind == "post_contract":
        ok &= org.column("contractor")
    elif kind in LEAVING_KINDS:
        ok &= ~org.column("contractor")
    if kind == "after_hours_usb_leak":
        ok &= ~org.column("usb_user")
    return ok


def plan_scenarios(
    rng: np.random.Generator, org: Organisation, insider_rate: float
) -> list[Scenario]:
    """Pick insiders, their scenario kinds and windows; update leaving dates."""
    days = org.calendar.days
    count = 0 if insider_rate <= 0 else max(1, round(org.size * insider_rate))
    kinds = list(KINDS)
    order = [kinds[i] for i in rng.permutation(len(kinds))]
    warm = min(21, days // 3)
    taken = np.zeros(org.size, dtype=bool)
    first_day = org.column("first_day").copy()
    last_day = org.column("last_day").copy()
    directory_end = org.column("directory_end").copy()
    planned = []
    for index in range(count):
        kind = order[index % len(order)]
        low, high, expected = KINDS[kind]
        length = int(min(rng.integers(low, high + 1), max(1, days - warm - 9)))
        start = int(rng.integers(warm, max(warm + 1, days - length - 8)))
        end = start + length - 1
        pool = np.flatnonzero(_eligible(org, kind, start, end, warm) & ~taken)
        if pool.size == 0:
            continue
        user = int(rng.choice(pool))
        taken[user] = True
        if kind in LEAVING_KINDS:
            last_day[user] = min(days - 1, end + int(rng.integers(1, 6)))
            directory_end[user] = last_day[user]
        elif kind == "post_contract":
            # The contract ended the day before; the account keeps working.
            directory_end[user] = start - 1
            last_day[user] = start - 1
        intensity = float(rng.uniform(0.0, 1.0))
        planned.append(
            Scenario(f"S{index + 1:03d}", kind, user, start, end, intensity, expected)
        )
    org.people = org.people.with_columns(
        pl.Series("first_day", first_day),
        pl.Series("last_day", last_day),
        pl.Series("directory_end", directory_end),
    )
    return planned


def inject(b: RecordBuilder, scenario: Scenario) -> pl.DataFrame:
    """Return the records of one scenario, tagged with its id.

    A scenario can come out empty, for one when its random counts are all
    zero on a short window. Its frame then has no rows and
    `scenario.records` is 0.
    """
    from analytics.synthetic.injectors import INJECTORS

    frames = INJECTORS[scenario.kind](b, scenario)
    filled = [f for f in frames if f.height]
    frame = pl.concat(filled, how="vertical") if filled else frames[0].clear()
    frame = frame.with_columns(pl.lit(scenario.scenario_id).alias("scenario"))
    scenario.records = frame.height
    return frame
