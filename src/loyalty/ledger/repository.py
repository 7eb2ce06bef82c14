"""Read queries of the ledger: entries, accounts and ranks."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Row, Select, and_, func, or_, select

from loyalty.db import ReadSession
from loyalty.ledger.models import Account, Currency, Entry, Transaction
from loyalty.users.models import User

SortDir = Literal["asc", "desc"]


@dataclass(frozen=True)
class Scope:
    """The rows a caller may see: one organization, optionally some of its websites."""

    organization_id: str
    website_ids: frozenset[str] | None

    def apply(self, query: Select[Any], table: Any) -> Select[Any]:
        query = query.where(table.organization_id == self.organization_id)
        if self.website_ids is not None:
            query = query.where(table.website_id.in_(self.website_ids))
        return query


@dataclass(frozen=True)
class EntryFilter:
    user_ids: Sequence[str] = ()
    wallets: Sequence[str] = ()
    currency_ids: Sequence[str] = ()
    rule_id: str | None = None
    transaction_id: str | None = None
    direction: str | None = None
    status: str | None = None
    type: str | None = None
    idempotency_key: str | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None
    # Entries paid by one of these rules (None: no such filter; empty: none match).
    rule_ids: Sequence[str] | None = None


def _entry_conditions(f: EntryFilter) -> list[Any]:
    pairs: list[tuple[Any, Any]] = [
        (f.user_ids, lambda: Entry.user_id.in_(f.user_ids)),
        (f.wallets, lambda: User.wallet_address.in_(f.wallets)),
        (f.currency_ids, lambda: Entry.currency_id.in_(f.currency_ids)),
        (f.rule_id, lambda: Transaction.rule_id == f.rule_id),
        (f.transaction_id, lambda: Entry.transaction_id == f.transaction_id),
        (f.direction, lambda: Entry.direction == f.direction),
        (f.status, lambda: Entry.status == f.status),
        (f.type, lambda: Transaction.type == f.type),
        (f.idempotency_key, lambda: Entry.idempotency_key == f.idempotency_key),
        (f.created_from, lambda: Entry.created_at >= f.created_from),
        (f.created_before, lambda: Entry.created_at < f.created_before),
    ]
    conditions = [condition() for value, condition in pairs if value]
    if f.rule_ids is not None:
        conditions.append(Transaction.rule_id.in_(f.rule_ids))
    return conditions


async def list_entries(
    session: ReadSession,
    scope: Scope,
    f: EntryFilter,
    *,
    starting_after: str | None,
    limit: int,
    sort_dir: SortDir = "desc",
    sort_by: Literal["createdAt", "updatedAt"] = "createdAt",
) -> Sequence[Row[Any]]:
    """Entries with their transaction and user, newest first by default. Ids are
    UUIDv7, so id order is creation order and the cursor is the id itself; sorted by
    ``updatedAt`` (when the entry last changed status), ties go by id."""
    query = scope.apply(
        select(Entry, Transaction, User.wallet_address)
        .join(Transaction, Transaction.id == Entry.transaction_id)
        .join(User, User.id == Entry.user_id),
        Entry,
    )
    query = query.where(*_entry_conditions(f))
    if sort_by == "updatedAt":
        return await _entries_by_update(session, query, starting_after, limit, sort_dir)
    if starting_after is not None:
        query = query.where(
            Entry.id < starting_after if sort_dir == "desc" else Entry.id > starting_after
        )
    order = Entry.id.desc() if sort_dir == "desc" else Entry.id.asc()
    return (await session.execute(query.order_by(order).limit(limit + 1))).all()


async def _entries_by_update(
    session: ReadSession,
    query: Select[Any],
    starting_after: str | None,
    limit: int,
    sort_dir: SortDir,
) -> Sequence[Row[Any]]:
    """Keyset paging on (updated_at, id): the cursor entry's time is looked up."""
    if starting_after is not None:
        moment = await session.scalar(select(Entry.updated_at).where(Entry.id == starting_after))
        if moment is None:
            return []  # an unknown cursor ends the list
        if sort_dir == "desc":
            query = query.where(
                or_(
                    Entry.updated_at < moment,
                    and_(Entry.updated_at == moment, Entry.id < starting_after),
                )
            )
        else:
            query = query.where(
                or_(
                    Entry.updated_at > moment,
                    and_(Entry.updated_at == moment, Entry.id > starting_after),
                )
            )
    if sort_dir == "desc":
        query = query.order_by(Entry.updated_at.desc(), Entry.id.desc())
    else:
        query = query.order_by(Entry.updated_at.asc(), Entry.id.asc())
    return (await session.execute(query.limit(limit + 1))).all()


@dataclass(frozen=True)
class AccountFilter:
    currency_id: str | None = None
    user_ids: Sequence[str] = ()
    wallets: Sequence[str] = ()
    external_identifier: str | None = None


async def list_accounts(
    session: ReadSession,
    scope: Scope,
    f: AccountFilter,
    *,
    starting_after: str | None,
    limit: int,
    sort_dir: SortDir = "desc",
) -> Sequence[Row[Any]]:
    """Accounts with their user, ordered by approved amount then id (keyset cursor)."""
    query = scope.apply(select(Account, User).join(User, User.id == Account.user_id), Account)
    conditions = [
        Account.currency_id == f.currency_id if f.currency_id else None,
        Account.user_id.in_(f.user_ids) if f.user_ids else None,
        User.wallet_address.in_(f.wallets) if f.wallets else None,
        User.external_identifier == f.external_identifier if f.external_identifier else None,
    ]
    query = query.where(*[c for c in conditions if c is not None])
    if starting_after is not None:
        query = query.where(await _after_account(session, starting_after, sort_dir))
    if sort_dir == "desc":
        query = query.order_by(Account.approved.desc(), Account.id.desc())
    else:
        query = query.order_by(Account.approved.asc(), Account.id.asc())
    return (await session.execute(query.limit(limit + 1))).all()


async def _after_account(session: ReadSession, account_id: str, sort_dir: SortDir) -> Any:
    approved = (
        await session.execute(select(Account.approved).where(Account.id == account_id))
    ).scalar_one_or_none()
    if approved is None:
        return Account.id.is_(None)  # an unknown cursor ends the list
    if sort_dir == "desc":
        return or_(
            Account.approved < approved, and_(Account.approved == approved, Account.id < account_id)
        )
    return or_(
        Account.approved > approved, and_(Account.approved == approved, Account.id > account_id)
    )


async def account_for_rank(
    session: ReadSession, scope: Scope, account_or_user_id: str, currency_id: str
) -> Account | None:
    query = scope.apply(select(Account), Account).where(
        Account.currency_id == currency_id,
        or_(Account.id == account_or_user_id, Account.user_id == account_or_user_id),
    )
    return (await session.execute(query)).scalars().first()


async def user_in_scope(session: ReadSession, scope: Scope, user_id: str) -> bool:
    found = await session.execute(scope.apply(select(User.id), User).where(User.id == user_id))
    return found.first() is not None


async def rank(session: ReadSession, account: Account) -> int | None:
    """1 + the number of accounts of the currency with more; ties share a rank."""
    if account.approved <= 0:
        return None
    ahead = (
        await session.execute(
            select(func.count())
            .select_from(Account)
            .where(Account.currency_id == account.currency_id, Account.approved > account.approved)
        )
    ).scalar_one()
    return int(ahead) + 1


async def decimals_of(
    session: ReadSession, organization_id: str, currency_ids: set[str]
) -> dict[str, int]:
    """Decimals per currency id, deleted currencies included (their entries remain)."""
    if not currency_ids:
        return {}
    rows = await session.execute(
        select(Currency.id, Currency.decimals).where(
            Currency.organization_id == organization_id, Currency.id.in_(currency_ids)
        )
    )
    return dict(rows.tuples().all())
