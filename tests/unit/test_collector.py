"""The collector's bulk setting holds for the work it wraps and no longer."""

from __future__ import annotations

import gc

import pytest

from concord import collector


def test_bulk_work_raises_the_threshold_and_then_restores_it() -> None:
    before = gc.get_threshold()
    with collector.bulk_work():
        assert gc.get_threshold() == collector.BULK_THRESHOLD
    assert gc.get_threshold() == before


def test_bulk_work_restores_the_threshold_when_the_work_fails() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), collector.bulk_work():
        raise RuntimeError("an import that stopped half-way")
    assert gc.get_threshold() == before
