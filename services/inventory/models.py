from datetime import datetime
from decimal import Decimal

from sqlalchemy import (Boolean, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint,
                        text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from infra.tables import UTCDateTime, add_import_tables, add_messaging_tables


class Base(DeclarativeBase):
    pass


class Project(Base):
    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    hold_days: Mapped[int] = mapped_column(Integer, default=3)
    holds_auto_approved: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    offer_hours: Mapped[int] = mapped_column(Integer, server_default=text("2"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Unit(Base):
    """One room (户): building (号楼) + number; its status is the sales-control board's cell."""
    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("project_id", "building", "entrance", "number",
                                       name="uq_units_place"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    building: Mapped[str] = mapped_column(String(20))
    entrance: Mapped[str] = mapped_column(String(20), server_default="")  # 单元; "" when none
    number: Mapped[str] = mapped_column(String(20))
    floor: Mapped[int] = mapped_column(Integer)
    building_area: Mapped[Decimal] = mapped_column(Numeric(14, 2))  # 建筑面积, m²
    garden_area: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))  # 花园面积
    other_area: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))  # 其他面积
    property_type: Mapped[str | None] = mapped_column(String(10))  # 物业类型
    orientation: Mapped[str | None] = mapped_column(String(20))  # 朝向
    # the current price list's prices (总价, 单价, 底价), copied when its version takes effect
    list_price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    list_unit_price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    floor_total_price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    price_list_version: Mapped[int | None] = mapped_column(Integer)
    layout: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default="available")
    version: Mapped[int] = mapped_column(Integer, default=1)
    customer_id: Mapped[int | None] = mapped_column(Integer)  # holder, then buyer
    consultant_id: Mapped[int | None] = mapped_column(Integer)
    deposit_id: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


OPEN_HOLD = text("status IN ('pending', 'active')")
OPEN_ENTRY = text("status IN ('waiting', 'offered')")


class Hold(Base):
    """预留: a consultant keeps a unit for a named customer for a few days (第9篇). Pending
    until a manager approves (unless the project approves holds by itself); at most one
    open hold per unit, enforced by the database."""
    __tablename__ = "holds"
    __table_args__ = (
        Index("uq_holds_one_open_per_unit", "unit_id", unique=True,
              postgresql_where=OPEN_HOLD, sqlite_where=OPEN_HOLD),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    customer_id: Mapped[int] = mapped_column(Integer)
    customer_name: Mapped[str | None] = mapped_column(String(50))
    consultant_id: Mapped[int] = mapped_column(Integer)
    # pending → active → converted | expired | released; pending → rejected
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    approved_by: Mapped[str | None] = mapped_column(String(100))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    extensions: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_by: Mapped[str | None] = mapped_column(String(100))
    end_reason: Mapped[str | None] = mapped_column(String(200))


class WaitlistEntry(Base):
    """等待记录: a consultant waiting for a held unit, served in time order. When the hold
    ends, the first waiting entry is offered the unit for the project's claim window."""
    __tablename__ = "waitlist_entries"
    __table_args__ = (
        Index("uq_waitlist_one_open_per_consultant", "unit_id", "consultant_id", unique=True,
              postgresql_where=OPEN_ENTRY, sqlite_where=OPEN_ENTRY),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    consultant_id: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # waiting/offered/claimed/withdrawn/lapsed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Reservation(Base):
    """A unit reserved by a deposit; at most one active per unit, enforced by the database."""
    __tablename__ = "reservations"
    __table_args__ = (
        Index("uq_reservations_one_active_per_unit", "unit_id", unique=True,
              postgresql_where=text("status = 'active'"), sqlite_where=text("status = 'active'")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    deposit_id: Mapped[int] = mapped_column(Integer, unique=True)
    customer_id: Mapped[int] = mapped_column(Integer)
    # active → sold (filed) | released (refund, forfeiture); a swap moves it to another unit
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(20))
    # the price pinned when the deposit reserved the unit (or when a swap moved it)
    price_list_version: Mapped[int | None] = mapped_column(Integer)
    unit_price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    total_price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    floor_total_price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))


class PriceList(Base):
    """价目表: one version of a project's prices, in force from `effective_from` until a later
    version replaces a unit's price. Versions are never changed once written."""
    __tablename__ = "price_lists"
    __table_args__ = (UniqueConstraint("project_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    version: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    created_by: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(String(200), server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # copied onto the units


class PriceListItem(Base):
    """A unit's prices in one version; a version lists only the units whose price it sets."""
    __tablename__ = "price_list_items"
    price_list_id: Mapped[int] = mapped_column(ForeignKey("price_lists.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True, index=True)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    total_price: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    floor_total_price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))


class UnitStatusChange(Base):
    """Every status change of a unit: from, to, who, when, why, and the event behind it."""
    __tablename__ = "unit_status_changes"
    __table_args__ = (Index("ix_unit_status_changes_unit", "unit_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    project_id: Mapped[int] = mapped_column(Integer)
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    changed_by: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(200))
    event_id: Mapped[str | None] = mapped_column(String(36))
    event_type: Mapped[str | None] = mapped_column(String(60))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Channel(Base):
    """A sales channel: the developer's own team or an agency (代理). It sells the projects
    it is given and sees only those."""
    __tablename__ = "channels"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))  # own_team | agency
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ChannelProject(Base):
    __tablename__ = "channel_projects"
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), primary_key=True)


class WeeklyPlan(Base):
    """季度全案进度掌控表, plan side: a manager's target of units and sales amount for a week."""
    __tablename__ = "weekly_plans"
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    quarter: Mapped[int] = mapped_column(Integer, primary_key=True)
    week: Mapped[int] = mapped_column(Integer, primary_key=True)
    units: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    set_by: Mapped[str] = mapped_column(String(100))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SaleRecord(Base):
    """The actual side: a sale counted when a deposit's unit is subscribed (认购), and taken
    back (units -1, amount negative) when that sale is refunded or forfeited."""
    __tablename__ = "sale_records"
    __table_args__ = (Index("ix_sale_records_project_time", "project_id", "occurred_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[int] = mapped_column(Integer)
    deposit_id: Mapped[int] = mapped_column(Integer)
    units: Mapped[int] = mapped_column(Integer)  # 1 for a sale, -1 for its cancellation
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    event_id: Mapped[str] = mapped_column(String(36), unique=True)


class Opening(Base):
    """开盘活动: units released at a time, chosen all at once, by queue number in slots, or in
    a lottery order drawn from a seed announced beforehand (immutable once announced)."""
    __tablename__ = "openings"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    mode: Mapped[str] = mapped_column(String(20))  # all_at_once / slots / lottery
    slot_size: Mapped[int | None] = mapped_column(Integer)
    slot_minutes: Mapped[int | None] = mapped_column(Integer)
    limit_per_household: Mapped[int] = mapped_column(Integer)
    max_attempts: Mapped[int | None] = mapped_column(Integer)
    seed: Mapped[str | None] = mapped_column(String(200))
    seed_announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    seed_announced_by: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))  # open / closed
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by: Mapped[str | None] = mapped_column(String(100))


class OpeningUnit(Base):
    """A unit released in an opening: out of normal sale while the opening is open."""
    __tablename__ = "opening_units"
    opening_id: Mapped[int] = mapped_column(ForeignKey("openings.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True, index=True)


class OpeningEntrant(Base):
    """A queue number taking part, its place in the order and the attempts it made."""
    __tablename__ = "opening_entrants"
    __table_args__ = (UniqueConstraint("opening_id", "number", name="uq_opening_entrants_number"),)
    opening_id: Mapped[int] = mapped_column(ForeignKey("openings.id"), primary_key=True)
    queue_number_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    number: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[int] = mapped_column(Integer)
    consultant_id: Mapped[int] = mapped_column(Integer)
    household: Mapped[str] = mapped_column(String(30))  # the buyer's ID number
    position: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))


class OpeningHousehold(Base):
    """Units a household (by ID number) bought in the opening: the limit's counter, raised
    by a conditional UPDATE in the selection's transaction."""
    __tablename__ = "opening_households"
    opening_id: Mapped[int] = mapped_column(ForeignKey("openings.id"), primary_key=True)
    household: Mapped[str] = mapped_column(String(30), primary_key=True)
    purchases: Mapped[int] = mapped_column(Integer, server_default=text("0"))


WON = text("outcome = 'won'")


class OpeningSelection(Base):
    """A selection request and its outcome, in the order inventory received them."""
    __tablename__ = "opening_selections"
    __table_args__ = (
        Index("uq_opening_selections_one_win_per_unit", "opening_id", "unit_id", unique=True,
              postgresql_where=WON, sqlite_where=WON),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    opening_id: Mapped[int] = mapped_column(ForeignKey("openings.id"), index=True)
    unit_id: Mapped[int] = mapped_column(Integer)
    queue_number_id: Mapped[int] = mapped_column(Integer)
    queue_number: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[int] = mapped_column(Integer)
    consultant_id: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(10))  # won / lost / void (no 诚意金 paid)
    total_price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    selected_by: Mapped[str] = mapped_column(String(100))
    # the caller's Idempotency-Key: a selection pressed again after a lost answer
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True, index=True)


metadata = Base.metadata
add_messaging_tables(metadata)
add_import_tables(metadata)
