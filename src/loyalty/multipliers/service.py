"""Multipliers: factors on the points a user earns.

A multiplier is set through the API (for a wallet, optionally under an
``externalIdentifier``) or granted by a rule (``rule_id``, once per rule and user while it
is live, and possibly limited to some currencies). Several live multipliers of a user
multiply together: 1.5 and 2 make 3. Deleting one is soft (``deleted_at``).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum, auto
from typing import Literal

from sqlalchemy import ColumnElement, bindparam, select, update

from loyalty.db import ReadSession, WriteSession
from loyalty.errors import NotFound, field_errors
from loyalty.kit.clock import now
from loyalty.multipliers.models import Multiplier
from loyalty.tenancy.models import Website
from loyalty.tenancy.principal import Principal
from loyalty.users import service as users_service
from loyalty.users.identity import normalize_wallet
from loyalty.users.models import User, UserMetadata
from loyalty.users.repository import lock_users

# Bounds of a factor: above 0, at most a million, at most 18 decimal places (so it is
# stored exactly in its 64-character column).
MAX_FACTOR = Decimal(1_000_000)
MAX_PLACES = 18


class MultiplierNotFound(NotFound):
    code = "multiplier_not_found"


class Keep(Enum):
    """Marks a field an update leaves as it is, where None is a value (it clears it)."""

    KEEP = auto()


KEEP = Keep.KEEP
# A text to set (None clears it), or KEEP.
TextChange = str | Literal[Keep.KEEP] | None


# --- pure -----------------------------------------------------------------------------------


def factor_problem(factor: Decimal) -> str | None:
    """Why a factor is refused, or None."""
    if not factor.is_finite():
        return "must be a finite number"
    if factor <= 0:
        return "must be greater than 0"
    if factor > MAX_FACTOR:
        return f"must be at most {MAX_FACTOR}"
    if -int(factor.normalize().as_tuple().exponent) > MAX_PLACES:
        return f"must have at most {MAX_PLACES} decimal places"
    return None


def canonical(factor: Decimal) -> Decimal:
    """The factor without trailing zeros (1.50 -> 1.5, 2.00 -> 2), as it is stored."""
    normal = factor.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral_value() else normal


def applies_to(currency_ids: Sequence[str] | None, currency_id: str) -> bool:
    """Whether a multiplier limited to ``currency_ids`` (None: every currency) applies."""
    return currency_ids is None or currency_id in currency_ids


def combined_factor(
    multipliers: Iterable[tuple[Decimal, Sequence[str] | None]], currency_id: str
) -> Decimal:
    """The product of the factors that apply to the currency, from (factor, currency ids)
    pairs; 1 when none does. Several multipliers multiply together: 1.5 and 2 make 3."""
    product = Decimal(1)
    for factor, currency_ids in multipliers:
        if applies_to(currency_ids, currency_id):
            product *= factor
    return product


# --- used by the earning engine ---------------------------------------------------------------


async def active_factor(session: ReadSession, user_id: str, currency_id: str) -> Decimal:
    """The factor on what the user earns in the currency now: the product of their live
    multipliers that apply to it (limited to no currency, or to some including it).
    Several multipliers multiply together (1.5 and 2 make 3); 1 when there is none."""
    rows = await session.execute(
        select(Multiplier.multiplier, Multiplier.currency_ids).where(
            Multiplier.user_id == user_id, Multiplier.deleted_at.is_(None)
        )
    )
    return combined_factor(rows.tuples(), currency_id)


Factors = dict[str, list[tuple[Decimal, list[str] | None]]]

# A multiplier is live until it is deleted (revoked).
IS_LIVE = Multiplier.deleted_at.is_(None)
_LIVE = select(Multiplier.user_id, Multiplier.multiplier, Multiplier.currency_ids).where(
    Multiplier.user_id.in_(bindparam("ids", expanding=True)), IS_LIVE
)


async def live_multipliers(session: ReadSession, user_ids: Iterable[str]) -> Factors:
    """Every live multiplier of these users as (factor, currency ids), by user: what
    ``combined_factor`` needs to price a batch of completions with one query."""
    wanted = sorted(set(user_ids))
    found: Factors = {u: [] for u in wanted}
    if not wanted:
        return found
    connection = await session.connection()
    rows = await connection.execute(_LIVE, {"ids": wanted})
    for user_id, factor, currency_ids in rows.tuples():
        found[user_id].append((factor, currency_ids))
    return found


async def grant_multiplier(
    session: WriteSession,
    *,
    organization_id: str,
    website_id: str,
    user_id: str,
    factor: Decimal,
    rule_id: str | None,
    currency_ids: list[str] | None,
    title: str | None = None,
) -> Multiplier:
    """Give the user a multiplier. A rule's is granted once: while the user has a live
    multiplier of ``rule_id``, that one is returned unchanged. Without a rule, every call
    adds one.

    There is no unique key for (rule, user, live), so the user's row is locked first
    (until commit): grants to one user run one after the other, and the second sees the
    first's multiplier."""
    if problem := factor_problem(factor):
        raise ValueError(f"factor {factor} {problem}")
    await lock_users(session, [user_id])
    if rule_id is not None:
        live = await session.scalar(
            select(Multiplier)
            .where(
                Multiplier.rule_id == rule_id,
                Multiplier.user_id == user_id,
                Multiplier.deleted_at.is_(None),
            )
            .order_by(Multiplier.id)
            .limit(1)
        )
        if live is not None:
            return live
    moment = now()
    multiplier = Multiplier(
        organization_id=organization_id,
        website_id=website_id,
        user_id=user_id,
        multiplier=canonical(factor),
        title=title,
        rule_id=rule_id,
        currency_ids=list(currency_ids) if currency_ids is not None else None,
        created_at=moment,
        updated_at=moment,
    )
    session.add(multiplier)
    await session.flush()
    return multiplier


async def revoke_rule_multipliers(session: WriteSession, *, rule_id: str, user_id: str) -> int:
    """Delete the user's live multipliers granted by the rule; how many there were."""
    moment = now()
    statement = (
        update(Multiplier)
        .where(
            Multiplier.rule_id == rule_id,
            Multiplier.user_id == user_id,
            Multiplier.deleted_at.is_(None),
        )
        .values(deleted_at=moment, updated_at=moment)
        .returning(Multiplier.id)
        .execution_options(synchronize_session=False)
    )
    return len((await session.execute(statement)).all())


# --- the API's use cases ------------------------------------------------------------------------


@dataclass(frozen=True)
class Listed:
    """A multiplier with its user's wallet address."""

    multiplier: Multiplier
    wallet_address: str | None


async def create_multiplier(
    session: WriteSession,
    website: Website,
    *,
    wallet: str,
    factor: Decimal,
    title: str | None = None,
    description: str | None = None,
    external_identifier: str | None = None,
) -> Listed:
    """A new multiplier for the wallet's user (created if the wallet is new), on every
    currency."""
    if problem := factor_problem(factor):
        raise field_errors(("multiplier", problem))
    address = normalize_wallet(wallet)
    ids = await users_service.ids_for_wallets(
        session, website.organization_id, website.id, [address]
    )
    moment = now()
    multiplier = Multiplier(
        organization_id=website.organization_id,
        website_id=website.id,
        user_id=ids[address],
        multiplier=canonical(factor),
        title=title,
        description=description,
        external_identifier=external_identifier,
        created_at=moment,
        updated_at=moment,
    )
    session.add(multiplier)
    await session.flush()
    return Listed(multiplier, address)


async def multiplier_for(
    session: ReadSession, principal: Principal, multiplier_id: str, *, lock: bool = False
) -> Multiplier:
    """A live multiplier of the key's organization and websites: 404 otherwise."""
    query = select(Multiplier).where(
        Multiplier.id == multiplier_id,
        Multiplier.organization_id == principal.organization_id,
        Multiplier.deleted_at.is_(None),
    )
    if lock:
        query = query.with_for_update()
    result = await session.execute(query.execution_options(populate_existing=True))
    multiplier = result.scalar_one_or_none()
    if multiplier is None or not principal.may_use(multiplier.website_id):
        raise MultiplierNotFound("Loyalty multiplier not found")
    return multiplier


async def update_multiplier(
    session: WriteSession,
    principal: Principal,
    multiplier_id: str,
    *,
    factor: Decimal | None = None,
    title: TextChange = KEEP,
    description: TextChange = KEEP,
) -> Listed:
    """Change what is given: the factor when not None, ``title`` and ``description`` when
    not ``KEEP`` (None clears them)."""
    multiplier = await multiplier_for(session, principal, multiplier_id, lock=True)
    if factor is not None:
        if problem := factor_problem(factor):
            raise field_errors(("multiplier", problem))
        multiplier.multiplier = canonical(factor)
    if title is not KEEP:
        multiplier.title = title
    if description is not KEEP:
        multiplier.description = description
    multiplier.updated_at = now()
    await session.flush()
    return Listed(multiplier, await _wallet_of(session, multiplier.user_id))


async def delete_multiplier(
    session: WriteSession, principal: Principal, multiplier_id: str
) -> Multiplier:
    multiplier = await multiplier_for(session, principal, multiplier_id, lock=True)
    moment = now()
    multiplier.deleted_at = moment
    multiplier.updated_at = moment
    await session.flush()
    return multiplier


async def delete_by_external_identifier(
    session: WriteSession,
    organization_id: str,
    scope: frozenset[str] | None,
    external_identifier: str,
) -> list[Listed]:
    """Delete every live multiplier with this external identifier in the websites of
    ``scope`` (None: the organization's); those deleted, in id order (404 when none).
    One UPDATE, so of concurrent deletions each multiplier is reported by one."""
    moment = now()
    statement = update(Multiplier).where(
        Multiplier.organization_id == organization_id,
        Multiplier.external_identifier == external_identifier,
        Multiplier.deleted_at.is_(None),
    )
    if scope is not None:
        statement = statement.where(Multiplier.website_id.in_(sorted(scope)))
    statement = (
        statement.values(deleted_at=moment, updated_at=moment)
        .returning(Multiplier)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    deleted = sorted((await session.scalars(statement)).all(), key=lambda m: m.id)
    if not deleted:
        raise MultiplierNotFound("No live loyalty multiplier has this external identifier")
    wallets = await _wallets_of(session, [m.user_id for m in deleted])
    return [Listed(m, wallets.get(m.user_id)) for m in deleted]


async def _wallet_of(session: ReadSession, user_id: str) -> str | None:
    return (await _wallets_of(session, [user_id])).get(user_id)


async def _wallets_of(session: ReadSession, user_ids: Iterable[str]) -> dict[str, str | None]:
    rows = await session.execute(
        select(User.id, User.wallet_address).where(User.id.in_(sorted(set(user_ids))))
    )
    return dict(rows.tuples().all())


@dataclass(frozen=True)
class MultiplierFilter:
    """Which multipliers a list shows. Every given kind must match (any of its values)."""

    user_ids: Sequence[str] = ()
    # Normalised wallet addresses.
    wallets: Sequence[str] = ()
    external_identifier: str | None = None
    # Profile fields of the user (``userGroupId``, ...) that must equal the value.
    profile: Mapping[str, str] = field(default_factory=dict)


def _conditions(f: MultiplierFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if f.user_ids:
        conditions.append(Multiplier.user_id.in_(sorted(set(f.user_ids))))
    if f.wallets:
        conditions.append(User.wallet_address.in_(sorted(set(f.wallets))))
    if f.external_identifier is not None:
        conditions.append(Multiplier.external_identifier == f.external_identifier)
    for name, value in sorted(f.profile.items()):
        profiles = select(UserMetadata.user_id).where(UserMetadata.extra[name].as_string() == value)
        conditions.append(Multiplier.user_id.in_(profiles))
    return conditions


async def list_multipliers(
    session: ReadSession,
    organization_id: str,
    scope: frozenset[str] | None,
    wanted: MultiplierFilter,
    *,
    include_deleted: bool = False,
    starting_after: str | None = None,
    limit: int,
) -> tuple[list[Listed], bool]:
    """A page of multipliers in id order with their users' wallets, and whether more
    follow."""
    query = (
        select(Multiplier, User.wallet_address)
        .join(User, User.id == Multiplier.user_id)
        .where(Multiplier.organization_id == organization_id, *_conditions(wanted))
    )
    if scope is not None:
        query = query.where(Multiplier.website_id.in_(sorted(scope)))
    if not include_deleted:
        query = query.where(Multiplier.deleted_at.is_(None))
    if starting_after is not None:
        query = query.where(Multiplier.id > starting_after)
    query = query.order_by(Multiplier.id).limit(limit + 1)
    rows = [Listed(m, wallet) for m, wallet in (await session.execute(query)).tuples()]
    return rows[:limit], len(rows) > limit
