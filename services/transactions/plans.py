"""Payment plans (lump sum, 按揭 mortgage, 公积金 provident fund, installments), what is paid
against them, and the mortgage file: bank, loan terms, documents and monthly repayments."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from contracts.errors import Conflict, InvalidInput
from infra.database import utcnow
from services.transactions import domain, repayment, sales
from services.transactions.models import Mortgage, MortgageDocument, PlanItem

OFFICE_TZ = ZoneInfo("Asia/Shanghai")


def office_date(moment: datetime) -> date:
    return moment.astimezone(OFFICE_TZ).date()


def office_today(now: datetime | None = None) -> date:
    return office_date(now or utcnow())


def set_payment_plan(uow, cmd) -> dict:
    """The contract's plan, set once; the deposit and earlier payments cover its first
    items."""
    contract = sales.find_contract(uow.session, cmd["contract_id"], lock=True)
    sales.refuse_while_open(uow.session, sales.active_order(uow.session, contract.order_form_id),
                            "payment plan", sales.REFUND, field="contract_id")
    if uow.session.scalar(select(PlanItem.id).where(PlanItem.contract_id == contract.id)):
        raise Conflict("the contract has a payment plan already",
                       {"contract_id": ["plan set already"]})
    errors = domain.check_plan(contract.payment_method, contract.total_price, cmd["items"])
    mortgage = cmd.get("mortgage")
    if contract.payment_method in domain.LOAN_METHODS and mortgage is None:
        errors["mortgage"] = ["a loan plan names the bank and the loan terms"]
    if contract.payment_method not in domain.LOAN_METHODS and mortgage is not None:
        errors["mortgage"] = [f"no loan with payment method {contract.payment_method}"]
    if errors:
        raise InvalidInput("the payment plan is refused", errors)
    for seq, item in enumerate(cmd["items"], start=1):
        uow.session.add(PlanItem(contract_id=contract.id, seq=seq, kind=item["kind"],
                                 due_date=item["due_date"], amount=item["amount"]))
    if mortgage is not None:
        loan = next(item["amount"] for item in cmd["items"] if item["kind"] == "loan")
        uow.session.add(Mortgage(contract_id=contract.id, bank=mortgage["bank"],
                                 loan_amount=loan, annual_rate=mortgage["annual_rate"],
                                 months=mortgage["months"], repayment=mortgage["repayment"]))
    try:
        uow.session.flush()
    except IntegrityError:
        raise Conflict("the contract has a payment plan already",
                       {"contract_id": ["plan set already"]}) from None
    uow.commit()
    return get_payment_plan(uow.session, contract.id)


def get_payment_plan(session, contract_id, today: date | None = None) -> dict:
    contract = sales.find_contract(session, contract_id)
    items = list(session.scalars(select(PlanItem).where(PlanItem.contract_id == contract.id)
                                 .order_by(PlanItem.seq)))
    today = today or office_today()
    paid = sales.amount_paid(session, contract.order_form_id)
    rows = [{"seq": i.seq, "kind": i.kind, "due_date": i.due_date, "amount": i.amount}
            for i in items]
    for row, covered in zip(rows, domain.allocate(paid, rows)):
        row["paid"] = covered
        row["outstanding"] = row["amount"] - covered
        row["overdue"] = row["outstanding"] > 0 and row["due_date"] < today
    return {"contract_id": contract.id, "payment_method": contract.payment_method,
            "total_price": contract.total_price, "amount_paid": paid,
            "balance_due": contract.total_price - paid, "items": rows,
            "mortgage": mortgage_view(session, contract)}


def mortgage_view(session, contract) -> dict | None:
    mortgage = session.get(Mortgage, contract.id)
    if mortgage is None:
        return None
    documents = session.scalars(select(MortgageDocument).where(
        MortgageDocument.contract_id == contract.id).order_by(MortgageDocument.id))
    due = contract.mortgage_documents_due
    return {"bank": mortgage.bank, "loan_amount": mortgage.loan_amount,
            "annual_rate": mortgage.annual_rate, "months": mortgage.months,
            "repayment": repayment.summary(mortgage.loan_amount, mortgage.annual_rate,
                                           mortgage.months, mortgage.repayment),
            "documents_due": due,
            "documents": [{"name": d.name, "handed_in_on": d.handed_in_on,
                           "late": due is not None and d.handed_in_on > due,
                           "recorded_by": d.recorded_by} for d in documents]}


def record_mortgage_document(uow, cmd) -> dict:
    """A mortgage document handed in; one handed in after the contract's deadline is recorded
    and marked late (the consultant notes the date, 第3篇 注意事项 12)."""
    contract = sales.find_contract(uow.session, cmd["contract_id"])
    if contract.payment_method not in domain.LOAN_METHODS:
        raise Conflict(f"the contract is paid by {contract.payment_method}, not a loan",
                       {"contract_id": ["no mortgage on this contract"]})
    if cmd["handed_in_on"] > office_today():
        raise InvalidInput("a document is recorded once handed in",
                           {"handed_in_on": ["in the future"]})
    uow.session.add(MortgageDocument(contract_id=contract.id, name=cmd["name"],
                                     handed_in_on=cmd["handed_in_on"],
                                     recorded_by=cmd["recorded_by"], recorded_at=utcnow()))
    uow.commit()
    return get_payment_plan(uow.session, contract.id)


def calculate_repayment(query) -> dict:
    return repayment.summary(query["principal"], query["annual_rate"], query["months"],
                             query["method"])

