"""Queries of streaks, and of the rows they are read with."""

from collections.abc import Collection, Sequence

from sqlalchemy import select

from loyalty.db import ReadSession, WriteSession
from loyalty.streaks.models import Streak
from loyalty.users.models import User

CHECK_IN = "check_in"


async def lock_streak(session: WriteSession, rule_id: str, user_id: str) -> Streak | None:
    found: Streak | None = await session.scalar(
        select(Streak).where(Streak.rule_id == rule_id, Streak.user_id == user_id).with_for_update()
    )
    return found


async def users_named(
    session: ReadSession, website_ids: Collection[str], *, user_id: str | None, wallet: str | None
) -> list[User]:
    """The users of these websites with this id and/or this (normalised) wallet address."""
    query = select(User).where(User.website_id.in_(sorted(website_ids)))
    if user_id is not None:
        query = query.where(User.id == user_id)
    if wallet is not None:
        query = query.where(User.wallet_address == wallet)
    return list(await session.scalars(query))


async def streaks_of(
    session: ReadSession, rule_ids: Collection[str], user_ids: Collection[str]
) -> list[Streak]:
    rows = await session.scalars(
        select(Streak).where(Streak.rule_id.in_(sorted(rule_ids)), Streak.user_id.in_(user_ids))
    )
    return list(rows)


async def page_of_streaks(
    session: ReadSession, rule_ids: Collection[str], *, starting_after: str | None, limit: int
) -> Sequence[tuple[Streak, str | None]]:
    """Every user's streaks on these rules in id order, with the user's wallet address."""
    query = (
        select(Streak, User.wallet_address)
        .join(User, User.id == Streak.user_id)
        .where(Streak.rule_id.in_(sorted(rule_ids)))
        .order_by(Streak.id)
        .limit(limit)
    )
    if starting_after is not None:
        query = query.where(Streak.id > starting_after)
    return (await session.execute(query)).tuples().all()
