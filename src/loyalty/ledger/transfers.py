"""Use case: a transaction asked for through the API. Resolves users and currencies,
checks every entry (reporting all bad fields at once), then posts it to the ledger."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from loyalty.db import WriteSession
from loyalty.errors import FieldError, LoyaltyError, ValidationFailed
from loyalty.kit.ids import new_id
from loyalty.ledger import service
from loyalty.ledger.amounts import to_units
from loyalty.ledger.balances import Direction
from loyalty.ledger.currencies import CurrencyCache, CurrencyTerms, currency_terms
from loyalty.ledger.rows import Line
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


@dataclass(frozen=True)
class TransferRequest:
    principal: Principal
    description: str
    currency_id: str | None
    entries: Sequence[RequestedEntry]
    website_id: str | None = None


@dataclass
class _Checked:
    """A request whose currencies are resolved (errors found so far are kept)."""

    request: TransferRequest
    currencies: dict[str, CurrencyTerms]
    website_id: str
    errors: list[FieldError]


async def create_transaction(
    session: WriteSession, request: TransferRequest, cache: CurrencyCache | None = None
) -> Result:
    """One request: posted whole, or refused with its error."""
    [outcome] = await create_transactions(session, [request], cache)
    if isinstance(outcome, LoyaltyError):
        raise outcome
    return outcome


async def create_transactions(
    session: WriteSession, requests: Sequence[TransferRequest], cache: CurrencyCache | None = None
) -> list[Result | LoyaltyError]:
    """Resolve and check every request with set-based reads, then post those that pass in
    one go. A request that fails its checks gets its error in its place; whether the rest
    may be committed without it is the caller's decision (users created on first touch
    for it are in the same transaction). A refusal while posting raises for all."""
    checked = [await _check(session, r, cache) for r in requests]
    identities = await _identities(session, [c for c in checked if isinstance(c, _Checked)])
    outcomes = [c if isinstance(c, LoyaltyError) else _lines_of(c, identities) for c in checked]
    valid = [o for o in outcomes if not isinstance(o, LoyaltyError)]
    posted = iter(
        await service.post_transactions(
            session,
            [
                service.NewTransaction(
                    c.request.principal.organization_id,
                    c.website_id,
                    c.request.description,
                    "api_key",
                    lines,
                )
                for c, lines in valid
            ],
            {i: t for c, _ in valid for i, t in c.currencies.items()},
        )
    )
    return [
        o
        if isinstance(o, LoyaltyError)
        else Result(next(posted), identities[o[0].website_id].wallet_of, o[0].currencies)
        for o in outcomes
    ]


async def _check(
    session: WriteSession, request: TransferRequest, cache: CurrencyCache | None
) -> "_Checked | LoyaltyError":
    try:
        currencies, errors = await _currencies(
            session,
            request.principal,
            request.currency_id,
            request.entries,
            request.website_id,
            cache,
        )
        if not currencies:
            raise ValidationFailed(errors)
        return _Checked(request, currencies, _one_website(currencies, request.website_id), errors)
    except LoyaltyError as exc:
        return exc


async def _identities(session: WriteSession, checked: Sequence[_Checked]) -> dict[str, Identities]:
    """The users every request names, resolved once per website."""
    by_website: dict[str, list[_Checked]] = {}
    for c in checked:
        by_website.setdefault(c.website_id, []).append(c)
    return {
        website_id: await _users(
            session,
            group[0].request.principal.organization_id,
            website_id,
            [e for c in group for e in c.request.entries],
        )
        for website_id, group in sorted(by_website.items())
    }


def _lines_of(
    checked: _Checked, identities: dict[str, Identities]
) -> "tuple[_Checked, list[Line]] | LoyaltyError":
    request = checked.request
    lines, line_errors = _lines(
        request.entries, request.currency_id, checked.currencies, identities[checked.website_id]
    )
    if checked.errors or line_errors:
        return ValidationFailed(sorted(checked.errors + line_errors, key=_entry_index))
    return checked, lines


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
) -> tuple[list[Line], list[FieldError]]:
    """The ledger lines of the entries whose currency is known, and every error found."""
    errors: list[FieldError] = []
    lines: list[Line] = []
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
) -> tuple[list[FieldError], Line | None]:
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
    return [], Line(
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
