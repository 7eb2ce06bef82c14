"""Test harness.

The suite runs against a real database built by the migrations: SQLite by default, or
the PostgreSQL server named by ``LOYALTY_TEST_DATABASE_URL`` (a fresh database is created
on it for the run and dropped afterwards). Every test works inside its own organization
and website, which is the isolation the product itself promises, so no cleanup is needed.
"""

import os
import secrets
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from loyalty.app import create_app
from loyalty.config import Settings
from loyalty.db import Database
from loyalty.kit.clock import set_clock
from tests.servers import Servers, api_servers
from tests.support import (
    ON_POSTGRES,
    Tenant,
    create_tenant,
    migrate,
    scratch_postgres_database,
)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server_url = os.environ.get("LOYALTY_TEST_DATABASE_URL")
    if server_url and not server_url.startswith("sqlite"):
        with scratch_postgres_database(server_url, f"loyalty_test_{secrets.token_hex(4)}") as url:
            migrate(url)
            yield url
        return
    path: Path = tmp_path_factory.mktemp("db") / "loyalty.db"
    url = server_url or f"sqlite:///{path}"
    migrate(url)
    yield url


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        embedded_worker=False,
        api_key_cache_seconds=0,
        currency_cache_seconds=0,
    )


@pytest.fixture(scope="session")
async def database(settings: Settings) -> AsyncIterator[Database]:
    db = Database.connect(settings.database_url, settings)
    yield db
    await db.dispose()


@pytest.fixture(scope="session")
async def app(settings: Settings, database: Database) -> AsyncIterator[FastAPI]:
    application = create_app(settings, database=database)
    yield application
    for batcher in ("transfer_batcher", "completion_batcher"):
        if getattr(application.state, batcher, None) is not None:
            await getattr(application.state, batcher).close()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as c:
        yield c


@pytest.fixture
async def tenant(database: Database) -> Tenant:
    """A fresh organization with one website and a key limited to it."""
    return await create_tenant(database)


@pytest.fixture(scope="module")
def cluster(database_url: str) -> Iterator[Servers]:
    """Two API processes on the session's database, shared by the tests of a module and
    started only when one of them asks. PostgreSQL only: the tests that need them race
    parallel writers, and SQLite lets one writer in at a time."""
    if not ON_POSTGRES:
        pytest.skip("needs PostgreSQL: SQLite runs one writer at a time")
    with api_servers(database_url, count=2) as servers:
        yield servers


@pytest.fixture
def urls(cluster: Servers, request: pytest.FixtureRequest) -> Iterator[list[str]]:
    """The processes' base URLs; what they wrote is printed when the test fails."""
    cluster.check_running()
    marks = cluster.marks()
    failures = request.session.testsfailed
    yield cluster.urls
    if request.session.testsfailed > failures:
        print(cluster.output(marks), file=sys.stderr)


class Clock:
    """A settable clock installed as the application's clock for one test."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> Iterator[Clock]:
    fake = Clock()
    set_clock(lambda: fake.now)
    yield fake
    set_clock(None)
