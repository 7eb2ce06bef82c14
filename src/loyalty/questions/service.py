"""Questions: the rows a quiz or poll rule's ``metadata.question`` stands for, kept in step
with the rule on every save, and the questions API over them.

The rule document is the one source: ``POST /api/loyalty/questions`` and
``POST /api/loyalty/questions/{id}`` change the rule's ``metadata.question`` through the rules
service (validated by the rule type, recorded as a rule edit, restorable), and the rule-saved
hook turns the document into rows. Both ways of editing a question are then one.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from loyalty.db import ReadSession, WriteSession
from loyalty.errors import Conflict, FieldError, NotFound, ValidationFailed, raise_if_any
from loyalty.kit.clock import now
from loyalty.kit.ids import new_id
from loyalty.ledger.repository import Scope, user_in_scope
from loyalty.questions import repository
from loyalty.questions.matching import Listed, Stored, match_choices
from loyalty.questions.models import Question, QuestionChoice, QuestionResponse
from loyalty.rules import service as rules_service
from loyalty.rules.models import Rule
from loyalty.tenancy.principal import Principal
from loyalty.users.service import UserNotFound

QUESTION_TYPES = frozenset({"quiz", "poll"})


class QuestionNotFound(NotFound):
    code = "question_not_found"


class QuestionExists(Conflict):
    code = "question_exists"


def scope_of(principal: Principal, websites: frozenset[str] | None = None) -> Scope:
    """The rows a key may read; ``websites`` narrows it (a list's checked website scope)."""
    return Scope(principal.organization_id, websites or principal.website_ids)


# --- the rule's document as rows ---------------------------------------------------------


@rules_service.on_rule_saved
async def sync(
    session: WriteSession, rule: Rule, _action: str, _previous: dict[str, Any] | None
) -> None:
    """Make the rule's question rows what its document says. A deleted rule, or one without
    ``metadata.question``, has its question marked deleted; restoring brings it back."""
    if rule.type not in QUESTION_TYPES:
        return
    doc = None if rule.deleted_at is not None else rule.definition["metadata"].get("question")
    row = await repository.question_of_rule(session, rule.id)
    moment = now()
    if doc is None:
        if row is not None and row.deleted_at is None:
            row.deleted_at = row.updated_at = moment
        return
    if row is None:
        row = Question(
            id=new_id(),
            organization_id=rule.organization_id,
            website_id=rule.website_id,
            rule_id=rule.id,
            created_at=moment,
        )
        session.add(row)
    row.text = doc["text"]
    row.allow_multiple_attempts = bool(doc.get("allowMultipleAttempts"))
    row.deleted_at = None
    row.updated_at = moment
    await _sync_choices(session, row, doc["choices"])
    await session.flush()


async def _sync_choices(
    session: WriteSession, question: Question, listed: Sequence[Mapping[str, Any]]
) -> None:
    stored = await repository.choices_of(session, [question.id], live=False)
    matched, errors = match_choices(
        [Listed(c.get("id"), c["text"]) for c in listed],
        [Stored(s.id, s.text, s.removed_at is None) for s in stored],
    )
    raise_if_any(errors)
    rows = {s.id: s for s in stored}
    moment = now()
    for position, (choice, choice_id) in enumerate(zip(listed, matched, strict=True)):
        row = rows.get(choice_id or "")
        if row is None:
            row = QuestionChoice(
                id=new_id(), website_id=question.website_id, question_id=question.id
            )
            row.created_at = moment
            session.add(row)
        row.text = choice["text"]
        row.is_correct = bool(choice.get("isCorrect"))
        sort = choice.get("sortIdentifier")
        row.sort_identifier = position if sort is None else sort
        row.position = position
        row.removed_at = None
        row.updated_at = moment
    for row in stored:
        if row.id not in matched and row.removed_at is None:
            row.removed_at = row.updated_at = moment


# --- the questions API -----------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    """A question as the API shows it: its live choices in display order, the responses
    per choice, and the latest response of the user a list asked about."""

    question: Question
    choices: Sequence[QuestionChoice]
    counts: Mapping[str, int] = field(default_factory=dict)
    user_response: QuestionResponse | None = None


async def create_question(
    session: WriteSession, principal: Principal, rule_id: str, question: dict[str, Any]
) -> Listing:
    """Give a quiz or poll rule that has none its question (``question`` is the rule
    document's ``metadata.question``)."""
    rule = await rules_service.rule_for(session, principal, rule_id, lock=True)
    if rule.type not in QUESTION_TYPES:
        raise ValidationFailed(
            [FieldError("loyaltyRuleId", f"is a {rule.type} rule: only quiz and poll rules ask")]
        )
    found = await repository.question_of_rule(session, rule.id, live=True)
    if found is not None:
        raise QuestionExists(
            f"This rule has a question already ({found.id}): change it with "
            "POST /api/loyalty/questions/{id}",
            questionId=found.id,
        )
    return await _save(session, principal, rule, question)


async def update_question(
    session: WriteSession, principal: Principal, question_id: str, question: dict[str, Any]
) -> Listing:
    """Replace a question's text and choices (``allowMultipleAttempts`` is kept unless
    ``question`` has it)."""
    row = await repository.live_question(session, scope_of(principal), question_id)
    if row is None:
        raise QuestionNotFound("Question not found")
    rule = await rules_service.rule_for(session, principal, row.rule_id, lock=True)
    kept = {"allowMultipleAttempts": row.allow_multiple_attempts}
    return await _save(session, principal, rule, {**kept, **question})


async def _save(
    session: WriteSession, principal: Principal, rule: Rule, question: dict[str, Any]
) -> Listing:
    metadata = {**rule.definition["metadata"], "question": question}
    await rules_service.update_rule(session, principal, rule.id, {"metadata": metadata})
    saved = await repository.question_of_rule(session, rule.id, live=True)
    assert saved is not None  # the rule-saved hook wrote it
    return (await listings(session, [saved]))[0]


async def list_questions(
    session: ReadSession,
    principal: Principal,
    websites: frozenset[str] | None,
    rule_ids: Sequence[str],
    *,
    user_id: str | None,
    starting_after: str | None,
    limit: int,
) -> Sequence[Listing]:
    """The live questions of these rules in creation order, ``limit + 1`` of them."""
    scope = scope_of(principal, websites)
    if user_id is not None and not await user_in_scope(session, scope, user_id):
        raise UserNotFound("User not found")
    rows = await repository.list_questions(
        session, scope, rule_ids, starting_after=starting_after, limit=limit
    )
    return await listings(session, rows, user_id=user_id)


async def listings(
    session: ReadSession, questions: Sequence[Question], *, user_id: str | None = None
) -> list[Listing]:
    ids = [q.id for q in questions]
    choices = await repository.choices_by_question(session, ids)
    counts = await repository.response_counts(session, ids)
    latest = await repository.latest_responses(session, ids, user_id) if user_id else {}
    return [Listing(q, choices.get(q.id, []), counts, latest.get(q.id)) for q in questions]
