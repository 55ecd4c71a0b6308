"""Okta System Log importer, through a real case."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from cloud_logs import CLOUD_DATA, import_into

EVENTS = CLOUD_DATA / "okta_system_log.json"


@pytest.fixture
def okta(case):
    return import_into(case, EVENTS)


def test_okta_counts(okta):
    assert okta.report.format == "okta"
    assert okta.report.events == 5
    assert okta.report.quarantined == 1
    assert okta.error("[5]") == "missing time field published"


def test_okta_failed_login(okta):
    event = okta.event("[0]")

    assert event["timestamp"] == datetime(2024, 3, 11, 7, 58, 2, 120000)
    assert event["timestamp_raw"] == "2024-03-11T07:58:02.120Z"
    assert event["event_code"] == "user.session.start"
    assert event["event_category"] == "authentication"
    assert event["event_action"] == "logon-failed"
    assert event["event_outcome"] == "failure"
    assert event["user_name"] == "mira.okafor@example.com"
    assert event["user_domain"] == "example.com"
    assert event["source_ip"] == "203.0.113.40"
    assert event["source_country"] == "Portugal"
    assert event["source_city"] == "Lisbon"
    assert event["user_agent"].endswith("Gecko/20100101 Firefox/125.0")
    assert event["message"] == "User login to Okta failed: INVALID_CREDENTIALS"


def test_okta_login(okta):
    event = okta.event("[1]")

    assert event["event_action"] == "logon"
    assert event["event_outcome"] == "success"
    assert event["object"] == "Okta Dashboard"


def test_okta_privilege_grant(okta):
    event = okta.event("[2]")

    assert event["event_category"] == "iam"
    assert event["event_action"] == "privilege-grant"
    assert event["user_name"] == "it.admin@example.com"
    assert event["target_user"] == "mira.okafor@example.com"
    assert event["object"] == "Super Administrator"


def test_okta_app_assignment(okta):
    event = okta.event("[3]")

    assert event["event_action"] == "privilege-grant"
    assert event["target_user"] == "mira.okafor@example.com"
    assert event["object"] == "Payroll"
    assert event["source_country"] is None


def test_okta_lockout(okta):
    event = okta.event("[4]")

    assert event["event_action"] == "account-locked"
    assert event["event_outcome"] == "failure"
    assert event["source_city"] is None
    assert event["source_country"] == "Brazil"


def test_okta_json_lines(case, tmp_path):
    events = json.loads(EVENTS.read_text(encoding="utf-8"))
    path = tmp_path / "okta.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in events) + "\n", encoding="utf-8")

    imported = import_into(case, path)

    assert imported.report.format == "okta"
    assert imported.report.events == 5
    assert imported.event("3")["event_action"] == "privilege-grant"
    assert imported.error("6") == "missing time field published"


def test_okta_truncated_export(case, tmp_path):
    text = EVENTS.read_text(encoding="utf-8")
    cut = text.index('"displayMessage": "Grant user privilege"')
    path = tmp_path / "okta_cut.json"
    path.write_text(text[:cut], encoding="utf-8")

    imported = import_into(case, path, format="okta")

    assert imported.report.events == 2
    assert imported.report.status == "partial"
    assert imported.error("[2]") == "the file ends inside this record"
