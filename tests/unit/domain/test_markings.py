from __future__ import annotations

import pytest

from concord.domain.markings import Level, Marking, Reader, Tlp, can_see, highest, is_wider, may_widen

TUR_SECRET = Reader(1, "TUR", Level.SECRET)
IRQ_SECRET = Reader(2, "IRQ", Level.SECRET)
IRQ_RESTRICTED = Reader(3, "IRQ", Level.RESTRICTED)


def test_originator_always_sees_its_own_items_within_clearance() -> None:
    marking = Marking.build(Level.SECRET, "TUR", [], Tlp.RED)
    assert can_see(TUR_SECRET, marking)
    assert not can_see(Reader(4, "TUR", Level.CONFIDENTIAL), marking)


def test_releasable_to_partner_with_enough_clearance() -> None:
    marking = Marking.build(Level.CONFIDENTIAL, "TUR", ["IRQ"], Tlp.AMBER)
    assert can_see(IRQ_SECRET, marking)
    assert not can_see(IRQ_RESTRICTED, marking)
    assert not can_see(Reader(5, "JOR", Level.SECRET), marking)


@pytest.mark.parametrize("tlp", [Tlp.AMBER_STRICT, Tlp.RED])
def test_strict_tlp_keeps_items_in_the_originator_nation(tlp: Tlp) -> None:
    marking = Marking.build(Level.UNCLASSIFIED, "TUR", ["IRQ"], tlp)
    assert can_see(TUR_SECRET, marking)
    assert not can_see(IRQ_SECRET, marking)


def test_a_reader_without_a_post_sees_nothing() -> None:
    marking = Marking.build(Level.UNCLASSIFIED, "TUR", ["IRQ"], Tlp.CLEAR)
    assert not can_see(Reader(1, "TUR", Level.SECRET, may_read=False), marking)


def test_widening_and_narrowing() -> None:
    base = Marking.build(Level.SECRET, "TUR", [], Tlp.AMBER)
    wider = Marking.build(Level.SECRET, "TUR", ["IRQ"], Tlp.AMBER)
    lower = Marking.build(Level.CONFIDENTIAL, "TUR", [], Tlp.AMBER)
    assert is_wider(base, wider) and is_wider(base, lower)
    assert not is_wider(wider, base)
    assert may_widen("TUR", base, wider)
    assert not may_widen("IRQ", base, wider)
    assert may_widen("IRQ", wider, base)  # narrowing is not widening


def test_bad_nation_codes_are_refused() -> None:
    with pytest.raises(ValueError, match="alpha-3"):
        Marking.build(Level.SECRET, "TR")
    with pytest.raises(ValueError, match="alpha-3"):
        Marking.build(Level.SECRET, "TUR", ["%"])


def test_highest_level() -> None:
    assert highest([]) is Level.UNCLASSIFIED
    assert highest([Marking.build(Level.RESTRICTED, "TUR"), Marking.build(Level.SECRET, "IRQ")]) is Level.SECRET
