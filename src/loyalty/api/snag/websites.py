"""Websites (programs): ``POST /api/websites``, ``GET /api/websites``."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from loyalty.api.deps import PrincipalDep, ReadSessionDep, WriteSessionDep
from loyalty.api.snag.common import ERRORS, Limit, StartingAfter, WireModel
from loyalty.errors import Forbidden
from loyalty.kit.pagination import DEFAULT_LIMIT, Page, split_page
from loyalty.tenancy import repository
from loyalty.tenancy import service as tenancy_service
from loyalty.tenancy.models import Website

router = APIRouter(tags=["websites"], responses=ERRORS)


class WebsiteCreate(WireModel):
    name: str = Field(min_length=1, max_length=255)
    organizationId: str | None = None
    timeZone: str = Field("UTC", description="IANA time zone of the program's calendar periods")
    homeUrl: str | None = None
    discordUrl: str | None = None
    telegramUrl: str | None = None
    instagramUsername: str | None = None
    twitterUsername: str | None = None


class WebsiteOut(BaseModel):
    id: str
    organizationId: str
    name: str
    timeZone: str
    homeUrl: str | None
    discordUrl: str | None = None
    telegramUrl: str | None = None
    instagramUsername: str | None = None
    twitterUsername: str | None = None
    collections: list[dict[str, str]] = []
    # Snag's counter of minting contracts; this engine mints nothing.
    count: dict[str, int] = Field(
        default_factory=lambda: {"mintingContractAssets": 0}, serialization_alias="_count"
    )
    termsSignedAt: datetime | None = None
    createdAt: datetime

    @classmethod
    def of(cls, website: Website) -> "WebsiteOut":
        return cls(
            id=website.id,
            organizationId=website.organization_id,
            name=website.name,
            timeZone=website.time_zone,
            homeUrl=website.home_url,
            createdAt=website.created_at,
            **website.profile,
        )


PROFILE_FIELDS = ("discordUrl", "telegramUrl", "instagramUsername", "twitterUsername")


@router.post("/api/websites", status_code=201)
async def create_website(
    body: WebsiteCreate, principal: PrincipalDep, session: WriteSessionDep
) -> WebsiteOut:
    principal.check_organization(body.organizationId)
    if principal.website_ids is not None:
        raise Forbidden("A key limited to websites cannot create websites")
    profile = {f: v for f in PROFILE_FIELDS if (v := getattr(body, f)) is not None}
    website = await tenancy_service.create_website(
        session,
        principal.organization_id,
        body.name,
        time_zone=body.timeZone,
        home_url=body.homeUrl,
        profile=profile,
    )
    return WebsiteOut.of(website)


@router.get("/api/websites")
async def list_websites(
    principal: PrincipalDep,
    session: ReadSessionDep,
    organization_id: Annotated[str | None, Query(alias="organizationId")] = None,
    name: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
    starting_after: StartingAfter = None,
) -> Page[WebsiteOut]:
    principal.check_organization(organization_id)
    rows = await repository.list_websites(
        session,
        principal.organization_id,
        scope=principal.website_ids,
        name=name,
        starting_after=starting_after,
        limit=limit,
    )
    page, more = split_page(rows, limit)
    return Page[WebsiteOut](data=[WebsiteOut.of(w) for w in page], hasNextPage=more)
