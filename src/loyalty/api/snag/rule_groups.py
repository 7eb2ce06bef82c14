"""Loyalty rule groups (sections of rules): ``POST /api/loyalty/rule_groups/create``,
``POST /api/loyalty/rule_groups/{id}`` (update), ``GET /api/loyalty/rule_groups``,
``DELETE /api/loyalty/rule_groups/{id}``."""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import AfterValidator, BaseModel, Field

from loyalty.api.deps import PrincipalDep, ReadSessionDep, WriteSessionDep
from loyalty.api.snag.common import ERRORS, PageQuery, WireModel, list_scope
from loyalty.api.snag.rules import RuleOut
from loyalty.errors import field_errors
from loyalty.kit.pagination import Page
from loyalty.rules import groups, service
from loyalty.rules.models import RuleGroup
from loyalty.tenancy import service as tenancy_service

router = APIRouter(tags=["rules"], responses=ERRORS)


def _name(value: str) -> str:
    problem = groups.name_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _sort_id(value: int) -> int:
    problem = groups.sort_id_problem(value)
    if problem:
        raise ValueError(problem)
    return value


GroupName = Annotated[str, AfterValidator(_name), Field(description="1 to 255 characters")]
SortId = Annotated[int, AfterValidator(_sort_id), Field(description="Place in the list")]


class RuleGroupCreate(WireModel):
    name: GroupName
    organizationId: str | None = None
    websiteId: str | None = Field(
        None, description="Required unless the API key is limited to one website"
    )
    isCollapsible: bool | None = Field(None, description="Default false")
    isRequired: bool | None = Field(None, description="Default false")
    sortId: SortId | None = Field(None, description="Place in the list; default 0")
    subTitle: str | None = None


class RuleGroupUpdate(WireModel):
    """Fields given replace the group's; a null ``name`` or ``isCollapsible`` changes
    nothing, a null sub-title clears it."""

    isCollapsible: bool | None = None
    name: GroupName | None = None
    subtitle: str | None = Field(None, description="The sub-title (as Snag's SDK spells it)")
    subTitle: str | None = Field(None, description="The sub-title (same as subtitle)")


class RuleGroupOut(BaseModel):
    id: str
    organizationId: str
    websiteId: str
    name: str
    subTitle: str | None
    isCollapsible: bool
    isRequired: bool
    sortId: int
    createdAt: datetime
    updatedAt: datetime

    @classmethod
    def of(cls, group: RuleGroup) -> "RuleGroupOut":
        return cls(
            id=group.id,
            organizationId=group.organization_id,
            websiteId=group.website_id,
            name=group.name,
            subTitle=group.sub_title,
            isCollapsible=group.is_collapsible,
            isRequired=group.is_required,
            sortId=group.sort_id,
            createdAt=group.created_at,
            updatedAt=group.updated_at,
        )


class RuleGroupDeleted(BaseModel):
    id: str
    deletedAt: datetime


class RuleGroupItem(BaseModel):
    id: str = Field(description="The rule's id")
    sortId: int = Field(description="Place of the rule in the group (0 first, in id order)")
    loyaltyRule: RuleOut


class RuleGroupListed(BaseModel):
    id: str
    name: str
    subTitle: str | None
    isCollapsible: bool
    isRequired: bool
    sortId: int
    loyaltyGroupItems: list[RuleGroupItem] = Field(description="The group's live rules")

    @classmethod
    def of(cls, found: groups.GroupWithRules) -> "RuleGroupListed":
        group = found.group
        return cls(
            id=group.id,
            name=group.name,
            subTitle=group.sub_title,
            isCollapsible=group.is_collapsible,
            isRequired=group.is_required,
            sortId=group.sort_id,
            loyaltyGroupItems=[
                RuleGroupItem(
                    id=rule.id,
                    sortId=place,
                    loyaltyRule=RuleOut.model_validate(service.rule_out(rule)),
                )
                for place, rule in enumerate(found.rules)
            ],
        )


# Declared before the update route, whose path would otherwise take "create" for an id.
@router.post("/api/loyalty/rule_groups/create", status_code=201)
async def create_rule_group(
    body: RuleGroupCreate, principal: PrincipalDep, session: WriteSessionDep
) -> RuleGroupOut:
    website = await tenancy_service.website_for(
        session, principal, body.websiteId, body.organizationId
    )
    group = await groups.create_group(
        session,
        website,
        name=body.name,
        sub_title=body.subTitle,
        is_collapsible=bool(body.isCollapsible),
        is_required=bool(body.isRequired),
        sort_id=body.sortId or 0,
    )
    return RuleGroupOut.of(group)


@router.post("/api/loyalty/rule_groups/{group_id}")
async def update_rule_group(
    group_id: str, body: RuleGroupUpdate, principal: PrincipalDep, session: WriteSessionDep
) -> RuleGroupOut:
    given = body.model_fields_set
    if {"subtitle", "subTitle"} <= given and body.subtitle != body.subTitle:
        raise field_errors(("subTitle", "give subtitle or subTitle, not both"))
    sub_title: groups.SubTitleChange = groups.KEEP
    if "subtitle" in given:
        sub_title = body.subtitle
    elif "subTitle" in given:
        sub_title = body.subTitle
    group = await groups.update_group(
        session,
        principal,
        group_id,
        name=body.name,
        is_collapsible=body.isCollapsible,
        sub_title=sub_title,
    )
    return RuleGroupOut.of(group)


@router.delete("/api/loyalty/rule_groups/{group_id}")
async def delete_rule_group(
    group_id: str, principal: PrincipalDep, session: WriteSessionDep
) -> RuleGroupDeleted:
    """Soft delete; the group's rules go back to no section."""
    group = await groups.delete_group(session, principal, group_id)
    assert group.deleted_at is not None
    return RuleGroupDeleted(id=group.id, deletedAt=group.deleted_at)


class RuleGroupQuery(PageQuery):
    startingAfter: str | None = Field(None, description="Id of the last group of the previous page")
    excludeHidden: Literal["true", "false"] = Field(
        "false", description="true: leave out the rules hidden in the UI (hideInUi)"
    )


@router.get("/api/loyalty/rule_groups")
async def list_rule_groups(
    query: Annotated[RuleGroupQuery, Query()], principal: PrincipalDep, session: ReadSessionDep
) -> Page[RuleGroupListed]:
    """Groups ordered by sortId, then id (creation order)."""
    scope = await list_scope(session, principal, query)
    page, more = await groups.list_groups(
        session,
        principal.organization_id,
        scope,
        exclude_hidden=query.excludeHidden == "true",
        starting_after=query.startingAfter,
        limit=query.limit,
    )
    return Page[RuleGroupListed](data=[RuleGroupListed.of(g) for g in page], hasNextPage=more)
