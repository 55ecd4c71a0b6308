"""CSV record splitting and text decoding across block boundaries."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from importers.base import ImportOptions, ImportReport, SourceFile
from importers.csv_generic import CsvImporter
from importers.csv_records import RecordSplitter, iter_records, read_fields
from importers.json_generic import JsonLinesImporter
from importers.textstream import utf8_blocks

TRICKY_CSV = (
    "time,user,note\r\n"
    '2024-01-01T00:00:00Z,alice,"two\r\nlines"\r\n'
    "\r\n"
    '2024-01-01T00:01:00Z,bob,"say ""hi"", then go"\r\n'
    '2024-01-01T00:02:00Z,carol,5" disk\r\n'
    "2024-01-01T00:03:00Z,dave\r\n"
    '2024-01-01T00:04:00Z,erin,"x\n\ny"\n'
    "2024-01-01T00:05:00Z,frank,last"
)


def split_all(data: bytes, block: int) -> list[tuple[str, int, int]]:
    splitter = RecordSplitter(",", "test.csv")
    blocks = (data[i : i + block] for i in range(0, len(data), block))
    found = []
    for records in iter_records(blocks, splitter):
        for index in range(len(records.starts)):
            found.append(
                (
                    records.text(index),
                    int(records.lines[index]),
                    int(records.fields[index]),
                )
            )
    return found


def parse_all(importer, path: Path, batch_rows: int = 100_000):
    report = ImportReport(path=str(path))
    events, quarantine = [], []
    for batch in importer.parse(
        SourceFile(path), ImportOptions(batch_rows=batch_rows), report
    ):
        if batch.events is not None:
            events += batch.events.select("record_ref", "original").rows()
        if batch.quarantine is not None:
            quarantine += batch.quarantine.get_column("record_ref").to_list()
    return events, quarantine


def test_splitter_records_and_lines():
    records = split_all(TRICKY_CSV.encode(), len(TRICKY_CSV))

    assert [(line, fields) for _, line, fields in records] == [
        (1, 3),
        (2, 3),
        (4, 1),
        (5, 3),
        (6, 3),
        (7, 2),
        (8, 3),
        (11, 3),
    ]
    assert records[1][0] == '2024-01-01T00:00:00Z,alice,"two\r\nlines"'
    assert records[2][0] == ""


@pytest.mark.parametrize("block", [1, 2, 3, 7, 16, 61])
def test_splitter_any_block_size(block):
    data = TRICKY_CSV.encode()

    assert split_all(data, block) == split_all(data, len(data))


def test_read_fields_numbering():
    splitter = RecordSplitter(",", "test.csv")
    first = splitter.feed(TRICKY_CSV.encode())
    rest = splitter.finish()

    frames = read_fields(first, ["time", "user", "note"], ",", first_row=1, skip=1)
    tail = read_fields(rest, ["time", "user", "note"], ",", frames.next_row)

    assert frames.rows.get_column("__vigil_row").to_list() == [1, 2, 3, 5]
    assert frames.rows.get_column("note").to_list() == [
        "two\r\nlines",
        'say "hi", then go',
        '5" disk',
        "x\n\ny",
    ]
    assert frames.quarantine.get_column("record_ref").to_list() == ["4"]
    assert tail.rows.get_column("__vigil_row").to_list() == [6]
    assert tail.rows.get_column("__vigil_line").to_list() == [11]


@pytest.mark.parametrize("block", [5, 16, 64, 1 << 20])
def test_csv_import_any_block_size(tmp_path, block):
    path = tmp_path / "tricky.csv"
    path.write_bytes(TRICKY_CSV.encode())
    importer = CsvImporter()
    importer.block_bytes = block

    events, quarantine = parse_all(importer, path, batch_rows=2)

    assert [ref for ref, _ in events] == ["1", "2", "3", "5", "6"]
    assert quarantine == ["4"]


def test_csv_rows_match_csv_module(tmp_path):
    lines = ["time,user,note"] + [
        f'2024-01-01T00:00:{n % 60:02d}Z,u{n},"note {n}\nmore, text ""{n}"""'
        for n in range(500)
    ]
    path = tmp_path / "many.csv"
    path.write_text("\n".join(lines) + "\n")
    importer = CsvImporter()
    importer.block_bytes = 97

    events, quarantine = parse_all(importer, path, batch_rows=33)

    expected = list(csv.DictReader(io.StringIO(path.read_text(), newline="")))
    assert quarantine == []
    assert len(events) == 500
    assert [ref for ref, _ in events] == [str(n) for n in range(1, 501)]
    assert [json.loads(original)["note"] for _, original in events] == [
        row["note"] for row in expected
    ]


@pytest.mark.parametrize("block", [1, 3, 5, 4096])
def test_utf16_blocks_decode(tmp_path, block):
    text = "time,user\r\n2024-01-01T00:00:00Z,J\u00fcrgen \U0001f600\r\n"
    path = tmp_path / "wide.csv"
    path.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))

    decoded = b"".join(utf8_blocks(SourceFile(path), "utf-16", block))

    assert decoded.decode("utf-8") == text


def test_jsonl_lines_span_blocks(tmp_path):
    lines = [
        f'{{"time": "2024-01-01T00:00:{n:02d}Z", "user": "u{n}"}}' for n in range(40)
    ]
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(lines))
    importer = JsonLinesImporter()
    importer.block_bytes = 13

    events, quarantine = parse_all(importer, path, batch_rows=7)

    assert quarantine == []
    assert [ref for ref, _ in events] == [str(n) for n in range(1, 41)]
    assert [original for _, original in events] == lines
