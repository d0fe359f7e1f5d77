"""Fixtures of tests.unit.registry."""

from __future__ import annotations

import pytest

from tests.unit.registry.depth import (
    TODAY,
    deps_on,
)


@pytest.fixture
def deps():
    return deps_on(TODAY)
