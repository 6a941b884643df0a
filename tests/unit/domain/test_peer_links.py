"""A peer link's state and lag as the peers page shows them, from what the puller recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from concord.domain.peer_links import LinkState, link_status

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_a_peer_never_pulled_is_pending_with_no_lag() -> None:
    assert link_status(pulled_at=None, last_error=None, now=NOW) == (LinkState.PENDING, None)


def test_a_peer_that_refuses_this_nodes_signature_has_not_agreed() -> None:
    error = "PeerUnavailable: tur-node answered 401 to GET /taxii2/concord/collections/x/objects/: {}"
    assert link_status(pulled_at=None, last_error=error, now=NOW).state is LinkState.AWAITING_CONSENT
    # a peer that agreed once and then removed this node answers the same way: its consent is gone
    later = link_status(pulled_at=NOW - timedelta(minutes=5), last_error=error, now=NOW)
    assert later == (LinkState.AWAITING_CONSENT, 300.0)


def test_other_failures_are_failing_and_the_lag_keeps_growing() -> None:
    for error in ("ConnectionError: connection refused",
                  "PeerUnavailable: tur-node answered 503 to GET /x: busy",
                  "PeerUnavailable: tur-node's answer to GET /x is not signed by its node key: 401 bytes"):
        status = link_status(pulled_at=NOW - timedelta(seconds=42), last_error=error, now=NOW)
        assert status == (LinkState.FAILING, 42.0), error


def test_a_complete_pull_is_up_and_naive_times_read_as_utc() -> None:
    status = link_status(pulled_at=(NOW - timedelta(seconds=3)).replace(tzinfo=None), last_error=None, now=NOW)
    assert status == (LinkState.UP, 3.0)
    assert link_status(pulled_at=NOW + timedelta(seconds=1), last_error=None, now=NOW).behind_seconds == 0.0
