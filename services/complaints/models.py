from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from infra.tables import UTCDateTime, add_messaging_tables


class Base(DeclarativeBase):
    pass


class Complaint(Base):
    """客户投诉记录卡: who complained, how, about what; closed within 7 days."""
    __tablename__ = "complaints"
    id: Mapped[int] = mapped_column(primary_key=True)
    complainant_name: Mapped[str] = mapped_column(String(50))
    contact: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(10))
    content: Mapped[str] = mapped_column(Text)
    customer_id: Mapped[int | None] = mapped_column(Integer, index=True)
    unit_id: Mapped[int | None] = mapped_column(Integer, index=True)
    project_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


metadata = Base.metadata
add_messaging_tables(metadata)
