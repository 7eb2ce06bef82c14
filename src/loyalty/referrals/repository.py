"""Queries of referrals."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, exists, or_, select, update
from sqlalchemy.orm import aliased

from loyalty.db import ReadSession, WriteSession, dialect_insert
from loyalty.ledger.models import Account
from loyalty.ledger.repository import Scope
from loyalty.referrals.models import Referral, ReferralCode
from loyalty.rules.models import Rule
from loyalty.tenancy.models import Website
from loyalty.users.models import User


async def code_of(session: ReadSession, rule_id: str, user_id: str) -> ReferralCode | None:
    result = await session.execute(
        select(ReferralCode).where(ReferralCode.rule_id == rule_id, ReferralCode.user_id == user_id)
    )
    return result.scalar_one_or_none()


async def insert_code(session: WriteSession, row: dict[str, Any]) -> bool:
    """Insert a code unless the user has one for the rule or the code is taken (False)."""
    statement = (
        dialect_insert(session)(ReferralCode).on_conflict_do_nothing().returning(ReferralCode.id)
    )
    connection = await session.connection()
    return (await connection.execute(statement, row)).first() is not None


async def live_code(
    session: ReadSession, website_id: str, *, code: str | None, code_id: str | None
) -> ReferralCode | None:
    """A code of the website, by its text or its id, whose rule is not deleted."""
    query = (
        select(ReferralCode)
        .join(Rule, Rule.id == ReferralCode.rule_id)
        .where(ReferralCode.website_id == website_id, Rule.deleted_at.is_(None))
    )
    if code is not None:
        query = query.where(ReferralCode.code == code)
    if code_id is not None:
        query = query.where(ReferralCode.id == code_id)
    return (await session.execute(query)).scalar_one_or_none()


async def lock_website_referrals(session: WriteSession, website_id: str) -> None:
    """Serialise the linking of referrals in a website. Two links made at once could
    together close a cycle that neither closes alone (A refers B while B refers A); the
    website row is locked FOR NO KEY UPDATE, which leaves every row that merely references
    the website (their foreign keys take KEY SHARE locks) free. Linking is rare."""
    await session.execute(
        select(Website.id).where(Website.id == website_id).with_for_update(key_share=True)
    )


async def links_of(
    session: ReadSession, website_id: str, user_ids: Iterable[str]
) -> dict[str, Referral]:
    """The referral of each of these users that was referred, by user id."""
    rows = await session.scalars(
        select(Referral).where(
            Referral.website_id == website_id, Referral.user_id.in_(sorted(set(user_ids)))
        )
    )
    return {link.user_id: link for link in rows}


async def refers_back(
    session: ReadSession, website_id: str, referrer_id: str, user_id: str
) -> bool:
    """Whether ``user_id`` is ``referrer_id`` or one of its referrers, at any level: linking
    ``user_id`` under ``referrer_id`` would then close a cycle."""
    chain = (
        select(Referral.referrer_id.label("user_id"))
        .where(Referral.website_id == website_id, Referral.user_id == referrer_id)
        .cte("chain", recursive=True)
    )
    up = aliased(Referral)
    chain = chain.union(
        select(up.referrer_id).where(up.website_id == website_id, up.user_id == chain.c.user_id)
    )
    found = await session.scalar(select(exists().where(chain.c.user_id == user_id)))
    return bool(found)


async def pending_links(
    session: ReadSession, website_id: str, user_ids: Iterable[str], rule_ids: Iterable[str]
) -> Sequence[Referral]:
    """Unrewarded referrals of these users under these rules, of users not blocked."""
    rows = await session.scalars(
        select(Referral)
        .join(User, User.id == Referral.user_id)
        .where(
            Referral.website_id == website_id,
            Referral.user_id.in_(sorted(set(user_ids))),
            Referral.rule_id.in_(sorted(set(rule_ids))),
            Referral.rewarded_at.is_(None),
            User.state != "blocked",
        )
    )
    return rows.all()


async def link_for_update(session: WriteSession, website_id: str, user_id: str) -> Referral | None:
    """The user's referral, locked until the transaction ends."""
    result = await session.execute(
        select(Referral)
        .where(Referral.website_id == website_id, Referral.user_id == user_id)
        .with_for_update()
    )
    return result.scalar_one_or_none()


async def lifetime_earned(
    session: ReadSession, pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """What each (user, currency) earned in all time, in smallest units."""
    wanted = sorted(set(pairs))
    if not wanted:
        return {}
    users = {user for user, _ in wanted}
    currencies = {currency for _, currency in wanted}
    rows = await session.execute(
        select(Account.user_id, Account.currency_id, Account.lifetime_earned).where(
            Account.user_id.in_(sorted(users)), Account.currency_id.in_(sorted(currencies))
        )
    )
    return {(u, c): int(units) for u, c, units in rows.tuples()}


async def user_state(session: ReadSession, user_id: str) -> str | None:
    result = await session.execute(select(User.state).where(User.id == user_id))
    return result.scalar_one_or_none()


@dataclass(frozen=True)
class Upline:
    """The referrers who share a referred user's earnings: the first level (the user's own
    referral) and the second (the referrer's referral), both rewarded, referrers not
    blocked (None where there is none)."""

    link_id: str
    rule_id: str
    first: str | None
    second: str | None


async def uplines(
    session: ReadSession, website_id: str, user_ids: Iterable[str]
) -> dict[str, Upline]:
    """The upline of each of these users with a rewarded referral, by user id."""
    parent = aliased(Referral)
    first, second = aliased(User), aliased(User)
    rows = await session.execute(
        select(
            Referral.user_id,
            Referral.id,
            Referral.rule_id,
            Referral.referrer_id,
            first.state,
            parent.referrer_id,
            second.state,
        )
        .join(first, first.id == Referral.referrer_id)
        .outerjoin(
            parent,
            and_(
                parent.website_id == Referral.website_id,
                parent.user_id == Referral.referrer_id,
                parent.rewarded_at.is_not(None),
            ),
        )
        .outerjoin(second, second.id == parent.referrer_id)
        .where(
            Referral.website_id == website_id,
            Referral.user_id.in_(sorted(set(user_ids))),
            Referral.rewarded_at.is_not(None),
        )
    )
    return {
        user_id: Upline(
            link_id,
            rule_id,
            referrer if state != "blocked" else None,
            grand if grand is not None and grand_state != "blocked" else None,
        )
        for user_id, link_id, rule_id, referrer, state, grand, grand_state in rows.tuples()
    }


_ADD_SHARES = (
    update(Referral)
    .where(Referral.id == bindparam("link"))
    .values(
        tier1_units=Referral.tier1_units + bindparam("tier1"),
        tier2_units=Referral.tier2_units + bindparam("tier2"),
        updated_at=bindparam("moment"),
    )
)


async def add_shares(session: WriteSession, rows: list[dict[str, Any]]) -> None:
    """Add to the share totals of referrals (``link``, ``tier1``, ``tier2``, ``moment``)."""
    if rows:
        connection = await session.connection()
        await connection.execute(_ADD_SHARES, rows)


@dataclass(frozen=True)
class ReferralFilter:
    scope: Scope
    rule_id: str | None = None
    # The referrer, by user id or wallet address (either matches).
    referrer_ids: Sequence[str] = ()
    referrer_wallets: Sequence[str] = ()


@dataclass(frozen=True)
class ReferralRow:
    referral: Referral
    code: ReferralCode
    wallet_address: str | None
    # The referral rule's currency: the one its shares are paid in.
    rule_currency_id: str


async def list_referrals(
    session: ReadSession, f: ReferralFilter, *, starting_after: str | None, limit: int
) -> list[ReferralRow]:
    """Referrals in creation order, ``limit + 1`` of them."""
    query = (
        select(Referral, ReferralCode, User.wallet_address, Rule.currency_id)
        .join(ReferralCode, ReferralCode.id == Referral.code_id)
        .join(User, User.id == Referral.user_id)
        .join(Rule, Rule.id == Referral.rule_id)
    )
    query = f.scope.apply(query, Referral)
    if f.rule_id is not None:
        query = query.where(Referral.rule_id == f.rule_id)
    if f.referrer_ids or f.referrer_wallets:
        by_wallet = select(User.id).where(
            User.organization_id == f.scope.organization_id,
            User.wallet_address.in_(sorted(f.referrer_wallets)),
        )
        query = query.where(
            or_(
                Referral.referrer_id.in_(sorted(f.referrer_ids)),
                Referral.referrer_id.in_(by_wallet),
            )
        )
    if starting_after is not None:
        query = query.where(Referral.id > starting_after)
    rows = await session.execute(query.order_by(Referral.id).limit(limit + 1))
    return [ReferralRow(*row) for row in rows.tuples()]


@dataclass(frozen=True)
class Referrer:
    """Who referred a user, and whether the referral has paid (Snag's ``eligible``)."""

    user_id: str
    wallet_address: str | None
    eligible: bool


async def referrers_of(session: ReadSession, user_ids: Iterable[str]) -> dict[str, list[Referrer]]:
    """The referrer of each of these users that has one, in one query."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return {}
    rows = await session.execute(
        select(Referral.user_id, User.id, User.wallet_address, Referral.rewarded_at)
        .join(User, User.id == Referral.referrer_id)
        .where(Referral.user_id.in_(wanted))
        .order_by(Referral.user_id, Referral.id)
    )
    found: dict[str, list[Referrer]] = {}
    for user_id, referrer_id, wallet, rewarded_at in rows.tuples():
        found.setdefault(user_id, []).append(Referrer(referrer_id, wallet, rewarded_at is not None))
    return found
