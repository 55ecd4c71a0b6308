"""Parse columns of JSON record texts into the fields an importer reads.

`JsonFields` names the fields as dotted paths ("userIdentity.userName") and
parses a whole column of one-line JSON texts with Polars' NDJSON reader in
one call, projected onto those fields. Python's json module runs only on
rows that the fast path rejects, to find them and word their error.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable

import polars as pl


def _schema_from_paths(paths: dict[str, pl.DataType]) -> dict[str, pl.DataType]:
    """Nest dotted field paths into a Polars schema of structs."""
    tree: dict = {}
    for path, dtype in paths.items():
        node = tree
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ValueError(f"field path {path!r} conflicts with a leaf field")
        node[leaf] = dtype

    def build(node: dict) -> dict[str, pl.DataType]:
        return {
            key: pl.Struct(build(value)) if isinstance(value, dict) else value
            for key, value in node.items()
        }

    return build(tree)


def _flatten(frame: pl.DataFrame, paths: dict[str, pl.DataType]) -> pl.DataFrame:
    columns = []
    for path in paths:
        first, *rest = path.split(".")
        expr = pl.col(first)
        for part in rest:
            expr = expr.struct.field(part)
        columns.append(expr.alias(path))
    return frame.select(columns)


class JsonFields:
    """The fields an importer reads from JSON records, as dotted paths.

    `fields` names the paths, all read as String, or maps each path to its
    Polars type (a list of structs for arrays of objects). A value of
    another JSON type than expected becomes its text where the type is
    String (numbers, booleans, and objects or arrays as JSON) and null
    otherwise, so one odd record cannot fail a batch.
    """

    def __init__(self, fields: Iterable[str] | dict[str, pl.DataType]) -> None:
        if isinstance(fields, dict):
            self.paths = dict(fields)
        else:
            self.paths = dict.fromkeys(fields, pl.String)
        self.schema = _schema_from_paths(self.paths)

    def decode(self, texts: pl.Series) -> tuple[pl.DataFrame, pl.Series]:
        """Parse a column of one-line JSON object texts.

        Returns:
            A frame with one column per dotted path (null where the record
            lacks the field or the text is not a JSON object), and a String
            series holding the parse error of each row, null where it parsed.
        """
        texts = texts.cast(pl.String)
        is_object = texts.str.strip_chars_start().str.starts_with("{").fill_null(False)
        errors = no_errors(len(texts))
        if not is_object.all():
            messages = errors.to_list()
            for index in (~is_object).arg_true().to_list():
                messages[index] = _json_error(texts[index], "not a JSON object")
            errors = pl.Series("error", messages, dtype=pl.String)
            texts = _replace_rows(texts, is_object)
        try:
            decoded = self._read(texts)
        except pl.exceptions.PolarsError:
            decoded, errors = self._decode_slowly(texts, errors)
        return _flatten(decoded, self.paths), errors

    def _read(self, texts: pl.Series) -> pl.DataFrame:
        if texts.is_empty():
            return pl.DataFrame(schema=self.schema)
        data = "\n".join(texts.to_list()).encode("utf-8", errors="replace")
        return pl.read_ndjson(io.BytesIO(data), schema=self.schema, ignore_errors=True)

    def _decode_slowly(
        self, texts: pl.Series, errors: pl.Series
    ) -> tuple[pl.DataFrame, pl.Series]:
        """Find the rows that are not valid JSON and decode the others."""
        valid = texts.str.json_path_match("$").is_not_null()
        messages = errors.to_list()
        for index in (~valid).arg_true().to_list():
            messages[index] = messages[index] or _json_error(texts[index])
        texts = _replace_rows(texts, valid)
        try:
            decoded = self._read(texts)
        except pl.exceptions.PolarsError:
            # The two JSON parsers disagree on some row: decode row by row.
            parts = []
            for index, text in enumerate(texts.to_list()):
                try:
                    parts.append(self._read(pl.Series([text])))
                except pl.exceptions.PolarsError as exc:
                    messages[index] = messages[index] or f"invalid JSON: {exc}"
                    parts.append(self._read(pl.Series(["{}"])))
            decoded = pl.concat(parts)
        return decoded, pl.Series("error", messages, dtype=pl.String)


def no_errors(rows: int) -> pl.Series:
    """Return an error column of `rows` nulls, for rows that all parsed."""
    return pl.Series("error", dtype=pl.String).extend_constant(None, rows)


def _replace_rows(texts: pl.Series, keep: pl.Series) -> pl.Series:
    """Replace the rows not kept by an empty object, so row positions hold."""
    return pl.select(pl.when(keep).then(texts).otherwise(pl.lit("{}"))).to_series()


def _json_error(text: str | None, valid_message: str | None = None) -> str:
    """Return Python's message for invalid JSON, else `valid_message`."""
    try:
        json.loads(text or "")
    except ValueError as exc:
        return f"invalid JSON: {exc}"
    return valid_message or "invalid JSON: rejected by the Polars JSON reader"
