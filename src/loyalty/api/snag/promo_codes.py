"""Promo codes of code_entry rules (this engine's own paths: Snag's API has none):

- ``POST /api/loyalty/rules/{id}/promo_codes``: import a CSV of codes into a csv rule,
  as a ``text/csv`` body or a ``multipart/form-data`` file field ``file``;
- ``POST /api/loyalty/rules/{id}/promo_code_imports``: fetch the rule's
  ``promoCodeCsvUrl`` again (the worker imports it);
- ``GET /api/loyalty/rules/{id}/promo_code_imports``: the imports and their status;
- ``GET /api/loyalty/rules/{id}/promo_codes.csv``: every code of a csv or generate rule,
  streamed as ``code,used,usedBy``.
"""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from loyalty.api.deps import PrincipalDep, ReadSessionDep, WriteSessionDep, get_database
from loyalty.api.snag.common import ERRORS, Limit, StartingAfter
from loyalty.api.uploads import CSV_BODY, csv_upload
from loyalty.codes import service
from loyalty.codes.models import PromoCodeImport
from loyalty.kit.pagination import DEFAULT_LIMIT, Page

router = APIRouter(tags=["promo codes"], responses=ERRORS)

RULE_PATH = "/api/loyalty/rules/{rule_id}"
REFUSED: dict[int | str, dict[str, Any]] = {422: {"description": "Refused: `code` says why"}}


class BadLineOut(BaseModel):
    line: int
    message: str


class ImportOut(BaseModel):
    """An import of a CSV of codes into a rule."""

    id: str
    loyaltyRuleId: str
    organizationId: str
    websiteId: str
    source: str = Field(description="upload | url")
    url: str | None
    status: str = Field(description="queued | completed | failed | superseded")
    importedCount: int = Field(description="Codes added to the rule")
    duplicateCount: int = Field(description="Codes skipped: repeated, or the rule's already")
    badLineCount: int
    badLines: list[BadLineOut] = Field(description="The first 100 bad lines")
    error: str | None
    createdAt: datetime
    finishedAt: datetime | None

    @classmethod
    def of(cls, row: PromoCodeImport) -> "ImportOut":
        return cls(
            id=row.id,
            loyaltyRuleId=row.rule_id,
            organizationId=row.organization_id,
            websiteId=row.website_id,
            source=row.source,
            url=row.url,
            status=row.status,
            importedCount=row.imported_count or 0,
            duplicateCount=row.duplicate_count or 0,
            badLineCount=row.bad_line_count or 0,
            badLines=[BadLineOut(**bad) for bad in row.bad_lines or ()],
            error=row.error,
            createdAt=row.created_at,
            finishedAt=row.finished_at,
        )


@router.post(f"{RULE_PATH}/promo_codes", status_code=201, openapi_extra=CSV_BODY, responses=REFUSED)
async def upload_codes(
    rule_id: str, request: Request, principal: PrincipalDep, session: WriteSessionDep
) -> ImportOut:
    """Add the codes of a CSV (a code per line, first column; a `code` header is skipped)
    to a rule whose promoCodeType is csv. All or nothing: a bad line refuses the file (400
    naming every bad line). Codes the rule has already are skipped and counted."""
    data = await csv_upload(request)
    return ImportOut.of(await service.upload(session, principal, rule_id, data))


@router.post(f"{RULE_PATH}/promo_code_imports", status_code=201, responses=REFUSED)
async def refetch_codes(
    rule_id: str, principal: PrincipalDep, session: WriteSessionDep
) -> ImportOut:
    """Queue another import of the rule's promoCodeCsvUrl (a new URL is imported on its
    own when the rule is saved): for a file that was fixed or grew."""
    return ImportOut.of(await service.refetch(session, principal, rule_id))


@router.get(f"{RULE_PATH}/promo_code_imports")
async def list_imports(
    rule_id: str,
    principal: PrincipalDep,
    session: ReadSessionDep,
    limit: Limit = DEFAULT_LIMIT,
    starting_after: StartingAfter = None,
) -> Page[ImportOut]:
    """The rule's imports of codes, newest first."""
    rows, more = await service.imports(session, principal, rule_id, starting_after, limit)
    return Page[ImportOut](data=[ImportOut.of(row) for row in rows], hasNextPage=more)


@router.get(
    f"{RULE_PATH}/promo_codes.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}, **REFUSED},
)
async def download_codes(
    rule_id: str, request: Request, principal: PrincipalDep, session: ReadSessionDep
) -> StreamingResponse:
    """Every code of a csv or generate rule, in creation order, as CSV: `code,used,usedBy`
    (`used` true or false, `usedBy` the id of the user who used it)."""
    rule = await service.unique_code_rule(session, principal, rule_id)
    return StreamingResponse(
        service.export_csv(get_database(request), rule.id),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="promo-codes-{rule.id}.csv"'},
    )
