"""The finance system in the loop on PostgreSQL: bank confirmations idempotent by the bank's
reference (also when sent concurrently), and the weekly reconciliation as JSON and XLSX."""
import base64
import io
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from contracts import transactions as schemas
from contracts.base import load
from contracts.errors import Conflict, InvalidInput, NotFound
from services.transactions import finance
from services.transactions.models import BankConfirmation, Payment
from tests.conftest import office_today
from tests.integration.test_transactions_sales import confirmed_order, new_project, pay

pytestmark = pytest.mark.integration


def confirm(store, project_id, number, reference, amount="20000.00", **extra):
    cmd = load(schemas.ConfirmBankReceiptSchema(), {
        "bank_reference": reference, "project_id": project_id, "receipt_number": number,
        "amount": amount, "received_on": office_today().isoformat(), "bank": "建设银行",
        "confirmed_by": "finance-system", **extra})
    with store() as uow:
        return finance.confirm_bank_receipt(uow, cmd)


def count(store, reference):
    with store() as uow:
        return uow.session.scalar(select(func.count()).select_from(BankConfirmation).where(
            BankConfirmation.bank_reference == reference))


def test_a_confirmation_sent_twice_is_answered_the_same_and_counted_once(stores):
    store = stores["transactions"]
    project = new_project()
    confirmed_order(store, project)
    reference = f"CCB-{project}-1"
    first = confirm(store, project, 1, reference)
    assert first["matches"] is True and first["payment_amount"] == Decimal("20000.00")
    assert confirm(store, project, 1, reference) == first
    assert count(store, reference) == 1
    with pytest.raises(Conflict) as other_payload:
        confirm(store, project, 1, reference, amount="20000.01")
    assert "bank_reference" in other_payload.value.details
    with pytest.raises(Conflict) as second_reference:
        confirm(store, project, 1, f"CCB-{project}-2")
    assert reference in str(second_reference.value.details["receipt_number"])
    with pytest.raises(NotFound):
        confirm(store, project, 99, f"CCB-{project}-3")


def test_concurrent_copies_of_one_confirmation_make_one_row(stores):
    store = stores["transactions"]
    project = new_project()
    confirmed_order(store, project)
    reference = f"CCB-{project}-race"
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: confirm(store, project, 1, reference), range(8)))
    assert all(answer == answers[0] for answer in answers)
    assert count(store, reference) == 1


def test_weekly_reconciliation_lists_weeks_totals_and_differences(stores):
    store = stores["transactions"]
    project = new_project()
    form = confirmed_order(store, project)  # receipt 1: 20000.00 deposit
    second = pay(store, form["id"], "100000.00")  # receipt 2
    pay(store, form["id"], "50000.00")  # receipt 3, never confirmed
    today = office_today()
    earlier = datetime.now(timezone.utc) - timedelta(days=7)
    with store() as uow:  # the deposit was paid a week earlier
        uow.session.execute(update(Payment).where(Payment.order_form_id == form["id"],
                                                  Payment.purpose == "deposit")
                            .values(paid_at=earlier))
        uow.session.commit()
    confirm(store, project, 1, f"R-{project}-1")
    confirm(store, project, 2, f"R-{project}-2", amount="99999.00")

    with store() as uow:
        report = finance.reconciliation(uow.session, project, today - timedelta(days=13), today)
    assert len(report["weeks"]) in (2, 3)
    last, before = report["weeks"][-1], report["weeks"][-2]
    assert (before["issued_amount"], before["confirmed_amount"]) == (Decimal("20000.00"),
                                                                     Decimal("20000.00"))
    assert (last["issued_count"], last["issued_amount"]) == (2, Decimal("150000.00"))
    assert (last["confirmed_count"], last["confirmed_amount"]) == (1, Decimal("99999.00"))
    assert last["cumulative_issued"] == Decimal("170000.00")
    assert last["cumulative_confirmed"] == Decimal("119999.00")
    assert report["total_issued"] - report["total_confirmed"] == Decimal("50001.00")
    problems = {(d["receipt_number"], d["problem"]) for d in report["differences"]}
    assert problems == {(2, "amount differs"), (3, "not confirmed")}
    assert second["receipt"]["number"] == 2

    with store() as uow:
        file = finance.reconciliation_file(uow.session, project, today - timedelta(days=13),
                                           today)
    book = load_workbook(io.BytesIO(base64.b64decode(file["content_base64"])))
    weeks = list(book["weeks"].iter_rows(values_only=True))
    assert weeks[0][0].startswith("周") and len(weeks) == len(report["weeks"]) + 1
    assert weeks[-1][2] == 150000 and book["weeks"].cell(len(weeks), 3).number_format == "#,##0.00"
    assert sorted(row[4] for row in book["differences"].iter_rows(min_row=2, values_only=True)) \
        == ["amount differs", "not confirmed"]
    # the seed: this week's and the cumulative amounts received (本周/累计回款额), and the
    # receipts themselves, each with its bank confirmation or "/"
    assert "本周回款额" in weeks[0][2] and "累计回款额" in weeks[0][6]
    assert [(r["receipt_number"], r["kind"], r["status"], r["confirmed_amount"])
            for r in report["receipts"]] == [
        (1, "deposit", "issued", Decimal("20000.00")), (2, "purchase", "issued",
                                                        Decimal("99999.00")),
        (3, "purchase", "issued", None)]
    receipts = list(book["receipts"].iter_rows(values_only=True))
    assert [row[0] for row in receipts[1:]] == [1, 2, 3]
    assert receipts[3][7:] == ("/", "/") and receipts[2][7] == f"R-{project}-2"
    with store() as uow, pytest.raises(InvalidInput):
        finance.reconciliation(uow.session, project, today, today - timedelta(days=1))
