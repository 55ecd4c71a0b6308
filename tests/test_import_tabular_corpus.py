"""Generic CSV and JSON Lines import of the real sample corpus (VIGIL_SAMPLES)."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

from importers.base import ImportOptions
from workspace.importing import import_file

# Record counts listed in the corpus MANIFEST.md.
CSV_FILES = {
    "aws-s3-csv/AWS_S3_HoneyBucketLogs.csv": 301,
    "sentinel-csv/host_logons.csv": 14,
    "sentinel-csv/syslog_data.csv": 100,
    "m365-exchange-admin/demo_exchange_data.csv": 1334,
    "m365-ual/huntress2023_rogue_inbox_purview.csv": 219,
}
JSONL_FILES = {
    "entra-audit/AADAuditEvents.json": 4,
    "entra-signin/test-signinlogs-raw.log": 5,
    "gcp-audit/test-iamcredentials-googleapis-com.log": 1,
    "m365-ual/plaso_microsoft_audit_log.jsonl": 4,
    "cloudtrail/ec2_proxy_s3_exfiltration_2020-09-14011940.json": 103,
    "cloudtrail/plaso_aws_cloudtrail_lookupevents.jsonl": 6,
}


def csv_module_rows(path: Path) -> int:
    """Count data rows with Python's csv module, independently of the importer."""
    csv.field_size_limit(sys.maxsize)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return sum(1 for row in csv.reader(handle) if row) - 1


def count_rows(case, table: str) -> int:
    return case.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "expected"), CSV_FILES.items())
def test_corpus_csv_generic_path(case, samples_dir, name, expected):
    path = samples_dir / name

    report = import_file(case, path, ImportOptions(format="csv"))

    assert csv_module_rows(path) == expected
    assert report.events == expected
    assert report.quarantined == 0
    assert count_rows(case, "events") == expected
    assert report.mapping["timestamp"]


@pytest.mark.corpus
@pytest.mark.parametrize("name", CSV_FILES)
def test_corpus_csv_detected(case, samples_dir, name):
    path = samples_dir / name

    report = import_file(case, path)

    assert report.events + report.quarantined == csv_module_rows(path)
    assert report.events > 0


@pytest.mark.corpus
def test_corpus_every_csv_imports(case, samples_dir):
    paths = sorted(samples_dir.rglob("*.csv"))

    reports = [import_file(case, path) for path in paths]

    assert {str(path.relative_to(samples_dir)) for path in paths} == set(CSV_FILES)
    assert [report.status for report in reports] == ["ok"] * len(paths)


@pytest.mark.corpus
def test_corpus_exchange_multiline_rows(case, samples_dir):
    path = samples_dir / "m365-exchange-admin/demo_exchange_data.csv"

    report = import_file(case, path, ImportOptions(format="csv"))

    last_ref, last_original = case.con.execute(
        "SELECT record_ref, original FROM events "
        "ORDER BY CAST(record_ref AS INTEGER) DESC LIMIT 1"
    ).fetchone()
    assert report.mapping == {
        "timestamp": "TimeGenerated",
        "user_name": "UserId",
        "source_ip": "ClientIP",
        "event_action": "Operation",
    }
    assert last_ref == "1334"
    assert '"Parameters":"[\\n' in last_original


@pytest.mark.corpus
def test_corpus_purview_us_times(case, samples_dir):
    path = samples_dir / "m365-ual/huntress2023_rogue_inbox_purview.csv"

    report = import_file(case, path, ImportOptions(format="csv"))

    first, last = case.con.execute(
        "SELECT min(timestamp), max(timestamp) FROM events"
    ).fetchone()
    rules = case.con.execute(
        "SELECT count(*) FROM events WHERE event_action = 'inbox-rule'"
    ).fetchone()[0]
    assert report.mapping["timestamp"] == "CreationDate"
    assert first.isoformat() == "2023-09-20T04:05:03"
    assert last.date().isoformat() == "2023-09-26"
    assert rules == 38


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "expected"), JSONL_FILES.items())
def test_corpus_jsonl_generic_path(case, samples_dir, name, expected):
    path = samples_dir / name
    lines = [line for line in path.read_text().splitlines() if line.strip()]

    report = import_file(case, path, ImportOptions(format="jsonl"))

    assert len(lines) == expected
    assert report.events == expected
    assert report.quarantined == 0
