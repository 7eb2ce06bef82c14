"""The external_rule verifier, and its cadence: a custom rewards API.

The customer's backend completes an external rule through the API (its server key is the
verification). An external rule with ``customRewardsApiUrl``, ``claimType: auto`` and a
``frequency`` is also a cadence rule: every period the worker asks that URL who is due
(``GET``, with ``X-API-KEY: metadata.customRewardsApiKey`` when the rule has one, and the
rule's id as the ``loyaltyRuleId`` query parameter). The answer
is a JSON list (or ``{"data": [...]}``) of ``{"userId" | "walletAddress", "amount"?}``; each
named user earns the rule (``amount``, when given, instead of the rule's), once per its
``interval``.
"""

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from loyalty.db import WriteSession
from loyalty.engine.verify import ACCEPTED, Attempt, Due, SweptRule, Verdict, verifier
from loyalty.kit.fetch import FetchFailed, fetch


class CustomReward(BaseModel):
    model_config = ConfigDict(extra="ignore")

    userId: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    walletAddress: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    amount: Annotated[Decimal, Field(ge=0, allow_inf_nan=False)] | None = None

    @model_validator(mode="after")
    def _someone(self) -> "CustomReward":
        if not self.userId and not self.walletAddress:
            raise ValueError("userId or walletAddress is required")
        return self


class Wrapped(BaseModel):
    data: list[CustomReward]


ANSWER: TypeAdapter[list[CustomReward] | Wrapped] = TypeAdapter(list[CustomReward] | Wrapped)


class CustomRewardsError(RuntimeError):
    """The custom rewards API did not answer a list of rewards (the job is retried)."""


async def _custom_rewards(_session: WriteSession, rule: SweptRule) -> list[Due]:
    url = rule.definition.get("customRewardsApiUrl")
    if not url:
        return []
    headers = {}
    key = rule.secrets.get("customRewardsApiKey")
    if key:
        headers["X-API-KEY"] = str(key)
    params = {"loyaltyRuleId": rule.id}
    try:
        body = await fetch(url, headers=headers, params=params)
    except FetchFailed as exc:
        raise CustomRewardsError(f"{url}: {exc}") from exc
    try:
        answer: Any = ANSWER.validate_json(body)
    except ValidationError as exc:
        raise CustomRewardsError(f"{url} answered something else than rewards: {exc}") from exc
    rewards = answer.data if isinstance(answer, Wrapped) else answer
    return [Due(r.userId, r.walletAddress, r.amount) for r in rewards]


@verifier("external_rule", sweep=_custom_rewards)
async def _server_asserted(_session: WriteSession, _attempt: Attempt) -> Verdict:
    """The customer's backend completes an external rule: its word is the verification."""
    return ACCEPTED
