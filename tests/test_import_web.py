"""Apache and Nginx access logs (web-access importer)."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest
from web_logs import WEB_DATA, parse_file

from importers import registry
from importers.base import ImportOptions, SourceError, SourceFile
from workspace.importing import import_file

VARIANTS = WEB_DATA / "access_variants.log"
ELASTIC = WEB_DATA / "elastic_apache_logs_2000.log"


@pytest.fixture(scope="module")
def variants():
    return parse_file("web-access", VARIANTS)


def test_variants_counts(variants):
    assert variants.events.height == 12
    assert variants.quarantined_lines() == [10, 11, 15]
    assert "1 blank lines skipped" in variants.report.notes


def test_common_format_line(variants):
    event = variants.event(1)

    assert event["timestamp"] == datetime(2000, 10, 10, 20, 55, 36)
    assert event["timestamp_raw"] == "10/Oct/2000:13:55:36 -0700"
    assert event["tz_offset_min"] == -420
    assert event["tz_assumed"] is False
    assert event["event_category"] == "web"
    assert event["event_action"] == "http-request"
    assert event["event_code"] == "200"
    assert event["event_outcome"] == "success"
    assert event["source_ip"] == "192.0.2.10"
    assert event["user_name"] is None
    assert event["object"] == "/index.html"
    assert event["bytes"] == 2326
    assert event["user_agent"] is None
    assert event["message"] == "GET /index.html 200 (2326 bytes)"
    assert event["original"] == VARIANTS.read_text().splitlines()[0]


def test_combined_format_line(variants):
    event = variants.event(2)

    assert event["user_name"] == "frank"
    assert event["user_domain"] is None
    assert event["user_agent"] == "Mozilla/4.08 [en] (Win98; I ;Nav)"
    assert event["object"] == "/a.gif"


def test_vhost_prefix(variants):
    event = variants.event(3)

    assert event["host_name"] == "www.example.com"
    assert event["source_ip"] == "198.51.100.7"
    assert event["object"] == "/login?next=%2Fhome"
    assert event["bytes"] is None
    assert event["message"] == "POST /login?next=%2Fhome 302"


def test_mixed_offsets_to_utc(variants):
    # 13:55:36 -0700, 13:55:36 -0700 and 22:55:36 +0200 are the same instant.
    instants = {variants.event(line)["timestamp"] for line in (1, 2, 3)}
    offsets = [variants.event(line)["tz_offset_min"] for line in (1, 2, 3)]

    assert instants == {datetime(2000, 10, 10, 20, 55, 36)}
    assert offsets == [-420, -420, 120]


def test_trailing_request_time(variants):
    # 05:25:36 +0530 on 11 Oct is 23:55:36 UTC on 10 Oct.
    event = variants.event(4)

    assert event["timestamp"] == datetime(2000, 10, 10, 23, 55, 36)
    assert event["tz_offset_min"] == 330
    assert event["event_code"] == "404"
    assert event["event_outcome"] == "failure"
    assert event["bytes"] == 153
    assert event["user_agent"] == "python-requests/2.31.0"


def test_escaped_quotes(variants):
    event = variants.event(5)

    assert event["object"] == '/search?q="admin"'
    assert event["user_agent"] == 'Mozilla/5.0 "quoted"'


def test_tls_handshake_request(variants):
    event = variants.event(6)

    assert event["object"] is None
    assert event["event_code"] == "400"
    assert event["event_outcome"] == "failure"
    assert event["message"].startswith('"\\x16\\x03\\x01')
    assert event["message"].endswith('" 400')
    assert event["user_agent"] is None


def test_ipv6_client(variants):
    assert variants.event(7)["source_ip"] == "2001:db8::1"


def test_domain_user_split(variants):
    event = variants.event(8)

    assert event["user_name"] == "alice"
    assert event["user_domain"] == "CORP"


def test_upn_user(variants):
    event = variants.event(9)

    assert event["user_name"] == "bob@example.com"
    assert event["user_domain"] == "example.com"
    assert event["event_outcome"] == "failure"


def test_bad_clock_quarantined(variants):
    error = variants.error(10)

    assert "invalid time '10/Oct/2000:13-55-36 -0700'" in error
    assert "10" not in variants.events.get_column("record_ref").to_list()


def test_garbage_line_quarantined(variants):
    assert variants.error(11).startswith("not an access log line")


def test_bad_month_quarantined(variants):
    assert "invalid time '10/Foo/2000:13:56:08 -0700'" in variants.error(15)


def test_unescaped_quote_in_request(variants):
    event = variants.event(13)

    assert event["object"] == '/q?x=" or 1=1'
    assert event["event_code"] == "500"


def test_iso_time_in_brackets(variants):
    event = variants.event(14)

    assert event["timestamp"] == datetime(2000, 10, 10, 20, 56, 7)
    assert event["tz_offset_min"] == -420
    assert event["tz_assumed"] is False


def test_last_line_without_newline(variants):
    # 23:59:59 -0100 on 31 Dec 2000 is 00:59:59 UTC on 1 Jan 2001.
    event = variants.event(16)

    assert not VARIANTS.read_bytes().endswith(b"\n")
    assert event["timestamp"] == datetime(2001, 1, 1, 0, 59, 59)
    assert event["object"] == "/last"
    assert event["bytes"] is None


def test_small_batches_same_events(variants):
    small = parse_file("web-access", VARIANTS, batch_rows=2)

    assert small.events.equals(variants.events)
    assert small.quarantined_lines() == variants.quarantined_lines()


def test_iso_time_without_offset(tmp_path):
    path = tmp_path / "access.log"
    path.write_text('192.0.2.30 - - [2024-07-01T12:00:00] "GET /x HTTP/1.1" 200 1\n')

    parsed = parse_file("web-access", path, tz="Europe/Berlin")

    event = parsed.event(1)
    assert event["timestamp"] == datetime(2024, 7, 1, 10, 0, 0)
    assert event["tz_offset_min"] == 120
    assert event["tz_assumed"] is True
    assert any("Europe/Berlin" in text for text in parsed.report.assumptions)


def test_undecodable_bytes_kept(tmp_path):
    path = tmp_path / "access.log"
    path.write_bytes(
        b'192.0.2.31 - - [11/Jul/2018:09:32:02 +0300] "\x16\x03\x01\xfc\x03 " 400 -\n'
        b'192.0.2.31 - - [11/Jul/2018:09:32:03 +0300] "GET / HTTP/1.1" 200 5\n'
    )

    parsed = parse_file("web-access", path)

    event = parsed.event(1)
    assert parsed.events.height == 2
    assert "\ufffd" in event["original"]
    assert "\x16" in event["original"]
    assert "\x16" not in event["message"]
    assert event["timestamp"] == datetime(2018, 7, 11, 6, 32, 2)
    assert any("U+FFFD" in note for note in parsed.report.notes)


def test_binary_file_rejected(tmp_path, case):
    path = tmp_path / "blob.log"
    path.write_bytes(bytes(range(256)) * 64)

    with pytest.raises(SourceError, match="blob.log"):
        import_file(case, path, ImportOptions(format="web-access"))


def test_unknown_zone_rejected(case):
    with pytest.raises(SourceError, match="unknown time zone"):
        import_file(case, VARIANTS, ImportOptions(tz="Mars/Olympus"))


def test_detected_by_content():
    for path in (VARIANTS, ELASTIC):
        assert registry.detect(SourceFile(path)).name == "web-access"


def test_elastic_sample():
    parsed = parse_file("web-access", ELASTIC)

    event = parsed.event(1)
    assert parsed.events.height == 2000
    assert parsed.quarantine.height == 0
    assert event["source_ip"] == "83.149.9.216"
    assert event["timestamp"] == datetime(2015, 5, 17, 10, 5, 3)
    assert event["tz_offset_min"] == 0
    assert event["bytes"] == 203023
    assert event["object"] == (
        "/presentations/logstash-monitorama-2013/images/kibana-search.png"
    )
    assert event["user_agent"].startswith("Mozilla/5.0 (Macintosh;")


def test_import_into_case(case):
    report = import_file(case, VARIANTS)

    refs = case.con.execute(
        "SELECT record_ref FROM quarantine ORDER BY CAST(record_ref AS INTEGER)"
    ).fetchall()
    user, ip = case.con.execute(
        "SELECT user_name, source_ip FROM events WHERE record_ref = '2'"
    ).fetchone()
    assert report.format == "web-access"
    assert report.events == 12
    assert report.quarantined == 3
    assert [ref for (ref,) in refs] == ["10", "11", "15"]
    assert (user, ip) == ("frank", "192.0.2.11")


def test_outcome_by_status(variants):
    outcomes = dict(
        variants.events.select("event_code", "event_outcome").unique().iter_rows()
    )

    assert outcomes == {
        "200": "success",
        "204": "success",
        "302": "success",
        "400": "failure",
        "401": "failure",
        "404": "failure",
        "500": "failure",
    }


def test_vocabulary_values(variants):
    categories = variants.events.get_column("event_category").unique().to_list()
    actions = variants.events.get_column("event_action").unique().to_list()

    assert categories == ["web"]
    assert actions == ["http-request"]
    assert variants.events.get_column("timestamp").null_count() == 0
    assert variants.events.schema["timestamp"] == pl.Datetime("us")
