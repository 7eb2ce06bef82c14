"""Domain errors. Each carries a machine code and an HTTP status; one handler renders
them all in the same JSON shape:

    {"code": "validation_error", "message": "...", "errors": [{"field": "...", "message": "..."}]}
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    location: str = "body"

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message, "location": self.location}


class LoyaltyError(Exception):
    status_code = 500
    code = "internal_error"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class ValidationFailed(LoyaltyError):
    """400: every bad field at once."""

    status_code = 400
    code = "validation_error"

    def __init__(self, errors: Iterable[FieldError], message: str = "Invalid request") -> None:
        super().__init__(message)
        self.errors = list(errors)

    def body(self) -> dict[str, Any]:
        return {**super().body(), "errors": [e.as_dict() for e in self.errors]}


class Unauthenticated(LoyaltyError):
    status_code = 401
    code = "unauthenticated"


class Forbidden(LoyaltyError):
    status_code = 403
    code = "forbidden"


class NotFound(LoyaltyError):
    status_code = 404
    code = "not_found"


class Conflict(LoyaltyError):
    status_code = 409
    code = "conflict"


class BusinessRefusal(LoyaltyError):
    """422: the request is well formed, but the business rules refuse it."""

    status_code = 422
    code = "unprocessable"


class InsufficientPoints(BusinessRefusal):
    code = "insufficient_points"


def field_path(loc: Iterable[Any]) -> str:
    """``("entries", 0, "amount")`` -> ``entries[0].amount``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def clean_message(message: str) -> str:
    """Pydantic's message without the ``Value error, `` it puts before a raised ValueError."""
    return message.removeprefix("Value error, ")


def field_errors(*pairs: tuple[str, str]) -> ValidationFailed:
    return ValidationFailed(FieldError(f, m) for f, m in pairs)


def raise_if_any(errors: list[FieldError]) -> None:
    if errors:
        raise ValidationFailed(errors)
