"""Use cases of promo codes: keeping a rule's codes in step with its metadata (generated
codes, the CSV at ``promoCodeCsvUrl``), uploads, imports and the export.

A rule's unique codes are those generated for it and those imported into it; a rule of
type ``csv`` or ``generate`` accepts any of them. Lowering ``promoCodeLength`` removes no
code (codes may be in people's hands already); raising it generates the difference.
"""

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from loyalty.codes import repository
from loyalty.codes.csvfile import ParsedCodes, export_lines, parse_codes
from loyalty.codes.keys import new_codes
from loyalty.codes.models import PromoCodeImport
from loyalty.codes.repository import RuleRef
from loyalty.db import Database, ReadSession, WriteSession
from loyalty.errors import BusinessRefusal, FieldError, ValidationFailed
from loyalty.kit.clock import now
from loyalty.kit.fetch import FetchFailed, fetch, url_problem
from loyalty.kit.pagination import split_page
from loyalty.rules.models import Rule
from loyalty.rules.service import on_rule_saved, rule_for
from loyalty.tenancy.principal import Principal
from loyalty.worker.jobs import enqueue, handler

CODE_ENTRY = "code_entry"
UNIQUE_KINDS = ("csv", "generate")
IMPORT_JOB = "import_promo_codes"
EXPORT_PAGE = 5_000


class NotCsvRule(BusinessRefusal):
    code = "not_a_csv_code_rule"


class NoUniqueCodes(BusinessRefusal):
    code = "no_unique_codes"


def promo_code_type(definition: Mapping[str, Any]) -> str | None:
    """The ``promoCodeType`` of a code_entry rule's document (None for other rules)."""
    if definition.get("type") != CODE_ENTRY:
        return None
    kind = _metadata(definition).get("promoCodeType")
    return str(kind) if kind is not None else None


def _ref(rule: Rule) -> RuleRef:
    return RuleRef(rule.id, rule.organization_id, rule.website_id)


def _metadata(document: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return (document or {}).get("metadata") or {}


@on_rule_saved
async def keep_codes_in_step(
    session: WriteSession, rule: Rule, action: str, previous: dict[str, Any] | None
) -> None:
    """After a code_entry rule is saved: generate the codes ``promoCodeLength`` asks for
    and, when the CSV URL is new to the rule, queue its import."""
    kind = promo_code_type(rule.definition)
    if kind is None or action == "delete":
        return
    metadata = _metadata(rule.definition)
    if kind == "generate":
        await _top_up(session, _ref(rule), int(metadata["promoCodeLength"]))
    url = metadata.get("promoCodeCsvUrl")
    if kind == "csv" and url and _new_url(url, previous):
        problem = url_problem(url)
        if problem is not None:
            raise ValidationFailed([FieldError("metadata.promoCodeCsvUrl", problem)])
        await queue_url_import(session, _ref(rule), url)


def _new_url(url: str, previous: Mapping[str, Any] | None) -> bool:
    before = _metadata(previous)
    return promo_code_type(previous or {}) != "csv" or before.get("promoCodeCsvUrl") != url


async def _top_up(session: WriteSession, rule: RuleRef, wanted: int) -> None:
    """Generate codes until the rule has ``wanted`` generated ones (a new code that
    happens to equal one of the rule's is drawn again)."""
    missing = wanted - await repository.count_codes(session, rule.id, "generate")
    while missing > 0:
        missing -= await repository.insert_codes(session, rule, new_codes(missing), "generate")


async def queue_url_import(session: WriteSession, rule: RuleRef, url: str) -> PromoCodeImport:
    """Record an import of the CSV at ``url`` and queue the worker job that fetches it."""
    found = PromoCodeImport(
        organization_id=rule.organization_id,
        website_id=rule.website_id,
        rule_id=rule.id,
        source="url",
        url=url,
        status="queued",
        bad_lines=[],
    )
    session.add(found)
    await session.flush()
    await enqueue(session, IMPORT_JOB, {"importId": found.id})
    return found


async def csv_rule(session: WriteSession, principal: Principal, rule_id: str) -> Rule:
    """A code_entry rule of type csv of the key's organization (locked: its metadata
    cannot change while codes are added to it)."""
    rule = await rule_for(session, principal, rule_id, lock=True)
    if promo_code_type(rule.definition) != "csv":
        raise NotCsvRule(
            "Codes are imported only into a code_entry rule whose promoCodeType is csv"
        )
    return rule


async def upload(
    session: WriteSession, principal: Principal, rule_id: str, data: bytes
) -> PromoCodeImport:
    """Import an uploaded CSV into a csv rule: all its codes or, when a line is bad,
    nothing (400 naming every bad line). Codes the rule has already are skipped."""
    rule = await csv_rule(session, principal, rule_id)
    parsed = parse_codes(data)
    if not parsed.ok:
        raise ValidationFailed(_file_errors(parsed), "The CSV of codes cannot be imported")
    done = PromoCodeImport(
        organization_id=rule.organization_id,
        website_id=rule.website_id,
        rule_id=rule.id,
        source="upload",
        status="queued",
        bad_lines=[],
        created_at=now(),
    )
    await _store(session, done, _ref(rule), parsed)
    session.add(done)
    await session.flush()
    return done


def _file_errors(parsed: ParsedCodes) -> list[FieldError]:
    if parsed.error is not None:
        return [FieldError("file", parsed.error)]
    errors = [FieldError("file", f"line {bad.line}: {bad.message}") for bad in parsed.bad_lines]
    hidden = parsed.bad_line_count - len(parsed.bad_lines)
    if hidden:
        errors.append(FieldError("file", f"and {hidden} more bad lines"))
    return errors


async def _store(
    session: WriteSession, target: PromoCodeImport, rule: RuleRef, parsed: ParsedCodes
) -> None:
    """Insert the codes of a good file, or record why the file was refused."""
    target.finished_at = now()
    if not parsed.ok:
        target.status = "failed"
        target.error = parsed.error or "The file has bad lines: nothing was imported"
        target.bad_line_count = parsed.bad_line_count
        target.bad_lines = [bad.as_dict() for bad in parsed.bad_lines]
        return
    added = await repository.insert_codes(session, rule, parsed.codes, "csv")
    target.status = "completed"
    target.imported_count = added
    target.duplicate_count = parsed.duplicates + len(parsed.codes) - added


async def refetch(session: WriteSession, principal: Principal, rule_id: str) -> PromoCodeImport:
    """Queue another import of the rule's CSV URL (after the file was fixed)."""
    rule = await csv_rule(session, principal, rule_id)
    # The rule checks make a csv rule name its URL.
    url = str(_metadata(rule.definition)["promoCodeCsvUrl"])
    return await queue_url_import(session, _ref(rule), url)


@handler(IMPORT_JOB)
async def run_url_import(session: WriteSession, payload: dict[str, Any]) -> None:
    """Fetch and import a queued URL import. It runs only if the rule still names that
    URL (a later URL has its own import); a file that cannot be fetched or read fails the
    import with the reason, and a fixed file is imported again with ``refetch``."""
    found = await repository.import_for_update(session, payload["importId"])
    if found is None or found.status != "queued":
        return
    rule = await session.get(Rule, found.rule_id)
    if rule is None or not _still_named(rule, found.url):
        found.status = "superseded"
        found.error = "The rule no longer imports from this URL"
        found.finished_at = now()
        return
    try:
        data = await fetch(found.url or "")
    except FetchFailed as exc:
        found.status, found.error, found.finished_at = "failed", str(exc), now()
        return
    await _store(session, found, _ref(rule), parse_codes(data))


def _still_named(rule: Rule, url: str | None) -> bool:
    return (
        rule.deleted_at is None
        and promo_code_type(rule.definition) == "csv"
        and _metadata(rule.definition).get("promoCodeCsvUrl") == url
    )


async def unique_code_rule(session: ReadSession, principal: Principal, rule_id: str) -> Rule:
    """A code_entry rule with unique codes (csv or generate) of the key's organization."""
    rule = await rule_for(session, principal, rule_id)
    if promo_code_type(rule.definition) not in UNIQUE_KINDS:
        raise NoUniqueCodes(
            "Only code_entry rules whose promoCodeType is csv or generate have unique codes"
        )
    return rule


async def export_csv(database: Database, rule_id: str) -> AsyncIterator[str]:
    """The rule's codes as CSV text (``code,used,usedBy``), a page at a time, so a
    hundred thousand codes are never held at once."""
    async with database.reading() as session:
        after: str | None = None
        header = True
        while True:
            rows = await repository.codes_after(session, rule_id, after, EXPORT_PAGE)
            if rows or header:
                yield export_lines(((code, used) for _, code, used in rows), header=header)
            header = False
            if len(rows) < EXPORT_PAGE:
                return
            after = rows[-1][0]


async def imports(
    session: ReadSession, principal: Principal, rule_id: str, before_id: str | None, limit: int
) -> tuple[Sequence[PromoCodeImport], bool]:
    """A rule's imports of codes, newest first, and whether more follow."""
    rule = await rule_for(session, principal, rule_id)
    return split_page(await repository.imports_of(session, rule.id, before_id, limit + 1), limit)
