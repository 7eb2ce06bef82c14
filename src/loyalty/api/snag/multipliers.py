"""Loyalty multipliers: ``POST /api/loyalty/multipliers`` (create),
``GET /api/loyalty/multipliers``, ``POST /api/loyalty/multipliers/{id}`` (update),
``DELETE /api/loyalty/multipliers/{id}`` and ``DELETE /api/loyalty/multipliers`` (by
external identifier, given in the JSON body as Snag's SDK sends it).

A user's live multipliers multiply together on what they earn; rules grant multipliers
too (``loyaltyRuleId``), possibly limited to some currencies (``loyaltyCurrencyIds``).
"""

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AfterValidator, BaseModel, Field

from loyalty.api.deps import PrincipalDep, ReadSessionDep, WriteSessionDep
from loyalty.api.snag.common import ERRORS, PageQuery, WireModel, list_scope
from loyalty.kit.pagination import Page
from loyalty.multipliers import service
from loyalty.tenancy import service as tenancy_service
from loyalty.users.identity import normalize_wallet

router = APIRouter(tags=["multipliers"], responses=ERRORS)


def _factor(value: Decimal) -> Decimal:
    problem = service.factor_problem(value)
    if problem:
        raise ValueError(problem)
    return value


Factor = Annotated[
    Decimal,
    Field(allow_inf_nan=False, description="Greater than 0, at most 1000000"),
    AfterValidator(_factor),
]
Title = Annotated[str, Field(max_length=255)]
Text = Annotated[str, Field(max_length=10_000)]
ExternalIdentifier = Annotated[str, Field(min_length=1, max_length=255)]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


Wallet = Annotated[str, Field(max_length=128), AfterValidator(_not_blank)]


class MultiplierCreate(WireModel):
    multiplier: Factor
    walletAddress: Wallet = Field(description="A new wallet gets a new user")
    title: Title | None = None
    description: Text | None = None
    externalIdentifier: ExternalIdentifier | None = None
    organizationId: str | None = None
    websiteId: str | None = Field(
        None, description="Required unless the API key is limited to one website"
    )


class MultiplierUpdate(WireModel):
    """Fields given replace the multiplier's; a null ``multiplier`` changes nothing, a
    null title or description clears it."""

    multiplier: Factor | None = None
    title: Title | None = None
    description: Text | None = None


class MultiplierDeleteByExternalId(WireModel):
    externalIdentifier: ExternalIdentifier
    organizationId: str | None = None
    websiteId: str | None = Field(
        None, description="Only this website's (default: every website of the key)"
    )


class MultiplierUser(BaseModel):
    id: str
    walletAddress: str | None


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


class MultiplierOut(BaseModel):
    """Snag's loyalty multiplier (MultiplierCreateResponse and the others);
    ``loyaltyRuleId`` is left out for multipliers set through the API."""

    id: str
    organizationId: str
    websiteId: str
    userId: str
    user: MultiplierUser
    multiplier: int | float
    title: str | None
    description: str | None
    externalIdentifier: str | None
    # Snag's loyaltyRuleId is optional but never null: left out when there is no rule.
    loyaltyRuleId: str | None = Field(
        None, description="The rule that granted it, if any", exclude_if=lambda v: v is None
    )
    loyaltyCurrencyIds: list[str] | None = Field(
        description="The currencies it applies to (null: every currency)"
    )
    createdAt: datetime
    updatedAt: datetime
    deletedAt: datetime | None

    @classmethod
    def of(cls, found: service.Listed) -> "MultiplierOut":
        m = found.multiplier
        return cls(
            id=m.id,
            organizationId=m.organization_id,
            websiteId=m.website_id,
            userId=m.user_id,
            user=MultiplierUser(id=m.user_id, walletAddress=found.wallet_address),
            multiplier=_number(m.multiplier),
            title=m.title,
            description=m.description,
            externalIdentifier=m.external_identifier,
            loyaltyRuleId=m.rule_id,
            loyaltyCurrencyIds=m.currency_ids,
            createdAt=m.created_at,
            updatedAt=m.updated_at,
            deletedAt=m.deleted_at,
        )


class MultiplierDeleted(BaseModel):
    id: str


@router.post("/api/loyalty/multipliers", status_code=201)
async def create_multiplier(
    body: MultiplierCreate, principal: PrincipalDep, session: WriteSessionDep
) -> MultiplierOut:
    website = await tenancy_service.website_for(
        session, principal, body.websiteId, body.organizationId
    )
    created = await service.create_multiplier(
        session,
        website,
        wallet=body.walletAddress,
        factor=body.multiplier,
        title=body.title,
        description=body.description,
        external_identifier=body.externalIdentifier,
    )
    return MultiplierOut.of(created)


class MultiplierQuery(PageQuery):
    externalIdentifier: str | None = None
    includeDeleted: bool = False
    userId: list[str] = Field([], description="Multipliers of these users (repeatable)")
    walletAddress: list[str] = Field([], description="Multipliers of these wallets (repeatable)")
    userGroupId: str | None = None
    userGroupExternalIdentifier: str | None = None
    walletGroupIdentifier: str | None = None


PROFILE_FILTERS = ("userGroupId", "userGroupExternalIdentifier", "walletGroupIdentifier")


@router.get("/api/loyalty/multipliers")
async def list_multipliers(
    query: Annotated[MultiplierQuery, Query()], principal: PrincipalDep, session: ReadSessionDep
) -> Page[MultiplierOut]:
    """Multipliers in creation order (live ones unless includeDeleted)."""
    scope = await list_scope(session, principal, query)
    profile = {n: v for n in PROFILE_FILTERS if (v := getattr(query, n)) is not None}
    page, more = await service.list_multipliers(
        session,
        principal.organization_id,
        scope,
        service.MultiplierFilter(
            user_ids=query.userId,
            wallets=[normalize_wallet(w) for w in query.walletAddress],
            external_identifier=query.externalIdentifier,
            profile=profile,
        ),
        include_deleted=query.includeDeleted,
        starting_after=query.startingAfter,
        limit=query.limit,
    )
    return Page[MultiplierOut](data=[MultiplierOut.of(m) for m in page], hasNextPage=more)


@router.post("/api/loyalty/multipliers/{multiplier_id}")
async def update_multiplier(
    multiplier_id: str, body: MultiplierUpdate, principal: PrincipalDep, session: WriteSessionDep
) -> MultiplierOut:
    given = body.model_fields_set
    updated = await service.update_multiplier(
        session,
        principal,
        multiplier_id,
        factor=body.multiplier,
        title=body.title if "title" in given else service.KEEP,
        description=body.description if "description" in given else service.KEEP,
    )
    return MultiplierOut.of(updated)


@router.delete("/api/loyalty/multipliers/{multiplier_id}")
async def delete_multiplier(
    multiplier_id: str, principal: PrincipalDep, session: WriteSessionDep
) -> MultiplierDeleted:
    """Soft delete."""
    deleted = await service.delete_multiplier(session, principal, multiplier_id)
    return MultiplierDeleted(id=deleted.id)


@router.delete("/api/loyalty/multipliers")
async def delete_multipliers_by_external_id(
    body: MultiplierDeleteByExternalId, principal: PrincipalDep, session: WriteSessionDep
) -> MultiplierOut:
    """Soft-delete every live multiplier with this external identifier in the key's
    websites (or the one named); answers the first deleted (oldest), 404 when none."""
    scope = await tenancy_service.website_scope(
        session, principal, body.websiteId, body.organizationId
    )
    deleted = await service.delete_by_external_identifier(
        session, principal.organization_id, scope, body.externalIdentifier
    )
    return MultiplierOut.of(deleted[0])
