from datetime import datetime

from sqlalchemy import ForeignKey, Integer, JSON, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from infra.tables import UTCDateTime


class Base(DeclarativeBase):
    metadata = MetaData()


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(30))
    consultant_id: Mapped[int | None] = mapped_column(Integer)  # a consultant user's leads id
    project_ids: Mapped[list] = mapped_column(JSON, default=list)
    # the sales channel (inventory's) the user sells for; reads are limited to its projects
    channel_id: Mapped[int | None] = mapped_column(Integer)
    office_ids: Mapped[list] = mapped_column(JSON, default=list)  # leads' sales offices
    active: Mapped[bool] = mapped_column(default=True)


class Token(Base):
    """A bearer token; only its SHA-256 is stored."""
    __tablename__ = "tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuthGeneration(Base):
    """One row: bumped in the transaction that revokes a token, deactivates a user or changes
    their role or scope. Every gateway worker compares it with the generation its cached
    tokens were read under, so a revocation holds at once in every process."""
    __tablename__ = "auth_generation"
    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)


class AuditEntry(Base):
    """Who did or read what, when: user administration, sessions, reads of personal data."""
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)  # who; none for a failed login
    username: Mapped[str] = mapped_column(String(50))
    action: Mapped[str] = mapped_column(String(50))  # e.g. user.created, session.ended
    subject: Mapped[str] = mapped_column(String(100), index=True)  # e.g. user:7
    purpose: Mapped[str | None] = mapped_column(String(500))
    address: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict] = mapped_column(JSON, default=dict)


class LoginThrottle(Base):
    """Failed logins per user name and per address (`user:<name>`, `address:<ip>`), shared
    by every gateway worker; `blocked_until` answers 429 with Retry-After."""
    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


metadata = Base.metadata
