"""The archive's tables. Everything filed or logged is append-only: a database trigger refuses
UPDATE, DELETE and TRUNCATE on the tables in APPEND_ONLY (migration archive_0003), whoever
asks; only the job tables (verification runs) change."""
from datetime import date, datetime

from sqlalchemy import (Date, ForeignKey, Integer, JSON, String, Text, UniqueConstraint,
                        BigInteger)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from infra.tables import UTCDateTime, add_messaging_tables


class Base(DeclarativeBase):
    pass


class Dossier(Base):
    """一户一档: one permanent dossier per unit; also a customer's file before any unit, a topic
    dossier per major complaint or incident (一事一档), a litigation case file, a project's
    documents not about one owner, and one general dossier."""
    __tablename__ = "dossiers"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), server_default="unit")
    unit_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    customer_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    project_id: Mapped[int | None] = mapped_column(Integer, index=True)
    title: Mapped[str | None] = mapped_column(String(200))
    opened_by: Mapped[str | None] = mapped_column(String(100))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DossierNumber(Base):
    """The dossier's number (5.10.1), given once: a unit's own name, 苑-栋-单元-房号."""
    __tablename__ = "dossier_numbers"
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), unique=True)
    number: Mapped[str] = mapped_column(String(200), unique=True)
    named_by: Mapped[str] = mapped_column(String(100))
    named_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Document(Base):
    """One filed document: a domain event the archive heard, or a paper or file a department
    handed over. A correction is a new document naming the one it corrects and why."""
    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(Integer)
    customer_id: Mapped[int | None] = mapped_column(Integer, index=True)
    project_id: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(30))
    type: Mapped[str] = mapped_column(String(50))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    data: Mapped[dict] = mapped_column(JSON)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(40), server_default="event")
    title: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(20), server_default="other")
    group: Mapped[str] = mapped_column(String(30), server_default="other")
    carrier: Mapped[str] = mapped_column(String(20), server_default="electronic")
    security_level: Mapped[str] = mapped_column(String(1), server_default="C")
    level_agreed_with: Mapped[str | None] = mapped_column(String(100))
    retention: Mapped[str] = mapped_column(String(20), server_default="permanent")
    storage_location: Mapped[str | None] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(30))
    filed_by: Mapped[str | None] = mapped_column(String(100))
    file_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    file_algorithm: Mapped[str | None] = mapped_column(String(10))
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    media_type: Mapped[str | None] = mapped_column(String(100))
    file_name: Mapped[str | None] = mapped_column(String(200))
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    correction_reason: Mapped[str | None] = mapped_column(String(500))


class DossierRead(Base):
    """Access log: every view, download and export of a dossier, by whom and why (5.11)."""
    __tablename__ = "dossier_reads"
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    reader: Mapped[str] = mapped_column(String(100))
    purpose: Mapped[str] = mapped_column(String(200))
    read_at: Mapped[datetime] = mapped_column(UTCDateTime())
    action: Mapped[str] = mapped_column(String(20), server_default="view")
    role: Mapped[str | None] = mapped_column(String(30))
    document_id: Mapped[int | None] = mapped_column(Integer)
    external_request_id: Mapped[int | None] = mapped_column(Integer)


class ChainLink(Base):
    """A dossier's hash chain: each link commits to its record's digest and the link before."""
    __tablename__ = "chain_links"
    __table_args__ = (UniqueConstraint("dossier_id", "seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"))
    seq: Mapped[int] = mapped_column(Integer)
    entry_type: Mapped[str] = mapped_column(String(30))
    entry_id: Mapped[int] = mapped_column(Integer)
    entry_digest: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    algorithm: Mapped[str] = mapped_column(String(10))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DossierReference(Base):
    """参照 between dossiers: a litigation case file and the customer's dossier (5.5.2), a topic
    dossier and the units it concerns (5.8.2). The same buyer's dossiers are found from the
    documents themselves (5.1.3)."""
    __tablename__ = "dossier_references"
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    other_dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    relation: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StoredFile(Base):
    """A file in the content-addressed store, recorded once per digest."""
    __tablename__ = "stored_files"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(10))
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(100))
    first_stored_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PaperVolume(Base):
    """A bound paper volume (卷) of a dossier and where it is kept (5.10.4)."""
    __tablename__ = "paper_volumes"
    __table_args__ = (UniqueConstraint("dossier_id", "label"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    storage_location: Mapped[str] = mapped_column(String(200))
    registered_by: Mapped[str] = mapped_column(String(100))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Loan(Base):
    """The borrowing register (借阅登记, 5.11.1): nothing leaves without a line here."""
    __tablename__ = "loans"
    id: Mapped[int] = mapped_column(primary_key=True)
    volume_id: Mapped[int] = mapped_column(ForeignKey("paper_volumes.id"), index=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"))
    borrower: Mapped[str] = mapped_column(String(100))
    department: Mapped[str] = mapped_column(String(100))
    purpose: Mapped[str] = mapped_column(String(200))
    lent_by: Mapped[str] = mapped_column(String(100))
    lent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_on: Mapped[date] = mapped_column(Date)


class LoanReturn(Base):
    __tablename__ = "loan_returns"
    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), unique=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"))
    received_by: Mapped[str] = mapped_column(String(100))
    returned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(String(500))


class ExternalRequest(Base):
    """An outside body's request to see a dossier (公检法, 5.11.2): credentials and the
    assistance notice (协助调查通知书) recorded; nothing is shown before the legal approval."""
    __tablename__ = "external_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    requester_name: Mapped[str] = mapped_column(String(100))
    organization: Mapped[str] = mapped_column(String(200))
    authority: Mapped[str] = mapped_column(String(20))
    credential_number: Mapped[str] = mapped_column(String(100))
    notice_number: Mapped[str] = mapped_column(String(100))
    purpose: Mapped[str] = mapped_column(String(200))
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ExternalApproval(Base):
    __tablename__ = "external_approvals"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("external_requests.id"), unique=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"))
    decided_by: Mapped[str] = mapped_column(String(100))
    approved: Mapped[bool] = mapped_column()
    comment: Mapped[str | None] = mapped_column(String(500))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProjectMilestone(Base):
    """Days the handover deadlines hang on: the end of a project's concentrated move-in."""
    __tablename__ = "project_milestones"
    __table_args__ = (UniqueConstraint("project_id", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(30))
    day: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CalendarEntry(Base):
    """A project's own day off or make-up working day, on top of the official calendar
    (`infra.working_calendar.calendar_from_entries`): handover deadlines count them."""
    __tablename__ = "calendar_entries"
    __table_args__ = (UniqueConstraint("project_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))  # day_off | working_day
    note: Mapped[str | None] = mapped_column(String(200))
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InspectionPlan(Base):
    """The archive inspection, twice a year (seed 001), per project and half year."""
    __tablename__ = "inspection_plans"
    __table_args__ = (UniqueConstraint("project_id", "period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(6))
    planned_on: Mapped[date] = mapped_column(Date)
    inspector: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InspectionFinding(Base):
    __tablename__ = "inspection_findings"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("inspection_plans.id"), index=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"))
    severity: Mapped[str] = mapped_column(String(10))
    finding: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FixityRun(Base):
    """The summary of one periodic re-reading of every stored file."""
    __tablename__ = "fixity_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(10))  # ok | mismatch | failed
    files_checked: Mapped[int] = mapped_column(Integer)
    bytes_checked: Mapped[int] = mapped_column(BigInteger)
    problems: Mapped[list] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)


class VerificationRun(Base):
    """A verification of every dossier's chain, run in the background with its progress."""
    __tablename__ = "verification_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), index=True)  # queued|running|done|failed
    total: Mapped[int] = mapped_column(Integer, server_default="0")
    checked: Mapped[int] = mapped_column(Integer, server_default="0")
    last_dossier_id: Mapped[int] = mapped_column(Integer, server_default="0")
    broken: Mapped[list] = mapped_column(JSON)
    requested_by: Mapped[str] = mapped_column(String(100))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(Text)


APPEND_ONLY = ("dossiers", "dossier_numbers", "documents", "dossier_reads", "chain_links",
               "dossier_references", "stored_files", "paper_volumes", "loans", "loan_returns",
               "external_requests", "external_approvals", "project_milestones",
               "inspection_plans", "inspection_findings", "fixity_runs")

metadata = Base.metadata
add_messaging_tables(metadata)

# the records a dossier's chain links to, by entry type
ENTRY_TABLES = {
    "document": Document.__table__, "access": DossierRead.__table__,
    "number": DossierNumber.__table__, "reference": DossierReference.__table__,
    "volume": PaperVolume.__table__, "loan": Loan.__table__, "return": LoanReturn.__table__,
    "external_request": ExternalRequest.__table__,
    "external_approval": ExternalApproval.__table__,
    "finding": InspectionFinding.__table__,
}
