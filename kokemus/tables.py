"""Rows a service answered, printed as one table."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table


def print_rows(console: Console, title: str, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(escape(str(row.get(column) if row.get(column) is not None else "-")) for column in columns))
    console.print(table)
