"""Serving HTTP inside a process that owns its signals: the services' health endpoints and the web."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

import uvicorn


class QuietSignalsServer(uvicorn.Server):
    """uvicorn without its signal handlers: whoever runs the loop owns SIGTERM and SIGINT, and stops the
    server itself (uvicorn would take them over and stop only the server)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def listen(host: str, port: int, what: str, setting: str) -> socket.socket:
    """A socket bound here, so a taken port is a clear error at start naming the setting that moves it
    (uvicorn would exit the whole process instead)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        raise OSError(f"{what} cannot listen on {host} port {port} ({error.strerror}): choose another with "
                      f"KOKEMUS_{setting}_PORT (or KOKEMUS_{setting}_HOST)") from None
    return listener
