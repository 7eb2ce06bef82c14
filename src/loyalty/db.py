"""Engines and sessions.

SQLite (the embedded default) is configured as Prefect does: WAL, foreign keys,
``synchronous=NORMAL``, a busy timeout, and ``BEGIN IMMEDIATE`` for sessions that will
write, so a transaction never fails with "database is locked" when it upgrades from a
read. PostgreSQL is production. Sessions are opened and committed only at the edge
(request dependency, job wrapper, CLI command); services call ``flush()`` at most.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import NullPool

from loyalty.config import Settings


class Base(DeclarativeBase):
    pass


class ReadSession(AsyncSession):
    """A session used only to read."""


class WriteSession(ReadSession):
    """A session that may write; on SQLite its transactions begin with BEGIN IMMEDIATE."""


def dialect_insert(session: AsyncSession) -> Any:
    """The ``insert`` construct of the session's dialect, which has ``on_conflict_do_*``."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert


def async_url(url: str) -> str:
    """Map a plain database URL onto the async driver this project uses."""
    parsed = make_url(url)
    driver = {
        "sqlite": "sqlite+aiosqlite",
        "postgresql": "postgresql+asyncpg",
        "postgres": "postgresql+asyncpg",
    }.get(parsed.drivername)
    if parsed.drivername == "postgresql+psycopg":
        driver = "postgresql+asyncpg"
    return parsed.set(drivername=driver).render_as_string(hide_password=False) if driver else url


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _configure_sqlite(engine: AsyncEngine, busy_timeout: float, begin: str) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event, not the driver, open transactions.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)


def make_engine(url: str, *, settings: Settings, write: bool = True) -> AsyncEngine:
    url = async_url(url)
    if is_sqlite(url):
        # Writers queue for the writer's single connection instead of polling SQLite's lock
        # in its busy handler, which wakes them late and makes tail latency erratic.
        pool: dict[str, Any] = (
            {"pool_size": 1, "max_overflow": 0, "pool_timeout": settings.sqlite_busy_timeout}
            if write and ":memory:" not in url
            else {"poolclass": NullPool}
            if ":memory:" in url
            else {}
        )
        engine = create_async_engine(
            url, connect_args={"timeout": settings.sqlite_busy_timeout}, **pool
        )
        _configure_sqlite(
            engine, settings.sqlite_busy_timeout, "BEGIN IMMEDIATE" if write else "BEGIN"
        )
        return engine
    return create_async_engine(
        url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_pool_size,
        pool_pre_ping=False,
        # A statement with an IN list is a new statement for every length of the list, so
        # the hot paths alone use a few hundred; with the default (100) they were prepared
        # again and again (measured: 15% more CPU per completion batch).
        connect_args={"prepared_statement_cache_size": 1000},
    )


@dataclass
class Database:
    """The engines of one database: a writer and (on SQLite) a separate reader."""

    url: str
    write_engine: AsyncEngine
    read_engine: AsyncEngine
    write_sessions: async_sessionmaker[WriteSession]
    read_sessions: async_sessionmaker[ReadSession]

    @classmethod
    def connect(cls, url: str, settings: Settings) -> "Database":
        writer = make_engine(url, settings=settings, write=True)
        reader = make_engine(url, settings=settings, write=False) if is_sqlite(url) else writer
        return cls(
            url=url,
            write_engine=writer,
            read_engine=reader,
            write_sessions=async_sessionmaker(writer, class_=WriteSession, expire_on_commit=False),
            read_sessions=async_sessionmaker(reader, class_=ReadSession, expire_on_commit=False),
        )

    @property
    def dialect(self) -> str:
        return self.write_engine.dialect.name

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[WriteSession]:
        """A write transaction: committed when the block ends, rolled back on error."""
        async with self.write_sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[ReadSession]:
        async with self.read_sessions() as session:
            yield session

    async def dispose(self) -> None:
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()
