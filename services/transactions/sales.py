"""From confirmed deposit to filed contract: order forms (定单), payments and their receipts
(收据), the subscription (认购书), the contract (商品房买卖合同) and its filing (备案)."""
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from contracts.errors import Conflict, Forbidden, IdempotencyKeyReused, InvalidInput, NotFound
from infra.database import utcnow
from services.transactions import domain
from services.transactions.models import (Application, Contract, Deposit, OrderForm, Payment,
                                          Receipt, ReceiptCounter, Subscription)

ZERO = Decimal("0.00")


# --- order forms ----------------------------------------------------------------------------

def make_order_form(uow, deposit: Deposit, project_id: int | None, pinned: dict, *,
                    stated_total_price=None, with_deposit_payment=True) -> OrderForm:
    """The 定单 of a deposit inventory has just reserved a unit for, at the price it pinned;
    for a new deposit, with its payment and deposit receipt (定金收据)."""
    total_price = domain.pinned_total(pinned.get("total_price"), stated_total_price)
    order = OrderForm(
        deposit_id=deposit.id, project_id=project_id or 0, unit_id=deposit.unit_id,
        customer_id=deposit.customer_id, consultant_id=deposit.consultant_id,
        customer_name=deposit.customer_name, customer_id_number=deposit.customer_id_number,
        building_area=deposit.building_area, price_list_version=pinned.get("price_list_version"),
        unit_price=pinned.get("unit_price"), total_price=total_price,
        floor_total_price=pinned.get("floor_total_price"), deposit_amount=deposit.amount,
        kind=deposit.kind, due_date=deposit.due_date, status=domain.ACTIVE, created_at=utcnow())
    uow.session.add(order)
    uow.session.flush()
    if with_deposit_payment:
        _pay(uow, order, deposit.amount, "deposit", "pos", f"consultant-{deposit.consultant_id}",
             receipt_kind="deposit")
    return order


def found(session, model, record_id, what: str, field: str, lock=False):
    """The record, row-locked when `lock`; 404 naming `field` when there is none."""
    record = session.get(model, record_id, with_for_update=lock)
    if record is None:
        raise NotFound(f"{what} {record_id} does not exist", {field: [f"unknown {what}"]})
    return record


def _order(session, order_form_id, lock=False) -> OrderForm:
    return found(session, OrderForm, order_form_id, "order form", "order_form_id", lock)


def active_order(session, order_form_id) -> OrderForm:
    order = _order(session, order_form_id, lock=True)
    if order.status != domain.ACTIVE:
        raise Conflict(f"order form {order.id} is {order.status}",
                       {"order_form_id": [f"the order form is {order.status}"]})
    return order


def sign_order_form(uow, cmd) -> dict:
    """One of the three signatures; the manager's only by a manager."""
    if cmd["party"] == "manager" and cmd["role"] not in domain.MANAGER_ROLES:
        raise Forbidden("only a sales manager signs for the manager",
                        {"party": ["the manager's signature needs a manager"]})
    order = active_order(uow.session, cmd["order_form_id"])
    if getattr(order, f"{cmd['party']}_signature"):
        raise Conflict(f"the {cmd['party']} has signed already",
                       {"party": ["signed already"]})
    setattr(order, f"{cmd['party']}_signature", cmd["name"])
    setattr(order, f"{cmd['party']}_signed_at", utcnow())
    uow.commit()
    return order_form_view(uow.session, order)


CORRECTABLE = ("customer_name", "customer_id_number", "building_area", "due_date")


def void_order_form(uow, cmd) -> dict:
    """作废: an order form is never altered (不得涂改) nor deleted. With a reason and a manager's
    approval it is voided and a corrected one written in its place, to be signed again; the
    payments move to it with new receipts, the old receipts stay on record as exchanged. Ending
    the deal is a refund application or a forfeiture, not a void."""
    if cmd["approver_role"] not in domain.MANAGER_ROLES:
        raise Forbidden("voiding an order form needs a manager's approval",
                        {"approved_by": ["not a manager"]})
    order = active_order(uow.session, cmd["order_form_id"])
    if uow.session.scalar(select(Subscription.id).where(Subscription.order_form_id == order.id)):
        raise Conflict("the subscription is signed: the order form can no longer be rewritten",
                       {"order_form_id": ["subscription signed"]})
    refuse_while_open(uow.session, order, "void")  # it would be stranded on the voided form
    corrections = {field: cmd[field] for field in CORRECTABLE if cmd.get(field) is not None}
    copied = {field: getattr(order, field) for field in COPIED_ON_REWRITE}
    new = OrderForm(**{**copied, **corrections}, status=domain.ACTIVE, created_at=utcnow())
    uow.session.add(new)
    order.status, order.void_reason, order.voided_at = domain.VOIDED, cmd["reason"], utcnow()
    order.void_requested_by, order.void_approved_by = cmd["requested_by"], cmd["approved_by"]
    uow.session.flush()
    move_payments(uow, order, new, f"order form {order.id} voided: {cmd['reason']}")
    uow.commit()
    return order_form_view(uow.session, new)


# what a rewritten order form keeps; signatures are given again
COPIED_ON_REWRITE = (
    "deposit_id", "project_id", "unit_id", "customer_id", "consultant_id", "customer_name",
    "customer_id_number", "building_area", "price_list_version", "unit_price", "total_price",
    "floor_total_price", "deposit_amount", "kind", "due_date")


def move_payments(uow, old, new, reason) -> None:
    """The old form's payments now belong to `new`, each with a new receipt; the old receipts
    stay, exchanged. The new receipts are numbered in the order of the old ones."""
    uow.session.execute(update(Payment).where(Payment.order_form_id == old.id)
                        .values(order_form_id=new.id))
    for receipt in uow.session.scalars(select(Receipt).where(
            Receipt.order_form_id == old.id, Receipt.status == "issued")
            .order_by(Receipt.number)).all():
        replace_receipt(uow, old, receipt, new, receipt.kind, reason)


def forfeit_deposit(uow, cmd, today) -> dict:
    """挞定: the buyer let the top-up or signing date pass without signing; a manager declares
    the deposit forfeited. The company keeps the money, so its receipts stay valid; the order
    form is closed and inventory releases the unit (`deposit_forfeited`)."""
    if cmd["approver_role"] not in domain.MANAGER_ROLES:
        raise Forbidden("a forfeiture is a manager's decision", {"approved_by": ["not a manager"]})
    order = active_order(uow.session, cmd["order_form_id"])
    if uow.session.scalar(select(Subscription.id).where(Subscription.order_form_id == order.id)):
        raise Conflict("the subscription is signed: a refund application, not a forfeiture",
                       {"order_form_id": ["subscription signed"]})
    refuse_while_open(uow.session, order, "forfeiture")
    if order.due_date is None or order.due_date >= today:
        raise Conflict("the buyer still has time to sign",
                       {"order_form_id": [f"the agreed date {order.due_date} has not passed"
                                          if order.due_date else "no agreed date on the form"]})
    order.status, order.void_reason, order.voided_at = "forfeited", cmd["reason"], utcnow()
    order.void_requested_by = order.void_approved_by = cmd["approved_by"]
    uow.session.get(Deposit, order.deposit_id).status = "forfeited"
    uow.emit("deposit_forfeited", {"deposit_id": order.deposit_id, "reason": cmd["reason"]},
             **envelope(order))
    uow.commit()
    return order_form_view(uow.session, order)


def get_order_form(session, order_form_id) -> dict:
    return order_form_view(session, _order(session, order_form_id))


def get_deposit_order_form(session, deposit_id) -> dict:
    order = session.scalar(select(OrderForm).where(OrderForm.deposit_id == deposit_id)
                           .order_by(OrderForm.id.desc()).limit(1))
    if order is None:
        raise NotFound(f"deposit {deposit_id} has no order form (not confirmed yet?)",
                       {"deposit_id": ["no order form"]})
    return order_form_view(session, order)


def amount_paid(session, order_form_id) -> Decimal:
    return session.scalar(select(func.coalesce(func.sum(Payment.amount), ZERO))
                          .where(Payment.order_form_id == order_form_id)) or ZERO


def order_form_view(session, order) -> dict:
    paid = Decimal(amount_paid(session, order.id)).quantize(domain.FEN)
    view = {column: getattr(order, column) for column in (
        "id", "deposit_id", "project_id", "unit_id", "customer_id", "consultant_id",
        "customer_name", "customer_id_number", "building_area", "price_list_version",
        "unit_price", "total_price", "floor_total_price", "deposit_amount", "kind", "due_date",
        "status", "void_reason", "void_requested_by", "void_approved_by", "voided_at",
        "created_at")}
    view["signatures"] = {party: {"name": getattr(order, f"{party}_signature"),
                                  "signed_at": getattr(order, f"{party}_signed_at")}
                          for party in domain.SIGNATORIES}
    view["amount_paid"] = paid
    view["price_payable"] = payable_total(session, order)
    view["balance_due"] = domain.balance_due(view["price_payable"], paid)
    view["receipts"] = [receipt_view(r) for r in session.scalars(
        select(Receipt).where(Receipt.order_form_id == order.id).order_by(Receipt.number))]
    return view


# --- payments and receipts ------------------------------------------------------------------

def next_receipt_number(session, project_id: int) -> int:
    """The project's next receipt number, taken in the caller's transaction: the counter row
    stays locked until it commits, and a rollback gives the number back, so there are no gaps."""
    number = session.execute(
        update(ReceiptCounter).where(ReceiptCounter.project_id == project_id)
        .values(last_number=ReceiptCounter.last_number + 1)
        .returning(ReceiptCounter.last_number)).scalar()
    if number is not None:
        return number
    try:
        with session.begin_nested():
            session.add(ReceiptCounter(project_id=project_id, last_number=1))
        return 1
    except IntegrityError:  # another transaction created the counter first: use it
        return next_receipt_number(session, project_id)


def _issue_receipt(uow, order, payment_id, amount, kind) -> Receipt:
    receipt = Receipt(project_id=order.project_id,
                      number=next_receipt_number(uow.session, order.project_id),
                      order_form_id=order.id, payment_id=payment_id, kind=kind, amount=amount,
                      status="issued", issued_at=utcnow())
    uow.session.add(receipt)
    uow.session.flush()
    return receipt


def _pay(uow, order, amount, purpose, method, recorded_by, receipt_kind="purchase",
         idempotency_key=None) -> dict:
    payment = Payment(order_form_id=order.id, amount=amount, purpose=purpose, method=method,
                      recorded_by=recorded_by, paid_at=utcnow(), idempotency_key=idempotency_key)
    uow.session.add(payment)
    uow.session.flush()
    receipt = _issue_receipt(uow, order, payment.id, amount, receipt_kind)
    uow.emit("payment_received", {
        "payment_id": payment.id, "order_form_id": order.id, "deposit_id": order.deposit_id,
        "amount": amount, "purpose": purpose, "method": method, "receipt_id": receipt.id,
        "receipt_number": receipt.number, "paid_at": payment.paid_at}, **envelope(order))
    return payment_view(payment, receipt)


OPEN = ("pending", "approved")
REFUND = ("refund",)  # a refund under way ends the deal: nothing is signed, filed or paid


def open_application(session, order_id, kinds=None) -> Application | None:
    """An application on the form still being decided or waiting for its effect."""
    query = select(Application).where(Application.order_form_id == order_id,
                                      Application.status.in_(OPEN))
    if kinds is not None:
        query = query.where(Application.kind.in_(kinds))
    return session.scalar(query.order_by(Application.id).limit(1))


def refuse_while_open(session, order, doing, kinds=None, field="order_form_id") -> None:
    """409 naming the open application: `doing` would move, end or fix the form under it."""
    application = open_application(session, order.id, kinds)
    if application is not None:
        raise Conflict(f"{application.kind} application {application.id} is "
                       f"{application.status}: no {doing} until it ends",
                       {field: [f"{application.kind} application {application.id} is "
                                f"{application.status}"]})


def application_in_flight(session, order_id, kind) -> int | None:
    """An application of `kind` approved and waiting for its effect (inventory's answer to a
    swap, finance's payout of a refund): the order form must not change under it."""
    return session.scalar(select(Application.id).where(
        Application.order_form_id == order_id, Application.kind == kind,
        Application.status == "approved"))


def record_payment(uow, cmd) -> dict:
    """A payment on an active order form, with its receipt; never above the price payable.
    A payment recorded before under the same idempotency key is answered again, not repeated."""
    key = cmd.get("idempotency_key")
    if key and (earlier := _payment_by_key(uow.session, key)) is not None:
        return _same_payment(uow.session, earlier, cmd)
    order = active_order(uow.session, cmd["order_form_id"])
    if key and (earlier := _payment_by_key(uow.session, key)) is not None:
        return _same_payment(uow.session, earlier, cmd)  # committed while we waited for the lock
    # the refund's amount is fixed when it is filed: a payment now would never be refunded
    refuse_while_open(uow.session, order, "payment", REFUND)
    errors = domain.check_payment(cmd["amount"], payable_total(uow.session, order),
                                  amount_paid(uow.session, order.id))
    if errors:
        raise InvalidInput("the payment is refused", errors)
    try:
        result = _pay(uow, order, cmd["amount"], cmd["purpose"], cmd["channel"],
                      cmd["recorded_by"], idempotency_key=key)
    except IntegrityError:
        if not key:
            raise
        uow.rollback()
        return _same_payment(uow.session, _payment_by_key(uow.session, key), cmd)
    uow.commit()
    return result


def _payment_by_key(session, key) -> Payment | None:
    return session.scalar(select(Payment).where(Payment.idempotency_key == key))


def _same_payment(session, payment: Payment, cmd) -> dict:
    """The payment recorded under this key, when the retry asks for the same payment."""
    asked = (cmd["order_form_id"], cmd["amount"], cmd["purpose"], cmd["channel"])
    if asked != (payment.order_form_id, payment.amount, payment.purpose, payment.method):
        raise IdempotencyKeyReused(
            "this idempotency key recorded another payment",
            {"idempotency_key": [f"used for payment {payment.id}; use a new key"]})
    receipt = session.scalar(select(Receipt).where(Receipt.payment_id == payment.id)
                             .order_by(Receipt.id.desc()).limit(1))
    return payment_view(payment, receipt)


def void_receipts(uow, order, reason) -> None:
    for receipt in uow.session.scalars(select(Receipt).where(
            Receipt.order_form_id == order.id, Receipt.status == "issued")):
        receipt.status, receipt.voided_at, receipt.void_reason = "voided", utcnow(), reason
        uow.emit("receipt_voided", {"receipt_id": receipt.id, "receipt_number": receipt.number,
                                    "order_form_id": order.id, "amount": receipt.amount,
                                    "reason": reason, "replaced_by_number": None},
                 **envelope(order))


def exchange_deposit_receipts(uow, order) -> None:
    """收回原定金收据,换成购房款收据: at signing each deposit receipt gives way to a purchase
    receipt of the same payment under a new number; the old one stays, marked exchanged."""
    for old in uow.session.scalars(select(Receipt).where(
            Receipt.order_form_id == order.id, Receipt.kind == "deposit",
            Receipt.status == "issued").order_by(Receipt.number)).all():
        replace_receipt(uow, order, old, order, "purchase",
                        "exchanged for a purchase receipt at signing")


def replace_receipt(uow, old_order, old: Receipt, new_order, kind: str, reason: str) -> Receipt:
    """A new receipt, under the next number, for the payment of `old`, which stays on record
    as exchanged (收回原收据)."""
    new = _issue_receipt(uow, new_order, old.payment_id, old.amount, kind)
    old.status, old.voided_at, old.replaced_by_id, old.void_reason = (
        "exchanged", utcnow(), new.id, reason)
    uow.emit("receipt_voided", {"receipt_id": old.id, "receipt_number": old.number,
                                "order_form_id": old_order.id, "amount": old.amount,
                                "reason": reason, "replaced_by_number": new.number},
             **envelope(old_order))
    return new


def list_receipts(session, project_id) -> list[dict]:
    return [receipt_view(r) for r in session.scalars(
        select(Receipt).where(Receipt.project_id == project_id).order_by(Receipt.number))]


def receipt_view(receipt) -> dict:
    return {column: getattr(receipt, column) for column in (
        "id", "project_id", "number", "order_form_id", "payment_id", "kind", "amount", "status",
        "issued_at", "voided_at", "void_reason", "replaced_by_id")}


def payment_view(payment, receipt) -> dict:
    return {**{column: getattr(payment, column) for column in (
        "id", "order_form_id", "amount", "purpose", "method", "recorded_by", "paid_at")},
        "receipt": receipt_view(receipt)}


def envelope(order) -> dict:
    return {"project_id": order.project_id or None, "unit_id": order.unit_id,
            "customer_id": order.customer_id}


def approved_discount(session, order) -> Decimal | None:
    """The discounted total of the latest completed discount application for this unit of the
    deal: on the form, or on a form it rewrote (a void corrects the form, not the price)."""
    forms = select(OrderForm.id).where(
        OrderForm.deposit_id == order.deposit_id, OrderForm.unit_id == order.unit_id,
        (OrderForm.id == order.id) | (OrderForm.status == domain.VOIDED))
    application = session.scalar(select(Application).where(
        Application.order_form_id.in_(forms), Application.kind == "discount",
        Application.status == "completed").order_by(Application.id.desc()).limit(1))
    return None if application is None else Decimal(application.details["discounted_total_price"])


def payable_total(session, order) -> Decimal | None:
    """The price the buyer pays, from the latest document that fixes it: the contract, else
    the subscription, else an approved discount, else the order form's pinned price."""
    for document in (Contract, Subscription):
        total = session.scalar(select(document.total_price).where(
            document.order_form_id == order.id, document.status != "voided"))
        if total is not None:
            return total
    discounted = approved_discount(session, order)
    return discounted if discounted is not None else order.total_price


# --- subscription, contract, filing ---------------------------------------------------------

def _check_buyer(order, cmd) -> None:
    errors = domain.check_buyer(order.customer_id_number, cmd["buyer_id_number"],
                                cmd["signed_by"], cmd["buyer_name"], cmd["power_of_attorney"])
    if errors:
        raise InvalidInput("the buyer's identity is not established", errors)


def sign_subscription(uow, cmd) -> dict:
    order = active_order(uow.session, cmd["order_form_id"])
    # inventory is moving the reservation: a subscription signed for the old unit now would be
    # voided by the swap, and inventory would show the new unit subscribed without one
    swap = application_in_flight(uow.session, order.id, "swap")
    if swap:
        raise Conflict(f"swap {swap} is approved and waiting for inventory: sign after it",
                       {"order_form_id": ["a swap is under way"]})
    refuse_while_open(uow.session, order, "subscription", REFUND)
    missing = domain.missing_signatures({p: getattr(order, f"{p}_signature")
                                         for p in domain.SIGNATORIES})
    if missing:
        raise Conflict("the order form is not signed by all three parties",
                       {"order_form_id": [f"missing signatures: {', '.join(missing)}"]})
    _check_buyer(order, cmd)
    if order.total_price is None and cmd["total_price"] is None:
        raise InvalidInput("the reservation pinned no price: state the total price",
                           {"total_price": ["required: no pinned price"]})
    if order.total_price is not None and cmd["total_price"] not in (None, order.total_price):
        raise Conflict("the price is pinned from the reservation's price list",
                       {"total_price": [f"the pinned total price is {order.total_price}"]})
    list_total = order.total_price if order.total_price is not None else cmd["total_price"]
    discounted = approved_discount(uow.session, order)
    discount = ZERO if discounted is None else list_total - discounted
    subscription = Subscription(
        order_form_id=order.id, buyer_name=cmd["buyer_name"],
        buyer_id_number=domain.normalize_id_number(cmd["buyer_id_number"]),
        signed_by=cmd["signed_by"], power_of_attorney=cmd["power_of_attorney"],
        power_of_attorney_notarized=cmd["power_of_attorney_notarized"],
        price_list_version=order.price_list_version, unit_price=order.unit_price,
        list_total_price=list_total, discount=discount, total_price=list_total - discount,
        status="signed", signed_at=utcnow())
    uow.session.add(subscription)
    try:
        uow.session.flush()
    except IntegrityError:
        raise Conflict("the order form has a subscription already",
                       {"order_form_id": ["subscribed already"]}) from None
    if order.total_price is None:
        order.total_price = subscription.total_price
    uow.emit("subscription_signed", {
        "subscription_id": subscription.id, "deposit_id": order.deposit_id,
        "consultant_id": order.consultant_id, "total_price": subscription.total_price,
        "price_list_version": subscription.price_list_version}, **envelope(order))
    uow.commit()
    return subscription_view(subscription)


def get_subscription(session, subscription_id) -> dict:
    return subscription_view(_subscription(session, subscription_id))


def _subscription(session, subscription_id, lock=False) -> Subscription:
    return found(session, Subscription, subscription_id, "subscription", "subscription_id", lock)


def subscription_view(subscription) -> dict:
    return {column: getattr(subscription, column) for column in (
        "id", "order_form_id", "buyer_name", "buyer_id_number", "signed_by",
        "power_of_attorney", "power_of_attorney_notarized", "price_list_version", "unit_price",
        "list_total_price", "discount", "total_price", "status", "signed_at")}


def sign_contract(uow, cmd) -> dict:
    subscription = _subscription(uow.session, cmd["subscription_id"], lock=True)
    if subscription.status != "signed":
        raise Conflict(f"the subscription is {subscription.status}",
                       {"subscription_id": [f"the subscription is {subscription.status}"]})
    order = active_order(uow.session, subscription.order_form_id)
    swap = application_in_flight(uow.session, order.id, "swap")
    if swap:
        raise Conflict(f"swap {swap} is approved and waiting for inventory: sign after it",
                       {"subscription_id": ["a swap is under way"]})
    refuse_while_open(uow.session, order, "contract", REFUND, field="subscription_id")
    _check_buyer(order, cmd)
    if cmd["payment_method"] == "mortgage" and cmd["mortgage_documents_due"] is None:
        raise InvalidInput("a mortgage contract sets the deadline for the mortgage documents",
                           {"mortgage_documents_due": ["required for a mortgage"]})
    contract = Contract(
        subscription_id=subscription.id, order_form_id=order.id, buyer_name=cmd["buyer_name"],
        buyer_id_number=domain.normalize_id_number(cmd["buyer_id_number"]),
        signed_by=cmd["signed_by"], power_of_attorney=cmd["power_of_attorney"],
        power_of_attorney_notarized=cmd["power_of_attorney_notarized"],
        total_price=subscription.total_price, payment_method=cmd["payment_method"],
        mortgage_documents_due=cmd["mortgage_documents_due"], status="signed",
        signed_at=utcnow())
    uow.session.add(contract)
    subscription.status = "contracted"
    try:
        uow.session.flush()
    except IntegrityError:
        raise Conflict("the subscription has a contract already",
                       {"subscription_id": ["contracted already"]}) from None
    exchange_deposit_receipts(uow, order)
    uow.emit("contract_signed", {
        "contract_id": contract.id, "subscription_id": subscription.id,
        "deposit_id": order.deposit_id, "total_price": contract.total_price,
        "payment_method": contract.payment_method}, **envelope(order))
    uow.commit()
    return contract_view(contract)


def file_contract(uow, cmd) -> dict:
    """备案 recorded with the authority's number; only then is the sale final. Sent again with
    the same number it answers the same; another number is a conflict."""
    contract = find_contract(uow.session, cmd["contract_id"], lock=True)
    if contract.status == "filed":
        if contract.filing_number == cmd["filing_number"]:
            return contract_view(contract)
        raise Conflict("the contract is filed already under another number",
                       {"filing_number": [f"filed as {contract.filing_number}"]})
    if uow.session.scalar(select(Contract.id).where(
            Contract.filing_number == cmd["filing_number"])):
        raise Conflict("that filing number belongs to another contract",
                       {"filing_number": ["used by another contract"]})
    order = active_order(uow.session, contract.order_form_id)
    refuse_while_open(uow.session, order, "filing", REFUND, field="contract_id")
    contract.status, contract.filing_number, contract.filed_at = (
        "filed", cmd["filing_number"], utcnow())
    try:  # the unique index settles two contracts filed under one number at the same moment
        uow.session.flush()
    except IntegrityError:
        raise Conflict("that filing number belongs to another contract",
                       {"filing_number": ["used by another contract"]}) from None
    uow.emit("contract_filed", {"contract_id": contract.id, "deposit_id": order.deposit_id,
                                "filing_number": contract.filing_number}, **envelope(order))
    uow.commit()
    return contract_view(contract)


def find_contract(session, contract_id, lock=False) -> Contract:
    return found(session, Contract, contract_id, "contract", "contract_id", lock)


def get_contract(session, contract_id) -> dict:
    return contract_view(find_contract(session, contract_id))


def contract_view(contract) -> dict:
    return {column: getattr(contract, column) for column in (
        "id", "subscription_id", "order_form_id", "buyer_name", "buyer_id_number", "signed_by",
        "power_of_attorney", "power_of_attorney_notarized", "total_price", "payment_method",
        "mortgage_documents_due", "status", "signed_at", "filing_number", "filed_at")}
