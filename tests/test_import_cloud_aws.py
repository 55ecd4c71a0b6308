"""AWS CloudTrail and Google Cloud audit log importers, through a real case."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from cloud_logs import CLOUD_DATA, gzipped, import_into

RECORDS = CLOUD_DATA / "cloudtrail_s3_records.json"


@pytest.fixture
def trail(case, tmp_path):
    """The hand-written S3 delivery file, gzipped as CloudTrail writes it."""
    return import_into(case, gzipped(RECORDS, tmp_path))


def test_trail_counts(trail):
    assert trail.report.format == "cloudtrail"
    assert trail.report.events == 10
    assert trail.report.quarantined == 1
    assert trail.error("Records[10]") == "missing time field eventTime"


def test_trail_console_failure(trail):
    event = trail.event("Records[0]")

    assert event["timestamp"] == datetime(2024, 5, 6, 8, 0, 1)
    assert event["timestamp_raw"] == "2024-05-06T08:00:01Z"
    assert event["tz_offset_min"] == 0
    assert event["tz_assumed"] is False
    assert event["event_code"] == "signin.amazonaws.com:ConsoleLogin"
    assert event["event_category"] == "authentication"
    assert event["event_action"] == "logon-failed"
    assert event["event_outcome"] == "failure"
    assert event["user_name"] == "avery.lin"
    assert event["user_domain"] == "111122223333"
    assert event["source_ip"] == "198.51.100.23"
    assert event["message"] == "ConsoleLogin failed: Failed authentication"


def test_trail_console_success(trail):
    event = trail.event("Records[1]")

    assert event["event_action"] == "logon"
    assert event["event_outcome"] == "success"
    assert event["source_ip"] == "2001:db8::23"


def test_trail_role_download(trail):
    event = trail.event("Records[2]")

    assert event["event_category"] == "file"
    assert event["event_action"] == "file-download"
    assert event["user_name"] == "avery.lin@example.com"
    assert event["user_domain"] == "111122223333"
    assert event["object"] == "finance-reports/2024/q1/payroll.xlsx"
    assert event["bytes"] == 524288
    assert (
        event["user_agent"] == "[aws-cli/2.15.0 Python/3.11.6 Linux/6.5.0 exe/x86_64]"
    )


def test_trail_upload_bytes(trail):
    event = trail.event("Records[3]")

    assert event["event_action"] == "file-upload"
    assert event["object"] == "staging-drop/dump.tar.gz"
    assert event["bytes"] == 1048576


def test_trail_root_iam_changes(trail):
    actions = trail.column("event_action")
    targets = trail.column("target_user")
    users = trail.column("user_name")

    assert actions["Records[4]"] == "user-created"
    assert actions["Records[5]"] == "privilege-grant"
    assert actions["Records[6]"] == "access-key-created"
    assert targets["Records[4]"] == "backup-admin"
    assert targets["Records[5]"] == "backup-admin"
    assert users["Records[4]"] == "root"
    assert trail.event("Records[5]")["object"] == (
        "arn:aws:iam::aws:policy/AdministratorAccess"
    )


def test_trail_stop_logging(trail):
    event = trail.event("Records[7]")

    assert event["event_category"] == "audit"
    assert event["event_action"] == "log-clear"
    assert (
        event["object"] == "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail"
    )


def test_trail_denied_secret(trail):
    event = trail.event("Records[8]")

    assert event["event_action"] == "file-read"
    assert event["event_outcome"] == "failure"
    assert event["object"] == "prod/db/password"
    assert event["message"] == "GetSecretValue prod/db/password failed: AccessDenied"


def test_trail_service_caller(trail):
    event = trail.event("Records[9]")

    assert event["user_name"] == "cloudtrail.amazonaws.com"
    assert event["source_ip"] is None
    assert event["event_category"] == "file"
    assert event["event_action"] == "other"


def test_trail_gzip_matches_plain(case, trail):
    plain = import_into(case, RECORDS)

    columns = ["record_ref", "timestamp", "event_action", "user_name", "object"]
    assert plain.report.duplicates == 0
    assert (
        plain.events.filter(plain.events["source_id"] == 2).select(columns).rows()
        == trail.events.select(columns).rows()
    )


def test_logstash_lines(case):
    path = CLOUD_DATA / "ec2_proxy_s3_exfiltration_2020-09-14011940.json"

    imported = import_into(case, path)

    event = imported.event("103")
    actions = imported.events.get_column("event_action").value_counts()
    assert imported.report.events == 103
    assert imported.report.quarantined == 0
    assert event["timestamp"] == datetime(2020, 9, 14, 1, 13, 20)
    assert event["timestamp_raw"] == "2020-09-14T01:13:20.000Z"
    assert event["event_action"] == "file-download"
    assert event["user_name"] == "i-0317f6c6b66ae9c40"
    assert event["object"] == "mordors3stack-s3bucket-llp2yingx64a/ring.txt"
    assert event["bytes"] == 89
    assert dict(actions.iter_rows()) == {
        "other": 87,
        "list": 9,
        "logon-explicit": 5,
        "file-download": 2,
    }


def test_lookup_events(case):
    path = CLOUD_DATA / "plaso_aws_cloudtrail_lookupevents.jsonl"

    imported = import_into(case, path)

    first = imported.event("1")
    service = imported.event("4")
    assert imported.report.events == 6
    assert first["timestamp"] == datetime(2022, 2, 7, 22, 23, 37)
    assert first["timestamp_raw"] == "2022-02-07T22:23:37Z"
    assert first["event_code"] == "ec2.amazonaws.com:DescribeInstances"
    assert first["user_name"] == "fakeusername"
    assert first["user_domain"] == "012345678901"
    assert first["source_ip"] == "1.2.3.4"
    assert service["user_name"] == "ec2.amazonaws.com"
    assert service["source_ip"] is None
    assert imported.event("6")["object"] == "no-access"


def test_lookup_event_time_only(case, tmp_path):
    path = tmp_path / "lookup.jsonl"
    record = {
        "EventId": "0",
        "EventName": "ConsoleLogin",
        "EventTime": "2022-02-08 09:23:37+11:00",
        "EventSource": "signin.amazonaws.com",
        "Username": "Kim",
        "CloudTrailEvent": "{not json",
    }
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")

    imported = import_into(case, path, format="cloudtrail")

    event = imported.event("1")
    assert event["timestamp"] == datetime(2022, 2, 7, 22, 23, 37)
    assert event["tz_offset_min"] == 660
    assert event["user_name"] == "kim"
    assert "CloudTrailEvent" in imported.report.notes[0]


GCP = CLOUD_DATA / "gcp_audit.jsonl"


def test_gcp_policy_grant(case):
    imported = import_into(case, GCP)

    event = imported.event("1")
    assert imported.report.format == "gcp-audit"
    assert imported.report.events == 3
    assert event["timestamp"] == datetime(2024, 4, 2, 10, 11, 12, 345678)
    assert event["event_code"] == "SetIamPolicy"
    assert event["event_category"] == "iam"
    assert event["event_action"] == "privilege-grant"
    assert event["user_name"] == "ravi.kumar@example.com"
    assert event["user_domain"] == "example.com"
    assert event["target_user"] == "contractor@example.net"
    assert event["source_ip"] == "198.51.100.14"
    assert event["user_agent"] == "google-cloud-sdk gcloud/470.0.0"
    assert event["object"] == "projects/example-project"


def test_gcp_denied_download(case):
    imported = import_into(case, GCP)

    event = imported.event("2")
    assert event["event_action"] == "file-download"
    assert event["event_outcome"] == "failure"
    assert event["object"] == "projects/_/buckets/hr-exports/objects/salaries.csv"
    assert event["message"].endswith("failed: PERMISSION_DENIED")


def test_gcp_key_created(case):
    imported = import_into(case, GCP)

    event = imported.event("3")
    assert event["event_action"] == "access-key-created"
    assert event["event_outcome"] == "success"
    assert event["source_ip"] is None


def test_gcp_policy_revoke(case, tmp_path):
    entry = json.loads(GCP.read_text(encoding="utf-8").splitlines()[0])
    deltas = entry["protoPayload"]["serviceData"]["policyDelta"]["bindingDeltas"]
    deltas[0]["action"] = "REMOVE"
    path = tmp_path / "revoke.json"
    path.write_text(json.dumps([entry], indent=2), encoding="utf-8")

    imported = import_into(case, path)

    event = imported.event("[0]")
    assert event["event_action"] == "privilege-revoke"
    assert event["target_user"] == "contractor@example.net"
