"""poll and quiz: the user answers a question (``metadata.question``). A quiz has exactly one
correct choice; a poll has none. A rule may be created without its question, which can be
set later."""

from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import BeforeValidator

from loyalty.errors import FieldError
from loyalty.rules.definition import Draft, Metadata, Strict, Text
from loyalty.rules.registry import MANUAL, Capabilities, RuleType

MIN_CHOICES = 2


def _sort_identifier(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("must be a text or a whole number")
    return value


class Choice(Strict):
    text: Text | None = None
    isCorrect: bool | None = None
    sortIdentifier: Annotated[int | str, BeforeValidator(_sort_identifier)] | None = None


class Question(Strict):
    text: Text | None = None
    choices: list[Choice] | None = None
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
    seen: dict[str, int] = {}
    for index, choice in enumerate(choices):
        text = (choice.text or "").strip()
        if not text:
            yield FieldError(f"metadata.question.choices[{index}].text", "is required")
        elif text.casefold() in seen:
            yield FieldError(
                f"metadata.question.choices[{index}].text",
                f"repeats choices[{seen[text.casefold()]}]",
            )
        seen.setdefault(text.casefold(), index)


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
ANSWERED = "The user answers and claims; only the user can answer, so manual only (seed 001)."

TYPES = [
    RuleType(
        "poll",
        "The user answers a poll; every answer counts.",
        QuestionMetadata,
        Capabilities(claim_types=MANUAL, intervals=PERIODS),
        check_poll,
        ANSWERED + " Any choice completes it.",
    ),
    RuleType(
        "quiz",
        "The user answers a quiz question; the correct choice completes it.",
        QuestionMetadata,
        Capabilities(claim_types=MANUAL, intervals=PERIODS),
        check_quiz,
        ANSWERED + " Only the one correct choice completes it (allowMultipleAttempts: retries).",
    ),
]
