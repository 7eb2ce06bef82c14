"""Plain helpers for tests: tenants, migrations, scratch databases."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

from loyalty.db import Database
from loyalty.tenancy import service as tenancy

ROOT = Path(__file__).resolve().parents[1]


def migrate(url: str) -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = url
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


@contextmanager
def scratch_postgres_database(server_url: str, name: str) -> Iterator[str]:
    """Create an empty database on the server, yield its URL, drop it afterwards."""
    parsed = make_url(server_url)
    admin = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Tenant:
    organization_id: str
    website_id: str
    api_key: str
    key_id: str
    extra_websites: list[str] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-KEY": self.api_key}


async def create_tenant(
    database: Database, *, time_zone: str = "UTC", limit_key: bool = True,
) -> Tenant:
    async with database.writing() as session:
        organization = await tenancy.create_organization(session, "Test org")
        website = await tenancy.create_website(
            session, organization.id, "Test site", time_zone=time_zone)
        key, plaintext = await tenancy.create_api_key(
            session, organization.id, "test", [website.id] if limit_key else None)
    return Tenant(organization.id, website.id, plaintext, key.id)
