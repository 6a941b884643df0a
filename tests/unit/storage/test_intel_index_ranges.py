"""An `intel.published` event names its objects as id ranges: what is written is what is read back."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from concord.storage.intel_index import ids_in, ranges


def test_consecutive_ids_make_one_range_and_gaps_split_them() -> None:
    assert ranges([3, 1, 2, 7, 9, 8, 2]) == [[1, 3], [7, 9]]
    assert ranges([]) == []


@given(st.sets(st.integers(min_value=1, max_value=10_000), max_size=300))
def test_ranges_read_back_as_the_same_ids(ids: set[int]) -> None:
    assert list(ids_in({"objects": ranges(ids)})) == sorted(ids)


def test_an_event_written_before_ranges_names_no_objects() -> None:
    assert list(ids_in({"count": 3, "stix_ids": ["indicator--x"]})) == []
