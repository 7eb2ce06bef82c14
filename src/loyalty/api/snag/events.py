"""Events: ``POST /api/loyalty/events`` records a batch of facts your backend reports and
applies them to the rules they trigger (external rules with ``metadata.trigger``).

The body is read as plain JSON and checked here, so every bad field of every event is
reported at once (``events[3].data.colour``). An event id the website has seen before is a
duplicate: it is ignored, and answered ``duplicate``.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field

from loyalty.api.deps import PrincipalDep, WriteSessionDep
from loyalty.api.openapi import json_body
from loyalty.api.snag.common import ERRORS
from loyalty.engine import conditions
from loyalty.engine.conditions import Scalar
from loyalty.engine.events import EventIn, EventResult, ingest
from loyalty.errors import FieldError, ValidationFailed, raise_if_any
from loyalty.tenancy import service as tenancy_service
from loyalty.tenancy.models import Website
from loyalty.users.identity import normalize_wallet
from loyalty.users.service import IDENTITY_LIMITS

router = APIRouter(tags=["events"], responses=ERRORS)

JsonObject = Annotated[dict[str, Any], Body()]

MAX_EVENTS = 1000
MAX_KEYS = 100
MAX_TEXT = 255
IDENTITIES = ("userId", "walletAddress", "externalId")
LIMITS = {
    "id": MAX_TEXT,
    "name": MAX_TEXT,
    "userId": MAX_TEXT,
    "walletAddress": IDENTITY_LIMITS["walletAddress"],
    "externalId": IDENTITY_LIMITS["externalIdentifier"],
}


class EventBody(BaseModel):
    """One event. Exactly one of ``userId``, ``walletAddress`` and ``externalId`` names its
    user; a wallet address or external id nobody has yet creates the user."""

    id: str = Field(
        min_length=1, max_length=MAX_TEXT, description="Your id: an id seen before is ignored"
    )
    name: str = Field(min_length=1, max_length=MAX_TEXT, description="What happened")
    userId: str | None = Field(None, description="A user of the website")
    walletAddress: str | None = Field(None, max_length=IDENTITY_LIMITS["walletAddress"])
    externalId: str | None = Field(None, max_length=MAX_TEXT, description="Your user id")
    timestamp: datetime = Field(description="When it happened, ISO 8601 with an offset")
    data: dict[str, str | float | bool] = Field(
        default_factory=dict,
        description="At most 100 properties: strings (at most 1024 characters), finite "
        "numbers, booleans",
    )


class EventsBody(BaseModel):
    organizationId: str | None = None
    websiteId: str | None = None
    events: list[EventBody] = Field(min_length=1, max_length=MAX_EVENTS)


class EarnedOut(BaseModel):
    loyaltyRuleId: str
    status: Literal["completed", "failed", "progressed"]
    amount: int | float | None = Field(None, description="Paid, in the rule's currency")
    message: str | None = Field(None, description="Why nothing was paid")
    progress: int | None = Field(None, description="The user's progress after the event")


class EventOut(BaseModel):
    id: str
    status: Literal["processed", "duplicate"]
    earned: list[EarnedOut]

    @classmethod
    def of(cls, result: EventResult) -> "EventOut":
        return cls(
            id=result.id,
            status=result.status,
            earned=[
                EarnedOut(
                    loyaltyRuleId=e.rule_id,
                    status=e.status,
                    amount=e.amount,
                    message=e.message,
                    progress=e.progress,
                )
                for e in result.earned
            ],
        )


class EventsOut(BaseModel):
    data: list[EventOut]


# ---------------------------------------------------------------------------- reading


class _Reader:
    """Reads a body, collecting every problem with its path."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, path: str, message: str) -> None:
        self.errors.append(FieldError(path, message))

    def text(self, value: Any, path: str, limit: int) -> str | None:
        if not isinstance(value, str):
            self.add(path, "must be a string")
        elif not value.strip():
            self.add(path, "must not be empty")
        elif len(value) > limit:
            self.add(path, f"must be at most {limit} characters")
        elif "\x00" in value:
            self.add(path, "must not contain NUL characters")
        else:
            return value
        return None

    def event(self, raw: Any, path: str) -> EventIn | None:
        if not isinstance(raw, dict):
            self.add(path, "must be an object")
            return None
        before = len(self.errors)
        for key in raw:
            if key not in EventBody.model_fields:
                self.add(f"{path}.{key}", "unknown field")
        values: dict[str, str | None] = {}
        for name in ("id", "name"):
            if raw.get(name) is None:
                self.add(f"{path}.{name}", "is required")
            else:
                values[name] = self.text(raw[name], f"{path}.{name}", LIMITS[name])
        given = [name for name in IDENTITIES if raw.get(name) is not None]
        if not given:
            self.add(f"{path}.userId", "one of userId, walletAddress or externalId is required")
        for extra in given[1:]:
            self.add(f"{path}.{extra}", "give only one of userId, walletAddress or externalId")
        for name in given:
            values[name] = self.text(raw[name], f"{path}.{name}", LIMITS[name])
        timestamp = self.timestamp(raw.get("timestamp"), f"{path}.timestamp")
        data = self.data(raw.get("data"), f"{path}.data")
        if len(self.errors) > before:
            return None
        assert timestamp is not None and data is not None
        wallet = values.get("walletAddress")
        return EventIn(
            id=values["id"] or "",
            name=values["name"] or "",
            timestamp=timestamp,
            data=data,
            user_id=values.get("userId"),
            wallet=normalize_wallet(wallet) if wallet is not None else None,
            external_id=values.get("externalId"),
        )

    def timestamp(self, value: Any, path: str) -> datetime | None:
        if value is None:
            self.add(path, "is required")
            return None
        moment = None
        if isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                moment = None
        if moment is None or moment.tzinfo is None:
            self.add(path, "must be an ISO 8601 date and time with an offset (Z or +hh:mm)")
            return None
        return moment

    def data(self, value: Any, path: str) -> dict[str, Scalar] | None:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.add(path, "must be an object")
            return None
        before = len(self.errors)
        if len(value) > MAX_KEYS:
            self.add(path, f"must have at most {MAX_KEYS} properties")
        for key, item in value.items():
            if not key or len(key) > MAX_TEXT or "\x00" in key:
                self.add(f"{path}.{key}", f"a property name has 1 to {MAX_TEXT} characters")
            problem = conditions.scalar_problem(item)
            if problem is not None:
                self.add(f"{path}.{key}", problem)
        return dict(value) if len(self.errors) == before else None


def read_events(body: dict[str, Any]) -> tuple[list[EventIn], list[FieldError]]:
    """The events of a body, and every problem with it."""
    reader = _Reader()
    for key in body:
        if key not in EventsBody.model_fields:
            reader.add(key, "unknown field")
    for key in ("organizationId", "websiteId"):
        if body.get(key) is not None:
            reader.text(body[key], key, MAX_TEXT)
    raw = body.get("events")
    if raw is None:
        reader.add("events", "is required")
        return [], reader.errors
    if not isinstance(raw, list):
        reader.add("events", "must be a list")
        return [], reader.errors
    if not raw:
        reader.add("events", "must have at least 1 event")
    if len(raw) > MAX_EVENTS:
        reader.add("events", f"must have at most {MAX_EVENTS} events; send more in batches")
        return [], reader.errors
    events = [reader.event(item, f"events[{n}]") for n, item in enumerate(raw)]
    return [e for e in events if e is not None], reader.errors


@router.post(
    "/api/loyalty/events",
    openapi_extra=json_body(EventsBody),
    response_model_exclude_none=True,
)
async def post_events(
    body: JsonObject, principal: PrincipalDep, session: WriteSessionDep
) -> EventsOut:
    """Record up to 1,000 events and apply each new one to the rules it triggers: an
    external rule whose `metadata.trigger.event` is its name and whose conditions its data
    meets is completed for the event's user (claimType auto), or, when it tracks progress,
    its progress advances (by 1, or by the number in the data field `progressFrom`).
    The answer lists, per event in the order sent, what it earned. An event id seen
    before (or twice in the batch) is a `duplicate` and changes nothing."""
    events, errors = read_events(body)
    website: Website | None = None
    try:
        website = await tenancy_service.website_for(
            session,
            principal,
            _text(body.get("websiteId")),
            _text(body.get("organizationId")),
        )
    except ValidationFailed as exc:
        errors += exc.errors
    raise_if_any(errors)
    assert website is not None
    results = await ingest(session, website, events)
    return EventsOut(data=[EventOut.of(r) for r in results])


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
