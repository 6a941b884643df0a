"""CoT relay side by side with taky (a small Python CoT router), both on loopback in this run.

* 50 connected clients; one sends position reports as fast as TCP lets it, with a GeoChat message
  every 50 positions; the other 49 count what they receive. Figures: events/s delivered to the 49
  (positions and chat), p99 relay latency (send → receive, from a timestamp inside each event),
  and chat messages lost (must be 0: positions may be superseded in a slow client's queue, chat
  never).
* 1,000 connected idle clients: the server process's resident memory.

Each server runs in its own process; the clients run in this one.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.harness import Row, free_port, percentile

CLIENTS = 50
IDLE_CLIENTS = 1000
CHAT_EVERY = 50
QUIET_SECONDS = 5.0
#: Events per second of the paced runs, where latency is the relay's own and not a queue's.
PACED_RATES = (20.0, 200.0)
_STAMP = re.compile(rb"<remarks>(\d+)</remarks>")


def _time(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _position(seq: int, now: datetime) -> bytes:
    return (
        f'<event version="2.0" uid="bench-sender" type="a-f-G-U-C" how="m-g" time="{_time(now)}" '
        f'start="{_time(now)}" stale="{_time(now + timedelta(minutes=5))}">'
        f'<point lat="{36 + seq % 1000 / 1e4:.5f}" lon="43.1" hae="500.0" ce="5.0" le="5.0"/>'
        f'<detail><contact callsign="BENCH-1" endpoint="*:-1:stcp"/><__group name="Cyan" role="Team Member"/>'
        f'<track speed="3.0" course="90.0"/><remarks>{time.time_ns()}</remarks></detail></event>'
    ).encode()


def _chat(seq: int, now: datetime) -> bytes:
    return (
        f'<event version="2.0" uid="GeoChat.bench-sender.All Chat Rooms.{seq}" type="b-t-f" how="h-g-i-g-o" '
        f'time="{_time(now)}" start="{_time(now)}" stale="{_time(now + timedelta(days=1))}">'
        f'<point lat="36.0" lon="43.1" hae="0.0" ce="9999999.0" le="9999999.0"/>'
        f'<detail><__chat parent="RootContactGroup" groupOwner="false" messageId="{seq}" '
        f'chatroom="All Chat Rooms" id="All Chat Rooms" senderCallsign="BENCH-1">'
        f'<chatgrp uid0="bench-sender" uid1="All Chat Rooms" id="All Chat Rooms"/></__chat>'
        f'<link uid="bench-sender" type="a-f-G-U-C" relation="p-p"/>'
        f'<remarks source="BAO.F.ATAK.bench-sender" to="All Chat Rooms" time="{_time(now)}">{time.time_ns()}'
        f'</remarks></detail></event>'
    ).encode()


@dataclass
class _Receiver:
    positions: int = 0
    chats: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    last_event_at: float = 0.0


async def _receive(reader: asyncio.StreamReader, tally: _Receiver) -> None:
    tail = b""
    while True:
        data = await reader.read(1 << 16)
        if not data:
            return
        now = time.time_ns()
        data = tail + data
        cut = data.rfind(b"</event>") + len(b"</event>")
        complete, tail = (data[:cut], data[cut:]) if cut >= len(b"</event>") else (b"", data)
        if not complete:
            continue
        tally.last_event_at = time.perf_counter()
        tally.positions += complete.count(b'type="a-f-G-U-C"')
        tally.chats += complete.count(b'type="b-t-f"')
        tally.latencies_ms.extend((now - int(stamp)) / 1e6 for stamp in _STAMP.findall(complete))


async def _relay(port: int, seconds: float, paced: float | None = None) -> tuple[float, float, int]:
    """Returns (events/s delivered to the receivers, p99 latency ms, chat messages lost).

    Unpaced, the sender writes as fast as TCP lets it (the latency is then mostly the queue in the
    socket buffers); `paced` sends that many events per second instead.
    """
    receivers = [await asyncio.open_connection("127.0.0.1", port) for _ in range(CLIENTS - 1)]
    tallies = [_Receiver() for _ in receivers]
    tasks = [asyncio.create_task(_receive(r, t)) for (r, _), t in zip(receivers, tallies, strict=True)]
    _, sender = await asyncio.open_connection("127.0.0.1", port)
    await asyncio.sleep(0.5)                        # every connection registered before sending
    sent_chats = 0
    seq = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        if paced:  # each event stamped as it is sent
            for n in range(CHAT_EVERY + 1):
                sender.write(_chat(seq, datetime.now(UTC)) if n == CHAT_EVERY else _position(seq, datetime.now(UTC)))
                seq += 1
                await sender.drain()
                await asyncio.sleep(1 / paced)
            sent_chats += 1
            continue
        now = datetime.now(UTC)
        batch = []
        for _ in range(CHAT_EVERY):
            batch.append(_position(seq, now))
            seq += 1
        batch.append(_chat(seq, now))
        sent_chats += 1
        sender.write(b"".join(batch))
        await sender.drain()
    # Let the server finish delivering what it accepted: stop once every chat message has arrived
    # everywhere, or when QUIET_SECONDS pass without anything arriving.
    quiet_since = time.perf_counter()
    previous = -1
    while time.perf_counter() - quiet_since < QUIET_SECONDS:
        total = sum(t.positions + t.chats for t in tallies)
        if total != previous:
            previous, quiet_since = total, time.perf_counter()
        if all(t.chats >= sent_chats for t in tallies):
            break
        await asyncio.sleep(0.1)
    elapsed = max(t.last_event_at for t in tallies) - started
    for task in tasks:
        task.cancel()
    for _, writer in [*receivers]:
        writer.close()
    sender.close()
    delivered = sum(t.positions + t.chats for t in tallies)
    lost_chats = sent_chats * len(tallies) - sum(t.chats for t in tallies)
    latencies = [ms for t in tallies for ms in t.latencies_ms]
    return delivered / elapsed, percentile(latencies, 99), lost_chats


async def _idle(port: int, pid: int) -> float:
    """Server RSS in MB with IDLE_CLIENTS connections open."""
    connections = []
    for _ in range(IDLE_CLIENTS):
        connections.append(await asyncio.open_connection("127.0.0.1", port))
    await asyncio.sleep(2.0)
    rss = _rss_mb(pid)
    for _, writer in connections:
        writer.close()
    return rss


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listening on {port}")


@contextlib.contextmanager
def _server(command: list[str], port: int, cwd: Path):  # type: ignore[no-untyped-def]
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_port(port, process)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _taky_command(directory: Path, port: int) -> list[str]:
    (directory / "taky.conf").write_text(
        "[taky]\nhostname = localhost\nnode_id = TAKY\nbind_ip = 127.0.0.1\n"
        f"root_dir = {directory}\n\n[cot_server]\nport = {port}\n\n"
        f"[dp_server]\nupload_path = {directory / 'dp'}\n\n[ssl]\nenabled = false\n")
    return [sys.executable, "-m", "taky.cot", "-c", str(directory / "taky.conf"), "-l", "error"]


def _concord_command(mode: str, port: int, directory: Path) -> list[str]:
    return [sys.executable, "-m", "bench.cot_server", mode, str(port), str(directory)]


def _measure(command: list[str], port: int, cwd: Path, seconds: float) -> tuple[float, float, int, float, list[float]]:
    """(events/s delivered, p99 ms flat out, chat lost, RSS MB with idle clients, p99 ms at each PACED_RATES)."""
    with _server(command, port, cwd) as process:
        rate, p99, lost = asyncio.run(_relay(port, seconds))
    paced_p99 = []
    for paced in PACED_RATES:
        with _server(command, port, cwd) as process:
            _, p99_at_rate, paced_lost = asyncio.run(_relay(port, seconds, paced=paced))
        paced_p99.append(p99_at_rate)
        lost += paced_lost
    with _server(command, port, cwd) as process:
        rss = asyncio.run(_idle(port, process.pid))
    return rate, p99, lost, rss, paced_p99


def run(quick: bool) -> list[Row]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4 * IDLE_CLIENTS)), hard))
    seconds = 3.0 if quick else 10.0
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        taky_dir = Path(tmp) / "taky"
        taky_dir.mkdir()
        port = free_port()
        taky = _measure(_taky_command(taky_dir, port), port, taky_dir, seconds)
        results = {}
        for mode in ("gateway", "relay"):
            directory = Path(tmp) / mode
            directory.mkdir()
            port = free_port()
            results[mode] = _measure(_concord_command(mode, port, directory), port, root, seconds)
    concord, floor = results["gateway"], results["relay"]
    return [
        Row(f"CoT gateway (stored, through the policy), {CLIENTS} clients, 1 sending: events/s delivered",
            concord[0], taky[0], "events/s", "≥ 10× taky", peer_name="taky"),
        Row("CoT gateway p99 latency, sender flat out (queueing included)", concord[1], taky[1], "ms", "—",
            higher_is_better=False, peer_name="taky"),
        *[Row(f"CoT gateway p99 latency at {rate:.0f} events/s", concord[4][i], taky[4][i], "ms", "—",
              higher_is_better=False, peer_name="taky") for i, rate in enumerate(PACED_RATES)],
        Row("CoT gateway chat messages lost under load", concord[2], taky[2], "messages", "0",
            higher_is_better=False, peer_name="taky"),
        Row(f"CoT gateway {IDLE_CLIENTS:,} idle clients: server RSS", concord[3], taky[3], "MB", "< 200 MB",
            higher_is_better=False, peer_name="taky"),
        Row(f"CoT plain relay (no storage, no policy), {CLIENTS} clients: events/s delivered", floor[0], taky[0],
            "events/s", "the gateway's ceiling", peer_name="taky"),
    ]
