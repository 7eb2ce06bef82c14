"""Ledger transactions: ``POST /api/loyalty/transactions`` and
``GET /api/loyalty/transaction_entries``, in Snag's shapes."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select

from loyalty.api.deps import PrincipalDep, ReadSessionDep, TransferBatcherDep
from loyalty.api.snag.common import (
    ERRORS,
    CompletedRuleFilter,
    Limit,
    OrganizationId,
    StartingAfter,
    UserGroupId,
    WebsiteId,
    WireModel,
    ledger_scope,
)
from loyalty.kit.pagination import DEFAULT_LIMIT, Page, split_page
from loyalty.ledger import repository, transfers
from loyalty.ledger.amounts import from_units
from loyalty.ledger.models import Entry, Transaction
from loyalty.rules.models import Rule
from loyalty.users.identity import normalize_wallet

router = APIRouter(tags=["transactions"], responses=ERRORS)

Direction = Literal["credit", "debit"]


class EntryIn(WireModel):
    amount: Decimal = Field(gt=0, description="In currency units; at most `decimals` places")
    direction: Direction = "credit"
    userId: str | None = None
    walletAddress: str | None = Field(None, min_length=1, max_length=128)
    loyaltyCurrencyId: str | None = None
    idempotencyKey: str | None = Field(
        None,
        min_length=1,
        max_length=255,
        description="Unique per website: an entry with a used key is refused with 409",
    )
    approvesAt: datetime | None = Field(
        None, description="A credit stays pending until then (then the worker approves it)"
    )
    expiresAt: datetime | None = Field(
        None, description="What is left of the credit then expires, as its own entry"
    )
    metadata: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _someone(self) -> "EntryIn":
        if not self.userId and not self.walletAddress:
            raise ValueError("userId or walletAddress is required")
        return self


class TransactionIn(WireModel):
    description: str = Field("", max_length=1000)
    loyaltyCurrencyId: str | None = None
    entries: list[EntryIn] = Field(min_length=1, max_length=1000)
    organizationId: str | None = None
    websiteId: str | None = None


class EntryOut(BaseModel):
    id: str
    amount: int | float
    direction: Direction
    status: str
    userId: str
    walletAddress: str | None
    loyaltyAccountId: str
    loyaltyCurrencyId: str
    idempotencyKey: str
    approvesAt: datetime | None
    expiresAt: datetime | None


class TransactionOut(BaseModel):
    id: str
    description: str
    type: str
    organizationId: str
    websiteId: str
    entries: list[EntryOut]
    createdAt: datetime
    updatedAt: datetime


@router.post(
    "/api/loyalty/transactions",
    responses={
        409: {"description": "An idempotencyKey was used before; nothing was written"},
        422: {"description": "`insufficient_points` or `balance_above_maximum`; nothing written"},
    },
)
async def create_transaction(
    body: TransactionIn, principal: PrincipalDep, batcher: TransferBatcherDep
) -> TransactionOut:
    """Credit or debit accounts: all entries are written, or none."""
    principal.check_organization(body.organizationId)
    result = await batcher.submit(
        transfers.TransferRequest(
            principal,
            description=body.description,
            currency_id=body.loyaltyCurrencyId,
            entries=[_requested(e) for e in body.entries],
            website_id=body.websiteId,
        )
    )
    currencies = result.currencies
    tx = result.posted.transaction
    return TransactionOut(
        id=tx["id"],
        description=tx["description"],
        type=tx["type"],
        organizationId=tx["organization_id"],
        websiteId=tx["website_id"],
        createdAt=tx["created_at"],
        updatedAt=tx["created_at"],
        entries=[
            EntryOut(
                id=r["id"],
                amount=from_units(r["amount"], currencies[r["currency_id"]].decimals),
                direction=r["direction"],
                status=r["status"],
                userId=r["user_id"],
                walletAddress=result.wallets.get(r["user_id"]),
                loyaltyAccountId=r["account_id"],
                loyaltyCurrencyId=r["currency_id"],
                idempotencyKey=r["idempotency_key"],
                approvesAt=r["approves_at"],
                expiresAt=r["expires_at"],
            )
            for r in result.posted.entries
        ],
    )


def _requested(entry: EntryIn) -> transfers.RequestedEntry:
    return transfers.RequestedEntry(
        amount=entry.amount,
        direction=entry.direction,
        user_id=entry.userId,
        wallet_address=entry.walletAddress,
        currency_id=entry.loyaltyCurrencyId,
        idempotency_key=entry.idempotencyKey,
        approves_at=entry.approvesAt,
        expires_at=entry.expiresAt,
        metadata=entry.metadata,
    )


class LoyaltyTransactionOut(BaseModel):
    id: str
    type: str
    description: str
    loyaltyRule: dict[str, Any] | None = None


class EntryListItem(BaseModel):
    id: str
    amount: int | float
    direction: Direction
    status: str
    source: str
    type: str
    userId: str
    walletAddress: str | None
    loyaltyAccountId: str
    loyaltyCurrencyId: str
    loyaltyTransaction: LoyaltyTransactionOut
    organizationId: str
    websiteId: str
    idempotencyKey: str
    approvesAt: datetime | None
    expiresAt: datetime | None
    metadata: dict[str, Any] | None
    createdAt: datetime
    updatedAt: datetime


@router.get("/api/loyalty/transaction_entries")
async def list_entries(
    principal: PrincipalDep,
    session: ReadSessionDep,
    organization_id: OrganizationId = None,
    website_id: WebsiteId = None,
    user_id: Annotated[list[str] | None, Query(alias="userId")] = None,
    wallet_address: Annotated[list[str] | None, Query(alias="walletAddress")] = None,
    currency_id: Annotated[list[str] | None, Query(alias="loyaltyCurrencyId")] = None,
    rule_id: Annotated[str | None, Query(alias="loyaltyRuleId")] = None,
    rule_type: Annotated[
        str | None, Query(alias="loyaltyRuleType", description="Entries paid by rules of a type")
    ] = None,
    rule_group_id: Annotated[
        str | None,
        Query(alias="loyaltyRuleGroupId", description="Entries paid by rules of a group"),
    ] = None,
    transaction_id: Annotated[str | None, Query(alias="loyaltyTransactionId")] = None,
    direction: Direction | None = None,
    status: Literal["pending", "approved", "declined", "void", "expired"] | None = None,
    type: str | None = None,
    idempotency_key: Annotated[str | None, Query(alias="idempotencyKey")] = None,
    created_from: Annotated[datetime | None, Query(alias="createdAtStart")] = None,
    created_before: Annotated[datetime | None, Query(alias="createdAtEnd")] = None,
    sort_by: Annotated[Literal["createdAt", "updatedAt"], Query(alias="sortBy")] = "createdAt",
    sort_dir: Annotated[Literal["asc", "desc"], Query(alias="sortDir")] = "desc",
    limit: Limit = DEFAULT_LIMIT,
    starting_after: StartingAfter = None,
    _user_group: UserGroupId = None,
    _completed_rule: CompletedRuleFilter = None,
) -> Page[EntryListItem]:
    """Ledger entries, newest first; filter by user, wallet, currency, rule, direction,
    status, type and a creation time range (`createdAtStart` inclusive, `createdAtEnd`
    exclusive)."""
    scope = await ledger_scope(session, principal, website_id, organization_id)
    rows = await repository.list_entries(
        session,
        scope,
        repository.EntryFilter(
            user_ids=user_id or (),
            wallets=[normalize_wallet(w) for w in wallet_address or ()],
            currency_ids=currency_id or (),
            rule_id=rule_id,
            transaction_id=transaction_id,
            direction=direction,
            status=status,
            type=type,
            idempotency_key=idempotency_key,
            created_from=created_from,
            created_before=created_before,
            rule_ids=await _rules_of(session, scope, rule_type, rule_group_id),
        ),
        starting_after=starting_after,
        limit=limit,
        sort_dir=sort_dir,
        sort_by=sort_by,
    )
    page, more = split_page(rows, limit)
    decimals = await _decimals(session, principal.organization_id, {r[0].currency_id for r in page})
    rules = await _rules(session, {t.rule_id for _, t, _ in page if t.rule_id})
    return Page[EntryListItem](
        data=[_entry_item(e, t, w, decimals, rules) for e, t, w in page], hasNextPage=more
    )


async def _rules_of(
    session: ReadSessionDep,
    scope: repository.Scope,
    rule_type: str | None,
    group_id: str | None,
) -> list[str] | None:
    """The ids of the rules (deleted ones included) of a type and/or a group, or None when
    neither is asked for."""
    if rule_type is None and group_id is None:
        return None
    query = scope.apply(select(Rule.id), Rule)
    if rule_type is not None:
        query = query.where(Rule.type == rule_type)
    if group_id is not None:
        query = query.where(Rule.group_id == group_id)
    return list(await session.scalars(query))


async def _rules(session: ReadSessionDep, ids: set[str]) -> dict[str, dict[str, Any]]:
    """The rules that paid these entries, deleted ones included (the history stays whole),
    as Snag's ``loyaltyTransaction.loyaltyRule``."""
    if not ids:
        return {}
    found = await session.scalars(select(Rule).where(Rule.id.in_(ids)))
    out = {}
    for rule in found:
        doc = rule.definition
        summary: dict[str, Any] = {
            "id": rule.id,
            "type": rule.type,
            "name": rule.name,
            "description": doc.get("description", ""),
            "metadata": doc.get("metadata", {}),
        }
        if rule.group_id is not None:
            summary["loyaltyRuleGroupItem"] = {"loyaltyRuleGroupId": rule.group_id}
        out[rule.id] = summary
    return out


async def _decimals(session: ReadSessionDep, organization_id: str, ids: set[str]) -> dict[str, int]:
    return await repository.decimals_of(session, organization_id, ids)


def _entry_item(
    e: Entry,
    t: Transaction,
    wallet: str | None,
    decimals: dict[str, int],
    rules: dict[str, dict[str, Any]],
) -> EntryListItem:
    return EntryListItem(
        id=e.id,
        amount=from_units(e.amount, decimals.get(e.currency_id, 0)),
        direction=e.direction,
        status=e.status,
        source=e.source,
        type=t.type,
        userId=e.user_id,
        walletAddress=wallet,
        loyaltyAccountId=e.account_id,
        loyaltyCurrencyId=e.currency_id,
        loyaltyTransaction=LoyaltyTransactionOut(
            id=t.id,
            type=t.type,
            description=t.description,
            loyaltyRule=rules.get(t.rule_id) if t.rule_id else None,
        ),
        organizationId=e.organization_id,
        websiteId=e.website_id,
        idempotencyKey=e.idempotency_key,
        approvesAt=e.approves_at,
        expiresAt=e.expires_at,
        metadata=e.metadata_,
        createdAt=e.created_at,
        updatedAt=e.updated_at,
    )
