"""Linux auditd logs (auditd importer), imported into a real case."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from case_import import Imported, import_into

from importers import registry
from importers.base import SourceFile
from workspace import Workspace

AUDITD_DATA = Path(__file__).parent / "data" / "auditd"
MSTICPY_LOG = AUDITD_DATA / "auditd_log.txt"
ENRICHED_LOG = AUDITD_DATA / "audit-enriched.log"


@pytest.fixture(scope="module")
def msticpy(tmp_path_factory) -> Imported:
    workspace = Workspace.create(tmp_path_factory.mktemp("auditd") / "case.vigil")
    yield import_into(workspace, MSTICPY_LOG)
    workspace.close()


@pytest.fixture(scope="module")
def enriched(tmp_path_factory) -> Imported:
    workspace = Workspace.create(tmp_path_factory.mktemp("enriched") / "case.vigil")
    yield import_into(workspace, ENRICHED_LOG)
    workspace.close()


def _count(events: pl.DataFrame, **columns: str) -> int:
    condition = pl.lit(True)
    for name, value in columns.items():
        condition = condition & (pl.col(name) == value)
    return events.filter(condition).height


def test_sniff_detects_auditd():
    formats = [
        registry.detect(SourceFile(path)).name for path in (MSTICPY_LOG, ENRICHED_LOG)
    ]

    assert formats == ["auditd", "auditd"]


def test_every_line_imported(msticpy):
    lines = MSTICPY_LOG.read_text().splitlines()

    assert len(lines) == 1708
    assert msticpy.report.events == 1708
    assert msticpy.report.quarantined == 0
    assert msticpy.report.assumptions == []


def test_record_type_counts(msticpy):
    lines = MSTICPY_LOG.read_text().splitlines()
    expected = {
        kind: sum(line.startswith(f"type={kind} ") for line in lines)
        for kind in ("USER_LOGIN", "USER_AUTH", "EXECVE", "SYSCALL", "USER_CMD")
    }

    counts = {kind: _count(msticpy.events, event_code=kind) for kind in expected}

    assert counts == expected
    assert counts["USER_LOGIN"] == 191


def test_failed_ssh_login(msticpy):
    event = msticpy.event(7)

    assert event["timestamp"] == datetime(2019, 3, 2, 0, 10, 8, 371000)
    assert event["timestamp_raw"] == "1551485408.371"
    assert event["tz_offset_min"] == 0
    assert event["tz_assumed"] is False
    assert event["event_code"] == "USER_LOGIN"
    assert event["event_category"] == "authentication"
    assert event["event_action"] == "logon-failed"
    assert event["event_outcome"] == "failure"
    assert event["user_name"] == "root"
    assert event["source_ip"] == "36.156.24.99"
    assert event["object"] == "/usr/sbin/sshd"


def test_login_outcomes_match_res(msticpy):
    lines = MSTICPY_LOG.read_text().splitlines()
    failed = sum(
        line.startswith("type=USER_LOGIN ") and "res=failed" in line for line in lines
    )

    assert _count(msticpy.events, event_action="logon-failed") == failed
    assert _count(msticpy.events, event_code="USER_LOGIN", event_outcome="failure") == (
        failed
    )


def test_pam_authentication(msticpy):
    event = msticpy.event(6)

    assert event["event_action"] == "credential-validation"
    assert event["event_outcome"] == "failure"
    assert event["user_name"] == "root"


def test_sudo_session(msticpy):
    event = msticpy.event(10)

    assert event["event_code"] == "USER_END"
    assert event["event_action"] == "logoff"
    assert event["user_name"] == "1000"
    assert event["target_user"] == "root"


def test_sudo_command_decoded(msticpy):
    event = msticpy.event(543)

    assert event["event_category"] == "iam"
    assert event["event_action"] == "sudo"
    assert event["user_name"] == "1000"
    assert event["object"].startswith("wget https://raw.githubusercontent.com/")


def test_execve_joined_to_syscall(msticpy):
    event = msticpy.event(736)

    assert event["event_category"] == "process"
    assert event["event_action"] == "process-start"
    assert event["object"] == "/bin/sh -c iptables --version"
    assert event["user_name"] == "root"
    assert event["event_outcome"] == "success"


def test_proctitle_decoded(msticpy):
    event = msticpy.event(310)

    assert event["object"].startswith("iptables -w -t security -L OUTPUT")


def test_enriched_counts(enriched):
    assert enriched.report.events == 16
    assert enriched.quarantined_lines() == [15, 16]
    assert "not a raw auditd record" in enriched.error(15)


# line: (event_code, action, outcome, user_name, target_user, object)
ENRICHED_LINES = {
    1: ("USER_LOGIN", "logon", "success", "alice", None, "/usr/sbin/sshd"),
    2: ("USER_AUTH", "credential-validation", "failure", None, None, "/usr/sbin/sshd"),
    3: ("USER_START", "logon-explicit", "success", "alice", "root", "/usr/bin/sudo"),
    4: ("USER_CMD", "sudo", "success", "alice", None, "useradd bob"),
    5: ("ADD_USER", "user-created", "success", "alice", "bob", "/usr/sbin/useradd"),
    6: ("ADD_GROUP", "group-created", "success", "alice", None, "deployers"),
    7: ("USER_MGMT", "group-member-added", "success", "alice", "bob", "sudo"),
    8: (
        "USER_CHAUTHTOK",
        "password-change",
        "success",
        "alice",
        "bob",
        "/usr/bin/passwd",
    ),
    9: ("DEL_USER", "user-deleted", "success", "alice", "carol", "/usr/sbin/userdel"),
    10: ("SYSCALL", "other", "success", "alice", None, "/usr/bin/curl"),
    11: ("EXECVE", "process-start", "success", "alice", None, "curl -o /tmp/my file"),
    12: ("CWD", "other", "unknown", None, None, "/home/alice"),
    13: ("PATH", "other", "unknown", None, None, "/usr/bin/curl"),
    14: ("PROCTITLE", "other", "unknown", None, None, "curl -o /tmp/my file"),
    17: ("SYSCALL", "other", "failure", "1001", None, "/usr/bin/bash"),
    18: ("EXECVE", "process-start", "failure", "1001", None, "/etc/shadow -x"),
}


@pytest.mark.parametrize("line", sorted(ENRICHED_LINES))
def test_enriched_line_fields(enriched, line):
    code, action, outcome, user, target, target_object = ENRICHED_LINES[line]

    event = enriched.event(line)

    assert event["event_code"] == code
    assert event["event_action"] == action
    assert event["event_outcome"] == outcome
    assert event["user_name"] == user
    assert event["target_user"] == target
    assert event["object"] == target_object


def test_node_and_address(enriched):
    event = enriched.event(1)

    assert event["host_name"] == "app01"
    assert event["source_ip"] == "198.51.100.7"
    assert event["timestamp"] == datetime(2023, 11, 14, 22, 13, 20, 125000)


def test_execve_across_batches(case, enriched):
    # With 10 lines per batch, the EXECVE record (line 11) and its SYSCALL
    # record (line 10) arrive in different batches.
    small = import_into(case, ENRICHED_LOG, batch_rows=10)

    assert small.event(11)["user_name"] == "alice"
    assert small.events.drop("event_id", "source_id").equals(
        enriched.events.drop("event_id", "source_id")
    )


@pytest.mark.corpus
def test_corpus_auditd(samples_dir, case):
    path = samples_dir / "linux-auditd" / "auditd_log.txt"
    lines = path.read_text().splitlines()

    imported = import_into(case, path)

    assert imported.report.events + imported.report.quarantined == len(lines)
    assert imported.report.quarantined == 0
    assert _count(imported.events, event_code="USER_AUTH") == sum(
        line.startswith("type=USER_AUTH ") for line in lines
    )
