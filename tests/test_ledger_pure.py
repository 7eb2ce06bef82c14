"""Pure ledger arithmetic: amounts, deltas, lot allocation."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.ledger.amounts import from_units, round_to_units, to_units
from loyalty.ledger.balances import Delta, allocate, entry_delta, initial_status, sum_deltas


def test_units_are_exact() -> None:
    assert to_units(Decimal("1.25"), 2) == 125
    assert to_units(Decimal("7"), 0) == 7
    assert to_units(Decimal("0.000001"), 6) == 1
    with pytest.raises(ValueError, match="more than 2 decimal places"):
        to_units(Decimal("1.255"), 2)
    assert from_units(125, 2) == 1.25 and from_units(7, 0) == 7


def test_computed_amounts_round_toward_zero() -> None:
    assert round_to_units(Decimal("1.239"), 2) == 123
    assert round_to_units(Decimal("10") * Decimal("1.5") / 7, 0) == 2


def test_pending_only_for_future_credits() -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    assert initial_status("credit", now + timedelta(seconds=1), now) == "pending"
    assert initial_status("credit", now, now) == "approved"
    assert initial_status("credit", None, now) == "approved"
    assert initial_status("debit", now + timedelta(days=1), now) == "approved"


def test_deltas() -> None:
    assert entry_delta("credit", "approved", 5) == Delta(approved=5, lifetime_earned=5)
    assert entry_delta("credit", "pending", 5) == Delta(pending=5)
    assert entry_delta("debit", "approved", 3) == Delta(approved=-3, spent=3, debited=3)
    totals = sum_deltas(
        [
            ("a", "credit", "approved", 5),
            ("a", "debit", "approved", 2),
            ("b", "credit", "pending", 1),
        ]
    )
    assert totals == {
        "a": Delta(approved=3, spent=2, lifetime_earned=5, debited=2),
        "b": Delta(pending=1),
    }


@given(st.integers(0, 500), st.lists(st.integers(0, 100), max_size=10))
def test_allocation_takes_lots_in_order(amount: int, sizes: list[int]) -> None:
    lots = [(f"lot{i}", size) for i, size in enumerate(sizes)]
    taken = allocate(amount, lots)
    assert sum(t for _, t in taken) == min(amount, sum(sizes))
    assert all(t > 0 for _, t in taken)
    # Every lot before the last one taken is used up.
    remaining = dict(lots)
    for lot_id, t in taken[:-1]:
        assert t == remaining[lot_id]
