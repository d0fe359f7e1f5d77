"""``kokemus systems``: register the other systems that sign in on their own (a payroll system, the county's
reporting). The identity service keeps only a digest of each system's secret; the secret is shown once, here.

By default the register is the embedded stack's (``secrets/identity-systems.json`` in the data folder; restart
``kokemus up`` to load a change). For a deployment, keep the file with ``--file`` and put it in the identity
service's Secret (deploy/README.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from kokemus.stack.keys import StackKeys, write_private
from services.identity.systems import NAME, Systems, digest, new_system_secret

console = Console()
app = typer.Typer(help="Other systems that sign in on their own, with the integration role.", no_args_is_help=True)

FILE = typer.Option(None, "--file", help="the register to change (default: the embedded stack's)")


def _register(file: Path | None) -> Path:
    if file is not None:
        return file
    from kokemus.stack.up import default_data_dir

    return StackKeys.of(default_data_dir()).ensure().identity_systems


def _read(path: Path) -> dict[str, str]:
    """The register as it stands; one line, not a traceback, when someone has broken it by hand."""
    try:
        return Systems.of(str(path)).digests if path.exists() else {}
    except ValueError as error:  # not JSON, or an entry without a digest
        console.print(f"[red]{path} is not a register of systems: {error}[/red]", markup=True, highlight=False)
        raise typer.Exit(1) from None


def _write(path: Path, systems: dict[str, str]) -> None:
    write_private(path, json.dumps(systems, indent=2) + "\n")


@app.command()
def add(name: str = typer.Argument(..., help="lower-case letters, digits and -, e.g. payroll"),
        file: Path | None = FILE) -> None:
    """Register a system (or give it a new secret) and print its secret, once."""
    if not NAME.match(name):
        raise typer.BadParameter("lower-case letters, digits and -, 2 to 63 characters, starting with a letter",
                                 param_hint="NAME")
    path = _register(file)
    systems = _read(path)
    secret = new_system_secret()
    systems[name] = digest(secret)
    _write(path, systems)
    # plain lines, never wrapped: the secret is copied from here
    typer.echo(f"registered {name}; its secret, shown only now:")
    typer.echo(secret)
    typer.echo(f"the register: {path}")
    typer.echo(f'it signs in with kokemus.identity.cmd.system_sign_in {{"system": "{name}", "secret": ...}}')


@app.command()
def remove(name: str, file: Path | None = FILE) -> None:
    """Take a system off the register: its next token is refused."""
    path = _register(file)
    systems = _read(path)
    if systems.pop(name, None) is None:
        console.print(f"[red]{name} is not registered in {path}[/red]")
        raise typer.Exit(1)
    _write(path, systems)
    console.print(f"removed {name} from {path}")


@app.command(name="list")
def list_systems(file: Path | None = FILE) -> None:
    """The registered systems' names."""
    for name in sorted(_read(_register(file))):
        console.print(name)
