"""Use cases of users: finding a user by any identity, creating on first reference, and
keeping their profile (Snag's user metadata)."""

import math
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError

from loyalty.db import ReadSession, WriteSession
from loyalty.errors import Conflict, FieldError, NotFound, ValidationFailed, raise_if_any
from loyalty.tenancy.models import Website
from loyalty.users import repository
from loyalty.users.identity import normalize_wallet
from loyalty.users.models import User, UserMetadata
from loyalty.users.schemas import COLUMNS, EXTRA, INT32_MAX, max_length

EXTERNAL_IDENTIFIER = "externalIdentifier"
# The lengths of the identity columns users.wallet_address and users.external_identifier.
IDENTITY_LIMITS = {"walletAddress": 128, EXTERNAL_IDENTIFIER: 255}
NO_SUCH_USER = "no such user in this website"

# Called as ``hook(session, website, user, metadata, changes)`` after a user's profile is
# saved (``changes``: the fields the request set), in its transaction: a family re-checks
# what depends on the profile (a completed profile, a referral's requirements).
UserSaved = Callable[
    [WriteSession, Website, User, UserMetadata, Mapping[str, Any]], Awaitable[None]
]
USER_SAVED: list[UserSaved] = []


def on_user_saved(hook: UserSaved) -> UserSaved:
    if hook not in USER_SAVED:
        USER_SAVED.append(hook)
    return hook


async def ids_for_wallets(
    session: WriteSession, organization_id: str, website_id: str, wallets: Iterable[str]
) -> dict[str, str]:
    """User ids by normalised wallet address, creating users for wallets nobody has yet
    (as Snag does when a ledger entry names a new wallet)."""
    wanted = {normalize_wallet(w) for w in wallets}
    found = await repository.ids_by_wallets(session, website_id, wanted)
    missing = wanted - found.keys()
    if missing:
        await repository.insert_wallets(session, organization_id, website_id, missing)
        found |= await repository.ids_by_wallets(session, website_id, missing)
    return found


class UserNotFound(NotFound):
    code = "user_not_found"


async def existing_user(
    session: ReadSession, website_id: str, *, user_id: str | None, wallet: str | None
) -> str | None:
    """The id of the user a request names in a website: a ``userId`` must exist there (a
    400 naming ``userId`` otherwise, as for every id a request body names); a wallet
    address nobody has yet gives None."""
    if user_id is not None:
        if await repository.by_id(session, website_id, user_id) is None:
            raise ValidationFailed([FieldError("userId", NO_SUCH_USER)])
        return user_id
    if wallet is None:
        raise ValueError("a user id or a wallet address is needed")
    normalized = normalize_wallet(wallet)
    return (await repository.ids_by_wallets(session, website_id, {normalized})).get(normalized)


async def user_for(
    session: WriteSession,
    organization_id: str,
    website_id: str,
    *,
    user_id: str | None,
    wallet: str | None,
) -> str:
    """As ``existing_user``, and a wallet address nobody has yet creates its user."""
    found = await existing_user(session, website_id, user_id=user_id, wallet=wallet)
    if found is not None:
        return found
    assert wallet is not None
    created = await ids_for_wallets(session, organization_id, website_id, [wallet])
    return created[normalize_wallet(wallet)]


async def wallets_by_ids(
    session: ReadSession, website_id: str, user_ids: Iterable[str]
) -> dict[str, str | None]:
    """The website's users among these ids, with their wallet address (or None)."""
    wanted = set(user_ids)
    return await repository.wallets_by_ids(session, website_id, wanted) if wanted else {}


async def save_metadata(
    session: WriteSession,
    website: Website,
    *,
    user_id: str | None,
    wallet_address: str | None,
    changes: Mapping[str, Any],
) -> tuple[User, UserMetadata]:
    """Set the profile fields in ``changes`` (Snag's names; None clears) on the user named
    by ``user_id``, ``wallet_address`` or ``changes["externalIdentifier"]``, creating the
    user when a wallet or external identifier names nobody yet."""
    wallet = normalize_wallet(wallet_address) if wallet_address is not None else None
    raise_if_any(check_metadata(wallet, changes))
    external = changes.get(EXTERNAL_IDENTIFIER)
    user = await _find_or_create(session, website, user_id, wallet, external)
    _set_identities(user, wallet, changes)
    await _flush(session)
    metadata = await repository.metadata_for_update(session, user)
    _set_profile(user, metadata, changes)
    await _flush(session)
    for hook in USER_SAVED:
        await hook(session, website, user, metadata, changes)
    return user, metadata


def check_metadata(wallet: str | None, changes: Mapping[str, Any]) -> list[FieldError]:
    """Every field of a metadata write that cannot be stored, at once."""
    values = {**changes, "walletAddress": wallet}
    errors = [FieldError(name, "unknown field") for name in changes if not _known(name)]
    found = [_too_long(name, value) for name, value in values.items()]
    found += [_empty(name, values.get(name)) for name in ("walletAddress", EXTERNAL_IDENTIFIER)]
    found.append(
        _out_of_range("twitterUserFollowersCount", changes.get("twitterUserFollowersCount"))
    )
    found.append(_not_finite("sybilScore", changes.get("sybilScore")))
    return errors + [error for error in found if error is not None]


def _known(name: str) -> bool:
    return name in COLUMNS or name in EXTRA or name == EXTERNAL_IDENTIFIER


def _too_long(name: str, value: Any) -> FieldError | None:
    limit = IDENTITY_LIMITS.get(name) or max_length(name)
    if isinstance(value, str) and len(value) > limit:
        return FieldError(name, f"must be at most {limit} characters")
    return None


def _empty(name: str, value: Any) -> FieldError | None:
    return FieldError(name, "must not be empty") if value == "" else None


def _out_of_range(name: str, value: Any) -> FieldError | None:
    if isinstance(value, int) and not 0 <= value <= INT32_MAX:
        return FieldError(name, f"must be between 0 and {INT32_MAX}")
    return None


def _not_finite(name: str, value: Any) -> FieldError | None:
    if isinstance(value, float) and not math.isfinite(value):
        return FieldError(name, "must be a finite number")
    return None


async def _find_or_create(
    session: WriteSession,
    website: Website,
    user_id: str | None,
    wallet: str | None,
    external: str | None,
) -> User:
    user = await _resolve(session, website.id, user_id, wallet, external)
    if user is not None:
        return user
    if wallet is None and external is None:
        raise ValidationFailed(
            [FieldError("userId", "one of userId, walletAddress or externalIdentifier is required")]
        )
    await repository.insert_user(
        session, website.organization_id, website.id, wallet=wallet, external_identifier=external
    )
    # Resolved again: a concurrent request may have created a user with one of these.
    user = await _resolve(session, website.id, None, wallet, external)
    if user is None:
        raise Conflict("The user was changed by another request; retry", code="user_conflict")
    return user


async def _resolve(
    session: ReadSession,
    website_id: str,
    user_id: str | None,
    wallet: str | None,
    external: str | None,
) -> User | None:
    """The one user these identities name; 409 when they name different users."""
    found: list[User | None] = []
    if user_id is not None:
        found.append(await repository.by_id(session, website_id, user_id))
        if found[-1] is None:
            raise ValidationFailed([FieldError("userId", NO_SUCH_USER)])
    if wallet is not None:
        found += await repository.by_wallets(session, website_id, [wallet])
    if external is not None:
        found.append(await repository.by_external_identifier(session, website_id, external))
    users = {user.id: user for user in found if user is not None}
    if len(users) > 1:
        raise Conflict("These identities belong to different users", code="identity_conflict")
    return next(iter(users.values()), None)


def _set_identities(user: User, wallet: str | None, changes: Mapping[str, Any]) -> None:
    if wallet is not None and user.wallet_address != wallet:
        if user.wallet_address is not None:
            raise Conflict("The user already has another wallet address", code="identity_conflict")
        user.wallet_address = wallet
    if EXTERNAL_IDENTIFIER in changes:
        user.external_identifier = changes[EXTERNAL_IDENTIFIER]


def _set_profile(user: User, metadata: UserMetadata, changes: Mapping[str, Any]) -> None:
    for name, column in COLUMNS.items():
        if name in changes and name != "isBlocked":
            setattr(metadata, column, changes[name])
    extra = metadata.extra | {name: changes[name] for name in EXTRA if name in changes}
    metadata.extra = {name: value for name, value in extra.items() if value is not None}
    if "isBlocked" in changes:
        _set_blocked(user, metadata, bool(changes["isBlocked"]))


def _set_blocked(user: User, metadata: UserMetadata, blocked: bool) -> None:
    """A blocked user earns nothing; unblocking restores an enrolled member (a guest who
    was never blocked stays a guest)."""
    metadata.is_blocked = blocked
    if blocked:
        user.state = "blocked"
    elif user.state == "blocked":
        user.state = "enrolled"


async def _flush(session: WriteSession) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        # A unique identity (wallet or external identifier) taken by a concurrent request.
        raise Conflict(
            "This wallet address or external identifier belongs to another user",
            code="identity_conflict",
        ) from exc
