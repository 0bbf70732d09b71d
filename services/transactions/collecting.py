"""Collections (催款): overdue items a buyer owes, listed per consultant, and each act of
chasing them recorded; escalation consultant → sales manager → finance (第3篇 注意事项 14-15)."""
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from contracts.errors import Conflict, Forbidden, NotFound
from infra.database import utcnow
from services.transactions import domain, plans, sales
from services.transactions.models import (CollectionCase, CollectionStep, Contract, OrderForm,
                                          PlanItem)


def overdue(session, consultant_id=None, today: date | None = None, project_ids=None) -> dict:
    """Overdue amounts per consultant: one consultant's, the projects' (None: every project)."""
    today = today or plans.office_today()
    query = (select(Contract, OrderForm.consultant_id).join(
        OrderForm, OrderForm.id == Contract.order_form_id)
        .where(Contract.status.in_(("signed", "filed")),
               Contract.id.in_(select(PlanItem.contract_id).where(
                   PlanItem.due_date < today, PlanItem.kind.in_(domain.CUSTOMER_OWED))))
        .order_by(Contract.id))
    if consultant_id is not None:
        query = query.where(OrderForm.consultant_id == consultant_id)
    if project_ids is not None:
        query = query.where(OrderForm.project_id.in_(project_ids))
    by_consultant: dict[int, list] = {}
    for contract, consultant in session.execute(query):
        plan = plans.get_payment_plan(session, contract.id, today)
        for item in plan["items"]:
            if item["overdue"] and item["kind"] in domain.CUSTOMER_OWED:
                case = _case(session, contract.id, item["seq"])
                by_consultant.setdefault(consultant, []).append({
                    "contract_id": contract.id, "order_form_id": contract.order_form_id,
                    "buyer_name": contract.buyer_name, "seq": item["seq"],
                    "kind": item["kind"], "due_date": item["due_date"],
                    "outstanding": item["outstanding"],
                    "days_overdue": (today - item["due_date"]).days,
                    "level": case.level if case else "consultant",
                    "steps": len(_steps(session, case)) if case else 0})
    return {"as_of": today, "consultants": [
        {"consultant_id": consultant, "items": items,
         "total_outstanding": sum(i["outstanding"] for i in items)}
        for consultant, items in sorted(by_consultant.items())]}


def record_collection(uow, cmd) -> dict:
    """A contact with the buyer, or an escalation to the next level, by whoever holds the
    case now; only for an item that is overdue."""
    session = uow.session
    contract = sales.find_contract(session, cmd["contract_id"])
    plan = plans.get_payment_plan(session, contract.id)
    item = next((i for i in plan["items"] if i["seq"] == cmd["seq"]), None)
    if item is None:
        raise NotFound(f"the plan of contract {contract.id} has no item {cmd['seq']}",
                       {"seq": ["no such plan item"]})
    if not item["overdue"] or item["kind"] not in domain.CUSTOMER_OWED:
        raise Conflict("only an overdue amount the buyer owes is collected",
                       {"seq": ["not overdue" if not item["overdue"] else "owed by the bank"]})
    case = _open_case(session, contract.id, cmd["seq"])
    if cmd["role"] != case.level:
        raise Forbidden(f"the {case.level} handles this collection now",
                        {"role": [f"the case is with the {case.level}"]})
    step_level = case.level
    if cmd["action"] == "escalate":
        following = domain.next_collection_level(case.level)
        if following is None:
            raise Conflict("finance is the last level", {"action": ["nowhere to escalate"]})
        case.level = following
    session.add(CollectionStep(case_id=case.id, level=step_level, action=cmd["action"],
                               by=cmd["by"], note=cmd["note"], at=utcnow()))
    uow.commit()
    return case_view(session, case, item)


def _case(session, contract_id, seq, lock=False) -> CollectionCase | None:
    query = select(CollectionCase).where(CollectionCase.contract_id == contract_id,
                                         CollectionCase.seq == seq)
    return session.scalar(query.with_for_update() if lock else query)


def _open_case(session, contract_id, seq) -> CollectionCase:
    case = _case(session, contract_id, seq, lock=True)
    if case is not None:
        return case
    try:
        with session.begin_nested():
            case = CollectionCase(contract_id=contract_id, seq=seq, level="consultant",
                                  opened_at=utcnow())
            session.add(case)
        return case
    except IntegrityError:  # opened concurrently: take that one
        return _case(session, contract_id, seq, lock=True)


def _steps(session, case) -> list[CollectionStep]:
    return list(session.scalars(select(CollectionStep).where(CollectionStep.case_id == case.id)
                                .order_by(CollectionStep.id)))


def case_view(session, case, item) -> dict:
    return {"contract_id": case.contract_id, "seq": case.seq, "level": case.level,
            "outstanding": item["outstanding"], "due_date": item["due_date"],
            "steps": [{"level": s.level, "action": s.action, "by": s.by, "note": s.note,
                       "at": s.at} for s in _steps(session, case)]}
