"""JSON document reading, shared cloud field mapping, format detection and the
cloud sample corpus."""

from __future__ import annotations

import json
from datetime import datetime

import polars as pl
import pytest
from cloud_logs import CLOUD_DATA, gzipped, import_into

import importers.jsondoc as jsondoc
from importers import registry
from importers.base import ImportReport, SourceError, SourceFile
from importers.cloudfields import account, check_table, ip_address
from importers.jsonfields import JsonFields

RECORDS = [{"id": index, "name": "x" * (index % 40), "n": 1.5e3} for index in range(25)]


def read_refs(path, batch_rows=10) -> tuple[list[str], list[tuple], ImportReport]:
    report = ImportReport(path=str(path))
    refs, rejected = [], []
    for batch in jsondoc.read_json_records(SourceFile(path), batch_rows, report):
        refs += batch.records.get_column("record_ref").to_list()
        if batch.quarantine is not None:
            rejected += batch.quarantine.select("record_ref", "error").rows()
    return refs, rejected, report


LAYOUTS = {
    "array": (json.dumps(RECORDS, indent=2), "[0]", "[24]"),
    "records": (json.dumps({"Records": RECORDS}), "Records[0]", "Records[24]"),
    "graph-page": (
        json.dumps({"@odata.context": "x", "value": RECORDS, "@odata.nextLink": "y"}),
        "value[0]",
        "value[24]",
    ),
    "json-lines": ("\n".join(json.dumps(r) for r in RECORDS) + "\n", "1", "25"),
    "pretty-objects": ("\n".join(json.dumps(r, indent=1) for r in RECORDS), "1", "121"),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_reader_layouts(tmp_path, layout):
    text, first, last = LAYOUTS[layout]
    path = tmp_path / "doc.json"
    path.write_text(text, encoding="utf-8")

    refs, rejected, report = read_refs(path)

    assert len(refs) == 25
    assert refs[0] == first
    assert refs[-1] == last
    assert rejected == []
    assert report.partial_at is None


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_reader_buffer_boundaries(tmp_path, monkeypatch, layout):
    text, _, _ = LAYOUTS[layout]
    path = tmp_path / "doc.json"
    path.write_text(text, encoding="utf-8")
    expected, _, _ = read_refs(path)
    monkeypatch.setattr(jsondoc, "_READ_CHARS", 7)
    monkeypatch.setattr(jsondoc, "_BLOCK_CHARS", 50)

    refs, rejected, _ = read_refs(path)

    assert refs == expected
    assert rejected == []


def test_reader_gzip_matches_plain(tmp_path):
    path = tmp_path / "doc.json"
    path.write_text(json.dumps({"Records": RECORDS}), encoding="utf-8")

    plain, _, _ = read_refs(path)
    packed, _, _ = read_refs(gzipped(path, tmp_path))

    assert packed == plain


def test_reader_truncated_array(tmp_path):
    path = tmp_path / "cut.json"
    path.write_text(json.dumps(RECORDS)[:-300], encoding="utf-8")

    refs, rejected, report = read_refs(path)

    assert refs[-1] == f"[{len(refs) - 1}]"
    assert len(refs) < 25
    assert rejected == [(f"[{len(refs)}]", "the file ends inside this record")]
    assert report.partial_at == f"[{len(refs)}]"


@pytest.mark.parametrize("layout", ["records", "json-lines"])
def test_reader_cut_gzip(tmp_path, layout):
    records = [{"id": index, "pad": "x" * 200} for index in range(3000)]
    if layout == "records":
        text = json.dumps({"Records": records})
    else:
        text = "\n".join(json.dumps(record) for record in records)
    path = tmp_path / "whole.json"
    path.write_text(text, encoding="utf-8")
    packed = gzipped(path, tmp_path).read_bytes()
    cut = tmp_path / "cut.json.gz"
    cut.write_bytes(packed[: len(packed) // 2])

    refs, _, report = read_refs(cut, batch_rows=1000)

    assert 1000 < len(refs) < 3000
    assert report.partial_at is not None
    assert "end-of-stream marker" in report.notes[0]


def test_reader_bad_first_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    lines = ['{"id": 1', *(json.dumps(r) for r in RECORDS[:3])]
    path.write_text("\n".join(lines), encoding="utf-8")

    refs, rejected, _ = read_refs(path)

    assert refs == ["2", "3", "4"]
    assert rejected[0][0] == "1"
    assert rejected[0][1].startswith("invalid JSON")


def test_reader_bad_pretty_object(tmp_path):
    path = tmp_path / "bad.json"
    good = [json.dumps(r, indent=1) for r in RECORDS[:2]]
    path.write_text(good[0] + '\n{"x": tru,\n "y": 1}\n' + good[1], encoding="utf-8")

    refs, rejected, _ = read_refs(path)

    assert refs == ["1", "8"]
    assert [ref for ref, _ in rejected] == ["6"]


def test_reader_rejects_text(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello\n", encoding="utf-8")

    with pytest.raises(SourceError, match="not a JSON document"):
        read_refs(path)


def test_fields_odd_values():
    fields = JsonFields({"a": pl.String, "u.n": pl.String})
    texts = pl.Series(
        [
            '{"a": 1, "u": {"n": "x"}}',
            '{"a": {"deep": [1, 2]}, "u": "flat"}',
            "[1, 2]",
            '{"a": tru}',
            '{"a": "ok"}',
        ]
    )

    decoded, errors = fields.decode(texts)

    assert decoded.get_column("a").to_list() == [
        "1",
        '{"deep": [1, 2]}',
        None,
        None,
        "ok",
    ]
    assert decoded.get_column("u.n").to_list() == ["x", None, None, None, None]
    assert errors[0] is None
    assert errors[2] == "not a JSON object"
    assert errors[3].startswith("invalid JSON: Expecting value")
    assert errors[4] is None


def test_ip_address_forms():
    raw = [
        "185.73.124.135:3521",
        "[2603:1036:302:4091::5]:51902",
        "2001:DB8::1",
        "ec2.amazonaws.com",
        "AWS Internal",
        "12:34:56",
        "-",
        "203.0.113.9",
    ]

    result = pl.select(ip_address(pl.lit(pl.Series(raw)))).to_series().to_list()

    assert result == [
        "185.73.124.135",
        "2603:1036:302:4091::5",
        "2001:db8::1",
        None,
        None,
        None,
        None,
        "203.0.113.9",
    ]


def test_account_forms():
    raw = pl.Series(
        [
            "NT AUTHORITY\\SYSTEM (Microsoft.Exchange.ServiceHost)",
            "DebraB@M365B132131.OnMicrosoft.com",
            "CORP\\Bob",
            "Certificate",
            "",
        ]
    )
    name, domain = account(pl.lit(raw))

    result = pl.select(name=name, domain=domain).rows()

    assert result == [
        ("system", "NT AUTHORITY"),
        ("debrab@m365b132131.onmicrosoft.com", "m365b132131.onmicrosoft.com"),
        ("bob", "CORP"),
        ("certificate", None),
        (None, None),
    ]


def test_table_outside_vocabulary():
    with pytest.raises(ValueError, match="not a file action"):
        check_table({"GetObject": ("file", "download")}, "test")


DETECTED = {
    "cloudtrail_s3_records.json": "cloudtrail",
    "ec2_proxy_s3_exfiltration_2020-09-14011940.json": "cloudtrail",
    "plaso_aws_cloudtrail_lookupevents.jsonl": "cloudtrail",
    "purview_audit.csv": "m365-audit",
    "office_activity.csv": "m365-audit",
    "office_activity_portal.csv": "m365-audit",
    "plaso_microsoft_audit_log.jsonl": "m365-audit",
    "entra_signins.jsonl": "entra",
    "AADAuditEvents.json": "entra",
    "okta_system_log.json": "okta",
    "gcp_audit.jsonl": "gcp-audit",
}


@pytest.mark.parametrize("name", sorted(DETECTED))
def test_detect_cloud_formats(name):
    importer = registry.detect(SourceFile(CLOUD_DATA / name))

    assert importer.name == DETECTED[name]


def test_detect_gzipped_records(tmp_path):
    path = gzipped(CLOUD_DATA / "cloudtrail_s3_records.json", tmp_path)

    importer = registry.detect(SourceFile(path))

    assert importer.name == "cloudtrail"


# (file, format, events) as counted in the corpus MANIFEST. None of these
# files contains a malformed record, so nothing is quarantined.
CORPUS = [
    ("cloudtrail/ec2_proxy_s3_exfiltration_2020-09-14011940.json", "cloudtrail", 103),
    ("cloudtrail/ocsf_cloudtrail_authentication.raw.json", "cloudtrail", 1),
    (
        "cloudtrail/218007301253_CloudTrail_us-east-1_20230710T1200Z_x9kHmzMa7cx6l9wM"
        ".json",
        "cloudtrail",
        132,
    ),
    (
        "cloudtrail/342082656213_CloudTrail_us-west-1_20210729T0015Z_7PyeLLPrf8oXIb3z"
        ".json.gz",
        "cloudtrail",
        110,
    ),
    ("cloudtrail/plaso_aws_cloudtrail_lookupevents.jsonl", "cloudtrail", 6),
    ("m365-ual/huntress2023_rogue_inbox_purview.csv", "m365-audit", 219),
    ("m365-ual/plaso_microsoft_audit_log.jsonl", "m365-audit", 4),
    ("m365-exchange-admin/demo_exchange_data.csv", "m365-audit", 1334),
    ("entra-signin/test-signinlogs-raw.log", "entra", 5),
    ("entra-audit/AADAuditEvents.json", "entra", 4),
    ("okta/ocsf_okta_account_change.raw.json", "okta", 1),
    ("okta/ocsf_okta_authentication.raw.json", "okta", 1),
    ("okta/ocsf_okta_group_management.raw.json", "okta", 1),
    ("gcp-audit/test-iamcredentials-googleapis-com.log", "gcp-audit", 1),
]


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "format_name", "events"), CORPUS)
def test_corpus_counts(samples_dir, case, name, format_name, events):
    imported = import_into(case, samples_dir / name)

    assert imported.report.format == format_name
    assert imported.report.events == events
    assert imported.report.quarantined == 0
    assert imported.report.status == "ok"


@pytest.mark.corpus
def test_corpus_purview_users(samples_dir, case):
    path = samples_dir / "m365-ual/huntress2023_rogue_inbox_purview.csv"

    imported = import_into(case, path)

    users = imported.events.group_by("user_name").len()
    debra = users.filter(pl.col("user_name") == "debrab@m365b132131.onmicrosoft.com")
    rules = imported.events.filter(pl.col("event_code") == "New-InboxRule")
    assert debra.get_column("len").to_list() == [79]
    assert rules.height == 38
    assert rules.get_column("event_action").unique().to_list() == ["inbox-rule"]
    assert imported.events.get_column("source_ip").str.contains(":3521").sum() == 0
    assert not imported.events.get_column("tz_assumed").any()


@pytest.mark.corpus
def test_corpus_root_session(samples_dir, case):
    path = (
        samples_dir / "cloudtrail/342082656213_CloudTrail_us-west-1_20210729T0015Z_"
        "7PyeLLPrf8oXIb3z.json.gz"
    )

    imported = import_into(case, path)

    assert imported.events.get_column("user_name").unique().to_list() == ["root"]
    assert imported.events.get_column("source_ip").unique().to_list() == [
        "96.253.26.224"
    ]
    assert imported.events.get_column("timestamp").min() == datetime(
        2021, 7, 29, 0, 7, 58
    )
    assert imported.events.get_column("timestamp").max() == datetime(
        2021, 7, 29, 0, 12, 38
    )


@pytest.mark.corpus
def test_corpus_exchange_admin_ipv6(samples_dir, case):
    path = samples_dir / "m365-exchange-admin/demo_exchange_data.csv"

    imported = import_into(case, path)

    addresses = imported.events.get_column("source_ip").drop_nulls()
    assert "2603:1036:302:4091::5" in addresses.to_list()
    assert addresses.str.contains(r"^\[").sum() == 0
    assert addresses.len() == 64
