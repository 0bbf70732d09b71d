from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (JSON, Date, ForeignKey, Index, Integer, Numeric, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from infra.tables import BigId, UTCDateTime, add_messaging_tables


class Base(DeclarativeBase):
    pass


class FeedEvent(Base):
    """Every money event finance heard, in the order it was filed: the pull feed's cursor is
    the id; the webhook deliveries are written in the same transaction."""
    __tablename__ = "feed_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    routing_key: Mapped[str] = mapped_column(String(100))
    project_id: Mapped[int | None] = mapped_column(Integer, index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    payload: Mapped[dict] = mapped_column(JSON)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AccountMapping(Base):
    """A project's 科目 for one role (domain.ACCOUNT_ROLES); a role without a row uses the
    default chart."""
    __tablename__ = "account_mappings"
    __table_args__ = (UniqueConstraint("project_id", "role", name="uq_account_mappings_role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(40))
    account_code: Mapped[str | None] = mapped_column(String(40))  # null: deliberately unset
    account_name: Mapped[str | None] = mapped_column(String(100))


class Deal(Base):
    """What finance knows of one deposit's deal: its project, unit, customer and the balances
    its vouchers left in the liabilities (role → amount as string)."""
    __tablename__ = "deals"
    deposit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    project_id: Mapped[int | None] = mapped_column(Integer)
    unit_id: Mapped[int | None] = mapped_column(Integer)
    customer_id: Mapped[int | None] = mapped_column(Integer)
    balances: Mapped[dict] = mapped_column(JSON, default=dict)


class PaymentSeen(Base):
    """A payment and its receipts as the events told them (for the reconciliation)."""
    __tablename__ = "payments"
    payment_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    project_id: Mapped[int | None] = mapped_column(Integer, index=True)
    deposit_id: Mapped[int] = mapped_column(Integer, index=True)
    purpose: Mapped[str] = mapped_column(String(30))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    receipt_id: Mapped[int] = mapped_column(Integer, index=True)
    receipt_number: Mapped[int] = mapped_column(Integer)
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime())
    exchanged: Mapped[int] = mapped_column(Integer, default=0)  # receipt exchanges seen


class RefundSeen(Base):
    """A refund approved, and paid once refund_paid arrives."""
    __tablename__ = "refunds"
    application_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    project_id: Mapped[int | None] = mapped_column(Integer, index=True)
    deposit_id: Mapped[int] = mapped_column(Integer)
    amount_paid: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    penalty: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    refund_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class BankConfirmationSeen(Base):
    __tablename__ = "bank_confirmations"
    bank_reference: Mapped[str] = mapped_column(String(100), primary_key=True)
    project_id: Mapped[int | None] = mapped_column(Integer, index=True)
    payment_id: Mapped[int] = mapped_column(Integer, index=True)
    receipt_number: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    received_on: Mapped[date] = mapped_column(Date)


class Voucher(Base):
    """记账凭证: one per business event id (a replayed event makes no second voucher);
    corrected only by a reversing (红字) voucher."""
    __tablename__ = "vouchers"
    __table_args__ = (UniqueConstraint("project_id", "period", "number",
                                       name="uq_vouchers_number"),
                      Index("ix_vouchers_project_date", "project_id", "voucher_date", "id"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    business_id: Mapped[str] = mapped_column(String(80), unique=True)
    event_type: Mapped[str] = mapped_column(String(50))
    project_id: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[int | None] = mapped_column(Integer)
    unit_id: Mapped[int | None] = mapped_column(Integer)
    deposit_id: Mapped[int | None] = mapped_column(Integer, index=True)
    payment_id: Mapped[int | None] = mapped_column(Integer, index=True)
    voucher_date: Mapped[date] = mapped_column(Date)
    period: Mapped[str] = mapped_column(String(7))  # 2026-11
    word: Mapped[str] = mapped_column(String(4))
    number: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(String(200))
    attachments: Mapped[int] = mapped_column(Integer)
    debit_total: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    lines: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default="recorded")  # posted / rejected
    status_note: Mapped[str | None] = mapped_column(Text)
    reverses: Mapped[int | None] = mapped_column(ForeignKey("vouchers.id"))
    reversed_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class VoucherCounter(Base):
    __tablename__ = "voucher_counters"
    project_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class WebhookSubscription(Base):
    __tablename__ = "webhook_subscriptions"
    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    event_types: Mapped[list] = mapped_column(JSON)
    project_ids: Mapped[list | None] = mapped_column(JSON)  # null: every project
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    max_in_flight: Mapped[int] = mapped_column(Integer, default=4)
    active: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebhookDelivery(Base):
    """One event (a money event of the feed, or a voucher recorded) to one subscription;
    `message_id` is the `webhook-id` the receiver dedupes by, the same on every attempt and
    replay."""
    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("subscription_id", "event_id", name="uq_delivery_event"),
                      Index("ix_deliveries_due", "status", "next_attempt_at"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id"))
    event_id: Mapped[str] = mapped_column(String(80))  # the event id, or voucher:<business id>
    message_id: Mapped[str] = mapped_column(String(60), unique=True)
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feed_events.id"))
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("vouchers.id"))
    status: Mapped[str] = mapped_column(String(12))  # pending / delivered / dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DeliveryAttempt(Base):
    """The delivery log: each attempt's status code (null: no answer), error and latency."""
    __tablename__ = "webhook_attempts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(300))
    latency_ms: Mapped[int] = mapped_column(Integer)


metadata = Base.metadata
add_messaging_tables(metadata)
