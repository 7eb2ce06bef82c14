"""The referred_user verifier, and the hooks that re-check referrals when a referred user
changes: a profile saved, points earned (a follow-up of every batch of completions)."""

from collections.abc import Mapping, Sequence
from typing import Any

from loyalty.db import WriteSession
from loyalty.engine.verify import (
    ACCEPTED,
    Attempt,
    Completed,
    PaidPart,
    Verdict,
    WebsiteLike,
    follow_up,
    verifier,
)
from loyalty.referrals import repository
from loyalty.referrals.programs import REFERRED_USER, needing_points, programs
from loyalty.referrals.requirements import Requirements
from loyalty.referrals.rewards import pay_shares, reward_referrer, settle, unmet_requirements
from loyalty.tenancy.models import Website
from loyalty.users.models import User, UserMetadata
from loyalty.users.service import on_user_saved


async def _paid(
    session: WriteSession, attempt: Attempt, _parts: Sequence[PaidPart]
) -> list[dict[str, Any]]:
    link = await repository.link_for_update(session, attempt.website.id, attempt.user_id)
    assert link is not None  # locked by the check, in this transaction
    return [await reward_referrer(session, attempt, link)]


@verifier(REFERRED_USER, paid=_paid)
async def _referred(session: WriteSession, attempt: Attempt) -> Verdict:
    """The user joined with a code of this rule, was not rewarded yet, and meets the rule's
    requirements now. The referral stays locked until the completion commits, so it is
    rewarded once whoever asks (the system, or a completion request)."""
    link = await repository.link_for_update(session, attempt.website.id, attempt.user_id)
    if link is None or link.rule_id != attempt.rule.id:
        return Verdict(False, "This user did not join with a code of this rule", "not_referred")
    if link.rewarded_at is not None:
        return Verdict(False, "This referral was already rewarded", "referral_already_rewarded")
    need = Requirements.of(attempt.view.metadata, attempt.view.currency_id)
    lacking = (await unmet_requirements(session, [link], {link.rule_id: need}))[link.id]
    if lacking:
        return Verdict(
            False,
            "The referred user does not meet the requirements yet: " + "; ".join(lacking),
            "referral_requirements_unmet",
        )
    return ACCEPTED


async def _after_earning(
    session: WriteSession, website: WebsiteLike, completed: Sequence[Completed]
) -> None:
    """Shares of what referred users earned, and their points requirements re-checked.
    A website without referral rules pays one cache lookup."""
    found = await programs(session, website.id)
    if not found:
        return
    await pay_shares(session, website, found, completed)
    if needing_points(found):
        await settle(session, website, {c.user_id for c in completed if c.units > 0})


async def _settles_referrals(session: WriteSession, website: WebsiteLike) -> bool:
    """Whether earnings may complete a referral (a points requirement) in this website."""
    return bool(needing_points(await programs(session, website.id)))


async def _has_referrals(session: WriteSession, website: WebsiteLike) -> bool:
    return bool(await programs(session, website.id))


follow_up(_after_earning, locks=_settles_referrals, active=_has_referrals)


@on_user_saved
async def _profile_saved(
    session: WriteSession,
    website: Website,
    user: User,
    _metadata: UserMetadata,
    _changes: Mapping[str, Any],
) -> None:
    await settle(session, website, [user.id])
