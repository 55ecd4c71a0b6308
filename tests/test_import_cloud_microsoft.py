"""Microsoft 365 unified audit log and Entra ID importers, through a real case."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from cloud_logs import CLOUD_DATA, import_into

PURVIEW = CLOUD_DATA / "purview_audit.csv"


@pytest.fixture
def purview(case):
    return import_into(case, PURVIEW)


def test_purview_counts(purview):
    assert purview.report.format == "m365-audit"
    assert purview.report.events == 7
    assert purview.report.quarantined == 1
    assert purview.error("6").startswith("invalid JSON")


def test_purview_forwarding_rule(purview):
    event = purview.event("1")

    assert event["timestamp"] == datetime(2024, 3, 5, 9, 14, 2)
    assert event["timestamp_raw"] == "2024-03-05T09:14:02"
    assert event["tz_offset_min"] == 0
    assert event["tz_assumed"] is False
    assert event["event_code"] == "New-InboxRule"
    assert event["event_category"] == "email"
    assert event["event_action"] == "mail-forward-rule"
    assert event["user_name"] == "nora.quist@contoso.example"
    assert event["user_domain"] == "contoso.example"
    assert event["source_ip"] == "198.51.100.61"
    assert event["object"] == "drop@mailbox.example.net"


def test_purview_plain_rule(purview):
    event = purview.event("7")

    assert event["event_action"] == "inbox-rule"
    assert event["object"] == "contoso.example/Nora Quist\\tidy"


def test_purview_mailbox_forwarding(purview):
    event = purview.event("2")

    assert event["event_action"] == "mail-forward-rule"
    assert event["user_name"] == "admin@contoso.example"
    assert event["target_user"] == "nora.quist@contoso.example"
    assert event["source_ip"] == "2001:db8::61"
    assert event["object"] == "smtp:archive@mailbox.example.net"


def test_purview_download(purview):
    event = purview.event("3")

    assert event["event_category"] == "file"
    assert event["event_action"] == "file-download"
    assert event["event_outcome"] == "success"
    assert event["object"] == (
        "https://contoso.sharepoint.example/sites/finance/Shared Documents/"
        "budget-2024.xlsx"
    )
    assert event["user_agent"].startswith("Mozilla/5.0 (Windows NT 10.0")


def test_purview_failed_login(purview):
    event = purview.event("4")

    assert event["event_action"] == "logon-failed"
    assert event["event_outcome"] == "failure"
    assert event["user_name"] == "nora.quist@contoso.example"
    assert event["user_agent"] == "python-requests/2.31.0"
    assert event["message"].endswith("failed: InvalidUserNameOrPassword")


def test_purview_role_grant(purview):
    event = purview.event("5")

    assert event["event_code"] == "Add member to role."
    assert event["event_action"] == "privilege-grant"
    assert event["target_user"] == "nora.quist@contoso.example"


def test_purview_creation_date_fallback(purview):
    event = purview.event("8")

    assert event["timestamp"] == datetime(2024, 3, 5, 13, 2, 3)
    assert event["timestamp_raw"] == "3/5/2024 1:02:03 PM"
    assert event["tz_assumed"] is True
    assert len(purview.report.assumptions) == 1


def test_purview_zone_option(case):
    imported = import_into(case, PURVIEW, tz="Europe/Berlin")

    assert imported.event("8")["timestamp"] == datetime(2024, 3, 5, 12, 2, 3)
    assert imported.event("8")["tz_offset_min"] == 60
    assert imported.event("1")["timestamp"] == datetime(2024, 3, 5, 9, 14, 2)


def test_api_json_lines(case):
    imported = import_into(case, CLOUD_DATA / "plaso_microsoft_audit_log.jsonl")

    login = imported.event("4")
    audit = imported.event("3")
    assert imported.report.events == 4
    assert login["timestamp"] == datetime(2022, 5, 8, 15, 13, 41)
    assert login["tz_assumed"] is False
    assert login["event_action"] == "logon"
    assert login["user_name"] == "piet@sst5f.onmicrosoft.com"
    assert login["source_ip"] == "0.0.0.0"
    assert audit["event_category"] == "audit"
    assert audit["event_action"] == "audit-policy-change"
    assert audit["user_name"] == "system"
    assert audit["user_domain"] == "NT AUTHORITY"
    assert imported.report.assumptions == []


def test_office_activity(case):
    imported = import_into(case, CLOUD_DATA / "office_activity.csv")

    forward = imported.event("1")
    policy = imported.event("2")
    permission = imported.event("3")
    assert imported.report.events == 3
    assert forward["event_action"] == "mail-forward-rule"
    assert forward["target_user"] == "nora.quist@contoso.example"
    assert forward["source_ip"] == "2001:db8::61"
    assert policy["event_action"] == "policy-change"
    assert policy["user_name"] == "system"
    assert policy["source_ip"] is None
    assert permission["event_action"] == "mailbox-permission"
    assert permission["target_user"] == "nora.quist@contoso.example"
    assert permission["object"] == "Finance Shared"
    assert permission["source_ip"] == "198.51.100.7"


def test_office_activity_portal_time(case):
    imported = import_into(case, CLOUD_DATA / "office_activity_portal.csv")

    event = imported.event("1")
    assert event["timestamp"] == datetime(2024, 3, 5, 9, 20)
    assert event["timestamp_raw"] == "3/5/2024, 9:20:00.000 AM"
    assert event["tz_assumed"] is False
    assert event["event_action"] == "user-changed"


SIGN_INS = CLOUD_DATA / "entra_signins.jsonl"


def test_sign_in_counts(case):
    imported = import_into(case, SIGN_INS)

    assert imported.report.format == "entra"
    assert imported.report.events == 3
    assert imported.report.quarantined == 2
    assert imported.error("3").startswith("invalid JSON")
    assert imported.error("6") == "missing time field time"


def test_sign_in_success(case):
    imported = import_into(case, SIGN_INS)

    event = imported.event("1")
    assert event["timestamp"] == datetime(2024, 2, 20, 6, 30, 11, 123456)
    assert event["event_code"] == "0"
    assert event["event_category"] == "authentication"
    assert event["event_action"] == "logon"
    assert event["event_outcome"] == "success"
    assert event["user_name"] == "lena.brandt@contoso.example"
    assert event["user_domain"] == "contoso.example"
    assert event["source_ip"] == "203.0.113.51"
    assert event["source_country"] == "DE"
    assert event["source_city"] == "Hamburg"
    assert event["host_name"] == "LAPTOP-LB01"
    assert event["object"] == "Office 365 SharePoint Online"
    assert event["user_agent"].endswith("Version/17.3 Safari/605.1.15")


def test_sign_in_failure(case):
    imported = import_into(case, SIGN_INS)

    event = imported.event("2")
    assert event["event_code"] == "50126"
    assert event["event_action"] == "logon-failed"
    assert event["event_outcome"] == "failure"
    assert event["source_city"] == "Amsterdam"
    assert event["user_agent"] == "Chrome 121.0.0; Windows 10"


def test_sign_in_service_principal(case):
    imported = import_into(case, SIGN_INS)

    event = imported.event("4")
    assert event["user_name"] == "backup-sync-app"
    assert event["source_country"] == "IE"
    assert event["message"] == "ServicePrincipalSignInLogs backup-sync-app"


def test_audit_log_analytics(case):
    imported = import_into(case, CLOUD_DATA / "AADAuditEvents.json")

    secret = imported.event("1")
    grant = imported.event("4")
    assert imported.report.events == 4
    assert secret["timestamp"] == datetime(2021, 8, 2, 13, 29, 25, 983000)
    assert secret["event_code"] == (
        "Update application \u2013 Certificates and secrets management"
    )
    assert secret["event_action"] == "access-key-created"
    assert secret["user_name"] == "pgustavo@simulandlabs.com"
    assert secret["object"] == "SimuLandApp"
    assert secret["user_agent"].endswith("WindowsPowerShell/5.1.17763.1971")
    assert grant["event_action"] == "privilege-grant"
    assert grant["object"] == "Microsoft Graph"
    assert imported.event("3")["event_action"] == "other"


def test_audit_graph_page(case, tmp_path):
    page = {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#auditLogs/"
        "directoryAudits",
        "value": [
            {
                "id": "Directory_0001",
                "category": "RoleManagement",
                "activityDateTime": "2024-02-21T10:00:00Z",
                "activityDisplayName": "Add member to role",
                "result": "success",
                "initiatedBy": {
                    "user": {
                        "userPrincipalName": "Admin@Contoso.example",
                        "ipAddress": "198.51.100.90",
                    }
                },
                "targetResources": [
                    {
                        "type": "User",
                        "userPrincipalName": "Lena.Brandt@contoso.example",
                    },
                    {"type": "Role", "displayName": "Global Administrator"},
                ],
            }
        ],
    }
    path = tmp_path / "directoryAudits.json"
    path.write_text(json.dumps(page, indent=2), encoding="utf-8")

    imported = import_into(case, path)

    event = imported.event("value[0]")
    assert imported.report.format == "entra"
    assert event["event_action"] == "privilege-grant"
    assert event["event_outcome"] == "success"
    assert event["user_name"] == "admin@contoso.example"
    assert event["target_user"] == "lena.brandt@contoso.example"
    assert event["source_ip"] == "198.51.100.90"
    assert event["object"] == "Global Administrator"


def _purview_row(record_id: str, audit: dict) -> str:
    text = json.dumps(audit).replace('"', '""')
    return f'{record_id},3/6/2024 10:00:00 AM,2,Send,{audit["UserId"]},"{text}"\n'


def test_purview_send_recipients(case, tmp_path):
    common = {
        "CreationTime": "2024-03-06T10:00:00",
        "Operation": "Send",
        "RecordType": 2,
        "Workload": "Exchange",
        "UserId": "nora.quist@contoso.example",
        "ResultStatus": "Succeeded",
        "ClientIP": "198.51.100.61",
    }
    with_recipients = common | {
        "Item": {"Subject": "Figures", "SizeInBytes": 48213},
        "Recipients": ["Lena.Brandt@Contoso.example", " nora@mail.example "],
    }
    path = tmp_path / "purview_send.csv"
    path.write_text(
        "RecordId,CreationDate,RecordType,Operation,UserId,AuditData\n"
        + _purview_row("00000000-0000-4000-8000-0000000000b1", with_recipients)
        + _purview_row("00000000-0000-4000-8000-0000000000b2", common),
        encoding="utf-8",
    )

    imported = import_into(case, path)

    sent = imported.event("1")
    bare = imported.event("2")
    assert imported.report.events == 2
    assert sent["event_action"] == "mail-send"
    assert sent["object"] == "lena.brandt@contoso.example;nora@mail.example"
    assert sent["bytes"] == 48213
    assert bare["event_action"] == "mail-send"
    assert bare["object"] is None
    assert bare["bytes"] is None
