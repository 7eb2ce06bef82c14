"""Rows of the ledger as the service writes them, and the way it writes them."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert

from loyalty.db import WriteSession
from loyalty.kit.ids import new_id
from loyalty.ledger.balances import Direction, initial_status
from loyalty.ledger.models import Entry, Transaction

# Built once; values travel as bind parameters.
INSERT_TRANSACTION = insert(Transaction)
INSERT_ENTRY = insert(Entry)


@dataclass(frozen=True)
class Line:
    """One entry to write. ``amount`` is in the currency's smallest unit and positive."""

    user_id: str
    currency_id: str
    direction: Direction
    amount: int
    idempotency_key: str
    approves_at: datetime | None = None
    expires_at: datetime | None = None
    source: str = "api"
    metadata: dict[str, Any] | None = None


def transaction_row(
    organization_id: str,
    website_id: str,
    type: str,
    description: str,
    moment: datetime,
    rule_id: str | None = None,
    id: str | None = None,
) -> dict[str, Any]:
    return {
        "id": id or new_id(),
        "organization_id": organization_id,
        "website_id": website_id,
        "description": description,
        "type": type,
        "rule_id": rule_id,
        "created_at": moment,
    }


def entry_row(
    transaction: dict[str, Any], account_id: str | None, line: Line, moment: datetime
) -> dict[str, Any]:
    status = initial_status(line.direction, line.approves_at, moment)
    return {
        "id": new_id(),
        "organization_id": transaction["organization_id"],
        "website_id": transaction["website_id"],
        "transaction_id": transaction["id"],
        "account_id": account_id,
        "user_id": line.user_id,
        "currency_id": line.currency_id,
        "direction": line.direction,
        "amount": line.amount,
        "remaining": line.amount if line.direction == "credit" else 0,
        "status": status,
        "source": line.source,
        "idempotency_key": line.idempotency_key,
        "lot_id": None,
        "approves_at": line.approves_at,
        "expires_at": line.expires_at,
        "metadata": line.metadata,
        "created_at": moment,
        "updated_at": moment,
    }


# Statements of the hot path, built once; values travel as bind parameters.
class CoreRunner:
    """Runs Core statements on the session's connection and transaction, skipping the
    ORM's unit-of-work bookkeeping that plain inserts and updates do not need."""

    def __init__(self, session: WriteSession) -> None:
        self.session = session

    async def execute(self, statement: Any, params: Any = None) -> Any:
        connection = await self.session.connection()
        return await connection.execute(statement, params)


def core(session: WriteSession) -> CoreRunner:
    return CoreRunner(session)
