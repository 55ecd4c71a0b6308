"""Write canonical records as the real log formats Vigil imports.

Each writer returns the scenario id and record reference of every injected
record it wrote, so the ground truth can name them. The references follow
the importers: the 1-based line number for line formats, the 1-based data
row (header not counted) for CSV, and ``Records[i]`` (0-based) for CloudTrail
JSON documents.

Proxy convention: an Apache combined log has only the response size, so an
upload is written as a POST whose byte count is the size of the uploaded body.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from analytics.synthetic import catalog

GROUND_COLUMNS = ("scenario_id", "file", "record_ref")


def time_text(fmt: str) -> pl.Expr:
    return pl.from_epoch(pl.col("ts"), time_unit="us").dt.strftime(fmt)


def odd_case(column: pl.Expr, mask: pl.Expr) -> pl.Expr:
    """Upper-case a few user names, as some sources and admins write them."""
    return pl.when(mask).then(column.str.to_uppercase()).otherwise(column)


def ground(frame: pl.DataFrame, name: str, ref: pl.Expr) -> pl.DataFrame:
    return frame.filter(pl.col("scenario").is_not_null()).select(
        pl.col("scenario").alias("scenario_id"),
        pl.lit(name).alias("file"),
        ref.cast(pl.String).alias("record_ref"),
    )


def insert_dirty(
    frame: pl.DataFrame, dirty: list[str], rng: np.random.Generator
) -> pl.DataFrame:
    """Insert malformed lines at random places in a (text, scenario) frame."""
    if not dirty or frame.height == 0:
        return frame
    positions = np.sort(rng.integers(0, frame.height, len(dirty)))
    order = np.concatenate([np.arange(frame.height), positions + 0.5])
    bad = pl.DataFrame(
        {"text": dirty, "scenario": [None] * len(dirty)},
        schema={"text": pl.String, "scenario": pl.String},
    )
    both = pl.concat([frame.select("text", "scenario"), bad])
    return both.with_columns(pl.Series("order", order)).sort("order").drop("order")


def write_lines(
    frame: pl.DataFrame,
    path: Path,
    name: str,
    header: str | None = None,
) -> pl.DataFrame:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        if header:
            handle.write(header + "\n")
        texts = frame.get_column("text")
        for start in range(0, frame.height, 200_000):
            chunk = texts.slice(start, 200_000)
            handle.write("\n".join(chunk.to_list()))
            handle.write("\n")
    numbered = frame.with_row_index("row", offset=1)
    return ground(numbered, name, pl.col("row"))


def _csv_field(column: pl.Expr) -> pl.Expr:
    """Quote a CSV field when it contains a comma, a quote or a newline."""
    text = column.fill_null("")
    needs = text.str.contains(r'[",\n]')
    quoted = pl.lit('"') + text.str.replace_all('"', '""', literal=True) + pl.lit('"')
    return pl.when(needs).then(quoted).otherwise(text)


def csv_lines(columns: dict[str, pl.Expr]) -> pl.Expr:
    return pl.concat_str([_csv_field(e) for e in columns.values()], separator=",")


def write_windows(
    records: pl.DataFrame, out: Path, rng: np.random.Generator
) -> pl.DataFrame:
    """Sentinel SecurityEvent-style CSV export of Windows Security events."""
    name = "windows/SecurityEvent.csv"
    frame = records.filter(pl.col("source") == "windows").sort("ts", "user")
    odd = pl.Series(rng.random(frame.height) < 0.01)
    frame = frame.with_columns(odd=odd)
    actor = odd_case(pl.col("user_id"), pl.col("odd"))
    account = odd_case(pl.col("account_id"), pl.col("odd"))
    op = pl.col("op")
    machine = pl.col("host") + "$"
    explicit_target = (
        pl.when(pl.col("extra") == "admin")
        .then("a-" + pl.col("user_id"))
        .otherwise(account)
    )
    logon = op.is_in(["4624", "4625", "4634"])
    target = (
        pl.when(logon)
        .then(account)
        .when(op == "4648")
        .then(explicit_target)
        .otherwise(None)
    )
    subject = (
        pl.when(op == "6416")
        .then(machine)
        .when(op.is_in(["4648", "4663"]))
        .then(actor)
        .when(logon & (pl.col("extra") == "2"))
        .then(machine)
        .otherwise(pl.lit("-"))
    )
    shown = (
        pl.when(op == "6416").then(machine).when(logon).then(account).otherwise(actor)
    )
    columns = {
        "TimeGenerated": time_text("%Y-%m-%dT%H:%M:%S%.3fZ"),
        "EventID": op,
        "Computer": pl.col("host"),
        "Account": pl.lit(catalog.DOMAIN + "\\") + shown,
        "TargetUserName": target,
        "TargetDomainName": pl.when(target.is_not_null()).then(pl.lit(catalog.DOMAIN)),
        "SubjectUserName": subject,
        "SubjectDomainName": pl.lit(catalog.DOMAIN),
        "IpAddress": pl.when(logon).then(pl.col("ip")).otherwise(pl.lit("-")),
        "LogonType": pl.when(logon).then(pl.col("extra")),
        "WorkstationName": pl.when(logon).then(pl.col("user_host")),
        "ObjectName": pl.col("obj"),
        "AccessMask": pl.when(op == "4663").then(pl.col("extra")),
        # 12812 is the Removable Storage task, 12800 the File System task.
        "Task": pl.when(op == "4663").then(
            pl.when(pl.col("obj").str.starts_with("E:\\"))
            .then(pl.lit("12812"))
            .otherwise(pl.lit("12800"))
        ),
        "DeviceDescription": pl.when(op == "6416").then(
            pl.lit("USB Mass Storage Device")
        ),
        "ClassName": pl.when(op == "6416").then(pl.lit("DiskDrive")),
    }
    lines = frame.select(csv_lines(columns).alias("text"), "scenario")
    dirty = [
        "2024-02-30T25:61:00.000Z,4624,WS-00000,CORP\\broken"
        + "," * (len(columns) - 4),
        "this line was cut off by the export tool",
    ]
    lines = insert_dirty(lines, dirty, rng)
    return write_lines(lines, out / name, name, header=",".join(columns))


def write_linux(
    records: pl.DataFrame, out: Path, rng: np.random.Generator
) -> pl.DataFrame:
    """auth.log lines (sshd and sudo), one file per calendar year."""
    frame = records.filter(pl.col("source") == "linux").sort("ts", "user")
    frame = frame.with_columns(
        pid=pl.Series(rng.integers(1000, 65000, frame.height)),
        port=pl.Series(rng.integers(40000, 65000, frame.height)),
        year=pl.from_epoch("ts", time_unit="us").dt.year(),
    )
    stamp = time_text("%b %e %H:%M:%S")
    user = pl.col("user_id")
    sshd = pl.concat_str(
        [
            stamp,
            pl.lit(" "),
            pl.col("host"),
            pl.lit(" sshd["),
            pl.col("pid").cast(pl.String),
            pl.lit("]: "),
        ]
    )
    tail = pl.concat_str(
        [
            user,
            pl.lit(" from "),
            pl.col("ip"),
            pl.lit(" port "),
            pl.col("port").cast(pl.String),
            pl.lit(" ssh2"),
        ]
    )
    text = (
        pl.when(pl.col("op") == "ssh-accepted")
        .then(
            sshd + "Accepted publickey for " + tail + ": ED25519 SHA256:k3yF1ng3rPr1nt"
        )
        .when(pl.col("op") == "ssh-failed")
        .then(sshd + "Failed password for " + tail)
        .otherwise(
            pl.concat_str(
                [
                    stamp,
                    pl.lit(" "),
                    pl.col("host"),
                    pl.lit(" sudo:     "),
                    user,
                    pl.lit(" : TTY=pts/0 ; PWD=/home/"),
                    user,
                    pl.lit(" ; USER=root ; COMMAND=/usr/bin/systemctl restart app"),
                ]
            )
        )
    )
    grounds = []
    for (year,), part in frame.group_by("year", maintain_order=True):
        name = f"linux/auth-{year}.log"
        lines = part.select(text.alias("text"), "scenario")
        lines = insert_dirty(lines, ["Mar  3 10:1"], rng)
        grounds.append(write_lines(lines, out / name, name))
    return (
        pl.concat(grounds)
        if grounds
        else pl.DataFrame(schema=dict.fromkeys(GROUND_COLUMNS, pl.String))
    )


def write_proxy(
    records: pl.DataFrame, out: Path, rng: np.random.Generator
) -> pl.DataFrame:
    """Web proxy access log in Apache combined format with the user in %u."""
    name = "proxy/access.log"
    frame = records.filter(pl.col("source") == "proxy").sort("ts", "user")
    odd = pl.Series(rng.random(frame.height) < 0.005)
    agents = pl.Series(np.asarray(catalog.USER_AGENTS))
    text = pl.concat_str(
        [
            pl.col("ip"),
            pl.lit(" - "),
            odd_case(pl.col("user_id"), pl.lit(odd)),
            pl.lit(" ["),
            time_text("%d/%b/%Y:%H:%M:%S +0000"),
            pl.lit('] "'),
            pl.col("op"),
            pl.lit(" "),
            pl.col("obj"),
            pl.lit(' HTTP/1.1" '),
            pl.when(pl.col("op") == "POST")
            .then(pl.lit("201"))
            .otherwise(pl.lit("200")),
            pl.lit(" "),
            pl.col("bytes").cast(pl.String),
            pl.lit(' "-" "'),
            pl.col("agent_index").replace_strict(
                list(range(len(agents))), agents, return_dtype=pl.String
            ),
            pl.lit('"'),
        ]
    )
    lines = frame.select(text.alias("text"), "scenario")
    lines = insert_dirty(
        lines,
        ["-- proxy service restarted --", "10.1.1.1 - jdoe [01/Jan/2024:09:"],
        rng,
    )
    return write_lines(lines, out / name, name)
