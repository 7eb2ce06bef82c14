"""Creating badges and finding the ones a website has."""

from collections.abc import Iterable

from sqlalchemy import select

from loyalty.badges.models import Badge
from loyalty.db import ReadSession, WriteSession
from loyalty.errors import field_errors
from loyalty.tenancy.models import Website


async def create_badge(
    session: WriteSession,
    website: Website,
    *,
    name: str,
    description: str | None = None,
    image_url: str | None = None,
) -> Badge:
    if not 1 <= len(name.strip()) <= 255:
        raise field_errors(("name", "must be 1 to 255 characters"))
    badge = Badge(
        organization_id=website.organization_id,
        website_id=website.id,
        name=name,
        description=description,
        image_url=image_url,
    )
    session.add(badge)
    await session.flush()
    return badge


async def existing_badge_ids(session: ReadSession, website_id: str, ids: Iterable[str]) -> set[str]:
    """Those of ``ids`` that are live badges of the website."""
    wanted = set(ids)
    if not wanted:
        return set()
    rows = await session.scalars(
        select(Badge.id)
        .where(Badge.website_id == website_id, Badge.id.in_(wanted), Badge.deleted_at.is_(None))
        # Held to commit, so a badge cannot be deleted under a rule that names it.
        .with_for_update(read=True)
    )
    return set(rows)
