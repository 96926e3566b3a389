"""Read an uploaded Parquet file into a ``Table`` with pyarrow (imported here, lazily).

Contract: the row count comes from the file's footer metadata and is checked against the row
limit before any data page is read, so an oversized file costs only its footer. Numeric and
boolean columns become numpy arrays (float64); text and dictionary-encoded (categorical) text
columns become lists of strings that ``to_matrix`` treats exactly like CSV cells (numbers in
text are numbers, other text needs ``encode: "onehot"``). A null anywhere is 422 naming the
column and row, as an empty CSV cell is; NaN and infinity are 422 from ``to_matrix``. Nested,
binary and temporal columns are 422 naming the column and its type. A file pyarrow cannot read
(bad footer, truncated or corrupt pages) is 422 with pyarrow's reason, never a 500.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.errors import UnprocessableContentError

if TYPE_CHECKING:
    import pyarrow as pa

    from shared.ml.table import Table


def parse_parquet(content: bytes, name: str, max_rows: int | None = None) -> Table:
    """The table of Parquet ``content`` (``name`` is the file's display name, for messages)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from shared.ml.table import Table, check_names, check_rows

    unreadable = (pa.ArrowException, OSError, ValueError, IndexError)
    try:
        parquet = pq.ParquetFile(pa.BufferReader(content))
        rows = parquet.metadata.num_rows
        schema = parquet.schema_arrow
    except unreadable as exc:
        raise UnprocessableContentError(
            f"file {name!r} is not a readable Parquet file: {exc}"
        ) from exc
    check_rows(rows, max_rows)  # before a single data page is read
    if not schema.names:
        raise UnprocessableContentError("the table has no columns")
    check_names(list(schema.names))
    for field in schema:
        _check_type(field.name, field.type)
    try:
        table = parquet.read(use_threads=False)
        if table.num_rows != rows:  # a footer that lies about its row groups
            raise ValueError(f"its metadata says {rows} rows, its data has {table.num_rows}")
        cells = [_cells(n, table.column(n)) for n in table.column_names]
    except unreadable as exc:  # UnicodeDecodeError (text that is not UTF-8) is a ValueError
        raise UnprocessableContentError(
            f"file {name!r} is not a readable Parquet file: {exc}"
        ) from exc
    return Table(list(table.column_names), cells)


def _check_type(column: str, kind: pa.DataType) -> None:
    import pyarrow.types as t

    if t.is_dictionary(kind):
        _check_type(column, kind.value_type)
        return
    if t.is_integer(kind) or t.is_floating(kind) or t.is_boolean(kind) or t.is_decimal(kind):
        return
    if t.is_string(kind) or t.is_large_string(kind) or t.is_string_view(kind):
        return
    if t.is_null(kind):
        raise UnprocessableContentError(
            f"column {column!r} has a missing value at row 0; fill or drop it"
        )
    raise UnprocessableContentError(
        f"column {column!r} has Parquet type {kind}; only numbers, booleans and text "
        "(plain or categorical) are read: nested, binary and date/time columns are not"
    )


def _cells(column: str, values: pa.ChunkedArray) -> Any:
    """A numeric column as a float64 array; text as a list of strings (CSV cell rules)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.types as t

    if values.null_count:
        first = pc.index(pc.is_null(values), pa.scalar(True)).as_py()
        raise UnprocessableContentError(
            f"column {column!r} has a missing value at row {first}; fill or drop it"
        )
    kind = values.type
    if t.is_dictionary(kind):
        values = values.cast(kind.value_type)
        kind = kind.value_type
    if t.is_string(kind) or t.is_large_string(kind) or t.is_string_view(kind):
        return values.to_pylist()
    if t.is_decimal(kind):
        values = values.cast(pa.float64(), safe=False)
    return values.to_numpy().astype("float64")
