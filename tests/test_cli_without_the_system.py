"""Every command that talks to the running system, run while nothing listens where NATS should be: one
line that says so, exit code 1, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kokemus.login import StoredSession
from kokemus.stack.servers import free_port

COMMANDS = [
    ("dlq", "list", "orders"),
    ("dlq", "replay", "orders", "7"),
    ("events", "tail"),
    ("events", "tail", "kokemus.orders.events.>", "--from-start", "--count", "2"),
    ("audit", "history", "an-engagement"),
    ("audit", "verify"),
    ("demo",),
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_command_with_the_system_down_says_so_in_one_line(command: tuple[str, ...], tmp_path) -> None:
    session = StoredSession("s" * 43, {}).save(tmp_path / "session.json")  # signed in earlier, as it were
    env = {**os.environ, "KOKEMUS_NATS_URL": f"nats://127.0.0.1:{free_port()}",  # nothing listens there
           "KOKEMUS_CLI_SESSION": str(session)}
    result = subprocess.run([sys.executable, "-m", "kokemus", *command], env=env, capture_output=True, text=True,
                            timeout=120)
    said = (result.stdout + result.stderr).strip().splitlines()
    assert result.returncode == 1, said
    assert len(said) == 1 and said[0].startswith("cannot reach the system over NATS"), said
