"""Users and their metadata: ``GET /api/users``, ``GET /api/users/count``,
``POST /api/users/metadatas``, ``GET /api/users/metadatas``."""

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from loyalty.api.deps import PrincipalDep, ReadSessionDep, WriteSessionDep
from loyalty.api.snag.common import ERRORS, PageQuery, ScopeQuery, WireModel, list_scope
from loyalty.kit.pagination import Page, split_page
from loyalty.referrals import repository as referrals_repository
from loyalty.referrals import service as referrals_service
from loyalty.referrals.repository import Referrer
from loyalty.tenancy import service as tenancy_service
from loyalty.tenancy.principal import Principal
from loyalty.users import repository
from loyalty.users import service as users_service
from loyalty.users.identity import normalize_wallet
from loyalty.users.models import User, UserMetadata
from loyalty.users.repository import UserFilter
from loyalty.users.schemas import as_fields

router = APIRouter(tags=["users"], responses=ERRORS)


BlockStatusReason = Literal[
    "sybil_and_multi_account",
    "account_migration",
    "abuse_manipulation",
    "not_sybil",
    "issue_resolved",
    "twitter_suspended",
    "other",
]


class MetadataFields(BaseModel):
    """Snag's user metadata fields; unset ones are null."""

    displayName: str | None = None
    emailAddress: str | None = None
    bio: str | None = None
    logoUrl: str | None = None
    location: str | None = None
    portfolioUrl: str | None = None
    twitterUser: str | None = None
    twitterUserId: str | None = None
    twitterUserFollowersCount: int | None = None
    discordUser: str | None = None
    discordUserId: str | None = None
    telegramUsername: str | None = None
    telegramUserId: str | None = None
    tiktokUser: str | None = None
    tiktokUserId: str | None = None
    githubUser: str | None = None
    githubUserId: str | None = None
    googleUser: str | None = None
    googleUserId: str | None = None
    steamUserId: str | None = None
    steamUsername: str | None = None
    epicAccountIdentifier: str | None = None
    YTChannelId: str | None = None
    externalLoyaltyScore: str | None = None
    sybilScore: float | None = None
    isBlocked: bool | None = None
    isBlockExempt: bool | None = None
    blockStatusReason: BlockStatusReason | None = None
    internalNotes: str | None = None
    userGroupExternalIdentifier: str | None = None
    userGroupId: str | None = None
    walletGroupIdentifier: str | None = None


class MetadataCreate(WireModel, MetadataFields):
    """Who the metadata is about (``userId``, ``walletAddress`` or ``externalIdentifier``)
    and the fields to set: only the fields sent change, ``null`` clears one."""

    organizationId: str | None = None
    websiteId: str | None = None
    userId: str | None = None
    walletAddress: str | None = None
    externalIdentifier: str | None = None
    # Referrals: the code of the user who referred this one (see loyalty.referrals).
    referralCode: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="Refer the user with this code (422 if unknown, self, already referred "
        "by another user, or a cycle); the same code again changes nothing",
    )


ADDRESSING = ("organizationId", "websiteId", "userId", "walletAddress")
NOT_PROFILE = (*ADDRESSING, "referralCode")


class UserRef(BaseModel):
    id: str
    walletAddress: str | None


class UserGroup(BaseModel):
    id: str
    externalIdentifier: str | None


class MetadataOut(MetadataFields):
    id: str = Field(description="The metadata's id: its user's id (one metadata per user)")
    organizationId: str
    websiteId: str
    user: UserRef
    userGroup: UserGroup | None = None
    externalIdentifier: str | None
    createdAt: datetime
    updatedAt: datetime

    @classmethod
    def of(cls, metadata: UserMetadata, user: User) -> "MetadataOut":
        return cls(
            id=metadata.user_id,
            organizationId=metadata.organization_id,
            websiteId=metadata.website_id,
            user=UserRef(id=user.id, walletAddress=user.wallet_address),
            externalIdentifier=user.external_identifier,
            createdAt=metadata.created_at,
            updatedAt=metadata.updated_at,
            **as_fields(metadata),
        )


class UserMetadataOut(MetadataFields):
    createdAt: datetime
    updatedAt: datetime

    @classmethod
    def of(cls, metadata: UserMetadata) -> "UserMetadataOut":
        return cls(
            createdAt=metadata.created_at, updatedAt=metadata.updated_at, **as_fields(metadata)
        )


class ReferrerUser(BaseModel):
    id: str
    walletAddress: str | None


class ReferrerCode(BaseModel):
    user: ReferrerUser = Field(description="The user who referred the user")


class ReferrerOut(BaseModel):
    eligible: bool = Field(description="Whether the referral's requirements held and it paid")
    referralCode: ReferrerCode
    user: ReferrerUser = Field(description="The referred user")


class UserOut(BaseModel):
    id: str
    walletAddress: str | None
    isSnagSuperAdmin: bool = False
    userMetadata: list[UserMetadataOut] = Field(description="The user's metadata, if any")
    referrers: list[ReferrerOut] = Field(
        default_factory=list, description="Who referred the user (referred_user rules)"
    )
    organizationId: str
    websiteId: str
    externalIdentifier: str | None
    state: Literal["guest", "enrolled", "blocked"]
    createdAt: datetime
    updatedAt: datetime

    @classmethod
    def of(
        cls, user: User, metadata: UserMetadata | None, referrers: Sequence[Referrer] = ()
    ) -> "UserOut":
        referred = ReferrerUser(id=user.id, walletAddress=user.wallet_address)
        return cls(
            id=user.id,
            walletAddress=user.wallet_address,
            userMetadata=[UserMetadataOut.of(metadata)] if metadata is not None else [],
            referrers=[
                ReferrerOut(
                    eligible=r.eligible,
                    referralCode=ReferrerCode(
                        user=ReferrerUser(id=r.user_id, walletAddress=r.wallet_address)
                    ),
                    user=referred,
                )
                for r in referrers
            ],
            organizationId=user.organization_id,
            websiteId=user.website_id,
            externalIdentifier=user.external_identifier,
            state=user.state,
            createdAt=user.created_at,
            updatedAt=user.updated_at,
        )


class UserQuery(PageQuery):
    userId: list[str] = Field([], description="One or more user ids (repeat the parameter)")
    walletAddress: str | None = None
    address: str | None = Field(None, description="Same as walletAddress")
    externalIdentifier: str | None = None
    emailAddress: str | None = None
    discordUser: str | None = None
    twitterUser: str | None = None
    telegramUsername: str | None = None
    telegramUserId: str | None = None
    tiktokUser: str | None = None
    steamUserId: str | None = None
    steamUsername: str | None = None
    redditUser: str | None = None
    redditUserId: str | None = None
    userGroupId: str | None = None
    userGroupExternalIdentifier: str | None = None
    includeDelegation: bool | None = Field(None, description="Accepted; no delegations exist")


PROFILE_FILTERS = (
    "emailAddress",
    "discordUser",
    "twitterUser",
    "telegramUsername",
    "telegramUserId",
    "tiktokUser",
    "steamUserId",
    "steamUsername",
    "redditUser",
    "redditUserId",
    "userGroupId",
    "userGroupExternalIdentifier",
)


def _user_filter(principal: Principal, scope: frozenset[str] | None, q: UserQuery) -> UserFilter:
    wallets = {normalize_wallet(w) for w in (q.walletAddress, q.address) if w is not None}
    profile = {name: v for name in PROFILE_FILTERS if (v := getattr(q, name)) is not None}
    return UserFilter(
        organization_id=principal.organization_id,
        scope=scope,
        user_ids=tuple(q.userId),
        wallets=tuple(sorted(wallets)),
        external_identifier=q.externalIdentifier,
        profile=profile,
    )


@router.get("/api/users")
async def list_users(
    query: Annotated[UserQuery, Query()], principal: PrincipalDep, session: ReadSessionDep
) -> Page[UserOut]:
    scope = await list_scope(session, principal, query)
    rows = await repository.list_users(
        session,
        _user_filter(principal, scope, query),
        starting_after=query.startingAfter,
        limit=query.limit,
    )
    page, more = split_page(rows, query.limit)
    referrers = await referrals_repository.referrers_of(session, (u.id for u, _ in page))
    return Page[UserOut](
        data=[UserOut.of(u, m, referrers.get(u.id, ())) for u, m in page], hasNextPage=more
    )


class UserCount(BaseModel):
    totalCount: int


@router.get("/api/users/count")
async def count_users(
    query: Annotated[ScopeQuery, Query()], principal: PrincipalDep, session: ReadSessionDep
) -> UserCount:
    scope = await list_scope(session, principal, query)
    wanted = UserFilter(organization_id=principal.organization_id, scope=scope)
    return UserCount(totalCount=await repository.count_users(session, wanted))


CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "The identities sent belong to different users"}
}


@router.post("/api/users/metadatas", responses=CONFLICT)
async def save_metadata(
    body: MetadataCreate, principal: PrincipalDep, session: WriteSessionDep
) -> MetadataOut:
    website = await tenancy_service.website_for(
        session, principal, body.websiteId, body.organizationId
    )
    user, metadata = await users_service.save_metadata(
        session,
        website,
        user_id=body.userId,
        wallet_address=body.walletAddress,
        changes=body.model_dump(exclude_unset=True, exclude=set(NOT_PROFILE)),
    )
    if body.referralCode is not None:
        await referrals_service.refer_in(session, website, [user.id], code=body.referralCode)
    return MetadataOut.of(metadata, user)


class MetadataQuery(PageQuery):
    userId: str | None = None
    walletAddress: str | None = None
    externalIdentifier: str | None = None
    userSearch: str | None = Field(
        None, description="Part of the display name, email address or wallet address"
    )


@router.get("/api/users/metadatas")
async def list_metadata(
    query: Annotated[MetadataQuery, Query()], principal: PrincipalDep, session: ReadSessionDep
) -> Page[MetadataOut]:
    scope = await list_scope(session, principal, query)
    wanted = UserFilter(
        organization_id=principal.organization_id,
        scope=scope,
        user_ids=(query.userId,) if query.userId else (),
        wallets=(normalize_wallet(query.walletAddress),) if query.walletAddress else (),
        external_identifier=query.externalIdentifier,
        search=query.userSearch,
    )
    rows = await repository.list_metadata(
        session, wanted, starting_after=query.startingAfter, limit=query.limit
    )
    page, more = split_page(rows, query.limit)
    return Page[MetadataOut](data=[MetadataOut.of(m, u) for m, u in page], hasNextPage=more)
