"""The PostgreSQL server of the tests (tools/postgres.py), once per test session; one that cannot
start fails the tests that need it, never skips them."""
from __future__ import annotations

import pytest

from tools import postgres
from tools.serve import ServerError


@pytest.fixture(scope="session")
def postgres_server():
    """A fresh server with an empty database, stopped and removed at the end."""
    try:
        with postgres.postgres_server() as server:
            yield server
    except ServerError as err:
        pytest.fail(str(err))


@pytest.fixture(scope="session")
def postgres_url(postgres_server):
    """postgresql+psycopg URL of the test server's database."""
    return postgres_server.url
