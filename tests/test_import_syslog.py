"""Linux auth.log and syslog files (syslog importer), imported into a real case."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from case_import import import_into

from importers import registry
from importers.base import ImportOptions, SourceError, SourceFile
from importers.syslog_time import default_base_year
from workspace import Workspace
from workspace.importing import import_file

SYSLOG_DATA = Path(__file__).parent / "data" / "syslog"
AUTH_LOG = SYSLOG_DATA / "auth.log"
GENERAL_SYSLOG = SYSLOG_DATA / "syslog"


@pytest.fixture(scope="module")
def auth(tmp_path_factory):
    workspace = Workspace.create(tmp_path_factory.mktemp("auth") / "case.vigil")
    yield import_into(workspace, AUTH_LOG, year=2023)
    workspace.close()


@pytest.fixture(scope="module")
def general(tmp_path_factory):
    workspace = Workspace.create(tmp_path_factory.mktemp("syslog") / "case.vigil")
    yield import_into(workspace, GENERAL_SYSLOG, year=2024)
    workspace.close()


def test_sniff_detects_both_files():
    formats = [
        registry.detect(SourceFile(path)).name for path in (AUTH_LOG, GENERAL_SYSLOG)
    ]

    assert formats == ["syslog", "syslog"]


def test_auth_counts(auth):
    assert auth.report.format == "syslog"
    assert auth.report.events == 31
    assert auth.events.height == 31
    assert auth.report.quarantined == 2
    assert "1 blank lines skipped" in auth.report.notes


def test_auth_quarantine_lines(auth):
    assert auth.quarantined_lines() == [28, 29]
    assert "not valid" in auth.error(28)
    assert "not a syslog line" in auth.error(29)


def test_quarantine_keeps_raw_line(auth):
    raw = auth.quarantine.filter(pl.col("record_ref") == "29").get_column("raw")[0]

    assert raw == "this is not a syslog line"


def test_accepted_password(auth):
    event = auth.event(1)

    assert event["timestamp"] == datetime(2023, 12, 30, 23, 58, 1)
    assert event["timestamp_raw"] == "Dec 30 23:58:01"
    assert event["tz_offset_min"] == 0
    assert event["tz_assumed"] is True
    assert event["event_code"] == "sshd"
    assert event["event_category"] == "authentication"
    assert event["event_action"] == "logon"
    assert event["event_outcome"] == "success"
    assert event["user_name"] == "alice"
    assert event["source_ip"] == "192.0.2.10"
    assert event["host_name"] == "bastion1"
    assert event["original"] == AUTH_LOG.read_bytes().split(b"\n")[0].decode()


def test_publickey_user_lower_cased(auth):
    event = auth.event(9)

    assert event["event_action"] == "logon"
    assert event["user_name"] == "bob"
    assert event["source_ip"] == "198.51.100.23"


# line: (action, outcome, user_name, target_user, source_ip, object)
AUTH_LINES = {
    2: ("logon", "success", "alice", None, None, None),
    3: ("logon-failed", "failure", "admin", None, "203.0.113.7", None),
    4: ("logon-failed", "failure", None, None, "203.0.113.7", None),
    5: ("logon-failed", "failure", "admin", None, "203.0.113.7", None),
    6: ("logon-failed", "failure", "root", None, "203.0.113.7", None),
    7: ("logon-failed", "failure", "root", None, "203.0.113.7", None),
    8: ("logon-failed", "failure", "root", None, "203.0.113.7", None),
    10: ("sudo", "success", "bob", "root", None, "/usr/bin/tail -n 50 /var/log/syslog"),
    11: ("logon-explicit", "success", "bob", "root", None, None),
    12: ("logoff", "success", "root", None, None, None),
    13: ("sudo", "failure", "carol", "root", None, "/bin/cat /etc/shadow"),
    14: ("sudo", "failure", "carol", "root", None, "/usr/bin/id"),
    15: ("logon-explicit", "success", "alice", "deploy", None, None),
    16: ("logon-explicit", "success", "alice", "deploy", None, None),
    17: ("logon-explicit", "failure", "carol", "root", None, None),
    19: ("user-created", "success", None, "svc-backup", None, None),
    20: ("group-created", "success", None, None, None, "backup-ops"),
    21: ("group-member-added", "success", None, "svc-backup", None, "sudo"),
    23: ("password-change", "success", None, "svc-backup", None, None),
    24: ("user-deleted", "success", None, "olduser", None, None),
    25: ("user-disabled", "success", None, "temp1", None, None),
    26: ("logoff", "success", "alice", None, None, None),
    30: ("logon", "success", "root", None, None, None),
    31: ("command", "success", "root", None, None, "/usr/local/bin/backup.sh --full"),
    32: ("group-member-added", "success", "root", "carol", None, "backup-ops"),
}


@pytest.mark.parametrize("line", sorted(AUTH_LINES))
def test_auth_line_fields(auth, line):
    action, outcome, user, target, ip, command = AUTH_LINES[line]

    event = auth.event(line)

    assert event["event_action"] == action
    assert event["event_outcome"] == outcome
    assert event["user_name"] == user
    assert event["target_user"] == target
    assert event["source_ip"] == ip
    assert event["object"] == command


def test_categories(auth):
    categories = {
        line: auth.event(line)["event_category"] for line in (1, 10, 19, 31, 34)
    }

    assert categories == {
        1: "authentication",
        10: "iam",
        19: "iam",
        31: "process",
        34: "other",
    }


def test_repeated_message_keeps_count(auth):
    assert auth.event(8)["message"].startswith("message repeated 4 times: [ Failed")


def test_unclassified_lines_kept(auth):
    # "add to shadow group" repeats line 21; sshd disconnects and logind are other.
    for line in (22, 27, 33, 34):
        event = auth.event(line)
        assert event["event_action"] == "other"
        assert event["event_outcome"] == "unknown"
    assert auth.event(27)["source_ip"] == "192.0.2.10"
    assert auth.event(34)["event_code"] == "systemd-logind"


def test_year_rollover(auth):
    before = auth.event(19)["timestamp"]
    after = auth.event(20)["timestamp"]

    assert before == datetime(2023, 12, 31, 23, 59, 59)
    assert after == datetime(2024, 1, 1, 0, 0, 2)
    assert auth.event(20)["timestamp_raw"] == "Jan  1 00:00:02"
    assert any("line 20 (Dec -> Jan, year 2024)" in note for note in auth.report.notes)


def test_last_line_without_newline(auth):
    assert not AUTH_LOG.read_bytes().endswith(b"\n")
    assert auth.event(34)["message"] == "Removed session 12."


def test_year_assumption_reported(auth):
    assert any("first one was read as 2023" in text for text in auth.report.assumptions)
    assert any("zone UTC" in text for text in auth.report.assumptions)


def test_rollover_across_batches(case, auth):
    # With 19 lines per batch, line 20 (the first January line) opens batch 2.
    small = import_into(case, AUTH_LOG, year=2023, batch_rows=19)

    assert small.events.select("record_ref", "timestamp").equals(
        auth.events.select("record_ref", "timestamp")
    )
    assert small.quarantined_lines() == [28, 29]


def test_zone_option(case, auth):
    berlin = import_into(case, AUTH_LOG, year=2023, tz="Europe/Berlin")
    event = berlin.event(1)

    # Berlin is UTC+1 in December.
    assert event["timestamp"] == datetime(2023, 12, 30, 22, 58, 1)
    assert event["tz_offset_min"] == 60
    assert event["tz_assumed"] is True
    assert berlin.events.get_column("tz_assumed").all()
    assert any(
        "Europe/Berlin (from --tz)" in text for text in berlin.report.assumptions
    )


def test_zone_shifts_every_event(case, auth):
    berlin = import_into(case, AUTH_LOG, year=2023, tz="Europe/Berlin")
    shift = (
        auth.events.select("record_ref", "timestamp")
        .join(berlin.events.select("record_ref", "timestamp"), on="record_ref")
        .select((pl.col("timestamp") - pl.col("timestamp_right")).unique())
        .to_series()
        .to_list()
    )

    assert [delta.total_seconds() for delta in shift] == [3600.0]


def test_unknown_zone_rejected(case):
    with pytest.raises(SourceError, match="unknown time zone 'Mars/Olympus'"):
        import_file(case, AUTH_LOG, ImportOptions(year=2023, tz="Mars/Olympus"))


def test_default_year(case):
    # The last line (Jan 1) is in the current year, so the first is a year earlier.
    imported = import_into(case, AUTH_LOG)
    this_year = datetime.now(UTC).year

    assert imported.event(1)["timestamp"].year == this_year - 1
    assert imported.event(20)["timestamp"].year == this_year
    assert any("no --year given" in text for text in imported.report.assumptions)


def test_default_year_before_today():
    source = SourceFile(GENERAL_SYSLOG)

    # The last RFC 3164 line is Jun 10 09:00:00.
    assert default_base_year(source, 100, now=datetime(2024, 3, 1)) == 2023
    assert default_base_year(source, 100, now=datetime(2024, 6, 10)) == 2024
    assert default_base_year(source, 4, now=datetime(2024, 7, 1)) == 2024


def test_default_year_counts_rollovers():
    source = SourceFile(AUTH_LOG)

    assert default_base_year(source, 7, now=datetime(2024, 2, 1)) == 2023
    assert default_base_year(source, 7, now=datetime(2025, 1, 1)) == 2024


def test_default_year_without_rfc3164(tmp_path):
    path = tmp_path / "iso.log"
    path.write_text("2024-06-09T06:07:00Z web01 app[1]: started\n")

    assert default_base_year(SourceFile(path), 100) is None


def test_small_month_step_back_keeps_year(case, tmp_path):
    path = tmp_path / "skew.log"
    path.write_text(
        "Mar  1 00:00:01 h1 app[1]: a\n"
        "Feb 28 23:59:58 h1 app[1]: clock stepped back\n"
        "Mar  1 00:00:05 h1 app[1]: b\n"
    )

    imported = import_into(case, path, year=2023)

    years = imported.events.get_column("timestamp").dt.year().to_list()
    assert sorted(years) == [2023, 2023, 2023]
    assert not any("rollover" in note for note in imported.report.notes)


def test_invalid_date_quarantined(case, tmp_path):
    path = tmp_path / "leap.log"
    path.write_text(
        "Feb 28 10:00:00 h1 app[1]: ok\nFeb 29 10:00:00 h1 app[1]: no such day\n"
    )

    imported = import_into(case, path, year=2023)

    assert imported.quarantined_lines() == [2]
    assert imported.error(2) == "invalid date 'Feb 29' in year 2023"


def test_daylight_saving_gap_quarantined(case, tmp_path):
    path = tmp_path / "dst.log"
    path.write_text("Mar 26 02:30:00 h1 app[1]: in the gap\n")

    imported = import_into(case, path, year=2023, tz="Europe/Berlin")

    assert imported.quarantined_lines() == [1]
    assert "does not exist in zone Europe/Berlin" in imported.error(1)


def test_general_counts(general):
    assert general.report.events == 14
    assert general.quarantined_lines() == [13]
    assert general.error(13) == "RFC 5424 timestamp is '-' (no time recorded)"


def test_pri_prefix_and_padded_day(general):
    event = general.event(1)

    assert event["timestamp"] == datetime(2024, 6, 9, 8, 0, 1)
    assert event["timestamp_raw"] == "Jun  9 08:00:01"
    assert event["event_code"] == "kernel"
    assert event["message"] == "[    0.000000] Linux version 6.1.0-18-amd64"


def test_empty_host(general):
    event = general.event(5)

    assert event["host_name"] is None
    assert event["event_code"] == "sshd"
    assert event["message"] == "last message repeated 2 times"


def test_tags_without_pid_or_colon(general):
    assert general.event(6)["event_code"] == "rsyslogd"
    assert general.event(7)["event_code"] == "syslogd"
    assert general.event(7)["message"] == "syslogd 1.4.1: restart."


def test_iso_line_with_offset(general):
    event = general.event(8)

    assert event["timestamp"] == datetime(2024, 6, 9, 6, 6, 0, 250000)
    assert event["timestamp_raw"] == "2024-06-09T08:06:00.250+02:00"
    assert event["tz_offset_min"] == 120
    assert event["tz_assumed"] is False
    assert event["event_action"] == "logon"
    assert event["user_name"] == "deploy"


def test_iso_line_in_utc(general):
    event = general.event(9)

    assert event["timestamp"] == datetime(2024, 6, 9, 6, 7, 0)
    assert event["tz_assumed"] is False
    assert event["event_action"] == "sudo"
    assert event["object"] == "/usr/bin/systemctl restart app"


def test_iso_line_without_offset_assumed(general):
    event = general.event(10)

    assert event["timestamp"] == datetime(2024, 6, 9, 8, 8, 0)
    assert event["tz_assumed"] is True


def test_rfc5424_lines(general):
    failed_su = general.event(11)
    useradd = general.event(12)

    assert failed_su["timestamp"] == datetime(2024, 6, 9, 6, 9, 0, 3000)
    assert failed_su["event_code"] == "su"
    assert failed_su["event_action"] == "logon-explicit"
    assert failed_su["event_outcome"] == "failure"
    assert failed_su["user_name"] == "dave"
    assert failed_su["target_user"] == "root"
    assert useradd["timestamp"] == datetime(2024, 6, 9, 6, 10, 0)
    assert useradd["event_action"] == "user-created"
    assert useradd["target_user"] == "temp1"
    assert useradd["message"].startswith("new user: name=temp1")


def test_cron_session_closed(general):
    event = general.event(15)

    assert event["timestamp"] == datetime(2024, 6, 10, 9, 0, 0)
    assert event["event_action"] == "logoff"
    assert event["user_name"] == "www-data"


_TZ_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from importers.base import ImportOptions
    from workspace import Workspace
    from workspace.importing import import_file

    workspace = Workspace.create(Path(sys.argv[2]))
    options = ImportOptions(year=2023, tz="Europe/Berlin")
    import_file(workspace, Path(sys.argv[1]), options)
    rows = workspace.con.execute(
        "SELECT record_ref, strftime(timestamp, '%Y-%m-%dT%H:%M:%S.%f'), tz_offset_min"
        " FROM events ORDER BY record_ref"
    ).fetchall()
    print(json.dumps(rows))
    """
)


def _events_under_tz(zone: str, case_dir: Path) -> list:
    env = {**os.environ, "TZ": zone}
    output = subprocess.run(
        [sys.executable, "-c", _TZ_SCRIPT, str(AUTH_LOG), str(case_dir)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output)


def test_machine_zone_ignored(tmp_path):
    tokyo = _events_under_tz("Asia/Tokyo", tmp_path / "tokyo.vigil")
    new_york = _events_under_tz("America/New_York", tmp_path / "ny.vigil")

    assert len(tokyo) == 31
    assert tokyo == new_york
    assert ["1", "2023-12-30T22:58:01.000000", 60] in tokyo


def _line_count(path: Path) -> int:
    data = path.read_bytes()
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


@pytest.mark.corpus
def test_corpus_openssh(samples_dir, case):
    path = samples_dir / "linux-auth" / "OpenSSH_2k.log"
    lines = path.read_text().splitlines()
    failed_password = sum("Failed password" in line for line in lines)

    imported = import_into(case, path, year=2017)

    failed = imported.events.filter(
        (pl.col("event_action") == "logon-failed")
        & pl.col("message").str.contains("Failed password", literal=True)
    )
    assert _line_count(path) == 2000
    assert imported.report.events + imported.report.quarantined == 2000
    assert failed_password == 520
    assert failed.height == failed_password
    assert imported.events.get_column("host_name").unique().to_list() == ["LabSZ"]


@pytest.mark.corpus
def test_corpus_ubuntu_auth(samples_dir, case):
    path = samples_dir / "linux-auth" / "test-auth-ubuntu1204.log"
    lines = path.read_text().splitlines()
    publickey = sum("Accepted publickey" in line for line in lines)
    sudo_commands = sum(" sudo: " in line and "COMMAND=" in line for line in lines)

    imported = import_into(case, path, year=2017)

    events = imported.events
    logons = events.filter(
        (pl.col("event_action") == "logon")
        & pl.col("message").str.starts_with("Accepted publickey")
    )
    sudo = events.filter(pl.col("event_action") == "sudo")
    assert _line_count(path) == 122
    assert imported.report.events + imported.report.quarantined == 122
    assert (publickey, sudo_commands) == (9, 20)
    assert logons.height == publickey
    assert logons.get_column("user_name").unique().to_list() == ["vagrant"]
    assert sudo.height == sudo_commands
    assert sudo.filter(pl.col("event_outcome") == "failure").height == 2
    assert events.filter(pl.col("event_action") == "user-created").height == 2


@pytest.mark.corpus
def test_corpus_linux_syslog(samples_dir, case):
    path = samples_dir / "linux-syslog" / "Linux_2k.log"
    lines = path.read_text().splitlines()
    pam_failures = sum("authentication failure;" in line for line in lines)

    imported = import_into(case, path, year=2005)

    failures = imported.events.filter(
        (pl.col("event_action") == "logon-failed")
        & pl.col("message").str.starts_with("authentication failure;")
    )
    assert _line_count(path) == 2000
    assert imported.report.events + imported.report.quarantined == 2000
    assert failures.height == pam_failures
    assert imported.events.get_column("timestamp").dt.year().unique().to_list() == [
        2005
    ]
