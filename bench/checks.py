"""Correctness after the run: the balances are exactly what the acknowledged writes say."""

from dataclasses import dataclass

from sqlalchemy import func, select

from loyalty.config import Settings
from loyalty.db import Database
from loyalty.ledger.models import Account, Entry


@dataclass(frozen=True)
class Check:
    name: str
    balances: int
    expected_balances: int
    entries: int
    expected_entries: int

    @property
    def ok(self) -> bool:
        return self.balances == self.expected_balances and self.entries == self.expected_entries

    def describe(self) -> str:
        verdict = "OK" if self.ok else "MISMATCH"
        return (
            f"{self.name}: {verdict}: sum of balances {self.balances} "
            f"(expected {self.expected_balances}), entries {self.entries} "
            f"(expected {self.expected_entries})"
        )


async def ledger_of(url: str, currency_id: str) -> tuple[int, int]:
    """The sum of the approved balances of the currency, and the number of its entries."""
    database = Database.connect(url, Settings(database_url=url))
    try:
        async with database.reading() as session:
            balances = await session.scalar(
                select(func.coalesce(func.sum(Account.approved), 0)).where(
                    Account.currency_id == currency_id
                )
            )
            entries = await session.scalar(
                select(func.count()).select_from(Entry).where(Entry.currency_id == currency_id)
            )
    finally:
        await database.dispose()
    return int(balances or 0), int(entries or 0)


async def check(
    name: str, url: str, currency_id: str, *, credited: int, debited: int, entries: int
) -> Check:
    balances, found = await ledger_of(url, currency_id)
    return Check(name, balances, credited - debited, found, entries)
