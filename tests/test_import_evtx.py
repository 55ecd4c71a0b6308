"""EVTX importer and the shared Windows event mapping.

Expected values come from python-evtx 0.8.1 (see tests/data/evtx/SOURCES.md)
and from the sample MANIFEST, never from this importer's own output.
"""

from __future__ import annotations

import gzip
import json
import random
import struct
from collections import Counter
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from importers import registry
from importers.base import ImportOptions, ImportReport, SourceError, SourceFile
from importers.vocabulary import ACTIONS, CATEGORIES, OUTCOMES
from importers.windows_events import OUTPUT_COLUMNS, normalise_security_events
from workspace.importing import import_file

DATA = Path(__file__).parent / "data" / "evtx"
CREATED_DELETED = DATA / "ID4720-4726_Fast_created-deleted_user.evtx"
GROUP_CHANGES = DATA / "ID4728-Massive_account_group_membership_change.evtx"
BRUTE_FORCE = DATA / "ID4776-4625_AccountRestore_local_bruteforce.evtx"

FILE_HEADER = 4096
CHUNK = 65536


def parse(path: Path, batch_rows: int = 100_000):
    """Run the importer without a workspace; return events, quarantine, report."""
    report = ImportReport(path=str(path))
    importer = registry.get("evtx")
    batches = list(
        importer.parse(SourceFile(path), ImportOptions(batch_rows=batch_rows), report)
    )
    events = [b.events for b in batches if b.events is not None]
    quarantine = [b.quarantine for b in batches if b.quarantine is not None]
    events_frame = pl.concat(events) if events else pl.DataFrame()
    quarantine_frame = pl.concat(quarantine) if quarantine else pl.DataFrame()
    return events_frame, quarantine_frame, report


def event(frame: pl.DataFrame, record_ref: str) -> dict:
    rows = frame.filter(pl.col("record_ref") == record_ref).to_dicts()
    assert len(rows) == 1, f"record_ref {record_ref} found {len(rows)} times"
    return rows[0]


def record_offset(data: bytes, number: int) -> int:
    """Find the byte offset of the record with this file record number."""
    position = data.find(b"**\x00\x00", FILE_HEADER)
    while position != -1:
        (found,) = struct.unpack_from("<Q", data, position + 8)
        if found == number:
            return position
        position = data.find(b"**\x00\x00", position + 1)
    raise AssertionError(f"record {number} not found")


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# Content detection -----------------------------------------------------------


def test_sniff_accepts_evtx():
    head = CREATED_DELETED.read_bytes()[:4096]

    score = registry.get("evtx").sniff(head, None)

    assert score == 1.0


@pytest.mark.parametrize(
    "head",
    [
        bytes(4096),
        random.Random(7).randbytes(4096),
        b"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>",
        b"ElfChnk\x00" + bytes(100),
    ],
    ids=["zeros", "random", "xml", "chunk-only"],
)
def test_sniff_rejects_other_content(head):
    score = registry.get("evtx").sniff(head, None)

    assert score == 0.0


def test_detect_picks_evtx():
    importer = registry.detect(SourceFile(GROUP_CHANGES))

    assert importer.name == "evtx"


# Counts and field values of the CC0 samples ----------------------------------

EXPECTED_COUNTS = [
    (CREATED_DELETED, {"4720": 1, "4726": 1}),
    (GROUP_CHANGES, {"4728": 11}),
    (BRUTE_FORCE, {"4625": 16}),
]


@pytest.mark.parametrize(
    ("path", "by_code"), EXPECTED_COUNTS, ids=lambda v: getattr(v, "stem", "")
)
def test_counts_per_event_id(path, by_code):
    events, quarantine, report = parse(path)

    assert Counter(events["event_code"].to_list()) == by_code
    assert quarantine.height == 0
    assert report.partial_at is None


def test_user_created_fields():
    events, _, _ = parse(CREATED_DELETED)

    created = event(events, "16075276")
    assert created["event_code"] == "4720"
    assert created["event_category"] == "iam"
    assert created["event_action"] == "user-created"
    assert created["event_outcome"] == "success"
    assert created["user_name"] == "lambda-user"
    assert created["user_domain"] == "OFFSEC"
    assert created["target_user"] == "admin-kriss"
    assert created["host_name"] == "rootdc1.offsec.lan"
    assert created["timestamp"] == datetime(2020, 7, 12, 5, 10, 8, 442192)
    assert created["timestamp_raw"] == "2020-07-12T05:10:08.442192Z"
    assert created["tz_offset_min"] == 0
    assert created["tz_assumed"] is False
    assert created["message"] == (
        "created user admin-kriss by lambda-user on rootdc1.offsec.lan"
    )


def test_user_deleted_fields():
    events, _, _ = parse(CREATED_DELETED)

    deleted = event(events, "16075606")
    assert deleted["event_action"] == "user-deleted"
    assert deleted["user_name"] == "lambda-user"
    assert deleted["target_user"] == "admin-kriss"
    assert deleted["timestamp"] == datetime(2020, 7, 12, 5, 11, 26, 431601)


def test_group_member_added_fields():
    events, _, _ = parse(GROUP_CHANGES)

    added = event(events, "16078259")
    assert added["event_category"] == "iam"
    assert added["event_action"] == "group-member-added"
    assert added["user_name"] == "lambda-user"
    assert added["user_domain"] == "OFFSEC"
    assert added["target_user"] == "hack-adm-hack"
    assert added["object"] == "OFFSEC\\Group02"
    assert added["timestamp"] == datetime(2020, 7, 12, 5, 19, 54, 564048)
    assert added["message"] == (
        "added hack-adm-hack to group OFFSEC\\Group02 by lambda-user "
        "on rootdc1.offsec.lan"
    )


def test_group_changes_record_refs():
    events, _, _ = parse(GROUP_CHANGES)

    expected = [str(16078256 + 3 * step) for step in range(11)]
    assert events["record_ref"].to_list() == expected


def test_time_is_system_time():
    # The record header of this record contains 05:19:54.5619207, and the
    # event's System/TimeCreated contains 05:19:54.561817.
    events, _, _ = parse(GROUP_CHANGES)

    first = event(events, "16078256")
    assert first["timestamp"] == datetime(2020, 7, 12, 5, 19, 54, 561817)


def test_failed_logon_fields():
    events, _, _ = parse(BRUTE_FORCE)

    failed = event(events, "11288")
    assert failed["event_category"] == "authentication"
    assert failed["event_action"] == "logon-failed"
    assert failed["event_outcome"] == "failure"
    assert failed["user_name"] == "administrator"
    assert failed["user_domain"] == "WIN"
    assert failed["host_name"] == "WIN"
    assert failed["source_ip"] is None
    assert failed["timestamp"] == datetime(2023, 9, 25, 20, 39, 50, 822643)
    assert "status 0xc000006d" in failed["message"]


def test_failed_logons_by_user():
    events, _, _ = parse(BRUTE_FORCE)

    users = Counter(events["user_name"].to_list())
    outcomes = set(events["event_outcome"].to_list())
    assert users == {"admin": 8, "administrator": 8}
    assert outcomes == {"failure"}


def test_original_is_record_json():
    events, _, _ = parse(CREATED_DELETED)

    for row in events.iter_rows(named=True):
        record = json.loads(row["original"])
        system = record["Event"]["System"]
        assert str(system["EventRecordID"]) == row["record_ref"]
        assert (
            system["TimeCreated"]["#attributes"]["SystemTime"] == (row["timestamp_raw"])
        )


def test_batches_follow_batch_rows():
    report = ImportReport(path=str(GROUP_CHANGES))
    options = ImportOptions(batch_rows=4)

    batches = list(
        registry.get("evtx").parse(SourceFile(GROUP_CHANGES), options, report)
    )

    sizes = [b.events.height for b in batches if b.events is not None]
    assert sizes == [4, 4, 3]


def test_values_are_in_vocabulary():
    frames = [parse(path)[0] for path, _ in EXPECTED_COUNTS]
    events = pl.concat(frames)

    for row in events.select("event_category", "event_action", "event_outcome").rows():
        category, action, outcome = row
        assert category in CATEGORIES
        assert action in ACTIONS.get(category, ()) + ("other",)
        assert outcome in OUTCOMES


# Damaged files ---------------------------------------------------------------


def test_truncated_keeps_complete_records(tmp_path):
    data = GROUP_CHANGES.read_bytes()
    cut = record_offset(data, 7) + 100
    path = write(tmp_path / "truncated.evtx", data[:cut])

    events, quarantine, report = parse(path)

    assert events["record_ref"].to_list() == [
        str(16078256 + 3 * step) for step in range(6)
    ]
    assert quarantine["record_ref"].to_list() == ["file record 7"]
    assert report.partial_at is not None
    assert f"byte {cut}" in report.partial_at
    assert "chunk 0" in report.partial_at


def test_truncated_values_intact(tmp_path):
    data = GROUP_CHANGES.read_bytes()
    path = write(tmp_path / "truncated.evtx", data[: record_offset(data, 7) + 100])
    whole, _, _ = parse(GROUP_CHANGES)

    events, _, _ = parse(path)

    expected = whole.filter(pl.col("record_ref").is_in(events["record_ref"].implode()))
    assert events.equals(expected)


def test_truncated_between_records(tmp_path):
    data = GROUP_CHANGES.read_bytes()
    path = write(tmp_path / "truncated.evtx", data[: record_offset(data, 4)])

    events, quarantine, report = parse(path)

    assert events.height == 3
    assert quarantine["record_ref"].to_list() == ["file record 4"]
    assert report.partial_at is not None


def test_truncated_second_chunk(tmp_path):
    data = GROUP_CHANGES.read_bytes()
    header = bytearray(data[:FILE_HEADER])
    struct.pack_into("<H", header, 42, 2)  # number of chunks
    chunk = data[FILE_HEADER:]
    cut = CHUNK + record_offset(data, 7) + 100  # record 7 of the second chunk
    path = write(tmp_path / "cut.evtx", (bytes(header) + chunk * 2)[:cut])

    events, quarantine, report = parse(path)

    assert events.height == 11 + 6
    assert quarantine["record_ref"].to_list() == ["file record 7"]
    assert "chunk 1" in report.partial_at


def test_gzipped_file(tmp_path):
    path = tmp_path / "group_changes.evtx.gz"
    path.write_bytes(gzip.compress(GROUP_CHANGES.read_bytes()))

    events, quarantine, report = parse(path)

    assert events.height == 11
    assert quarantine.height == 0
    assert report.partial_at is None


def test_truncated_after_header(tmp_path):
    path = write(
        tmp_path / "header_only.evtx", GROUP_CHANGES.read_bytes()[:FILE_HEADER]
    )

    events, quarantine, report = parse(path)

    assert events.height == 0
    assert quarantine.height == 0
    assert report.partial_at is not None
    assert f"byte {FILE_HEADER}" in report.partial_at


def test_truncated_inside_header_rejected(tmp_path):
    path = write(tmp_path / "short.evtx", GROUP_CHANGES.read_bytes()[:2000])

    with pytest.raises(SourceError, match="short.evtx"):
        parse(path)


def test_truncated_import_is_partial(case, tmp_path):
    data = GROUP_CHANGES.read_bytes()
    path = write(tmp_path / "truncated.evtx", data[: record_offset(data, 7) + 100])

    report = import_file(case, path)

    status, events, quarantined = case.con.execute(
        "SELECT status, events, quarantined FROM sources"
    ).fetchone()
    stored = case.con.execute("SELECT count(*) FROM events").fetchone()[0]
    assert report.status == "partial"
    assert status == "partial"
    assert events == 6
    assert quarantined == 1
    assert stored == 6


@pytest.mark.parametrize(
    "content",
    [bytes(200_000), random.Random(11).randbytes(200_000)],
    ids=["zeros", "random"],
)
def test_non_evtx_rejected_by_workspace(case, tmp_path, content):
    path = write(tmp_path / "not_a_log.evtx", content)

    with pytest.raises(SourceError, match="not_a_log.evtx"):
        import_file(case, path)


@pytest.mark.parametrize(
    "content",
    [bytes(200_000), random.Random(11).randbytes(200_000)],
    ids=["zeros", "random"],
)
def test_non_evtx_rejected_when_forced(case, tmp_path, content):
    path = write(tmp_path / "not_a_log.evtx", content)

    with pytest.raises(SourceError, match="not_a_log.evtx.*not an EVTX file"):
        import_file(case, path, ImportOptions(format="evtx"))


def test_zeroed_header_fields_rejected(tmp_path):
    path = write(tmp_path / "blank.evtx", b"ElfFile\x00" + bytes(100_000))

    with pytest.raises(SourceError, match="blank.evtx.*invalid EVTX file header"):
        parse(path)


def test_corrupt_chunk_quarantined(tmp_path):
    data = bytearray(GROUP_CHANGES.read_bytes())
    # The chunk's string and template tables sit between chunk offsets 128
    # and 512; overwriting them makes the whole chunk unreadable.
    start = FILE_HEADER + 128
    data[start : start + 384] = random.Random(1).randbytes(384)
    path = write(tmp_path / "bad_chunk.evtx", bytes(data))

    events, quarantine, report = parse(path)

    assert events.height == 0
    assert quarantine["record_ref"].to_list() == ["file records 1-11"]
    assert "chunk" in quarantine["error"][0]
    assert report.partial_at is None


def test_corrupt_record_quarantined(tmp_path):
    data = bytearray(GROUP_CHANGES.read_bytes())
    offset = record_offset(bytes(data), 5)
    data[offset + 40 : offset + 560] = random.Random(2).randbytes(520)
    path = write(tmp_path / "bad_record.evtx", bytes(data))

    events, quarantine, _ = parse(path)

    assert events.height == 10
    assert "16078268" not in events["record_ref"].to_list()
    assert quarantine["record_ref"].to_list() == ["file record 5"]


def test_zeroed_chunk_quarantined(tmp_path):
    data = bytearray(GROUP_CHANGES.read_bytes())
    data[FILE_HEADER : FILE_HEADER + 8] = bytes(8)
    path = write(tmp_path / "zeroed_chunk.evtx", bytes(data))

    events, quarantine, _ = parse(path)

    assert events.height == 0
    assert quarantine["record_ref"].to_list() == ["chunk 0"]


def test_repeated_record_ids_stay_unique(tmp_path):
    data = GROUP_CHANGES.read_bytes()
    header = bytearray(data[:FILE_HEADER])
    struct.pack_into("<H", header, 42, 2)  # number of chunks
    path = write(tmp_path / "twice.evtx", bytes(header) + data[FILE_HEADER:] * 2)

    events, _, report = parse(path, batch_rows=5)

    refs = events["record_ref"].to_list()
    assert len(refs) == 22
    assert len(set(refs)) == 22
    assert refs[:11] == [str(16078256 + 3 * step) for step in range(11)]
    assert refs[11] == "16078256#12"
    assert any("repeats" in note for note in report.notes)


def test_repeated_record_ids_stable(tmp_path):
    data = GROUP_CHANGES.read_bytes()
    header = bytearray(data[:FILE_HEADER])
    struct.pack_into("<H", header, 42, 2)
    path = write(tmp_path / "twice.evtx", bytes(header) + data[FILE_HEADER:] * 2)

    first, _, _ = parse(path, batch_rows=3)
    second, _, _ = parse(path, batch_rows=100)

    assert first["record_ref"].to_list() == second["record_ref"].to_list()


# Workspace ---------------------------------------------------------------------


def test_workspace_import(case):
    report = import_file(case, GROUP_CHANGES)

    rows = case.con.execute(
        "SELECT record_ref, user_name, event_action FROM events ORDER BY record_ref"
    ).fetchall()
    assert report.format == "evtx"
    assert report.status == "ok"
    assert report.events == 11
    assert report.quarantined == 0
    assert report.first == "2020-07-12T05:19:54.561817"
    assert report.last == "2020-07-12T05:19:54.582191"
    assert rows[0] == ("16078256", "lambda-user", "group-member-added")


def test_workspace_reimport_adds_nothing(case):
    import_file(case, BRUTE_FORCE)

    report = import_file(case, BRUTE_FORCE)

    stored = case.con.execute("SELECT count(*) FROM events").fetchone()[0]
    assert report.events == 0
    assert report.duplicates == 16
    assert stored == 16


# The shared mapping, on hand-written rows --------------------------------------


def normalise(**fields: str | None) -> dict:
    frame = pl.DataFrame({name: [value] for name, value in fields.items()})
    return normalise_security_events(frame).row(0, named=True)


def test_mapping_output_columns():
    frame = pl.DataFrame({"EventID": ["4624", "4625"]})

    result = normalise_security_events(frame)

    assert tuple(result.columns) == OUTPUT_COLUMNS
    assert result.height == 2


def test_mapping_empty_frame():
    result = normalise_security_events(
        pl.DataFrame({"EventID": []}, schema={"EventID": pl.String})
    )

    assert result.height == 0
    assert tuple(result.columns) == OUTPUT_COLUMNS


def test_mapping_keeps_rows_without_known_columns():
    frame = pl.DataFrame({"Unrelated": ["a", "b", "c"]})

    result = normalise_security_events(frame)

    assert result.height == 3
    assert result["event_category"].to_list() == ["other"] * 3


def test_network_logon():
    row = normalise(
        EventID="4624",
        Computer="WS01",
        TargetUserName="Alice",
        TargetDomainName="CORP",
        SubjectUserName="-",
        LogonType="3",
        IpAddress="10.0.0.5",
        WorkstationName="WS01",
    )

    assert row["event_category"] == "authentication"
    assert row["event_action"] == "logon"
    assert row["event_outcome"] == "success"
    assert row["user_name"] == "alice"
    assert row["user_domain"] == "CORP"
    assert row["source_ip"] == "10.0.0.5"
    assert row["message"] == "logon type 3 by alice from 10.0.0.5 on WS01"


@pytest.mark.parametrize(
    ("status", "outcome"),
    [("0x0", "success"), ("0xc000006a", "failure"), ("0xC0000234", "failure")],
)
def test_ntlm_validation_outcome(status, outcome):
    row = normalise(EventID="4776", TargetUserName="bob", Status=status)

    assert row["event_action"] == "credential-validation"
    assert row["event_outcome"] == outcome
    assert row["user_name"] == "bob"


def test_kerberos_failure_address():
    row = normalise(
        EventID="4771", TargetUserName="carol", IpAddress="::ffff:172.16.66.1"
    )

    assert row["event_outcome"] == "failure"
    assert row["source_ip"] == "172.16.66.1"


def test_service_ticket_upn():
    row = normalise(
        EventID="4769",
        TargetUserName="Dave@Corp.Example.com",
        TargetDomainName="CORP.EXAMPLE.COM",
        ServiceName="cifs/fs01",
        Status="0x0",
    )

    assert row["user_name"] == "dave@corp.example.com"
    assert row["user_domain"] == "corp.example.com"
    assert row["object"] == "cifs/fs01"
    assert row["event_outcome"] == "success"


def test_explicit_credentials():
    row = normalise(
        EventID="4648",
        SubjectUserName="jwrig",
        SubjectDomainName="DESKTOP",
        TargetUserName="Administrator",
        TargetServerName="fs01",
    )

    assert row["event_action"] == "logon-explicit"
    assert row["user_name"] == "jwrig"
    assert row["target_user"] == "administrator"
    assert row["object"] == "fs01"


def test_domain_prefix_split():
    row = normalise(EventID="4624", TargetUserName="CORP\\Erin")

    assert row["user_name"] == "erin"
    assert row["user_domain"] == "CORP"


def test_machine_account_keeps_dollar():
    row = normalise(EventID="4688", SubjectUserName="WEF$", NewProcessName="cmd.exe")

    assert row["user_name"] == "wef$"
    assert row["event_action"] == "process-start"


def test_dash_and_empty_are_null():
    row = normalise(
        EventID="4625", TargetUserName="-", TargetDomainName="", IpAddress="-"
    )

    assert row["user_name"] is None
    assert row["user_domain"] is None
    assert row["source_ip"] is None


def test_local_group_member_sid():
    row = normalise(
        EventID="4732",
        SubjectUserName="IEUser",
        MemberName="-",
        MemberSid="S-1-5-21-1-2-3-501",
        TargetUserName="Administrators",
        TargetDomainName="Builtin",
    )

    assert row["target_user"] == "S-1-5-21-1-2-3-501"
    assert row["object"] == "Builtin\\Administrators"
    assert row["event_action"] == "group-member-added"


def test_member_name_with_escaped_comma():
    row = normalise(EventID="4729", MemberName="CN=Doe\\, John,OU=Staff,DC=corp")

    assert row["target_user"] == "doe, john"
    assert row["event_action"] == "group-member-removed"


@pytest.mark.parametrize(
    ("mask", "action"),
    [
        ("0x100081", "file-read"),
        ("0x2", "file-write"),
        ("0x10000", "file-delete"),
        ("0x100080", "share-access"),
    ],
)
def test_share_access_by_mask(mask, action):
    row = normalise(
        EventID="5145",
        ShareName="\\\\*\\C$",
        RelativeTargetName="Users\\a.txt",
        AccessMask=mask,
    )

    assert row["event_action"] == action
    assert row["object"] == "\\\\*\\C$\\Users\\a.txt"


def test_removable_storage_write():
    row = normalise(
        EventID="4663",
        Task="12812",
        ObjectName="\\Device\\HarddiskVolume9\\secret.docx",
        AccessMask="0x2",
    )

    assert row["event_category"] == "device"
    assert row["event_action"] == "usb-copy"


def test_file_system_read():
    row = normalise(
        EventID="4663", Task="12800", ObjectName="C:\\a.txt", AccessMask="0x1"
    )

    assert row["event_category"] == "file"
    assert row["event_action"] == "file-read"


def test_device_recognised():
    row = normalise(EventID="6416", DeviceDescription="USB Mass Storage Device")

    assert row["event_category"] == "device"
    assert row["event_action"] == "usb-mount"
    assert row["object"] == "USB Mass Storage Device"


def test_security_log_cleared():
    row = normalise(
        EventID="1102",
        Provider="Microsoft-Windows-Eventlog",
        Channel="Security",
        SubjectUserName="jwrig",
    )

    assert row["event_category"] == "audit"
    assert row["event_action"] == "log-clear"
    assert row["object"] == "Security"
    assert row["user_name"] == "jwrig"


def test_system_log_cleared_names_log():
    row = normalise(
        EventID="104",
        Provider="Microsoft-Windows-Eventlog",
        Channel="System",
        **{"Data.Channel": "Windows PowerShell"},
    )

    assert row["event_action"] == "log-clear"
    assert row["object"] == "Windows PowerShell"


def test_event_id_of_other_provider_stays_generic():
    row = normalise(EventID="104", Provider="Microsoft-Windows-Kernel-Power")

    assert row["event_category"] == "other"
    assert row["event_action"] == "other"
    assert row["event_code"] == "104"


def test_service_installed_system_log():
    row = normalise(
        EventID="7045",
        Provider="Service Control Manager",
        UserID="S-1-5-21-1-2-3-1001",
        ServiceName="evil",
        ImagePath="C:\\evil.exe",
    )

    assert row["event_action"] == "service-install"
    assert row["user_name"] == "S-1-5-21-1-2-3-1001"
    assert row["object"] == "evil"
    assert "image C:\\evil.exe" in row["message"]


def test_unknown_event_kept():
    row = normalise(
        EventID="5156", Channel="Security", Computer="PC01", SubjectUserName="Svc1"
    )

    assert row["event_code"] == "5156"
    assert row["event_category"] == "other"
    assert row["event_action"] == "other"
    assert row["event_outcome"] == "unknown"
    assert row["user_name"] == "svc1"
    assert row["message"] == "Security event 5156 by svc1 on PC01"


def test_keywords_failure_bit():
    row = normalise(EventID="4723", TargetUserName="x", Keywords="0x8010000000000000")

    assert row["event_action"] == "password-change"
    assert row["event_outcome"] == "failure"


def test_message_is_one_short_line():
    row = normalise(
        EventID="4688",
        SubjectUserName="a",
        NewProcessName="cmd.exe",
        CommandLine="cmd.exe /c " + "x" * 500 + "\r\n\tnext",
    )

    assert "\n" not in row["message"]
    assert len(row["message"]) <= 240


def test_missing_columns_are_null():
    row = normalise(EventID="4624")

    assert row["user_name"] is None
    assert row["host_name"] is None
    assert row["event_action"] == "logon"


# Sample corpus (VIGIL_SAMPLES) -----------------------------------------------

# Records per event id as listed in the corpus MANIFEST (measured there with
# python-evtx).
CORPUS = {
    "CA_4624_4625_LogonType2_LogonProc_chrome.evtx": {"4624": 3, "4625": 1},
    "CA_chrome_firefox_opera_4663.evtx": {"4663": 4, "1102": 1},
    "DE_1102_security_log_cleared.evtx": {"4663": 110, "1102": 1, "5156": 1},
    "ID4720-4726_Fast_created-deleted_user.evtx": {"4720": 1, "4726": 1},
    "ID4728-Massive_account_group_membership_change.evtx": {"4728": 11},
    "ID4776-4625_AccountRestore_local_bruteforce.evtx": {"4625": 16},
    "LM_5145_Remote_FileCopy.evtx": {"5145": 869},
    "Network_Service_Guest_added_to_admins_4732.evtx": {"4732": 2},
    "T1563.002_RDP-Hijacking_Security.evtx": {"4688": 2, "4697": 1, "4778": 1},
    "deepblue_new-user-security.evtx": {"4720": 1, "4728": 1, "4732": 2},
    "deepblue_password-spray.evtx": {"4648": 294, "1102": 1},
    "kerberos_pwd_spray_4771.evtx": {"4768": 9, "4771": 2, "1102": 1},
}


@pytest.mark.corpus
def test_corpus_files_listed(samples_dir):
    found = {path.name for path in (samples_dir / "evtx").glob("*.evtx")}

    assert found == set(CORPUS)


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "by_code"), CORPUS.items(), ids=list(CORPUS))
def test_corpus_counts(samples_dir, case, name, by_code):
    report = import_file(case, samples_dir / "evtx" / name)

    counts = dict(
        case.con.execute(
            "SELECT event_code, count(*) FROM events GROUP BY event_code"
        ).fetchall()
    )
    assert report.format == "evtx"
    assert report.status == "ok"
    assert report.quarantined == 0
    assert report.events == sum(by_code.values())
    assert counts == by_code


@pytest.mark.corpus
def test_corpus_actions(samples_dir, case):
    for name in CORPUS:
        import_file(case, samples_dir / "evtx" / name)

    actions = dict(
        case.con.execute(
            "SELECT event_code || ' ' || event_action, count(*) FROM events GROUP BY 1"
        ).fetchall()
    )
    assert actions["4648 logon-explicit"] == 294
    assert actions["1102 log-clear"] == 4
    assert actions["4771 credential-validation"] == 2
    assert actions["4697 service-install"] == 1
    assert actions["4778 session-reconnect"] == 1
    assert actions["4732 group-member-added"] == 4


@pytest.mark.corpus
def test_corpus_password_spray_targets(samples_dir, case):
    import_file(case, samples_dir / "evtx" / "deepblue_password-spray.evtx")

    users, targets = case.con.execute(
        "SELECT count(DISTINCT user_name), count(DISTINCT target_user) FROM events "
        "WHERE event_code = '4648'"
    ).fetchone()
    assert users == 1
    assert targets == 41
