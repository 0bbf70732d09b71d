from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (JSON, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text,
                        UniqueConstraint, text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from infra.tables import BigId, UTCDateTime, add_messaging_tables


class Base(DeclarativeBase):
    pass


class Complaint(Base):
    """客户投诉记录卡 (第十五条) and the case behind it, from filing to the follow-up visit."""
    __tablename__ = "complaints"
    __table_args__ = (UniqueConstraint("number", name="uq_complaints_number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20))
    complainant_name: Mapped[str] = mapped_column(String(50))
    contact: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(10))
    content: Mapped[str] = mapped_column(Text)
    request: Mapped[str | None] = mapped_column(String(30))          # 客户要求
    request_detail: Mapped[str | None] = mapped_column(Text)
    customer_id: Mapped[int | None] = mapped_column(Integer, index=True)
    unit_id: Mapped[int | None] = mapped_column(Integer, index=True)
    project_id: Mapped[int | None] = mapped_column(Integer)
    customer_consultant_id: Mapped[int | None] = mapped_column(Integer, index=True)
    status: Mapped[str] = mapped_column(String(20))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    filed_by: Mapped[str | None] = mapped_column(String(50))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    category: Mapped[str | None] = mapped_column(String(30))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())   # 受理时间
    accepted_by: Mapped[str | None] = mapped_column(String(50))           # 受理人
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(String(30), index=True)  # 受理部门
    department_opinion: Mapped[str | None] = mapped_column(Text)          # 受理部门处理意见
    reply_form: Mapped[str | None] = mapped_column(String(10))
    reply_content: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    responsible_department: Mapped[str | None] = mapped_column(String(50))
    responsible_person: Mapped[str | None] = mapped_column(String(50))
    sanction: Mapped[str | None] = mapped_column(String(20))
    bonus_share_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    satisfaction: Mapped[str | None] = mapped_column(String(20))
    visited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reopen_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    major: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # some clock may still run; the periodic pass looks at a watched case once its next level
    # (warning, breach, escalation) is due, or right after a step (NULL: nothing to look at)
    watched: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# the periodic pass reads the due cases in (next_check_at, id) order, a batch at a time
Index("ix_complaints_next_check", Complaint.next_check_at, Complaint.id,
      postgresql_where=Complaint.watched.is_(True), sqlite_where=Complaint.watched.is_(True))


class StatusChange(Base):
    """Every status a case went through: the history the clocks are computed from."""
    __tablename__ = "case_status_changes"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_kind: Mapped[str] = mapped_column(String(10))  # complaint | repair
    case_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    by: Mapped[str] = mapped_column(String(50))
    note: Mapped[str | None] = mapped_column(Text)


Index("ix_case_status_changes_case", StatusChange.case_kind, StatusChange.case_id, StatusChange.id)


class InvestigationReport(Base):
    """投诉调查报告 (第十七条), one per investigation round, with the general manager's review."""
    __tablename__ = "investigation_reports"
    __table_args__ = (UniqueConstraint("complaint_id", "round"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"))
    round: Mapped[int] = mapped_column(Integer)
    cause: Mapped[str] = mapped_column(Text)
    course: Mapped[str] = mapped_column(Text)
    responsible_party: Mapped[str] = mapped_column(String(200))
    conclusion: Mapped[str] = mapped_column(Text)
    countermeasures: Mapped[str] = mapped_column(Text)
    filed_by: Mapped[str] = mapped_column(String(50))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    review_opinion: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str | None] = mapped_column(String(50))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ClockPolicyChange(Base):
    """A project's own version of a clock from `changed_at` on (seed 004: 72 h closure)."""
    __tablename__ = "clock_policies"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(Integer, index=True)
    clock: Mapped[str] = mapped_column(String(30))
    hours: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    basis: Mapped[str] = mapped_column(String(10))
    on_reopen: Mapped[str] = mapped_column(String(10))
    ladder_hours: Mapped[list] = mapped_column(JSON)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    changed_by: Mapped[str] = mapped_column(String(50))


class CalendarEntry(Base):
    """A project's extra day off or extra working day, on top of the official calendar."""
    __tablename__ = "calendar_entries"
    __table_args__ = (UniqueConstraint("project_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(12))


class ClockAlert(Base):
    """A warning or escalation sent: one row per (case, clock, round, level), written in the
    transaction of its outbox row, so each is sent exactly once."""
    __tablename__ = "clock_alerts"
    __table_args__ = (UniqueConstraint("case_kind", "case_id", "clock", "round", "level",
                                       name="uq_clock_alerts_level"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_kind: Mapped[str] = mapped_column(String(10))
    case_id: Mapped[int] = mapped_column(Integer)
    clock: Mapped[str] = mapped_column(String(30))
    round: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(40))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ClockBreach(Base):
    """A clock that ran past its due time, with its overrun; never deleted."""
    __tablename__ = "clock_breaches"
    __table_args__ = (UniqueConstraint("case_kind", "case_id", "clock", "round",
                                       name="uq_clock_breaches_round"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_kind: Mapped[str] = mapped_column(String(10))
    case_id: Mapped[int] = mapped_column(Integer)
    clock: Mapped[str] = mapped_column(String(30))
    round: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime())
    overrun_minutes: Mapped[int] = mapped_column(Integer)
    basis: Mapped[str] = mapped_column(String(10))


class Contractor(Base):
    """维修商一览表: the contractor (施工单位) and its warranty deposit (质保金)."""
    __tablename__ = "contractors"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    trade: Mapped[str] = mapped_column(String(50))
    contact_person: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(30))
    warranty_deposit: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    charged: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"),
                                             server_default=text("0"))


class ContractorEvaluation(Base):
    """维修商评估表: quality, timeliness, attitude from 1 to 5."""
    __tablename__ = "contractor_evaluations"
    __table_args__ = (UniqueConstraint("contractor_id", "period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"))
    period: Mapped[str] = mapped_column(String(7))
    quality: Mapped[int] = mapped_column(Integer)
    timeliness: Mapped[int] = mapped_column(Integer)
    attitude: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    evaluated_by: Mapped[str] = mapped_column(String(50))
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RepairOrder(Base):
    """A repair order (报修单 / 维修任务单) against a unit, on the contractor responsible."""
    __tablename__ = "repair_orders"
    __table_args__ = (UniqueConstraint("number", name="uq_repair_orders_number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20))
    unit_id: Mapped[int] = mapped_column(Integer, index=True)
    project_id: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[int | None] = mapped_column(Integer)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    estimated_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    urgency: Mapped[str] = mapped_column(String(10))
    clock: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20))
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ordered_by: Mapped[str] = mapped_column(String(50))
    on_site_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    self_repair_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    missed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    actual_cost: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    deposit_charge: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signatures: Mapped[list] = mapped_column(JSON, default=list)
    satisfaction: Mapped[str | None] = mapped_column(String(20))
    visited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    watched: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


Index("ix_repair_orders_next_check", RepairOrder.next_check_at, RepairOrder.id,
      postgresql_where=RepairOrder.watched.is_(True), sqlite_where=RepairOrder.watched.is_(True))


metadata = Base.metadata
add_messaging_tables(metadata)
