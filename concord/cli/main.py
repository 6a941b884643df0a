"""The `concord` command line (Typer + Rich). User mistakes print one line and exit non-zero."""

from __future__ import annotations

import getpass
import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from concord.cli.audit import audit_app
from concord.cli.centre import actor_for, open_centre
from concord.cli.cot import cot_app
from concord.cli.errors import run_safely
from concord.cli.federation import node_app, peer_app
from concord.cli.intel import intel_app
from concord.domain import times
from concord.domain.errors import Invalid
from concord.domain.markings import Level
from concord.domain.people import Role
from concord.private_files import write_private
from concord.settings import Settings

if TYPE_CHECKING:
    pass

app = typer.Typer(help="Concord: a joint security coordination centre.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
user_app = typer.Typer(help="Manage accounts.", no_args_is_help=True)
nation_app = typer.Typer(help="Manage partner nations.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(nation_app, name="nation")
app.add_typer(cot_app, name="cot")
app.add_typer(intel_app, name="intel")
app.add_typer(audit_app, name="audit")
app.add_typer(node_app, name="node")
app.add_typer(peer_app, name="peer")
keys_app = typer.Typer(help="Keys that seal secrets at rest (TOTP seeds).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
console = Console()


@keys_app.command("rotate")
@run_safely
def keys_rotate() -> None:
    """Seal every TOTP seed with a new key and drop the old keys (also seals seeds an older version
    stored in clear). Running servers read the new key when a seed no longer opens with theirs."""
    from concord.services.auth import rotate_secret_keys

    centre = open_centre()
    count = rotate_secret_keys(centre.db, centre.secrets)
    centre.close()
    console.print(f"Sealed {count} TOTP seed(s) with a new key in {centre.secrets.key_file}; the old keys are gone.")


def _parse_when(value: str | None, field: str) -> datetime | None:
    return None if value is None else times.parse_utc(value, field)


def _level(value: str) -> Level:
    try:
        return Level[value.upper()]
    except KeyError:
        raise Invalid(f"clearance is one of {', '.join(level.name for level in Level)}", field="clearance") from None


def _role(value: str) -> Role:
    try:
        return Role(value.lower().replace("-", "_"))
    except ValueError:
        raise Invalid(f"role is one of {', '.join(r.value for r in Role)}", field="role") from None


def _password(prompt: bool, label: str) -> str | None:
    """A prompted password, or None to generate one."""
    if not prompt:
        return None
    first = getpass.getpass(f"Password for {label}: ")
    second = getpass.getpass("Again: ")
    if first != second:
        raise Invalid("the two passwords differ", field="password")
    return first


@app.command()
@run_safely
def init(
    nation: Annotated[
        list[str], typer.Option(help="CODE:Name of a partner nation (repeatable)")
    ] = ["TUR:Türkiye", "IRQ:Iraq"],  # noqa: B006
    prompt_passwords: Annotated[bool, typer.Option("--prompt", help="prompt for administrator passwords")] = False,
) -> None:
    """Create the database, the centre's keys, and each nation's first administrator."""
    from concord.cli.setup import initialise

    centre = open_centre()
    created = initialise(centre, [n.split(":", 1) for n in nation], lambda label: _password(prompt_passwords, label))
    _show_accounts(created, title="First administrators (passwords are shown once)")
    console.print(f"Audit log key: {centre.audit.public_key()}", soft_wrap=True)


def _show_accounts(accounts: list[tuple[str, str, str, str | None]], *, title: str) -> None:
    if not accounts:
        console.print("Nothing to create: the centre is already initialised.")
        return
    table = Table(title=title)
    for column in ("nation", "username", "role", "password"):
        table.add_column(column)
    for nation_code, username, role, password in accounts:
        table.add_row(nation_code, username, role, password or "(as entered)")
    console.print(table)


@app.command()
@run_safely
def serve(
    host: Annotated[str | None, typer.Option(help="listen address")] = None,
    port: Annotated[int | None, typer.Option(help="listen port")] = None,
) -> None:
    """Run the centre (API, WebSocket, web UI) with settings from CONCORD_* variables."""
    import uvicorn

    from concord.logs import configure

    # The TAK listeners run with the server (CONCORD_COT__LISTEN=false turns them off).
    os.environ.setdefault("CONCORD_COT__LISTEN", "true")
    settings = Settings()
    configure(settings.log_json)
    centre = open_centre()  # migrate before serving
    centre.close()
    from concord.api.drain import DrainingServer
    from concord.api.ws.server import ConcordWebSocketProtocol

    config = uvicorn.Config("concord.app:app_from_environment", factory=True, host=host or settings.host,
                            port=port or settings.port, log_config=None, server_header=False,
                            # X-Forwarded-For only from CONCORD_TRUSTED_PROXIES, in the app (concord/app.py)
                            proxy_headers=False,
                            # after the drain (concord/api/drain.py): requests in flight get this long
                            timeout_graceful_shutdown=15,
                            # /api/ws writes one pre-encoded frame to every caught-up connection of a reader
                            # class (concord.api.ws.fanout); per-connection compression would make every
                            # frame different, and event frames are small JSON.
                            ws=ConcordWebSocketProtocol, ws_per_message_deflate=False)
    config.load()  # the app is built now (no proxy or trace wrapper around it), to reach its drain state
    drain = config.loaded_app.state.drain
    # SIGTERM drains: not ready at once, WebSockets told to resume elsewhere, in-flight requests finished.
    DrainingServer(config, drain, settings.drain_seconds).run()


@app.command()
@run_safely
def demo(
    host: Annotated[str, typer.Option(help="listen address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="listen port")] = 8000,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="load the scenario and exit")] = False,
    federated: Annotated[bool, typer.Option(
        "--federated", help="three national nodes (TUR, IRQ, JOR) on ports PORT, PORT+1 and PORT+2, each with "
        "its own database under var/federated/, peered by consent")] = False,
) -> None:
    """Initialise a centre with a clearly fictional scenario and serve it."""
    if federated:
        from concord.cli import demo_federated

        ports = [port + i for i in range(3)]
        if no_serve:
            demo_federated.prepare(Path("var/federated"), host, ports)
            return
        raise typer.Exit(demo_federated.run(Path("var/federated"), host, ports))
    from concord.demo.scenario import load_scenario

    os.environ.setdefault("CONCORD_DATABASE_URL", "sqlite:///var/demo.db")
    # Plain-TCP TAK clients of the demo act as a fictional TUR field unit (see concord.demo.scenario).
    os.environ.setdefault("CONCORD_COT__TCP_IDENTITY", "tur.field1")
    # The demo's TAK team "Red" reports for its own nation only (field markings are configurable).
    os.environ.setdefault("CONCORD_COT__MARKINGS", '{"by_group": {"Red": {"releasable_to": []}}}')
    # The demo shows its API: /api/docs without sign-in (production keeps it behind sign-in).
    os.environ.setdefault("CONCORD_DOCS_PUBLIC", "true")
    centre = open_centre()
    accounts = load_scenario(centre)
    position, behind = centre.intel_index.state()
    centre.close()
    table = Table(title="Demo accounts (fictional people; passwords also in var/demo-accounts.json)")
    for column in ("nation", "username", "name", "roles", "password"):
        table.add_column(column)
    for a in accounts:
        table.add_row(a["nation"], a["username"], a["display_name"], ", ".join(a["roles"]), a["password"])
    console.print(table)
    console.print("Intelligence search index: " + (f"indexing, {behind} objects behind" if behind else "up to date")
                  + f" (at event {position})")
    if no_serve:
        return
    console.print(f"Concord demo: http://{host}:{port}/  (API docs: http://{host}:{port}/api/docs)")
    serve(host=host, port=port)


@user_app.command("add")
@run_safely
def user_add(
    username: str,
    nation: Annotated[str, typer.Option(help="ISO 3166-1 alpha-3 code")],
    name: Annotated[str, typer.Option(help="display name")],
    clearance: Annotated[str, typer.Option(help="UNCLASSIFIED, RESTRICTED, CONFIDENTIAL or SECRET")] = "RESTRICTED",
    prompt_password: Annotated[bool, typer.Option("--prompt", help="prompt for the password")] = False,
) -> None:
    """Create an account (its password is generated and shown once unless --prompt)."""
    from concord.services.people import generate_password

    centre = open_centre()
    password = _password(prompt_password, username) or generate_password()
    centre.people.create(None, username=username, display_name=name, nation=nation.upper(),
                         clearance=_level(clearance), password=password)
    console.print(f"Created {username} ({nation.upper()}). Password (shown once): {password}")


@user_app.command("disable")
@run_safely
def user_disable(username: str) -> None:
    """Disable an account and end all its sessions."""
    centre = open_centre()
    centre.people.set_disabled(None, centre.people.find(username).id, True)
    console.print(f"Disabled {username}; its sessions are ended.")


@user_app.command("reset-password")
@run_safely
def user_reset_password(
    username: str,
    prompt_password: Annotated[bool, typer.Option("--prompt", help="prompt for the password")] = False,
) -> None:
    """Set a new password (generated unless --prompt) and end all sessions."""
    centre = open_centre()
    password = centre.people.reset_password(None, centre.people.find(username).id,
                                            _password(prompt_password, username))
    console.print(f"New password for {username} (shown once): {password}")


@app.command()
@run_safely
def appoint(
    username: str,
    role: Annotated[str, typer.Argument(help=", ".join(r.value for r in Role))],
    starts: Annotated[str | None, typer.Option(help="ISO 8601 UTC start (default now)")] = None,
    ends: Annotated[str | None, typer.Option(help="ISO 8601 UTC end (default open-ended)")] = None,
) -> None:
    """Appoint a person to a role at the centre for their nation."""
    centre = open_centre()
    person = centre.people.find(username)
    appointment_id = centre.people.appoint(None, person_id=person.id, role=_role(role),
                                           starts_at=_parse_when(starts, "starts"), ends_at=_parse_when(ends, "ends"))
    console.print(f"Appointment {appointment_id}: {username} as {_role(role).value} for {person.nation}.")


@nation_app.command("add")
@run_safely
def nation_add(
    code: Annotated[str, typer.Argument(help="ISO 3166-1 alpha-3 code")],
    name: Annotated[str, typer.Option(help="the nation's name")],
    label: Annotated[list[str], typer.Option(help="LEVEL=national label (repeatable)")] = [],  # noqa: B006
    prompt_password: Annotated[
        bool, typer.Option("--prompt", help="prompt for the administrator's password")
    ] = False,
) -> None:
    """Add a partner nation and its first administrator."""
    from concord.cli.setup import initialise

    labels: dict[str, str] = {}
    for item in label:
        level, sep, text = item.partition("=")
        if not sep:
            raise Invalid(f"{item!r} is not LEVEL=label", field="label")
        labels[level.strip().upper()] = text
    centre = open_centre()
    created = initialise(centre, [[code.upper(), name]], lambda who: _password(prompt_password, who),
                         labels={code.upper(): labels} if labels else None, only_new=False)
    _show_accounts(created, title=f"{code.upper()} has joined; its first administrator")


@nation_app.command("list")
@run_safely
def nation_list() -> None:
    """List partner nations and their classification labels."""
    centre = open_centre()
    table = Table(title="Partner nations")
    for column in ("code", "name", *[level.name for level in Level]):
        table.add_column(column)
    for n in centre.nations.all():
        table.add_row(n.code, n.name, *[n.label(level) for level in Level])
    console.print(table)


# Issue 5: protected sites (its own module; registered here).
from concord.cli.sites import sites_app  # noqa: E402

app.add_typer(sites_app, name="sites")
@app.command()
@run_safely
def sitrep(
    as_user: Annotated[str, typer.Option("--as", help="the reader: the report holds only what they may see")],
    date: Annotated[str | None, typer.Option(help="the UTC day, YYYY-MM-DD (default: yesterday)")] = None,
    pdf: Annotated[Path | None, typer.Option(help="write the PDF here")] = None,
    html: Annotated[Path | None, typer.Option(help="write the HTML here")] = None,
) -> None:
    """The daily situation report for one reader, as PDF and/or HTML (a summary is always printed)."""
    from concord.cli.sitrep import day_period

    centre = open_centre()
    actor = actor_for(centre, as_user)
    period = day_period(date, centre.clock.now())
    report, labels = centre.sitrep.build(actor, period)
    table = Table(title=f"SITREP {period.start:%Y-%m-%d} for {actor.display_name} ({actor.nation})")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in report.key_figures().items():
        table.add_row(key.replace("_", " "), str(value))
    console.print(table)
    console.print(report.classification.banner(labels))
    if html is not None:
        write_private(html, centre.sitrep.html(actor, period).encode("utf-8"))
        console.print(f"HTML written to {html}")
    if pdf is not None:
        write_private(pdf, centre.sitrep.pdf(actor, period))
        console.print(f"PDF written to {pdf}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
