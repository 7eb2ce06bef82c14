"""Quiz and poll questions in Snag's shapes: ``POST /api/loyalty/questions`` (create),
``POST /api/loyalty/questions/{id}`` (update), ``GET /api/loyalty/questions``, and the
responses, ``POST /api/loyalty/questions_responses`` (submit) and
``GET /api/loyalty/questions_responses``.

A question is its rule's ``metadata.question``: creating or changing one here changes the
rule (a rule edit), and a rule created with ``metadata.question`` is listed here; this list
is where a client finds the choice ids a completion names (``loyaltyQuestionChoiceId``).
Beyond Snag's fields, a listed question shows its ``loyaltyRuleId``,
``allowMultipleAttempts``, each choice's ``responseCount`` (poll results) and, with
``userId``, that user's latest response (``userResponse``).
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AfterValidator, BaseModel, Field

from loyalty.api.deps import PrincipalDep, ReadSessionDep, WriteSessionDep
from loyalty.api.snag.common import ERRORS, PageQuery, WireModel, list_scope
from loyalty.errors import FieldError, ValidationFailed
from loyalty.kit.pagination import Page, split_page
from loyalty.questions import responses, service
from loyalty.questions.models import QuestionChoice, QuestionResponse
from loyalty.questions.repository import ResponseFilter
from loyalty.rules.types.questions import MAX_CHOICES, SORT_MAX

router = APIRouter(tags=["questions"], responses=ERRORS)

Text = Annotated[str, Field(max_length=10_000)]
Id = Annotated[str, Field(min_length=1, max_length=36)]


class AnswerIn(WireModel):
    isCorrect: bool = Field(description="Whether this choice is correct (a quiz has one)")
    sortIdentifier: int = Field(ge=0, le=SORT_MAX, strict=True, description="Display order")
    text: Text
    id: Id | None = Field(None, description="A choice of this question to keep (its id)")


Answers = Annotated[list[AnswerIn], Field(max_length=MAX_CHOICES)]


class QuestionCreate(WireModel):
    loyaltyRuleId: Id
    questionText: Text
    loyaltyQuestionAnswers: Answers
    allowMultipleAttempts: bool | None = Field(None, description="Default false")


class QuestionUpdate(WireModel):
    questionText: Text
    loyaltyQuestionAnswers: Answers
    allowMultipleAttempts: bool | None = Field(None, description="Left out: unchanged")


class ChoiceOut(BaseModel):
    id: str
    sortIdentifier: int
    text: str
    responseCount: int = Field(description="Responses that chose it (poll results)")


class UserResponseOut(BaseModel):
    id: str
    loyaltyQuestionChoiceId: str
    isCorrect: bool
    createdAt: datetime


class QuestionOut(BaseModel):
    """Snag's question, with ``loyaltyRuleId``, ``allowMultipleAttempts`` and
    ``userResponse`` (null unless the list named a ``userId`` who answered)."""

    id: str
    text: str
    loyaltyQuestionChoices: list[ChoiceOut]
    loyaltyRuleId: str
    allowMultipleAttempts: bool
    userResponse: UserResponseOut | None = None

    @classmethod
    def of(cls, found: service.Listing) -> "QuestionOut":
        question, mine = found.question, found.user_response
        return cls(
            id=question.id,
            text=question.text,
            loyaltyQuestionChoices=[_choice(c, found.counts.get(c.id, 0)) for c in found.choices],
            loyaltyRuleId=question.rule_id,
            allowMultipleAttempts=question.allow_multiple_attempts,
            userResponse=None if mine is None else _mine(mine),
        )


def _choice(choice: QuestionChoice, count: int) -> ChoiceOut:
    return ChoiceOut(
        id=choice.id, sortIdentifier=choice.sort_identifier, text=choice.text, responseCount=count
    )


def _mine(row: QuestionResponse) -> UserResponseOut:
    return UserResponseOut(
        id=row.id,
        loyaltyQuestionChoiceId=row.choice_id,
        isCorrect=row.is_correct,
        createdAt=row.created_at,
    )


def _document(text: str, answers: list[AnswerIn], allow: bool | None) -> dict[str, Any]:
    """The rule's ``metadata.question`` these fields make."""
    choices = [a.model_dump(exclude_none=True) for a in answers]
    doc: dict[str, Any] = {"text": text, "choices": choices}
    if allow is not None:
        doc["allowMultipleAttempts"] = allow
    return doc


# Rule document paths and the request fields they come from.
_FIELDS = (
    ("metadata.question.choices", "loyaltyQuestionAnswers"),
    ("metadata.question.text", "questionText"),
    ("metadata.question.allowMultipleAttempts", "allowMultipleAttempts"),
)


def _wire(exc: ValidationFailed) -> ValidationFailed:
    """The rule's validation errors named by this request's fields."""

    def renamed(error: FieldError) -> FieldError:
        for path, name in _FIELDS:
            if error.field.startswith(path):
                return FieldError(name + error.field.removeprefix(path), error.message)
        return error

    return ValidationFailed([renamed(e) for e in exc.errors], exc.message)


@router.post("/api/loyalty/questions", status_code=201)
async def create_question(
    body: QuestionCreate, principal: PrincipalDep, session: WriteSessionDep
) -> QuestionOut:
    """Set the question of a quiz or poll rule that has none (409 ``question_exists``
    otherwise): the rule's ``metadata.question`` becomes this one."""
    doc = _document(body.questionText, body.loyaltyQuestionAnswers, body.allowMultipleAttempts)
    try:
        found = await service.create_question(session, principal, body.loyaltyRuleId, doc)
    except ValidationFailed as exc:
        raise _wire(exc) from exc
    return QuestionOut.of(found)


@router.post("/api/loyalty/questions/{question_id}")
async def update_question(
    question_id: str, body: QuestionUpdate, principal: PrincipalDep, session: WriteSessionDep
) -> QuestionOut:
    """Replace the text and the choices: an answer with an ``id`` keeps that choice (and its
    responses), one without is matched by text or added; choices left out are removed."""
    doc = _document(body.questionText, body.loyaltyQuestionAnswers, body.allowMultipleAttempts)
    try:
        found = await service.update_question(session, principal, question_id, doc)
    except ValidationFailed as exc:
        raise _wire(exc) from exc
    return QuestionOut.of(found)


class QuestionQuery(PageQuery):
    loyaltyRuleIds: list[str] = Field(
        min_length=1, description="The rules whose questions to list (repeatable)"
    )
    userId: str | None = Field(None, description="Adds this user's latest response")


@router.get("/api/loyalty/questions")
async def list_questions(
    query: Annotated[QuestionQuery, Query()], principal: PrincipalDep, session: ReadSessionDep
) -> Page[QuestionOut]:
    """The questions of these rules, in creation order."""
    scope = await list_scope(session, principal, query)
    rows = await service.list_questions(
        session,
        principal,
        scope,
        query.loyaltyRuleIds,
        user_id=query.userId,
        starting_after=query.startingAfter,
        limit=query.limit,
    )
    page, more = split_page(rows, query.limit)
    return Page[QuestionOut](data=[QuestionOut.of(q) for q in page], hasNextPage=more)


def _required(value: str | None) -> str | None:
    """Snag's SDK may send null; a server key must still name the user who answers."""
    if value is None:
        raise ValueError("is required: the user who answers")
    return value


class ResponseSubmit(WireModel):
    loyaltyQuestionChoiceId: Id
    userId: Annotated[Id | None, AfterValidator(_required)] = Field(
        None, validate_default=True, description="Required: the user who answers"
    )
    organizationId: str | None = None
    websiteId: str | None = None


class ResponseRef(BaseModel):
    id: str
    loyaltyQuestionChoiceId: str
    loyaltyQuestionId: str
    userId: str


class Submitted(BaseModel):
    """Snag's QuestionsResponseSubmitResponse."""

    alreadySubmitted: bool = Field(
        description="True: the user had answered already and `response` is that answer "
        "(nothing was recorded)"
    )
    isCorrect: bool = Field(description="The answer's correctness (every poll answer is)")
    response: ResponseRef


@router.post("/api/loyalty/questions_responses")
async def submit_response(
    body: ResponseSubmit, principal: PrincipalDep, session: WriteSessionDep
) -> Submitted:
    """Record a user's answer without completing the rule; a completion of the rule then
    stands on it (it pays only through the completion, once per period)."""
    principal.check_organization(body.organizationId)
    assert body.userId is not None
    found = await responses.submit(
        session, principal, body.loyaltyQuestionChoiceId, body.userId, body.websiteId
    )
    row = found.response
    return Submitted(
        alreadySubmitted=found.already,
        isCorrect=row.is_correct,
        response=ResponseRef(
            id=row.id,
            loyaltyQuestionChoiceId=row.choice_id,
            loyaltyQuestionId=row.question_id,
            userId=row.user_id,
        ),
    )


class ResponseQuery(PageQuery):
    questionsId: list[str] = Field([], description="Responses to these questions (repeatable)")
    userId: str | None = Field(None, description="Responses of this user")


class ListedChoice(BaseModel):
    id: str
    isCorrect: bool
    text: str


class ListedQuestion(BaseModel):
    text: str
    loyaltyQuestionChoices: list[ListedChoice]


class ResponseOut(BaseModel):
    id: str
    createdAt: datetime
    isCorrect: bool
    loyaltyQuestionChoiceId: str
    loyaltyQuestionId: str
    question: ListedQuestion
    userId: str

    @classmethod
    def of(cls, found: responses.ResponseListing) -> "ResponseOut":
        row = found.response
        choices = [
            ListedChoice(id=c.id, isCorrect=c.is_correct, text=c.text) for c in found.choices
        ]
        return cls(
            id=row.id,
            createdAt=row.created_at,
            isCorrect=row.is_correct,
            loyaltyQuestionChoiceId=row.choice_id,
            loyaltyQuestionId=row.question_id,
            question=ListedQuestion(text=found.question.text, loyaltyQuestionChoices=choices),
            userId=row.user_id,
        )


@router.get("/api/loyalty/questions_responses")
async def list_responses(
    query: Annotated[ResponseQuery, Query()], principal: PrincipalDep, session: ReadSessionDep
) -> Page[ResponseOut]:
    """Responses in the order they were given, each with its question's current choices."""
    scope = await list_scope(session, principal, query)
    rows = await responses.list_responses(
        session,
        principal,
        scope,
        ResponseFilter(query.questionsId, query.userId),
        starting_after=query.startingAfter,
        limit=query.limit,
    )
    page, more = split_page(rows, query.limit)
    return Page[ResponseOut](data=[ResponseOut.of(r) for r in page], hasNextPage=more)
