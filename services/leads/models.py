from datetime import date, datetime

from sqlalchemy import (JSON, Boolean, Date, ForeignKey, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from infra.tables import BigId, UTCDateTime, add_messaging_tables, add_read_log_table


class Base(DeclarativeBase):
    pass


class Office(Base):
    """A sales office (案场) with its own reception rotation."""
    __tablename__ = "offices"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    region_code: Mapped[str] = mapped_column(String(6))  # 洛阳 → ly
    turn_seq: Mapped[int] = mapped_column(Integer, default=0)  # last reception turn handed out
    # an even number of consultants may be split in two groups on duty on alternate days
    alternate_groups: Mapped[bool] = mapped_column(Boolean, default=False)
    # seed 003: A/B/C numbers come back to the call pool after about a month
    recall_days: Mapped[int] = mapped_column(Integer, default=30)


class OfficeProject(Base):
    """A project (inventory's) the office sells; an office may sell several. A sales manager
    acts on the projects of the office they manage."""
    __tablename__ = "office_projects"
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), primary_key=True)
    project_id: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)


class Consultant(Base):
    """置业顾问."""
    __tablename__ = "consultants"
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20), default="available")
    rotation_order: Mapped[int] = mapped_column(Integer)
    duty_group: Mapped[int] = mapped_column(Integer, default=1)
    kind: Mapped[str] = mapped_column(String(20), default="sales")  # or call_agent (电开人员)


class ReceptionTurn(Base):
    """The last rotation turn a consultant took on a given day (轮序)."""
    __tablename__ = "reception_turns"
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    consultant_id: Mapped[int] = mapped_column(ForeignKey("consultants.id"), primary_key=True)
    turn: Mapped[int] = mapped_column(Integer)


class ReceptionOrder(Base):
    """The day's reception order (接待顺序: 第一接待、第二接待…) when the manager sets one."""
    __tablename__ = "reception_orders"
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    consultant_id: Mapped[int] = mapped_column(ForeignKey("consultants.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class PhoneTurn(Base):
    """The last call a consultant took on a given day in the phone answering order."""
    __tablename__ = "phone_turns"
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    consultant_id: Mapped[int] = mapped_column(ForeignKey("consultants.id"), primary_key=True)
    turn: Mapped[int] = mapped_column(Integer)


class PhoneOrder(Base):
    """The day's phone answering order (电话接听顺序) set by the office manager."""
    __tablename__ = "phone_orders"
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    consultant_id: Mapped[int] = mapped_column(ForeignKey("consultants.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    mobile: Mapped[str] = mapped_column(String(11), unique=True)  # normalized mainland mobile
    gender: Mapped[str | None] = mapped_column(String(10))
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    consultant_id: Mapped[int] = mapped_column(ForeignKey("consultants.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    visit_count: Mapped[int] = mapped_column(Integer, default=0)
    call_count: Mapped[int] = mapped_column(Integer, default=0)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    id_number: Mapped[str | None] = mapped_column(String(18), unique=True)
    profile: Mapped[dict] = mapped_column(JSON, default=dict)  # the forms' other answers
    grade: Mapped[str | None] = mapped_column(String(1))  # A/B/C/D
    outcome: Mapped[str | None] = mapped_column(String(10))  # deal (成交) or hopeless (无望)
    hopeless_kind: Mapped[str | None] = mapped_column(String(30))
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    archive: Mapped[dict] = mapped_column(JSON, default=dict)  # 客户信息档案 (第6篇)


class GradeChange(Base):
    """One change of a customer's grade (晋级): from, to, who, when."""
    __tablename__ = "grade_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    from_grade: Mapped[str | None] = mapped_column(String(1))
    to_grade: Mapped[str] = mapped_column(String(1))
    consultant_id: Mapped[int] = mapped_column(ForeignKey("consultants.id"))
    changed_by: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(String(500), default="")
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FollowUp(Base):
    """客户追踪: a visit, call or SMS by the customer's consultant."""
    __tablename__ = "follow_ups"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    consultant_id: Mapped[int] = mapped_column(ForeignKey("consultants.id"))
    kind: Mapped[str] = mapped_column(String(10))
    content: Mapped[str] = mapped_column(Text)
    reaction: Mapped[str] = mapped_column(Text, default="")
    next_appointment: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class NonDealAnalysis(Base):
    """未成交客户分析报告, written when a customer is given up as hopeless."""
    __tablename__ = "non_deal_analyses"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    consultant_id: Mapped[int] = mapped_column(ForeignKey("consultants.id"))
    hopeless_kind: Mapped[str] = mapped_column(String(30))
    answers: Mapped[dict] = mapped_column(JSON)  # objections, home purchase, reaction, reasons
    days_to_give_up: Mapped[int] = mapped_column(Integer)  # 自首次看房至放弃时间
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FamilyMember(Base):
    """The customer and their family, with birthdays for the care reminders."""
    __tablename__ = "family_members"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    relation: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(50), default="")
    birthday: Mapped[date | None] = mapped_column(Date)


class CustomerMobile(Base):
    """Every mobile a customer gave; one number belongs to one customer (the dedupe key)."""
    __tablename__ = "customer_mobiles"
    mobile: Mapped[str] = mapped_column(String(11), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)


class Visit(Base):
    """One registered contact, a visit (来访登记) or a call (来电登记), with the rule that chose
    the consultant."""
    __tablename__ = "visits"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    consultant_id: Mapped[int] = mapped_column(ForeignKey("consultants.id"))
    kind: Mapped[str] = mapped_column(String(10), default="visit")
    channel: Mapped[str] = mapped_column(String(20), default="other")
    first: Mapped[bool] = mapped_column(Boolean, default=False)
    assisted_by: Mapped[int | None] = mapped_column(ForeignKey("consultants.id"))
    form: Mapped[dict] = mapped_column(JSON, default=dict)  # this contact's answers
    rule: Mapped[str] = mapped_column(String(30))
    explanation: Mapped[str] = mapped_column(String(300))
    visitors: Mapped[int] = mapped_column(Integer, default=1)
    notes: Mapped[str] = mapped_column(Text, default="")
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Assignment(Base):
    """A manager's decision to give a customer to another consultant, with the reason; the
    previous consultant has no share in a later deal when `excluded_from_credit`."""
    __tablename__ = "assignments"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    from_consultant_id: Mapped[int] = mapped_column(ForeignKey("consultants.id"))
    to_consultant_id: Mapped[int] = mapped_column(ForeignKey("consultants.id"))
    rule: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(String(500))
    decided_by: Mapped[str] = mapped_column(String(100))
    excluded_from_credit: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ExportLog(Base):
    """Every export of customer data: who, what, when, how many rows."""
    __tablename__ = "export_logs"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    exported_by: Mapped[str] = mapped_column(String(100))
    row_count: Mapped[int] = mapped_column(Integer)
    filters: Mapped[dict] = mapped_column(JSON, default=dict)
    exported_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CodeSequence(Base):
    """Last customer-code number per region and name initials (ly-zs → 001, 002, …)."""
    __tablename__ = "code_sequences"
    __table_args__ = (UniqueConstraint("region_code", "initials"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    region_code: Mapped[str] = mapped_column(String(6))
    initials: Mapped[str] = mapped_column(String(10))
    last: Mapped[int] = mapped_column(Integer, default=0)


class LeadImport(Base):
    """One imported call list: where it came from, who brought it, what it added."""
    __tablename__ = "lead_imports"
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(20))
    file_name: Mapped[str] = mapped_column(String(200))
    imported_by: Mapped[str] = mapped_column(String(100))
    rows: Mapped[int] = mapped_column(Integer)
    added: Mapped[int] = mapped_column(Integer)
    duplicates: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CallLead(Base):
    """A number to call (call客): one per mobile, never one of an existing customer."""
    __tablename__ = "call_leads"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    mobile: Mapped[str] = mapped_column(String(11), unique=True)
    name: Mapped[str | None] = mapped_column(String(50))
    source: Mapped[str] = mapped_column(String(20))
    import_id: Mapped[int] = mapped_column(ForeignKey("lead_imports.id"), index=True)
    # pool → assigned (to an agent) → pool again after a connected A/B/C call and the recall
    # interval, dead after D, visited once an invited visit is confirmed
    status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("consultants.id"), index=True)
    outcome: Mapped[str | None] = mapped_column(String(1))  # the last connected call's A–D
    recall_after: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CallAttempt(Base):
    """One dialed call of the call center (电开效果管控表 counts these)."""
    __tablename__ = "call_attempts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    call_lead_id: Mapped[int] = mapped_column(ForeignKey("call_leads.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("consultants.id"), index=True)
    connected: Mapped[bool] = mapped_column(Boolean)
    outcome: Mapped[str | None] = mapped_column(String(1))
    notes: Mapped[str] = mapped_column(Text, default="")
    called_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Invitation(Base):
    """意向客户邀约到访登记表: a visit an agent arranged; it counts once the consultant who
    received the visitor confirms it at reception."""
    __tablename__ = "invitations"
    id: Mapped[int] = mapped_column(primary_key=True)
    call_lead_id: Mapped[int] = mapped_column(ForeignKey("call_leads.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("consultants.id"), index=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    appointment_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(10))  # pending, confirmed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("consultants.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


metadata = Base.metadata
add_messaging_tables(metadata)
add_read_log_table(metadata)
