"""Balances: ``GET /api/loyalty/accounts`` and ``GET /api/loyalty/accounts/{id}/rank``."""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from loyalty.api.deps import PrincipalDep, ReadSessionDep
from loyalty.api.snag.common import (
    ERRORS,
    Limit,
    OrganizationId,
    StartingAfter,
    UserGroupId,
    WalletGroupIdentifier,
    WebsiteId,
    ledger_scope,
)
from loyalty.api.snag.users import UserMetadataOut
from loyalty.errors import NotFound
from loyalty.kit.pagination import DEFAULT_LIMIT, Page, split_page
from loyalty.ledger import repository
from loyalty.ledger.amounts import from_units
from loyalty.ledger.models import Account
from loyalty.users import repository as users_repository
from loyalty.users.identity import normalize_wallet
from loyalty.users.models import User, UserMetadata

router = APIRouter(tags=["accounts"], responses=ERRORS)


class AccountUser(BaseModel):
    id: str
    walletAddress: str | None
    externalIdentifier: str | None
    userMetadata: list[UserMetadataOut]
    websiteUserAttributeValues: list[dict[str, Any]] = []


class AccountOut(BaseModel):
    id: str
    loyaltyCurrencyId: str
    userId: str | None
    user: AccountUser | None
    amount: int | float
    pendingAmount: int | float
    spentAmount: int | float
    expiredAmount: int | float
    lifetimeEarnedAmount: int | float
    lockVersion: int
    websiteId: str
    organizationId: str
    createdAt: datetime
    updatedAt: datetime


@router.get("/api/loyalty/accounts")
async def list_accounts(
    principal: PrincipalDep,
    session: ReadSessionDep,
    organization_id: OrganizationId = None,
    website_id: WebsiteId = None,
    currency_id: Annotated[str | None, Query(alias="loyaltyCurrencyId")] = None,
    user_id: Annotated[list[str] | None, Query(alias="userId")] = None,
    wallet_address: Annotated[list[str] | None, Query(alias="walletAddress")] = None,
    external_identifier: Annotated[str | None, Query(alias="externalIdentifier")] = None,
    sort_dir: Annotated[Literal["asc", "desc"], Query(alias="sortDir")] = "desc",
    limit: Limit = DEFAULT_LIMIT,
    starting_after: StartingAfter = None,
    _user_group: UserGroupId = None,
    _wallet_group: WalletGroupIdentifier = None,
) -> Page[AccountOut]:
    """Balances per user and currency, sorted by approved amount (highest first by
    default). `amount` is the approved, spendable balance."""
    scope = await ledger_scope(session, principal, website_id, organization_id)
    if user_id == ["null"]:  # Snag's "main accounts" of a currency: there are none here
        return Page[AccountOut](data=[], hasNextPage=False)
    rows = await repository.list_accounts(
        session,
        scope,
        repository.AccountFilter(
            currency_id=currency_id,
            user_ids=user_id or (),
            wallets=[normalize_wallet(w) for w in wallet_address or ()],
            external_identifier=external_identifier,
        ),
        starting_after=starting_after,
        limit=limit,
        sort_dir=sort_dir,
    )
    page, more = split_page(rows, limit)
    decimals = await repository.decimals_of(
        session, principal.organization_id, {a.currency_id for a, _ in page}
    )
    metadata = await users_repository.metadata_by_user(session, [u.id for _, u in page])
    return Page[AccountOut](
        data=[_account(a, u, decimals.get(a.currency_id, 0), metadata.get(u.id)) for a, u in page],
        hasNextPage=more,
    )


def _account(a: Account, u: User, decimals: int, m: UserMetadata | None) -> AccountOut:
    meta = [] if m is None else [UserMetadataOut.of(m)]
    return AccountOut(
        id=a.id,
        loyaltyCurrencyId=a.currency_id,
        userId=a.user_id,
        user=AccountUser(
            id=u.id,
            walletAddress=u.wallet_address,
            externalIdentifier=u.external_identifier,
            userMetadata=meta,
        ),
        amount=from_units(a.approved, decimals),
        pendingAmount=from_units(a.pending, decimals),
        spentAmount=from_units(a.spent, decimals),
        expiredAmount=from_units(a.expired, decimals),
        lifetimeEarnedAmount=from_units(a.lifetime_earned, decimals),
        lockVersion=a.lock_version,
        websiteId=a.website_id,
        organizationId=a.organization_id,
        createdAt=a.created_at,
        updatedAt=a.updated_at,
    )


class RankOut(BaseModel):
    rank: int | None


@router.get("/api/loyalty/accounts/{id}/rank")
async def account_rank(
    id: str,
    principal: PrincipalDep,
    session: ReadSessionDep,
    currency_id: Annotated[str, Query(alias="loyaltyCurrencyId")],
    organization_id: OrganizationId = None,
    website_id: WebsiteId = None,
) -> RankOut:
    """The rank of an account (by account id or user id) by approved amount in the
    currency: 1 is the highest; ties share a rank; `null` when the balance is zero or the
    user has no account in the currency yet."""
    scope = await ledger_scope(session, principal, website_id, organization_id)
    account = await repository.account_for_rank(session, scope, id, currency_id)
    if account is not None:
        return RankOut(rank=await repository.rank(session, account))
    if await repository.user_in_scope(session, scope, id):
        return RankOut(rank=None)  # a member with no balance in this currency yet
    raise NotFound("Loyalty account not found", code="account_not_found")
