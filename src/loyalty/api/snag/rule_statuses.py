"""Progress on rules that track it (seed 000, Snag's rule statuses):
``POST /api/loyalty/rule_statuses`` sets or adds to a user's progress,
``GET /api/loyalty/rule_statuses`` lists progress.

The body is read as plain JSON and checked here, so every bad field is reported at once,
the bounds that depend on the rule's target included.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field

from loyalty.api.deps import PrincipalDep, ReadSessionDep, WriteSessionDep
from loyalty.api.openapi import json_body
from loyalty.api.snag.common import (
    ERRORS,
    Limit,
    OrganizationId,
    ScopeQuery,
    StartingAfter,
    UserGroupExternalIdentifier,
    UserGroupId,
    WebsiteId,
    list_scope,
)
from loyalty.db import ReadSession
from loyalty.engine import lifetime, progress
from loyalty.engine.decide import tracks_user_progress
from loyalty.engine.models import RuleProgress
from loyalty.errors import FieldError, NotFound, raise_if_any
from loyalty.kit.pagination import DEFAULT_LIMIT, Page, split_page
from loyalty.rules.models import Rule
from loyalty.rules.service import RuleNotFound, rule_for
from loyalty.tenancy.principal import Principal
from loyalty.users.identity import normalize_wallet
from loyalty.users.service import IDENTITY_LIMITS

router = APIRouter(tags=["rule_statuses"], responses=ERRORS)

JsonObject = Annotated[dict[str, Any], Body()]


class RuleStatusUpdate(BaseModel):
    """Exactly one of ``userId`` / ``walletAddress`` (a new wallet creates its user), and
    exactly one of ``progress`` / ``incProgress``. Both are whole numbers: ``progress``
    within 0..target, ``incProgress`` within -target..target (a negative increment lowers
    progress, never below 0); the result is kept within 0..target. The target is 100 for a
    percentage rule, the highest range end for a counter. Updating progress rewards
    nothing: reached ranges are paid by the claim."""

    loyaltyRuleId: str = Field(description="The rule; it must track progress (422 otherwise)")
    userId: str | None = None
    walletAddress: str | None = Field(None, description="Created as a user when new")
    progress: int | None = Field(None, description="The new progress, 0..target")
    incProgress: int | None = Field(None, description="Added to the progress, -target..target")
    organizationId: str | None = None
    websiteId: str | None = Field(None, description="When given, the rule's website")


FIELDS = frozenset(RuleStatusUpdate.model_fields)


class RuleStatusOut(BaseModel):
    id: str
    createdAt: datetime
    loyaltyRuleId: str
    organizationId: str
    progress: int
    updatedAt: datetime
    userId: str
    websiteId: str

    @classmethod
    def of(cls, row: RuleProgress) -> "RuleStatusOut":
        return cls(
            id=row.id,
            createdAt=row.created_at,
            loyaltyRuleId=row.rule_id,
            organizationId=row.organization_id,
            progress=row.progress,
            updatedAt=row.updated_at,
            userId=row.user_id,
            websiteId=row.website_id,
        )


@dataclass
class Update:
    """A body's values of the right types (None: absent, or of the wrong type)."""

    rule_id: str | None = None
    user_id: str | None = None
    wallet: str | None = None
    progress: int | None = None
    inc: int | None = None
    organization_id: str | None = None
    website_id: str | None = None


def read_update(body: dict[str, Any]) -> tuple[Update, list[FieldError]]:
    """The body's values and every problem with them that needs no rule to see."""
    errors = [FieldError(name, "unknown field") for name in body if name not in FIELDS]

    def text(name: str, limit: int = 255) -> str | None:
        value = body.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            errors.append(FieldError(name, "must be a string"))
        elif not value.strip():
            errors.append(FieldError(name, "must not be empty"))
        elif len(value) > limit:
            errors.append(FieldError(name, f"must be at most {limit} characters"))
        else:
            return value
        return None

    def whole(name: str) -> int | None:
        value = body.get(name)
        if value is None:
            return None
        # JSON has one number type: 5 and 5.0 are the same number; 1.5, "5" and true are not.
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        errors.append(FieldError(name, "must be an integer"))
        return None

    update = Update(
        rule_id=text("loyaltyRuleId"),
        user_id=text("userId"),
        wallet=text("walletAddress", IDENTITY_LIMITS["walletAddress"]),
        progress=whole("progress"),
        inc=whole("incProgress"),
        organization_id=text("organizationId"),
        website_id=text("websiteId"),
    )
    if body.get("loyaltyRuleId") is None:
        errors.append(FieldError("loyaltyRuleId", "is required"))
    errors += _one_of(body, "userId", "walletAddress")
    errors += _one_of(body, "progress", "incProgress")
    return update, errors


def _one_of(body: dict[str, Any], first: str, second: str) -> list[FieldError]:
    given = [name for name in (first, second) if body.get(name) is not None]
    if not given:
        return [FieldError(first, f"{first} or {second} is required")]
    if len(given) == 2:
        return [FieldError(second, f"give {first} or {second}, not both")]
    return []


async def _rule(session: ReadSession, principal: Principal, update: Update) -> Rule | None:
    """The rule named, or None when the body names none or no rule of the key's."""
    if update.rule_id is None:
        return None
    try:
        rule = await rule_for(session, principal, update.rule_id)
    except RuleNotFound:
        return None
    if update.website_id is not None and rule.website_id != update.website_id:
        return None
    return rule


@router.post(
    "/api/loyalty/rule_statuses",
    openapi_extra=json_body(RuleStatusUpdate),
    responses={
        404: {"description": "`rule_not_found` or `website_not_found`"},
        422: {"description": "`rule_does_not_track_progress`"},
    },
)
async def update_rule_status(
    body: JsonObject, principal: PrincipalDep, session: WriteSessionDep
) -> RuleStatusOut:
    """Set (`progress`) or add to (`incProgress`) a user's progress on a rule, atomically:
    concurrent increments all count. Once a claim has fulfilled the progress, the next
    update starts a new cycle from 0."""
    update, errors = read_update(body)
    rule = await _rule(session, principal, update)
    tracked = rule is not None and tracks_user_progress(rule.definition)
    if rule is not None and tracked:
        errors += progress.update_problems(
            rule.definition, progress=update.progress, inc=update.inc
        )
    raise_if_any(errors)
    principal.check_organization(update.organization_id)
    if update.website_id is not None and not principal.may_use(update.website_id):
        raise NotFound("Website not found", code="website_not_found")
    if rule is None:
        raise RuleNotFound("Loyalty rule not found")
    if not tracked:
        raise progress.RuleDoesNotTrackProgress(
            "This loyalty rule does not track progress (metadata.trackProgress)"
        )
    wallet = normalize_wallet(update.wallet) if update.wallet is not None else None
    user_id = await progress.user_for(session, rule, user_id=update.user_id, wallet=wallet)
    row = await progress.update_progress(
        session, rule, user_id, progress=update.progress, inc=update.inc
    )
    await lifetime.revoke_unmet(session, rule, user_id, row.progress)
    return RuleStatusOut.of(row)


@router.get("/api/loyalty/rule_statuses")
async def list_rule_statuses(
    principal: PrincipalDep,
    session: ReadSessionDep,
    organization_id: OrganizationId = None,
    website_id: WebsiteId = None,
    rule_id: Annotated[
        list[str] | None, Query(alias="loyaltyRuleId", description="Repeat for several")
    ] = None,
    user_id: Annotated[
        list[str] | None, Query(alias="userId", description="Repeat for several")
    ] = None,
    wallet_address: Annotated[
        list[str] | None,
        Query(alias="walletAddress", description="Repeat for several; EVM addresses any case"),
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    starting_after: StartingAfter = None,
    _user_group: UserGroupId = None,
    _user_group_external: UserGroupExternalIdentifier = None,
) -> Page[RuleStatusOut]:
    """Progress rows in creation order. Every filter given must match (any of its values)."""
    scope = await list_scope(
        session, principal, ScopeQuery(organizationId=organization_id, websiteId=website_id)
    )
    rows = await progress.list_progress(
        session,
        principal.organization_id,
        scope,
        progress.ProgressFilter(
            rule_ids=rule_id or (),
            user_ids=user_id or (),
            wallets=[normalize_wallet(w) for w in wallet_address or ()],
        ),
        starting_after=starting_after,
        limit=limit,
    )
    page, more = split_page(rows, limit)
    return Page[RuleStatusOut](data=[RuleStatusOut.of(r) for r in page], hasNextPage=more)
