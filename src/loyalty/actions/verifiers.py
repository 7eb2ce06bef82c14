"""Verifiers of the simple actions: text_input, link_click, profile_completed,
create_partner_account. Importing this module also installs the profile hook."""

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from loyalty.actions import profile, service
from loyalty.db import WriteSession
from loyalty.engine.verify import ACCEPTED, Attempt, PaidPart, Verdict, verifier
from loyalty.rules.types.actions import ACCOUNT_ID_MAX, LINK_CHECK_SECONDS


def _refused(code: str, message: str) -> Verdict:
    return Verdict(False, message, code)


def _given(attempt: Attempt) -> str:
    """The claim's verificationCode, trimmed ("" when absent)."""
    return (attempt.claim.verification_code or "").strip()


@verifier("text_input")
async def _text(_session: WriteSession, attempt: Attempt) -> Verdict:
    """The text is the claim's verificationCode; trimmed, it must reach the rule's
    minimum length (and not be empty, whatever the minimum)."""
    text = _given(attempt)
    if not text:
        return _refused("text_required", "Enter your text (verificationCode) to complete this rule")
    minimum = attempt.view.metadata.get("verificationTextMinimumLength") or 0
    if len(text) < minimum:
        return _refused(
            "text_too_short",
            f"Your text must be at least {minimum} characters long; it has {len(text)}",
        )
    return ACCEPTED


@verifier(
    "link_click",
    local=False,
    delay=timedelta(seconds=LINK_CHECK_SECONDS),
    pending_message="Link click being verified, come back later to check the status",
)
async def _link(_session: WriteSession, _attempt: Attempt) -> Verdict:
    """The click happens in the user's browser, where nothing can check it: the claim
    stands once the wait is over (the pipeline still checks the interval, the rule's
    window and its chain when the worker completes it)."""
    return ACCEPTED


@verifier("profile_completed", sweep=service.complete_profiles)
async def _profile(session: WriteSession, attempt: Attempt) -> Verdict:
    names = profile.required(attempt.view.metadata)
    absent = profile.missing(names, await service.profile_of(session, attempt.user_id))
    if absent:
        return _refused("profile_incomplete", profile.incomplete_message(absent))
    return ACCEPTED


async def _keep_account(
    session: WriteSession, attempt: Attempt, parts: Sequence[PaidPart]
) -> list[dict[str, Any]]:
    await service.keep_account(session, attempt, _given(attempt), parts[0].completion_id)
    return []


@verifier("create_partner_account", paid=_keep_account)
async def _partner_account(session: WriteSession, attempt: Attempt) -> Verdict:
    """The partner account id is the claim's verificationCode; an account completes the
    rule for one user only."""
    account = _given(attempt)
    if not account:
        return _refused(
            "partner_account_required",
            "Enter the id of your partner account (verificationCode) to complete this rule",
        )
    if len(account) > ACCOUNT_ID_MAX:
        return _refused(
            "partner_account_too_long",
            f"A partner account id has at most {ACCOUNT_ID_MAX} characters",
        )
    holder = await service.account_holder(session, attempt.rule.id, account)
    if holder is not None and holder != attempt.user_id:
        return _refused("partner_account_taken", service.ACCOUNT_TAKEN)
    return ACCEPTED
