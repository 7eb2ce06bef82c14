"""What a user's answer is, decided without IO from the question and the user's responses in
the current period of the rule's interval.

Without ``allowMultipleAttempts`` the first response of the period settles the question: the
user may only give that answer again. With it, a quiz is settled by its first correct
response, and a poll never is (every vote counts). A completion that names no choice stands
on the settling response, or else on the latest one.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from loyalty.engine.decide import Refusal

WHEN = {"daily": " today", "weekly": " this week", "monthly": " this month"}
INCORRECT = Refusal("incorrect_answer", "Incorrect answer")
MISSING = Refusal("question_response_missing", "No question response found")
INVALID = Refusal("question_choice_invalid", "This choice is not one of this question's choices")


@dataclass(frozen=True)
class Facts:
    """The question as answering it needs: its live choices (id -> correct; every poll
    choice is), whether it is a quiz, its attempts setting and the rule's interval."""

    choices: Mapping[str, bool]
    quiz: bool
    multiple: bool
    interval: str


@dataclass(frozen=True)
class Given:
    """A response of the user in the period (``id`` None: given earlier in this
    transaction, not written yet)."""

    id: str | None
    choice_id: str
    is_correct: bool


@dataclass(frozen=True)
class Answer:
    choice_id: str
    is_correct: bool
    # The response it is, when the user gave it already (nothing is recorded again).
    recorded: Given | None = None


def settling(facts: Facts, responses: Sequence[Given]) -> Given | None:
    """The response that closes the question for the period, if any (oldest first)."""
    if not facts.multiple:
        return responses[0] if responses else None
    if facts.quiz:
        return next((r for r in responses if r.is_correct), None)
    return None


def resolve(facts: Facts, responses: Sequence[Given], choice_id: str | None) -> Answer | Refusal:
    """The answer a completion claims: the choice it names, or the user's recorded one."""
    closing = settling(facts, responses)
    if choice_id is None:
        chosen = closing or (responses[-1] if responses else None)
        if chosen is None:
            return MISSING
        return Answer(chosen.choice_id, chosen.is_correct, chosen)
    if choice_id not in facts.choices:
        return INVALID
    if closing is not None:
        if closing.choice_id != choice_id:
            when = WHEN.get(facts.interval, "")
            return Refusal(
                "question_already_answered", f"You have already answered this question{when}"
            )
        return Answer(choice_id, closing.is_correct, closing)
    if responses and responses[-1].choice_id == choice_id:
        return Answer(choice_id, responses[-1].is_correct, responses[-1])
    return Answer(choice_id, facts.choices[choice_id])


def verdict(facts: Facts, answer: Answer) -> Refusal | None:
    """Why the answer does not complete the rule: a quiz pays only the correct choice."""
    return INCORRECT if facts.quiz and not answer.is_correct else None
