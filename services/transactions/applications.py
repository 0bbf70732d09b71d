"""Applications with approval chains (seed 第3篇 forms) and what each does once approved:
swap 换房 (a saga with inventory), refund 退房 (finance pays out), rename 更名, discount 特惠,
layout change 户型结构变更."""
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from contracts.errors import Conflict, Forbidden, InvalidInput
from infra.database import utcnow
from services.transactions import approvals, domain, sales
from services.transactions.models import (Application, ApprovalChain, ApprovalStep, Contract,
                                          Deposit, OrderForm, Subscription)

APPROVED_AWAITING = {"swap": "inventory moves the reservation",
                     "refund": "finance pays the refund out"}
REQUIRED = {"swap": ("to_unit_id",), "refund": ("penalty",),
            "rename": ("new_buyer_name", "new_buyer_id_number"),
            "discount": ("discounted_total_price",), "layout_change": ("requirements",)}


# --- filing an application --------------------------------------------------------------------

def file_application(uow, cmd) -> dict:
    order = sales.active_order(uow.session, cmd["order_form_id"])  # locked: one at a time
    kind = cmd["kind"]
    missing = {name: ["required for a " + kind.replace("_", " ")]
               for name in REQUIRED[kind] if cmd.get(name) is None}
    if missing:
        raise InvalidInput(f"a {kind} application lacks fields", missing)
    open_one = uow.session.scalar(select(Application.id).where(
        Application.order_form_id == order.id, Application.kind == kind,
        Application.status.in_((approvals.PENDING, approvals.APPROVED))))
    if open_one:
        raise Conflict(f"{kind} application {open_one} is still open for this order form",
                       {"kind": [f"application {open_one} is open"]})
    details = DETAILS[kind](uow.session, order, cmd)
    chain, source = approvals.chain_for(kind, project_chains(uow.session, order.project_id))
    application = Application(
        kind=kind, order_form_id=order.id, status=approvals.PENDING,
        applicant=cmd["applicant"], reason=cmd["reason"], details=details,
        chain=list(chain), chain_source=source, created_at=utcnow())
    uow.session.add(application)
    uow.session.flush()
    uow.commit()
    return application_view(uow.session, application)


# --- the project's chains -----------------------------------------------------------------

def project_chains(session, project_id) -> dict[str, list]:
    """The chains a project set for itself, by kind (the others run under the seed's)."""
    return {row.kind: row.chain for row in session.scalars(
        select(ApprovalChain).where(ApprovalChain.project_id == project_id))}


def set_approval_chains(uow, cmd) -> dict:
    """A general manager (or admin) shortens a project's chains; a kind set to null or left
    empty goes back to the seed's chain. Applications filed before keep the chain they ran
    under."""
    if cmd["role"] not in approvals.CHAIN_SETTERS:
        raise Forbidden("a project's approval chains are the general manager's to set",
                        {"role": [f"one of {', '.join(approvals.CHAIN_SETTERS)} is required"]})
    errors = {}
    for kind, chain in cmd["chains"].items():
        refusal = approvals.chain_refusal(kind, chain) if chain else None
        if refusal:
            errors[f"chains.{kind}"] = [refusal]
    if errors:
        raise InvalidInput("the chains are refused", errors)
    for kind, chain in cmd["chains"].items():
        row = uow.session.get(ApprovalChain, (cmd["project_id"], kind), with_for_update=True)
        if not chain:
            if row is not None:
                uow.session.delete(row)
        elif row is None:
            uow.session.add(ApprovalChain(project_id=cmd["project_id"], kind=kind,
                                          chain=list(chain), set_by=cmd["set_by"],
                                          set_at=utcnow()))
        else:
            row.chain, row.set_by, row.set_at = list(chain), cmd["set_by"], utcnow()
    uow.commit()
    return approval_chains_view(uow.session, cmd["project_id"])


def approval_chains_view(session, project_id) -> dict:
    own = {row.kind: row for row in session.scalars(
        select(ApprovalChain).where(ApprovalChain.project_id == project_id))}
    return {"project_id": project_id, "chains": {
        kind: {"chain": list(own[kind].chain if kind in own else default),
               "source": approvals.PROJECT if kind in own else approvals.DEFAULT,
               "default": list(default),
               "set_by": own[kind].set_by if kind in own else None,
               "set_at": own[kind].set_at if kind in own else None}
        for kind, default in approvals.CHAINS.items()}}


def _contract_of(session, order) -> Contract | None:
    return session.scalar(select(Contract).where(Contract.order_form_id == order.id,
                                                 Contract.status != "voided"))


def _swap_details(session, order, cmd) -> dict:
    if _contract_of(session, order):
        raise Conflict("a swap is only possible before the contract is signed",
                       {"kind": ["the contract is signed: no swap (换房仅限签约前)"]})
    if cmd["to_unit_id"] == order.unit_id:
        raise InvalidInput("the swap must name another unit", {"to_unit_id": ["the same unit"]})
    if cmd.get("to_project_id") not in (None, order.project_id):
        raise InvalidInput("a swap stays within the project",
                           {"to_unit_id": [f"unit {cmd['to_unit_id']} is in another project"]})
    paid = sales.amount_paid(session, order.id)
    to_total = cmd.get("to_total_price")
    if to_total is not None and to_total < paid:
        raise InvalidInput("the new unit costs less than has been paid",
                           {"to_unit_id": [f"its total price {to_total} is below the {paid} "
                                           "paid: a refund application first"]})
    # the boxes of the 调房申请单: the unit before and after
    return {"from_unit_id": order.unit_id, "to_unit_id": cmd["to_unit_id"],
            "original_building_area": _text(order.building_area),
            "original_unit_price": _text(order.unit_price),
            "original_total_price": _text(order.total_price),
            "to_building_area": _text(cmd.get("to_building_area")),
            "to_layout": cmd.get("to_layout"), "to_unit_price": _text(cmd.get("to_unit_price")),
            "to_total_price": _text(to_total)}


def _refund_details(session, order, cmd) -> dict:
    contract = _contract_of(session, order)
    if contract is not None and contract.status == "filed":
        raise Conflict("the contract is filed: the sale is final",
                       {"kind": ["filed with the housing authority"]})
    paid = sales.amount_paid(session, order.id)
    penalty = cmd["penalty"]
    errors = domain.check_refund(paid, penalty, cmd.get("refund_amount"))
    if errors:
        raise InvalidInput("the refund is refused", errors)
    return {"amount_paid": _text(paid), "penalty": _text(penalty),
            "refund_amount": _text(paid - penalty)}


def _rename_details(session, order, cmd) -> dict:
    contract = _contract_of(session, order)
    if contract is not None and contract.status == "filed":
        raise Conflict("the contract is filed: the buyer is on record with the authority",
                       {"kind": ["filed with the housing authority"]})
    return {"old_buyer_name": order.customer_name, "old_buyer_id_number": order.customer_id_number,
            "new_buyer_name": cmd["new_buyer_name"],
            "new_buyer_id_number": domain.normalize_id_number(cmd["new_buyer_id_number"])}


def _discount_details(session, order, cmd) -> dict:
    if session.scalar(select(Subscription.id).where(Subscription.order_form_id == order.id)):
        raise Conflict("the subscription is signed at its price already",
                       {"kind": ["a discount comes before the subscription"]})
    if order.total_price is None:
        raise Conflict("the order form has no price to discount",
                       {"discounted_total_price": ["no pinned price"]})
    discounted = cmd["discounted_total_price"]
    if discounted >= order.total_price:
        raise InvalidInput("a discount lowers the price",
                           {"discounted_total_price": [f"not below {order.total_price}"]})
    unit_price = None
    if order.building_area:
        unit_price = _text(domain.fen(discounted / order.building_area))
    return {"original_unit_price": _text(order.unit_price),
            "original_total_price": _text(order.total_price),
            "discounted_unit_price": unit_price, "discounted_total_price": _text(discounted),
            "floor_total_price": _text(order.floor_total_price)}


def _layout_details(session, order, cmd) -> dict:
    return {"requirements": cmd["requirements"],
            "construction_number": cmd.get("construction_number")}


DETAILS = {"swap": _swap_details, "refund": _refund_details, "rename": _rename_details,
           "discount": _discount_details, "layout_change": _layout_details}


def _text(value) -> str | None:
    return None if value is None else str(value)


# --- deciding -----------------------------------------------------------------------------

def decide(uow, cmd) -> dict:
    """One step of the chain; the last approval applies the application."""
    application = _application(uow.session, cmd["application_id"], lock=True)
    chain = tuple(application.chain)
    decided = uow.session.scalar(select(func.count()).select_from(ApprovalStep).where(
        ApprovalStep.application_id == application.id))
    refusal = approvals.check_decision(application.status, chain, decided, cmd["role"])
    if refusal is not None:
        error = Forbidden if refusal.status == 403 else Conflict
        raise error(refusal.reason, {refusal.field: [refusal.reason]})
    approve = cmd["decision"] == "approve"
    if application.kind == "layout_change" and decided + 1 == len(chain) and approve \
            and not cmd["comment"].strip():
        raise InvalidInput("the last step is the inspection record (改造情况检查记录)",
                           {"comment": ["describe the inspection"]})
    status = approvals.status_after(chain, decided, approve)
    if status == approvals.APPROVED:
        EFFECTS[application.kind](uow, application)  # may refuse: then nothing is recorded
    uow.session.add(ApprovalStep(application_id=application.id, seq=decided + 1,
                                 role=cmd["role"], approver=cmd["approver"],
                                 decision=cmd["decision"], comment=cmd["comment"],
                                 decided_at=utcnow()))
    if status == approvals.REJECTED or (status == approvals.APPROVED
                                        and application.kind not in APPROVED_AWAITING):
        application.status = "completed" if status == approvals.APPROVED else status
        application.closed_at = utcnow()
    elif status == approvals.APPROVED:
        application.status = status  # until inventory answers, or finance pays
    try:
        uow.session.flush()
    except IntegrityError:
        raise Conflict("that step was decided meanwhile",
                       {"application_id": ["decided concurrently"]}) from None
    uow.commit()
    return application_view(uow.session, application)


def _not_while(session, order, kind, doing):
    """A swap and a refund never run at once: each would move or void the order form under
    the other."""
    other = sales.application_in_flight(session, order.id, kind)
    if other:
        raise Conflict(f"{kind} {other} is approved and under way: no {doing} until it ends",
                       {"application_id": [f"{kind} application {other} is under way"]})


def _approve_swap(uow, application):
    order = sales.active_order(uow.session, application.order_form_id)
    if _contract_of(uow.session, order):
        raise Conflict("the contract was signed meanwhile: no swap",
                       {"application_id": ["the contract is signed"]})
    _not_while(uow.session, order, "refund", "swap")
    uow.emit("swap_approved", {"application_id": application.id, "deposit_id": order.deposit_id,
                               "from_unit_id": order.unit_id,
                               "to_unit_id": application.details["to_unit_id"]},
             **sales.envelope(order))


def _approve_refund(uow, application):
    order = sales.active_order(uow.session, application.order_form_id)
    _not_while(uow.session, order, "swap", "refund")
    contract = _contract_of(uow.session, order)
    if contract is not None and contract.status == "filed":
        raise Conflict("the contract was filed meanwhile: the sale is final",
                       {"application_id": ["the contract is filed"]})
    details = application.details
    uow.emit("refund_approved", {
        "application_id": application.id, "deposit_id": order.deposit_id,
        "amount_paid": Decimal(details["amount_paid"]), "penalty": Decimal(details["penalty"]),
        "refund_amount": Decimal(details["refund_amount"])}, **sales.envelope(order))


def _approve_rename(uow, application):
    order = sales.active_order(uow.session, application.order_form_id)
    name, id_number = (application.details["new_buyer_name"],
                       application.details["new_buyer_id_number"])
    order.customer_name, order.customer_id_number = name, id_number
    for document in (Subscription, Contract):
        uow.session.execute(update(document).where(document.order_form_id == order.id)
                            .values(buyer_name=name, buyer_id_number=id_number))
    uow.emit("buyer_renamed", {"application_id": application.id, "deposit_id": order.deposit_id,
                               "order_form_id": order.id, "new_buyer_name": name},
             **sales.envelope(order))


def _approve_discount(uow, application):
    order = sales.active_order(uow.session, application.order_form_id)
    if uow.session.scalar(select(Subscription.id).where(Subscription.order_form_id == order.id)):
        raise Conflict("the subscription was signed meanwhile at its price: no discount now",
                       {"application_id": ["the subscription is signed"]})
    details = application.details
    paid = sales.amount_paid(uow.session, order.id)
    if paid > Decimal(details["discounted_total_price"]):
        raise Conflict("more has been paid than the discounted price",
                       {"application_id": [f"{paid} paid is above the discounted total price "
                                           f"{details['discounted_total_price']}"]})
    uow.emit("discount_approved", {
        "application_id": application.id, "deposit_id": order.deposit_id,
        "original_total_price": Decimal(details["original_total_price"]),
        "discounted_total_price": Decimal(details["discounted_total_price"])},
        **sales.envelope(order))


EFFECTS = {"swap": _approve_swap, "refund": _approve_refund, "rename": _approve_rename,
           "discount": _approve_discount, "layout_change": lambda uow, application: None}


# --- the swap saga's answers, and the refund paid out ------------------------------------------

def on_reservation_swapped(uow, event) -> None:
    """Inventory moved the reservation: a new order form for the new unit at its pinned price;
    the payments move to it with new receipts; the old form and receipts stay, replaced."""
    data = event["data"]
    application = _application(uow.session, data["application_id"], lock=True)
    if application.status != approvals.APPROVED:
        return  # answered already
    old = uow.session.get(OrderForm, application.order_form_id, with_for_update=True)
    if old.status != domain.ACTIVE:  # ended meanwhile: no form for a deal that is over
        application.status, application.closed_at = "failed", utcnow()
        application.outcome = (f"order form {old.id} is {old.status}: no new order form for "
                               f"unit {data['to_unit_id']}")
        return
    deposit = uow.session.get(Deposit, old.deposit_id)
    deposit.unit_id = data["to_unit_id"]
    area = application.details.get("to_building_area")
    deposit.building_area = Decimal(area) if area else None
    new = sales.make_order_form(uow, deposit, old.project_id, data, with_deposit_payment=False)
    new.customer_name, new.customer_id_number = old.customer_name, old.customer_id_number
    sales.move_payments(uow, old, new, f"swapped to unit {data['to_unit_id']}")
    old.status, old.voided_at = "replaced", utcnow()
    old.void_reason = f"swapped to unit {data['to_unit_id']} (application {application.id})"
    old.void_approved_by = _last_approver(uow.session, application)
    uow.session.execute(update(Subscription).where(Subscription.order_form_id == old.id)
                        .values(status="voided"))
    application.status, application.closed_at = "completed", utcnow()
    application.outcome = f"new order form {new.id}"
    # inventory may have re-priced the unit since the swap was filed; the reservation has moved
    # by now, so the swap stands and the excess is flagged for finance to pay back
    paid = sales.amount_paid(uow.session, new.id)
    overpaid = max(paid - new.total_price, sales.ZERO) if new.total_price is not None \
        else sales.ZERO
    if overpaid:
        application.outcome += (f"; {paid} paid is {overpaid} above its total price "
                                f"{new.total_price}: finance pays {overpaid} back")
    uow.emit("unit_swapped", {"application_id": application.id, "deposit_id": deposit.id,
                              "from_unit_id": data["from_unit_id"],
                              "to_unit_id": data["to_unit_id"], "old_order_form_id": old.id,
                              "new_order_form_id": new.id, "total_price": new.total_price,
                              "overpaid_amount": overpaid}, **sales.envelope(new))


def on_swap_rejected(uow, event) -> None:
    application = _application(uow.session, event["data"]["application_id"], lock=True)
    if application.status != approvals.APPROVED:
        return
    application.status, application.closed_at = "failed", utcnow()
    application.outcome = f"inventory refused the swap: {event['data']['reason']}"


def pay_refund(uow, cmd) -> dict:
    """Finance pays the approved refund: the order form, its receipts and documents are voided
    and stay on record; finance is told (refund_paid)."""
    if cmd["role"] != "finance":
        raise Forbidden("finance pays refunds out", {"role": ["not finance"]})
    application = _application(uow.session, cmd["application_id"], lock=True)
    if application.kind != "refund" or application.status != approvals.APPROVED:
        raise Conflict(f"application {application.id} is a {application.kind} that is "
                       f"{application.status}, not an approved refund",
                       {"application_id": ["not an approved refund"]})
    order = sales.active_order(uow.session, application.order_form_id)
    reason = f"refund (application {application.id})"
    order.status, order.void_reason, order.voided_at = domain.VOIDED, reason, utcnow()
    order.void_requested_by = application.applicant
    order.void_approved_by = _last_approver(uow.session, application)
    sales.void_receipts(uow, order, reason)
    for document in (Subscription, Contract):
        uow.session.execute(update(document).where(document.order_form_id == order.id)
                            .values(status="voided"))
    uow.session.get(Deposit, order.deposit_id).status = "refunded"
    application.status, application.closed_at = "completed", utcnow()
    application.outcome = f"paid out by {cmd['paid_by']}, bank reference {cmd['bank_reference']}"
    uow.emit("refund_paid", {"application_id": application.id, "deposit_id": order.deposit_id,
                             "refund_amount": Decimal(application.details["refund_amount"]),
                             "bank_reference": cmd["bank_reference"]},
             **sales.envelope(order))
    uow.commit()
    return application_view(uow.session, application)


# --- reading ----------------------------------------------------------------------------------

def _application(session, application_id, lock=False) -> Application:
    return sales.found(session, Application, application_id, "application", "application_id",
                       lock)


def _last_approver(session, application) -> str | None:
    return session.scalar(select(ApprovalStep.approver).where(
        ApprovalStep.application_id == application.id).order_by(ApprovalStep.seq.desc())
        .limit(1))


def get_application(session, application_id) -> dict:
    return application_view(session, _application(session, application_id))


def application_view(session, application) -> dict:
    steps = list(session.scalars(select(ApprovalStep).where(
        ApprovalStep.application_id == application.id).order_by(ApprovalStep.seq)))
    chain = list(application.chain)
    waiting = chain[len(steps)] if application.status == approvals.PENDING else None
    return {**{column: getattr(application, column) for column in (
        "id", "kind", "order_form_id", "status", "applicant", "reason", "details", "outcome",
        "created_at", "closed_at")},
        "chain_source": application.chain_source or approvals.DEFAULT,
        "chain": chain, "waiting_for": waiting,
        "steps": [{column: getattr(step, column) for column in (
            "seq", "role", "approver", "decision", "comment", "decided_at")} for step in steps]}
