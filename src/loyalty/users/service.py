"""Use cases of users: finding a user by any identity, creating on first reference."""

from collections.abc import Iterable

from loyalty.db import ReadSession, WriteSession
from loyalty.users import repository
from loyalty.users.identity import normalize_wallet
from loyalty.users.models import User


async def users_for_wallets(
    session: WriteSession, organization_id: str, website_id: str, wallets: Iterable[str],
) -> dict[str, User]:
    """Users by normalised wallet address, created where none exists yet (as Snag does
    when a ledger entry names a new wallet)."""
    wanted = {normalize_wallet(w) for w in wallets}
    found = {u.wallet_address: u for u in await repository.by_wallets(session, website_id, wanted)}
    missing = wanted - found.keys()
    if missing:
        await repository.insert_wallets(session, organization_id, website_id, missing)
        for user in await repository.by_wallets(session, website_id, missing):
            found[user.wallet_address] = user
    return {w: u for w, u in found.items() if w is not None}


async def users_by_ids(
    session: ReadSession, website_id: str, user_ids: Iterable[str]
) -> dict[str, User]:
    return {u.id: u for u in await repository.by_ids(session, website_id, set(user_ids))}
