"""SIGINT and SIGTERM stop ``kokemus up`` cleanly, whether it runs in a terminal or in the background.

Both are handled explicitly: Python's default for SIGTERM is to die at once, leaving every child running,
and a shell starts a background job with SIGINT ignored, which Python then leaves ignored. The handler
raises KeyboardInterrupt in the main thread, so whatever ``up`` is doing unwinds to the one place that
stops the stack.

Two moments must not be interrupted. Between starting a child process and recording it, the child would
be left running unseen: ``held()`` defers the signal to the end of such a block. And once a stop is under
way, a second Ctrl-C must not abandon it half done: after the first signal, or once ``stopping()`` is
called, further signals change nothing.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from types import FrameType


@dataclass
class _State:
    holding: int = 0  # depth of held() blocks
    deferred: bool = False  # a signal came inside held(): raise when the outermost block ends
    stopping: bool = False  # a stop is under way: ignore further signals


_state = _State()


def install() -> None:
    """Turn SIGINT and SIGTERM into KeyboardInterrupt (call in the main thread, before starting anything)."""
    _state.deferred = _state.stopping = False  # a fresh start, also after an earlier stop in this process
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _received)


def _received(signum: int, _frame: FrameType | None) -> None:
    if _state.stopping:
        return
    _state.stopping = True
    if _state.holding:
        _state.deferred = True
        return
    raise KeyboardInterrupt(signal.Signals(signum).name)


@contextlib.contextmanager
def held() -> Iterator[None]:
    """Start a child process and record it before a stop signal takes effect."""
    _state.holding += 1
    try:
        yield
    finally:
        _state.holding -= 1
        if _state.deferred and not _state.holding:
            _state.deferred = False
            raise KeyboardInterrupt("stop signal during a start")


def stopping() -> None:
    """A stop is under way: let it finish whatever signal comes."""
    _state.stopping = True
