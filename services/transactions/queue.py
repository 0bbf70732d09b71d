"""排号 (queue numbers) and their 诚意金: the 排号协议 signed and the refundable money paid give
the customer the project's next queue number; at the opening the money becomes the deposit of
the unit they choose (诚意金转定金, through the deposit saga), or it is paid back (cancelled, or
nothing bought).

Queue numbers and 诚意金 receipt numbers are gap-free per project: both come from the
project's counter row, updated in the queue number's own transaction (the row lock orders
concurrent takers; a rollback gives both numbers back)."""

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from contracts.errors import Conflict, IdempotencyKeyReused, NotFound
from infra.database import utcnow
from services.transactions import domain
from services.transactions.models import Deposit, QueueCounter, QueueNumber

ACTIVE, CONVERTED, REFUNDED = "active", "converted", "refunded"


def next_numbers(session, project_id: int) -> tuple[int, int]:
    """(queue number, receipt number), taken in the caller's transaction."""
    taken = session.execute(
        update(QueueCounter).where(QueueCounter.project_id == project_id)
        .values(last_number=QueueCounter.last_number + 1,
                last_receipt_number=QueueCounter.last_receipt_number + 1)
        .returning(QueueCounter.last_number, QueueCounter.last_receipt_number)).first()
    if taken is not None:
        return taken.last_number, taken.last_receipt_number
    try:
        with session.begin_nested():
            session.add(QueueCounter(project_id=project_id, last_number=1, last_receipt_number=1))
        return 1, 1
    except IntegrityError:  # another transaction created the counter first: use it
        return next_numbers(session, project_id)


def take_queue_number(uow, cmd) -> dict:
    key = cmd.get("idempotency_key")
    if key and (earlier := _by_key(uow.session, key)) is not None:
        return _same(earlier, cmd)
    number, receipt_number = next_numbers(uow.session, cmd["project_id"])
    row = QueueNumber(
        project_id=cmd["project_id"], number=number, customer_id=cmd["customer_id"],
        consultant_id=cmd["consultant_id"], customer_name=cmd["customer_name"],
        customer_id_number=domain.normalize_id_number(cmd["customer_id_number"]),
        amount=domain.to_fen(cmd["amount"]), channel=cmd["channel"],
        agreement_number=cmd["agreement_number"], receipt_number=receipt_number,
        status=ACTIVE, taken_at=utcnow(), idempotency_key=key)
    uow.session.add(row)
    try:
        uow.session.flush()
    except IntegrityError:  # the same key committed meanwhile
        if not key:
            raise
        uow.rollback()
        return _same(_by_key(uow.session, key), cmd)
    uow.emit("sincerity_received", {
        "queue_number_id": row.id, "number": row.number, "amount": row.amount,
        "channel": row.channel, "consultant_id": row.consultant_id,
        "receipt_number": row.receipt_number, "agreement_number": row.agreement_number},
        project_id=row.project_id, customer_id=row.customer_id)
    uow.commit()
    return view(row)


def _by_key(session, key) -> QueueNumber | None:
    return session.scalar(select(QueueNumber).where(QueueNumber.idempotency_key == key))


def _same(row: QueueNumber, cmd) -> dict:
    asked = (cmd["project_id"], cmd["customer_id"], cmd["amount"])
    if asked != (row.project_id, row.customer_id, row.amount):
        raise IdempotencyKeyReused("this idempotency key took another queue number",
                                   {"idempotency_key": [f"used for queue number {row.id}"]})
    return view(row)


def found(session, queue_number_id) -> QueueNumber:
    row = session.get(QueueNumber, queue_number_id)
    if row is None:
        raise NotFound(f"queue number {queue_number_id} does not exist",
                       {"queue_number_id": ["unknown queue number"]})
    return row


def get_queue_number(session, queue_number_id) -> dict:
    return view(found(session, queue_number_id))


def list_queue_numbers(session, project_id, status=None, consultant_id=None) -> list[dict]:
    """A project's queue numbers; a consultant's own customers' only when `consultant_id`."""
    query = select(QueueNumber).where(QueueNumber.project_id == project_id)
    if consultant_id is not None:
        query = query.where(QueueNumber.consultant_id == consultant_id)
    if status is not None:
        query = query.where(QueueNumber.status == status)
    return [view(row) for row in session.scalars(query.order_by(QueueNumber.number))]


def cancel_queue_number(uow, cmd) -> dict:
    """Cancel → the 诚意金 is refunded (recorded, and announced to finance and the archive)."""
    row = found(uow.session, cmd["queue_number_id"])
    if not _refund(uow, row, f"cancelled by {cmd['cancelled_by']}: {cmd['reason']}"):
        raise Conflict(f"queue number {row.number} is {row.status}",
                       {"queue_number_id": [f"the queue number is {row.status}"]})
    uow.commit()
    return view(row)


def _refund(uow, row, reason) -> bool:
    ended = uow.session.execute(
        update(QueueNumber).where(QueueNumber.id == row.id, QueueNumber.status == ACTIVE)
        .values(status=REFUNDED, ended_at=utcnow(), end_reason=reason[:200]))
    if ended.rowcount != 1:
        return False
    uow.session.refresh(row)
    uow.emit("sincerity_refunded", {
        "queue_number_id": row.id, "number": row.number, "amount": row.amount,
        "receipt_number": row.receipt_number, "reason": row.end_reason},
        project_id=row.project_id, customer_id=row.customer_id)
    return True


def on_unit_selected(uow, event) -> None:
    """诚意金转定金: the buyer won a unit; their 诚意金 becomes a deposit of it, announced as
    any deposit (`deposit_received`): inventory turns the selection's hold into the
    reservation, and the order form (认购) follows as for every deposit."""
    data = event["data"]
    session = uow.session
    row = session.get(QueueNumber, data["queue_number_id"])
    if row is None or row.status != ACTIVE:  # cancelled after the entrants were listed
        reason = f"queue number {data['queue_number']} is {row.status if row else 'unknown'}"
        uow.emit("selection_unfunded", {"opening_id": data["opening_id"],
                                        "selection_id": data["selection_id"],
                                        "queue_number_id": data["queue_number_id"],
                                        "reason": reason},
                 project_id=event.get("project_id"), unit_id=event["unit_id"],
                 customer_id=event.get("customer_id"))
        return
    now = utcnow()
    deposit = Deposit(unit_id=event["unit_id"], customer_id=row.customer_id,
                      consultant_id=row.consultant_id, project_id=row.project_id,
                      amount=row.amount, kind="small", status=domain.PENDING, received_at=now,
                      customer_name=row.customer_name, customer_id_number=row.customer_id_number,
                      stated_total_price=data["total_price"],
                      idempotency_key=f"opening-selection:{data['selection_id']}")
    session.add(deposit)
    session.flush()
    session.execute(update(QueueNumber).where(QueueNumber.id == row.id)
                    .values(status=CONVERTED, deposit_id=deposit.id, ended_at=now,
                            end_reason=f"opening {data['opening_id']}: unit {event['unit_id']}"))
    envelope = {"project_id": row.project_id, "unit_id": event["unit_id"],
                "customer_id": row.customer_id}
    uow.emit("sincerity_converted", {"queue_number_id": row.id, "number": row.number,
                                     "amount": row.amount, "deposit_id": deposit.id,
                                     "opening_id": data["opening_id"]}, **envelope)
    uow.emit("deposit_received", {"deposit_id": deposit.id, "amount": deposit.amount,
                                  "kind": deposit.kind, "consultant_id": deposit.consultant_id},
             **envelope)


def on_opening_closed(uow, event) -> None:
    """Entrants who bought nothing get their 诚意金 back."""
    reason = f"bought nothing at opening {event['data']['opening_id']}"
    for queue_number_id in event["data"]["refund_queue_number_ids"]:
        row = uow.session.get(QueueNumber, queue_number_id)
        if row is not None:
            _refund(uow, row, reason)


def view(row: QueueNumber) -> dict:
    return {column: getattr(row, column) for column in (
        "id", "project_id", "number", "customer_id", "consultant_id", "customer_name",
        "customer_id_number", "amount", "channel", "agreement_number", "receipt_number",
        "status", "taken_at", "deposit_id", "ended_at", "end_reason")}
