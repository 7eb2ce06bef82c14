"""Credits that nothing can refuse, written on PostgreSQL as one statement.

A batch of transactions whose every line is a credit, in currencies with no maximum and no
opening value, has no guard to check and no lot to consume: its rows are the transactions,
their entries and one balance change per account. PostgreSQL writes them with one
statement (data-modifying CTEs over arrays): the accounts are upserted with their deltas
(created when missing), and the entries take the account ids the upsert returns. That is
one round trip where the general path takes four (account ids, transactions, entries,
balances), and rows travel as a handful of arrays rather than as a parameter set per row.

Accounts are upserted in (user, currency) order, compared by code point as Python sorts,
which is the order in which the general path updates them: two batches touching the same
accounts wait on each other and never deadlock.
"""

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text

from loyalty.db import WriteSession
from loyalty.kit.ids import new_id
from loyalty.ledger.balances import sum_deltas
from loyalty.ledger.currencies import CurrencyTerms
from loyalty.ledger.rows import Line, core

_CREDITS = text(
    """
WITH delta AS (
    SELECT * FROM unnest(
        CAST(:a_id AS text[]), CAST(:a_organization AS text[]), CAST(:a_website AS text[]),
        CAST(:a_user AS text[]), CAST(:a_currency AS text[]), CAST(:a_approved AS bigint[]),
        CAST(:a_pending AS bigint[]), CAST(:a_earned AS bigint[])
    ) AS d(id, organization_id, website_id, user_id, currency_id, approved, pending, earned)
),
account AS (
    INSERT INTO accounts AS a (id, organization_id, website_id, user_id, currency_id,
        approved, pending, spent, expired, lifetime_earned, lock_version, created_at,
        updated_at)
    SELECT id, organization_id, website_id, user_id, currency_id, approved, pending, 0, 0,
        earned, 0, :moment, :moment
    FROM delta ORDER BY user_id COLLATE "C", currency_id COLLATE "C"
    ON CONFLICT (user_id, currency_id) DO UPDATE SET
        approved = a.approved + EXCLUDED.approved,
        pending = a.pending + EXCLUDED.pending,
        lifetime_earned = a.lifetime_earned + EXCLUDED.lifetime_earned,
        lock_version = a.lock_version + 1,
        updated_at = EXCLUDED.updated_at
    RETURNING a.id, a.user_id, a.currency_id
),
txn AS (
    INSERT INTO transactions (id, organization_id, website_id, description, type, rule_id,
        created_at)
    SELECT t.id, t.organization_id, t.website_id, t.description, t.type, t.rule_id, :moment
    FROM unnest(
        CAST(:t_id AS text[]), CAST(:t_organization AS text[]), CAST(:t_website AS text[]),
        CAST(:t_description AS text[]), CAST(:t_type AS text[]), CAST(:t_rule AS text[])
    ) AS t(id, organization_id, website_id, description, type, rule_id)
)
INSERT INTO ledger_entries (id, organization_id, website_id, transaction_id, account_id,
    user_id, currency_id, direction, amount, remaining, status, source, idempotency_key,
    lot_id, approves_at, expires_at, metadata, created_at, updated_at)
SELECT e.id, e.organization_id, e.website_id, e.transaction_id, account.id, e.user_id,
    e.currency_id, 'credit', e.amount, e.amount, e.status, e.source, e.idempotency_key, NULL,
    e.approves_at, e.expires_at, CAST(e.metadata AS jsonb), :moment, :moment
FROM unnest(
    CAST(:e_id AS text[]), CAST(:e_organization AS text[]), CAST(:e_website AS text[]),
    CAST(:e_transaction AS text[]), CAST(:e_user AS text[]), CAST(:e_currency AS text[]),
    CAST(:e_amount AS bigint[]), CAST(:e_status AS text[]), CAST(:e_source AS text[]),
    CAST(:e_key AS text[]), CAST(:e_approves AS timestamptz[]),
    CAST(:e_expires AS timestamptz[]), CAST(:e_metadata AS text[])
) WITH ORDINALITY AS e(id, organization_id, website_id, transaction_id, user_id,
    currency_id, amount, status, source, idempotency_key, approves_at, expires_at, metadata,
    n)
JOIN account ON account.user_id = e.user_id AND account.currency_id = e.currency_id
ORDER BY e.n
RETURNING id, account_id
"""
)


def applies(
    session: WriteSession, lines: Sequence[Line], currencies: Mapping[str, CurrencyTerms]
) -> bool:
    """Whether these entries can be written as one statement: PostgreSQL, credits only, in
    currencies with no maximum (nothing to refuse) and no opening value (no opening entry
    for an account the statement creates)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    for line in lines:
        terms = currencies[line.currency_id]
        if line.direction != "credit" or terms.maximum_value is not None:
            return False
        if terms.default_value:
            return False
    return True


async def write_credits(
    session: WriteSession,
    transactions: Sequence[Mapping[str, Any]],
    entries: Sequence[dict[str, Any]],
    currencies: Mapping[str, CurrencyTerms],
    moment: datetime,
) -> None:
    """Write the transactions, their credit entries (rows of ``entry_row`` whose
    ``account_id`` is filled in here) and the accounts' balances in one statement."""
    deltas = sum_deltas(
        ((r["user_id"], r["currency_id"]), "credit", r["status"], r["amount"]) for r in entries
    )
    keys = sorted(deltas)
    # Keys in one order, so two batches sharing keys wait on each other, never deadlock.
    ordered = sorted(entries, key=lambda row: (row["website_id"], row["idempotency_key"]))
    params: dict[str, Any] = {
        "moment": moment,
        "a_id": [new_id() for _ in keys],
        "a_organization": [currencies[c].organization_id for _, c in keys],
        "a_website": [currencies[c].website_id for _, c in keys],
        "a_user": [u for u, _ in keys],
        "a_currency": [c for _, c in keys],
        "a_approved": [deltas[k].approved for k in keys],
        "a_pending": [deltas[k].pending for k in keys],
        "a_earned": [deltas[k].lifetime_earned for k in keys],
        "t_id": [t["id"] for t in transactions],
        "t_organization": [t["organization_id"] for t in transactions],
        "t_website": [t["website_id"] for t in transactions],
        "t_description": [t["description"] for t in transactions],
        "t_type": [t["type"] for t in transactions],
        "t_rule": [t["rule_id"] for t in transactions],
        "e_id": [e["id"] for e in ordered],
        "e_organization": [e["organization_id"] for e in ordered],
        "e_website": [e["website_id"] for e in ordered],
        "e_transaction": [e["transaction_id"] for e in ordered],
        "e_user": [e["user_id"] for e in ordered],
        "e_currency": [e["currency_id"] for e in ordered],
        "e_amount": [e["amount"] for e in ordered],
        "e_status": [e["status"] for e in ordered],
        "e_source": [e["source"] for e in ordered],
        "e_key": [e["idempotency_key"] for e in ordered],
        "e_approves": [e["approves_at"] for e in ordered],
        "e_expires": [e["expires_at"] for e in ordered],
        "e_metadata": [_json(e["metadata"]) for e in ordered],
    }
    written = dict((await core(session).execute(_CREDITS, params)).tuples().all())
    if len(written) != len(entries):
        raise RuntimeError("the credit statement wrote fewer entries than it was given")
    for row in entries:
        row["account_id"] = written[row["id"]]


def _json(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value)
