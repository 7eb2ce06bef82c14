"""Use case: a transaction asked for through the API. Resolves users and currencies,
checks every entry (reporting all bad fields at once), then posts it to the ledger."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from loyalty.db import WriteSession
from loyalty.errors import FieldError, ValidationFailed
from loyalty.kit.ids import new_id
from loyalty.ledger import service
from loyalty.ledger.amounts import to_units
from loyalty.ledger.balances import Direction
from loyalty.ledger.currencies import CurrencyCache, CurrencyTerms, currency_terms
from loyalty.tenancy.principal import Principal
from loyalty.users import service as users_service
from loyalty.users.identity import normalize_wallet


@dataclass(frozen=True)
class RequestedEntry:
    amount: Decimal
    direction: Direction
    user_id: str | None
    wallet_address: str | None
    currency_id: str | None
    idempotency_key: str | None
    approves_at: datetime | None = None
    expires_at: datetime | None = None
    metadata: dict[str, Any] | None = None


@dataclass
class Result:
    posted: service.Posted
    # Wallet address (or None) of every user the transaction names.
    wallets: dict[str, str | None]
    currencies: dict[str, CurrencyTerms]


@dataclass
class Identities:
    """The users a transaction names: ids by normalised wallet, wallets by user id."""

    by_wallet: dict[str, str]
    wallet_of: dict[str, str | None]


async def create_transaction(
    session: WriteSession,
    principal: Principal,
    *,
    description: str,
    currency_id: str | None,
    entries: Sequence[RequestedEntry],
    website_id: str | None = None,
    cache: CurrencyCache | None = None,
) -> Result:
    currencies, errors = await _currencies(
        session, principal, currency_id, entries, website_id, cache
    )
    if not currencies:
        raise ValidationFailed(errors)
    website = _one_website(currencies, website_id)
    organization_id = principal.organization_id
    users = await _users(session, organization_id, website, entries)
    lines, line_errors = _lines(entries, currency_id, currencies, users)
    if errors or line_errors:
        raise ValidationFailed(sorted(errors + line_errors, key=_entry_index))
    posted = await service.post_transaction(
        session,
        organization_id=organization_id,
        website_id=website,
        description=description,
        type="api_key",
        lines=lines,
        currencies=currencies,
    )
    return Result(posted, users.wallet_of, currencies)


def _entry_index(error: FieldError) -> int:
    """Errors in entry order: ``entries[12].amount`` after ``entries[2].userId``."""
    if not error.field.startswith("entries["):
        return -1
    return int(error.field[len("entries[") : error.field.index("]")])


def _currency_of(entry: RequestedEntry, default: str | None) -> str | None:
    return entry.currency_id or default


async def _currencies(
    session: WriteSession,
    principal: Principal,
    default: str | None,
    entries: Sequence[RequestedEntry],
    website_id: str | None,
    cache: CurrencyCache | None,
) -> tuple[dict[str, CurrencyTerms], list[FieldError]]:
    wanted = {c for e in entries if (c := _currency_of(e, default))}
    found = await currency_terms(
        session, principal.organization_id, principal.website_scope(website_id), wanted, cache
    )
    errors = []
    if default and default not in found:
        errors.append(FieldError("loyaltyCurrencyId", "no such loyalty currency"))
    for i, entry in enumerate(entries):
        currency = _currency_of(entry, default)
        if currency is None:
            errors.append(
                FieldError(f"entries[{i}].loyaltyCurrencyId", "required here or on the transaction")
            )
        elif entry.currency_id and default and entry.currency_id != default:
            errors.append(
                FieldError(
                    f"entries[{i}].loyaltyCurrencyId",
                    "use the entry-level or the transaction-level currency, not two different",
                )
            )
        elif entry.currency_id and entry.currency_id not in found:
            errors.append(FieldError(f"entries[{i}].loyaltyCurrencyId", "no such loyalty currency"))
    return found, errors


def _one_website(currencies: dict[str, CurrencyTerms], website_id: str | None) -> str:
    websites = {c.website_id for c in currencies.values()}
    if len(websites) > 1:
        raise ValidationFailed(
            [FieldError("entries", "all currencies of one transaction must belong to one website")]
        )
    return website_id or websites.pop()


async def _users(
    session: WriteSession,
    organization_id: str,
    website_id: str,
    entries: Sequence[RequestedEntry],
) -> Identities:
    wallet_of = await users_service.wallets_by_ids(
        session, website_id, {e.user_id for e in entries if e.user_id}
    )
    wallets = {e.wallet_address for e in entries if e.wallet_address and not e.user_id}
    by_wallet = (
        await users_service.ids_for_wallets(session, organization_id, website_id, wallets)
        if wallets
        else {}
    )
    return Identities(by_wallet, wallet_of | {i: w for w, i in by_wallet.items()})


def _lines(
    entries: Sequence[RequestedEntry],
    default_currency: str | None,
    currencies: dict[str, CurrencyTerms],
    users: Identities,
) -> tuple[list[service.Line], list[FieldError]]:
    """The ledger lines of the entries whose currency is known, and every error found."""
    errors: list[FieldError] = []
    lines: list[service.Line] = []
    seen_keys: set[str] = set()
    for i, entry in enumerate(entries):
        currency = currencies.get(_currency_of(entry, default_currency) or "")
        if currency is None:
            continue
        line_errors, line = _line(i, entry, currency, users, seen_keys)
        errors += line_errors
        if line is not None:
            lines.append(line)
    return lines, errors


def _line(
    i: int,
    entry: RequestedEntry,
    currency: CurrencyTerms,
    users: Identities,
    seen_keys: set[str],
) -> tuple[list[FieldError], service.Line | None]:
    at = f"entries[{i}]"
    errors: list[FieldError] = []
    user = _user_of(entry, users)
    if user is None:
        errors.append(FieldError(f"{at}.userId", "no such user in this website"))
    elif (
        entry.user_id
        and entry.wallet_address
        and users.wallet_of[user] != normalize_wallet(entry.wallet_address)
    ):
        errors.append(FieldError(f"{at}.walletAddress", "does not belong to userId"))
    try:
        units = to_units(entry.amount, currency.decimals)
    except ValueError as exc:
        errors.append(FieldError(f"{at}.amount", str(exc)))
        units = 0
    key = entry.idempotency_key or new_id()
    if key in seen_keys:
        errors.append(FieldError(f"{at}.idempotencyKey", "repeated within this transaction"))
    seen_keys.add(key)
    if entry.direction == "debit":
        errors += [
            FieldError(f"{at}.{name}", "only credits can have it")
            for name, value in (("approvesAt", entry.approves_at), ("expiresAt", entry.expires_at))
            if value
        ]
    if errors or user is None:
        return errors, None
    return [], service.Line(
        user,
        currency.id,
        entry.direction,
        units,
        key,
        entry.approves_at,
        entry.expires_at,
        metadata=entry.metadata,
    )


def _user_of(entry: RequestedEntry, users: Identities) -> str | None:
    if entry.user_id:
        return entry.user_id if entry.user_id in users.wallet_of else None
    return users.by_wallet.get(normalize_wallet(entry.wallet_address or ""))
