"""The canonical record frame that baseline activity and scenarios both produce.

One row per record to be written, in any of the six output formats. The
writers turn these rows into the real file formats; this module only builds
them, column-wise with NumPy and Polars.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from analytics.synthetic import catalog
from analytics.synthetic.org import Organisation

RECORD_SCHEMA: dict[str, pl.DataType] = {
    "ts": pl.Int64,  # microseconds since 1970-01-01 UTC
    "user": pl.Int32,  # index of the person acting
    "account": pl.Int32,  # index of the person whose account is used
    "source": pl.String,  # windows, linux, proxy, m365, cloudtrail, signin
    "op": pl.String,  # EventID, sshd/sudo kind, HTTP method, Operation, API call
    "host": pl.String,
    "ip": pl.String,
    "obj": pl.String,
    "bytes": pl.Int64,
    "place": pl.Int32,  # index into PLACES for sign-ins
    "extra": pl.String,  # logon type, recipients, forwarding address
    "scenario": pl.String,  # scenario id of injected records, else null
}

PLACES = catalog.OFFICES + catalog.TRIP_CITIES + catalog.FOREIGN_CITIES
TRIP_BASE = len(catalog.OFFICES)
FOREIGN_BASE = TRIP_BASE + len(catalog.TRIP_CITIES)
EXTENSIONS = np.array(["xlsx", "docx", "pdf", "pptx", "csv"])
HOUR_US = 3_600_000_000


class RecordBuilder:
    """Builds canonical record frames for people of one organisation."""

    def __init__(self, org: Organisation, rng: np.random.Generator) -> None:
        self.org = org
        self.rng = rng
        self.user_ids = org.people.get_column("user_id").to_numpy().astype(str)
        self.hosts = org.column("host").astype(str)
        self.ips = org.column("ip").astype(str)
        self.dept = org.column("dept_index")
        self.day_us = org.calendar.day_epoch_us
        self.dept_names = np.array(
            ["Executive"] + [d[0] for d in catalog.DEPARTMENTS]
        )  # shifted by one: dept_index -1 is Executive

    # -- times ---------------------------------------------------------------
    def work_times(self, user: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Return random instants inside each person's working hours on `day`."""
        start = self.org.column("start_hour")[user]
        length = self.org.column("day_length")[user]
        hours = start + self.rng.random(user.size) * length
        return self.day_us[day] + (hours * HOUR_US).astype(np.int64)

    def hour_times(self, day: np.ndarray, low: float, high: float) -> np.ndarray:
        """Return random instants between hours `low` and `high` (may pass 24)."""
        hours = self.rng.uniform(low, high, day.size)
        return self.day_us[day] + (hours * HOUR_US).astype(np.int64)

    # -- objects -------------------------------------------------------------
    def department_names(self, dept: np.ndarray) -> np.ndarray:
        return self.dept_names[dept + 1]

    def file_numbers(self, user: np.ndarray, habitual: float = 0.7) -> np.ndarray:
        """Draw file numbers: mostly from a person's habitual set, else any."""
        n = user.size
        own = (self.org.column("file_offset")[user] + self.rng.integers(0, 30, n)) % (
            catalog.FILES_PER_DEPARTMENT
        )
        anywhere = self.rng.integers(0, catalog.FILES_PER_DEPARTMENT, n)
        return np.where(self.rng.random(n) < habitual, own, anywhere)

    @staticmethod
    def file_names(dept_names: np.ndarray, numbers: np.ndarray) -> pl.Series:
        frame = pl.DataFrame({"d": dept_names, "k": numbers})
        return frame.select(
            pl.format(
                "{}-{}.{}",
                pl.col("d").str.to_lowercase(),
                pl.col("k").cast(pl.String).str.zfill(4),
                pl.Series(EXTENSIONS[numbers % EXTENSIONS.size]),
            )
        ).to_series()

    def share_paths(self, dept: np.ndarray, numbers: np.ndarray) -> pl.Series:
        """UNC paths on the file server, one share per department."""
        names = self.department_names(dept)
        files = self.file_names(names, numbers)
        return pl.Series(np.char.add(f"\\\\{catalog.FILE_SERVER}\\", names)) + (
            "\\" + files
        )

    def sharepoint_urls(self, dept: np.ndarray, numbers: np.ndarray) -> pl.Series:
        names = self.department_names(dept)
        files = self.file_names(names, numbers)
        return pl.Series(np.char.add(catalog.SHAREPOINT + "/", names)) + (
            "/Documents/" + files
        )

    def pick(self, choices: tuple[str, ...] | np.ndarray, n: int) -> np.ndarray:
        return np.asarray(choices)[self.rng.integers(0, len(choices), n)]

    # -- frames --------------------------------------------------------------
    def frame(
        self,
        source: str,
        op: str | np.ndarray,
        user: np.ndarray,
        ts: np.ndarray,
        **columns,
    ) -> pl.DataFrame:
        """Build records; `host` and `ip` default to the person's workstation."""
        n = user.size
        data = {
            "ts": ts.astype(np.int64),
            "user": user.astype(np.int32),
            "account": columns.pop("account", user).astype(np.int32),
            "source": np.full(n, source),
            "op": op if isinstance(op, np.ndarray) else np.full(n, op),
        }
        data["host"] = columns.pop("host", self.hosts[user])
        data["ip"] = columns.pop("ip", self.ips[user])
        data.update(columns)
        frame = (
            pl.DataFrame({k: v for k, v in data.items()}, strict=False)
            if n
            else pl.DataFrame(schema=RECORD_SCHEMA)
        )
        missing = [
            pl.lit(None, dtype=dtype).alias(name)
            for name, dtype in RECORD_SCHEMA.items()
            if name not in frame.columns
        ]
        return frame.with_columns(missing).select(
            [pl.col(name).cast(dtype) for name, dtype in RECORD_SCHEMA.items()]
        )


def explode(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Turn int[users, days] counts into (user, day) index pairs, one per record."""
    days = counts.shape[1]
    cells = np.repeat(np.arange(counts.size), counts.ravel())
    return cells // days, cells % days


def place_ip(place: np.ndarray, user: np.ndarray) -> np.ndarray:
    """Public address of a sign-in from `place`, one per person and place.

    The form is 100.<64 + block>.<place prefix>.<host> inside the shared
    address space 100.64.0.0/10, unique for up to 16,000 people.
    """
    prefixes = np.array([p[2] for p in PLACES])[place]
    second = np.char.add("100.", (64 + (user // 250) % 64).astype(str))
    third = np.char.add(".", prefixes.astype(str))
    fourth = np.char.add(".", (1 + user % 250).astype(str))
    return np.char.add(np.char.add(second, third), fourth)
