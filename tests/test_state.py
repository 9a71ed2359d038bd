"""Tests for orchestra.state: deltas, cheap checks, evolve vs pydantic's model_copy."""

import pytest
from pydantic import BaseModel, PrivateAttr

from orchestra.errors import CorruptCheckpointError, StateTypeError
from orchestra.state import check, evolve, restore, to_delta


class Doc(BaseModel):
    text: str
    words: int = 0
    score: float = 0.0
    tags: list[str] = []
    note: str | None = None
    _cache: dict = PrivateAttr(default_factory=dict)


def test_evolve_matches_model_copy():
    doc = Doc(text="a b", tags=["x"])
    doc._cache["k"] = 1
    for delta in ({}, {"words": 2}, {"tags": ["y"], "note": None}):
        ours, ref = evolve(doc, delta), doc.model_copy(update=delta)
        assert ours == ref
        assert ours.model_fields_set == ref.model_fields_set
        assert ours._cache == ref._cache  # shallow, as model_copy
        assert ours.__pydantic_private__ is not doc.__pydantic_private__
    assert doc.words == 0  # the old state is untouched


def test_check_rejects_unknown_field_and_wrong_type():
    check(Doc, {"words": 3, "score": 1, "note": None, "tags": []}, step="ok")  # int fits float
    with pytest.raises(StateTypeError, match="'wrods'.*no such field"):
        check(Doc, {"wrods": 3}, step="count")
    with pytest.raises(StateTypeError, match="count.*words.*str"):
        check(Doc, {"words": "3"}, step="count")


def test_to_delta_accepts_dict_state_or_none():
    doc = Doc(text="a")
    assert to_delta(None, doc, step="s") == {}
    assert to_delta(doc.model_copy(update={"words": 5}), doc, step="s") == {"words": 5}
    with pytest.raises(StateTypeError, match="must return a dict"):
        to_delta(42, doc, step="s")


def test_restore_validates_saved_delta():
    doc = Doc(text="a", tags=["t"])
    new = restore(doc, {"words": 7}, key="k")
    assert new.words == 7 and new.tags is doc.tags  # untouched fields keep their objects
    with pytest.raises(CorruptCheckpointError, match="k"):
        restore(doc, {"words": "many"}, key="k")
    with pytest.raises(CorruptCheckpointError):
        restore(doc, {"ghost": 1}, key="k")
