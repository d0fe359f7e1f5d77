"""Fixtures of tests.unit.registry."""

from __future__ import annotations

import pytest

from tests.unit.registry.depth import (
    TODAY,
    agreement_drafted,
    deps_on,
)


@pytest.fixture
def deps():
    return deps_on(TODAY)


@pytest.fixture
async def mieli(deps):
    """Mieli's agreement with the county drafted, Olli its contact person."""
    return await agreement_drafted(deps)
