"""Pure arithmetic of balances: what a set of new entries does to each account."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeVar

Direction = Literal["credit", "debit"]
K = TypeVar("K")


@dataclass(frozen=True)
class Delta:
    """Changes to one account's balance columns. ``approved`` and ``pending`` are net."""

    approved: int = 0
    pending: int = 0
    spent: int = 0
    lifetime_earned: int = 0
    debited: int = 0

    def __add__(self, other: "Delta") -> "Delta":
        return Delta(
            self.approved + other.approved,
            self.pending + other.pending,
            self.spent + other.spent,
            self.lifetime_earned + other.lifetime_earned,
            self.debited + other.debited,
        )


def initial_status(direction: Direction, approves_at: datetime | None, now: datetime) -> str:
    """A credit that approves later starts pending; everything else is approved at once."""
    if direction == "credit" and approves_at is not None and approves_at > now:
        return "pending"
    return "approved"


def entry_delta(direction: Direction, status: str, amount: int) -> Delta:
    if direction == "debit":
        return Delta(approved=-amount, spent=amount, debited=amount)
    if status == "pending":
        return Delta(pending=amount)
    return Delta(approved=amount, lifetime_earned=amount)


def sum_deltas(
    entries: Iterable[tuple[K, Direction, str, int]],
) -> dict[K, Delta]:
    """Per account, the sum of the deltas of ``(account, direction, status, amount)``."""
    totals: dict[K, Delta] = {}
    for account_id, direction, status, amount in entries:
        totals[account_id] = totals.get(account_id, Delta()) + entry_delta(
            direction, status, amount
        )
    return totals


def allocate(amount: int, lots: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    """Take ``amount`` from lots given soonest-expiring first: ``[(lot_id, taken), ...]``."""
    taken: list[tuple[str, int]] = []
    for lot_id, remaining in lots:
        if amount <= 0:
            break
        take = min(amount, remaining)
        if take > 0:
            taken.append((lot_id, take))
            amount -= take
    return taken
