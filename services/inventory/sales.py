"""The sale after the deposit, as transactions reports it: subscription (认购), contract (签约),
filing (备案), and the ways back: refund (退房), forfeiture (挞定) and swap (换房).

Each handler finds the unit through the deposit's reservation and changes it only from the
states the event may follow, for that deposit. An event that does not fit the unit's state
(late, repeated under another id, or for a sale that has moved on) changes nothing and is
logged: the inbox already records that it was consumed, the unit history keeps only real
changes, and transactions waits for no answer to these events (a swap is answered either way).
"""
import logging

from sqlalchemy import and_, or_, select, update

from infra.database import utcnow
from services.inventory import domain, holds, prices, progress
from services.inventory.history import change_status
from services.inventory.models import Hold, Reservation, Unit

log = logging.getLogger(__name__)

STAGE_OF_EVENT = {"subscription_signed": domain.SUBSCRIBED,
                  "contract_signed": domain.CONTRACTED,
                  "contract_filed": domain.FILED}
RELEASE_OF_EVENT = {"refund_approved": "refund", "deposit_forfeited": "forfeiture"}


def advance_sale(uow, event) -> str | None:
    """subscription_signed / contract_signed / contract_filed: move the deposit's unit forward."""
    session = uow.session
    stage = STAGE_OF_EVENT[event["type"]]
    data = event["data"]
    reservation = _reservation(session, data["deposit_id"])
    if reservation is None:
        return _ignored(event, "no active reservation for the deposit")
    values = {"consultant_id": data["consultant_id"]} if "consultant_id" in data else {}
    previous = change_status(
        session, reservation.unit_id, stage,
        where=(Unit.deposit_id == data["deposit_id"],
               Unit.status.in_(domain.stages_before(stage))),
        by=f"{event['source']}", reason=_why(event), event=event, **values)
    if previous is None:
        return _ignored(event, f"unit {reservation.unit_id} is not before {stage}")
    envelope = _envelope(session, reservation)
    if previous == domain.RESERVED:  # the first step past the deposit: a sale (认购)
        progress.count_sale(session, event, reservation.unit_id, envelope["project_id"],
                            data["deposit_id"], data.get("total_price") or reservation.total_price)
    if stage == domain.FILED:
        reservation.status = "sold"
        uow.emit("unit_sold", {"deposit_id": data["deposit_id"], "contract_id": data["contract_id"],
                               "filing_number": data["filing_number"]}, **envelope)
    return previous


def release_unit(uow, event) -> str | None:
    """refund_approved / deposit_forfeited: the deposit's unit is on sale again."""
    session = uow.session
    reason = RELEASE_OF_EVENT[event["type"]]
    deposit_id = event["data"]["deposit_id"]
    reservation = _reservation(session, deposit_id)
    if reservation is None:
        return _ignored(event, "no active reservation for the deposit")
    now = utcnow()
    previous = change_status(
        session, reservation.unit_id, domain.AVAILABLE,
        where=(Unit.deposit_id == deposit_id, Unit.status.in_(domain.RELEASABLE[reason])),
        by=event["source"], reason=_why(event), event=event, now=now,
        customer_id=None, consultant_id=None, deposit_id=None)
    if previous is None:
        return _ignored(event, f"unit {reservation.unit_id} cannot be released by a {reason}")
    envelope = _envelope(session, reservation)
    reservation.status, reservation.ended_at, reservation.end_reason = "released", now, reason
    progress.take_back_sale(session, event, reservation.unit_id, envelope["project_id"],
                            deposit_id)
    uow.emit("unit_released", {"deposit_id": deposit_id, "reason": reason,
                               "previous_status": previous}, **envelope)
    holds.offer_to_next(uow, reservation.unit_id, now)
    return previous


def swap_reservation(uow, event) -> bool:
    """swap_approved: the deposit's reservation moves from one unit to the other in one
    transaction, or the swap is refused with the reason. The new unit is `reserved` whatever
    stage the old one reached: transactions writes a new order form for it, and a subscription
    signed for the old unit (at its price) is voided there, to be signed again for the new one.
    A sale counted at that subscription is taken back; the new subscription counts it again."""
    session = uow.session
    data = event["data"]
    deposit_id, from_id, to_id = data["deposit_id"], data["from_unit_id"], data["to_unit_id"]
    reservation = _reservation(session, deposit_id)
    source, target = session.get(Unit, from_id), session.get(Unit, to_id)
    if reservation is None or reservation.unit_id != from_id:
        refusal = f"deposit {deposit_id} does not reserve unit {from_id}"
    elif from_id == to_id:
        refusal = "the units are the same"
    elif source.status not in domain.SWAPPABLE:
        refusal = f"unit {from_id} is {source.status}: only a reserved or subscribed unit swaps"
    else:
        refusal = (domain.swap_refusal(target.status if target else None,
                                       target.customer_id if target else None,
                                       reservation.customer_id)
                   or _move(uow, event, reservation, source))
    if refusal is None:
        return True
    target_status = session.scalar(select(Unit.status).where(Unit.id == to_id))
    uow.emit("swap_rejected", {"application_id": data["application_id"],
                               "deposit_id": deposit_id, "reason": refusal,
                               "unit_status": target_status},
             project_id=target.project_id if target else event["project_id"], unit_id=to_id,
             customer_id=event["customer_id"])
    return False


def _move(uow, event, reservation, source) -> str | None:
    """Both units change in one savepoint, or neither: never both reserved, never neither."""
    session = uow.session
    data = event["data"]
    deposit_id, from_id, to_id = data["deposit_id"], data["from_unit_id"], data["to_unit_id"]
    customer_id, stage, now = reservation.customer_id, source.status, utcnow()
    why = _why(event)
    savepoint = session.begin_nested()
    taken = change_status(
        session, to_id, domain.RESERVED,
        where=(or_(Unit.status == domain.AVAILABLE,
                   and_(Unit.status.in_((domain.HELD, domain.OFFERED)),
                        Unit.customer_id == customer_id)),),
        by=event["source"], reason=why, event=event, now=now, customer_id=customer_id,
        deposit_id=deposit_id, consultant_id=source.consultant_id)
    if taken is None:
        savepoint.rollback()
        return "the unit was taken meanwhile"
    freed = change_status(
        session, from_id, domain.AVAILABLE,
        where=(Unit.deposit_id == deposit_id, Unit.status == stage),
        by=event["source"], reason=why, event=event, now=now,
        customer_id=None, consultant_id=None, deposit_id=None)
    if freed is None:
        savepoint.rollback()
        return f"unit {from_id} changed meanwhile"
    savepoint.commit()
    if stage != domain.RESERVED:  # the sale counted at the old unit's subscription
        progress.take_back_sale(session, event, from_id, source.project_id, deposit_id)
    session.execute(update(Hold).where(Hold.unit_id == to_id,
                                       Hold.status.in_(domain.OPEN_HOLD_STATUSES))
                    .values(status="converted", ended_at=now,
                            ended_by=f"swap {data['application_id']}"))
    price = prices.pinned(session.scalars(select(Unit).where(Unit.id == to_id).execution_options(
        populate_existing=True)).one())
    reservation.unit_id = to_id
    for field, value in price.items():
        setattr(reservation, field, value)
    session.flush()
    envelope = _envelope(session, reservation)
    uow.emit("reservation_swapped", {"application_id": data["application_id"],
                                     "deposit_id": deposit_id, "from_unit_id": from_id,
                                     "to_unit_id": to_id, **price}, **envelope)
    uow.emit("unit_released", {"deposit_id": deposit_id, "reason": "swap",
                               "previous_status": stage},
             project_id=source.project_id, unit_id=from_id, customer_id=customer_id)
    holds.offer_to_next(uow, from_id, now)
    return None


def _reservation(session, deposit_id) -> Reservation | None:
    return session.scalar(select(Reservation).where(Reservation.deposit_id == deposit_id,
                                                    Reservation.status == "active"))


def _envelope(session, reservation) -> dict:
    project_id = session.scalar(select(Unit.project_id).where(Unit.id == reservation.unit_id))
    return {"project_id": project_id, "unit_id": reservation.unit_id,
            "customer_id": reservation.customer_id}


def _why(event) -> str:
    data = event["data"]
    refs = [f"{key} {data[key]}" for key in ("application_id", "subscription_id", "contract_id",
                                              "filing_number") if key in data]
    return f"{event['type'].replace('_', ' ')}" + (f" ({', '.join(refs)})" if refs else "")


def _ignored(event, why) -> None:
    log.warning("%s.%s %s for deposit %s ignored: %s", event["source"], event["type"],
                event["event_id"], event["data"].get("deposit_id"), why)
    return None
