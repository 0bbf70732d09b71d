"""Transactions use cases: the deposit side of the hold → deposit → reservation saga."""
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from contracts.errors import IdempotencyKeyReused, InvalidInput, NotFound
from infra.database import utcnow
from services.transactions import domain, sales
from services.transactions.models import Deposit


def take_deposit(uow, cmd) -> dict:
    """A pending deposit, announced to inventory. A deposit taken before under the same
    idempotency key (the caller never got the answer) is answered again, not taken twice."""
    key = cmd.get("idempotency_key")
    if key and (earlier := _deposit_by_key(uow.session, key)) is not None:
        return _same_deposit(earlier, cmd)
    errors = domain.check_deposit_amount(cmd["amount"], cmd["total_price"])
    if errors:
        raise InvalidInput("the deposit is refused", errors)
    deposit = Deposit(unit_id=cmd["unit_id"], customer_id=cmd["customer_id"],
                      consultant_id=cmd["consultant_id"], project_id=cmd["project_id"],
                      amount=domain.to_fen(cmd["amount"]), kind=cmd["kind"],
                      status=domain.PENDING, received_at=utcnow(),
                      customer_name=cmd["customer_name"],
                      customer_id_number=cmd["customer_id_number"],
                      building_area=cmd["building_area"], stated_total_price=cmd["total_price"],
                      due_date=cmd["due_date"], idempotency_key=key)
    uow.session.add(deposit)
    try:
        uow.session.flush()
    except IntegrityError:  # the same key committed meanwhile (a retry racing its first try)
        if not key:
            raise
        uow.rollback()
        return _same_deposit(_deposit_by_key(uow.session, key), cmd)
    uow.emit("deposit_received",
             {"deposit_id": deposit.id, "amount": deposit.amount, "kind": deposit.kind,
              "consultant_id": deposit.consultant_id},
             project_id=deposit.project_id, unit_id=deposit.unit_id,
             customer_id=deposit.customer_id)
    uow.commit()
    return deposit_view(deposit)


def _deposit_by_key(session, key) -> Deposit | None:
    return session.scalar(select(Deposit).where(Deposit.idempotency_key == key))


def _same_deposit(deposit: Deposit, cmd) -> dict:
    """The deposit taken under this key, when the retry asks for the same deposit."""
    asked = (cmd["unit_id"], cmd["customer_id"], cmd["consultant_id"], cmd["amount"],
             cmd["kind"])
    if asked != (deposit.unit_id, deposit.customer_id, deposit.consultant_id, deposit.amount,
                 deposit.kind):
        raise IdempotencyKeyReused(
            "this idempotency key took another deposit",
            {"idempotency_key": [f"used for deposit {deposit.id}; use a new key"]})
    return deposit_view(deposit)


def settling_order(event) -> int:
    """Inventory's answers in a batch are settled by deposit, so two batches settling at once
    lock their deposits in the same order."""
    return event["data"]["deposit_id"]


def on_unit_reserved(uow, event) -> None:
    _settle(uow, event, "reserved", reason=None)


def on_unit_reservation_rejected(uow, event) -> None:
    _settle(uow, event, "rejected", reason=event["data"]["reason"])


def _settle(uow, event, outcome, reason):
    session = uow.session
    deposit = session.get(Deposit, event["data"]["deposit_id"])
    if deposit is None:
        raise NotFound(f"deposit {event['data']['deposit_id']} does not exist")
    new_status = domain.settle(deposit.status, outcome)
    if new_status is None:
        return
    settled = session.execute(
        update(Deposit).where(Deposit.id == deposit.id, Deposit.status == domain.PENDING)
        .values(status=new_status, status_reason=reason, settled_at=utcnow()))
    if settled.rowcount != 1:
        return
    if deposit.project_id is None:  # taken before the gateway named the unit's project
        deposit.project_id = event["project_id"]
    envelope = {"project_id": event["project_id"] or deposit.project_id,
                "unit_id": deposit.unit_id, "customer_id": deposit.customer_id}
    if new_status == domain.CONFIRMED:
        uow.emit("deposit_confirmed", {"deposit_id": deposit.id, "amount": deposit.amount},
                 **envelope)
        sales.make_order_form(uow, deposit, envelope["project_id"], event["data"],
                              stated_total_price=deposit.stated_total_price)
    else:
        uow.emit("deposit_rejected", {"deposit_id": deposit.id, "amount": deposit.amount,
                                      "reason": reason, "resolution": "refund"}, **envelope)


def flag_unanswered_deposits(uow, now: datetime, timeout: timedelta) -> list[int]:
    """The saga's timeout. A deposit inventory has not answered in time is flagged once and
    announced (`deposit_unanswered`), but stays pending: only inventory knows whether the unit
    was reserved, so the late answer still settles it; refunding here could refund a deposit
    whose unit is reserved. The flag lists it for the manager, who checks inventory's dead
    letters and replays them."""
    flagged = uow.session.execute(
        update(Deposit).where(Deposit.status == domain.PENDING, Deposit.unanswered_at.is_(None),
                              Deposit.received_at < now - timeout)
        .values(unanswered_at=now).returning(Deposit.id, Deposit.project_id, Deposit.unit_id,
                                             Deposit.customer_id, Deposit.received_at)).all()
    for row in flagged:
        uow.emit("deposit_unanswered", {
            "deposit_id": row.id, "received_at": row.received_at,
            "waited_seconds": int((now - row.received_at).total_seconds())},
            project_id=row.project_id, unit_id=row.unit_id, customer_id=row.customer_id)
    uow.commit()
    return [row.id for row in flagged]


def unanswered_deposits(session, project_ids=None) -> list[dict]:
    """Pending deposits inventory has not answered in time: of the projects (None: every)."""
    query = select(Deposit).where(Deposit.status == domain.PENDING,
                                  Deposit.unanswered_at.is_not(None)).order_by(Deposit.id)
    if project_ids is not None:
        query = query.where(Deposit.project_id.in_(project_ids))
    return [deposit_view(deposit) for deposit in session.scalars(query)]


def get_deposit(session, deposit_id) -> dict:
    deposit = session.get(Deposit, deposit_id)
    if deposit is None:
        raise NotFound(f"deposit {deposit_id} does not exist", {"deposit_id": ["unknown deposit"]})
    return deposit_view(deposit)


def deposit_view(deposit) -> dict:
    return {column: getattr(deposit, column) for column in (
        "id", "unit_id", "customer_id", "consultant_id", "project_id", "amount", "kind",
        "status", "status_reason", "received_at", "settled_at", "unanswered_at")}
