"""Airdrops of points_airdrop rules: ``POST /api/loyalty/rules/{id}/airdrop`` uploads a CSV
(the body as ``text/csv``, or a multipart form with a ``file`` part),
``GET /api/loyalty/rules/{id}/airdrop`` is the status of the rule's latest airdrop (a CSV
uploaded or read from ``loyaltyUserAllotmentCsvUrl``), and
``GET /api/loyalty/rules/{id}/airdrops/{airdropId}`` the status of one. A status pages
its failed lines with ``limit`` and ``startingAfter`` (a line number).
"""

from datetime import datetime
from typing import Annotated, Literal, cast

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from loyalty.airdrops import service
from loyalty.airdrops.models import Airdrop, AirdropLine
from loyalty.api.deps import PrincipalDep, ReadSessionDep, WriteSessionDep
from loyalty.api.snag.common import ERRORS
from loyalty.api.uploads import CSV_BODY, csv_upload
from loyalty.db import ReadSession
from loyalty.kit.pagination import MAX_LIMIT, split_page

router = APIRouter(tags=["airdrops"], responses=ERRORS)

State = Literal["pending", "processing", "completed", "failed"]
ErrorsLimit = Annotated[
    int, Query(ge=1, le=MAX_LIMIT * 10, description="Failed lines shown (max 1000)")
]
AfterLine = Annotated[
    int | None, Query(alias="startingAfter", ge=0, description="Show failed lines after this one")
]


class LineError(BaseModel):
    line: int = Field(description="The line's number in the file (the header is line 1)")
    walletAddress: str | None
    userId: str | None
    code: str
    message: str

    @classmethod
    def of(cls, row: AirdropLine) -> "LineError":
        return cls(
            line=row.line,
            walletAddress=row.wallet,
            userId=None if row.wallet is not None else row.user_id,
            code=row.code or "failed",
            message=row.message or "",
        )


class AirdropOut(BaseModel):
    """How far an airdrop got. ``rowsProcessed`` = ``rowsPaid`` + ``rowsFailed``, of
    ``rowsTotal`` data lines; ``progress`` is that in percent."""

    id: str
    loyaltyRuleId: str
    organizationId: str
    websiteId: str
    source: Literal["url", "upload"]
    csvUrl: str | None
    status: State
    message: str | None = Field(description="Why the airdrop failed or is waiting")
    rowsTotal: int
    rowsProcessed: int
    rowsPaid: int
    rowsFailed: int
    progress: int = Field(description="Lines processed, in percent (0 until the CSV is read)")
    createdAt: datetime
    updatedAt: datetime
    startedAt: datetime | None
    completedAt: datetime | None
    errors: list[LineError] = Field(description="Failed lines, in file order")
    hasMoreErrors: bool


async def _status(
    session: ReadSession, airdrop: Airdrop, limit: int, after_line: int | None
) -> AirdropOut:
    lines = await service.failed_lines(session, airdrop.id, after_line=after_line, limit=limit)
    errors, more = split_page(lines, limit)
    processed = airdrop.rows_paid + airdrop.rows_failed
    return AirdropOut(
        id=airdrop.id,
        loyaltyRuleId=airdrop.rule_id,
        organizationId=airdrop.organization_id,
        websiteId=airdrop.website_id,
        source=cast(Literal["url", "upload"], airdrop.source),
        csvUrl=airdrop.csv_url,
        status=cast(State, airdrop.state),
        message=airdrop.message,
        rowsTotal=airdrop.rows_total,
        rowsProcessed=processed,
        rowsPaid=airdrop.rows_paid,
        rowsFailed=airdrop.rows_failed,
        progress=processed * 100 // airdrop.rows_total if airdrop.rows_total else 0,
        createdAt=airdrop.created_at,
        updatedAt=airdrop.updated_at,
        startedAt=airdrop.started_at,
        completedAt=airdrop.completed_at,
        errors=[LineError.of(line) for line in errors],
        hasMoreErrors=more,
    )


@router.post(
    "/api/loyalty/rules/{rule_id}/airdrop",
    status_code=202,
    openapi_extra=CSV_BODY,
    responses={
        400: {"description": "No file, or a file that cannot be read as an airdrop CSV"},
        422: {"description": "`not_an_airdrop_rule`, `airdrop_ended` or `currency_not_found`"},
    },
)
async def upload_airdrop(
    rule_id: str, request: Request, principal: PrincipalDep, session: WriteSessionDep
) -> AirdropOut:
    """Airdrop the lines of a CSV: a header line naming `walletAddress` and/or `userId`,
    and `amount`; then one line per user. The file is read now (bad lines are reported in
    `errors` with their line numbers); the worker pays the good lines in batches from the
    airdrop's start (the later of `startTime` and `effectiveStartTime`)."""
    rule = await service.airdrop_rule(session, principal, rule_id)
    airdrop = await service.upload(session, rule, await csv_upload(request))
    return await _status(session, airdrop, 100, None)


@router.get("/api/loyalty/rules/{rule_id}/airdrop")
async def latest_airdrop(
    rule_id: str,
    principal: PrincipalDep,
    session: ReadSessionDep,
    limit: ErrorsLimit = 100,
    starting_after: AfterLine = None,
) -> AirdropOut:
    """The status of the rule's latest airdrop (404 `airdrop_not_found` before the first)."""
    rule = await service.airdrop_rule(session, principal, rule_id)
    airdrop = await service.latest_airdrop(session, rule)
    return await _status(session, airdrop, limit, starting_after)


@router.get("/api/loyalty/rules/{rule_id}/airdrops/{airdrop_id}")
async def one_airdrop(
    rule_id: str,
    airdrop_id: str,
    principal: PrincipalDep,
    session: ReadSessionDep,
    limit: ErrorsLimit = 100,
    starting_after: AfterLine = None,
) -> AirdropOut:
    """The status of one airdrop of the rule."""
    rule = await service.airdrop_rule(session, principal, rule_id)
    airdrop = await service.airdrop_of(session, rule, airdrop_id)
    return await _status(session, airdrop, limit, starting_after)
