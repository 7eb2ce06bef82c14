"""Plain helpers for tests: tenants, migrations, scratch databases, which database runs."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

from loyalty.db import Database
from loyalty.tenancy import service as tenancy

if TYPE_CHECKING:
    from httpx import AsyncClient, Response

ROOT = Path(__file__).resolve().parents[1]
# Whether the suite's database (conftest.py) is PostgreSQL, where parallel writers can
# race; SQLite lets one writer in at a time, so the tests of races skip there.
ON_POSTGRES = os.environ.get("LOYALTY_TEST_DATABASE_URL", "").startswith("postgres")


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
    database: Database,
    *,
    time_zone: str = "UTC",
    limit_key: bool = True,
) -> Tenant:
    async with database.writing() as session:
        organization = await tenancy.create_organization(session, "Test org")
        website = await tenancy.create_website(
            session, organization.id, "Test site", time_zone=time_zone
        )
        key, plaintext = await tenancy.create_api_key(
            session, organization.id, "test", [website.id] if limit_key else None
        )
    return Tenant(organization.id, website.id, plaintext, key.id)


async def create_currency(client: "AsyncClient", tenant: Tenant, **fields: object) -> str:
    body = {
        "name": "Points",
        "symbol": "PTS",
        "decimals": 0,
        "organizationId": tenant.organization_id,
        "websiteId": tenant.website_id,
        **fields,
    }
    response = await client.post("/api/loyalty/currencies", json=body, headers=tenant.headers)
    assert response.status_code in (200, 201), response.text
    return str(response.json()["id"])


async def transact(
    client: "AsyncClient",
    tenant: Tenant,
    currency_id: str,
    *entries: dict[str, object],
    expect: int = 200,
) -> dict[str, Any]:
    body = {"description": "test", "loyaltyCurrencyId": currency_id, "entries": list(entries)}
    response = await client.post("/api/loyalty/transactions", json=body, headers=tenant.headers)
    assert response.status_code == expect, response.text
    result: dict[str, Any] = response.json()
    return result


def credit(
    wallet: str, amount: float, key: str | None = None, **extra: object
) -> dict[str, object]:
    return {
        "amount": amount,
        "direction": "credit",
        "walletAddress": wallet,
        **({"idempotencyKey": key} if key else {}),
        **extra,
    }


def debit(wallet: str, amount: float, key: str | None = None, **extra: object) -> dict[str, object]:
    return {
        "amount": amount,
        "direction": "debit",
        "walletAddress": wallet,
        **({"idempotencyKey": key} if key else {}),
        **extra,
    }


def wallet(n: int) -> str:
    return "0x" + f"{n:040x}"


# --- rules through the API ---------------------------------------------------------------

RULES = "/api/loyalty/rules"


async def rule(client: "AsyncClient", tenant: Tenant, body: dict[str, Any]) -> str:
    """Create a rule; its id."""
    response = await client.post(RULES, json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def complete(
    client: "AsyncClient", tenant: Tenant, rule_id: str, n: int = 1, **fields: Any
) -> "Response":
    """Complete a rule for the wallet ``wallet(n)``."""
    body = {"walletAddress": wallet(n), **fields}
    return await client.post(f"{RULES}/{rule_id}/complete", json=body, headers=tenant.headers)


async def balance(client: "AsyncClient", tenant: Tenant, n: int = 1) -> float:
    """The approved balance of ``wallet(n)`` (0 without an account)."""
    response = await client.get(
        "/api/loyalty/accounts", params={"walletAddress": wallet(n)}, headers=tenant.headers
    )
    data = response.json()["data"]
    return float(data[0]["amount"]) if data else 0


def refused(response: "Response", code: str) -> str:
    """A 422 with this code; its message."""
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code, response.text
    return str(response.json()["message"])
