"""Loyalty badges: ``POST /api/loyalty/badges`` (create), ``GET /api/loyalty/badges``,
``POST /api/loyalty/badges/{id}`` (update), ``DELETE /api/loyalty/badges/{id}``,
``POST /api/loyalty/badges/{id}/reward``, ``POST /api/loyalty/badges/{id}/revoke`` and
the holdings, ``GET /api/loyalty/badge_users``.

Badge conditions (Snag's ``conditions`` and ``csvFiles``) are not built yet: they are
accepted only empty, and every badge answers ``loyaltyConditions: []``.
"""

from datetime import datetime
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from loyalty.api.deps import PrincipalDep, ReadSessionDep, WriteSessionDep
from loyalty.api.snag.common import ERRORS, PageQuery, WireModel, list_scope
from loyalty.badges import service
from loyalty.badges.models import Badge, BadgeUser
from loyalty.errors import field_errors
from loyalty.kit.pagination import Page
from loyalty.tenancy import service as tenancy_service
from loyalty.users.identity import normalize_wallet

router = APIRouter(tags=["badges"], responses=ERRORS)

NOT_BUILT = "badge conditions are not supported yet: send an empty list or leave out"
TEXT_MAX = 10_000


def _name(value: str) -> str:
    problem = service.name_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _empty_conditions(value: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    if value and any(_has_content(item) for item in value):
        raise ValueError(NOT_BUILT)
    return value


def _has_content(item: dict[str, Any]) -> bool:
    """A condition sent with some value (the SDK's example sends ``[{}]``: no content)."""
    return any(v not in (None, [], "") for v in item.values())


def _no_csv_files(value: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    if value:
        raise ValueError("CSV files of badge conditions are not supported yet")
    return value


BadgeName = Annotated[str, AfterValidator(_name), Field(description="1 to 255 characters")]
Text = Annotated[str, Field(max_length=TEXT_MAX)]
Conditions = Annotated[
    list[dict[str, Any]] | None,
    AfterValidator(_empty_conditions),
    Field(description="Not supported yet: accepted empty ([] or conditions without values)"),
]
CsvFiles = Annotated[
    list[dict[str, Any]] | None,
    AfterValidator(_no_csv_files),
    Field(description="Not supported yet: accepted empty"),
]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


Wallet = Annotated[str, Field(max_length=128), AfterValidator(_not_blank)]
UserId = Annotated[str, Field(min_length=1, max_length=36)]
Status = Literal["active", "inactive", "revoked"]


class BadgeCreate(WireModel):
    name: BadgeName
    imageUrl: Text
    description: Text | None = None
    hideInUi: bool | None = Field(None, description="Default false")
    organizationId: str | None = None
    websiteId: str | None = Field(
        None, description="Required unless the API key is limited to one website"
    )
    conditions: Conditions = None
    csvFiles: CsvFiles = None


class BadgeUpdate(WireModel):
    """Fields given replace the badge's; a null ``name`` or ``hideInUi`` changes nothing,
    a null description or image clears it."""

    name: BadgeName | None = None
    description: Text | None = None
    imageUrl: Text | None = None
    hideInUi: bool | None = None
    csvFiles: CsvFiles = None


class HolderBody(WireModel):
    """The user: ``userId``, ``walletAddress`` (a new wallet gets a user when rewarded),
    or both naming the same user."""

    userId: UserId | None = None
    walletAddress: Wallet | None = None
    status: Status | None = Field(
        None, description="The holding's status after the call: active to reward, revoked to revoke"
    )


class BadgeUserRef(BaseModel):
    id: str
    walletAddress: str | None


class BadgeUserOut(BaseModel):
    """Snag's LoyaltyBadgeUser: a user's holding of a badge."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    id: str
    loyaltyBadgeId: str
    userId: str
    organizationId: str
    websiteId: str
    status: Status
    dismissedInUi: bool = False
    hideInUi: bool = Field(description="The badge's hideInUi")
    loyaltyRuleId: str | None = Field(description="The rule that awarded it (null: the API)")
    user: BadgeUserRef
    createdAt: datetime
    updatedAt: datetime

    @classmethod
    def of(cls, holding: service.Holding) -> "BadgeUserOut":
        row = holding.row
        return cls(
            id=row.id,
            loyaltyBadgeId=row.badge_id,
            userId=row.user_id,
            organizationId=row.organization_id,
            websiteId=row.website_id,
            status=cast(Status, row.status),
            hideInUi=holding.hide_in_ui,
            loyaltyRuleId=row.rule_id,
            user=BadgeUserRef(id=row.user_id, walletAddress=holding.wallet_address),
            createdAt=row.created_at,
            updatedAt=row.updated_at,
        )


class RuleRefOut(BaseModel):
    id: str
    name: str


class BadgeOut(BaseModel):
    """Snag's badge (BadgeCreateResponse and the others)."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    id: str
    organizationId: str
    websiteId: str
    name: str
    description: str | None
    imageUrl: str | None
    hideInUi: bool
    loyaltyConditions: list[dict[str, Any]] = Field(
        [], description="Always empty: badge conditions are not supported yet"
    )
    createdAt: datetime
    updatedAt: datetime
    deletedAt: datetime | None

    @classmethod
    def of(cls, badge: Badge) -> "BadgeOut":
        return cls(
            id=badge.id,
            organizationId=badge.organization_id,
            websiteId=badge.website_id,
            name=badge.name,
            description=badge.description,
            imageUrl=badge.image_url,
            hideInUi=badge.hide_in_ui,
            createdAt=badge.created_at,
            updatedAt=badge.updated_at,
            deletedAt=badge.deleted_at,
        )


class BadgeListed(BadgeOut):
    loyaltyBadgeUsers: list[BadgeUserOut] = Field(
        description="Holdings (active ones unless `status` says otherwise; only the named "
        "users' with `userId` or `walletAddress`)"
    )
    loyaltyRules: list[RuleRefOut] = Field(description="The live rules that award the badge")

    @classmethod
    def listed(cls, found: service.BadgeListing) -> "BadgeListed":
        return cls(
            **BadgeOut.of(found.badge).model_dump(),
            loyaltyBadgeUsers=[BadgeUserOut.of(h) for h in found.holdings],
            loyaltyRules=[RuleRefOut(id=r.id, name=r.name) for r in found.rules],
        )


class HoldingChange(BaseModel):
    id: str
    loyaltyBadgeId: str
    userId: str
    status: Status


class HoldingChanged(BaseModel):
    """Snag's BadgeRewardResponse / BadgeRevokeResponse."""

    data: HoldingChange
    message: str


@router.post("/api/loyalty/badges", status_code=201)
async def create_badge(
    body: BadgeCreate, principal: PrincipalDep, session: WriteSessionDep
) -> BadgeOut:
    website = await tenancy_service.website_for(
        session, principal, body.websiteId, body.organizationId
    )
    badge = await service.create_badge(
        session,
        website,
        name=body.name,
        description=body.description,
        image_url=body.imageUrl,
        hide_in_ui=bool(body.hideInUi),
    )
    return BadgeOut.of(badge)


class BadgeQuery(PageQuery):
    badgeIds: list[str] = Field([], description="Only these badges (repeat the parameter)")
    includeDeleted: bool = False
    userId: list[str] = Field([], description="Holdings of these users only (repeat the parameter)")
    walletAddress: list[str] = Field(
        [], description="Holdings of these wallets only (repeat the parameter)"
    )
    userGroupId: str | None = Field(None, description="Holdings of this user group's users")
    userGroupExternalIdentifier: str | None = Field(
        None, description="Holdings of this user group's users"
    )
    status: list[Status] = Field(
        ["active"], description="Holdings with these statuses (repeat the parameter)"
    )


def _profile(query: BadgeQuery) -> dict[str, str]:
    names = ("userGroupId", "userGroupExternalIdentifier")
    return {name: value for name in names if (value := getattr(query, name)) is not None}


@router.get("/api/loyalty/badges")
async def list_badges(
    query: Annotated[BadgeQuery, Query()], principal: PrincipalDep, session: ReadSessionDep
) -> Page[BadgeListed]:
    """Badges in creation order, each with its holdings and the rules that award it."""
    scope = await list_scope(session, principal, query)
    page, more = await service.list_badges(
        session,
        principal.organization_id,
        scope,
        badge_ids=query.badgeIds,
        include_deleted=query.includeDeleted,
        holders=service.HolderFilter(
            user_ids=query.userId,
            wallets=[normalize_wallet(w) for w in query.walletAddress],
            statuses=query.status,
            profile=_profile(query),
        ),
        starting_after=query.startingAfter,
        limit=query.limit,
    )
    return Page[BadgeListed](data=[BadgeListed.listed(b) for b in page], hasNextPage=more)


@router.post("/api/loyalty/badges/{badge_id}")
async def update_badge(
    badge_id: str, body: BadgeUpdate, principal: PrincipalDep, session: WriteSessionDep
) -> BadgeOut:
    given = body.model_fields_set
    badge = await service.update_badge(
        session,
        principal,
        badge_id,
        name=body.name,
        hide_in_ui=body.hideInUi,
        description=body.description if "description" in given else service.KEEP,
        image_url=body.imageUrl if "imageUrl" in given else service.KEEP,
    )
    return BadgeOut.of(badge)


@router.delete("/api/loyalty/badges/{badge_id}")
async def delete_badge(
    badge_id: str, principal: PrincipalDep, session: WriteSessionDep
) -> BadgeOut:
    """Soft delete: holders keep their holdings; the badge can no longer be rewarded."""
    return BadgeOut.of(await service.delete_badge(session, principal, badge_id))


def _holder(body: HolderBody, wanted: Status) -> service.Holder:
    if body.status is not None and body.status != wanted:
        raise field_errors(("status", f"must be {wanted} (or left out)"))
    return service.Holder(user_id=body.userId, wallet=body.walletAddress)


def _changed(holding: BadgeUser, message: str) -> HoldingChanged:
    return HoldingChanged(
        data=HoldingChange(
            id=holding.id,
            loyaltyBadgeId=holding.badge_id,
            userId=holding.user_id,
            status=cast(Status, holding.status),
        ),
        message=message,
    )


@router.post("/api/loyalty/badges/{badge_id}/reward")
async def reward_badge(
    badge_id: str, body: HolderBody, principal: PrincipalDep, session: WriteSessionDep
) -> HoldingChanged:
    """Give the badge to a user; rewarding a holder again changes nothing and answers the
    holding. A wallet nobody has yet gets a new user."""
    holding, awarded = await service.reward(session, principal, badge_id, _holder(body, "active"))
    return _changed(holding, "Badge rewarded" if awarded else "The user already holds this badge")


@router.post("/api/loyalty/badges/{badge_id}/revoke")
async def revoke_badge(
    badge_id: str, body: HolderBody, principal: PrincipalDep, session: WriteSessionDep
) -> HoldingChanged:
    """Take the badge back (status revoked); 404 when the user never held it."""
    holding, revoked = await service.revoke(session, principal, badge_id, _holder(body, "revoked"))
    return _changed(holding, "Badge revoked" if revoked else "The badge was already revoked")


class BadgeUserQuery(PageQuery):
    loyaltyBadgeId: list[str] = Field([], description="Holdings of these badges (repeatable)")
    userId: list[str] = Field([], description="Holdings of these users (repeatable)")
    walletAddress: list[str] = Field([], description="Holdings of these wallets (repeatable)")
    status: list[Status] = Field([], description="Holdings with these statuses (default: all)")
    includeDeleted: bool = Field(False, description="Also the holdings of deleted badges")


@router.get("/api/loyalty/badge_users")
async def list_badge_users(
    query: Annotated[BadgeUserQuery, Query()], principal: PrincipalDep, session: ReadSessionDep
) -> Page[BadgeUserOut]:
    """Holdings of badges in creation order."""
    scope = await list_scope(session, principal, query)
    page, more = await service.list_holdings(
        session,
        principal.organization_id,
        scope,
        badge_ids=query.loyaltyBadgeId,
        holders=service.HolderFilter(
            user_ids=query.userId,
            wallets=[normalize_wallet(w) for w in query.walletAddress],
            statuses=query.status,
        ),
        include_deleted=query.includeDeleted,
        starting_after=query.startingAfter,
        limit=query.limit,
    )
    return Page[BadgeUserOut](data=[BadgeUserOut.of(h) for h in page], hasNextPage=more)
