"""Turn a ``DataInput`` (JSON rows, or an uploaded CSV or Parquet file) into a numeric matrix,
refusing bad input (Parquet is read by shared/ml/parquet.py).

Every refusal is a ``PlatformError`` naming the row or column at fault: ragged rows, missing,
NaN or infinite values and non-numeric feature columns (unless ``encode="onehot"``) are 422, a
table over ``ML_MAX_ROWS`` rows (``ML_BATCH_MAX_ROWS`` in a batch job) is 413, an unknown file
is 404.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shared.errors import UnprocessableContentError
from shared.ml.api import DataInput
from shared.ml.table import Table, check_names, check_rows

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


# Larger magnitudes overflow scikit-learn's float32 trees and variance computations.
MAX_ABS_VALUE = 1e30


@dataclass
class Matrix:
    x: npt.NDArray[np.float64]
    columns: list[str]
    target: list[Any] | None = None


def load_table(data: DataInput, owner: str, *, max_rows: int | None = None) -> Table:
    """The table of ``data``: inline rows checked for shape, or the caller's file: Parquet when
    its bytes start and end with ``PAR1``, else CSV.
    ``max_rows`` replaces ``ML_MAX_ROWS`` (a batch job passes ``ML_BATCH_MAX_ROWS``)."""
    if data.file_id is not None:
        from shared.media import service as media
        from shared.media.sniff import is_parquet

        record, content = media.read_file(owner, data.file_id)
        if is_parquet(content):  # by content: the client's file name proves nothing
            from shared.ml.parquet import parse_parquet

            return parse_parquet(content, record.name, max_rows)
        return _parse_csv(content, record.name, max_rows)
    rows = data.rows or []
    return _from_rows(rows, data.columns, max_rows)


def _from_rows(rows: list[list[Any]], columns: list[str] | None, max_rows: int | None) -> Table:
    check_rows(len(rows), max_rows)
    width = len(columns) if columns is not None else len(rows[0])
    if width == 0:
        raise UnprocessableContentError("the table has no columns")
    for index, row in enumerate(rows):
        if len(row) != width:
            raise UnprocessableContentError(
                f"row {index} has {len(row)} values; expected {width} (ragged rows)"
            )
    names = columns if columns is not None else [f"x{i}" for i in range(width)]
    check_names(names)
    return Table(names, [list(col) for col in zip(*rows, strict=True)])


def _parse_csv(content: bytes, name: str, max_rows: int | None = None) -> Table:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnprocessableContentError(f"file {name!r} is not UTF-8 text (CSV expected)") from None
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise UnprocessableContentError(f"file {name!r} is empty") from None
    except csv.Error as exc:
        raise UnprocessableContentError(f"file {name!r} is not valid CSV: {exc}") from exc
    header = [h.strip() for h in header]
    try:
        rows = [row for row in reader if row]
    except csv.Error as exc:
        raise UnprocessableContentError(f"file {name!r} is not valid CSV: {exc}") from exc
    for index, row in enumerate(rows):
        if len(row) != len(header):
            raise UnprocessableContentError(
                f"CSV line {index + 2} has {len(row)} fields; the header has {len(header)}"
            )
    check_rows(len(rows), max_rows)
    check_names(header)
    return Table(header, [list(col) for col in zip(*rows, strict=True)])


def _numeric(column: str, values: Any) -> Sequence[float] | npt.NDArray[np.float64] | None:
    """The column as floats, None when some value is text that is not a number."""
    import numpy as np

    if isinstance(values, np.ndarray):
        return _numeric_array(column, values)
    out: list[float] = []
    for row, value in enumerate(values):
        if value is None or (isinstance(value, str) and not value.strip()):
            raise UnprocessableContentError(
                f"column {column!r} has a missing value at row {row}; fill or drop it"
            )
        if isinstance(value, bool | int | float):
            number = float(value)
        else:
            try:
                number = float(str(value).strip())
            except ValueError:
                return None
        if not math.isfinite(number):
            raise UnprocessableContentError(
                f"column {column!r} has a non-finite value (NaN or infinity) at row {row}"
            )
        if abs(number) > MAX_ABS_VALUE:
            raise UnprocessableContentError(
                f"column {column!r} has a value out of range at row {row} (|value| > 1e30)"
            )
        out.append(number)
    return out


def _numeric_array(column: str, values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """A numeric column read from Parquet, held to the same rules as the cells of a CSV."""
    import numpy as np

    bad = ~np.isfinite(values)
    if bad.any():
        raise UnprocessableContentError(
            f"column {column!r} has a non-finite value (NaN or infinity) at row "
            f"{int(np.argmax(bad))}"
        )
    big = np.abs(values) > MAX_ABS_VALUE
    if big.any():
        raise UnprocessableContentError(
            f"column {column!r} has a value out of range at row {int(np.argmax(big))} "
            "(|value| > 1e30)"
        )
    return values


def to_matrix(
    table: Table,
    *,
    encode: str = "none",
    target: str | None = None,
    min_rows: int = 1,
    what: str = "this algorithm",
) -> Matrix:
    """Feature matrix (float64) and, with ``target``, the target column's raw values."""
    import numpy as np

    if table.n_rows < min_rows:
        raise UnprocessableContentError(
            f"{what} needs at least {min_rows} rows; the table has {table.n_rows}"
        )
    target_values: list[Any] | None = None
    if target is not None:
        if target not in table.columns:
            raise UnprocessableContentError(f"target column {target!r} is not in the table")
        raw = table.cells[table.columns.index(target)]
        numeric = _numeric(target, raw)
        target_values = (
            [float(v) for v in numeric] if numeric is not None else [str(v) for v in raw]
        )
    features: list[Sequence[float] | npt.NDArray[np.float64]] = []
    names: list[str] = []
    for name, values in zip(table.columns, table.cells, strict=True):
        if name == target:
            continue
        numeric = _numeric(name, values)
        if numeric is not None:
            features.append(numeric)
            names.append(name)
            continue
        if encode != "onehot":
            raise UnprocessableContentError(
                f"column {name!r} is not numeric; drop it or pass encode: 'onehot'"
            )
        texts = [str(v) for v in values]
        for level in sorted(set(texts)):
            features.append([1.0 if t == level else 0.0 for t in texts])
            names.append(f"{name}={level}")
    if not features:
        raise UnprocessableContentError("the table has no feature columns")
    x = np.asarray(features, dtype=np.float64).T.copy()
    return Matrix(x, names, target_values)
