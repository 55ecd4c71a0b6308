"""IIS W3C extended logs (iis-w3c importer)."""

from __future__ import annotations

from datetime import datetime

import pytest
from web_logs import WEB_DATA, parse_file

from importers import registry
from importers.base import SourceFile
from workspace.importing import import_file

TWO_BLOCKS = WEB_DATA / "iis_two_field_blocks.log"
FIELDS_A = (
    "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port "
    "cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus "
    "sc-win32-status time-taken"
)


@pytest.fixture(scope="module")
def two_blocks():
    return parse_file("iis-w3c", TWO_BLOCKS)


def test_two_blocks_counts(two_blocks):
    assert two_blocks.events.height == 6
    assert two_blocks.quarantined_lines() == [8, 9, 16]


def test_headers_counted(two_blocks):
    notes = two_blocks.report.notes

    assert any(note.startswith("9 header lines") for note in notes)
    assert any("#Fields lines at lines 4, 13" in note for note in notes)
    assert "1 blank lines skipped" in notes


def test_first_block_line(two_blocks):
    event = two_blocks.event(5)

    assert event["timestamp"] == datetime(2024, 3, 4, 9, 0, 1)
    assert event["timestamp_raw"] == "2024-03-04 09:00:01"
    assert event["tz_offset_min"] == 0
    assert event["tz_assumed"] is False
    assert event["event_category"] == "web"
    assert event["event_action"] == "http-request"
    assert event["event_code"] == "200"
    assert event["event_outcome"] == "success"
    assert event["source_ip"] == "198.51.100.20"
    assert event["host_name"] == "192.0.2.1"
    assert event["object"] == "/owa/auth/logon.aspx?replaceCurrent=1"
    assert event["user_agent"] == "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
    assert event["bytes"] is None
    assert event["message"] == "GET /owa/auth/logon.aspx?replaceCurrent=1 200"


def test_domain_user(two_blocks):
    event = two_blocks.event(6)

    assert event["user_name"] == "alice"
    assert event["user_domain"] == "CORP"
    assert event["object"] == "/owa/auth.owa"


def test_upn_user_and_ipv6(two_blocks):
    event = two_blocks.event(7)

    assert event["user_name"] == "bob@example.com"
    assert event["user_domain"] == "example.com"
    assert event["source_ip"] == "2001:db8::20"
    assert event["event_outcome"] == "failure"


def test_second_block_columns(two_blocks):
    event = two_blocks.event(14)

    assert event["host_name"] == "WEB01"
    assert event["object"] == "/erp/conn.aspx?proxy&port=3389&ip=127.0.0.1"
    assert event["bytes"] == 5120 + 830
    assert event["user_agent"] == "python-requests/2.31.0"
    assert event["message"] == (
        "GET /erp/conn.aspx?proxy&port=3389&ip=127.0.0.1 200 (5950 bytes)"
    )


def test_upload_bytes(two_blocks):
    event = two_blocks.event(15)

    assert event["bytes"] == 300 + 1048576
    assert event["user_name"] == "carol"
    assert event["event_outcome"] == "failure"


def test_last_line_without_newline(two_blocks):
    event = two_blocks.event(19)

    assert not TWO_BLOCKS.read_bytes().endswith(b"\n")
    assert event["timestamp"] == datetime(2024, 3, 4, 10, 0, 3)
    assert event["bytes"] == 0


def test_field_count_mismatch(two_blocks):
    assert two_blocks.error(8) == (
        "expected 15 fields (from the #Fields line at line 4), found 5"
    )
    assert two_blocks.error(16) == (
        "expected 16 fields (from the #Fields line at line 13), found 7"
    )


def test_bad_time_quarantined(two_blocks):
    assert "invalid date or time '2024-03-04 25:00:05'" in two_blocks.error(9)


def test_fields_carried_across_batches(two_blocks):
    small = parse_file("iis-w3c", TWO_BLOCKS, batch_rows=2)

    assert small.events.sort("record_ref").equals(two_blocks.events.sort("record_ref"))
    assert small.quarantined_lines() == two_blocks.quarantined_lines()


def test_request_before_fields(tmp_path):
    path = tmp_path / "u_ex240304.log"
    path.write_text(
        "2024-03-04 09:00:00 192.0.2.1 GET / - 80 - 198.51.100.1 - - 200 0 0 1\n"
        f"{FIELDS_A}\n"
        "2024-03-04 09:00:01 192.0.2.1 GET / - 80 - 198.51.100.1 - - 200 0 0 1\n"
    )

    parsed = parse_file("iis-w3c", path)

    assert parsed.events.get_column("record_ref").to_list() == ["3"]
    assert "before any #Fields directive" in parsed.error(1)


def test_fields_without_time(tmp_path):
    path = tmp_path / "u_ex240304.log"
    path.write_text("#Fields: c-ip cs-method cs-uri-stem\n198.51.100.1 GET /\n")

    parsed = parse_file("iis-w3c", path)

    assert parsed.events.height == 0
    assert parsed.error(2) == "the #Fields line at line 1 has no date and time fields"


def test_padded_fields(tmp_path):
    path = tmp_path / "w3c.log"
    path.write_text(
        "#Fields: date time c-ip cs-method cs-uri-stem sc-status\n"
        "2024-03-04  09:00:00\t198.51.100.1 GET   /padded 200 \n"
    )

    parsed = parse_file("iis-w3c", path)

    event = parsed.event(2)
    assert event["timestamp"] == datetime(2024, 3, 4, 9, 0, 0)
    assert event["source_ip"] == "198.51.100.1"
    assert event["object"] == "/padded"
    assert event["event_code"] == "200"


def test_detected_by_content():
    assert registry.detect(SourceFile(TWO_BLOCKS)).name == "iis-w3c"


def test_sniff_other_w3c_http_log():
    head = f"#Version: 1.0\n{FIELDS_A}\n".encode()

    score = registry.get("iis-w3c").sniff(head, head.decode())

    assert score == 0.9


def test_sniff_rejects_other_w3c():
    head = b"#Software: Microsoft Exchange Server\n#Fields: date-time,client-ip\n"

    score = registry.get("iis-w3c").sniff(head, head.decode())

    assert score == 0.0


def test_import_into_case(case):
    report = import_file(case, TWO_BLOCKS)

    refs = case.con.execute(
        "SELECT record_ref FROM quarantine ORDER BY CAST(record_ref AS INTEGER)"
    ).fetchall()
    host, size = case.con.execute(
        "SELECT host_name, bytes FROM events WHERE record_ref = '15'"
    ).fetchone()
    assert report.format == "iis-w3c"
    assert report.events == 6
    assert report.quarantined == 3
    assert [ref for (ref,) in refs] == ["8", "9", "16"]
    assert (host, size) == ("WEB01", 1048876)
