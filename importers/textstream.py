"""Stream a text source as UTF-8 byte blocks, whatever its encoding.

Polars and NumPy read UTF-8 bytes, so UTF-16 and Windows-1252 sources are
transcoded block by block with an incremental decoder, which keeps memory
flat and handles a code unit or surrogate pair split across two blocks.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator

from importers.base import SourceError, SourceFile, detect_text_encoding

BLOCK_BYTES = 8 << 20
LEGACY_ENCODING = "cp1252"
_NON_ASCII = re.compile(r"[^\x00-\x7f\ufffd]")
_UTF8_BOM = b"\xef\xbb\xbf"


def source_encoding(source: SourceFile) -> str:
    """Detect the encoding of a text source.

    A file without a byte order mark whose first bytes are not valid UTF-8,
    and contain no valid UTF-8 letters either, is read as Windows-1252, the
    usual encoding of Excel CSV exports in Western Europe and the Americas.

    Raises:
        SourceError: the content looks binary.
    """
    head = source.head()
    encoding = detect_text_encoding(head)
    if encoding is None:
        raise SourceError(f"{source.path}: not a text file (binary content)")
    if encoding == "utf-8" and _looks_legacy(head):
        return LEGACY_ENCODING
    return encoding


def _looks_legacy(head: bytes) -> bool:
    """True when `head` has bytes invalid in UTF-8 and no valid non-ASCII text.

    A file with both is taken for UTF-8 with some damaged bytes. The last
    three bytes are left out because the head may cut a character there.
    """
    text = head[:-3].decode("utf-8", errors="replace")
    return "\ufffd" in text and not _NON_ASCII.search(text)


def utf8_blocks(
    source: SourceFile, encoding: str, block_bytes: int = BLOCK_BYTES
) -> Iterator[bytes]:
    """Yield the content of `source` as UTF-8 bytes, without a byte order mark.

    UTF-8 input passes through unchanged, so invalid bytes stay for the
    parser to replace. Other encodings are transcoded, and bytes they cannot
    decode become U+FFFD.
    """
    stream = source.open(whole_lines=True)
    try:
        if encoding in ("utf-8", "utf-8-sig"):
            first = True
            while block := stream.read(block_bytes):
                if first:
                    block = block.removeprefix(_UTF8_BOM)
                    first = False
                yield block
            return
        decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        while block := stream.read(block_bytes):
            yield decoder.decode(block).encode("utf-8")
        tail = decoder.decode(b"", final=True)
        if tail:
            yield tail.encode("utf-8")
    finally:
        source.close()
