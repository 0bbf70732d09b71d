from datetime import datetime

from sqlalchemy import ForeignKey, Integer, JSON, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from infra.tables import UTCDateTime, add_messaging_tables


class Base(DeclarativeBase):
    pass


class Dossier(Base):
    """一户一档: one permanent dossier per unit."""
    __tablename__ = "dossiers"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer, unique=True)
    project_id: Mapped[int | None] = mapped_column(Integer)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Document(Base):
    """One filed domain event; events about a customer but no unit yet keep dossier_id empty
    and are cross-referenced into every dossier of that customer."""
    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(Integer)
    customer_id: Mapped[int | None] = mapped_column(Integer, index=True)
    project_id: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(30))
    type: Mapped[str] = mapped_column(String(50))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    data: Mapped[dict] = mapped_column(JSON)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DossierRead(Base):
    """Access log: every read of a dossier, by whom and why (第7篇)."""
    __tablename__ = "dossier_reads"
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    reader: Mapped[str] = mapped_column(String(100))
    purpose: Mapped[str] = mapped_column(String(200))
    read_at: Mapped[datetime] = mapped_column(UTCDateTime())


metadata = Base.metadata
add_messaging_tables(metadata)
