"""TAXII 2.1 paging tokens and filter parameters."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from concord.domain.errors import Invalid
from concord.domain.intel_query import Cursor, VersionMatch, date_added_key, render_timestamp
from concord.taxii.pagination import (
    MANIFEST_PARAMS,
    OBJECTS_PARAMS,
    VERSIONS_PARAMS,
    CursorCodec,
    parse_query,
)

CODEC = CursorCodec(b"k" * 32)
ID = "indicator--00000001-1111-4111-8111-111111111111"


def test_cursor_round_trip_and_tamper_detection() -> None:
    cursor = Cursor("2024-03-01T10:00:00.123456000Z", 42)
    token = CODEC.encode(cursor)
    assert CODEC.decode(token) == cursor
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)  # safe in a URL query without escaping
    other = CursorCodec(b"x" * 32)
    for bad in (token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1], "", "!!!", other.encode(cursor)):
        with pytest.raises(Invalid) as caught:
            CODEC.decode(bad)
        assert caught.value.details["field"] == "next"


def test_cursors_order_like_the_store() -> None:
    assert Cursor("2024-03-01T10:00:00.000000000Z", 9) < Cursor("2024-03-01T10:00:00.000001000Z", 1)
    assert Cursor("2024-03-01T10:00:00.000000000Z", 1) < Cursor("2024-03-01T10:00:00.000000000Z", 2)


def test_defaults() -> None:
    query = parse_query([], OBJECTS_PARAMS, CODEC)
    assert query.ids is None and query.types is None and query.added_after is None
    assert query.versions == VersionMatch() and query.versions.is_default
    assert query.limit == 1000 and query.after is None


def test_all_filters() -> None:
    token = CODEC.encode(Cursor("2024-03-01T10:00:00.000000000Z", 7))
    params = [
        ("match[id]", f"{ID},{ID.replace('1111-4111', '2222-4222')}"),
        ("match[type]", "indicator,report"),
        ("match[version]", "first,2024-03-01T10:00:00Z,all"),
        ("match[spec_version]", "2.1"),
        ("added_after", "2024-03-01T00:00:00.5Z"),
        ("limit", "50"),
        ("next", token),
        ("match[confidence]", "90"),  # a field this server does not filter on: ignored
    ]
    query = parse_query(params, OBJECTS_PARAMS, CODEC)
    assert query.ids is not None and len(query.ids) == 2
    assert query.types == {"indicator", "report"}
    assert query.versions == VersionMatch(
        first=True, last=False, all=True, versions=frozenset({"2024-03-01T10:00:00.000000000Z"})
    )
    assert query.spec_versions == {"2.1"}
    assert query.added_after == "2024-03-01T00:00:00.500000000Z"
    assert query.limit == 50
    assert query.after == Cursor("2024-03-01T10:00:00.000000000Z", 7)


def test_limit_is_capped_not_refused() -> None:
    assert parse_query([("limit", "100000")], OBJECTS_PARAMS, CODEC, max_page_size=500).limit == 500


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ([("limit", "0")], "limit"),
        ([("limit", "ten")], "limit"),
        ([("added_after", "yesterday")], "added_after"),
        ([("match[version]", "newest")], "match[version]"),
        ([("match[id]", "indicator--1")], "match[id]"),
        ([("match[type]", "Indicator")], "match[type]"),
        ([("match[spec_version]", "two")], "match[spec_version]"),
        ([("match[type]", "report"), ("match[type]", "indicator")], "match[type]"),
        ([("next", "forged")], "next"),
    ],
)
def test_bad_parameters_name_themselves(params: list[tuple[str, str]], field: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_query(params, MANIFEST_PARAMS, CODEC)
    assert caught.value.details["field"] == field


def test_endpoints_ignore_parameters_they_do_not_define() -> None:
    query = parse_query([("match[type]", "Not A Type"), ("match[id]", "x")], VERSIONS_PARAMS, CODEC)
    assert query.types is None and query.ids is None


def test_timestamps_render_at_the_precision_they_need() -> None:
    moment = datetime(2024, 3, 1, 10, 0, 0, 120000, tzinfo=UTC)
    assert date_added_key(moment) == "2024-03-01T10:00:00.120000000Z"
    assert render_timestamp(date_added_key(moment)) == "2024-03-01T10:00:00.120Z"
    assert (
        render_timestamp(date_added_key(moment.replace(microsecond=120001))) == "2024-03-01T10:00:00.120001Z"
    )
    ankara = timezone(timedelta(hours=3))
    assert date_added_key(datetime(2024, 3, 1, 13, 0, tzinfo=ankara)) == "2024-03-01T10:00:00.000000000Z"
    assert date_added_key(datetime(2024, 3, 1, 10, 0)) == "2024-03-01T10:00:00.000000000Z"


def test_short_keys_are_refused() -> None:
    with pytest.raises(ValueError):
        CursorCodec(b"short")
