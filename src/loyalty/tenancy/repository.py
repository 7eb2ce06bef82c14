from collections.abc import Sequence

from sqlalchemy import select

from loyalty.db import ReadSession, WriteSession
from loyalty.tenancy.models import ApiKey, Organization, Website


async def key_by_digest(session: ReadSession, digest: str) -> ApiKey | None:
    result = await session.execute(
        select(ApiKey).where(ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None))
    )
    return result.scalar_one_or_none()


async def website_in_organization(
    session: ReadSession, organization_id: str, website_id: str
) -> Website | None:
    result = await session.execute(
        select(Website).where(Website.id == website_id, Website.organization_id == organization_id)
    )
    return result.scalar_one_or_none()


async def list_websites(
    session: ReadSession,
    organization_id: str,
    *,
    scope: frozenset[str] | None,
    name: str | None,
    starting_after: str | None,
    limit: int,
) -> Sequence[Website]:
    query = select(Website).where(Website.organization_id == organization_id)
    if scope is not None:
        query = query.where(Website.id.in_(scope))
    if name is not None:
        query = query.where(Website.name == name)
    if starting_after is not None:
        query = query.where(Website.id > starting_after)
    result = await session.execute(query.order_by(Website.id).limit(limit + 1))
    return result.scalars().all()


async def add(session: WriteSession, row: Organization | Website | ApiKey) -> None:
    session.add(row)
    await session.flush()
