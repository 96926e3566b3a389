"""Payload filters and point ids, from request form to Qdrant's."""

from __future__ import annotations

import uuid

import pytest
from qdrant_client import models

from shared.errors import UnprocessableContentError
from shared.vectors.filters import to_qdrant_filter
from shared.vectors.ids import qdrant_id


def test_short_form_filter_becomes_must_conditions():
    found = to_qdrant_filter({"city": "Paris", "tags": ["a", "b"], "year": {"gte": 2020}})

    assert found == models.Filter(
        must=[
            models.FieldCondition(key="city", match=models.MatchValue(value="Paris")),
            models.FieldCondition(key="tags", match=models.MatchAny(any=["a", "b"])),
            models.FieldCondition(key="year", range=models.Range(gte=2020)),
        ]
    )


def test_a_qdrant_filter_is_taken_as_it_is():
    spec = {"must_not": [{"key": "city", "match": {"value": "Lyon"}}]}

    assert to_qdrant_filter(spec) == models.Filter.model_validate(spec)


@pytest.mark.parametrize(
    "spec",
    [
        {"city": None},
        {"city": []},
        {"year": {"around": 3}},
        {"year": {"gte": "2020"}},
        {"must": "nonsense"},
    ],
)
def test_malformed_filters_are_422(spec):
    with pytest.raises(UnprocessableContentError):
        to_qdrant_filter(spec)


def test_no_filter_is_none():
    assert to_qdrant_filter(None) is None
    assert to_qdrant_filter({}) is None


def test_ids_map_stably_within_an_owner_and_apart_across_owners():
    assert qdrant_id("a", "doc-1") == qdrant_id("a", "doc-1") != qdrant_id("a", "doc-2")
    assert qdrant_id("a", "doc-1") != qdrant_id("b", "doc-1")
    assert qdrant_id("a", 7) != qdrant_id("a", "7")
    uuid.UUID(qdrant_id("a", 7))
    with pytest.raises(UnprocessableContentError):
        qdrant_id("a", "")
