"""Queries of questions, choices and responses."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from loyalty.db import ReadSession
from loyalty.ledger.repository import Scope
from loyalty.questions.models import Question, QuestionChoice, QuestionResponse
from loyalty.rules.models import Rule


async def question_of_rule(
    session: ReadSession, rule_id: str, *, live: bool = False
) -> Question | None:
    query = select(Question).where(Question.rule_id == rule_id)
    if live:
        query = query.where(Question.deleted_at.is_(None))
    found: Question | None = await session.scalar(query)
    return found


async def live_question(session: ReadSession, scope: Scope, question_id: str) -> Question | None:
    query = select(Question).where(Question.id == question_id, Question.deleted_at.is_(None))
    found: Question | None = await session.scalar(scope.apply(query, Question))
    return found


async def choices_of(
    session: ReadSession, question_ids: Iterable[str], *, live: bool = True
) -> Sequence[QuestionChoice]:
    """The questions' choices in display order (sort identifier, then place in the list)."""
    wanted = sorted(set(question_ids))
    if not wanted:
        return []
    query = select(QuestionChoice).where(QuestionChoice.question_id.in_(wanted))
    if live:
        query = query.where(QuestionChoice.removed_at.is_(None))
    order = (QuestionChoice.sort_identifier, QuestionChoice.position, QuestionChoice.id)
    return (await session.scalars(query.order_by(*order))).all()


async def choices_by_question(
    session: ReadSession, question_ids: Iterable[str]
) -> dict[str, list[QuestionChoice]]:
    """The questions' live choices in display order, by question id (none: absent)."""
    found: dict[str, list[QuestionChoice]] = {}
    for choice in await choices_of(session, question_ids):
        found.setdefault(choice.question_id, []).append(choice)
    return found


async def live_choice(
    session: ReadSession, scope: Scope, choice_id: str
) -> tuple[QuestionChoice, Question, Rule] | None:
    """A live choice of a live question of a live rule, within the scope."""
    query = (
        select(QuestionChoice, Question, Rule)
        .join(Question, Question.id == QuestionChoice.question_id)
        .join(Rule, Rule.id == Question.rule_id)
        .where(
            QuestionChoice.id == choice_id,
            QuestionChoice.removed_at.is_(None),
            Question.deleted_at.is_(None),
            Rule.deleted_at.is_(None),
        )
    )
    found = (await session.execute(scope.apply(query, Question))).tuples().one_or_none()
    return None if found is None else (found[0], found[1], found[2])


async def responses_in_period(
    session: ReadSession, question_id: str, user_id: str, period: str
) -> Sequence[QuestionResponse]:
    """The user's responses to the question in the period, oldest first."""
    query = select(QuestionResponse).where(
        QuestionResponse.question_id == question_id,
        QuestionResponse.user_id == user_id,
        QuestionResponse.period == period,
    )
    return (await session.scalars(query.order_by(QuestionResponse.id))).all()


async def list_questions(
    session: ReadSession,
    scope: Scope,
    rule_ids: Sequence[str],
    *,
    starting_after: str | None,
    limit: int,
) -> Sequence[Question]:
    """The live questions of these rules, in creation order, ``limit + 1`` of them."""
    query = scope.apply(
        select(Question).where(Question.rule_id.in_(rule_ids), Question.deleted_at.is_(None)),
        Question,
    )
    if starting_after is not None:
        query = query.where(Question.id > starting_after)
    return (await session.scalars(query.order_by(Question.id).limit(limit + 1))).all()


async def response_counts(session: ReadSession, question_ids: Iterable[str]) -> dict[str, int]:
    """Responses per choice of these questions (choices nobody chose are absent)."""
    wanted = sorted(set(question_ids))
    if not wanted:
        return {}
    rows = await session.execute(
        select(QuestionResponse.choice_id, func.count())
        .where(QuestionResponse.question_id.in_(wanted))
        .group_by(QuestionResponse.choice_id)
    )
    return {choice_id: int(count) for choice_id, count in rows.tuples()}


async def latest_responses(
    session: ReadSession, question_ids: Iterable[str], user_id: str
) -> dict[str, QuestionResponse]:
    """The user's latest response to each of these questions."""
    wanted = sorted(set(question_ids))
    if not wanted:
        return {}
    rows = await session.scalars(
        select(QuestionResponse)
        .where(QuestionResponse.question_id.in_(wanted), QuestionResponse.user_id == user_id)
        .order_by(QuestionResponse.id)
    )
    return {row.question_id: row for row in rows}


@dataclass(frozen=True)
class ResponseFilter:
    question_ids: Sequence[str] = ()
    user_id: str | None = None


async def list_responses(
    session: ReadSession,
    scope: Scope,
    wanted: ResponseFilter,
    *,
    starting_after: str | None,
    limit: int,
) -> Sequence[QuestionResponse]:
    """Responses in the order they were given, ``limit + 1`` of them."""
    query = scope.apply(select(QuestionResponse), QuestionResponse)
    if wanted.question_ids:
        query = query.where(QuestionResponse.question_id.in_(wanted.question_ids))
    if wanted.user_id is not None:
        query = query.where(QuestionResponse.user_id == wanted.user_id)
    if starting_after is not None:
        query = query.where(QuestionResponse.id > starting_after)
    return (await session.scalars(query.order_by(QuestionResponse.id).limit(limit + 1))).all()


async def questions_by_ids(session: ReadSession, ids: Iterable[str]) -> dict[str, Question]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await session.scalars(select(Question).where(Question.id.in_(wanted)))
    return {row.id: row for row in rows}
