"""Verifiers and hooks of the airdrops family: the points_airdrop verifier, and (by
importing them) the rule-saved hook and the worker jobs."""

from sqlalchemy import select

import loyalty.airdrops.jobs  # noqa: F401  (registers the jobs and the rule-saved hook)
from loyalty.airdrops.models import Airdrop, AirdropLine
from loyalty.airdrops.service import TYPE
from loyalty.db import WriteSession
from loyalty.engine.verify import ACCEPTED, Attempt, Verdict, verifier

NOT_ELIGIBLE = Verdict(
    False, "Seems like you're not eligible for this points airdrop.", "airdrop_not_eligible"
)


@verifier(TYPE)
async def allotted(session: WriteSession, attempt: Attempt) -> Verdict:
    """An airdrop pays only its own lines: the claim names a pending line of an airdrop of
    this rule (by its id, which the API never shows), for this user and amount. A
    completion asked through the API is refused with Snag's message."""
    line_id = attempt.claim.verification_code
    if line_id is None:
        return NOT_ELIGIBLE
    found = await session.execute(
        select(AirdropLine.user_id, AirdropLine.amount)
        .join(Airdrop, Airdrop.id == AirdropLine.airdrop_id)
        .where(
            AirdropLine.id == line_id,
            AirdropLine.state == "pending",
            Airdrop.rule_id == attempt.rule.id,
        )
    )
    row = found.first()
    if row is None or row.user_id != attempt.user_id or row.amount != attempt.claim.amount:
        return NOT_ELIGIBLE
    return ACCEPTED
