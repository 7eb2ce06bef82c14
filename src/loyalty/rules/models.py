from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from loyalty.db import Base
from loyalty.kit.clock import now
from loyalty.kit.ids import new_id
from loyalty.kit.types import JSONColumn, UTCDateTime


class RuleGroup(Base):
    """A section of rules shown together (Snag's loyalty rule group)."""

    __tablename__ = "loyalty_rule_groups"
    __table_args__ = (Index("ix_rule_groups_website_id_id", "website_id", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    website_id: Mapped[str] = mapped_column(ForeignKey("websites.id"))
    name: Mapped[str] = mapped_column(String(255))
    sub_title: Mapped[str | None] = mapped_column(Text)
    is_collapsible: Mapped[bool] = mapped_column(Boolean, default=False)
    is_required: Mapped[bool] = mapped_column(Boolean, default=False)
    sort_id: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Rule(Base):
    """An earning rule. ``definition`` is the validated rule as the API shows it (camelCase,
    without its secrets); the columns beside it are copies for filtering and joins.
    ``secrets`` holds what is stored but never returned (customRewardsApiKey, OAuth
    credential references). ``version`` grows with every edit."""

    __tablename__ = "loyalty_rules"
    __table_args__ = (
        Index("ix_rules_website_id_id", "website_id", "id"),
        Index("ix_rules_website_type", "website_id", "type"),
        Index("ix_rules_group_id", "group_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    website_id: Mapped[str] = mapped_column(ForeignKey("websites.id"))
    type: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    currency_id: Mapped[str] = mapped_column(ForeignKey("currencies.id"))
    group_id: Mapped[str | None] = mapped_column(ForeignKey("loyalty_rule_groups.id"))
    hide_in_ui: Mapped[bool] = mapped_column(Boolean, default=False)
    start_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    collection_address: Mapped[str | None] = mapped_column(String(255))
    definition: Mapped[dict[str, Any]] = mapped_column(JSONColumn)
    secrets: Mapped[dict[str, Any]] = mapped_column(JSONColumn, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RuleEdit(Base):
    """One create, update, delete or restore of a rule: the rule after it (``data``) and
    before it (``previous_data``), as the API shows them."""

    __tablename__ = "loyalty_rule_edits"
    __table_args__ = (
        Index("ix_rule_edits_rule_id_id", "rule_id", "id"),
        Index("ix_rule_edits_website_id_id", "website_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    website_id: Mapped[str] = mapped_column(ForeignKey("websites.id"))
    rule_id: Mapped[str] = mapped_column(ForeignKey("loyalty_rules.id"))
    action: Mapped[str] = mapped_column(String(16))  # create | update | delete | restore
    data: Mapped[dict[str, Any]] = mapped_column(JSONColumn)
    previous_data: Mapped[dict[str, Any] | None] = mapped_column(JSONColumn)
    # The rule's secrets as they were after this edit, so a restore brings them back too.
    secrets: Mapped[dict[str, Any]] = mapped_column(JSONColumn, default=dict)
    edited_by_key_id: Mapped[str | None] = mapped_column(String(36))
    comment: Mapped[str | None] = mapped_column(Text)
    edited_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
