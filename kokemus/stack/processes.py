"""One process of the embedded stack (a service, the web): started in a session of its own, asked to stop with
SIGTERM, killed if it does not, and asked whether it is ready."""

from __future__ import annotations

import signal
import subprocess
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from kokemus.stack import signals


@dataclass
class RunningService:
    name: str
    port: int
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    command: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.command = self.command or [sys.executable, "-m", "kokemus", "serve", self.name]

    def start(self) -> None:
        # A session of its own: a Ctrl-C in the terminal reaches `up` only, which then stops the services
        # in order, instead of each stopping on its own while `up` looks on.
        with self.log.open("ab") as sink, signals.held():
            self.process = subprocess.Popen(
                self.command, env=self.env, stdout=sink, stderr=sink, stdin=subprocess.DEVNULL, start_new_session=True,
            )

    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def ask_to_stop(self) -> bool:
        """SIGTERM: it stops taking work and finishes what it holds. False when it is not running."""
        if self.process is None or self.process.poll() is not None:
            return False
        self.process.send_signal(signal.SIGTERM)
        return True

    def wait_stopped(self, timeout: float) -> bool:
        """True when it ended by itself within ``timeout``; otherwise it is killed."""
        if self.process is None:
            return True
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return False
        return True

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=1) as response:
                return bool(response.status == 200)
        except OSError:
            return False


def asked_to_stop(code: int) -> bool:
    """A service ends with 0 when a signal stopped it (or dies of that signal before it handles it)."""
    return code in (0, -signal.SIGTERM, -signal.SIGINT)
