"""Web and proxy importers against the real sample corpus (VIGIL_SAMPLES)."""

from __future__ import annotations

from datetime import datetime

import pytest
from web_logs import read_lines

from importers.base import ImportOptions
from workspace.importing import import_file

pytestmark = pytest.mark.corpus

# (file, format, quarantined lines expected). None of these files has a
# malformed line. The odd lines (TLS bytes or a NUL in a request) are real
# requests and become events.
SAMPLES = [
    ("apache-access/apache_logs", "web-access", 0),
    (
        "apache-access/web_attack_and_isp_webshell_localhost_access_log.txt",
        "web-access",
        0,
    ),
    ("iis-w3c/Tunna_rdp_tunnel_IIS.log", "iis-w3c", 0),
    ("proxy/Proxifier_2k.log", "proxifier", 0),
    ("apache-error/Apache_2k.log", "apache-error", 0),
]


@pytest.mark.parametrize(("name", "format_name", "quarantined"), SAMPLES)
def test_every_line_accounted(samples_dir, case, name, format_name, quarantined):
    path = samples_dir / name
    lines = read_lines(path)
    headers = sum(1 for line in lines if line.startswith(b"#"))
    blanks = sum(1 for line in lines if not line.strip())

    report = import_file(case, path, ImportOptions(year=2016))

    assert report.format == format_name
    assert report.quarantined == quarantined
    assert report.events + report.quarantined + headers + blanks == len(lines)
    assert report.status == "ok"


def test_apache_logs_totals(samples_dir, case):
    path = samples_dir / "apache-access/apache_logs"

    report = import_file(case, path)

    statuses = dict(
        case.con.execute(
            "SELECT event_code, count(*) FROM events GROUP BY event_code"
        ).fetchall()
    )
    assert report.events == 10000
    assert statuses["200"] == 9126
    assert report.first == "2015-05-17T10:05:00"
    assert report.last == "2015-05-20T21:05:59"


def test_webshell_log_attack_lines(samples_dir, case):
    path = (
        samples_dir
        / "apache-access/web_attack_and_isp_webshell_localhost_access_log.txt"
    )

    report = import_file(case, path)

    rows = dict(
        case.con.execute(
            "SELECT record_ref, event_code FROM events "
            "WHERE record_ref IN ('27', '853', '1829')"
        ).fetchall()
    )
    first = case.con.execute(
        "SELECT timestamp, tz_offset_min FROM events WHERE record_ref = '1'"
    ).fetchone()
    assert report.events == 2661
    # Line 27 is a TLS handshake sent to the HTTP port. Lines 853 and 1829
    # request a path with a NUL byte in it.
    assert rows == {"27": "400", "853": "400", "1829": "400"}
    assert any("U+FFFD" in note for note in report.notes)
    assert first == (datetime(2018, 7, 11, 5, 41, 28), 180)


def test_iis_requests_and_headers(samples_dir, case):
    path = samples_dir / "iis-w3c/Tunna_rdp_tunnel_IIS.log"
    lines = read_lines(path)
    headers = sum(1 for line in lines if line.startswith(b"#"))

    report = import_file(case, path)

    tunnel = case.con.execute(
        "SELECT count(*) FROM events WHERE object LIKE '/erp/conn.aspx%'"
    ).fetchone()[0]
    # 4308 lines: 9 lines starting with '#', one empty line and 4298 requests.
    assert headers == 9
    assert report.events == 4298
    assert tunnel == 4298
    assert any(note.startswith("9 header lines") for note in report.notes)


def test_proxifier_verbs(samples_dir, case):
    path = samples_dir / "proxy/Proxifier_2k.log"
    lines = read_lines(path)
    # A loose match on "close" counts 950 closes and 94 errors, because three
    # error lines end in "Proxy closed the connection unexpectedly."
    expected = {
        "open": sum(1 for line in lines if b" open through proxy " in line),
        "close": sum(1 for line in lines if b" close, " in line),
        "error": sum(1 for line in lines if b" error : " in line),
    }

    import_file(case, path, ImportOptions(year=2016))

    counts = dict(
        case.con.execute(
            "SELECT event_code, count(*) FROM events GROUP BY event_code"
        ).fetchall()
    )
    assert expected == {"open": 956, "close": 947, "error": 97}
    assert counts == expected


def test_proxifier_wrap_keeps_year(samples_dir, case):
    path = samples_dir / "proxy/Proxifier_2k.log"

    report = import_file(case, path, ImportOptions(year=2016))

    first, wrapped = (
        row[0]
        for row in case.con.execute(
            "SELECT timestamp FROM events WHERE record_ref IN ('1', '974') "
            "ORDER BY CAST(record_ref AS INTEGER)"
        ).fetchall()
    )
    assert first == datetime(2016, 10, 30, 16, 49, 6)
    assert wrapped == datetime(2016, 7, 26, 13, 30, 34)
    assert any("first at line 974" in note for note in report.notes)


def test_apache_error_levels(samples_dir, case):
    path = samples_dir / "apache-error/Apache_2k.log"

    import_file(case, path)

    levels = dict(
        case.con.execute(
            "SELECT event_code, count(*) FROM events GROUP BY event_code"
        ).fetchall()
    )
    clients = case.con.execute(
        "SELECT count(*) FROM events WHERE source_ip IS NOT NULL"
    ).fetchone()[0]
    assert levels == {"notice": 1405, "error": 595}
    assert clients == 32
