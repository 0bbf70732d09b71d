"""The finance system in the loop (FINANCE.md): bank-receipt confirmations, idempotent by the
bank's reference, and the weekly reconciliation of receipts issued against receipts confirmed
(财务部至少每周同销售部核对一次收据), as JSON and as an XLSX workbook."""
import base64
import hashlib
import json
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from contracts.errors import Conflict, InvalidInput, NotFound
from infra.database import utcnow
from infra.workbooks import xlsx
from services.transactions.models import BankConfirmation, Payment, Receipt
from services.transactions.plans import OFFICE_TZ

ZERO = Decimal("0.00")
MAX_DAYS = 366


def fingerprint(cmd) -> str:
    """What makes two confirmations under one reference the same request."""
    fields = {"project_id": cmd["project_id"], "receipt_number": cmd["receipt_number"],
              "amount": str(cmd["amount"]), "received_on": cmd["received_on"].isoformat(),
              "bank": cmd["bank"]}
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def confirm_bank_receipt(uow, cmd) -> dict:
    """Sent twice, answered the same and counted once; another payload under the same
    reference, or a second reference for the same payment, is a conflict."""
    request_print = fingerprint(cmd)
    earlier = _by_reference(uow.session, cmd["bank_reference"])
    if earlier is not None:
        return _repeat(uow.session, earlier, request_print)
    receipt = uow.session.scalar(select(Receipt).where(
        Receipt.project_id == cmd["project_id"], Receipt.number == cmd["receipt_number"]))
    if receipt is None:
        raise NotFound(f"project {cmd['project_id']} has no receipt {cmd['receipt_number']}",
                       {"receipt_number": ["unknown receipt"]})
    confirmation = BankConfirmation(
        bank_reference=cmd["bank_reference"], payment_id=receipt.payment_id,
        receipt_id=receipt.id, project_id=receipt.project_id, amount=cmd["amount"],
        received_on=cmd["received_on"], bank=cmd["bank"], fingerprint=request_print,
        confirmed_by=cmd["confirmed_by"], confirmed_at=utcnow())
    uow.session.add(confirmation)
    try:
        uow.session.flush()
        uow.emit("bank_receipt_confirmed", {
            "bank_reference": cmd["bank_reference"], "payment_id": receipt.payment_id,
            "receipt_id": receipt.id, "receipt_number": receipt.number, "amount": cmd["amount"],
            "received_on": cmd["received_on"], "bank": cmd["bank"]},
            project_id=receipt.project_id)
        uow.commit()
    except IntegrityError:
        uow.rollback()
        earlier = _by_reference(uow.session, cmd["bank_reference"])
        if earlier is not None:  # the same reference won a race: answer as a repeat
            return _repeat(uow.session, earlier, request_print)
        other = uow.session.scalar(select(BankConfirmation.bank_reference).where(
            BankConfirmation.payment_id == receipt.payment_id))
        raise Conflict(f"the payment of receipt {receipt.number} is confirmed already",
                       {"receipt_number": [f"confirmed by bank reference {other}"]}) from None
    return confirmation_view(uow.session, confirmation)


def _by_reference(session, reference) -> BankConfirmation | None:
    return session.scalar(select(BankConfirmation).where(
        BankConfirmation.bank_reference == reference))


def _repeat(session, earlier, request_print) -> dict:
    if earlier.fingerprint != request_print:
        raise Conflict("this bank reference was confirmed with other details",
                       {"bank_reference": ["used already with a different payload"]})
    return confirmation_view(session, earlier)


def confirmation_view(session, confirmation) -> dict:
    payment = session.get(Payment, confirmation.payment_id)
    receipt = session.get(Receipt, confirmation.receipt_id)
    return {"id": confirmation.id, "bank_reference": confirmation.bank_reference,
            "project_id": confirmation.project_id, "receipt_number": receipt.number,
            "payment_id": payment.id, "amount": confirmation.amount,
            "payment_amount": payment.amount,
            "matches": confirmation.amount == payment.amount,
            "received_on": confirmation.received_on, "bank": confirmation.bank,
            "confirmed_by": confirmation.confirmed_by,
            "confirmed_at": confirmation.confirmed_at}


# --- weekly reconciliation ---------------------------------------------------------------------

def week_of(day: date) -> date:
    """The Monday that starts the week of `day` (office calendar)."""
    return day - timedelta(days=day.weekday())


def reconciliation(session, project_id, start: date, end: date) -> dict:
    """Per office week from `start` to `end`: payments received (their receipts) against those
    the bank confirmed, the amounts and running totals; and every difference: a payment not
    confirmed, or confirmed for another amount."""
    if end < start:
        raise InvalidInput("the period ends before it starts", {"to": ["before from"]})
    if (end - start).days > MAX_DAYS:
        raise InvalidInput("the period is too long", {"to": [f"at most {MAX_DAYS} days"]})
    rows = session.execute(
        select(Payment, Receipt.number, BankConfirmation)
        .join(Receipt, Receipt.payment_id == Payment.id)
        .outerjoin(BankConfirmation, BankConfirmation.payment_id == Payment.id)
        .where(Receipt.project_id == project_id, Receipt.replaced_by_id.is_(None))
        .order_by(Payment.paid_at)).all()
    weeks = {}
    monday = week_of(start)
    while monday <= end:
        weeks[monday] = {"week_start": monday, "issued_count": 0, "issued_amount": ZERO,
                         "confirmed_count": 0, "confirmed_amount": ZERO}
        monday += timedelta(days=7)
    differences = []
    for payment, number, confirmation in rows:
        day = payment.paid_at.astimezone(OFFICE_TZ).date()
        if not start <= day <= end:
            continue
        week = weeks[week_of(day)]
        week["issued_count"] += 1
        week["issued_amount"] += payment.amount
        if confirmation is None:
            differences.append({"receipt_number": number, "payment_id": payment.id,
                                "paid_on": day, "issued_amount": payment.amount,
                                "confirmed_amount": None, "problem": "not confirmed"})
            continue
        week["confirmed_count"] += 1
        week["confirmed_amount"] += confirmation.amount
        if confirmation.amount != payment.amount:
            differences.append({"receipt_number": number, "payment_id": payment.id,
                                "paid_on": day, "issued_amount": payment.amount,
                                "confirmed_amount": confirmation.amount,
                                "problem": "amount differs"})
    issued = confirmed = ZERO
    for week in weeks.values():
        issued += week["issued_amount"]
        confirmed += week["confirmed_amount"]
        week["cumulative_issued"], week["cumulative_confirmed"] = issued, confirmed
        week["difference"] = week["issued_amount"] - week["confirmed_amount"]
    return {"project_id": project_id, "from": start, "to": end, "weeks": list(weeks.values()),
            "total_issued": issued, "total_confirmed": confirmed,
            "differences": differences, "receipts": receipts_issued(session, project_id, start,
                                                                    end)}


def receipts_issued(session, project_id, start: date, end: date) -> list[dict]:
    """Every receipt issued in the period, by number: voided and exchanged ones stay listed
    (with the number that replaced them), each with the bank's confirmation of its payment."""
    rows = session.execute(
        select(Receipt, BankConfirmation)
        .outerjoin(BankConfirmation, BankConfirmation.payment_id == Receipt.payment_id)
        .where(Receipt.project_id == project_id).order_by(Receipt.number)).all()
    numbers = {receipt.id: receipt.number for receipt, _ in rows}
    listed = []
    for receipt, confirmation in rows:
        day = receipt.issued_at.astimezone(OFFICE_TZ).date()
        if not start <= day <= end:
            continue
        listed.append({
            "receipt_number": receipt.number, "kind": receipt.kind, "issued_on": day,
            "amount": receipt.amount, "status": receipt.status,
            "replaced_by_number": numbers.get(receipt.replaced_by_id),
            "void_reason": receipt.void_reason, "payment_id": receipt.payment_id,
            "bank_reference": confirmation.bank_reference if confirmation else None,
            "confirmed_amount": confirmation.amount if confirmation else None})
    return listed


# the seed's words: 本周的回款额和累计的回款额 (this week's and the cumulative amounts received),
# by the receipts issued and by the bank's confirmations
WEEK_COLUMNS = (("week_start", "周别(周一起) week from"), ("issued_count", "收据张数 receipts"),
                ("issued_amount", "本周回款额·收据 this week, receipts"),
                ("confirmed_count", "银行确认笔数 confirmed"),
                ("confirmed_amount", "本周回款额·银行确认 this week, confirmed"),
                ("difference", "差额 difference"),
                ("cumulative_issued", "累计回款额·收据 cumulative, receipts"),
                ("cumulative_confirmed", "累计回款额·银行确认 cumulative, confirmed"))
DIFFERENCE_COLUMNS = (("receipt_number", "收据号 receipt"), ("paid_on", "日期 paid on"),
                      ("issued_amount", "收据金额 issued"),
                      ("confirmed_amount", "银行确认金额 confirmed"), ("problem", "问题 problem"))
RECEIPT_COLUMNS = (("receipt_number", "收据号 receipt"), ("kind", "收据类别 kind"),
                   ("issued_on", "开具日期 issued on"), ("amount", "金额 amount"),
                   ("status", "状态 status"), ("replaced_by_number", "换开收据号 replaced by"),
                   ("void_reason", "作废/收回原因 reason"),
                   ("bank_reference", "银行流水号 bank reference"),
                   ("confirmed_amount", "银行确认金额 confirmed"))


def workbook(report: dict) -> bytes:
    """The reconciliation as an XLSX workbook: sheets of weeks, differences and the receipts
    issued. Money cells are Decimal, shown with two decimals; an empty cell is "/" (the
    seed's forms: 暂无内容处均用/表示)."""
    return xlsx([("weeks", _sheet(WEEK_COLUMNS, report["weeks"])),
                 ("differences", _sheet(DIFFERENCE_COLUMNS, report["differences"])),
                 ("receipts", _sheet(RECEIPT_COLUMNS, report["receipts"]))])


def _sheet(columns, rows):
    yield [title for _, title in columns]
    for row in rows:
        yield ["/" if row[key] is None else row[key] for key, _ in columns]


def reconciliation_file(session, project_id, start, end) -> dict:
    content = workbook(reconciliation(session, project_id, start, end))
    return {"file_name": f"reconciliation-{project_id}-{start}-{end}.xlsx",
            "content_base64": base64.b64encode(content).decode()}
