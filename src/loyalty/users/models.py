from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from loyalty.db import Base
from loyalty.kit.clock import now
from loyalty.kit.ids import new_id
from loyalty.kit.types import JSONColumn, UTCDateTime


class User(Base):
    """One person in one website. ``wallet_address`` is stored normalised (EVM lower-case)."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("website_id", "wallet_address", name="uq_users_website_wallet"),
        UniqueConstraint("website_id", "external_identifier", name="uq_users_website_external"),
        Index("ix_users_website_id_id", "website_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    website_id: Mapped[str] = mapped_column(ForeignKey("websites.id"))
    wallet_address: Mapped[str | None] = mapped_column(String(128))
    external_identifier: Mapped[str | None] = mapped_column(String(255))
    # guest | enrolled | blocked
    state: Mapped[str] = mapped_column(String(16), default="enrolled")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, onupdate=now)


class UserMetadata(Base):
    """Profile and social identities of a user (Snag's ``userMetadata``)."""

    __tablename__ = "user_metadata"
    __table_args__ = (
        Index("ix_user_metadata_website_email", "website_id", "email_address"),
        Index("ix_user_metadata_website_twitter", "website_id", "twitter_user"),
        Index("ix_user_metadata_website_discord", "website_id", "discord_user"),
    )

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    website_id: Mapped[str] = mapped_column(ForeignKey("websites.id"))
    display_name: Mapped[str | None] = mapped_column(String(255))
    email_address: Mapped[str | None] = mapped_column(String(320))
    bio: Mapped[str | None] = mapped_column(Text)
    logo_url: Mapped[str | None] = mapped_column(Text)
    twitter_user: Mapped[str | None] = mapped_column(String(255))
    twitter_user_id: Mapped[str | None] = mapped_column(String(64))
    twitter_user_followers_count: Mapped[int | None] = mapped_column(Integer)
    discord_user: Mapped[str | None] = mapped_column(String(255))
    discord_user_id: Mapped[str | None] = mapped_column(String(64))
    telegram_username: Mapped[str | None] = mapped_column(String(255))
    telegram_user_id: Mapped[str | None] = mapped_column(String(64))
    tiktok_user: Mapped[str | None] = mapped_column(String(255))
    tiktok_user_id: Mapped[str | None] = mapped_column(String(64))
    is_blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    # Every other Snag metadata field (location, portfolioUrl, steamUsername, ...).
    extra: Mapped[dict[str, Any]] = mapped_column(JSONColumn, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, onupdate=now)
