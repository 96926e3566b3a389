"""``Table``: a table's raw columns as read from JSON rows, CSV or Parquet, and the checks every
reader applies (row limits, column names). Readers: ``shared/ml/data.py`` (JSON, CSV) and
``shared/ml/parquet.py``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.config import get_settings
from shared.errors import PayloadTooLargeError, UnprocessableContentError


@dataclass
class Table:
    """Columns of raw cells (strings from CSV, JSON scalars inline, from Parquet a float64 array
    per numeric column and a list of strings per text column)."""

    columns: list[str]
    cells: list[Any]  # column-major: a list of cells, or a numpy array

    @property
    def n_rows(self) -> int:
        return len(self.cells[0]) if self.cells else 0


def check_rows(count: int, max_rows: int | None) -> None:
    """413 over the row limit (``max_rows``, else ``ML_MAX_ROWS``), 422 for no rows."""
    limit = max_rows if max_rows is not None else get_settings().ml_max_rows
    if count > limit:
        hint = "" if max_rows is not None else "; use POST /api/ml/batch for larger tables"
        raise PayloadTooLargeError(f"the table has {count} rows; the limit is {limit}{hint}")
    if count == 0:
        raise UnprocessableContentError("the table has no rows")


def check_names(names: list[str]) -> None:
    """422 unless the column names are unique and non-empty."""
    if len(set(names)) != len(names):
        raise UnprocessableContentError("column names must be unique")
    if any(not name for name in names):
        raise UnprocessableContentError("column names must not be empty")
