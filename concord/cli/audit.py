"""`concord audit …`: export a bundle, verify one offline, and run a nation's witness."""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from concord.cli.centre import open_centre
from concord.cli.errors import run_safely
from concord.domain import checkpoint as notes
from concord.domain import json_limits
from concord.domain.audit_verify import verify_bundle
from concord.domain.audit_witness import WitnessState, cosign
from concord.domain.errors import Invalid, NotFound, Unauthenticated
from concord.domain.markings import Level, Reader, check_nation_code
from concord.private_files import write_private

if TYPE_CHECKING:
    from concord.centre import Centre

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
console = Console()


def _nation(code: str) -> str:
    try:
        return check_nation_code(code.upper())
    except ValueError as exc:
        raise Invalid(str(exc), field="nation") from None


class _Api:
    """The few calls a witness or an exporter makes to a remote centre (stdlib only)."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url.rstrip("/")
        self.token = token

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - the operator gives the centre's URL
            self.url + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                raw = response.read()
        except urllib.error.HTTPError as exc:
            message = exc.read().decode(errors="replace")[:300]
            if exc.code == 401:
                raise Unauthenticated(f"the centre refused the token: {message}") from None
            raise Invalid(f"the centre answered {exc.code}: {message}", field="url") from None
        except (urllib.error.URLError, TimeoutError) as exc:
            raise Invalid(f"cannot reach the centre at {self.url}: {exc}", field="url") from None
        return json_limits.loads(raw, field="response") if raw else None


@audit_app.command("key")
@run_safely
def show_key() -> None:
    """Print the centre's verifier key (C2SP vkey), creating the key if needed."""
    centre = open_centre()
    console.print(centre.audit.public_key(), soft_wrap=True)
    centre.close()


@audit_app.command("checkpoint")
@run_safely
def checkpoint() -> None:
    """Issue a checkpoint now if the log grew (the server does it every few seconds)."""
    centre = open_centre()
    try:
        size = centre.audit.issue_checkpoint()
    finally:
        centre.close()
    console.print("No new checkpoint: the log did not grow." if size is None else f"Checkpoint: size {size}.")


@audit_app.command("export")
@run_safely
def export(
    nation: Annotated[str, typer.Option(help="export what this nation may read")],
    out: Annotated[Path, typer.Option(help="bundle file to write")] = Path("audit-bundle.json"),
    clearance: Annotated[str, typer.Option(help="reader's clearance")] = "SECRET",
    url: Annotated[str | None, typer.Option(help="a remote centre (else the local database)")] = None,
    token: Annotated[str | None, typer.Option(envvar="CONCORD_TOKEN", help="bearer token for --url")] = None,
) -> None:
    """Write a bundle: entries the nation may read, leaf hashes for the rest, checkpoints, keys."""
    if url:
        bundle = _Api(url, token or "").call("GET", "/api/audit/export")
    else:
        level = Level[clearance.upper()] if clearance.upper() in Level.__members__ else None
        if level is None:
            raise Invalid("clearance is UNCLASSIFIED, RESTRICTED, CONFIDENTIAL or SECRET", field="clearance")
        centre = open_centre()
        bundle = centre.audit.export(Reader(None, _nation(nation), level))
        centre.close()
    write_private(out, json.dumps(bundle).encode())
    console.print(f"Wrote {out}: {len(bundle['leaves'])} entries, {len(bundle['checkpoints'])} checkpoints.")


@audit_app.command("verify")
def verify(
    bundle: Annotated[Path, typer.Argument(help="bundle written by `concord audit export`")],
    since: Annotated[Path | None, typer.Option(help="a checkpoint note you kept earlier")] = None,
    log_key: Annotated[str | None, typer.Option(help="the centre's vkey you trust")] = None,
    witness: Annotated[list[str], typer.Option(help="NATION=vkey you trust (repeatable)")] = [],  # noqa: B006
) -> None:
    """Verify a bundle offline: signatures, then every entry, root and consistency proof."""
    try:
        data = json_limits.loads(bundle.read_text(), field="bundle")
    except (OSError, ValueError, Invalid) as exc:
        console.print(f"[red]FAILED[/red] (malformed): cannot read {bundle}: {exc}")
        raise typer.Exit(1) from None
    witnesses = dict(item.split("=", 1) for item in witness if "=" in item)
    report = verify_bundle(
        data,
        trusted_log_key=log_key,
        trusted_witness_keys=witnesses or None,
        since=since.read_text() if since else None,
    )
    if report.problem is not None:
        console.print(f"[red]FAILED[/red] ({report.problem.kind.value}): {report.problem.message}")
        raise typer.Exit(1)
    console.print(
        f"[green]OK[/green]: {report.entries} entries ({report.visible_entries} readable in full), "
        f"{report.checkpoints} checkpoints; entries below {report.witnessed_size} are cosigned by every "
        f"witness; cosignatures per nation: {report.cosigned_by or 'none'}"
    )
    if log_key is None:
        console.print("[yellow]note[/yellow]: pass --log-key to check the bundle against the key you trust")


class LocalCentre:
    """The witness talking to a centre through its database (same machine)."""

    def __init__(self, centre: Centre, nation: str) -> None:
        self.centre, self.nation = centre, nation

    def register(self, vkey: str) -> None:
        self.centre.audit.register_witness(None, self.nation, vkey)

    def latest(self) -> tuple[str, int, str]:
        note, row = self.centre.audit.latest()
        return note, row.size, self.centre.audit.public_key()

    def consistency(self, old: int, new: int) -> list[bytes]:
        return self.centre.audit.consistency(old, new)

    def post(self, size: int, note: str) -> None:
        self.centre.audit.add_cosignature(self.nation, size, note)


class RemoteCentre:
    """The witness talking to a centre over its HTTP API."""

    def __init__(self, api: _Api, nation: str) -> None:
        self.api, self.nation = api, nation

    def register(self, vkey: str) -> None:
        self.api.call("PUT", f"/api/audit/witnesses/{self.nation}", {"vkey": vkey})

    def latest(self) -> tuple[str, int, str]:
        latest = self.api.call("GET", "/api/audit/checkpoint")
        return str(latest["checkpoint"]), int(latest["size"]), str(latest["log_key"])

    def consistency(self, old: int, new: int) -> list[bytes]:
        body = self.api.call("GET", f"/api/audit/proof/consistency?old={old}&new={new}")
        return [bytes.fromhex(h) for h in body["proof"]]

    def post(self, size: int, note: str) -> None:
        self.api.call(
            "POST", f"/api/audit/witnesses/{self.nation}/cosignatures", {"size": size, "note": note}
        )


@audit_app.command("witness")
@run_safely
def witness(
    nation: Annotated[str, typer.Option(help="the nation this witness speaks for")],
    key: Annotated[Path, typer.Option(help="the witness's private key file (created if missing)")],
    state: Annotated[Path | None, typer.Option(help="where the last cosigned checkpoint is kept")] = None,
    log_key: Annotated[
        str | None, typer.Option(help="the centre's vkey (default: pinned in the state)")
    ] = None,
    url: Annotated[str | None, typer.Option(help="a remote centre (else the local database)")] = None,
    token: Annotated[str | None, typer.Option(envvar="CONCORD_TOKEN", help="bearer token for --url")] = None,
    register: Annotated[bool, typer.Option(help="register the key with the centre first")] = False,
) -> None:
    """Check the latest checkpoint against the last one this nation cosigned, then cosign it."""
    nation = _nation(nation)
    if url:
        size = run_witness(
            RemoteCentre(_Api(url, token or ""), nation), nation, key, state, log_key, register
        )
    else:
        centre = open_centre()
        try:
            size = run_witness(LocalCentre(centre, nation), nation, key, state, log_key, register)
        finally:
            centre.close()
    console.print(f"{nation} cosigned the checkpoint of size {size}.")


def run_witness(
    source: LocalCentre | RemoteCentre,
    nation: str,
    key: Path,
    state: Path | None,
    log_key: str | None,
    register: bool,
) -> int:
    """One witness round; returns the size it cosigned. The state file pins the centre's key."""
    signer = load_or_create_witness_key(key, nation)
    state_path = state or key.with_suffix(".state.json")
    previous = WitnessState.from_json(state_path.read_text()) if state_path.exists() else None
    if register:
        source.register(signer.verifier().encode())
    note, size, centre_key = source.latest()
    trusted = log_key or _kept_log_key(state_path) or centre_key
    proof = (
        source.consistency(previous.size, size) if previous is not None and 0 < previous.size < size else []
    )
    origin = notes.Checkpoint.parse(notes.SignedNote.parse(note).text).origin
    cosigned, new_state = cosign(
        state=previous,
        note=note,
        proof=proof,
        log_key=notes.VerifierKey.parse(trusted),
        witness=signer,
        origin=origin,
        now=int(time.time()),
    )
    source.post(size, cosigned)
    state_path.write_text(json.dumps({**json.loads(new_state.to_json()), "log_key": trusted}))
    return size


def load_or_create_witness_key(path: Path, nation: str) -> notes.SignerKey:
    """The witness key lives wherever the nation keeps it, never in the centre's data directory."""
    if path.exists():
        signer = notes.SignerKey.parse(path.read_text())
        if signer.key_type != notes.COSIGNATURE_V1:
            raise Invalid("the witness key is not a cosignature/v1 key", field="key")
        return signer
    signer = notes.SignerKey.generate(f"{nation.lower()}.witness.concord/audit", notes.COSIGNATURE_V1)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(signer.encode() + "\n")
    console.print(
        f"Created witness key {path}; its verifier key is {signer.verifier().encode()}", soft_wrap=True
    )
    return signer


def _kept_log_key(state_path: Path) -> str | None:
    """The centre key this witness trusted first (trust on first use, then pinned in the state)."""
    if not state_path.exists():
        return None
    try:
        kept = json.loads(state_path.read_text()).get("log_key")
    except ValueError:
        raise NotFound("the witness state file is damaged", field="state") from None
    return kept if isinstance(kept, str) else None
