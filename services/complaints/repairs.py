"""Repairs (seed 001, 售后维修管理办法): orders on the contractor responsible, its on-site clock,
self-repair at 200 % from the warranty deposit when it is missed, the four-signer sheet, the
follow-up visit, the contractor list and its evaluation."""
from decimal import Decimal

from sqlalchemy import select, update

from contracts.errors import Conflict, Forbidden, NotFound
from infra.database import utcnow
from infra.working_calendar import SHANGHAI
from services.complaints import domain, sla
from services.complaints.handlers import in_projects
from services.complaints.models import (Complaint, Contractor, ContractorEvaluation, RepairOrder,
                                        StatusChange)

# 维修部 is the engineering role; customer service takes the call and visits afterwards
ROLES = {
    "register_contractor": ("customer_service", "engineering"),
    "evaluate_contractor": ("customer_service", "engineering"),
    "order": ("customer_service", "engineering"),
    "arrive": ("customer_service", "engineering"),
    "self_repair": ("engineering",),
    "complete": ("engineering",),
    "sign": ("customer_service", "engineering"),
    "visit": ("customer_service",),
    "read": ("customer_service", "engineering", "general_manager", "administration"),
}


def _allow(cmd, action):
    if cmd["actor"]["role"] != "admin" and cmd["actor"]["role"] not in ROLES[action]:
        raise Forbidden(f"role {cmd['actor']['role']} may not {action.replace('_', ' ')}",
                        {"role": [f"one of {', '.join(ROLES[action])} is required"]})


# ---- contractors (维修商一览表, 维修商评估表) -------------------------------------------

def register_contractor(uow, cmd) -> dict:
    _allow(cmd, "register_contractor")
    if uow.session.scalar(select(Contractor.id).where(Contractor.name == cmd["name"])):
        raise Conflict("a contractor of that name is listed already", {"name": ["already listed"]})
    contractor = Contractor(name=cmd["name"], trade=cmd["trade"],
                            contact_person=cmd["contact_person"], phone=cmd["phone"],
                            warranty_deposit=cmd["warranty_deposit"], charged=Decimal("0.00"))
    uow.session.add(contractor)
    uow.session.flush()
    uow.emit("contractor_registered", {"contractor_id": contractor.id, "name": contractor.name,
                                       "detail": {"trade": contractor.trade}})
    uow.commit()
    return contractor_view(uow.session, contractor)


def list_contractors(session, query) -> dict:
    _allow(query, "read")
    return {"contractors": [contractor_view(session, c) for c in
                            session.scalars(select(Contractor).order_by(Contractor.id))]}


def contractor_view(session, contractor) -> dict:
    scores = session.execute(select(ContractorEvaluation.quality, ContractorEvaluation.timeliness,
                                    ContractorEvaluation.attitude).where(
        ContractorEvaluation.contractor_id == contractor.id)).all()
    average = (sum(Decimal(sum(s)) / 3 for s in scores) / len(scores)).quantize(Decimal("0.01")) \
        if scores else None
    return {"id": contractor.id, "name": contractor.name, "trade": contractor.trade,
            "contact_person": contractor.contact_person, "phone": contractor.phone,
            "warranty_deposit": contractor.warranty_deposit, "charged": contractor.charged,
            "deposit_left": contractor.warranty_deposit - contractor.charged,
            "average_score": average}


def evaluate_contractor(uow, cmd) -> dict:
    _allow(cmd, "evaluate_contractor")
    contractor = _contractor(uow.session, cmd["contractor_id"])
    if uow.session.scalar(select(ContractorEvaluation.id).where(
            ContractorEvaluation.contractor_id == contractor.id,
            ContractorEvaluation.period == cmd["period"])):
        raise Conflict("this contractor is evaluated for that period already",
                       {"period": ["already evaluated"]})
    evaluation = ContractorEvaluation(
        contractor_id=contractor.id, period=cmd["period"], quality=cmd["quality"],
        timeliness=cmd["timeliness"], attitude=cmd["attitude"], comment=cmd.get("comment"),
        evaluated_by=cmd["actor"]["username"], evaluated_at=utcnow())
    uow.session.add(evaluation)
    uow.session.flush()
    view = evaluation_view(evaluation)
    uow.emit("contractor_evaluated", {"contractor_id": contractor.id, "name": contractor.name,
                                      "detail": {"period": view["period"],
                                                 "score": str(view["score"])}})
    uow.commit()
    return view


def evaluation_view(e) -> dict:
    score = (Decimal(e.quality + e.timeliness + e.attitude) / 3).quantize(Decimal("0.01"))
    return {"id": e.id, "contractor_id": e.contractor_id, "period": e.period,
            "quality": e.quality, "timeliness": e.timeliness, "attitude": e.attitude,
            "score": score, "comment": e.comment, "evaluated_by": e.evaluated_by,
            "evaluated_at": e.evaluated_at}


def _contractor(session, contractor_id) -> Contractor:
    contractor = session.get(Contractor, contractor_id)
    if contractor is None:
        raise NotFound("unknown contractor", {"contractor_id": ["unknown contractor"]})
    return contractor


# ---- repair orders -------------------------------------------------------------------

def order_repair(uow, cmd) -> dict:
    _allow(cmd, "order")
    if not in_projects(cmd["actor"], cmd["project_id"]):
        raise Forbidden("not one of your projects", {"project_id": ["not one of your projects"]})
    session = uow.session
    contractor = _contractor(session, cmd["contractor_id"])
    if cmd.get("complaint_id") and session.get(Complaint, cmd["complaint_id"]) is None:
        raise NotFound("unknown complaint", {"complaint_id": ["unknown complaint"]})
    now = utcnow()
    repair = RepairOrder(
        unit_id=cmd["unit_id"], project_id=cmd["project_id"], customer_id=cmd.get("customer_id"),
        complaint_id=cmd.get("complaint_id"), contractor_id=contractor.id,
        description=cmd["description"], estimated_amount=cmd["estimated_amount"],
        urgency=cmd["urgency"], clock=domain.on_site_clock(cmd["urgency"], cmd["estimated_amount"]),
        status=domain.ORDERED, ordered_at=now, ordered_by=cmd["actor"]["username"], missed=False,
        signatures=[], watched=True)
    session.add(repair)
    session.flush()
    repair.number = f"WX{now.astimezone(SHANGHAI):%Y%m}-{repair.id:05d}"
    change = _history(session, repair, domain.ORDERED, now, cmd["actor"]["username"])
    computed = sla.written(session, sla.REPAIR, repair, now, history=[change])
    _emit(uow, repair, "repair_ordered", cmd["actor"]["username"], {
        "estimated_amount": str(repair.estimated_amount), "urgency": repair.urgency,
        "clock": repair.clock})
    uow.commit()
    return repair_view(session, repair, now, computed)


def arrive(uow, cmd) -> dict:
    """The contractor is on site; late when its on-site clock had run out."""
    def apply(repair, now, on_site):
        return {"on_site_at": now, "missed": on_site.breached}
    return _step(uow, cmd, "arrive", "contractor_arrived", apply)


def self_repair(uow, cmd) -> dict:
    """The after-sales department repairs itself: at once for an emergency, otherwise only
    once the contractor missed its on-site deadline (200 % charged to its deposit)."""
    def apply(repair, now, on_site):
        emergency = repair.urgency == "emergency"
        if not emergency and not on_site.breached:
            raise Conflict("the contractor's on-site time has not run out yet",
                           {"status": [f"the contractor has until {on_site.due_at.isoformat()}"]})
        return {"self_repair_at": now, "missed": not emergency}
    return _step(uow, cmd, "self_repair", "self_repair_started", apply)


def complete(uow, cmd) -> dict:
    def apply(repair, now, on_site):
        values = {"actual_cost": cmd["actual_cost"], "completed_at": now}
        if repair.status == domain.SELF_REPAIRING:
            charge = domain.deposit_charge(cmd["actual_cost"], repair.missed)
            values["deposit_charge"] = charge
            uow.session.execute(update(Contractor).where(Contractor.id == repair.contractor_id)
                                .values(charged=Contractor.charged + charge))
        return values
    return _step(uow, cmd, "complete", "repair_completed", apply,
                 lambda repair: {"actual_cost": str(repair.actual_cost),
                                 "deposit_charge": (str(repair.deposit_charge)
                                                    if repair.deposit_charge is not None else None),
                                 "missed": repair.missed})


def sign(uow, cmd) -> dict:
    """维修单签认: repair department, owner, supervisor and project department, once each; the
    fourth signature signs the sheet off."""
    def apply(repair, now, on_site):
        signed = {s["signer"] for s in repair.signatures}
        if cmd["signer"] in signed:
            raise Conflict("this signer has signed already", {"signer": ["signed already"]})
        signatures = repair.signatures + [{"signer": cmd["signer"], "name": cmd["name"],
                                           "signed_at": now.isoformat()}]
        values = {"signatures": signatures}
        if {s["signer"] for s in signatures} == set(domain.SIGNERS):
            values["status"] = domain.SIGNED_OFF
        return values
    return _step(uow, cmd, "sign", "repair_signed", apply,
                 lambda repair: {"signer": cmd["signer"], "name": cmd["name"]})


def visit(uow, cmd) -> dict:
    return _step(uow, cmd, "visit", "repair_visited",
                 lambda repair, now, on_site: {"satisfaction": cmd["satisfaction"],
                                               "visited_at": now},
                 lambda repair: {"satisfaction": cmd["satisfaction"]})


def _step(uow, cmd, step, event, apply, detail=None) -> dict:
    _allow(cmd, step)
    session = uow.session
    repair = _load(session, cmd)
    old = repair.status
    new = domain.check_repair_step(step, old)
    now = utcnow()
    on_site = _on_site_round(session, repair, now)
    values = apply(repair, now, on_site) or {}
    values.setdefault("status", new)
    moved = session.execute(update(RepairOrder).where(RepairOrder.id == repair.id,
                                                      RepairOrder.status == old).values(**values))
    if moved.rowcount != 1:
        session.rollback()
        raise Conflict("the repair order changed meanwhile; reload it",
                       {"status": ["changed by someone else"]})
    session.refresh(repair)
    if repair.status != old:
        _history(session, repair, repair.status, now, cmd["actor"]["username"])
    computed = sla.written(session, sla.REPAIR, repair, now)
    _emit(uow, repair, event, cmd["actor"]["username"], detail(repair) if detail else {})
    uow.commit()
    return repair_view(session, repair, now, computed)


def _on_site_round(session, repair, now):
    context = sla.Context(session, [repair.project_id])
    history = sla.histories(session, sla.REPAIR, [repair.id]).get(repair.id, [])
    _, state = sla.case_clocks(context, sla.REPAIR, repair, history, now)[0]
    return state.current


def _load(session, cmd) -> RepairOrder:
    repair = session.get(RepairOrder, cmd["repair_id"])
    if repair is None or not in_projects(cmd["actor"], repair.project_id):
        raise NotFound("unknown repair order", {"repair_id": ["unknown repair order"]})
    return repair


def _history(session, repair, status, at, by) -> StatusChange:
    change = StatusChange(case_kind=sla.REPAIR, case_id=repair.id, status=status, at=at, by=by)
    session.add(change)
    return change


def _emit(uow, repair, event, by, detail):
    uow.emit(event, {"repair_id": repair.id, "number": repair.number, "status": repair.status,
                     "by": by, "contractor_id": repair.contractor_id, "detail": detail},
             project_id=repair.project_id, unit_id=repair.unit_id, customer_id=repair.customer_id)


def get_repair(session, query, now=None) -> dict:
    _allow(query, "read")
    return repair_view(session, _load(session, query), now or utcnow())


REPAIR_FIELDS = ("id", "number", "unit_id", "project_id", "customer_id", "complaint_id",
                 "contractor_id", "description", "estimated_amount", "urgency", "clock", "status",
                 "ordered_at", "ordered_by", "on_site_at", "self_repair_at", "missed",
                 "actual_cost", "deposit_charge", "completed_at", "satisfaction", "visited_at")


def repair_view(session, repair, now, computed=None) -> dict:
    """The repair order with its history, clocks and breaches; `computed`: (context, history,
    clock states) a write computed already."""
    view = {name: getattr(repair, name) for name in REPAIR_FIELDS}
    view["contractor_name"] = session.scalar(select(Contractor.name).where(
        Contractor.id == repair.contractor_id))
    view["signatures"] = repair.signatures
    if computed is None:
        context = sla.Context(session, [repair.project_id])
        history = sla.histories(session, sla.REPAIR, [repair.id]).get(repair.id, [])
        states = sla.case_clocks(context, sla.REPAIR, repair, history, now)
    else:
        _, history, states = computed
    view["history"] = [{"status": h.status, "at": h.at, "by": h.by, "note": h.note}
                       for h in history]
    view["clocks"] = sla.clock_rows(states)
    view["breaches"] = sla.breach_rows(session, sla.REPAIR, repair.id)
    return view
