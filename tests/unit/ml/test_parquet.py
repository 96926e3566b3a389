"""Parquet tables (written here with pyarrow): detected by content, held to the CSV rules, and
every bad file a 4xx naming the problem, never a 500."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from shared.errors import PayloadTooLargeError, UnprocessableContentError
from shared.media.sniff import PARQUET_TYPE, is_allowed, is_parquet, sniff_media_type
from shared.ml import data
from shared.ml.parquet import parse_parquet


def parquet(columns: dict[str, Any] | pa.Table, **kwargs: Any) -> bytes:
    table = columns if isinstance(columns, pa.Table) else pa.table(columns)
    out = io.BytesIO()
    pq.write_table(table, out, **kwargs)
    return out.getvalue()


def matrix(content: bytes, **kwargs: Any) -> data.Matrix:
    return data.to_matrix(parse_parquet(content, "t.parquet"), **kwargs)


def test_the_type_comes_from_the_magic_at_both_ends_not_the_name():
    content = parquet({"a": [1.0, 2.0]})
    assert is_parquet(content)
    assert sniff_media_type(content) == PARQUET_TYPE
    assert is_allowed(PARQUET_TYPE)
    assert not is_parquet(content[:-4] + b"XXXX")  # a truncated file is not Parquet
    assert not is_parquet(b"PAR1")
    assert sniff_media_type(b"a,b\n1,2\n") == "text/plain"


def test_numeric_boolean_and_decimal_columns_become_floats():
    content = parquet(
        {
            "i": pa.array([1, 2, 3], pa.int8()),
            "u": pa.array([4, 5, 6], pa.uint64()),
            "f": pa.array([0.5, 1.5, 2.5], pa.float32()),
            "h": pa.array([1.0, 2.0, 3.0], pa.float64()),
            "b": [True, False, True],
            "d": pa.array([Decimal("1.25"), Decimal("2.50"), Decimal("3.75")], pa.decimal128(5, 2)),
        },
        row_group_size=2,  # two row groups: chunked columns
    )
    m = matrix(content)
    assert m.columns == ["i", "u", "f", "h", "b", "d"]
    assert m.x.tolist() == [
        [1.0, 4.0, 0.5, 1.0, 1.0, 1.25],
        [2.0, 5.0, 1.5, 2.0, 0.0, 2.5],
        [3.0, 6.0, 2.5, 3.0, 1.0, 3.75],
    ]


def test_text_and_categorical_columns_follow_the_csv_rules():
    colour = pa.array(["red", "blue", "red"]).dictionary_encode()
    content = parquet({"n": ["1", "2.5", "3"], "colour": colour, "label": ["yes", "no", "yes"]})
    with pytest.raises(UnprocessableContentError, match="column 'colour' is not numeric"):
        matrix(content, target="label")
    m = matrix(content, target="label", encode="onehot")
    assert m.columns == ["n", "colour=blue", "colour=red"]  # numbers in text are numbers
    assert m.x.tolist() == [[1.0, 0.0, 1.0], [2.5, 1.0, 0.0], [3.0, 0.0, 1.0]]
    assert m.target == ["yes", "no", "yes"]


def test_a_numeric_target_is_a_list_of_floats():
    m = matrix(parquet({"a": [1.0, 2.0], "y": pa.array([0, 1], pa.int64())}), target="y")
    assert m.target == [0.0, 1.0]
    assert all(type(v) is float for v in m.target)


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ({"a": [1.0, None, 2.0]}, "column 'a' has a missing value at row 1"),
        ({"a": ["x", "y", None]}, "column 'a' has a missing value at row 2"),
        ({"a": pa.array([None, None], pa.null())}, "column 'a' has a missing value"),
        (
            {"a": [1.0, float("nan")]},
            r"column 'a' has a non-finite value \(NaN or infinity\) at row 1",
        ),
        ({"a": [float("-inf"), 1.0]}, "column 'a' has a non-finite value .* at row 0"),
        ({"a": [1.0, 1e300]}, "column 'a' has a value out of range at row 1"),
        ({"a": [[1.0], [2.0]]}, "column 'a' has Parquet type list<"),
        ({"a": [{"x": 1}, {"x": 2}]}, "column 'a' has Parquet type struct<"),
        ({"a": [b"\x00", b"\x01"]}, "column 'a' has Parquet type binary"),
        ({"a": pa.array([1, 2], pa.timestamp("ms"))}, "column 'a' has Parquet type timestamp"),
    ],
)
def test_bad_columns_are_422_naming_the_column(columns, message):
    with pytest.raises(UnprocessableContentError, match=message):
        matrix(parquet(columns))


def test_duplicate_or_no_columns_and_no_rows():
    duplicate = pa.Table.from_arrays([pa.array([1.0]), pa.array([2.0])], names=["a", "a"])
    with pytest.raises(UnprocessableContentError, match="unique"):
        matrix(parquet(duplicate))
    with pytest.raises(UnprocessableContentError, match="no rows"):
        matrix(parquet({"a": pa.array([], pa.float64())}))


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (lambda b: b[:4] + b"\x00" * (len(b) - 12) + b[-8:], "not a readable Parquet file"),
        (lambda b: b[:4] + b[-8:], "not a readable Parquet file"),
        (lambda b: b"PAR1" + b"\xff\xff\xff\x7f" + b"PAR1", "not a readable Parquet file"),
        (lambda b: b[: len(b) // 2] + b[-8:], "not a readable Parquet file"),
    ],
)
def test_corrupt_files_are_422_with_the_reason(mangle, reason):
    content = mangle(parquet({"a": list(range(100)), "b": [str(i) for i in range(100)]}))
    assert is_parquet(content)
    with pytest.raises(UnprocessableContentError, match=reason):
        matrix(content)


def test_corrupt_data_pages_are_422():
    content = bytearray(parquet({"a": [float(i) for i in range(1000)]}, compression="snappy"))
    content[10:400] = b"\xab" * 390  # the first data page, the footer intact
    with pytest.raises(UnprocessableContentError, match="not a readable Parquet file"):
        matrix(bytes(content))


class _NoDataReads(Exception):
    pass


def test_the_row_limit_is_checked_from_the_metadata_before_reading(settings, monkeypatch):
    content = parquet({"a": [1.0, 2.0, 3.0]})

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise _NoDataReads

    monkeypatch.setattr(pq.ParquetFile, "read", refuse)
    monkeypatch.setattr(settings, "ml_max_rows", 2)
    with pytest.raises(
        PayloadTooLargeError, match=r"3 rows; the limit is 2; use POST /api/ml/batch"
    ):
        parse_parquet(content, "t.parquet")
    with pytest.raises(PayloadTooLargeError, match=r"the limit is 2\Z"):
        parse_parquet(content, "t.parquet", max_rows=2)  # a batch job's limit
    with pytest.raises(_NoDataReads):  # under the limit, the data is read
        parse_parquet(content, "t.parquet", max_rows=3)


def test_text_that_is_not_utf8_is_422():
    content = parquet(
        {"a": pa.array([b"\xff\xfe", b"ok"], pa.binary()).cast(pa.string(), safe=False)}
    )
    with pytest.raises(UnprocessableContentError, match="not a readable Parquet file"):
        matrix(content)
