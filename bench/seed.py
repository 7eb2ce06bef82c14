"""The tenant the benchmark writes to, created through the services as an operator would."""

from dataclasses import dataclass
from typing import Any

from loyalty.config import Settings
from loyalty.db import Database
from loyalty.ledger.currencies import create_currency
from loyalty.rules.service import create_rule
from loyalty.tenancy import service as tenancy_service
from loyalty.tenancy.principal import Principal


@dataclass(frozen=True)
class Tenant:
    organization_id: str
    website_id: str
    # Written through HTTP.
    currency_id: str
    # Written directly with the driver, so its rows never mix with the HTTP ones.
    driver_currency_id: str
    api_key: str
    # An external rule paying 1 point per completion, without limit.
    rule_id: str
    # The name of the event that triggers an external rule paying 1 point, without limit.
    event_name: str


async def seed(url: str) -> Tenant:
    database = Database.connect(url, Settings(database_url=url))
    try:
        async with database.writing() as session:
            organization = await tenancy_service.create_organization(session, "Bench")
            website = await tenancy_service.create_website(session, organization.id, "Bench")
            points = await create_currency(
                session, website, name="Points", symbol="PTS", decimals=0
            )
            direct = await create_currency(
                session, website, name="Driver points", symbol="DRV", decimals=0
            )
            key, plaintext = await tenancy_service.create_api_key(
                session, organization.id, "bench", [website.id]
            )
            principal = Principal(key.id, organization.id, frozenset({website.id}))
            rule = await create_rule(session, principal, completion_rule(points.id))
            await create_rule(session, principal, event_rule(points.id))
    finally:
        await database.dispose()
    return Tenant(organization.id, website.id, points.id, direct.id, plaintext, rule.id, EVENT_NAME)


EVENT_NAME = "bench_purchase"


def event_rule(currency_id: str) -> dict[str, Any]:
    return completion_rule(currency_id) | {
        "name": "Bench event",
        "claimType": "auto",
        "metadata": {"trigger": {"event": EVENT_NAME}},
    }


def completion_rule(currency_id: str) -> dict[str, Any]:
    return {
        "name": "Bench completion",
        "type": "external_rule",
        "frequency": "none",
        "interval": "unlimited",
        "startTime": None,
        "amount": 1,
        "loyaltyCurrencyId": currency_id,
    }
