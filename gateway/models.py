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
    active: Mapped[bool] = mapped_column(default=True)


class Token(Base):
    """A bearer token; only its SHA-256 is stored."""
    __tablename__ = "tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


metadata = Base.metadata
