"""How ``kokemus up`` takes SIGINT and SIGTERM (kokemus/stack/signals.py), in this process: each raises
KeyboardInterrupt, except while a child process is being started and recorded, and not again once a stop
is under way."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

from kokemus.stack import signals


@pytest.fixture
def installed() -> Iterator[None]:
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    signals.install()
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_either_signal_interrupts_like_ctrl_c_and_a_second_one_does_not_cut_the_stop_short(installed, sig):
    with pytest.raises(KeyboardInterrupt):
        signal.raise_signal(sig)
    signal.raise_signal(signal.SIGINT)  # what a second Ctrl-C does while the stack stops: nothing


def test_a_signal_while_a_child_is_being_started_takes_effect_once_it_is_recorded(installed):
    recorded = []
    with pytest.raises(KeyboardInterrupt), signals.held():
        signal.raise_signal(signal.SIGTERM)
        recorded.append("the child")
    assert recorded == ["the child"]


def test_once_the_stack_is_stopping_signals_change_nothing(installed):
    signals.stopping()
    signal.raise_signal(signal.SIGTERM)
    signal.raise_signal(signal.SIGINT)
