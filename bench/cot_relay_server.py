"""Concord's CoT listener with the plain relay, as a process of its own for bench_cot.

`python -m bench.cot_relay_server PORT` listens on 127.0.0.1:PORT until terminated.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from concord.cot.listener import CotListener
from concord.cot.relay import BroadcastRouter
from concord.cot.session import PeerIdentity


async def serve(port: int) -> None:
    listener = CotListener(BroadcastRouter())
    await listener.start_tcp("127.0.0.1", port, PeerIdentity("bench", "TUR"))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    await stop.wait()
    await listener.stop()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))
