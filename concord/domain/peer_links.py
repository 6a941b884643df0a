"""A peer link as a person reads it: has the peer agreed, is it up, and how far behind is this node (no I/O).

The puller records each round on the peer's row (`storage.federation`): when the last complete pull
ended, or why the last one failed. A node cannot ask its peer whether the peer added it; it learns it
from the peer's answer: a peer that does not hold this node's key answers 401 to its signed requests.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import NamedTuple


class LinkState(StrEnum):
    #: Added here, no pull tried yet.
    PENDING = "pending"
    #: The peer refuses this node's signature: its administrators have not added this node (or removed it).
    AWAITING_CONSENT = "awaiting_consent"
    #: Both sides agreed and the last pull completed.
    UP = "up"
    #: The last pull failed for another reason (peer down, unreachable, answer not signed by its key).
    FAILING = "failing"


#: How the puller words a peer's refusal (`PeerUnavailable`: "<peer> answered 401 to GET …").
_REFUSED = re.compile(r"\banswered 401\b")


class LinkStatus(NamedTuple):
    state: LinkState
    #: Seconds since the last complete pull (what this node may have missed since), None before the first.
    behind_seconds: float | None


def link_status(*, pulled_at: datetime | None, last_error: str | None, now: datetime) -> LinkStatus:
    """The link's state from what the puller recorded: a failure is recorded in `last_error` until a
    complete pull clears it."""
    behind = None if pulled_at is None else max(0.0, (now - _utc(pulled_at)).total_seconds())
    if last_error:
        state = LinkState.AWAITING_CONSENT if _REFUSED.search(last_error) else LinkState.FAILING
    else:
        state = LinkState.PENDING if pulled_at is None else LinkState.UP
    return LinkStatus(state, behind)


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)
