"""Exact amounts. A currency with ``decimals = d`` stores integers in units of 10^-d;
arithmetic uses Decimal and computed amounts round toward zero (never over-credit)."""

from decimal import ROUND_DOWN, Decimal


def scale(decimals: int) -> Decimal:
    return Decimal(10) ** decimals


def to_units(value: Decimal | int | str, decimals: int) -> int:
    """An amount given in currency units, as stored; refuses more precision than it has."""
    exact = Decimal(value) * scale(decimals)
    if exact != exact.to_integral_value():
        raise ValueError(f"has more than {decimals} decimal places")
    return int(exact)


def round_to_units(value: Decimal, decimals: int) -> int:
    """A computed amount (after multipliers, shares) in stored units, rounded toward zero."""
    return int((value * scale(decimals)).to_integral_value(rounding=ROUND_DOWN))


def from_units(units: int, decimals: int) -> int | float:
    """Stored units as a JSON number in currency units."""
    if decimals == 0:
        return units
    return float(Decimal(units) / scale(decimals))
