"""Badges: creating, changing and deleting them, holding them (awarding, revoking), and
listing both.

A user holds a badge through one ``BadgeUser`` row per (badge, user): ``active`` while
held, ``revoked`` once taken back; awarding it again makes the same row active again.
Awards and revocations are single statements (INSERT ... ON CONFLICT DO UPDATE, UPDATE
... RETURNING) on that row, so concurrent awards of one badge to one user leave one
holding and report one award, whatever their number. Deleting a badge is soft: holders
keep their rows, and a deleted badge can no longer be awarded.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum, auto
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, func, select, update

from loyalty.badges.models import Badge, BadgeUser
from loyalty.db import ReadSession, WriteSession, dialect_insert
from loyalty.errors import FieldError, NotFound, field_errors, raise_if_any
from loyalty.kit.clock import now
from loyalty.kit.ids import new_id
from loyalty.rules.models import Rule
from loyalty.tenancy.models import Website
from loyalty.tenancy.principal import Principal
from loyalty.users import repository as users_repository
from loyalty.users import service as users_service
from loyalty.users.identity import normalize_wallet
from loyalty.users.models import User, UserMetadata

NAME_MAX = 255
ACTIVE = "active"
REVOKED = "revoked"
STATUSES = ("active", "inactive", "revoked")
Status = Literal["active", "inactive", "revoked"]


class BadgeNotFound(NotFound):
    code = "badge_not_found"


class BadgeUserNotFound(NotFound):
    code = "badge_user_not_found"


class Keep(Enum):
    """Marks a field an update leaves as it is, where None is a value (it clears it)."""

    KEEP = auto()


KEEP = Keep.KEEP
# A text to set (None clears it), or KEEP.
TextChange = str | Literal[Keep.KEEP] | None


def name_problem(name: str) -> str | None:
    """Why a badge name is refused, or None."""
    if not 1 <= len(name.strip()) <= NAME_MAX:
        return f"must be 1 to {NAME_MAX} characters"
    return None


# --- badges -------------------------------------------------------------------------------


async def create_badge(
    session: WriteSession,
    website: Website,
    *,
    name: str,
    description: str | None = None,
    image_url: str | None = None,
    hide_in_ui: bool = False,
) -> Badge:
    if problem := name_problem(name):
        raise field_errors(("name", problem))
    moment = now()
    badge = Badge(
        organization_id=website.organization_id,
        website_id=website.id,
        name=name,
        description=description,
        image_url=image_url,
        hide_in_ui=hide_in_ui,
        created_at=moment,
        updated_at=moment,
    )
    session.add(badge)
    await session.flush()
    return badge


async def existing_badge_ids(session: ReadSession, website_id: str, ids: Iterable[str]) -> set[str]:
    """Those of ``ids`` that are live badges of the website."""
    wanted = set(ids)
    if not wanted:
        return set()
    rows = await session.scalars(
        select(Badge.id)
        .where(Badge.website_id == website_id, Badge.id.in_(wanted), Badge.deleted_at.is_(None))
        # Held to commit, so a badge cannot be deleted under a rule that names it.
        .with_for_update(read=True)
    )
    return set(rows)


async def badge_for(
    session: ReadSession,
    principal: Principal,
    badge_id: str,
    *,
    lock: Literal["share", "update"] | None = None,
) -> Badge:
    """A live badge of the key's organization and websites: 404 otherwise. ``share``
    keeps it from being deleted until commit; ``update`` is for changing it."""
    query = select(Badge).where(
        Badge.id == badge_id,
        Badge.organization_id == principal.organization_id,
        Badge.deleted_at.is_(None),
    )
    if lock is not None:
        query = query.with_for_update(read=lock == "share")
    result = await session.execute(query.execution_options(populate_existing=True))
    badge = result.scalar_one_or_none()
    if badge is None or not principal.may_use(badge.website_id):
        raise BadgeNotFound("Loyalty badge not found")
    return badge


async def update_badge(
    session: WriteSession,
    principal: Principal,
    badge_id: str,
    *,
    name: str | None = None,
    hide_in_ui: bool | None = None,
    description: TextChange = KEEP,
    image_url: TextChange = KEEP,
) -> Badge:
    """Change what is given: ``name`` and ``hide_in_ui`` when not None, ``description``
    and ``image_url`` when not ``KEEP`` (None clears them)."""
    badge = await badge_for(session, principal, badge_id, lock="update")
    if name is not None and (problem := name_problem(name)):
        raise field_errors(("name", problem))
    if name is not None:
        badge.name = name
    if hide_in_ui is not None:
        badge.hide_in_ui = hide_in_ui
    if description is not KEEP:
        badge.description = description
    if image_url is not KEEP:
        badge.image_url = image_url
    badge.updated_at = now()
    await session.flush()
    return badge


async def delete_badge(session: WriteSession, principal: Principal, badge_id: str) -> Badge:
    """Soft-delete the badge. It waits for the transactions awarding it (they hold it
    shared); holders keep their rows, and it can no longer be awarded."""
    badge = await badge_for(session, principal, badge_id, lock="update")
    moment = now()
    badge.deleted_at = moment
    badge.updated_at = moment
    await session.flush()
    return badge


# --- holdings -------------------------------------------------------------------------------


async def award_badge(
    session: WriteSession,
    *,
    organization_id: str,
    website_id: str,
    badge_id: str,
    user_id: str,
    rule_id: str | None = None,
) -> bool:
    """Give the user the badge. True when they did not hold it actively before (a new
    holding, or a revoked or inactive one made active again, now naming ``rule_id``);
    False when they already held it, or when it is not a live badge of the website (a
    deleted badge is no longer awarded).

    Safe under concurrency: the badge is held shared until commit (it cannot be deleted
    meanwhile), and the holding is one upsert on its unique (badge, user) key, which
    changes a row only when it was not active: of concurrent awards, one returns True."""
    live = await session.scalar(
        select(Badge.id)
        .where(Badge.id == badge_id, Badge.website_id == website_id, Badge.deleted_at.is_(None))
        .with_for_update(read=True)
    )
    if live is None:
        return False
    moment = now()
    insert = dialect_insert(session)(BadgeUser).values(
        id=new_id(),
        organization_id=organization_id,
        website_id=website_id,
        badge_id=badge_id,
        user_id=user_id,
        status=ACTIVE,
        rule_id=rule_id,
        created_at=moment,
        updated_at=moment,
    )
    statement = insert.on_conflict_do_update(
        index_elements=[BadgeUser.badge_id, BadgeUser.user_id],
        set_={"status": ACTIVE, "rule_id": rule_id, "updated_at": moment},
        where=BadgeUser.status != ACTIVE,
    ).returning(BadgeUser.id)
    changed = (await session.execute(statement)).scalar_one_or_none()
    return changed is not None


async def revoke_badge(session: WriteSession, *, badge_id: str, user_id: str) -> bool:
    """Take the badge back: True when the user held it (active or inactive) and now it is
    revoked; False when they never held it or it was revoked already. One UPDATE, so of
    concurrent revocations one returns True."""
    statement = (
        update(BadgeUser)
        .where(
            BadgeUser.badge_id == badge_id,
            BadgeUser.user_id == user_id,
            BadgeUser.status != REVOKED,
        )
        .values(status=REVOKED, updated_at=now())
        .returning(BadgeUser.id)
        .execution_options(synchronize_session=False)
    )
    changed = (await session.execute(statement)).scalar_one_or_none()
    return changed is not None


async def holding_of(session: ReadSession, badge_id: str, user_id: str) -> BadgeUser | None:
    """The user's holding of the badge as stored now."""
    query = select(BadgeUser).where(BadgeUser.badge_id == badge_id, BadgeUser.user_id == user_id)
    result = await session.execute(query.execution_options(populate_existing=True))
    return result.scalar_one_or_none()


@dataclass(frozen=True)
class Holder:
    """Who a reward or revocation is for: a user id, a wallet address, or both (then
    they must name the same user)."""

    user_id: str | None = None
    wallet: str | None = None


async def reward(
    session: WriteSession, principal: Principal, badge_id: str, holder: Holder
) -> tuple[BadgeUser, bool]:
    """Award a live badge of the key's websites (404 otherwise) to the user, creating the
    user of a wallet nobody has yet. The holding, and whether it was not active before
    (rewarding a holder again changes nothing)."""
    badge = await badge_for(session, principal, badge_id, lock="share")
    user_id = await _holder_id(session, badge, holder, create=True)
    assert user_id is not None
    awarded = await award_badge(
        session,
        organization_id=badge.organization_id,
        website_id=badge.website_id,
        badge_id=badge.id,
        user_id=user_id,
    )
    holding = await holding_of(session, badge.id, user_id)
    assert holding is not None
    return holding, awarded


async def revoke(
    session: WriteSession, principal: Principal, badge_id: str, holder: Holder
) -> tuple[BadgeUser, bool]:
    """Revoke a live badge of the key's websites from the user: the holding (404 when the
    user never held it), and whether it was held until now."""
    badge = await badge_for(session, principal, badge_id, lock="share")
    user_id = await _holder_id(session, badge, holder, create=False)
    revoked = user_id is not None and await revoke_badge(
        session, badge_id=badge.id, user_id=user_id
    )
    holding = None if user_id is None else await holding_of(session, badge.id, user_id)
    if holding is None:
        raise BadgeUserNotFound("The user does not hold this badge")
    return holding, revoked


async def _holder_id(
    session: WriteSession, badge: Badge, holder: Holder, *, create: bool
) -> str | None:
    """The id of the user the holder names in the badge's website; a wallet nobody has
    yet gets a new user when ``create``, else None."""
    errors: list[FieldError] = []
    if holder.user_id is None and holder.wallet is None:
        errors.append(FieldError("userId", "userId or walletAddress is required"))
    user = None
    if holder.user_id is not None:
        user = await users_repository.by_id(session, badge.website_id, holder.user_id)
        if user is None:
            errors.append(FieldError("userId", "no such user in this website"))
    raise_if_any(errors)
    if holder.wallet is None:
        return user.id if user is not None else None
    wallet = normalize_wallet(holder.wallet)
    if user is not None:
        if user.wallet_address != wallet:
            raise field_errors(("walletAddress", "is not the wallet address of userId's user"))
        return user.id
    if create:
        ids = await users_service.ids_for_wallets(
            session, badge.organization_id, badge.website_id, [wallet]
        )
        return ids[wallet]
    found = await users_repository.ids_by_wallets(session, badge.website_id, [wallet])
    return found.get(wallet)


# --- lists ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HolderFilter:
    """Which holdings to show. Every given kind must match (any of its values)."""

    user_ids: Sequence[str] = ()
    # Normalised wallet addresses.
    wallets: Sequence[str] = ()
    statuses: Sequence[str] = ()
    # Profile fields of the holder (``userGroupId``, ...) that must equal the value.
    profile: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Holding:
    """A holding with what is shown beside it: the holder's wallet, the badge's hideInUi."""

    row: BadgeUser
    wallet_address: str | None
    hide_in_ui: bool


@dataclass(frozen=True)
class RuleRef:
    id: str
    name: str


@dataclass(frozen=True)
class BadgeListing:
    badge: Badge
    holdings: list[Holding]
    rules: list[RuleRef]


def _holder_conditions(f: HolderFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if f.user_ids:
        conditions.append(BadgeUser.user_id.in_(sorted(set(f.user_ids))))
    if f.wallets:
        conditions.append(User.wallet_address.in_(sorted(set(f.wallets))))
    if f.statuses:
        conditions.append(BadgeUser.status.in_(sorted(set(f.statuses))))
    for name, value in sorted(f.profile.items()):
        profiles = select(UserMetadata.user_id).where(UserMetadata.extra[name].as_string() == value)
        conditions.append(BadgeUser.user_id.in_(profiles))
    return conditions


def _page(query: Select[Any], key: Any, starting_after: str | None, limit: int) -> Select[Any]:
    if starting_after is not None:
        query = query.where(key > starting_after)
    return query.order_by(key).limit(limit + 1)


async def list_badges(
    session: ReadSession,
    organization_id: str,
    scope: frozenset[str] | None,
    *,
    badge_ids: Sequence[str] = (),
    include_deleted: bool = False,
    holders: HolderFilter = HolderFilter(statuses=(ACTIVE,)),
    starting_after: str | None = None,
    limit: int,
) -> tuple[list[BadgeListing], bool]:
    """A page of badges in id order and whether more follow, each with its holdings that
    match ``holders`` and the live rules that award it. Three queries, whatever the size
    of the page: the badges, the holdings of the page, the rules of its websites."""
    query = select(Badge).where(Badge.organization_id == organization_id)
    if scope is not None:
        query = query.where(Badge.website_id.in_(sorted(scope)))
    if badge_ids:
        query = query.where(Badge.id.in_(sorted(set(badge_ids))))
    if not include_deleted:
        query = query.where(Badge.deleted_at.is_(None))
    rows = (await session.scalars(_page(query, Badge.id, starting_after, limit))).all()
    badges = list(rows[:limit])
    holdings = await _holdings_of(session, badges, holders)
    rules = await _rules_awarding(session, organization_id, badges)
    listings = [BadgeListing(b, holdings.get(b.id, []), rules.get(b.id, [])) for b in badges]
    return listings, len(rows) > limit


# Holders listed with each badge by GET /api/loyalty/badges (the first ones, in id order:
# in order of award); GET /api/loyalty/badge_users pages through all of them.
HOLDERS_LISTED = 100


async def _holdings_of(
    session: ReadSession, badges: Sequence[Badge], holders: HolderFilter
) -> dict[str, list[Holding]]:
    if not badges:
        return {}
    hidden = {b.id: b.hide_in_ui for b in badges}
    place = (
        func.row_number()
        .over(partition_by=BadgeUser.badge_id, order_by=BadgeUser.id)
        .label("place")
    )
    ranked = (
        select(BadgeUser.id, place)
        .join(User, User.id == BadgeUser.user_id)
        .where(BadgeUser.badge_id.in_(sorted(hidden)), *_holder_conditions(holders))
        .subquery()
    )
    query = (
        select(BadgeUser, User.wallet_address)
        .join(ranked, ranked.c.id == BadgeUser.id)
        .join(User, User.id == BadgeUser.user_id)
        .where(ranked.c.place <= HOLDERS_LISTED)
        .order_by(BadgeUser.badge_id, BadgeUser.id)
    )
    found: dict[str, list[Holding]] = {}
    for row, wallet in (await session.execute(query)).tuples():
        found.setdefault(row.badge_id, []).append(Holding(row, wallet, hidden[row.badge_id]))
    return found


def badge_ids_of(definition: Mapping[str, Any]) -> set[str]:
    """The badges a rule document awards: its ``loyaltyBadgeId`` and its ranges'."""
    found = set()
    if isinstance(badge := definition.get("loyaltyBadgeId"), str):
        found.add(badge)
    metadata = definition.get("metadata")
    ranges = metadata.get("range") if isinstance(metadata, Mapping) else None
    for item in ranges if isinstance(ranges, list) else ():
        if isinstance(item, Mapping) and isinstance(badge := item.get("loyaltyBadgeId"), str):
            found.add(badge)
    return found


async def _rules_awarding(
    session: ReadSession, organization_id: str, badges: Sequence[Badge]
) -> dict[str, list[RuleRef]]:
    """The live rules naming each badge, in id order: one query over the rules of the
    badges' websites, filtered here (the document is JSON, queried alike on no dialect)."""
    if not badges:
        return {}
    wanted = {b.id for b in badges}
    query = (
        select(Rule.id, Rule.name, Rule.definition)
        .where(
            Rule.organization_id == organization_id,
            Rule.website_id.in_(sorted({b.website_id for b in badges})),
            Rule.deleted_at.is_(None),
        )
        .order_by(Rule.id)
    )
    found: dict[str, list[RuleRef]] = {}
    for rule_id, name, definition in (await session.execute(query)).tuples():
        for badge_id in sorted(badge_ids_of(definition) & wanted):
            found.setdefault(badge_id, []).append(RuleRef(rule_id, name))
    return found


async def list_holdings(
    session: ReadSession,
    organization_id: str,
    scope: frozenset[str] | None,
    *,
    badge_ids: Sequence[str] = (),
    holders: HolderFilter = HolderFilter(),
    include_deleted: bool = False,
    starting_after: str | None = None,
    limit: int,
) -> tuple[list[Holding], bool]:
    """A page of holdings in id order and whether more follow; those of deleted badges
    only with ``include_deleted``."""
    query = (
        select(BadgeUser, User.wallet_address, Badge.hide_in_ui)
        .join(User, User.id == BadgeUser.user_id)
        .join(Badge, Badge.id == BadgeUser.badge_id)
        .where(BadgeUser.organization_id == organization_id, *_holder_conditions(holders))
    )
    if scope is not None:
        query = query.where(BadgeUser.website_id.in_(sorted(scope)))
    if badge_ids:
        query = query.where(BadgeUser.badge_id.in_(sorted(set(badge_ids))))
    if not include_deleted:
        query = query.where(Badge.deleted_at.is_(None))
    rows = (await session.execute(_page(query, BadgeUser.id, starting_after, limit))).tuples()
    found = [Holding(row, wallet, hidden) for row, wallet, hidden in rows]
    return found[:limit], len(found) > limit
