"""Currencies: what users earn and spend (points, XP, coins, a monetary wallet).

Bounds (``defaultValue``, ``minimumValue``, ``maximumValue``) are given in currency units
and stored as integers in the smallest unit, like every amount of the ledger.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from decimal import Decimal

from sqlalchemy import ColumnElement, bindparam, select

from loyalty.db import ReadSession, WriteSession
from loyalty.errors import FieldError, raise_if_any
from loyalty.kit.cache import TTLCache
from loyalty.ledger.amounts import to_units
from loyalty.ledger.models import Currency
from loyalty.tenancy.models import Website

MAX_DECIMALS = 6
# Amounts are BIGINT columns.
MAX_UNITS = 2**63 - 1
INT32 = 2**31


async def create_currency(
    session: WriteSession,
    website: Website,
    *,
    name: str,
    symbol: str,
    decimals: int,
    image_url: str | None = None,
    sort_id: int | None = None,
    default_value: Decimal | None = None,
    minimum_value: Decimal | None = None,
    maximum_value: Decimal | None = None,
) -> Currency:
    """A new currency of the website; every invalid field is reported at once."""
    values = {
        "defaultValue": default_value,
        "minimumValue": minimum_value,
        "maximumValue": maximum_value,
    }
    units, errors = bounds_in_units(values, decimals)
    raise_if_any(check_currency(name, symbol, decimals, sort_id) + errors)
    currency = Currency(
        organization_id=website.organization_id,
        website_id=website.id,
        name=name,
        symbol=symbol,
        decimals=decimals,
        image_url=image_url,
        sort_id=sort_id,
        default_value=units["defaultValue"],
        minimum_value=units["minimumValue"],
        maximum_value=units["maximumValue"],
    )
    session.add(currency)
    await session.flush()
    return currency


def check_currency(name: str, symbol: str, decimals: int, sort_id: int | None) -> list[FieldError]:
    errors = []
    if not 1 <= len(name.strip()) <= 255:
        errors.append(FieldError("name", "must be 1 to 255 characters"))
    if not 1 <= len(symbol.strip()) <= 32:
        errors.append(FieldError("symbol", "must be 1 to 32 characters"))
    if not 0 <= decimals <= MAX_DECIMALS:
        errors.append(FieldError("decimals", f"must be between 0 and {MAX_DECIMALS}"))
    if sort_id is not None and not -INT32 <= sort_id < INT32:
        errors.append(FieldError("sortId", "must be a 32-bit integer"))
    return errors


def bounds_in_units(
    values: Mapping[str, Decimal | None], decimals: int
) -> tuple[dict[str, int | None], list[FieldError]]:
    """The bounds in smallest units, and every bound that is invalid or out of order."""
    units: dict[str, int | None] = dict.fromkeys(values)
    if not 0 <= decimals <= MAX_DECIMALS:
        return units, []  # Precision means nothing until decimals is valid.
    errors = []
    for field, value in values.items():
        if value is not None:
            units[field], error = _in_units(field, value, decimals)
            errors += [error] if error else []
    return units, errors + _out_of_order(units)


def _in_units(field: str, value: Decimal, decimals: int) -> tuple[int | None, FieldError | None]:
    if not value.is_finite():
        return None, FieldError(field, "must be a finite number")
    try:
        units = to_units(value, decimals)
    except ValueError:
        places = f"at most {decimals} decimal places" if decimals else "no decimal places"
        return None, FieldError(field, f"must have {places} (the currency's decimals)")
    if abs(units) > MAX_UNITS:
        return None, FieldError(field, "is too large")
    return units, None


def _out_of_order(units: Mapping[str, int | None]) -> list[FieldError]:
    low, default, high = units["minimumValue"], units["defaultValue"], units["maximumValue"]
    errors = []
    if low is not None and low < 0:
        errors.append(FieldError("minimumValue", "must be at least 0"))
    if low is not None and default is not None and default < low:
        errors.append(FieldError("defaultValue", "must be at least minimumValue"))
    if high is not None and default is not None and default > high:
        errors.append(FieldError("defaultValue", "must be at most maximumValue"))
    if low is not None and high is not None and low > high:
        errors.append(FieldError("maximumValue", "must be at least minimumValue"))
    return errors


async def currency_in_website(
    session: ReadSession, website_id: str, currency_id: str
) -> Currency | None:
    """A currency of the website that has not been deleted."""
    result = await session.execute(
        select(Currency).where(
            Currency.id == currency_id,
            Currency.website_id == website_id,
            Currency.deleted_at.is_(None),
        )
    )
    return result.scalar_one_or_none()


def _in_scope(organization_id: str, scope: frozenset[str] | None) -> list[ColumnElement[bool]]:
    conditions = [Currency.organization_id == organization_id]
    if scope is not None:
        conditions.append(Currency.website_id.in_(sorted(scope)))
    return conditions


@dataclass(frozen=True)
class CurrencyTerms:
    """What the ledger needs of a currency: plain values, safe to share between requests."""

    id: str
    organization_id: str
    website_id: str
    decimals: int
    default_value: int | None = None
    minimum_value: int | None = None
    maximum_value: int | None = None

    @classmethod
    def of(cls, currency: Currency) -> "CurrencyTerms":
        return cls(*(getattr(currency, f.name) for f in fields(cls)))


_TERMS = select(*(getattr(Currency, f.name) for f in fields(CurrencyTerms))).where(
    Currency.organization_id == bindparam("organization_id"),
    Currency.id.in_(bindparam("ids", expanding=True)),
    Currency.deleted_at.is_(None),
)

# Terms by currency id, cached per process: every ledger write reads them. Bounds changed on
# a currency take effect within the cache's ttl.
CurrencyCache = TTLCache[str, CurrencyTerms]

# The process's currency terms, shared by the ledger's batcher and the earning pipeline;
# ``create_app`` sets its lifetime (LOYALTY_CURRENCY_CACHE_SECONDS).
TERMS: CurrencyCache = TTLCache(10.0)


async def currency_terms(
    session: ReadSession,
    organization_id: str,
    scope: frozenset[str] | None,
    currency_ids: Iterable[str],
    cache: CurrencyCache | None = None,
) -> dict[str, CurrencyTerms]:
    """The terms of the organization's live currencies among these ids (within ``scope``)."""
    wanted = set(currency_ids)
    found = {i: hit for i in wanted if cache is not None and (hit := cache.get(i)) is not None}
    if missing := sorted(wanted - found.keys()):
        rows = await session.execute(_TERMS, {"organization_id": organization_id, "ids": missing})
        for row in rows.tuples():
            terms = CurrencyTerms(*row)
            found[terms.id] = terms
            if cache is not None:
                cache.put(terms.id, terms)
    return {
        i: c
        for i, c in found.items()
        if c.organization_id == organization_id and (scope is None or c.website_id in scope)
    }


async def list_currencies(
    session: ReadSession,
    organization_id: str,
    scope: frozenset[str] | None,
    *,
    include_deleted: bool,
    starting_after: str | None,
    limit: int,
) -> Sequence[Currency]:
    """Currencies in id order, ``limit + 1`` of them so the caller knows if more follow."""
    query = select(Currency).where(*_in_scope(organization_id, scope))
    if not include_deleted:
        query = query.where(Currency.deleted_at.is_(None))
    if starting_after is not None:
        query = query.where(Currency.id > starting_after)
    result = await session.execute(query.order_by(Currency.id).limit(limit + 1))
    return result.scalars().all()
