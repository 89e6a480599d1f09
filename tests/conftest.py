"""Repository-wide test configuration."""

from __future__ import annotations

import os

import pytest


@pytest.fixture
def pg_dsn() -> str:
    """The real PostgreSQL started by scripts/services.sh (tests fail without it)."""
    dsn = os.environ.get("KHORSYIO_TEST_PG_DSN")
    if not dsn:
        pytest.fail("KHORSYIO_TEST_PG_DSN is not set: run the suite with scripts/test.sh")
    return dsn


@pytest.fixture
def redis_url() -> str:
    """The real Redis started by scripts/services.sh (tests fail without it)."""
    url = os.environ.get("KHORSYIO_TEST_REDIS_URL")
    if not url:
        pytest.fail("KHORSYIO_TEST_REDIS_URL is not set: run the suite with scripts/test.sh")
    return url
