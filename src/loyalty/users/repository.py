from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from loyalty.db import ReadSession, WriteSession
from loyalty.kit.clock import now
from loyalty.kit.ids import new_id
from loyalty.users.models import User


async def by_id(session: ReadSession, website_id: str, user_id: str) -> User | None:
    result = await session.execute(
        select(User).where(User.id == user_id, User.website_id == website_id))
    return result.scalar_one_or_none()


async def by_ids(session: ReadSession, website_id: str, user_ids: Iterable[str]) -> Sequence[User]:
    result = await session.execute(
        select(User).where(User.website_id == website_id, User.id.in_(list(user_ids))))
    return result.scalars().all()


async def by_wallets(
    session: ReadSession, website_id: str, wallets: Iterable[str]
) -> Sequence[User]:
    result = await session.execute(select(User).where(
        User.website_id == website_id, User.wallet_address.in_(list(wallets))))
    return result.scalars().all()


async def by_external_identifier(
    session: ReadSession, website_id: str, external_identifier: str
) -> User | None:
    result = await session.execute(select(User).where(
        User.website_id == website_id, User.external_identifier == external_identifier))
    return result.scalar_one_or_none()


async def insert_wallets(
    session: WriteSession, organization_id: str, website_id: str, wallets: Iterable[str]
) -> None:
    """Create users for these wallets; a wallet another request created first is left be."""
    moment = now()
    rows = [{"id": new_id(), "organization_id": organization_id, "website_id": website_id,
             "wallet_address": wallet, "state": "enrolled", "created_at": moment,
             "updated_at": moment} for wallet in sorted(set(wallets))]
    if not rows:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(User).on_conflict_do_nothing(
        index_elements=["website_id", "wallet_address"])
    await session.execute(statement, rows)
