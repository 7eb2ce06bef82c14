"""Progress tracking (seed 000, Snag's rule status): a user's integer progress on a rule
whose ``metadata.trackProgress`` is true, set (``progress``) or added to (``incProgress``)
and kept within ``0..target``. The target is 100 for ``progressType: percentage`` (the
default) and the highest ``endRange`` for ``counter``.

A range is *reached* once progress is at least its ``startRange`` (a jump from 40 to 95
reaches 50-90 as well); the rule completes only at the target. Progress never rewards
anything by itself: the claim does.

The pure functions come first; ``update_progress`` is the one atomic write, and the list
query follows it.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, case, func, literal, select

from loyalty.db import ReadSession, WriteSession, dialect_insert
from loyalty.engine.decide import progress_target
from loyalty.engine.models import RuleProgress
from loyalty.errors import BusinessRefusal, FieldError
from loyalty.kit.clock import now
from loyalty.kit.ids import new_id
from loyalty.rules.models import Rule
from loyalty.rules.ranges import Span
from loyalty.users import service as users_service
from loyalty.users.models import User


class RuleDoesNotTrackProgress(BusinessRefusal):
    code = "rule_does_not_track_progress"


# ---------------------------------------------------------------------------- pure


def _metadata(definition: Mapping[str, Any]) -> Mapping[str, Any]:
    metadata = definition.get("metadata")
    return metadata if isinstance(metadata, Mapping) else {}


def _setting(definition: Mapping[str, Any], name: str) -> Any:
    """A progress setting: kept in metadata, also shown at the top level of the rule."""
    value = _metadata(definition).get(name)
    return definition.get(name) if value is None else value


def progress_type(definition: Mapping[str, Any]) -> str:
    """``percentage`` (the default) or ``counter``."""
    return "counter" if _setting(definition, "progressType") == "counter" else "percentage"


def _spans(definition: Mapping[str, Any]) -> list[Span]:
    ranges = _metadata(definition).get("range") or []
    return [Span(Decimal(str(r["startRange"])), Decimal(str(r["endRange"]))) for r in ranges]


def target(definition: Mapping[str, Any]) -> int:
    """The progress that completes the rule: 100 for a percentage, the highest range end
    (whole units, at most 2**63 - 1) for a counter. A counter always has ranges (the rule
    checks refuse one without); should one have none, it counts to 100."""
    return progress_target(progress_type(definition), [span.end for span in _spans(definition)])


def update_problems(
    definition: Mapping[str, Any], *, progress: int | None, inc: int | None
) -> list[FieldError]:
    """Values out of bounds: ``progress`` outside ``0..target``, ``incProgress`` outside
    ``-target..target`` (a negative increment lowers progress, never below 0)."""
    goal = target(definition)
    errors = []
    if progress is not None and not 0 <= progress <= goal:
        errors.append(FieldError("progress", f"must be between 0 and {goal}"))
    if inc is not None and not -goal <= inc <= goal:
        errors.append(FieldError("incProgress", f"must be between -{goal} and {goal}"))
    return errors


# ---------------------------------------------------------------------------- IO


async def user_for(
    session: WriteSession, rule: Rule, *, user_id: str | None, wallet: str | None
) -> str:
    """The id of the user named, in the rule's website (see ``users.service.user_for``)."""
    return await users_service.user_for(
        session, rule.organization_id, rule.website_id, user_id=user_id, wallet=wallet
    )


def _min_max(session: ReadSession) -> tuple[Any, Any]:
    """The dialect's scalar (two-argument) min and max."""
    if session.get_bind().dialect.name == "postgresql":
        return func.least, func.greatest
    return func.min, func.max


def _int(value: int) -> ColumnElement[int]:
    return literal(value, BigInteger())


async def update_progress(
    session: WriteSession,
    rule: Rule,
    user_id: str,
    *,
    progress: int | None = None,
    inc: int | None = None,
) -> RuleProgress:
    """Set (``progress``) or add to (``inc``) the user's progress on the rule, clamped to
    ``0..target``, in one atomic upsert: concurrent increments never lose one another.

    A row whose ``fulfilled_at`` is set (its progress was claimed in full) starts a new
    cycle: progress counts again from 0, ``cycle`` grows by one, ``fulfilled_at`` clears.
    The clamp is written so that no intermediate value leaves ``0..max(target, stored)``
    (no 64-bit overflow, whatever the target)."""
    if (progress is None) == (inc is None):
        raise ValueError("give exactly one of progress and inc")
    goal = target(rule.definition)
    least, greatest = _min_max(session)
    fulfilled = RuleProgress.fulfilled_at.is_not(None)
    base = case((fulfilled, _int(0)), else_=RuleProgress.progress)
    if progress is not None:
        first = max(0, min(goal, progress))
        value: ColumnElement[int] = _int(first)
    else:
        assert inc is not None
        first = max(0, min(goal, inc))
        if inc >= 0:
            # base + min(inc, goal - base): goal when that would pass it.
            value = base + least(_int(inc), _int(goal) - base)
        else:
            # base + max(inc, -base): never below 0; then within the goal.
            value = least(_int(goal), base + greatest(_int(inc), -base))
    moment = now()
    insert = dialect_insert(session)
    statement = (
        insert(RuleProgress)
        .values(
            id=new_id(),
            organization_id=rule.organization_id,
            website_id=rule.website_id,
            rule_id=rule.id,
            user_id=user_id,
            progress=first,
            cycle=0,
            fulfilled_at=None,
            created_at=moment,
            updated_at=moment,
        )
        .on_conflict_do_update(
            index_elements=[RuleProgress.rule_id, RuleProgress.user_id],
            set_={
                "progress": value,
                "cycle": case((fulfilled, RuleProgress.cycle + 1), else_=RuleProgress.cycle),
                "fulfilled_at": None,
                "updated_at": moment,
            },
        )
        .returning(RuleProgress)
    )
    result = await session.execute(statement, execution_options={"populate_existing": True})
    row: RuleProgress = result.scalar_one()
    return row


@dataclass(frozen=True)
class ProgressFilter:
    """Which progress rows a list shows: every given kind must match (any of its values)."""

    rule_ids: Sequence[str] = ()
    user_ids: Sequence[str] = ()
    # Normalised wallet addresses.
    wallets: Sequence[str] = ()


async def list_progress(
    session: ReadSession,
    organization_id: str,
    scope: frozenset[str] | None,
    f: ProgressFilter,
    *,
    starting_after: str | None,
    limit: int,
) -> Sequence[RuleProgress]:
    """Progress rows in creation order (ids are time-ordered), ``limit + 1`` of them."""
    query = select(RuleProgress).where(RuleProgress.organization_id == organization_id)
    if scope is not None:
        query = query.where(RuleProgress.website_id.in_(sorted(scope)))
    if f.rule_ids:
        query = query.where(RuleProgress.rule_id.in_(sorted(set(f.rule_ids))))
    if f.user_ids:
        query = query.where(RuleProgress.user_id.in_(sorted(set(f.user_ids))))
    if f.wallets:
        owners = select(User.id).where(
            User.organization_id == organization_id,
            User.wallet_address.in_(sorted(set(f.wallets))),
        )
        query = query.where(RuleProgress.user_id.in_(owners))
    if starting_after is not None:
        query = query.where(RuleProgress.id > starting_after)
    return (await session.scalars(query.order_by(RuleProgress.id).limit(limit + 1))).all()
