"""Completing rules: ``POST /api/loyalty/rules/{id}/complete`` and
``GET /api/loyalty/rules/status``, in Snag's shapes.

Snag answers every completion with "Completion request added to queue" and the outcome is
read from the status list. Here a rule whose verification is local is settled inside the
request, and the answer carries the outcome as well: 200 with ``status: completed`` and what
was paid, or 422 with the refusal's code and message (the failed request is recorded, so
the status list shows it too). A rule whose verifier calls out answers ``pending``.
"""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import and_, select

from loyalty.api.deps import CompletionBatcherDep, PrincipalDep, ReadSessionDep
from loyalty.api.snag.common import ERRORS, PageQuery, WireModel, list_scope
from loyalty.engine.completions import Ask, Outcome, complete_many
from loyalty.engine.models import CompletionRequest, RuleProgress
from loyalty.engine.verify import QUEUED, VERIFIERS, Claim
from loyalty.kit.pagination import Page, split_page
from loyalty.rules.service import RuleNotFound, rule_snapshot
from loyalty.tenancy.service import website_snapshot
from loyalty.users.identity import normalize_wallet
from loyalty.users.models import User
from loyalty.users.service import existing_user, ids_for_wallets

router = APIRouter(tags=["completions"], responses=ERRORS)

Flag = bool | Literal["true", "false"]


class CompleteIn(WireModel):
    userId: str | None = None
    walletAddress: str | None = Field(None, min_length=1, max_length=128)
    verificationCode: str | None = Field(None, max_length=1000)
    contentUrl: str | None = Field(None, max_length=2048)
    loyaltyQuestionChoiceId: str | None = None
    rangeValue: Decimal | None = Field(
        None,
        allow_inf_nan=False,
        description="The value whose range pays (or the count of actions)",
    )
    amount: Decimal | None = Field(
        None, ge=0, allow_inf_nan=False, description="Pays this instead of the rule's amount"
    )
    idempotencyKey: str | None = Field(None, min_length=1, max_length=70)
    verifyOnly: Flag | None = Field(None, description="true: check only, write nothing")
    skipChainOrRequiredCheck: bool | None = None

    @model_validator(mode="after")
    def _someone(self) -> "CompleteIn":
        if not self.userId and not self.walletAddress:
            raise ValueError("userId or walletAddress is required")
        return self


class CompleteOut(BaseModel):
    message: str
    id: str | None = None
    status: str
    loyaltyRuleId: str
    userId: str
    paid: list[dict[str, Any]] = Field(default_factory=list)


@router.post(
    "/api/loyalty/rules/{rule_id}/complete",
    response_model=CompleteOut,
    responses={422: {"description": "Refused: `code` says why (the request is recorded)"}},
)
async def complete_rule(
    rule_id: str,
    body: CompleteIn,
    principal: PrincipalDep,
    batcher: CompletionBatcherDep,
) -> Response:
    """The rule and the user are looked up here; the completion itself is decided and
    written by the process's completion batcher, with the requests arriving meanwhile
    (no connection is held while it waits)."""
    named = body.userId or normalize_wallet(body.walletAddress or "")
    rule = batcher.rules.get(rule_id)
    website = batcher.websites.get(rule.website_id) if rule is not None else None
    user_id = batcher.users.get((website.id, named)) if website is not None else None
    if rule is None or website is None or user_id is None:
        # A copy missing: look everything up (a cached rule is still checked for the key).
        async with batcher.database.reading() as session:
            rule = await rule_snapshot(session, principal, rule_id, batcher.rules)
            website = await website_snapshot(session, rule.website_id, batcher.websites)
            user_id = batcher.users.get((website.id, named))
            if user_id is None:
                user_id = await existing_user(
                    session, website.id, user_id=body.userId, wallet=body.walletAddress
                )
    elif rule.organization_id != principal.organization_id or not principal.may_use(
        rule.website_id
    ):
        raise RuleNotFound("Loyalty rule not found")
    if user_id is None:
        assert body.walletAddress is not None
        async with batcher.database.writing() as writing:
            created = await ids_for_wallets(
                writing, website.organization_id, website.id, [body.walletAddress]
            )
        user_id = created[normalize_wallet(body.walletAddress)]
    batcher.users.put((website.id, named), user_id)
    claim = Claim(
        user_id=user_id,
        verification_code=body.verificationCode,
        content_url=body.contentUrl,
        question_choice_id=body.loyaltyQuestionChoiceId,
        range_value=body.rangeValue,
        amount=body.amount,
        skip_chain=bool(body.skipChainOrRequiredCheck),
    )
    ask = Ask(rule, claim, body.idempotencyKey, body.model_dump(mode="json", exclude_none=True))
    if body.verifyOnly in (True, "true"):
        async with batcher.database.writing() as writing:
            (outcome,) = await complete_many(writing, website, [ask], verify_only=True)
    else:
        outcome = await batcher.submit(website, ask)
    if outcome.refusal is not None:
        return _refused(outcome)
    if outcome.verified_only:
        verified = CompleteOut(
            message="Verified: the rule can be completed",
            status="verified",
            loyaltyRuleId=rule.id,
            userId=user_id,
        )
        return Response(verified.model_dump_json(), media_type="application/json")
    # Serialised here: the hottest answer skips a second validation against the model.
    message = QUEUED
    if outcome.status == "pending":
        message = VERIFIERS[rule.definition["type"]].pending_message
    answer = CompleteOut(
        message=message,
        id=outcome.request_id,
        status=outcome.status or "completed",
        loyaltyRuleId=rule.id,
        userId=user_id,
        paid=outcome.paid,
    )
    return Response(answer.model_dump_json(), media_type="application/json")


def _refused(outcome: Outcome) -> JSONResponse:
    """422 with the refusal; the failed request (if one was recorded) is committed."""
    assert outcome.refusal is not None
    content: dict[str, Any] = {"code": outcome.refusal.code, "message": outcome.refusal.message}
    if outcome.request_id is not None:
        content["details"] = {"id": outcome.request_id, "status": outcome.status}
    return JSONResponse(content, status_code=422)


class StatusQuery(PageQuery):
    loyaltyRuleId: list[str] = Field(default_factory=list)
    userId: str | None = None
    walletAddress: str | None = None


class StatusOut(BaseModel):
    id: str
    loyaltyRuleId: str
    userId: str
    organizationId: str
    websiteId: str
    status: str
    message: str | None
    progress: int | None
    createdAt: datetime
    updatedAt: datetime
    fulfilledAt: datetime | None


@router.get("/api/loyalty/rules/status")
async def completion_statuses(
    query: Annotated[StatusQuery, Query()], principal: PrincipalDep, session: ReadSessionDep
) -> Page[StatusOut]:
    """Completion requests, newest first, with the user's progress on the rule."""
    scope = await list_scope(session, principal, query)
    statement = (
        select(CompletionRequest, RuleProgress.progress)
        .outerjoin(
            RuleProgress,
            and_(
                RuleProgress.rule_id == CompletionRequest.rule_id,
                RuleProgress.user_id == CompletionRequest.user_id,
            ),
        )
        .where(CompletionRequest.organization_id == principal.organization_id)
    )
    if scope is not None:
        statement = statement.where(CompletionRequest.website_id.in_(sorted(scope)))
    if query.loyaltyRuleId:
        statement = statement.where(CompletionRequest.rule_id.in_(query.loyaltyRuleId))
    if query.userId is not None:
        statement = statement.where(CompletionRequest.user_id == query.userId)
    if query.walletAddress is not None:
        wallet_users = select(User.id).where(
            User.wallet_address == normalize_wallet(query.walletAddress)
        )
        statement = statement.where(CompletionRequest.user_id.in_(wallet_users))
    if query.startingAfter is not None:
        statement = statement.where(CompletionRequest.id < query.startingAfter)
    rows = (
        await session.execute(
            statement.order_by(CompletionRequest.id.desc()).limit(query.limit + 1)
        )
    ).all()
    page, more = split_page(rows, query.limit)
    return Page[StatusOut](
        data=[
            StatusOut(
                id=r.id,
                loyaltyRuleId=r.rule_id,
                userId=r.user_id,
                organizationId=r.organization_id,
                websiteId=r.website_id,
                status=r.status,
                message=r.message,
                progress=progress,
                createdAt=r.created_at,
                updatedAt=r.updated_at,
                fulfilledAt=r.fulfilled_at,
            )
            for r, progress in page
        ],
        hasNextPage=more,
    )
