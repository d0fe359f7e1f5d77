"""The README's first command as a user runs it: ``kokemus up`` on a fresh data folder, a demo engagement
against it from another process, Ctrl-C, and a second ``up`` that still has the data."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

from kokemus.stack.servers import free_port, port_is_free


def free_http_base() -> int:
    """A base port whose next five (one per service) are free, below the kernel's ephemeral port range so
    outgoing connections do not take them meanwhile."""
    import random

    for _ in range(200):
        base = random.randrange(20000, 30000)
        if all(port_is_free(base + offset) for offset in range(1, 6)):
            return base
    raise RuntimeError("no five free ports in a row between 20000 and 30000")


def kokemus(*args: str, env: dict[str, str], **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "kokemus", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **kwargs)


def wait_for(process: subprocess.Popen, pattern: str, timeout: float = 120) -> str:
    seen = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        seen += line
        if re.search(pattern, seen):
            return seen
    raise AssertionError(f"{pattern!r} not printed within {timeout} s; output so far:\n{seen}")


def stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGINT)  # Ctrl-C
    rest, _ = process.communicate(timeout=90)
    return rest


def test_up_runs_the_system_a_client_plays_an_engagement_and_a_restart_keeps_the_data(tmp_path):
    nats_port, postgres_port, http_base = free_port(), free_port(), free_http_base()
    env = {**os.environ, "KOKEMUS_DATA_DIR": str(tmp_path / "data"), "KOKEMUS_EMBEDDED_NATS_PORT": str(nats_port),
           "KOKEMUS_EMBEDDED_POSTGRES_PORT": str(postgres_port), "KOKEMUS_EMBEDDED_HTTP_BASE_PORT": str(http_base),
           "KOKEMUS_NATS_URL": f"nats://127.0.0.1:{nats_port}", "COLUMNS": "200"}
    for name in ("KOKEMUS_UP_NATS_URL", "KOKEMUS_UP_POSTGRES_URL"):
        env.pop(name, None)

    up = kokemus("up", env=env)
    try:
        started = wait_for(up, r"running; press Ctrl-C")
        assert f"nats://127.0.0.1:{nats_port}" in started and f"127.0.0.1:{postgres_port}" in started
        demo = subprocess.run([sys.executable, "-m", "kokemus", "demo"], env=env, capture_output=True,
                              text=True, timeout=240)
        assert demo.returncode == 0, demo.stdout + demo.stderr
        [engagement_id] = re.findall(r"engagement ([0-9a-f-]{36}) is closed", demo.stdout)
        assert "audit trail of engagement" in demo.stdout and "EngagementClosed" in demo.stdout
    finally:
        stopped = stop(up)
    assert up.returncode == 0 and "stopped" in stopped

    again = kokemus("up", env=env)
    try:
        wait_for(again, r"running; press Ctrl-C")
        history = subprocess.run([sys.executable, "-m", "kokemus", "audit", "history", engagement_id,
                                  "--format", "csv"], env=env, capture_output=True, text=True, timeout=60)
        assert history.returncode == 0, history.stdout + history.stderr
        assert "EngagementClosed" in history.stdout and "OrderPlaced" in history.stdout
        verify = subprocess.run([sys.executable, "-m", "kokemus", "audit", "verify"], env=env,
                                capture_output=True, text=True, timeout=120)
        assert verify.returncode == 0 and "every chain is intact" in verify.stdout, verify.stdout + verify.stderr
    finally:
        stop(again)


def test_up_says_which_port_is_taken_and_how_to_choose_another(tmp_path):
    import socket

    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        env = {**os.environ, "KOKEMUS_DATA_DIR": str(tmp_path), "KOKEMUS_EMBEDDED_NATS_PORT": str(taken),
               "KOKEMUS_EMBEDDED_HTTP_BASE_PORT": str(free_http_base())}
        result = subprocess.run([sys.executable, "-m", "kokemus", "up"], env=env, capture_output=True,
                                text=True, timeout=60)
    assert result.returncode == 1
    assert f"port {taken}" in result.stdout and "KOKEMUS_EMBEDDED_NATS_PORT" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
