"""Generic CSV and JSON Lines importers: reading, mapping, times and quarantine."""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from importers.action_keywords import KEYWORD_ACTIONS
from importers.base import ImportOptions, SourceError
from importers.csv_generic import CsvImporter
from importers.json_generic import JsonLinesImporter
from importers.vocabulary import ACTIONS
from workspace.importing import import_file

TABULAR = Path(__file__).parent / "data" / "tabular"


def events_of(case) -> pl.DataFrame:
    return case.con.execute(
        "SELECT * FROM events ORDER BY CAST(record_ref AS INTEGER)"
    ).pl()


def quarantine_of(case) -> pl.DataFrame:
    return case.con.execute(
        "SELECT record_ref, raw, error FROM quarantine "
        "ORDER BY CAST(record_ref AS INTEGER)"
    ).pl()


def write_csv(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes("\n".join(lines).encode(encoding) + b"\n")
    return path


def sniff(importer, path: Path) -> float:
    data = path.read_bytes()
    return importer.sniff(data, data.decode("utf-8"))


# Sentinel table exports (microsoft/msticpy test data)


def test_host_logons_security_events(case):
    report = import_file(case, TABULAR / "host_logons.csv")

    events = events_of(case)
    assert report.format == "csv"
    assert report.events == 14
    assert report.quarantined == 0
    assert events["event_code"].unique().to_list() == ["4624"]
    assert set(events["event_action"]) == {"logon"}
    first = events.row(0, named=True)
    assert first["user_name"] == "msticadmin"
    assert first["user_domain"] == "MSTICAlertsWin1"
    assert first["host_name"] == "MSTICAlertsWin1"
    assert first["timestamp"] == datetime(2019, 1, 15, 5, 15, 2, 980000)
    assert first["tz_assumed"] is True


def test_host_logons_report(case):
    report = import_file(case, TABULAR / "host_logons.csv")

    assert report.mapping["timestamp"] == "TimeGenerated"
    assert report.mapping["event_code"] == "EventID"
    assert "Sentinel SecurityEvent table export" in report.notes
    assert any("pandas index" in note for note in report.notes)
    assert any("read as UTC" in text for text in report.assumptions)


def test_host_logons_network_logon_address(case):
    import_file(case, TABULAR / "host_logons.csv")

    events = events_of(case)
    row = events.filter(pl.col("record_ref") == "3").row(0, named=True)
    assert row["user_name"] == "adm1nistrator"
    assert row["source_ip"] == "fe80::38dc:e4a9:61bd:b458"


def test_syslog_table_sudo(case):
    report = import_file(case, TABULAR / "syslog_data.csv")

    events = events_of(case)
    counts = dict(
        events.group_by("event_action").len().iter_rows()  # action -> rows
    )
    assert report.events == 100
    assert counts == {"sudo": 34, "logon-explicit": 33, "logoff": 33}
    assert set(events["host_name"]) == {"squid-uk-02"}
    assert events["record_ref"].to_list() == [str(n) for n in range(1, 101)]


def test_syslog_table_sudo_fields(case):
    import_file(case, TABULAR / "syslog_data.csv")

    sudo = events_of(case).filter(pl.col("event_action") == "sudo").row(0, named=True)
    assert sudo["event_category"] == "iam"
    assert sudo["user_name"] == "omsagent"
    assert sudo["target_user"] == "root"
    assert sudo["object"].startswith("/opt/microsoft/omsagent/ruby/bin/ruby")
    assert sudo["event_code"] == "sudo"
    assert sudo["timestamp"] == datetime(2019, 7, 8, 16, 8)


# AWS S3 honey bucket CSV (OTRF/Security-Datasets)


def test_s3_honeybucket_counts(case):
    report = import_file(case, TABULAR / "AWS_S3_HoneyBucketLogs.csv")

    events = events_of(case)
    codes = dict(events.group_by("event_code").len().iter_rows())
    assert report.events == 301
    assert report.quarantined == 0
    assert codes == {"headbucket": 159, "listobjects": 138, "putobject": 4}
    assert events["source_ip"].n_unique() == 224


def test_s3_honeybucket_mapping(case):
    report = import_file(case, TABULAR / "AWS_S3_HoneyBucketLogs.csv")

    assert report.mapping == {
        "timestamp": "Event DateTime",
        "user_name": "User ID",
        "source_ip": "Source IP",
        "event_action": "Event Name",
        "user_agent": "Request User Agent",
        "event_code": "Event ID",
    }
    assert any("Request Parameters" in note for note in report.notes)


def test_s3_honeybucket_values(case):
    import_file(case, TABULAR / "AWS_S3_HoneyBucketLogs.csv")

    first = events_of(case).row(0, named=True)
    assert first["timestamp"] == datetime(2022, 2, 18, 17, 34, 57)
    assert first["tz_offset_min"] == 0
    assert first["tz_assumed"] is False
    assert first["user_name"] == "anonymous_principal"
    assert first["event_category"] == "file"
    assert first["event_action"] == "list"
    assert json.loads(first["original"])["Request ID"] == "E2E91AQVN6DJHZ91"


# CSV reading


def test_quoted_newlines_keep_row_numbers(case, tmp_path):
    path = write_csv(
        tmp_path / "notes.csv",
        [
            "time,user,action,note",
            '2024-01-01T00:00:00Z,alice,login,"first line',
            'second line"',
            "2024-01-01T00:01:00Z,bob,upload,plain",
            '2024-01-01T00:02:00Z,carol,delete,"a',
            "b",
            'c",extra',
        ],
    )

    report = import_file(case, path)

    events = events_of(case)
    quarantine = quarantine_of(case)
    assert report.events == 2
    assert events["record_ref"].to_list() == ["1", "2"]
    assert json.loads(events["original"][0])["note"] == "first line\nsecond line"
    assert quarantine["record_ref"].to_list() == ["3"]
    assert quarantine["error"][0].startswith("row 3 (line 5): expected 4 fields")


def test_ragged_rows_quarantined(case, tmp_path):
    path = write_csv(
        tmp_path / "ragged.csv",
        [
            "time,user,action",
            "2024-01-01T00:00:00Z,alice,login",
            "2024-01-01T00:01:00Z,bob",
            "2024-01-01T00:02:00Z,carol,login,surplus",
            "",
            "2024-01-01T00:03:00Z,dave,login",
        ],
    )

    report = import_file(case, path)

    quarantine = quarantine_of(case)
    assert report.events == 2
    assert events_of(case)["record_ref"].to_list() == ["1", "4"]
    assert quarantine["record_ref"].to_list() == ["2", "3"]
    assert quarantine["error"].to_list() == [
        "row 2 (line 3): expected 3 fields as in the header, found 2",
        "row 3 (line 4): expected 3 fields as in the header, found 4",
    ]
    assert quarantine["raw"][0] == "2024-01-01T00:01:00Z,bob"


def test_stray_quote_inside_field(case, tmp_path):
    path = write_csv(
        tmp_path / "inches.csv",
        [
            "time,user,object",
            '2024-01-01T00:00:00Z,alice,5" disk',
            "2024-01-01T00:01:00Z,bob,plain",
        ],
    )

    report = import_file(case, path)

    assert report.events == 2
    assert events_of(case)["object"].to_list() == ['5" disk', "plain"]


def test_unclosed_quote_at_end(case, tmp_path):
    path = write_csv(
        tmp_path / "open.csv",
        [
            "time,user,note",
            "2024-01-01T00:00:00Z,alice,ok",
            '2024-01-01T00:01:00Z,bob,"open',
        ],
    )

    report = import_file(case, path)

    assert report.events == 1
    assert quarantine_of(case)["error"][0] == (
        "row 2 (line 3): a quoted field is not closed before the end of the file"
    )


def test_utf8_bom_header(case, tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbftime,user\r\n2024-01-01T00:00:00Z,J\xc3\xbcrgen\r\n")

    report = import_file(case, path)

    assert report.mapping == {"timestamp": "time", "user_name": "user"}
    assert events_of(case)["user_name"].to_list() == ["jürgen"]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom(case, tmp_path, encoding):
    bom = b"\xff\xfe" if encoding == "utf-16-le" else b"\xfe\xff"
    text = "time;user;action\r\n" + "".join(
        f"2024-01-01T00:00:{n:02d}Z;Jürgen{n};login\r\n" for n in range(30)
    )
    path = tmp_path / "wide.csv"
    path.write_bytes(bom + text.encode(encoding))

    report = import_file(case, path)

    users = events_of(case)["user_name"].to_list()
    assert report.format == "csv"
    assert report.events == 30
    assert users[0] == "jürgen0"
    assert users[-1] == "jürgen29"


def test_windows_1252_csv(case, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("time;user\r\n2024-01-01T00:00:00Z;Jürgen\r\n".encode("cp1252"))

    report = import_file(case, path)

    assert events_of(case)["user_name"].to_list() == ["jürgen"]
    assert "the file is not valid UTF-8; it was read as Windows-1252" in report.notes


def test_utf8_with_damaged_byte(case, tmp_path):
    path = tmp_path / "damaged.csv"
    path.write_bytes(
        b"time,user\n2024-01-01T00:00:00Z,J\xc3\xbcrgen\n2024-01-01T00:00:01Z,b\xffb\n"
    )

    report = import_file(case, path)

    assert events_of(case)["user_name"].to_list() == ["jürgen", "b\ufffdb"]
    assert not any("Windows-1252" in note for note in report.notes)


def test_gzip_csv(case, tmp_path):
    path = tmp_path / "export.csv.gz"
    path.write_bytes(gzip.compress(b"time,user\n2024-01-01T00:00:00Z,alice\n"))

    report = import_file(case, path)

    assert report.format == "csv"
    assert events_of(case)["user_name"].to_list() == ["alice"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters(case, tmp_path, delimiter):
    rows = [["time", "user", "ip"], ["2024-01-01 10:00:00+02:00", "bob", "10.0.0.1"]]
    path = write_csv(tmp_path / "d.csv", [delimiter.join(row) for row in rows])

    report = import_file(case, path)

    row = events_of(case).row(0, named=True)
    assert report.events == 1
    assert row["timestamp"] == datetime(2024, 1, 1, 8, 0)
    assert row["source_ip"] == "10.0.0.1"


def test_pandas_index_column(case, tmp_path):
    path = write_csv(
        tmp_path / "pandas.csv",
        [",time,user", "0,2024-01-01T00:00:00Z,alice", "7,2024-01-01T00:01:00Z,bob"],
    )

    report = import_file(case, path)

    first = json.loads(events_of(case)["original"][0])
    assert report.events == 2
    assert first == {"": "0", "time": "2024-01-01T00:00:00Z", "user": "alice"}
    assert "" not in report.mapping.values()


def test_header_only(case, tmp_path):
    path = write_csv(tmp_path / "empty.csv", ["time,user"])

    report = import_file(case, path, ImportOptions(format="csv"))

    assert report.events == 0
    assert "the file contains a header row and no data rows" in report.notes


# Times

MIXED_OFFSETS = [
    ("2024-03-04T09:41:17+00:00", datetime(2024, 3, 4, 9, 41, 17), 0),
    ("2024-03-04T09:41:17+05:30", datetime(2024, 3, 4, 4, 11, 17), 330),
    ("2024-03-04T09:41:17-07:00", datetime(2024, 3, 4, 16, 41, 17), -420),
    ("2024-03-04T09:41:17Z", datetime(2024, 3, 4, 9, 41, 17), 0),
    ("2024-03-04 09:41:17.250+0100", datetime(2024, 3, 4, 8, 41, 17, 250000), 60),
    ("1709545277", datetime(2024, 3, 4, 9, 41, 17), 0),
    ("2024-03-04T23:30:00-02:00", datetime(2024, 3, 5, 1, 30), -120),
    ("2024-03-04T09:41:17+14:00", datetime(2024, 3, 3, 19, 41, 17), 840),
    ("2024-03-04T09:41:17+00:00", datetime(2024, 3, 4, 9, 41, 17), 0),
]


@pytest.mark.parametrize("batch_rows", [1, 2, 7, 100_000])
def test_mixed_offsets_any_batch(case, tmp_path, batch_rows):
    lines = ["time,user"] + [
        f"{raw},u{n}" for n, (raw, _, _) in enumerate(MIXED_OFFSETS)
    ]
    path = write_csv(tmp_path / "mixed.csv", lines)

    import_file(case, path, ImportOptions(batch_rows=batch_rows))

    events = events_of(case)
    assert events["timestamp"].to_list() == [utc for _, utc, _ in MIXED_OFFSETS]
    assert events["tz_offset_min"].to_list() == [off for _, _, off in MIXED_OFFSETS]
    assert not events["tz_assumed"].any()


def test_dashed_clock_quarantined(case, tmp_path):
    path = write_csv(
        tmp_path / "dashes.csv",
        ["time,user", "2024-03-04T09-41-17+00:00,alice", "2024-03-04T09:41:17Z,bob"],
    )

    report = import_file(case, path)

    quarantine = quarantine_of(case)
    assert report.events == 1
    assert events_of(case)["user_name"].to_list() == ["bob"]
    assert quarantine["record_ref"].to_list() == ["1"]
    assert quarantine["error"][0].startswith(
        "row 1 (line 2): time '2024-03-04T09-41-17+00:00' in column 'time'"
    )


def test_bad_times_quarantined(case, tmp_path):
    path = write_csv(
        tmp_path / "bad.csv",
        [
            "time,user",
            "yesterday,alice",
            ",bob",
            "2024-13-45T10:00:00Z,carol",
            "9/20/2023 4:05:03 AM,dave",
        ],
    )

    report = import_file(case, path)

    quarantine = quarantine_of(case)
    assert report.events == 1
    assert quarantine["record_ref"].to_list() == ["1", "2", "3"]
    assert "time 'yesterday'" in quarantine["error"][0]
    assert quarantine["error"][1] == "row 2 (line 3): the time column 'time' is empty"
    assert events_of(case)["timestamp"][0] == datetime(2023, 9, 20, 4, 5, 3)


def test_separate_date_and_time(case, tmp_path):
    path = write_csv(
        tmp_path / "firewall.csv",
        ["Date,Time,User", "2024-03-04,09:41:17,alice", "2024-03-04,,bob"],
    )

    report = import_file(case, path, ImportOptions(tz="Europe/Berlin"))

    assert report.mapping == {"timestamp": "Date + Time", "user_name": "User"}
    assert events_of(case)["timestamp"].to_list() == [datetime(2024, 3, 4, 8, 41, 17)]
    assert quarantine_of(case)["error"].to_list() == [
        "row 2 (line 3): the time column 'Date + Time' is empty"
    ]


def test_tz_option_assumed(case, tmp_path):
    path = write_csv(tmp_path / "local.csv", ["time,user", "2024-07-01 12:00:00,alice"])

    report = import_file(case, path, ImportOptions(tz="America/New_York"))

    row = events_of(case).row(0, named=True)
    assert row["timestamp"] == datetime(2024, 7, 1, 16, 0)
    assert row["tz_offset_min"] == -240
    assert row["tz_assumed"] is True
    assert report.assumptions == [
        "times in column 'time' carry no UTC offset; they were read as America/New_York"
    ]


def test_no_offset_defaults_to_utc(case, tmp_path):
    path = write_csv(tmp_path / "naive.csv", ["time,user", "2024-07-01 12:00:00,alice"])

    report = import_file(case, path)

    assert events_of(case)["timestamp"][0] == datetime(2024, 7, 1, 12, 0)
    assert "they were read as UTC" in report.assumptions[0]


def test_invalid_tz_option(case, tmp_path):
    path = write_csv(tmp_path / "naive.csv", ["time,user", "2024-07-01 12:00:00,alice"])

    with pytest.raises(SourceError, match="Mars/Olympus"):
        import_file(case, path, ImportOptions(tz="Mars/Olympus"))


# Mapping


def test_mapping_file_columns_and_zone(case, tmp_path):
    path = write_csv(
        tmp_path / "custom.csv",
        ["When,Who,What,Size", "04/07/2024 09:30,CORP\\Alice,Copied report,2048"],
    )
    mapping = tmp_path / "mapping.json"
    mapping.write_text(
        json.dumps(
            {
                "columns": {
                    "timestamp": "When",
                    "user_name": "Who",
                    "event_action": "What",
                },
                "time_format": "%d/%m/%Y %H:%M",
                "tz": "Europe/London",
                "event_category": "file",
            }
        )
    )

    report = import_file(case, path, ImportOptions(mapping_file=mapping))

    row = events_of(case).row(0, named=True)
    assert report.mapping == {
        "timestamp": "When",
        "user_name": "Who",
        "event_action": "What",
        "bytes": "Size",
    }
    assert row["timestamp"] == datetime(2024, 7, 4, 8, 30)
    assert row["tz_offset_min"] == 60
    assert row["user_name"] == "alice"
    assert row["user_domain"] == "CORP"
    assert row["event_category"] == "file"
    assert row["event_action"] == "other"
    assert row["event_code"] == "copied report"
    assert row["bytes"] == 2048
    assert "read as Europe/London" in report.assumptions[0]


def test_mapping_file_time_format_mismatch(case, tmp_path):
    path = write_csv(tmp_path / "c.csv", ["When,Who", "2024-07-04 09:30,alice"])
    mapping = tmp_path / "mapping.json"
    mapping.write_text('{"columns": {"timestamp": "When"}, "time_format": "%d/%m/%Y"}')

    import_file(case, path, ImportOptions(mapping_file=mapping))

    error = quarantine_of(case)["error"][0]
    assert error == (
        "row 1 (line 2): time '2024-07-04 09:30' in column 'When' does not match "
        "the time_format '%d/%m/%Y'"
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"colums": {}}', "invalid mapping file key 'colums'"),
        ('{"columns": {"when": "When"}}', "invalid mapping file key 'columns.when'"),
        (
            '{"columns": {"timestamp": 5}}',
            "invalid mapping file key 'columns.timestamp'",
        ),
        ('{"tz": "Nowhere/City"}', "invalid mapping file key 'tz'"),
        ('{"time_format": "dd/mm/yyyy"}', "invalid mapping file key 'time_format'"),
        ('{"event_category": "files"}', "invalid mapping file key 'event_category'"),
        ("[1, 2]", "must contain a JSON object"),
        ("{not json", "not valid JSON"),
    ],
)
def test_mapping_file_invalid(case, tmp_path, content, expected):
    path = write_csv(tmp_path / "c.csv", ["When,Who", "2024-07-04 09:30,alice"])
    mapping = tmp_path / "bad-mapping.json"
    mapping.write_text(content)

    with pytest.raises(SourceError) as caught:
        import_file(case, path, ImportOptions(mapping_file=mapping))

    assert str(mapping) in str(caught.value)
    assert expected in str(caught.value)


def test_mapping_file_unknown_column(case, tmp_path):
    path = write_csv(tmp_path / "c.csv", ["When,Who", "2024-07-04 09:30,alice"])
    mapping = tmp_path / "mapping.json"
    mapping.write_text('{"columns": {"timestamp": "Time"}}')

    with pytest.raises(SourceError, match="column 'Time' is not in the source"):
        import_file(case, path, ImportOptions(mapping_file=mapping))


def test_no_time_column(case, tmp_path):
    path = write_csv(tmp_path / "untimed.csv", ["user,action", "alice,login"])

    with pytest.raises(SourceError) as caught:
        import_file(case, path, ImportOptions(format="csv"))

    message = str(caught.value)
    assert str(path) in message
    assert "'user', 'action'" in message
    assert "mapping file" in message
    assert case.con.execute("SELECT count(*) FROM events").fetchone()[0] == 0


def test_automatic_mapping_names(case, tmp_path):
    header = (
        "EventTime,UserPrincipalName,Client_IP,Computer Name,OperationName,"
        "ResultStatus,FileName,Bytes-Sent,User Agent,TargetUserName,Event_ID,Extra"
    )
    row = (
        "2024-01-01T00:00:00Z,Ann@Example.COM,10.1.2.3:5123,WS01,FileDownloaded,"
        "Succeeded,plan.docx,1024,curl/8.0,Bob,77,x"
    )
    path = write_csv(tmp_path / "names.csv", [header, row])

    report = import_file(case, path)

    event = events_of(case).row(0, named=True)
    assert report.mapping == {
        "timestamp": "EventTime",
        "user_name": "UserPrincipalName",
        "source_ip": "Client_IP",
        "host_name": "Computer Name",
        "event_action": "OperationName",
        "event_outcome": "ResultStatus",
        "object": "FileName",
        "bytes": "Bytes-Sent",
        "user_agent": "User Agent",
        "target_user": "TargetUserName",
        "event_code": "Event_ID",
    }
    assert event["user_name"] == "ann@example.com"
    assert event["user_domain"] == "example.com"
    assert event["source_ip"] == "10.1.2.3"
    assert event["event_action"] == "file-download"
    assert event["event_outcome"] == "success"
    assert event["event_code"] == "77"
    assert event["target_user"] == "bob"
    assert event["bytes"] == 1024
    assert (
        event["message"]
        == "FileDownloaded by ann@example.com from 10.1.2.3 on plan.docx"
    )
    assert (
        "columns not mapped to the event schema (kept in original): Extra"
        in report.notes
    )


FREE_TEXT = [
    ("Failed login", "authentication", "logon-failed", "failure"),
    ("UserLoggedIn", "authentication", "logon", "unknown"),
    ("Sign-in activity", "authentication", "logon", "unknown"),
    ("User logged off", "authentication", "logoff", "unknown"),
    ("FileDownloaded", "file", "file-download", "unknown"),
    ("Upload", "file", "file-upload", "unknown"),
    ("Export report", "file", "export", "unknown"),
    ("Delete file", "file", "file-delete", "unknown"),
    ("Reset user password.", "iam", "password-reset", "unknown"),
    ("New-InboxRule", "email", "inbox-rule", "unknown"),
    ("Set-ConditionalAccessPolicy", "configuration", "policy-change", "unknown"),
    ("Coffee break", "other", "other", "unknown"),
]


def test_free_text_actions(case, tmp_path):
    lines = ["time,action"] + [
        f"2024-01-01T00:00:{n:02d}Z,{text}" for n, (text, *_) in enumerate(FREE_TEXT)
    ]
    path = write_csv(tmp_path / "actions.csv", lines)

    import_file(case, path)

    events = events_of(case)
    assert events["event_code"].to_list() == [text.lower() for text, *_ in FREE_TEXT]
    assert events["event_category"].to_list() == [row[1] for row in FREE_TEXT]
    assert events["event_action"].to_list() == [row[2] for row in FREE_TEXT]
    assert events["event_outcome"].to_list() == [row[3] for row in FREE_TEXT]


def test_keyword_actions_in_vocabulary():
    for _, category, action in KEYWORD_ACTIONS:
        assert action in ACTIONS[category], (category, action)


def test_user_name_forms(case, tmp_path):
    users = ["CORP\\Alice", "Bob@Contoso.COM", "-", "carol", "{'userName': 'Dan'}"]
    lines = ["time,user"] + [
        f'2024-01-01T00:00:0{n}Z,"{u}"' for n, u in enumerate(users)
    ]
    path = write_csv(tmp_path / "users.csv", lines)

    import_file(case, path)

    events = events_of(case)
    assert events["user_name"].to_list() == [
        "alice",
        "bob@contoso.com",
        None,
        "carol",
        "dan",
    ]
    assert events["user_domain"].to_list() == ["CORP", "contoso.com", None, None, None]


# JSON Lines


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_jsonl_broken_line(case, tmp_path):
    path = write_jsonl(
        tmp_path / "events.jsonl",
        [
            '{"eventTime": "2024-01-01T00:00:00Z", "eventName": "GetObject"}',
            '{"eventTime": "2024-01-01T00:01:00Z", "userName": broken',
            "",
            "[1, 2]",
            '{"eventTime": "2024-01-01T00:02:00Z", "eventName": "PutObject"}',
        ],
    )

    report = import_file(case, path)

    events = events_of(case)
    quarantine = quarantine_of(case)
    assert report.format == "jsonl"
    assert events["record_ref"].to_list() == ["1", "5"]
    assert events["event_action"].to_list() == ["file-read", "file-upload"]
    assert quarantine["record_ref"].to_list() == ["2", "4"]
    assert quarantine["error"].to_list() == [
        "line 2: not a JSON object",
        "line 4: not a JSON object",
    ]


def test_jsonl_nested_paths(case, tmp_path):
    record = {
        "@timestamp": "2024-01-01T00:00:00+01:00",
        "userIdentity": {"arn": "arn:aws:iam::1:user/ann", "userName": "Ann"},
        "sourceIPAddress": "192.0.2.7",
        "eventName": "ConsoleLogin",
        "tags": ["a", "b"],
        "size": 12,
    }
    line = json.dumps(record)
    path = write_jsonl(tmp_path / "nested.jsonl", [line])

    report = import_file(case, path)

    event = events_of(case).row(0, named=True)
    assert report.mapping == {
        "timestamp": "@timestamp",
        "user_name": "userIdentity.userName",
        "source_ip": "sourceIPAddress",
        "event_action": "eventName",
        "bytes": "size",
    }
    assert event["timestamp"] == datetime(2023, 12, 31, 23, 0)
    assert event["user_name"] == "ann"
    assert event["event_action"] == "logon"
    assert event["bytes"] == 12
    assert event["original"] == line
    assert any("userIdentity.arn" in note and "tags" in note for note in report.notes)


def test_jsonl_mapping_file_dotted(case, tmp_path):
    lines = [
        json.dumps({"when": f"2024-01-0{n} 10:00", "who": {"id": f"u{n}"}})
        for n in (1, 2)
    ]
    path = write_jsonl(tmp_path / "custom.jsonl", lines)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(
        '{"columns": {"timestamp": "when", "user_name": "who.id"}, "tz": "Asia/Tokyo"}'
    )

    report = import_file(
        case, path, ImportOptions(mapping_file=mapping, format="jsonl")
    )

    events = events_of(case)
    assert report.mapping == {"timestamp": "when", "user_name": "who.id"}
    assert events["user_name"].to_list() == ["u1", "u2"]
    assert events["timestamp"].to_list() == [
        datetime(2024, 1, 1, 1),
        datetime(2024, 1, 2, 1),
    ]


@pytest.mark.parametrize("batch_rows", [1, 2, 100_000])
def test_jsonl_keys_vary_by_batch(case, tmp_path, batch_rows):
    lines = [
        '{"time": "2024-01-01T00:00:00Z", "user": "a"}',
        '{"time": "2024-01-01T00:00:01Z", "user": "b", "ip": "10.0.0.2"}',
        '{"time": "2024-01-01T00:00:02Z", "user": {"name": "c"}}',
        '{"message": "no time here"}',
    ]
    path = write_jsonl(tmp_path / "vary.jsonl", lines)

    report = import_file(case, path, ImportOptions(batch_rows=batch_rows))

    events = events_of(case)
    assert events["record_ref"].to_list() == ["1", "2", "3"]
    assert events["source_ip"].to_list() == [None, "10.0.0.2", None]
    assert quarantine_of(case)["record_ref"].to_list() == ["4"]
    assert report.mapping["timestamp"] == "time"


# Content sniffing


def test_sniff_csv(tmp_path):
    path = write_csv(tmp_path / "a.csv", ["time,user", "2024-01-01T00:00:00Z,alice"])

    assert sniff(CsvImporter(), path) == 0.3
    assert sniff(JsonLinesImporter(), path) == 0.0


def test_sniff_jsonl(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", ['{"a": 1, "b": 2}', '{"a": 3, "b": 4}'])

    assert sniff(JsonLinesImporter(), path) == 0.3
    assert sniff(CsvImporter(), path) == 0.0


@pytest.mark.parametrize(
    "content",
    [
        '{\n  "eventTime": "2024-01-01T00:00:00Z"\n}\n',
        '[{"eventTime": "2024-01-01T00:00:00Z"}]\n',
        '{"Records": [{"eventTime": "2024-01-01T00:00:00Z"}]}\n',
    ],
)
def test_sniff_json_documents_not_claimed(tmp_path, content):
    path = tmp_path / "doc.json"
    path.write_text(content)

    assert sniff(JsonLinesImporter(), path) == 0.0
    assert sniff(CsvImporter(), path) == 0.0


def test_sniff_log_lines_not_claimed(tmp_path):
    path = tmp_path / "messages"
    path.write_text(
        "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown\n"
        "Jun 14 15:16:02 combo sshd(pam_unix)[19937]: check pass; user unknown\n"
    )

    assert sniff(CsvImporter(), path) == 0.0
    assert sniff(JsonLinesImporter(), path) == 0.0


def test_second_time_column_noted(case, tmp_path):
    path = tmp_path / "two_times.csv"
    path.write_text(
        "timestamp,time,user\n2024-01-01T00:00:00Z,2024-01-02T00:00:00Z,alice\n",
        encoding="utf-8",
    )

    report = import_file(case, path)

    used = report.mapping["timestamp"]
    other = "timestamp" if used == "time" else "time"
    assert any(f"{other!r} also hold a time" in note for note in report.notes)
