"""code_entry: the user enters a promo code: one shared code, a code of a CSV (fetched from
``promoCodeCsvUrl``, or uploaded), or a code of a batch the engine generates. The codes
themselves live in ``loyalty.codes``."""

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from loyalty.codes.keys import CODE_MAX
from loyalty.errors import FieldError
from loyalty.rules.definition import Draft, Metadata
from loyalty.rules.registry import MANUAL, Capabilities, RuleType

# Seed 001: promoCodeLength is the number of codes to generate.
MAX_GENERATED_CODES = 100_000


class CodeEntryMetadata(Metadata):
    promoCodeType: Literal["code", "csv", "generate"] | None = None
    promoCode: str | None = Field(None, max_length=CODE_MAX)
    promoCodeCsvUrl: str | None = None
    promoCodeLength: int | None = Field(None, ge=1, le=MAX_GENERATED_CODES)
    isRestrictedToNewUsers: bool | None = None


def check_code_entry(draft: Draft) -> Iterator[FieldError]:
    m = draft.metadata
    assert isinstance(m, CodeEntryMetadata)
    kind = m.promoCodeType
    if kind is None:
        if "promoCodeType" not in draft.bad_metadata:
            yield FieldError("metadata.promoCodeType", "is required: code, csv or generate")
        return
    if kind == "code" and not (m.promoCode or "").strip():
        yield FieldError("metadata.promoCode", "is required when promoCodeType is code")
    if kind == "csv" and not (m.promoCodeCsvUrl or "").strip():
        yield FieldError("metadata.promoCodeCsvUrl", "is required when promoCodeType is csv")
    generated = m.promoCodeLength is not None or "promoCodeLength" in draft.bad_metadata
    if kind == "generate" and not generated:
        yield FieldError(
            "metadata.promoCodeLength",
            "is required when promoCodeType is generate (the number of codes)",
        )


TYPES = [
    RuleType(
        "code_entry",
        "The user enters a promo code: one shared code, or a unique code of a CSV or of a "
        "batch the engine generates.",
        CodeEntryMetadata,
        Capabilities(claim_types=MANUAL),
        check_code_entry,
        "The user submits the code as verificationCode; it is compared without regard to case "
        "or surrounding spaces. The shared code pays once per interval; a unique code (CSV or "
        "generated) is spent once in all. isRestrictedToNewUsers admits only users created in "
        "the last 6 hours. Only the user knows the code, so manual.",
    )
]
