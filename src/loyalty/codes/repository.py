"""Queries of codes and imports."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, func, literal, select, true, update
from sqlalchemy.dialects.postgresql import ARRAY

from loyalty.codes.keys import code_key
from loyalty.codes.models import PromoCode, PromoCodeImport
from loyalty.db import ReadSession, WriteSession, dialect_insert
from loyalty.kit.clock import now
from loyalty.kit.ids import new_id
from loyalty.kit.types import UTCDateTime


@dataclass(frozen=True)
class RuleRef:
    """The rule codes belong to."""

    id: str
    organization_id: str
    website_id: str


async def insert_codes(
    session: WriteSession, rule: RuleRef, codes: Sequence[str], source: str
) -> int:
    """Add the codes a rule does not have yet (by key) in one statement, whatever their
    number: the codes travel as one array (PostgreSQL) or one JSON document (SQLite), and
    ``INSERT ... SELECT`` skips the keys the rule has. Returns how many were added."""
    if not codes:
        return 0
    rows = [(new_id(), code, code_key(code)) for code in codes]
    given = _code_rows(session, rows)
    table = PromoCode.__table__
    fixed = {
        "organization_id": literal(rule.organization_id),
        "website_id": literal(rule.website_id),
        "rule_id": literal(rule.id),
        "source": literal(source),
        "created_at": literal(now(), UTCDateTime()),
    }
    picked = select(given.c.id, given.c.code, given.c.code_key, *fixed.values())
    # WHERE true: SQLite would read the ON of ON CONFLICT as a join's otherwise.
    statement = (
        dialect_insert(session)(table)
        .from_select(["id", "code", "code_key", *fixed], picked.where(true()))
        .on_conflict_do_nothing(index_elements=["rule_id", "code_key"])
    )
    result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0))


def _code_rows(session: WriteSession, rows: list[tuple[str, str, str]]) -> Any:
    """``(id, code, code_key)`` rows as a table the database reads from one parameter."""
    if session.get_bind().dialect.name == "postgresql":
        columns = [
            bindparam(name, [row[i] for row in rows], ARRAY(String))
            for i, name in enumerate(("ids", "codes", "keys"))
        ]
        return (
            func.unnest(*columns)
            .table_valued("id", "code", "code_key")
            .render_derived(name="given")
        )
    items = func.json_each(json.dumps(rows)).table_valued("value").alias("items")
    return select(
        *(
            func.json_extract(items.c.value, f"$[{i}]").label(name)
            for i, name in enumerate(("id", "code", "code_key"))
        )
    ).subquery("given")


async def count_codes(session: ReadSession, rule_id: str, source: str) -> int:
    found = await session.scalar(
        select(func.count())
        .select_from(PromoCode)
        .where(PromoCode.rule_id == rule_id, PromoCode.source == source)
    )
    return int(found or 0)


@dataclass(frozen=True)
class HeldCode:
    id: str
    used_by_user_id: str | None


async def lock_code(session: WriteSession, rule_id: str, key: str) -> HeldCode | None:
    """The rule's code with this key, locked until the transaction ends: a concurrent
    claim of the same code waits, then reads it as this transaction left it."""
    row = (
        await session.execute(
            select(PromoCode.id, PromoCode.used_by_user_id)
            .where(PromoCode.rule_id == rule_id, PromoCode.code_key == key)
            .with_for_update()
        )
    ).first()
    return None if row is None else HeldCode(row.id, row.used_by_user_id)


async def spend_code(
    session: WriteSession,
    code_id: str,
    *,
    user_id: str,
    completion_id: str | None,
    request_id: str | None,
    at: datetime,
) -> bool:
    """Mark an unused code used; False when it was used already."""
    result = await session.execute(
        update(PromoCode)
        .where(PromoCode.id == code_id, PromoCode.used_by_user_id.is_(None))
        .values(
            used_by_user_id=user_id, used_at=at, completion_id=completion_id, request_id=request_id
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def codes_after(
    session: ReadSession, rule_id: str, after_id: str | None, limit: int
) -> Sequence[tuple[str, str, str | None]]:
    """``(id, code, used by)`` of a rule's codes in creation order, after ``after_id``."""
    query = select(PromoCode.id, PromoCode.code, PromoCode.used_by_user_id).where(
        PromoCode.rule_id == rule_id
    )
    if after_id is not None:
        query = query.where(PromoCode.id > after_id)
    # Core, not the ORM: an export reads a hundred thousand rows.
    connection = await session.connection()
    rows = await connection.execute(query.order_by(PromoCode.id).limit(limit))
    return rows.tuples().all()


async def import_for_update(session: WriteSession, import_id: str) -> PromoCodeImport | None:
    found: PromoCodeImport | None = await session.scalar(
        select(PromoCodeImport).where(PromoCodeImport.id == import_id).with_for_update()
    )
    return found


async def imports_of(
    session: ReadSession, rule_id: str, before_id: str | None, limit: int
) -> Sequence[PromoCodeImport]:
    """A rule's imports, newest first, before ``before_id``; ``limit`` rows at most."""
    query = select(PromoCodeImport).where(PromoCodeImport.rule_id == rule_id)
    if before_id is not None:
        query = query.where(PromoCodeImport.id < before_id)
    found = await session.scalars(query.order_by(PromoCodeImport.id.desc()).limit(limit))
    return found.all()
