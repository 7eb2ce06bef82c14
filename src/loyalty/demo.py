"""The demo tenant ``make serve`` seeds, so a first API call needs no set-up.

Seeding is idempotent: the organization, website and currency are found by name and kept,
so their ids stay valid across restarts. Only the API key is new each time, because a key's
plaintext is never stored and the previous one cannot be shown again.
"""

from dataclasses import dataclass

from sqlalchemy import select

from loyalty.db import WriteSession
from loyalty.ledger.currencies import create_currency
from loyalty.ledger.models import Currency
from loyalty.tenancy import service as tenancy_service
from loyalty.tenancy.models import Organization, Website

ORGANIZATION_NAME = "Demo"
WEBSITE_NAME = "Demo store"
WEBSITE_TIME_ZONE = "UTC"
CURRENCY_NAME = "Points"
CURRENCY_SYMBOL = "PTS"
CURRENCY_DECIMALS = 0
KEY_NAME = "demo"


@dataclass(frozen=True)
class Demo:
    organization_id: str
    website_id: str
    currency_id: str
    api_key: str


async def seed(session: WriteSession) -> Demo:
    """Find or create the demo tenant, and issue a fresh key limited to its website."""
    organization = await _organization(session)
    website = await _website(session, organization.id)
    currency = await _currency(session, website)
    _row, plaintext = await tenancy_service.create_api_key(
        session, organization.id, KEY_NAME, [website.id]
    )
    return Demo(organization.id, website.id, currency.id, plaintext)


async def _organization(session: WriteSession) -> Organization:
    # The oldest one wins if the name was ever reused, so the ids never move.
    found = await session.scalar(
        select(Organization)
        .where(Organization.name == ORGANIZATION_NAME)
        .order_by(Organization.id)
        .limit(1)
    )
    return found or await tenancy_service.create_organization(session, ORGANIZATION_NAME)


async def _website(session: WriteSession, organization_id: str) -> Website:
    found = await session.scalar(
        select(Website)
        .where(Website.organization_id == organization_id, Website.name == WEBSITE_NAME)
        .order_by(Website.id)
        .limit(1)
    )
    return found or await tenancy_service.create_website(
        session, organization_id, WEBSITE_NAME, time_zone=WEBSITE_TIME_ZONE
    )


async def _currency(session: WriteSession, website: Website) -> Currency:
    found = await session.scalar(
        select(Currency)
        .where(
            Currency.website_id == website.id,
            Currency.symbol == CURRENCY_SYMBOL,
            Currency.deleted_at.is_(None),
        )
        .order_by(Currency.id)
        .limit(1)
    )
    return found or await create_currency(
        session, website, name=CURRENCY_NAME, symbol=CURRENCY_SYMBOL, decimals=CURRENCY_DECIMALS
    )
