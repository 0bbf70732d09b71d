from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (JSON, Boolean, Date, ForeignKey, Integer, Numeric, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from infra.tables import UTCDateTime, add_messaging_tables, add_read_log_table


class Base(DeclarativeBase):
    pass


class Deposit(Base):
    """定金: taken by a consultant for a unit; confirmed once inventory reserves the unit."""
    __tablename__ = "deposits"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer, index=True)
    customer_id: Mapped[int] = mapped_column(Integer, index=True)
    consultant_id: Mapped[int] = mapped_column(Integer)
    project_id: Mapped[int | None] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    kind: Mapped[str] = mapped_column(String(10))  # small 小定 / large 大定
    status: Mapped[str] = mapped_column(String(20), index=True)
    status_reason: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # what the consultant wrote on the order form (定单) when taking the deposit
    customer_name: Mapped[str | None] = mapped_column(String(100))
    customer_id_number: Mapped[str | None] = mapped_column(String(30))
    building_area: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    stated_total_price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    due_date: Mapped[date | None] = mapped_column(Date)  # 补足日 / 签约日
    # set by the timer when inventory has not answered in time; the deposit stays pending
    unanswered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # the caller's Idempotency-Key: a retry after a lost answer finds this deposit
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True, index=True)


class OrderForm(Base):
    """定单: made when the deposit is confirmed; voided with a reason and approval, never
    deleted."""
    __tablename__ = "order_forms"
    id: Mapped[int] = mapped_column(primary_key=True)
    deposit_id: Mapped[int] = mapped_column(ForeignKey("deposits.id"), index=True)
    project_id: Mapped[int] = mapped_column(Integer)  # 0 when the deposit named no project
    unit_id: Mapped[int] = mapped_column(Integer, index=True)
    customer_id: Mapped[int] = mapped_column(Integer, index=True)
    consultant_id: Mapped[int] = mapped_column(Integer, index=True)
    customer_name: Mapped[str | None] = mapped_column(String(100))
    customer_id_number: Mapped[str | None] = mapped_column(String(30))
    building_area: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    price_list_version: Mapped[int | None] = mapped_column(Integer)
    unit_price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    total_price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    floor_total_price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    deposit_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    kind: Mapped[str] = mapped_column(String(10))
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), index=True)  # active / voided / replaced
    customer_signature: Mapped[str | None] = mapped_column(String(100))
    customer_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consultant_signature: Mapped[str | None] = mapped_column(String(100))
    consultant_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    manager_signature: Mapped[str | None] = mapped_column(String(100))
    manager_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    void_reason: Mapped[str | None] = mapped_column(String(200))
    void_requested_by: Mapped[str | None] = mapped_column(String(100))
    void_approved_by: Mapped[str | None] = mapped_column(String(100))
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReceiptCounter(Base):
    """The last receipt number of a project; incremented in the receipt's own transaction, so
    numbers have no gaps and never repeat (the row lock orders concurrent payments)."""
    __tablename__ = "receipt_counters"
    project_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer)


class Payment(Base):
    __tablename__ = "payments"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_form_id: Mapped[int] = mapped_column(ForeignKey("order_forms.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    purpose: Mapped[str] = mapped_column(String(20))  # deposit / down_payment / installment …
    method: Mapped[str] = mapped_column(String(20))  # pos / transfer / cash / bank_loan
    recorded_by: Mapped[str] = mapped_column(String(100))
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # the caller's Idempotency-Key: a retry after a lost answer finds this payment
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True, index=True)


class Receipt(Base):
    """收据: one per payment, numbered per project without gaps; voided or exchanged receipts
    stay on record."""
    __tablename__ = "receipts"
    __table_args__ = (UniqueConstraint("project_id", "number", name="uq_receipts_project_number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    order_form_id: Mapped[int] = mapped_column(ForeignKey("order_forms.id"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # deposit 定金收据 / purchase 购房款收据
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    status: Mapped[str] = mapped_column(String(20))  # issued / voided / exchanged
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    void_reason: Mapped[str | None] = mapped_column(String(200))
    replaced_by_id: Mapped[int | None] = mapped_column(Integer)


class Subscription(Base):
    """认购书: signed by the buyer (or a proxy with a power of attorney) at the pinned price."""
    __tablename__ = "subscriptions"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_form_id: Mapped[int] = mapped_column(ForeignKey("order_forms.id"), unique=True)
    buyer_name: Mapped[str] = mapped_column(String(100))
    buyer_id_number: Mapped[str] = mapped_column(String(30))
    signed_by: Mapped[str] = mapped_column(String(100))
    power_of_attorney: Mapped[str | None] = mapped_column(String(100))  # 委托书 number
    power_of_attorney_notarized: Mapped[bool | None] = mapped_column(Boolean)
    price_list_version: Mapped[int | None] = mapped_column(Integer)
    unit_price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    list_total_price: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    discount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    total_price: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    status: Mapped[str] = mapped_column(String(20))  # signed / contracted / voided
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Contract(Base):
    """商品房买卖合同; the sale is final only once filed (备案)."""
    __tablename__ = "contracts"
    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"), unique=True)
    order_form_id: Mapped[int] = mapped_column(ForeignKey("order_forms.id"), index=True)
    buyer_name: Mapped[str] = mapped_column(String(100))
    buyer_id_number: Mapped[str] = mapped_column(String(30))
    signed_by: Mapped[str] = mapped_column(String(100))
    power_of_attorney: Mapped[str | None] = mapped_column(String(100))
    power_of_attorney_notarized: Mapped[bool | None] = mapped_column(Boolean)
    total_price: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    payment_method: Mapped[str] = mapped_column(String(20))
    mortgage_documents_due: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))  # signed / filed
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    filing_number: Mapped[str | None] = mapped_column(String(50), unique=True)
    filed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PlanItem(Base):
    """One due amount of a contract's payment plan; what is paid covers them in due order."""
    __tablename__ = "payment_plan_items"
    __table_args__ = (UniqueConstraint("contract_id", "seq", name="uq_plan_items_contract_seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # full_payment / down_payment / installment / loan
    due_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))


class Mortgage(Base):
    """按揭 (or 公积金 loan): the bank, the loan and its repayment terms."""
    __tablename__ = "mortgages"
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), primary_key=True,
                                             autoincrement=False)
    bank: Mapped[str] = mapped_column(String(100))
    loan_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    annual_rate: Mapped[Decimal] = mapped_column(Numeric(7, 5))
    months: Mapped[int] = mapped_column(Integer)
    repayment: Mapped[str] = mapped_column(String(20))  # equal_installments / equal_principal


class MortgageDocument(Base):
    """按揭资料 handed in by the buyer; the contract sets the deadline."""
    __tablename__ = "mortgage_documents"
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    handed_in_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Application(Base):
    """A change asking for approval: swap 换房, refund 退房, rename 更名, discount 特惠, layout
    change 户型结构变更. `chain` is fixed when it is filed; `details` holds the form's fields."""
    __tablename__ = "applications"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    order_form_id: Mapped[int] = mapped_column(ForeignKey("order_forms.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    applicant: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(500))
    details: Mapped[dict] = mapped_column(JSON)
    chain: Mapped[list] = mapped_column(JSON)
    # where the chain came from: the seed's form ("default") or the project's settings
    chain_source: Mapped[str | None] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ApprovalChain(Base):
    """A project's own chain for a kind of application, shorter than the seed's form; a kind
    without a row runs under the seed's chain (approvals.CHAINS)."""
    __tablename__ = "approval_chains"
    project_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    chain: Mapped[list] = mapped_column(JSON)
    set_by: Mapped[str] = mapped_column(String(100))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApprovalStep(Base):
    """One decision: who, in which role, when, approve or reject, and the comment."""
    __tablename__ = "approval_steps"
    __table_args__ = (UniqueConstraint("application_id", "seq", name="uq_approval_steps_seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(30))
    approver: Mapped[str] = mapped_column(String(100))
    decision: Mapped[str] = mapped_column(String(10))  # approve / reject
    comment: Mapped[str] = mapped_column(String(500))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BankConfirmation(Base):
    """The finance system's word that the bank received a payment; one per bank reference and
    one per payment. `fingerprint` is the request as first sent, to answer a repeat the same."""
    __tablename__ = "bank_confirmations"
    id: Mapped[int] = mapped_column(primary_key=True)
    bank_reference: Mapped[str] = mapped_column(String(100), unique=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), unique=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipts.id"))
    project_id: Mapped[int] = mapped_column(Integer, index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    received_on: Mapped[date] = mapped_column(Date)
    bank: Mapped[str] = mapped_column(String(100))
    fingerprint: Mapped[str] = mapped_column(String(64))
    confirmed_by: Mapped[str] = mapped_column(String(100))
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CollectionCase(Base):
    """催款 of one overdue plan item: who is chasing it now (consultant → manager → finance)."""
    __tablename__ = "collection_cases"
    __table_args__ = (UniqueConstraint("contract_id", "seq", name="uq_collection_cases_item"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(20))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CollectionStep(Base):
    """One recorded act of a collection: a contact with the buyer or an escalation."""
    __tablename__ = "collection_steps"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("collection_cases.id"), index=True)
    level: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(20))  # contact / escalate
    by: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class LeadActivity(Base):
    """What leads told us about a customer (registration, visits, calls): the deal report's
    read model, one row per event."""
    __tablename__ = "lead_activity"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(20))  # registered / visit / call
    channel: Mapped[str | None] = mapped_column(String(50))
    consultant_id: Mapped[int | None] = mapped_column(Integer)
    customer_code: Mapped[str | None] = mapped_column(String(50))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())


class QueueCounter(Base):
    """A project's last queue number (排号) and last 诚意金 receipt number: both taken in the
    queue number's own transaction, so neither has gaps (the row lock orders concurrent
    takers, a rollback gives the numbers back)."""
    __tablename__ = "queue_counters"
    project_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer)
    last_receipt_number: Mapped[int] = mapped_column(Integer)


class QueueNumber(Base):
    """排号: the 排号协议 signed and the refundable 诚意金 paid; converted into the deposit of
    the unit the buyer chooses at the opening, or refunded."""
    __tablename__ = "queue_numbers"
    __table_args__ = (UniqueConstraint("project_id", "number", name="uq_queue_numbers_number"),
                      UniqueConstraint("project_id", "receipt_number",
                                       name="uq_queue_numbers_receipt"))
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[int] = mapped_column(Integer, index=True)
    consultant_id: Mapped[int] = mapped_column(Integer)
    customer_name: Mapped[str] = mapped_column(String(100))
    customer_id_number: Mapped[str] = mapped_column(String(30))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    channel: Mapped[str] = mapped_column(String(20))
    agreement_number: Mapped[str | None] = mapped_column(String(50))
    receipt_number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # active / converted / refunded
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deposit_id: Mapped[int | None] = mapped_column(Integer)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(200))
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True, index=True)


metadata = Base.metadata
add_messaging_tables(metadata)
add_read_log_table(metadata)
