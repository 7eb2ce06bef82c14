"""The code_entry verifier: the user submits a code as ``verificationCode``.

A shared code (``promoCodeType: code``) is compared with the rule's; using it again is
limited by the rule's interval, like any rule. A unique code (``csv``, ``generate``) is
looked up among the rule's codes and locked (``FOR UPDATE``) in ``check``, and spent by
``paid`` once the completion is written: a refused completion never spends a code, and a
concurrent claim of the same code waits for the lock, then finds it used.

Asks of one batch share a transaction, so a lock cannot keep them apart: a second ask of a
batch claiming a code the first one holds raises ``CodeContended``, and the batcher runs
every ask of the batch again on its own, where the lock decides.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select

import loyalty.codes.service  # noqa: F401  (its rule hook and job handler register)
from loyalty.codes import repository
from loyalty.codes.keys import code_key
from loyalty.db import WriteSession
from loyalty.engine.verify import ACCEPTED, Attempt, PaidPart, Verdict, verifier
from loyalty.kit.clock import now
from loyalty.users.models import User

# isRestrictedToNewUsers: users created this recently (seed 001: the last 6 hours).
NEW_USER_WINDOW = timedelta(hours=6)

REQUIRED = Verdict(False, "A promo code is required: send it as verificationCode", "code_required")
INVALID = Verdict(False, "This promo code is not valid", "invalid_code")
USED = Verdict(False, "This promo code has already been used", "code_already_used")
NOT_NEW = Verdict(
    False, "This promo code is only for new users (joined in the last 6 hours)", "user_not_new"
)


class CodeContended(RuntimeError):
    """Two asks of one batch claim the same unique code (see the module's docstring)."""


@dataclass
class _Claims:
    """The unique codes the asks of this transaction hold, both ways."""

    by_code: dict[str, str] = field(default_factory=dict)
    by_request: dict[str, str] = field(default_factory=dict)


def _claims(session: WriteSession) -> _Claims:
    found = session.info.get(_Claims)
    if found is None:
        found = session.info[_Claims] = _Claims()
    assert isinstance(found, _Claims)
    return found


async def _spend(
    session: WriteSession, attempt: Attempt, parts: Sequence[PaidPart]
) -> list[dict[str, Any]]:
    """Mark the unique code this completion claimed as used by its user and completion."""
    code_id = _claims(session).by_request.pop(attempt.request_id, None)
    if code_id is None:
        return []
    spent = await repository.spend_code(
        session,
        code_id,
        user_id=attempt.user_id,
        completion_id=parts[0].completion_id if parts else None,
        request_id=attempt.request_id,
        at=now(),
    )
    if not spent:  # the lock taken in check makes this unreachable; never pay twice
        raise CodeContended("a promo code was spent by another completion meanwhile")
    return []


@verifier("code_entry", paid=_spend)
async def check_code(session: WriteSession, attempt: Attempt) -> Verdict:
    """The code entered is the rule's shared code, or one of its unused unique codes; with
    ``isRestrictedToNewUsers`` the user must have been created in the last 6 hours."""
    entered = code_key(attempt.claim.verification_code or "")
    if not entered:
        return REQUIRED
    metadata = attempt.view.metadata
    if metadata.get("isRestrictedToNewUsers") and not await _is_new(session, attempt.user_id):
        return NOT_NEW
    if metadata.get("promoCodeType") == "code":
        return ACCEPTED if entered == code_key(metadata.get("promoCode") or "") else INVALID
    return await _check_unique(session, attempt, entered)


async def _is_new(session: WriteSession, user_id: str) -> bool:
    created = await session.scalar(select(User.created_at).where(User.id == user_id))
    return created is not None and created >= now() - NEW_USER_WINDOW


async def _check_unique(session: WriteSession, attempt: Attempt, key: str) -> Verdict:
    held = await repository.lock_code(session, attempt.rule.id, key)
    if held is None:
        return INVALID
    if held.used_by_user_id is not None:
        return USED
    claims = _claims(session)
    holder = claims.by_code.get(held.id)
    if holder is not None and holder != attempt.request_id:
        raise CodeContended("two completions of one batch claim the same promo code")
    if not attempt.verify_only:
        claims.by_code[held.id] = attempt.request_id
        claims.by_request[attempt.request_id] = held.id
    return ACCEPTED
