"""Apache httpd error logs (apache-error importer)."""

from __future__ import annotations

from datetime import datetime

import pytest
from web_logs import WEB_DATA, parse_file

from importers import registry
from importers.base import SourceFile
from workspace.importing import import_file

SAMPLE = WEB_DATA / "apache_error_sample.log"


@pytest.fixture(scope="module")
def sample():
    return parse_file("apache-error", SAMPLE)


def test_sample_counts(sample):
    assert sample.events.height == 8
    assert sample.quarantined_lines() == [8, 9, 10]
    assert "1 blank lines skipped" in sample.report.notes


def test_httpd22_notice(sample):
    event = sample.event(1)

    assert event["timestamp"] == datetime(2005, 12, 4, 4, 47, 44)
    assert event["timestamp_raw"] == "Sun Dec 04 04:47:44 2005"
    assert event["tz_offset_min"] == 0
    assert event["tz_assumed"] is True
    assert event["event_category"] == "web"
    assert event["event_action"] == "other"
    assert event["event_code"] == "notice"
    assert event["event_outcome"] == "success"
    assert event["source_ip"] is None
    assert event["message"] == (
        "notice: workerEnv.init() ok /etc/httpd/conf/workers2.properties"
    )


def test_httpd22_client(sample):
    event = sample.event(2)

    assert event["source_ip"] == "192.0.2.40"
    assert event["event_outcome"] == "failure"
    assert (
        event["message"] == "error: Directory index forbidden by rule: /var/www/html/"
    )


def test_httpd24_client_port_removed(sample):
    event = sample.event(3)

    assert event["timestamp"] == datetime(2000, 10, 11, 14, 32, 52, 123456)
    assert event["source_ip"] == "198.51.100.41"
    assert event["event_code"] == "error"
    assert event["message"] == (
        "error: AH00128: File does not exist: /usr/local/apache2/htdocs/favicon.ico"
    )


def test_httpd24_ipv6_and_user(sample):
    event = sample.event(4)

    assert event["source_ip"] == "2001:db8::41"
    assert event["user_name"] == "mallory"


def test_warn_outcome_unknown(sample):
    event = sample.event(6)

    assert event["event_code"] == "warn"
    assert event["event_outcome"] == "unknown"
    assert event["source_ip"] is None


def test_client_after_status_text(sample):
    event = sample.event(7)

    assert event["source_ip"] == "192.0.2.42"
    assert event["message"].startswith("error: (111)Connection refused: [client")


def test_user_not_found(sample):
    event = sample.event(12)

    assert event["user_name"] == "bob"
    assert event["source_ip"] == "192.0.2.43"
    assert not SAMPLE.read_bytes().endswith(b"\n")


def test_bad_lines_quarantined(sample):
    assert sample.error(8).startswith("not an Apache error log line")
    assert sample.error(9).startswith("invalid time 'Sun Dec 04 25:47:44 2005'")
    assert sample.error(10).startswith("not an Apache error log line")


def test_zone_option():
    # 04:47:44 in New York in December (UTC-5) is 09:47:44 UTC.
    parsed = parse_file("apache-error", SAMPLE, tz="America/New_York")

    event = parsed.event(1)
    assert event["timestamp"] == datetime(2005, 12, 4, 9, 47, 44)
    assert event["tz_offset_min"] == -300
    assert event["tz_assumed"] is True
    assert "times carry no zone; read in America/New_York" in (
        parsed.report.assumptions
    )


def test_daylight_saving_gap(tmp_path):
    # Clocks in Berlin jumped from 02:00 to 03:00 on 26 March 2023.
    path = tmp_path / "error_log"
    path.write_text(
        "[Sun Mar 26 02:30:00 2023] [notice] in the gap\n"
        "[Sun Mar 26 03:30:00 2023] [notice] after the gap\n"
    )

    parsed = parse_file("apache-error", path, tz="Europe/Berlin")

    assert parsed.event(2)["timestamp"] == datetime(2023, 3, 26, 1, 30, 0)
    assert "does not exist in zone Europe/Berlin" in parsed.error(1)


def test_detected_by_content():
    assert registry.detect(SourceFile(SAMPLE)).name == "apache-error"


def test_import_into_case(case):
    report = import_file(case, SAMPLE)

    refs = case.con.execute(
        "SELECT record_ref FROM quarantine ORDER BY CAST(record_ref AS INTEGER)"
    ).fetchall()
    users = case.con.execute(
        "SELECT user_name FROM events WHERE user_name IS NOT NULL ORDER BY user_name"
    ).fetchall()
    assert report.format == "apache-error"
    assert report.events == 8
    assert report.quarantined == 3
    assert [ref for (ref,) in refs] == ["8", "9", "10"]
    assert [user for (user,) in users] == ["bob", "mallory"]
