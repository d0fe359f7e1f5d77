"""``kokemus audit``: an engagement's history and the verification of every hash chain."""

import typer

app = typer.Typer(help="The audit trail", no_args_is_help=True)
