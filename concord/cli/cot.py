"""`concord cot …`: enrol TAK clients with the centre's CA, and revoke them."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from concord.cli.centre import open_centre
from concord.cli.errors import run_safely
from concord.private_files import private_dir

cot_app = typer.Typer(help="TAK gateway: client certificates and data packages.", no_args_is_help=True)
console = Console()


@cot_app.command("enroll")
@run_safely
def enroll(
    username: Annotated[str, typer.Argument(help="the person the TAK client acts as")],
    out: Annotated[Path | None, typer.Option(help="directory for the files (default DATA_DIR/cot/USER)")] = None,
    host: Annotated[str | None, typer.Option(help="server host written into the data package")] = None,
) -> None:
    """Issue a client certificate (CN = username, O = nation) and a TAK data package to import."""
    from concord.cot.datapackage import build_data_package

    centre = open_centre()
    settings = centre.settings.cot
    found = centre.people.find(username)
    ca = centre.cot.ca
    issued = ca.issue_client(found.username, found.nation, credential_epoch=centre.people.credential_epoch(found.id))
    password = secrets.token_urlsafe(12)
    package = build_data_package(issued, ca.certificate, found.username, host or settings.public_host,
                                 settings.tls_port or 8089, password)
    directory = out or centre.settings.data_dir / "cot" / found.username
    private_dir(directory)
    files = {
        f"{found.username}.zip": package,
        f"{found.username}.pem": issued.certificate_pem(),
        f"{found.username}.key": issued.key_pem(),
        "ca.pem": ca.ca_certificate_path.read_bytes(),
    }
    for name, data in files.items():
        path = directory / name
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
    centre.close()
    console.print(f"Enrolled {found.username} ({found.nation}), certificate serial {issued.serial:x}.")
    console.print(f"Files in {directory}: {', '.join(files)}")
    console.print(f"Data package password (shown once): {password}")


@cot_app.command("revoke")
@run_safely
def revoke(username: Annotated[str, typer.Argument(help="whose certificates to revoke")]) -> None:
    """Revoke every certificate issued to a person; their TAK clients are refused from the next connect."""

    centre = open_centre()
    serials = centre.cot.ca.revoke_user(username)
    centre.close()
    console.print(f"Revoked {len(serials)} certificate(s) of {username}: {', '.join(f'{s:x}' for s in serials)}")
