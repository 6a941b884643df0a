"""`concord init` / `concord nation add`: partner nations and each one's first administrator (a command
that drives several services, so it lives with the commands, not among them)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from concord.clock import Clock
from concord.domain.errors import Invalid
from concord.domain.markings import Level
from concord.domain.people import Role
from concord.services.nations import NationService
from concord.services.people import PeopleService, generate_password
from concord.storage.db import Database

#: (nation, username, role, password shown once or None when the operator typed it)
CreatedAccount = tuple[str, str, str, str | None]


class Setup(Protocol):
    """What setting up needs (the centre has it): one unit of work per nation, through the services."""

    db: Database
    clock: Clock
    nations: NationService
    people: PeopleService


def initialise(
    centre: Setup,
    nations: Sequence[Sequence[str]],
    ask_password: Callable[[str], str | None],
    *,
    labels: dict[str, dict[str, str]] | None = None,
    only_new: bool = True,
) -> list[CreatedAccount]:
    """Add each nation not yet a partner and its first administrator `<code>.admin`.

    With `only_new` False, a nation that is already a partner is an error (`concord nation add`).
    """
    existing = set(centre.nations.codes())
    created: list[CreatedAccount] = []
    for pair in nations:
        if len(pair) != 2 or not pair[1].strip():
            raise Invalid(f"{':'.join(pair)!r} is not CODE:Name", field="nation")
        code, name = pair[0].strip().upper(), pair[1].strip()
        if code in existing and only_new:
            continue
        username = f"{code.lower()}.admin"
        typed = ask_password(username)
        password = typed or generate_password()
        with centre.db.write() as tx:
            centre.nations.add_in(tx, code, name, (labels or {}).get(code))
            person_id = centre.people.create_in(tx, None, username=username,
                                                display_name=f"{code} administrator", nation=code,
                                                clearance=Level.SECRET, password=password)
            centre.people.appoint_in(tx, None, person_id=person_id, role=Role.ADMINISTRATOR,
                                     starts_at=centre.clock.now())
        existing.add(code)
        created.append((code, username, Role.ADMINISTRATOR.value, None if typed else password))
    return created
