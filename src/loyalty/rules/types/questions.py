"""poll and quiz: the user answers a question (``metadata.question``). A quiz has exactly one
correct choice; a poll may mark none. A rule may be created without its question, which can be
set later (here or through ``POST /api/loyalty/questions``).

The question's rows (``loyalty.questions``) follow this document: a choice that names its
``id`` (from ``GET /api/loyalty/questions``) keeps that choice, and its responses, when its
text changes; a choice without one is matched to the question's choices by its text."""

from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from loyalty.errors import FieldError
from loyalty.rules.definition import Draft, Metadata, Strict, Text
from loyalty.rules.registry import MANUAL, Capabilities, RuleType

MIN_CHOICES = 2
MAX_CHOICES = 100
SORT_MAX = 2_147_483_647


def _whole_number(value: Any) -> Any:
    """JSON numbers only: ``true`` or ``"2"`` are not positions."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a whole number")
    return value


class Choice(Strict):
    id: Annotated[str, Field(min_length=1, max_length=36)] | None = None
    text: Text | None = None
    isCorrect: bool | None = None
    sortIdentifier: (
        Annotated[int, BeforeValidator(_whole_number), Field(ge=0, le=SORT_MAX)] | None
    ) = None


class Question(Strict):
    text: Text | None = None
    choices: Annotated[list[Choice], Field(max_length=MAX_CHOICES)] | None = None
    allowMultipleAttempts: bool | None = None


class QuestionMetadata(Metadata):
    question: Question | None = None


def question_problems(draft: Draft) -> Iterator[FieldError]:
    m = draft.metadata
    assert isinstance(m, QuestionMetadata)
    question = m.question
    if question is None:
        return
    if not (question.text or "").strip():
        yield FieldError("metadata.question.text", "is required")
    choices = question.choices or []
    if len(choices) < MIN_CHOICES:
        yield FieldError(
            "metadata.question.choices", f"at least {MIN_CHOICES} choices are required"
        )
    yield from _repeated(choices, "text", lambda c: (c.text or "").strip().casefold())
    yield from _repeated(choices, "id", lambda c: c.id or "")
    for index, choice in enumerate(choices):
        if not (choice.text or "").strip():
            yield FieldError(f"metadata.question.choices[{index}].text", "is required")


def _repeated(choices: list[Choice], name: str, key: Any) -> Iterator[FieldError]:
    """A choice whose ``name`` (compared by ``key``; empty ones aside) repeats an earlier one."""
    seen: dict[str, int] = {}
    for index, choice in enumerate(choices):
        value = key(choice)
        if value and value in seen:
            yield FieldError(
                f"metadata.question.choices[{index}].{name}", f"repeats choices[{seen[value]}]"
            )
        seen.setdefault(value, index)


def check_poll(draft: Draft) -> Iterator[FieldError]:
    yield from question_problems(draft)


def check_quiz(draft: Draft) -> Iterator[FieldError]:
    yield from question_problems(draft)
    m = draft.metadata
    assert isinstance(m, QuestionMetadata)
    if m.question is None or not m.question.choices:
        return
    correct = sum(1 for choice in m.question.choices if choice.isCorrect)
    if correct != 1:
        yield FieldError(
            "metadata.question.choices",
            f"a quiz has exactly one correct choice (isCorrect true); {correct} given",
        )


PERIODS = frozenset({"once", "daily", "weekly", "monthly"})
ANSWERED = (
    "The user answers (`loyaltyQuestionChoiceId` in the completion, or a response recorded "
    "through `POST /api/loyalty/questions_responses`) and claims; only the user can answer, "
    "so manual only (seed 001). Without `allowMultipleAttempts` a user answers once per period "
    "of the rule's interval."
)

TYPES = [
    RuleType(
        "poll",
        "The user answers a poll; every answer counts.",
        QuestionMetadata,
        Capabilities(claim_types=MANUAL, intervals=PERIODS),
        check_poll,
        ANSWERED + " Any choice of the question completes it; answers are counted per choice.",
    ),
    RuleType(
        "quiz",
        "The user answers a quiz question; the correct choice completes it.",
        QuestionMetadata,
        Capabilities(claim_types=MANUAL, intervals=PERIODS),
        check_quiz,
        ANSWERED + " Only the one correct choice completes it; a wrong one is refused "
        '("Incorrect answer") and kept, so it is retried only with `allowMultipleAttempts`.',
    ),
]
