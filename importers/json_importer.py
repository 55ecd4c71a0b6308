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


def starts_like_json(text: str | None) -> bool:
    """Tell whether decoded head text opens a JSON object or array."""
    return text is not None and text.lstrip("\ufeff \t\r\n").startswith(("{", "["))


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
