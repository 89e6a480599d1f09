from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from khorsyio import Bus


@pytest.fixture
async def bus() -> AsyncIterator[Bus]:
    b = Bus()
    yield b
    await b.stop(drain_timeout=1.0)
