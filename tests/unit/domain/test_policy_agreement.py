"""The releasability function and its SQL twin agree, for generated people and markings, on both backends."""

from __future__ import annotations

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings
from sqlalchemy import Column, Integer, MetaData, Table, delete, insert, select

from concord.domain.markings import Caveat, Level, Marking, Reader, Tlp, can_see
from concord.storage.db import Database
from concord.storage.policy import marking_from_row, marking_values, visible_to
from concord.storage.schema import marking_columns

NATIONS = ["TUR", "IRQ", "JOR", "SYR", "IRN"]
nations = st.sampled_from(NATIONS)
levels = st.sampled_from(list(Level))
markings = st.builds(
    lambda level, origin, rel, tlp, caveats: Marking.build(level, origin, rel, tlp, caveats),
    levels, nations, st.sets(nations, max_size=4), st.sampled_from(list(Tlp)),
    st.sets(st.sampled_from(list(Caveat)), max_size=1),
)
readers = st.builds(lambda pid, n, lvl, ok: Reader(pid, n, lvl, ok), st.integers(1, 99), nations, levels,
                    st.booleans())

scratch = MetaData()
items = Table("policy_items", scratch, Column("id", Integer, primary_key=True), *marking_columns())


def test_function_and_sql_filter_agree(database_url: str) -> None:
    db = Database(database_url)
    scratch.create_all(db.engine)
    try:
        @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(st.lists(markings, min_size=1, max_size=25), st.lists(readers, min_size=1, max_size=5))
        def check(generated: list[Marking], people: list[Reader]) -> None:
            with db.write() as tx:
                tx.conn.execute(delete(items))
                tx.conn.execute(insert(items), [{"id": i, **marking_values(m)} for i, m in enumerate(generated)])
            with db.read() as conn:
                for reader in people:
                    in_sql = {r.id for r in conn.execute(select(items.c.id).where(visible_to(items, reader)))}
                    in_python = {i for i, m in enumerate(generated) if can_see(reader, m)}
                    assert in_sql == in_python, (reader, generated)
                # The stored marking reads back as the same marking.
                rows = conn.execute(select(items).order_by(items.c.id)).mappings().all()
                assert [marking_from_row(r) for r in rows] == generated

        check()
    finally:
        scratch.drop_all(db.engine)
        db.dispose()


@given(markings, markings, readers)
def test_a_record_within_an_items_marking_reaches_only_readers_of_both(record: Marking, item: Marking,
                                                                       reader: Reader) -> None:
    """History re-marked with `within` never reaches anyone the item's current marking hides it from."""
    from concord.domain.markings import within

    narrowed = within(record, item)
    if narrowed is None:  # no nation may see both
        assert not record.audience & item.audience
        return
    if can_see(reader, narrowed):
        assert can_see(reader, record) and can_see(reader, item)
    # The item's originator keeps its own history whenever it may see the record.
    originator = Reader(1, item.originator, Level.SECRET)
    if can_see(originator, record):
        assert can_see(originator, narrowed)
