"""Tables from JSON rows and CSV: every kind of bad input is a 4xx naming the problem."""

from __future__ import annotations

import pytest

from shared.errors import PayloadTooLargeError, UnprocessableContentError
from shared.ml import data
from shared.ml.api import DataInput


def matrix(rows, columns=None, **kwargs):
    table = data.load_table(DataInput(rows=rows, columns=columns), owner="t")
    return data.to_matrix(table, **kwargs)


def test_numbers_and_numeric_strings_become_a_float_matrix():
    m = matrix([[1, "2.5", True], [3, "4", False]], ["a", "b", "c"])
    assert m.x.tolist() == [[1.0, 2.5, 1.0], [3.0, 4.0, 0.0]]
    assert m.columns == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([[1.0, 2.0], [3.0]], "ragged"),
        ([[1.0, float("nan")]], "non-finite"),
        ([[1.0, float("inf")]], "non-finite"),
        ([[1.0, None]], "missing value"),
        ([[1.0, 1e308]], "out of range"),
        ([[1.0, "red"]], "not numeric"),
        ([], "no rows"),
    ],
)
def test_bad_tables_are_refused_with_the_reason(rows, message):
    with pytest.raises(UnprocessableContentError, match=message):
        matrix(rows)


def test_onehot_encodes_text_columns():
    m = matrix([[1, "red"], [2, "blue"], [3, "red"]], ["n", "colour"], encode="onehot")
    assert m.columns == ["n", "colour=blue", "colour=red"]
    assert m.x[:, 2].tolist() == [1.0, 0.0, 1.0]


def test_target_is_split_off_and_may_be_text():
    m = matrix([[1, "yes"], [2, "no"]], ["n", "label"], target="label")
    assert m.columns == ["n"]
    assert m.target == ["yes", "no"]
    with pytest.raises(UnprocessableContentError, match="not in the table"):
        matrix([[1, 2]], ["a", "b"], target="c")


def test_too_few_rows_for_the_algorithm():
    with pytest.raises(UnprocessableContentError, match="at least 10 rows"):
        matrix([[1.0]] * 3, min_rows=10, what="RandomForest")


def test_csv_parsing_and_its_errors():
    table = data._parse_csv(b"a,b\n1,2\n3,4\n", "t.csv")
    assert data.to_matrix(table).x.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(UnprocessableContentError, match="line 3"):
        data._parse_csv(b"a,b\n1,2\n3\n", "t.csv")
    with pytest.raises(UnprocessableContentError, match="UTF-8"):
        data._parse_csv(b"\xff\xfe\x00", "t.csv")


def test_row_limit_is_413(settings, monkeypatch):
    monkeypatch.setattr(settings, "ml_max_rows", 2)
    with pytest.raises(PayloadTooLargeError, match=r"use POST /api/ml/batch"):
        matrix([[1.0]] * 3)


def test_a_batch_job_has_its_own_row_limit(settings, monkeypatch):
    monkeypatch.setattr(settings, "ml_max_rows", 2)
    table = data.load_table(DataInput(rows=[[1.0]] * 3), owner="t", max_rows=3)
    assert table.n_rows == 3
    with pytest.raises(PayloadTooLargeError, match=r"the limit is 2\Z"):
        data.load_table(DataInput(rows=[[1.0]] * 3), owner="t", max_rows=2)


def test_source_must_be_rows_or_file():
    with pytest.raises(ValueError, match="either rows"):
        DataInput()
