"""The demo case: every bundled sample imports and the case gets analysed."""

from __future__ import annotations

import pytest

from app.demo import build_demo_case, samples_dir
from workspace import Workspace

# Events per bundled file, from the counts published with each sample.
BUNDLED_EVENTS = {
    "ID4720-4726_Fast_created-deleted_user.evtx": 2,
    "ID4728-Massive_account_group_membership_change.evtx": 11,
    "ID4776-4625_AccountRestore_local_bruteforce.evtx": 16,
    "host_logons.csv": 14,
    "syslog_data.csv": 100,
    "auditd_log.txt": 1708,
    "demo_exchange_data.csv": 1334,
    "plaso_microsoft_audit_log.jsonl": 4,
    "plaso_aws_cloudtrail_lookupevents.jsonl": 6,
    "ec2_proxy_s3_exfiltration_2020-09-14011940.json": 103,
    "AWS_S3_HoneyBucketLogs.csv": 301,
    "AADAuditEvents.json": 4,
    "apache_logs_first2000": 2000,
}


@pytest.fixture(scope="module")
def demo_case(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo") / "demo.vigil"
    build_demo_case(root)
    with Workspace.open(root, read_only=True) as workspace:
        yield workspace


def test_every_bundled_file_listed():
    bundled = {p.name for p in samples_dir().rglob("*") if p.suffix != ".md"}
    bundled -= {p.name for p in samples_dir().iterdir() if p.is_dir()}

    assert bundled == set(BUNDLED_EVENTS)


def test_bundled_counts(demo_case):
    sources = demo_case.sources()
    counts = dict(zip(sources["name"], sources["events"], strict=True))

    for name, expected in BUNDLED_EVENTS.items():
        assert counts[name] == expected, name


def test_bundled_nothing_quarantined(demo_case):
    sources = demo_case.sources().filter(
        demo_case.sources()["name"].is_in(list(BUNDLED_EVENTS))
    )

    assert sources["quarantined"].sum() == 0
    assert set(sources["status"]) == {"ok"}


def test_demo_has_risk(demo_case):
    top = demo_case.con.execute("SELECT count(*) FROM risk WHERE score > 0").fetchone()[
        0
    ]

    assert top > 0


def test_rebuild_replaces_case(tmp_path):
    root = tmp_path / "d.vigil"
    build_demo_case(root, analyse=False)

    build_demo_case(root, analyse=False)

    with Workspace.open(root, read_only=True) as workspace:
        assert workspace.sources().height == len(BUNDLED_EVENTS)


def test_rebuild_spares_other_folder(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")

    with pytest.raises(FileExistsError):
        build_demo_case(folder)

    assert (folder / "keep.txt").read_text() == "mine"
