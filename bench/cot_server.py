"""Concord's CoT listener as a process of its own for bench_cot.

`python -m bench.cot_server gateway PORT DIR`: the TAK gateway of a centre on SQLite in DIR: every
report is stored with its marking and event, and forwarded by reading the event log through the
policy (what `concord serve` runs). All clients act as one fictional field unit.
`python -m bench.cot_server relay PORT`: the plain relay, no storage and no policy (the floor).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import sys
from pathlib import Path

from concord.cot.listener import CotListener
from concord.cot.relay import BroadcastRouter
from concord.cot.session import PeerIdentity


async def _until_terminated() -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()


async def relay(port: int) -> None:
    listener = CotListener(BroadcastRouter())
    await listener.start_tcp("127.0.0.1", port, PeerIdentity("bench", "TUR"))
    await _until_terminated()
    await listener.stop()


async def gateway(port: int, directory: Path) -> None:
    from concord.centre import Centre
    from concord.domain.markings import Level
    from concord.domain.people import Role
    from concord.settings import Settings

    settings = Settings(database_url=f"sqlite:///{directory / f'bench-{os.getpid()}.db'}", data_dir=directory,
                        argon2_time_cost=1, argon2_memory_kib=8192, log_json=False)
    centre = Centre(settings)
    centre.migrate()
    centre.nations.add("TUR", "Türkiye (bench)")
    centre.nations.add("IRQ", "Iraq (bench)")
    person_id = centre.people.create(None, username="bench.field", display_name="Bench field unit",
                                     nation="TUR", clearance=Level.RESTRICTED, password=secrets.token_urlsafe(16))
    centre.people.appoint(None, person_id=person_id, role=Role.FIELD_UNIT)
    await centre.start()
    await centre.cot.start_tcp("127.0.0.1", port, "bench.field")
    await _until_terminated()
    router = centre.cot.router
    print(centre.cot.listener.stats.snapshot(), "refused", router.refused, "relayed at once", router.relayed_at_once,
          "after store", router.relayed_after_store, "coalesced", centre.tracks.positions_coalesced,
          "sender paused", router.pause.pauses, "timed out", router.pause.timeouts,
          file=sys.stderr, flush=True)
    await centre.cot.stop()
    await centre.stop()
    centre.close()


if __name__ == "__main__":
    if sys.argv[1] == "relay":
        asyncio.run(relay(int(sys.argv[2])))
    else:
        asyncio.run(gateway(int(sys.argv[2]), Path(sys.argv[3])))
