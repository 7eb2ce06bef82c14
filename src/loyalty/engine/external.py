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

import httpx
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from loyalty.db import WriteSession
from loyalty.engine.verify import ACCEPTED, Attempt, Due, SweptRule, Verdict, verifier

# Tests install a transport here (``httpx.MockTransport``); None is the network.
TRANSPORT: httpx.AsyncBaseTransport | None = None
TIMEOUT = httpx.Timeout(30.0)


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
    async with httpx.AsyncClient(transport=TRANSPORT, timeout=TIMEOUT) as client:
        response = await client.get(url, headers=headers, params=params)
    if response.status_code != httpx.codes.OK:
        raise CustomRewardsError(f"{url} answered {response.status_code}")
    try:
        answer: Any = ANSWER.validate_json(response.content)
    except ValidationError as exc:
        raise CustomRewardsError(f"{url} answered something else than rewards: {exc}") from exc
    rewards = answer.data if isinstance(answer, Wrapped) else answer
    return [Due(r.userId, r.walletAddress, r.amount) for r in rewards]


@verifier("external_rule", sweep=_custom_rewards)
async def _server_asserted(_session: WriteSession, _attempt: Attempt) -> Verdict:
    """The customer's backend completes an external rule: its word is the verification."""
    return ACCEPTED
