"""Rule use cases: create, update, delete (optionally taking back the points the rule
paid), list; every change is kept as a rule edit, and an edit can be restored."""

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select

from loyalty.badges.service import existing_badge_ids
from loyalty.db import ReadSession, WriteSession
from loyalty.errors import BusinessRefusal, FieldError, NotFound, ValidationFailed, raise_if_any
from loyalty.kit.cache import TTLCache
from loyalty.kit.clock import instant, iso, now
from loyalty.kit.ids import new_id
from loyalty.ledger.currencies import CurrencyTerms, currency_in_website
from loyalty.ledger.models import Account, Currency, Entry, Transaction
from loyalty.ledger.rows import Line
from loyalty.ledger.service import post_transaction
from loyalty.ledger.settlement import decline_entry
from loyalty.rules.checks import Reference, references, validate
from loyalty.rules.definition import Draft
from loyalty.rules.document import chain_ids, document, with_secrets
from loyalty.rules.models import Rule, RuleEdit, RuleGroup
from loyalty.rules.registry import RuleType
from loyalty.tenancy import service as tenancy_service
from loyalty.tenancy.models import Website
from loyalty.tenancy.principal import Principal

RULE_REVERSAL = "loyalty_rule_deletion"

# Called as ``hook(session, rule, action, previous)`` after every create, update, delete and
# restore, in its transaction (``previous``: the rule's API document before, None on
# create): a family keeps what it derives from a rule (codes, questions, imports) in step.
RuleSaved = Callable[[WriteSession, Rule, str, dict[str, Any] | None], Awaitable[None]]
RULE_SAVED: list[RuleSaved] = []


def on_rule_saved(hook: RuleSaved) -> RuleSaved:
    if hook not in RULE_SAVED:
        RULE_SAVED.append(hook)
    return hook


@dataclass(frozen=True)
class RuleSnapshot:
    """What completing a rule needs of it, as plain values safe to share between requests.
    ``version`` tells whether the rule changed since (the earning pipeline checks it)."""

    id: str
    organization_id: str
    website_id: str
    type: str
    name: str
    currency_id: str
    version: int
    definition: dict[str, Any]


# Live rules by id, cached per process for the completion path; a stale entry is caught
# by the pipeline, which checks every rule's version when it writes.
RuleCache = TTLCache[str, RuleSnapshot]

_SNAPSHOT_COLUMNS = select(
    Rule.id,
    Rule.organization_id,
    Rule.website_id,
    Rule.type,
    Rule.name,
    Rule.currency_id,
    Rule.version,
    Rule.definition,
).where(Rule.deleted_at.is_(None))
_SNAPSHOT = _SNAPSHOT_COLUMNS.where(Rule.id.in_(bindparam("ids", expanding=True)))
_VERSIONS = select(Rule.id, Rule.version).where(
    Rule.deleted_at.is_(None), Rule.id.in_(bindparam("ids", expanding=True))
)
_OF_TYPE = _SNAPSHOT_COLUMNS.where(
    Rule.website_id == bindparam("website_id"), Rule.type == bindparam("type")
).order_by(Rule.id)


async def live_rules(session: ReadSession, rule_ids: Iterable[str]) -> dict[str, RuleSnapshot]:
    """Snapshots of the live (not deleted) rules among these ids."""
    wanted = sorted(set(rule_ids))
    if not wanted:
        return {}
    connection = await session.connection()
    rows = await connection.execute(_SNAPSHOT, {"ids": wanted})
    return {row[0]: RuleSnapshot(*row) for row in rows.tuples()}


async def live_versions(session: ReadSession, rule_ids: Iterable[str]) -> dict[str, int]:
    """The versions of the live (not deleted) rules among these ids: enough to tell whether
    a copy is current, without reading and parsing the rules again."""
    wanted = sorted(set(rule_ids))
    if not wanted:
        return {}
    connection = await session.connection()
    rows = await connection.execute(_VERSIONS, {"ids": wanted})
    return dict(rows.tuples().all())


async def live_rules_of_type(
    session: ReadSession, website_id: str, rule_type: str
) -> dict[str, RuleSnapshot]:
    """Snapshots of the website's live rules of one type, in id order."""
    rows = await session.execute(_OF_TYPE, {"website_id": website_id, "type": rule_type})
    return {row[0]: RuleSnapshot(*row) for row in rows.tuples()}


async def rule_snapshot(
    session: ReadSession, principal: Principal, rule_id: str, cache: RuleCache | None = None
) -> RuleSnapshot:
    """A live rule of the key's organization and websites (404 otherwise), from the cache
    when it has it."""
    found = cache.get(rule_id) if cache is not None else None
    if found is None:
        found = (await live_rules(session, [rule_id])).get(rule_id)
        if found is not None and cache is not None:
            cache.put(rule_id, found)
    if (
        found is None
        or found.organization_id != principal.organization_id
        or not principal.may_use(found.website_id)
    ):
        raise RuleNotFound("Loyalty rule not found")
    return found


class RuleNotFound(NotFound):
    code = "rule_not_found"


class RuleEditNotFound(NotFound):
    code = "rule_edit_not_found"


async def create_rule(session: WriteSession, principal: Principal, raw: Mapping[str, Any]) -> Rule:
    draft, kind = validate(raw, creating=True)
    website = await _website(session, principal, draft)
    rule_id = new_id()
    definition, secrets = await _checked(session, website, draft, kind, rule_id)
    rule = Rule(
        id=rule_id,
        organization_id=website.organization_id,
        website_id=website.id,
        definition=definition,
        secrets=secrets,
        version=1,
    )
    _copy_columns(rule, definition)
    session.add(rule)
    await session.flush()
    await _record(session, principal, rule, "create", None)
    return rule


async def update_rule(
    session: WriteSession, principal: Principal, rule_id: str, raw: Mapping[str, Any]
) -> Rule:
    """Fields given replace the rule's (``metadata`` as a whole; a secret not given again is
    kept); the result is validated like a new rule."""
    rule = await rule_for(session, principal, rule_id, lock=True)
    errors = _fixed_fields(rule, raw)
    body = with_secrets(rule.definition, rule.secrets)
    given = dict(raw)
    if isinstance(given.get("metadata"), dict):
        kept = {k: v for k, v in body["metadata"].items() if k in rule.secrets}
        given["metadata"] = {**kept, **given["metadata"]}
    body.update(
        {k: v for k, v in given.items() if k not in ("organizationId", "websiteId", "type")}
    )
    draft, kind = validate(body, creating=False)
    draft.errors[:0] = errors
    website = await tenancy_service.website_for(session, principal, rule.website_id)
    previous = rule_out(rule)
    definition, secrets = await _checked(
        session, website, draft, kind, rule.id, chain_ids(rule.definition)
    )
    _apply(rule, definition, secrets)
    await session.flush()
    await _record(session, principal, rule, "update", previous)
    return rule


def _fixed_fields(rule: Rule, raw: Mapping[str, Any]) -> list[FieldError]:
    errors = []
    if "type" in raw and raw["type"] != rule.type:
        errors.append(FieldError("type", "cannot be changed; create a new rule instead"))
    if raw.get("websiteId") not in (None, rule.website_id):
        errors.append(FieldError("websiteId", "a rule cannot move to another website"))
    if raw.get("organizationId") not in (None, rule.organization_id):
        errors.append(FieldError("organizationId", "a rule cannot move to another organization"))
    return errors


async def delete_rule(
    session: WriteSession, principal: Principal, rule_id: str, *, debit_points: bool
) -> Rule:
    """Soft-delete the rule. With ``debit_points`` the points it paid are taken back
    through the ledger: pending ones are declined, approved ones debited, as far as each
    balance allows (a balance never goes below zero)."""
    rule = await rule_for(session, principal, rule_id, lock=True)
    previous = rule_out(rule)
    rule.deleted_at = now()
    rule.updated_at = rule.deleted_at
    rule.version += 1
    await session.flush()
    edit = await _record(session, principal, rule, "delete", previous)
    if debit_points:
        await _take_back_points(session, rule, edit.id)
    return rule


async def _take_back_points(session: WriteSession, rule: Rule, edit_id: str) -> None:
    of_rule = select(Transaction.id).where(
        Transaction.website_id == rule.website_id, Transaction.rule_id == rule.id
    )
    pending = await session.scalars(
        select(Entry.id).where(
            Entry.transaction_id.in_(of_rule),
            Entry.status == "pending",
            Entry.direction == "credit",
        )
    )
    for entry_id in list(pending):
        await decline_entry(session, entry_id)
    rows = await session.execute(
        select(Entry.user_id, Entry.currency_id, Entry.direction, func.sum(Entry.amount))
        .where(Entry.transaction_id.in_(of_rule), Entry.status == "approved")
        .group_by(Entry.user_id, Entry.currency_id, Entry.direction)
    )
    net: dict[tuple[str, str], int] = {}
    for user_id, currency_id, direction, total in rows.tuples():
        sign = 1 if direction == "credit" else -1
        net[(user_id, currency_id)] = net.get((user_id, currency_id), 0) + sign * int(total)
    owed = {pair: amount for pair, amount in net.items() if amount > 0}
    if not owed:
        return
    balances = await session.execute(
        select(Account.user_id, Account.currency_id, Account.approved).where(
            or_(*(and_(Account.user_id == u, Account.currency_id == c) for u, c in owed))
        )
    )
    lines = []
    for user_id, currency_id, approved in balances.tuples():
        amount = min(owed[(user_id, currency_id)], int(approved))
        if amount > 0:
            key = f"rule-deleted:{edit_id}:{user_id}:{currency_id}"
            lines.append(Line(user_id, currency_id, "debit", amount, key, source="rule"))
    if not lines:
        return
    currencies = await session.scalars(
        select(Currency).where(Currency.id.in_({line.currency_id for line in lines}))
    )
    await post_transaction(
        session,
        organization_id=rule.organization_id,
        website_id=rule.website_id,
        description=f"Rule deleted: {rule.name}",
        type=RULE_REVERSAL,
        lines=sorted(lines, key=lambda line: (line.user_id, line.currency_id)),
        currencies={c.id: CurrencyTerms.of(c) for c in currencies},
        rule_id=rule.id,
    )


async def restore_edit(session: WriteSession, principal: Principal, edit_id: str) -> RuleEdit:
    """Make the rule what it was right after the edit (undeleting it if it is deleted); the
    restore is itself an edit. The earlier rule must still be valid (its currency, badges
    and group must still exist): 422 otherwise."""
    edit = await edit_for(session, principal, edit_id)
    rule = await rule_for(session, principal, edit.rule_id, lock=True, include_deleted=True)
    previous = rule_out(rule)
    body = with_secrets(_definition_of(edit.data), edit.secrets)
    draft, kind = validate(body, creating=False)
    website = await tenancy_service.website_for(session, principal, rule.website_id)
    try:
        known = chain_ids(rule.definition) | chain_ids(edit.data)
        definition, secrets = await _checked(session, website, draft, kind, rule.id, known)
    except ValidationFailed as exc:
        raise BusinessRefusal(
            "This edit can no longer be restored",
            code="rule_edit_not_restorable",
            errors=[e.as_dict() for e in exc.errors],
        ) from exc
    _apply(rule, definition, secrets)
    rule.deleted_at = None
    await session.flush()
    return await _record(session, principal, rule, "restore", previous)


OUTSIDE = ("id", "organizationId", "websiteId", "createdAt", "updatedAt", "deletedAt")
DERIVED = ("version",)


def _definition_of(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in OUTSIDE and k not in DERIVED}


async def _website(session: ReadSession, principal: Principal, draft: Draft) -> Website:
    f = draft.fields
    try:
        return await tenancy_service.website_for(
            session,
            principal,
            f.websiteId if draft.usable("websiteId") else None,
            f.organizationId if draft.usable("organizationId") else None,
        )
    except ValidationFailed as exc:
        raise ValidationFailed([*exc.errors, *draft.errors]) from exc


async def _checked(
    session: ReadSession,
    website: Website,
    draft: Draft,
    kind: RuleType | None,
    rule_id: str,
    known_ids: Set[str] = frozenset(),
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The document and secrets of a draft, once it and the rows it names check out."""
    errors = list(draft.errors) + await _reference_problems(session, website, draft, rule_id)
    raise_if_any(errors)
    assert kind is not None  # an unknown type is an error above
    return document(draft, kind, rule_id, known_ids)


async def _reference_problems(
    session: ReadSession, website: Website, draft: Draft, rule_id: str
) -> list[FieldError]:
    found = references(draft)
    errors = []
    badges = await existing_badge_ids(
        session, website.id, (r.id for r in found if r.kind == "badge")
    )
    rules = await _existing_rule_ids(
        session, website.id, {r.id for r in found if r.kind == "rule"} - {rule_id}
    )
    for ref in found:
        if ref.kind == "rule" and ref.id == rule_id:
            errors.append(FieldError(ref.path, "a rule cannot require itself"))
        elif ref.kind == "rule" and ref.id not in rules:
            errors.append(FieldError(ref.path, "no such rule in this website"))
        elif ref.kind == "currency":
            currency = await currency_in_website(session, website.id, ref.id)
            if currency is None:
                errors.append(FieldError(ref.path, "no such currency in this website"))
            else:
                errors.extend(_decimals_problems(draft, ref, currency.decimals))
        elif ref.kind == "badge" and ref.id not in badges:
            errors.append(FieldError(ref.path, "no such badge in this website"))
        elif ref.kind == "group" and not await _group_exists(session, website.id, ref.id):
            errors.append(FieldError(ref.path, "no such rule group in this website"))
    for ref in found:
        if (
            ref.kind == "rule"
            and ref.id in rules
            and rule_id in await _required_by(session, ref.id)
        ):
            errors.append(
                FieldError(
                    ref.path, "this rule requires, through its own chain, the rule being saved"
                )
            )
    return errors


def chain_rule_ids(definition: Mapping[str, Any]) -> set[str]:
    """The rules a rule's chain requires directly."""
    return {
        association["loyaltyRuleId"]
        for entry in definition.get("loyaltyRuleChain") or ()
        for condition in entry.get("loyaltyConditions") or ()
        if condition.get("type") in ("rule", "rules")
        for association in condition.get("association") or ()
        if association.get("loyaltyRuleId")
    }


async def _required_by(session: ReadSession, rule_id: str) -> set[str]:
    """Every rule ``rule_id`` requires, directly or through the chains of those it requires."""
    seen: set[str] = set()
    frontier = {rule_id}
    while frontier:
        live = await live_rules(session, frontier)
        required = set().union(*(chain_rule_ids(r.definition) for r in live.values()))
        frontier = required - seen
        seen |= required
    return seen


def _decimals_problems(draft: Draft, ref: Reference, decimals: int) -> list[FieldError]:
    """Points amounts must fit the currency they are paid in."""
    if ref.path != "loyaltyCurrencyId" or (draft.fields.rewardType or "points") != "points":
        return []
    amounts: list[tuple[str, Decimal | None]] = [("amount", draft.fields.amount)]
    amounts += [
        (f"metadata.range[{i}].amount", r.amount) for i, r in enumerate(draft.metadata.range or ())
    ]
    step = Decimal(1).scaleb(-decimals)
    return [
        FieldError(path, f"has more decimal places than the currency's {decimals}")
        for path, value in amounts
        if value is not None and value % step != 0
    ]


async def _existing_rule_ids(session: ReadSession, website_id: str, ids: set[str]) -> set[str]:
    """Those of ``ids`` that are live rules of the website."""
    if not ids:
        return set()
    rows = await session.scalars(
        select(Rule.id).where(
            Rule.website_id == website_id, Rule.id.in_(sorted(ids)), Rule.deleted_at.is_(None)
        )
    )
    return set(rows)


async def _group_exists(session: ReadSession, website_id: str, group_id: str) -> bool:
    found = await session.scalar(
        select(RuleGroup.id)
        .where(
            RuleGroup.id == group_id,
            RuleGroup.website_id == website_id,
            RuleGroup.deleted_at.is_(None),
        )
        # Held to commit, so the group cannot be deleted under a rule joining it.
        .with_for_update(read=True)
    )
    return found is not None


def _copy_columns(rule: Rule, definition: Mapping[str, Any]) -> None:
    rule.type = definition["type"]
    rule.name = definition["name"]
    rule.currency_id = definition["loyaltyCurrencyId"]
    rule.group_id = definition.get("loyaltyRuleGroupId")
    rule.hide_in_ui = bool(definition.get("hideInUi"))
    rule.start_time = instant(definition.get("startTime"))
    rule.end_time = instant(definition.get("endTime"))
    rule.collection_address = definition.get("collectionAddress")


def _apply(rule: Rule, definition: dict[str, Any], secrets: dict[str, Any]) -> None:
    rule.definition = definition
    rule.secrets = secrets
    rule.version += 1
    rule.updated_at = now()
    _copy_columns(rule, definition)


async def _record(
    session: WriteSession,
    principal: Principal,
    rule: Rule,
    action: str,
    previous: dict[str, Any] | None,
) -> RuleEdit:
    edit = RuleEdit(
        organization_id=rule.organization_id,
        website_id=rule.website_id,
        rule_id=rule.id,
        action=action,
        data=rule_out(rule),
        previous_data=previous,
        secrets=dict(rule.secrets),
        edited_by_key_id=principal.key_id,
    )
    session.add(edit)
    await session.flush()
    for hook in RULE_SAVED:
        await hook(session, rule, action, previous)
    return edit


def rule_out(rule: Rule) -> dict[str, Any]:
    """The rule as the API shows it."""
    return {
        "id": rule.id,
        "organizationId": rule.organization_id,
        "websiteId": rule.website_id,
        **rule.definition,
        "loyaltyRuleGroupId": rule.definition.get("loyaltyRuleGroupId"),
        "loyaltyRuleChain": rule.definition.get("loyaltyRuleChain") or [],
        "version": rule.version,
        "createdAt": _iso(rule.created_at),
        "updatedAt": _iso(rule.updated_at),
        "deletedAt": _iso(rule.deleted_at),
    }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else iso(value)


async def rule_for(
    session: ReadSession,
    principal: Principal,
    rule_id: str,
    *,
    lock: bool = False,
    include_deleted: bool = False,
) -> Rule:
    """A rule of the key's organization and websites: 404 otherwise."""
    query = select(Rule).where(
        Rule.id == rule_id, Rule.organization_id == principal.organization_id
    )
    if not include_deleted:
        query = query.where(Rule.deleted_at.is_(None))
    if lock:
        query = query.with_for_update()
    rule = await session.scalar(query)
    if rule is None or not principal.may_use(rule.website_id):
        raise RuleNotFound("Loyalty rule not found")
    return rule


async def edit_for(session: ReadSession, principal: Principal, edit_id: str) -> RuleEdit:
    edit = await session.scalar(
        select(RuleEdit).where(
            RuleEdit.id == edit_id, RuleEdit.organization_id == principal.organization_id
        )
    )
    if edit is None or not principal.may_use(edit.website_id):
        raise RuleEditNotFound("Rule edit not found")
    return edit


@dataclass(frozen=True)
class RuleFilter:
    types: Sequence[str] = ()
    rule_ids: Sequence[str] = ()
    group_id: str | None = None
    collection_address: str | None = None
    active: bool | None = None
    hidden: bool | None = None
    include_deleted: bool = False


async def list_rules(
    session: ReadSession,
    organization_id: str,
    scope: frozenset[str] | None,
    f: RuleFilter,
    *,
    starting_after: str | None,
    limit: int,
) -> Sequence[Rule]:
    """Rules in creation order (ids are time-ordered), ``limit + 1`` of them."""
    query = select(Rule).where(Rule.organization_id == organization_id)
    if scope is not None:
        query = query.where(Rule.website_id.in_(sorted(scope)))
    if not f.include_deleted:
        query = query.where(Rule.deleted_at.is_(None))
    if f.types:
        query = query.where(Rule.type.in_(f.types))
    if f.rule_ids:
        query = query.where(Rule.id.in_(f.rule_ids))
    if f.group_id == "no-section":
        query = query.where(Rule.group_id.is_(None))
    elif f.group_id is not None:
        query = query.where(Rule.group_id == f.group_id)
    if f.collection_address is not None:
        query = query.where(func.lower(Rule.collection_address) == f.collection_address.lower())
    if f.hidden is not None:
        query = query.where(Rule.hide_in_ui.is_(f.hidden))
    if f.active is not None:
        moment = now()
        live = and_(
            Rule.deleted_at.is_(None),
            or_(Rule.start_time.is_(None), Rule.start_time <= moment),
            or_(Rule.end_time.is_(None), Rule.end_time > moment),
        )
        query = query.where(live if f.active else ~live)
    if starting_after is not None:
        query = query.where(Rule.id > starting_after)
    return (await session.scalars(query.order_by(Rule.id).limit(limit + 1))).all()


async def list_chains(
    session: ReadSession,
    organization_id: str,
    scope: frozenset[str] | None,
    *,
    starting_after: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    """The chain entries of live rules, in id order, ``limit + 1`` of them, each rule an
    association names with its name (``loyaltyRule``). The chain is JSON in the rule
    document, queried alike on no dialect: the live rules' documents are read and filtered
    here."""
    query = select(Rule.definition).where(
        Rule.organization_id == organization_id, Rule.deleted_at.is_(None)
    )
    if scope is not None:
        query = query.where(Rule.website_id.in_(sorted(scope)))
    entries = [
        entry
        for definition in await session.scalars(query)
        for entry in definition.get("loyaltyRuleChain") or ()
        if starting_after is None or entry["id"] > starting_after
    ]
    entries = sorted(entries, key=lambda entry: str(entry["id"]))[: limit + 1]
    named = {
        item["loyaltyRuleId"]
        for entry in entries
        for condition in entry["loyaltyConditions"]
        for item in condition["association"]
        if item.get("loyaltyRuleId")
    }
    names: dict[str, str] = {}
    if named:
        rows = await session.execute(select(Rule.id, Rule.name).where(Rule.id.in_(sorted(named))))
        names = dict(rows.tuples().all())
    return [_with_names(entry, names) for entry in entries]


def _with_names(entry: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    def named(item: Mapping[str, Any]) -> dict[str, Any]:
        name = names.get(item.get("loyaltyRuleId") or "")
        return {**item, "loyaltyRule": {"name": name} if name is not None else None}

    return {
        **entry,
        "loyaltyConditions": [
            {**condition, "association": [named(item) for item in condition["association"]]}
            for condition in entry["loyaltyConditions"]
        ],
    }
