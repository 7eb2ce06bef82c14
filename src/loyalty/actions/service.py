"""Use cases of the simple actions: the profile a profile_completed rule checks and the
auto rules a profile save completes, the partner accounts that completed a rule, and the
texts a text_input rule was completed with."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from loyalty.actions import profile
from loyalty.actions.models import PartnerAccount
from loyalty.db import ReadSession, WriteSession, dialect_insert
from loyalty.engine.completions import Ask, complete_many
from loyalty.engine.models import Completion, CompletionRequest
from loyalty.engine.verify import Attempt, Claim, Due, SweptRule
from loyalty.errors import BusinessRefusal
from loyalty.rules.service import RuleSnapshot, live_rules_of_type
from loyalty.tenancy.models import Website
from loyalty.users.models import User, UserMetadata
from loyalty.users.schemas import as_fields
from loyalty.users.service import on_user_saved

PROFILE_COMPLETED = "profile_completed"
ACCOUNT_TAKEN = "This partner account has already been used by another user for this rule"


def profile_fields(user: User, metadata: UserMetadata | None) -> dict[str, Any]:
    """A user's profile fields by Snag's names, the wallet address among them."""
    fields = as_fields(metadata) if metadata is not None else {}
    return {**fields, "walletAddress": user.wallet_address}


async def profile_of(session: ReadSession, user_id: str) -> dict[str, Any]:
    user = await session.get_one(User, user_id)
    return profile_fields(user, await session.get(UserMetadata, user_id))


@on_user_saved
async def complete_profile_rules(
    session: WriteSession,
    website: Website,
    user: User,
    metadata: UserMetadata,
    _changes: Mapping[str, Any],
) -> None:
    """The website's ``auto`` profile_completed rules complete by themselves once a save
    leaves the profile complete. Asks are not recorded as requests: a rule completed
    before is refused quietly, so saving a complete profile again changes nothing."""
    fields = profile_fields(user, metadata)
    asks = [
        Ask(rule, Claim(user_id=user.id), record=False)
        for rule in await _auto_profile_rules(session, website.id)
        if not profile.missing(profile.required(rule.definition.get("metadata") or {}), fields)
    ]
    if asks:
        await complete_many(session, website, asks)


async def complete_profiles(session: ReadSession, rule: SweptRule) -> list[Due]:
    """The sweep of an ``auto`` profile_completed rule (see ``engine.cadence``): the users
    of its website whose profile is complete and who have not completed it yet, so that
    profiles complete before the rule existed earn it without waiting for their next save."""
    names = profile.required(rule.definition.get("metadata") or {})
    earned = select(Completion.id).where(
        Completion.rule_id == rule.id, Completion.user_id == User.id
    )
    rows = await session.execute(
        select(User, UserMetadata)
        .outerjoin(UserMetadata, UserMetadata.user_id == User.id)
        .where(User.website_id == rule.website_id, ~earned.exists())
        .order_by(User.id)
    )
    return [
        Due(user_id=user.id)
        for user, metadata in rows.tuples()
        if not profile.missing(names, profile_fields(user, metadata))
    ]


async def _auto_profile_rules(session: ReadSession, website_id: str) -> list[RuleSnapshot]:
    rules = await live_rules_of_type(session, website_id, PROFILE_COMPLETED)
    return [rule for rule in rules.values() if rule.definition.get("claimType") == "auto"]


async def account_holder(session: ReadSession, rule_id: str, account_id: str) -> str | None:
    """The user a partner account completed the rule for, if any."""
    holder: str | None = await session.scalar(
        select(PartnerAccount.user_id).where(
            PartnerAccount.rule_id == rule_id, PartnerAccount.account_id == account_id
        )
    )
    return holder


class PartnerAccountTaken(BusinessRefusal):
    code = "partner_account_taken"


async def keep_account(
    session: WriteSession, attempt: Attempt, account_id: str, completion_id: str
) -> None:
    """Record the account that completed the rule. A claim of the same account that got
    there first (earlier in the batch, or committed meanwhile by another transaction,
    which the insert waits for) makes this one fail as a whole: the batch is then run
    again ask by ask, and this ask's check sees the account taken."""
    rule = attempt.rule
    table = PartnerAccount.__table__
    statement = (
        dialect_insert(session)(table)
        .values(
            organization_id=rule.organization_id,
            website_id=rule.website_id,
            rule_id=rule.id,
            user_id=attempt.user_id,
            account_id=account_id,
            completion_id=completion_id,
        )
        .on_conflict_do_nothing()
        .returning(table.c.id)
    )
    if (await session.execute(statement)).scalar() is None:
        raise PartnerAccountTaken(ACCOUNT_TAKEN)


@dataclass(frozen=True)
class SubmittedText:
    request_id: str
    user_id: str
    text: str
    created_at: datetime


async def submitted_texts(
    session: ReadSession,
    rule_id: str,
    *,
    user_id: str | None = None,
    starting_after: str | None = None,
    limit: int | None = None,
) -> list[SubmittedText]:
    """The texts a text_input rule was completed with, oldest first (request ids are
    UUIDv7: in order of creation). The completion request keeps the claim as it was sent,
    so the text needs no table of its own."""
    query = select(CompletionRequest).where(
        CompletionRequest.rule_id == rule_id, CompletionRequest.status == "completed"
    )
    if user_id is not None:
        query = query.where(CompletionRequest.user_id == user_id)
    if starting_after is not None:
        query = query.where(CompletionRequest.id > starting_after)
    query = query.order_by(CompletionRequest.id)
    if limit is not None:
        query = query.limit(limit)
    rows = await session.scalars(query)
    return [
        SubmittedText(
            r.id, r.user_id, str(r.request.get("verificationCode", "")).strip(), r.created_at
        )
        for r in rows
    ]
