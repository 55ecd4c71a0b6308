"""Layout checks of EVTX files: file header, chunk signatures, truncated tail.

The evtx package (0.14) reads a file in whole 64 KiB chunks and skips two
kinds of damage without raising: a last chunk cut short by truncation, and a
chunk whose signature was zeroed. This module finds both from the file layout
so that the importer can report them. It also presents a cut-off last chunk
to the parser padded with zeros, with the chunk header shortened to the last
complete record, so that the records before the cut are still read.

Layout, little-endian, as in libyal/libevtx (evtx_file_header.h,
evtx_chunk.h) and checked against the sample logs:

- File header, 4096 bytes: signature ``ElfFile\\0``, header size 128
  (uint32) at 32, header block size 4096 (uint16) at 40, number of chunks
  (uint16) at 42.
- Chunk, 65536 bytes: signature ``ElfChnk\\0``, first and last record number
  (uint64) at 8 and 16, first and last record identifier at 24 and 32.
  The offset of the last record (uint32) is at 44 and the free space offset
  at 48. Records start at offset 512.
- Record: signature ``**\\0\\0``, size (uint32) at 4, record number (uint64)
  at 8.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field
from typing import BinaryIO

from importers.base import SourceError

EVTX_MAGIC = b"ElfFile\x00"
CHUNK_MAGIC = b"ElfChnk\x00"
RECORD_MAGIC = b"**\x00\x00"
FILE_HEADER_SIZE = 4096
FILE_HEADER_DATA_SIZE = 128  # value of the header size field: bytes in use
CHUNK_SIZE = 65536
CHUNK_HEADER_SIZE = 512
RECORD_HEADER_SIZE = 24


@dataclass
class TailRecord:
    """The record that a truncation cuts through."""

    number: int  # record number from the record header
    missing_bytes: int | None  # None when the record header itself is cut


@dataclass
class EvtxLayout:
    """Facts about a file's layout, read before the parser reads the records.

    Attributes:
        size: bytes in the file (after gunzip).
        chunk_count: chunks the file header lists.
        whole_chunks: complete 64 KiB chunks in the file.
        missing_chunks: chunks listed in the header whose signature is absent.
        tail: the cut-off last chunk, padded and patched for the parser, or
            None when it contains no complete record.
        cut_record: the record the truncation cuts through, if any.
        partial_at: where reading stops, for ImportReport.partial_at.
        notes: remarks on the layout for the import report.
    """

    size: int
    chunk_count: int
    whole_chunks: int
    missing_chunks: list[int] = field(default_factory=list)
    tail: bytes | None = None
    cut_record: TailRecord | None = None
    partial_at: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def stored_length(self) -> int:
        """Bytes the parser reads from the file before the padded tail."""
        return FILE_HEADER_SIZE + self.whole_chunks * CHUNK_SIZE


def chunk_offset(index: int) -> int:
    return FILE_HEADER_SIZE + index * CHUNK_SIZE


def read_layout(stream: BinaryIO, name: str) -> EvtxLayout:
    """Check the file header and chunks of an EVTX file.

    Raises:
        SourceError: naming the file, when it is not an EVTX file, when the
            file header is incomplete, or when the header fields are invalid.
    """
    size = stream.seek(0, io.SEEK_END)
    stream.seek(0)
    header = stream.read(FILE_HEADER_SIZE)
    if not header.startswith(EVTX_MAGIC):
        raise SourceError(
            f"{name}: not an EVTX file: it does not start with the signature "
            "'ElfFile'; check that the file is a Windows event log"
        )
    if len(header) < FILE_HEADER_SIZE:
        raise SourceError(
            f"{name}: the EVTX file is truncated inside its file header "
            f"({len(header)} of {FILE_HEADER_SIZE} bytes); no records can be read"
        )
    header_size, header_block_size, chunk_count = _header_fields(header)
    if header_size != FILE_HEADER_DATA_SIZE or header_block_size != FILE_HEADER_SIZE:
        raise SourceError(
            f"{name}: invalid EVTX file header (header size {header_size}, "
            f"block size {header_block_size}, expected {FILE_HEADER_DATA_SIZE} and "
            f"{FILE_HEADER_SIZE}); the file is damaged or not an event log"
        )
    whole_chunks, tail_length = divmod(size - FILE_HEADER_SIZE, CHUNK_SIZE)
    layout = EvtxLayout(size, chunk_count, whole_chunks)
    layout.missing_chunks = _missing_chunks(stream, min(chunk_count, whole_chunks))
    tail = b""
    if tail_length:
        stream.seek(chunk_offset(whole_chunks))
        tail = stream.read(tail_length)
    if tail.startswith(CHUNK_MAGIC):
        _read_tail(layout, tail)
    elif whole_chunks < chunk_count:
        layout.partial_at = (
            f"byte {size}: the file ends after {whole_chunks} complete chunks but "
            f"its header lists {chunk_count}; the remaining chunks are missing"
        )
    stream.seek(0)
    return layout


def _header_fields(header: bytes) -> tuple[int, int, int]:
    (header_size,) = struct.unpack_from("<I", header, 32)
    header_block_size, chunk_count = struct.unpack_from("<HH", header, 40)
    return header_size, header_block_size, chunk_count


def _missing_chunks(stream: BinaryIO, count: int) -> list[int]:
    missing = []
    for index in range(count):
        stream.seek(chunk_offset(index))
        if stream.read(len(CHUNK_MAGIC)) != CHUNK_MAGIC:
            missing.append(index)
    return missing


@dataclass
class _TailRecords:
    """The complete records at the start of a cut-off chunk."""

    last_number: int | None = None  # record number of the last complete record
    last_start: int = CHUNK_HEADER_SIZE  # its offset in the chunk
    end: int = CHUNK_HEADER_SIZE  # offset just after it
    cut: TailRecord | None = None


def _walk_records(tail: bytes) -> _TailRecords:
    """Walk the record headers of a cut-off chunk up to its free space offset."""
    first_number, free_space = _chunk_fields(tail)
    found = _TailRecords()
    while found.end < free_space:
        start = found.end
        if start + RECORD_HEADER_SIZE > len(tail):
            number = (
                first_number if found.last_number is None else found.last_number + 1
            )
            found.cut = TailRecord(number, None)
            break
        if tail[start : start + 4] != RECORD_MAGIC:
            break
        record_size, number = struct.unpack_from("<IQ", tail, start + 4)
        if record_size < RECORD_HEADER_SIZE:
            break
        if start + record_size > len(tail):
            found.cut = TailRecord(number, start + record_size - len(tail))
            break
        found.last_number, found.last_start = number, start
        found.end = start + record_size
    return found


def _read_tail(layout: EvtxLayout, tail: bytes) -> None:
    """Find the complete records of a cut-off last chunk and patch its header."""
    index = layout.whole_chunks
    where = (
        f"byte {layout.size}: the file ends inside chunk {index} "
        f"(the header lists {layout.chunk_count} chunks)"
    )
    if len(tail) < CHUNK_HEADER_SIZE:
        layout.partial_at = f"{where}, before the end of the chunk header"
        return

    found = _walk_records(tail)
    layout.cut_record = found.cut
    if found.last_number is None:
        layout.partial_at = f"{where}, before its first record ended"
        return
    if found.cut is not None or index + 1 < layout.chunk_count:
        layout.partial_at = (
            f"{where}. Records after file record {found.last_number} are missing"
        )
    else:
        layout.notes.append(
            f"the file ends inside its last chunk ({index}) after the last record, "
            "so only unused space is missing"
        )

    # The parser stops at the last record and the free space offset that the
    # chunk header names, so it never reads the zeros that replace the cut part.
    patched = bytearray(tail.ljust(CHUNK_SIZE, b"\x00"))
    struct.pack_into("<Q", patched, 16, found.last_number)
    struct.pack_into("<Q", patched, 32, found.last_number)
    struct.pack_into("<II", patched, 44, found.last_start, found.end)
    layout.tail = bytes(patched)


def _chunk_fields(chunk: bytes) -> tuple[int, int]:
    (first_number,) = struct.unpack_from("<Q", chunk, 8)
    (free_space,) = struct.unpack_from("<I", chunk, 48)
    return first_number, min(free_space, CHUNK_SIZE)


class EvtxView(io.RawIOBase):
    """The file as the parser should see it: whole chunks, then the padded tail.

    Reads go to the underlying stream up to `layout.stored_length` and to
    `layout.tail` after it, so a truncated file looks like one whose last
    chunk ends at its last complete record.
    """

    def __init__(self, stream: BinaryIO, layout: EvtxLayout) -> None:
        super().__init__()
        self._stream = stream
        self._stored = layout.stored_length
        self._tail = layout.tail or b""
        self._length = self._stored + len(self._tail)
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._length}
        self._position = max(0, base[whence] + offset)
        return self._position

    def readinto(self, buffer) -> int:  # type: ignore[override]
        requested = len(buffer)
        if self._position < self._stored:
            if self._stream.tell() != self._position:
                self._stream.seek(self._position)
            data = self._stream.read(min(requested, self._stored - self._position))
        else:
            start = self._position - self._stored
            data = self._tail[start : start + requested]
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)
