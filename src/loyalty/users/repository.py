from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, or_, select

from loyalty.db import ReadSession, WriteSession, dialect_insert
from loyalty.kit.clock import now
from loyalty.kit.ids import new_id
from loyalty.users.models import User, UserMetadata
from loyalty.users.schemas import COLUMNS


@dataclass(frozen=True)
class UserFilter:
    """Which users a list shows. Every given condition must hold."""

    organization_id: str
    # None: every website of the organization.
    scope: frozenset[str] | None
    user_ids: tuple[str, ...] = ()
    # Normalised addresses; each must be the user's.
    wallets: tuple[str, ...] = ()
    external_identifier: str | None = None
    # Profile fields by Snag's name (columns or ``extra`` keys) that must equal the value.
    profile: Mapping[str, str] = field(default_factory=dict)
    # Part of the display name, email address or wallet address, any case.
    search: str | None = None


async def by_id(session: ReadSession, website_id: str, user_id: str) -> User | None:
    result = await session.execute(
        select(User).where(User.id == user_id, User.website_id == website_id)
    )
    return result.scalar_one_or_none()


async def lock_users(session: WriteSession, user_ids: Iterable[str]) -> dict[str, str]:
    """Lock the users' rows FOR NO KEY UPDATE, in id order, and return their states. This
    serialises the work of each user (completions, claims, grants, revocations) without
    blocking the rows that merely reference the user (their foreign keys take KEY SHARE
    locks); one order everywhere means two transactions never wait on each other."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return {}
    rows = await session.execute(
        select(User.id, User.state)
        .where(User.id.in_(wanted))
        .order_by(User.id)
        .with_for_update(key_share=True)
    )
    return dict(rows.tuples().all())


async def by_ids(session: ReadSession, website_id: str, user_ids: Iterable[str]) -> Sequence[User]:
    result = await session.execute(
        select(User).where(User.website_id == website_id, User.id.in_(list(user_ids)))
    )
    return result.scalars().all()


async def by_wallets(
    session: ReadSession, website_id: str, wallets: Iterable[str]
) -> Sequence[User]:
    result = await session.execute(
        select(User).where(User.website_id == website_id, User.wallet_address.in_(list(wallets)))
    )
    return result.scalars().all()


async def ids_by_wallets(
    session: ReadSession, website_id: str, wallets: Iterable[str]
) -> dict[str, str]:
    """User ids by wallet address, read as plain columns (this is on the ledger's hot path)."""
    rows = await session.execute(
        _IDS_BY_WALLETS, {"website_id": website_id, "wallets": sorted(set(wallets))}
    )
    return {wallet: user_id for user_id, wallet in rows.tuples() if wallet is not None}


async def wallets_by_ids(
    session: ReadSession, website_id: str, user_ids: Iterable[str]
) -> dict[str, str | None]:
    """Wallet address (or None) by user id, for the users of the website among these ids."""
    rows = await session.execute(
        _WALLETS_BY_IDS, {"website_id": website_id, "ids": sorted(set(user_ids))}
    )
    return dict(rows.tuples().all())


_IDS_BY_WALLETS = select(User.id, User.wallet_address).where(
    User.website_id == bindparam("website_id"),
    User.wallet_address.in_(bindparam("wallets", expanding=True)),
)
_WALLETS_BY_IDS = select(User.id, User.wallet_address).where(
    User.website_id == bindparam("website_id"), User.id.in_(bindparam("ids", expanding=True))
)


async def metadata_by_user(
    session: ReadSession, user_ids: Iterable[str]
) -> dict[str, UserMetadata]:
    wanted = sorted(set(user_ids))
    if not wanted:
        return {}
    rows = await session.execute(select(UserMetadata).where(UserMetadata.user_id.in_(wanted)))
    return {m.user_id: m for m in rows.scalars()}


async def by_external_identifier(
    session: ReadSession, website_id: str, external_identifier: str
) -> User | None:
    result = await session.execute(
        select(User).where(
            User.website_id == website_id, User.external_identifier == external_identifier
        )
    )
    return result.scalar_one_or_none()


async def insert_wallets(
    session: WriteSession, organization_id: str, website_id: str, wallets: Iterable[str]
) -> None:
    """Create users for these wallets; a wallet another request created first is left be."""
    moment = now()
    rows = [
        {
            "id": new_id(),
            "organization_id": organization_id,
            "website_id": website_id,
            "wallet_address": wallet,
            "state": "enrolled",
            "created_at": moment,
            "updated_at": moment,
        }
        for wallet in sorted(set(wallets))
    ]
    if not rows:
        return
    statement = dialect_insert(session)(User).on_conflict_do_nothing(
        index_elements=["website_id", "wallet_address"]
    )
    await session.execute(statement, rows)


async def insert_user(
    session: WriteSession,
    organization_id: str,
    website_id: str,
    *,
    wallet: str | None,
    external_identifier: str | None,
) -> None:
    """Create a user with these identities, unless another request took one of them first
    (no conflict target: either unique key may be the one taken)."""
    moment = now()
    row = {
        "id": new_id(),
        "organization_id": organization_id,
        "website_id": website_id,
        "wallet_address": wallet,
        "external_identifier": external_identifier,
        "state": "enrolled",
        "created_at": moment,
        "updated_at": moment,
    }
    await session.execute(dialect_insert(session)(User).values(row).on_conflict_do_nothing())


async def metadata_for_update(session: WriteSession, user: User) -> UserMetadata:
    """The user's metadata row, created empty if missing, locked until the transaction ends
    so concurrent writers merge ``extra`` one after the other."""
    moment = now()
    row = {
        "user_id": user.id,
        "organization_id": user.organization_id,
        "website_id": user.website_id,
        "is_blocked": False,
        "extra": {},
        "created_at": moment,
        "updated_at": moment,
    }
    insert = dialect_insert(session)(UserMetadata).values(row)
    await session.execute(insert.on_conflict_do_nothing(index_elements=["user_id"]))
    query = select(UserMetadata).where(UserMetadata.user_id == user.id).with_for_update()
    result = await session.execute(query.execution_options(populate_existing=True))
    return result.scalar_one()


def _profile_equals(name: str, value: str) -> ColumnElement[bool]:
    column = COLUMNS.get(name)
    field: ColumnElement[Any] = (
        getattr(UserMetadata, column) if column else UserMetadata.extra[name].as_string()
    )
    return field == value


def _contains(term: str) -> ColumnElement[bool]:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return or_(
        UserMetadata.display_name.ilike(pattern, escape="\\"),
        UserMetadata.email_address.ilike(pattern, escape="\\"),
        User.wallet_address.ilike(pattern, escape="\\"),
    )


def _tenancy(wanted: UserFilter) -> list[ColumnElement[bool]]:
    conditions = [User.organization_id == wanted.organization_id]
    if wanted.scope is not None:
        conditions.append(User.website_id.in_(sorted(wanted.scope)))
    return conditions


def _conditions(wanted: UserFilter) -> list[ColumnElement[bool]]:
    conditions = _tenancy(wanted)
    if wanted.user_ids:
        conditions.append(User.id.in_(wanted.user_ids))
    conditions += [User.wallet_address == wallet for wallet in wanted.wallets]
    if wanted.external_identifier is not None:
        conditions.append(User.external_identifier == wanted.external_identifier)
    conditions += [_profile_equals(name, value) for name, value in wanted.profile.items()]
    if wanted.search:
        conditions.append(_contains(wanted.search))
    return conditions


def _page(query: Select[Any], key: Any, starting_after: str | None, limit: int) -> Select[Any]:
    if starting_after is not None:
        query = query.where(key > starting_after)
    return query.order_by(key).limit(limit + 1)


async def list_users(
    session: ReadSession, wanted: UserFilter, *, starting_after: str | None, limit: int
) -> list[tuple[User, UserMetadata | None]]:
    """Users in id order with their metadata (None when they have none), ``limit + 1``."""
    query = select(User, UserMetadata).outerjoin(UserMetadata, UserMetadata.user_id == User.id)
    query = _page(query.where(*_conditions(wanted)), User.id, starting_after, limit)
    return [(user, metadata) for user, metadata in (await session.execute(query)).tuples()]


async def count_users(session: ReadSession, wanted: UserFilter) -> int:
    query = select(func.count()).select_from(User).where(*_tenancy(wanted))
    return int((await session.execute(query)).scalar_one())


async def list_metadata(
    session: ReadSession, wanted: UserFilter, *, starting_after: str | None, limit: int
) -> list[tuple[UserMetadata, User]]:
    """Metadata rows (one per user, keyed by the user's id) in id order, ``limit + 1``."""
    query = select(UserMetadata, User).join(User, User.id == UserMetadata.user_id)
    query = _page(query.where(*_conditions(wanted)), UserMetadata.user_id, starting_after, limit)
    return [(metadata, user) for metadata, user in (await session.execute(query)).tuples()]
