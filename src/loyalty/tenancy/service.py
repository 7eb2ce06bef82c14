"""Use cases of tenancy: organizations, websites, API keys, and authentication."""

import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from loyalty.db import ReadSession, WriteSession
from loyalty.errors import FieldError, NotFound, Unauthenticated, ValidationFailed
from loyalty.kit.cache import TTLCache
from loyalty.tenancy import keys, repository
from loyalty.tenancy.models import ApiKey, Organization, Website
from loyalty.tenancy.principal import Principal


def check_time_zone(name: str, field: str = "timeZone") -> list[FieldError]:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return [FieldError(field, f"unknown time zone {name!r}")]
    return []


async def create_organization(session: WriteSession, name: str) -> Organization:
    organization = Organization(name=name)
    await repository.add(session, organization)
    return organization


async def create_website(
    session: WriteSession,
    organization_id: str,
    name: str,
    *,
    time_zone: str = "UTC",
    home_url: str | None = None,
    profile: dict[str, str] | None = None,
) -> Website:
    errors = check_time_zone(time_zone)
    if errors:
        raise ValidationFailed(errors)
    if await session.get(Organization, organization_id) is None:
        raise NotFound("Organization not found", code="organization_not_found")
    website = Website(
        organization_id=organization_id,
        name=name,
        time_zone=time_zone,
        home_url=home_url,
        profile=profile or {},
    )
    await repository.add(session, website)
    return website


async def create_api_key(
    session: WriteSession,
    organization_id: str,
    name: str,
    website_ids: Sequence[str] | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; returns the row and the plaintext, which is never stored."""
    for website_id in website_ids or ():
        if await repository.website_in_organization(session, organization_id, website_id) is None:
            raise NotFound(
                f"Website {website_id} not found in this organization", code="website_not_found"
            )
    new = keys.generate()
    row = ApiKey(
        organization_id=organization_id,
        name=name,
        prefix=new.prefix,
        key_hash=new.digest,
        website_ids=list(website_ids) if website_ids else None,
    )
    await repository.add(session, row)
    return row, new.plaintext


async def website_for(
    session: ReadSession,
    principal: Principal,
    website_id: str | None,
    organization_id: str | None = None,
    location: str = "body",
) -> Website:
    """The website a request acts on, checked against the key's organization and scope."""
    principal.check_organization(organization_id)
    wanted = principal.default_website_id(website_id, location)
    website = await repository.website_in_organization(session, principal.organization_id, wanted)
    if website is None:
        raise NotFound("Website not found", code="website_not_found")
    return website


async def website_scope(
    session: ReadSession,
    principal: Principal,
    website_id: str | None,
    organization_id: str | None = None,
) -> frozenset[str] | None:
    """The websites a list may show (None: every website of the key's organization).
    A named website must be one of the organization's that the key may use: 404 otherwise."""
    principal.check_organization(organization_id)
    if website_id is None:
        return principal.website_ids
    await website_for(session, principal, website_id, location="query")
    return frozenset({website_id})


# Authenticated keys, cached per process: the lookup is on every request. A revoked key
# stops working within the cache's ttl.
KeyCache = TTLCache[str, Principal]


async def authenticate(session: ReadSession, api_key: str | None, cache: KeyCache) -> Principal:
    if not api_key:
        raise Unauthenticated("Missing API key: send it in the X-API-KEY header")
    digest = keys.digest(api_key)
    principal = cache.get(digest)
    if principal is not None:
        return principal
    row = await repository.key_by_digest(session, digest)
    if row is None:
        raise Unauthenticated("Invalid API key")
    principal = Principal(
        key_id=row.id,
        organization_id=row.organization_id,
        website_ids=frozenset(row.website_ids) if row.website_ids is not None else None,
    )
    cache.put(digest, principal)
    return principal


@dataclass(frozen=True)
class WebsiteSnapshot:
    """What the earning pipeline needs of a website, safe to share between requests."""

    id: str
    organization_id: str
    time_zone: str


# Websites by id, cached per process: a changed time zone is seen within the cache's ttl.
WebsiteCache = TTLCache[str, WebsiteSnapshot]


async def website_snapshot(
    session: ReadSession, website_id: str, cache: WebsiteCache | None = None
) -> WebsiteSnapshot:
    found = cache.get(website_id) if cache is not None else None
    if found is None:
        row = (
            await session.execute(
                select(Website.id, Website.organization_id, Website.time_zone).where(
                    Website.id == website_id
                )
            )
        ).one()
        found = WebsiteSnapshot(*row)
        if cache is not None:
            cache.put(website_id, found)
    return found
