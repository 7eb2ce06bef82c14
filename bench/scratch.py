"""Scratch databases: created empty, migrated with the project's migrations, removed after."""

import asyncio
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg  # ships no type hints
import uuid_utils
from sqlalchemy.engine import make_url

from loyalty import migrate


def driver_url(url: str) -> str:
    """The URL without a SQLAlchemy driver suffix, as asyncpg wants it."""
    parsed = make_url(url)
    plain = parsed.set(drivername=parsed.get_backend_name())
    return plain.render_as_string(hide_password=False)


class Unavailable(Exception):
    """The database server could not be reached to create the scratch database."""


async def _administer(server_url: str, statement: str) -> None:
    try:
        connection = await asyncpg.connect(driver_url(server_url))
    except (OSError, asyncpg.PostgresError) as error:
        raise Unavailable(f"{make_url(server_url).render_as_string()}: {error}") from error
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """A new database on the server of ``server_url``, migrated; dropped afterwards."""
    name = f"loyalty_bench_{uuid_utils.uuid7().hex[-12:]}"
    asyncio.run(_administer(server_url, f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(driver_url(server_url)).set(database=name)
        yield _migrated(url.render_as_string(hide_password=False))
    finally:
        asyncio.run(_administer(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def sqlite_database() -> Iterator[str]:
    """A new SQLite file in a temporary directory, migrated; removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="loyalty-bench-") as directory:
        yield _migrated(f"sqlite:///{Path(directory) / 'bench.db'}")


@contextmanager
def scratch_database(kind: str, server_url: str) -> Iterator[str]:
    if kind == "sqlite":
        with sqlite_database() as url:
            yield url
    else:
        with postgres_database(server_url) as url:
            yield url


def _migrated(url: str) -> str:
    migrate.upgrade(url)
    return url
