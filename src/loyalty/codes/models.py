"""Tables of codes: the unique codes of code_entry rules and the imports that filled them."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from loyalty.codes.keys import CODE_MAX, KEY_MAX
from loyalty.db import Base
from loyalty.kit.clock import now
from loyalty.kit.ids import new_id
from loyalty.kit.types import JSONColumn, UTCDateTime


class PromoCode(Base):
    """A unique code of a code_entry rule (generated, or imported from a CSV). It is spent
    once in all: ``used_by_user_id`` is set by the completion that spent it. ``code_key``
    is the code as compared (see ``keys.code_key``), unique within the rule."""

    __tablename__ = "promo_codes"
    __table_args__ = (
        UniqueConstraint("rule_id", "code_key", name="uq_promo_codes_rule_code"),
        Index("ix_promo_codes_website_id_id", "website_id", "id"),
        Index("ix_promo_codes_rule_id_id", "rule_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    website_id: Mapped[str] = mapped_column(ForeignKey("websites.id"))
    rule_id: Mapped[str] = mapped_column(ForeignKey("loyalty_rules.id"))
    code: Mapped[str] = mapped_column(String(CODE_MAX))
    code_key: Mapped[str] = mapped_column(String(KEY_MAX))
    # generate | csv
    source: Mapped[str] = mapped_column(String(16))
    used_by_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The completion that spent it (its ledger entry's key is ``completion:<id>``) and the
    # completion request; neither row need exist yet when the code is marked, so no keys.
    completion_id: Mapped[str | None] = mapped_column(String(36))
    request_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class PromoCodeImport(Base):
    """One import of a CSV of codes into a rule: an upload (done in its request) or a fetch
    of the rule's ``promoCodeCsvUrl`` (``queued`` until the worker runs it). An import is
    all or nothing: ``failed`` imports nothing and says why (``error``, ``bad_lines``)."""

    __tablename__ = "promo_code_imports"
    __table_args__ = (
        Index("ix_promo_code_imports_website_id_id", "website_id", "id"),
        Index("ix_promo_code_imports_rule_id_id", "rule_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    website_id: Mapped[str] = mapped_column(ForeignKey("websites.id"))
    rule_id: Mapped[str] = mapped_column(ForeignKey("loyalty_rules.id"))
    # upload | url
    source: Mapped[str] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(Text)
    # queued | completed | failed | superseded
    status: Mapped[str] = mapped_column(String(16))
    imported_count: Mapped[int] = mapped_column(Integer, default=0)
    duplicate_count: Mapped[int] = mapped_column(Integer, default=0)
    bad_line_count: Mapped[int] = mapped_column(Integer, default=0)
    # The first bad lines: [{"line": n, "message": "..."}].
    bad_lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONColumn, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
