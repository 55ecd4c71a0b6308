"""Proxifier client logs (proxifier importer)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from web_logs import WEB_DATA, parse_file

from importers import registry
from importers.base import ImportOptions, SourceFile
from importers.proxifier import default_first_year
from workspace.importing import import_file

SAMPLE = WEB_DATA / "proxifier_sample.log"


@pytest.fixture(scope="module")
def sample():
    return parse_file("proxifier", SAMPLE, year=2023)


def test_sample_counts(sample):
    assert sample.events.height == 10
    assert sample.quarantined_lines() == [7, 8, 9, 11]


def test_open_line(sample):
    event = sample.event(1)

    assert event["timestamp"] == datetime(2023, 12, 31, 23, 59, 58)
    assert event["timestamp_raw"] == "12.31 23:59:58"
    assert event["tz_offset_min"] == 0
    assert event["tz_assumed"] is True
    assert event["event_category"] == "web"
    assert event["event_action"] == "proxy-connection"
    assert event["event_code"] == "open"
    assert event["event_outcome"] == "success"
    assert event["object"] == "www.example.com:443"
    assert event["bytes"] is None
    assert event["message"] == (
        "chrome.exe open www.example.com:443 through proxy proxy.example.org:8080 HTTPS"
    )


def test_close_bytes_summed(sample):
    event = sample.event(2)

    assert event["event_code"] == "close"
    assert event["bytes"] == 1190 + 1727
    assert event["message"] == (
        "chrome.exe close www.example.com:443 "
        "(1190 bytes sent, 1727 received, lifetime 00:01)"
    )


def test_megabyte_close(sample):
    assert sample.event(4)["bytes"] == 52428800 + 4096


def test_error_line(sample):
    event = sample.event(5)

    assert event["event_code"] == "error"
    assert event["event_outcome"] == "failure"
    assert event["object"] == "mail.example.com:443"
    assert event["message"].startswith("outlook.exe error mail.example.com:443: ")


def test_year_rollover_december_to_january(sample):
    assert sample.event(3)["timestamp"] == datetime(2024, 1, 1, 0, 0, 5)
    assert any(note.endswith(": 1 times") for note in sample.report.notes)


def test_backward_steps_keep_year(sample):
    # 10.30 -> 07.26 -> 02.29 steps back but never by 10 months: still 2024.
    assert sample.event(13)["timestamp"] == datetime(2024, 10, 30, 16, 49, 6)
    assert sample.event(14)["timestamp"] == datetime(2024, 7, 26, 13, 30, 34)
    assert sample.event(15)["timestamp"] == datetime(2024, 2, 29, 8, 0, 0)
    assert any(
        note.startswith("2 lines are earlier") and "first at line 14" in note
        for note in sample.report.notes
    )


def test_unknown_verb_quarantined(sample):
    assert sample.error(7).startswith("not a Proxifier line")
    assert sample.error(9).startswith("not a Proxifier line")


def test_close_without_bytes_quarantined(sample):
    assert sample.error(8) == (
        "close line without 'N bytes sent, M bytes received, lifetime T'"
    )


def test_invalid_clock_quarantined(sample):
    assert sample.error(11) == (
        "invalid date '01.01 24:16:00' in year 2024: expected MM.DD HH:MM:SS"
    )


def test_assumptions_reported(sample):
    assumptions = sample.report.assumptions

    assert "times carry no zone; read in UTC" in assumptions
    assert any("read in 2023 (from the year option)" in text for text in assumptions)


def test_zone_option():
    # 23:59:58 in Berlin in winter (UTC+1) is 22:59:58 UTC.
    parsed = parse_file("proxifier", SAMPLE, year=2023, tz="Europe/Berlin")

    event = parsed.event(1)
    assert event["timestamp"] == datetime(2023, 12, 31, 22, 59, 58)
    assert event["tz_offset_min"] == 60
    assert event["tz_assumed"] is True


def test_one_line_batches(sample):
    small = parse_file("proxifier", SAMPLE, year=2023, batch_rows=1)

    assert small.events.equals(sample.events)
    assert small.report.notes == sample.report.notes


def test_default_first_year():
    now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

    assert default_first_year(10, 30, now) == 2024
    assert default_first_year(3, 1, now) == 2025
    assert default_first_year(3, 2, now) == 2025
    assert default_first_year(3, 3, now) == 2024
    assert default_first_year(2, 29, now) == 2025


def test_default_year_reported(tmp_path):
    path = tmp_path / "Proxifier.log"
    path.write_text("[01.01 00:00:01] app.exe - www.example.com:443 open directly\n")

    parsed = parse_file("proxifier", path)

    assert parsed.events.height == 1
    assert any("on or before today" in text for text in parsed.report.assumptions)


def test_detected_by_content():
    assert registry.detect(SourceFile(SAMPLE)).name == "proxifier"


def test_import_into_case(case):
    report = import_file(case, SAMPLE, ImportOptions(year=2023))

    refs = case.con.execute(
        "SELECT record_ref FROM quarantine ORDER BY CAST(record_ref AS INTEGER)"
    ).fetchall()
    total = case.con.execute(
        "SELECT sum(bytes) FROM events WHERE event_code = 'close'"
    ).fetchone()[0]
    assert report.format == "proxifier"
    assert report.events == 10
    assert report.quarantined == 4
    assert [ref for (ref,) in refs] == ["7", "8", "9", "11"]
    assert total == 2917 + 52432896 + 0 + 30
