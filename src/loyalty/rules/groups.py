"""Rule groups: the sections rules are shown in (Snag's loyalty rule groups).

A group belongs to one website. Deleting one is soft; its live rules go back to no
section, each change kept as a rule edit like any other change of a rule.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum, auto
from typing import Literal

from sqlalchemy import and_, or_, select

from loyalty.db import ReadSession, WriteSession
from loyalty.errors import FieldError, NotFound, ValidationFailed, raise_if_any
from loyalty.kit.clock import now
from loyalty.kit.pagination import split_page
from loyalty.rules.models import Rule, RuleEdit, RuleGroup
from loyalty.rules.service import rule_out
from loyalty.tenancy.models import Website
from loyalty.tenancy.principal import Principal

NAME_MAX = 255
# sort_id is an INTEGER column.
INT32 = 2**31
GROUP_DELETED_COMMENT = "rule group {id} deleted: rule moved to no section"


class RuleGroupNotFound(NotFound):
    code = "rule_group_not_found"


def name_problem(name: str) -> str | None:
    """Why a group name is refused, or None."""
    if not 1 <= len(name.strip()) <= NAME_MAX:
        return f"must be 1 to {NAME_MAX} characters"
    return None


def sort_id_problem(sort_id: int) -> str | None:
    if not -INT32 <= sort_id < INT32:
        return "must be a 32-bit integer"
    return None


def _check(name: str | None, sort_id: int | None = None) -> None:
    errors = []
    if name is not None and (problem := name_problem(name)):
        errors.append(FieldError("name", problem))
    if sort_id is not None and (problem := sort_id_problem(sort_id)):
        errors.append(FieldError("sortId", problem))
    raise_if_any(errors)


async def create_group(
    session: WriteSession,
    website: Website,
    *,
    name: str,
    sub_title: str | None = None,
    is_collapsible: bool = False,
    is_required: bool = False,
    sort_id: int = 0,
) -> RuleGroup:
    _check(name, sort_id)
    moment = now()
    group = RuleGroup(
        organization_id=website.organization_id,
        website_id=website.id,
        name=name,
        sub_title=sub_title,
        is_collapsible=is_collapsible,
        is_required=is_required,
        sort_id=sort_id,
        created_at=moment,
        updated_at=moment,
    )
    session.add(group)
    await session.flush()
    return group


class Keep(Enum):
    """Marks a field an update leaves as it is, where None is a value (it clears it)."""

    KEEP = auto()


KEEP = Keep.KEEP
# A sub-title to set (None clears it), or KEEP.
SubTitleChange = str | Literal[Keep.KEEP] | None


async def update_group(
    session: WriteSession,
    principal: Principal,
    group_id: str,
    *,
    name: str | None = None,
    is_collapsible: bool | None = None,
    sub_title: SubTitleChange = KEEP,
) -> RuleGroup:
    """Change what is given: ``name`` and ``is_collapsible`` when not None, ``sub_title``
    when not ``KEEP``."""
    group = await group_for(session, principal, group_id, lock=True)
    _check(name)
    if name is not None:
        group.name = name
    if is_collapsible is not None:
        group.is_collapsible = is_collapsible
    if sub_title is not KEEP:
        group.sub_title = sub_title
    group.updated_at = now()
    await session.flush()
    return group


async def delete_group(session: WriteSession, principal: Principal, group_id: str) -> RuleGroup:
    """Soft-delete the group; its live rules go back to no section (a new version of each,
    recorded as an ``update`` rule edit). Deleted rules keep naming the group they were in."""
    group = await group_for(session, principal, group_id, lock=True)
    moment = now()
    group.deleted_at = moment
    group.updated_at = moment
    rules = await session.scalars(
        select(Rule)
        .where(
            Rule.organization_id == group.organization_id,
            Rule.group_id == group.id,
            Rule.deleted_at.is_(None),
        )
        .order_by(Rule.id)
        .with_for_update()
    )
    for rule in list(rules):
        previous = rule_out(rule)
        # A new dict, so the JSON column is seen as changed.
        rule.definition = {**rule.definition, "loyaltyRuleGroupId": None}
        rule.group_id = None
        rule.version += 1
        rule.updated_at = moment
        session.add(
            RuleEdit(
                organization_id=rule.organization_id,
                website_id=rule.website_id,
                rule_id=rule.id,
                action="update",
                data=rule_out(rule),
                previous_data=previous,
                secrets=dict(rule.secrets),
                edited_by_key_id=principal.key_id,
                comment=GROUP_DELETED_COMMENT.format(id=group.id),
                edited_at=moment,
            )
        )
    await session.flush()
    return group


async def group_for(
    session: ReadSession, principal: Principal, group_id: str, *, lock: bool = False
) -> RuleGroup:
    """A live group of the key's organization and websites: 404 otherwise."""
    query = select(RuleGroup).where(
        RuleGroup.id == group_id,
        RuleGroup.organization_id == principal.organization_id,
        RuleGroup.deleted_at.is_(None),
    )
    if lock:
        query = query.with_for_update()
    group = await session.scalar(query)
    if group is None or not principal.may_use(group.website_id):
        raise RuleGroupNotFound("Loyalty rule group not found")
    return group


@dataclass(frozen=True)
class GroupWithRules:
    group: RuleGroup
    rules: list[Rule]


async def list_groups(
    session: ReadSession,
    organization_id: str,
    scope: frozenset[str] | None,
    *,
    exclude_hidden: bool,
    starting_after: str | None,
    limit: int,
) -> tuple[list[GroupWithRules], bool]:
    """A page of live groups ordered by (sortId, id), and whether more follow. Each comes
    with its live rules in id order (without those hidden in the UI when ``exclude_hidden``),
    read for the whole page in one query. The cursor is a group id: the page starts after
    that group's place in the order."""
    in_scope = [RuleGroup.organization_id == organization_id]
    if scope is not None:
        in_scope.append(RuleGroup.website_id.in_(sorted(scope)))
    query = select(RuleGroup).where(*in_scope, RuleGroup.deleted_at.is_(None))
    if starting_after is not None:
        # The cursor's group may since have been deleted: its place in the order stays.
        after = await session.scalar(
            select(RuleGroup.sort_id).where(*in_scope, RuleGroup.id == starting_after)
        )
        if after is None:
            raise ValidationFailed([FieldError("startingAfter", "no such rule group", "query")])
        query = query.where(
            or_(
                RuleGroup.sort_id > after,
                and_(RuleGroup.sort_id == after, RuleGroup.id > starting_after),
            )
        )
    query = query.order_by(RuleGroup.sort_id, RuleGroup.id).limit(limit + 1)
    groups, more = split_page((await session.scalars(query)).all(), limit)
    rules = await _rules_of(session, organization_id, [g.id for g in groups], exclude_hidden)
    return [GroupWithRules(g, rules.get(g.id, [])) for g in groups], more


async def _rules_of(
    session: ReadSession, organization_id: str, group_ids: Sequence[str], exclude_hidden: bool
) -> dict[str, list[Rule]]:
    if not group_ids:
        return {}
    query = select(Rule).where(
        Rule.organization_id == organization_id,
        Rule.group_id.in_(group_ids),
        Rule.deleted_at.is_(None),
    )
    if exclude_hidden:
        query = query.where(Rule.hide_in_ui.is_(False))
    found: dict[str, list[Rule]] = {}
    for rule in await session.scalars(query.order_by(Rule.group_id, Rule.id)):
        assert rule.group_id is not None
        found.setdefault(rule.group_id, []).append(rule)
    return found
