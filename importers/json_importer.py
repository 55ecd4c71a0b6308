"""A base class for importers of JSON documents: one parse loop for all of them."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator

import polars as pl

from importers.base import (
    ImportBatch,
    Importer,
    ImportOptions,
    ImportReport,
    SourceFile,
)
from importers.jsondoc import read_json_records
from importers.jsonfields import JsonFields


def starts_like_json(text: str | None) -> bool:
    """Tell whether decoded head text opens a JSON object or array."""
    return text is not None and text.lstrip("\ufeff \t\r\n").startswith(("{", "["))


def decode_records(
    fields: JsonFields, records: pl.DataFrame
) -> tuple[pl.DataFrame, pl.Series]:
    """Decode the `json` column of a record batch with `fields`.

    Returns the decoded fields with the batch's record_ref and original
    columns appended, and the parse error of each row (null where it parsed).
    """
    decoded, errors = fields.decode(records.get_column("json"))
    frame = pl.concat(
        [decoded, records.select("record_ref", "original")], how="horizontal"
    )
    return frame, errors


class JsonDocumentImporter(Importer):
    """Reads any JSON layout with `read_json_records` and maps each batch.

    Subclasses set `mapping` (schema column to source field, shown in the
    import report) and implement `events`.
    """

    mapping: dict[str, str] = {}

    def parse(
        self, source: SourceFile, options: ImportOptions, report: ImportReport
    ) -> Iterator[ImportBatch]:
        report.mapping.update(self.mapping)
        for batch in read_json_records(source, options.batch_rows, report):
            if batch.quarantine is not None:
                yield ImportBatch(quarantine=batch.quarantine)
            if batch.records.height:
                yield self.events(batch.records, options, report)

    @abstractmethod
    def events(
        self, records: pl.DataFrame, options: ImportOptions, report: ImportReport
    ) -> ImportBatch:
        """Map one batch of records (record_ref, original, json) to events."""
