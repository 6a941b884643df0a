from __future__ import annotations

import pytest

from concord.bus._remote import parse_event_id, split_channel
from concord.bus.factory import create_bus
from concord.bus.inprocess import InProcessBus
from concord.bus.nats import NatsBus
from concord.bus.postgres import PostgresBus, libpq_url
from concord.bus.redis import RedisBus
from concord.domain.errors import Invalid


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        (None, InProcessBus),
        ("", InProcessBus),
        ("  ", InProcessBus),
        ("memory://", InProcessBus),
        ("postgresql://postgres@127.0.0.1/concord", PostgresBus),
        ("postgresql+psycopg://postgres@127.0.0.1/concord", PostgresBus),
        ("postgres://postgres@127.0.0.1/concord", PostgresBus),
        ("redis://127.0.0.1:6379/0", RedisBus),
        ("rediss://cache.example:6380/0", RedisBus),
        ("nats://127.0.0.1:4222", NatsBus),
        ("tls://nats.example:4222", NatsBus),
    ],
)
def test_the_url_scheme_chooses_the_bus(url: str | None, kind: type) -> None:
    assert type(create_bus(url)) is kind


@pytest.mark.parametrize("url", ["kafka://broker:9092", "127.0.0.1:6379", "http://x"])
def test_an_unknown_bus_url_names_the_setting(url: str) -> None:
    with pytest.raises(Invalid) as err:
        create_bus(url)
    assert err.value.field == "bus_url"
    assert "unknown scheme" in err.value.message


def test_the_channel_comes_from_the_query_and_other_parameters_stay() -> None:
    url, channel = split_channel("redis://h:6379/0?channel=centre-a&ssl_cert_reqs=none", "d")
    assert channel == "centre-a"
    assert url == "redis://h:6379/0?ssl_cert_reqs=none"
    assert split_channel("nats://h:4222", "concord.events") == ("nats://h:4222", "concord.events")
    bus = create_bus("postgresql+psycopg://u@h/db?channel=centre_a&sslmode=disable")
    assert isinstance(bus, PostgresBus)
    assert bus.channel == "centre_a"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://h/db?channel=Robert'); DROP TABLE events;--",
        "postgresql://h/db?channel=",
        "nats://h:4222?channel=a..b",
        "nats://h:4222?channel=a b",
        "redis://h:6379?channel=",
    ],
)
def test_a_channel_name_the_transport_cannot_take_is_refused(url: str) -> None:
    with pytest.raises(Invalid) as err:
        create_bus(url)
    assert err.value.field == "bus_url"


def test_libpq_url_drops_the_sqlalchemy_driver_suffix() -> None:
    assert libpq_url("postgresql+psycopg://u@h:5432/db") == "postgresql://u@h:5432/db"
    assert libpq_url("postgres://u@h/db") == "postgresql://u@h/db"


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"42", 42),
        ("7", 7),
        (b" 9\n", 9),
        (b"0", None),
        (b"-3", None),
        (b"4.5", None),
        (b"x", None),
        (b"99999999999999999999", None),
        (b"", None),
    ],
)
def test_only_positive_integer_notifications_count(payload: bytes | str, expected: int | None) -> None:
    assert parse_event_id(payload) == expected
