"""Responses: answering a question through a completion (``loyaltyQuestionChoiceId`` in
``POST /api/loyalty/rules/{id}/complete``, the verifier's hooks below) or on its own
(``POST /api/loyalty/questions_responses``), and listing them.

Only a completion pays, and the pipeline pays a rule once per period; a response recorded on
its own is what a later completion without a choice stands on (Snag's "No question response
found" otherwise), and a completion naming the same choice stands on it as well, so an
answer is recorded once and paid once whichever way it came. Every response is recorded
with the user's row locked, as completions are, so a user's attempts are counted in order.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from loyalty.db import ReadSession, WriteSession
from loyalty.engine import decide, periods
from loyalty.engine.decide import Refusal, RuleView
from loyalty.engine.verify import ACCEPTED, Attempt, Verdict
from loyalty.errors import BusinessRefusal, NotFound
from loyalty.kit.clock import now
from loyalty.kit.ids import new_id
from loyalty.questions import repository
from loyalty.questions.answers import INCORRECT, Answer, Facts, Given, resolve, settling, verdict
from loyalty.questions.models import Question, QuestionChoice, QuestionResponse
from loyalty.questions.service import scope_of
from loyalty.tenancy.models import Website
from loyalty.tenancy.principal import Principal
from loyalty.users import repository as users_repository
from loyalty.users.service import existing_user

# Per transaction (``session.info``): the answer each completion claimed, by request id, for
# its hooks; and answers accepted but not written yet, for the later asks of the same batch.
CLAIMS = "loyalty.questions.claims"
PENDING = "loyalty.questions.pending"


class QuestionChoiceNotFound(NotFound):
    code = "question_choice_not_found"


@dataclass(frozen=True)
class Claimed:
    """The answer a completion's check settled on, for its hooks to record."""

    question: Question
    answer: Answer
    period: str


def period_now(view: RuleView, time_zone: str) -> str:
    """The period of the rule's interval it is now in: attempts are counted per period."""
    return periods.period_key(
        view.interval, now(), ZoneInfo(time_zone), unique="", custom_days=view.custom_days
    )


async def _facts(session: ReadSession, question: Question, view: RuleView) -> Facts:
    quiz = view.type == "quiz"
    choices = await repository.choices_of(session, [question.id])
    correct = {c.id: c.is_correct or not quiz for c in choices}
    return Facts(correct, quiz, question.allow_multiple_attempts, view.interval)


def _pending(session: ReadSession, question_id: str, user_id: str, period: str) -> list[Given]:
    """The answers this transaction accepted for the user but has not written yet."""
    held: dict[tuple[str, str, str], list[Given]] = session.info.setdefault(PENDING, {})
    return held.setdefault((question_id, user_id, period), [])


async def _given(session: ReadSession, question_id: str, user_id: str, period: str) -> list[Given]:
    rows = await repository.responses_in_period(session, question_id, user_id, period)
    recorded = [Given(r.id, r.choice_id, r.is_correct) for r in rows]
    return recorded + _pending(session, question_id, user_id, period)


# --- through a completion ----------------------------------------------------------------


async def judge_claim(session: WriteSession, attempt: Attempt) -> Verdict:
    """The verifier's check: the rule's question is set, the answer is one of its choices
    (or the user's recorded one), the period's attempts allow it, and a quiz's is correct.
    Writes nothing; remembers the answer for the hooks."""
    question = await repository.question_of_rule(session, attempt.rule.id, live=True)
    if question is None:
        kind = attempt.view.type.capitalize()
        return Verdict(False, f"{kind} question not configured", "question_not_configured")
    facts = await _facts(session, question, attempt.view)
    period = period_now(attempt.view, attempt.website.time_zone)
    given = await _given(session, question.id, attempt.user_id, period)
    found = resolve(facts, given, attempt.claim.question_choice_id)
    if isinstance(found, Refusal):
        return Verdict(False, found.message, found.code)
    session.info.setdefault(CLAIMS, {})[attempt.request_id] = Claimed(question, found, period)
    refusal = verdict(facts, found)
    if refusal is not None:
        return Verdict(False, refusal.message, refusal.code)
    if found.recorded is None:
        held = _pending(session, question.id, attempt.user_id, period)
        held.append(Given(None, found.choice_id, found.is_correct))
    return ACCEPTED


async def keep_wrong_answer(session: WriteSession, attempt: Attempt, refused: Verdict) -> None:
    """A wrong quiz answer is an attempt: kept, so that without ``allowMultipleAttempts``
    the user cannot answer again in the period."""
    if refused.code == INCORRECT.code:
        await _record_claim(session, attempt)


async def keep_paid_answer(
    session: WriteSession, attempt: Attempt, _parts: Sequence[Any]
) -> list[dict[str, Any]]:
    """A paid answer is recorded (it adds nothing to what the completion paid)."""
    await _record_claim(session, attempt)
    return []


async def _record_claim(session: WriteSession, attempt: Attempt) -> None:
    claimed: Claimed | None = session.info.get(CLAIMS, {}).pop(attempt.request_id, None)
    if claimed is None or claimed.answer.recorded is not None:
        return
    answer, period = claimed.answer, claimed.period
    held = _pending(session, claimed.question.id, attempt.user_id, period)
    written = Given(None, answer.choice_id, answer.is_correct)
    if written in held:
        held.remove(written)
    await _insert(session, claimed.question, attempt.user_id, answer, period, attempt.request_id)


async def _insert(
    session: WriteSession,
    question: Question,
    user_id: str,
    answer: Answer,
    period: str,
    request_id: str | None,
) -> QuestionResponse:
    row = QuestionResponse(
        id=new_id(),
        organization_id=question.organization_id,
        website_id=question.website_id,
        question_id=question.id,
        choice_id=answer.choice_id,
        user_id=user_id,
        is_correct=answer.is_correct,
        period=period,
        request_id=request_id,
        created_at=now(),
    )
    session.add(row)
    await session.flush()
    return row


# --- on its own ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submitted:
    response: QuestionResponse
    # True: the user had answered already and this is that response (nothing was recorded).
    already: bool


async def submit(
    session: WriteSession,
    principal: Principal,
    choice_id: str,
    user_id: str,
    website_id: str | None = None,
) -> Submitted:
    """Record the user's answer, unless a response of the period settles the question
    already (``answers.settling``): then that one is the answer."""
    scope = scope_of(principal, principal.website_scope(website_id))
    found = await repository.live_choice(session, scope, choice_id)
    if found is None:
        raise QuestionChoiceNotFound("Question choice not found")
    choice, question, rule = found
    await existing_user(session, question.website_id, user_id=user_id, wallet=None)
    view = RuleView.of(rule.id, rule.definition)
    await _may_answer(session, view, user_id)
    website = await session.get_one(Website, question.website_id)
    period = period_now(view, website.time_zone)
    rows = await repository.responses_in_period(session, question.id, user_id, period)
    facts = await _facts(session, question, view)
    closing = settling(facts, [Given(r.id, r.choice_id, r.is_correct) for r in rows])
    if closing is not None:
        return Submitted(next(r for r in rows if r.id == closing.id), already=True)
    answer = Answer(choice.id, facts.choices[choice.id])
    return Submitted(await _insert(session, question, user_id, answer, period, None), False)


async def _may_answer(session: WriteSession, view: RuleView, user_id: str) -> None:
    """The user's row is locked (as completions lock it); a blocked user, or a rule not
    open now, takes no answers."""
    states = await users_repository.lock_users(session, [user_id])
    if states.get(user_id) == "blocked":
        raise BusinessRefusal("This user is blocked", code="user_blocked")
    closed = decide.closed(view, now())
    if closed is not None:
        raise BusinessRefusal(closed.message, code=closed.code)


# --- listing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseListing:
    response: QuestionResponse
    question: Question
    # The question's live choices, in display order.
    choices: Sequence[QuestionChoice]


async def list_responses(
    session: ReadSession,
    principal: Principal,
    websites: frozenset[str] | None,
    wanted: repository.ResponseFilter,
    *,
    starting_after: str | None,
    limit: int,
) -> list[ResponseListing]:
    """Responses in the order they were given, ``limit + 1`` of them, with their question."""
    rows = await repository.list_responses(
        session, scope_of(principal, websites), wanted, starting_after=starting_after, limit=limit
    )
    questions = await repository.questions_by_ids(session, {r.question_id for r in rows})
    choices = await repository.choices_by_question(session, questions)
    return [
        ResponseListing(r, questions[r.question_id], choices.get(r.question_id, [])) for r in rows
    ]
