"""Finance's pure rules: vouchers balance, the import layouts, webhook signatures."""
import csv
import io
import time
import zipfile
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from standardwebhooks.webhooks import Webhook

from services.finance import domain

ACCOUNTS = dict(domain.DEFAULT_ACCOUNTS)


def event(kind, data, unit_id=11, occurred_at="2026-11-23T02:00:00+00:00"):
    return {"event_id": f"e-{kind}-{len(str(data))}", "type": kind, "source": "transactions",
            "project_id": 1, "unit_id": unit_id, "customer_id": 5,
            "occurred_at": occurred_at, "data": data}


def totals(voucher):
    return (sum(line["debit"] for line in voucher["lines"]),
            sum(line["credit"] for line in voucher["lines"]))


def full_deal():
    """deposit → confirmed → exchanged → two payments → swap with overpayment → refund."""
    balances, vouchers = {}, []

    def book(kind, data, unit_id=11, **context):
        voucher = domain.build_voucher(event(kind, data, unit_id),
                                       {"balances": balances, **context}, ACCOUNTS)
        if voucher is not None:
            vouchers.append(voucher)
            balances.update(domain.balances_after(balances, voucher))
        return voucher

    book("deposit_received", {"deposit_id": 7, "amount": "20000.00", "kind": "large",
                              "consultant_id": 3})
    book("payment_received", {"payment_id": 1, "order_form_id": 4, "deposit_id": 7,
                              "amount": "20000.00", "purpose": "deposit", "method": "pos",
                              "receipt_id": 1, "receipt_number": 56,
                              "paid_at": "2026-11-23T02:00:00+00:00"})
    book("receipt_voided", {"receipt_id": 1, "receipt_number": 56, "order_form_id": 4,
                            "amount": "20000.00", "reason": "exchanged",
                            "replaced_by_number": 58}, payment={"purpose": "deposit"})
    book("payment_received", {"payment_id": 2, "order_form_id": 4, "deposit_id": 7,
                              "amount": "300000.00", "purpose": "down_payment",
                              "method": "transfer", "receipt_id": 2, "receipt_number": 57,
                              "paid_at": "2026-11-24T02:00:00+00:00"})
    book("unit_swapped", {"application_id": 2, "deposit_id": 7, "from_unit_id": 11,
                          "to_unit_id": 12, "old_order_form_id": 4, "new_order_form_id": 6,
                          "total_price": "310000.00", "overpaid_amount": "10000.00"})
    book("refund_paid", {"application_id": 3, "deposit_id": 7, "refund_amount": "300000.00",
                         "bank_reference": "ICBC-1"}, unit_id=12,
         approval={"amount_paid": Decimal("310000.00")})
    return vouchers, balances


def test_every_voucher_of_a_full_deal_balances_and_the_liabilities_end_at_zero():
    vouchers, balances = full_deal()
    assert [v["event_type"] for v in vouchers] == [
        "deposit_received", "payment_received", "receipt_voided", "payment_received",
        "unit_swapped", "refund_paid"]
    for voucher in vouchers:
        debit, credit = totals(voucher)
        assert debit == credit > 0
        assert all(isinstance(line["debit"], Decimal) for line in voucher["lines"])
    for role in domain.LIABILITIES:
        assert balances.get(role, Decimal("0")) == Decimal("0.00")
    assert balances["refunds_payable"] == Decimal("10000.00")  # the swap's overpayment
    refund = vouchers[-1]
    assert {(l["role"], l["credit"]) for l in refund["lines"] if l["credit"]} == {
        ("bank", Decimal("300000.00")), ("penalty_income", Decimal("10000.00"))}


def test_a_swap_moves_the_money_to_the_new_unit():
    vouchers, _ = full_deal()
    swap = vouchers[4]
    assert {(l["unit_id"], l["debit"], l["credit"]) for l in swap["lines"]} == {
        (11, Decimal("320000.00"), Decimal("0.00")), (12, Decimal("0.00"), Decimal("310000.00")),
        (12, Decimal("0.00"), Decimal("10000.00"))}


def test_the_summary_a_bookkeeper_reads_and_the_office_date():
    voucher = domain.build_voucher(event("payment_received", {
        "payment_id": 2, "order_form_id": 4, "deposit_id": 7, "amount": "300000.00",
        "purpose": "down_payment", "method": "cash", "receipt_id": 2, "receipt_number": 57,
        "paid_at": "2026-11-22T17:30:00+00:00"}), {}, ACCOUNTS)
    assert voucher["summary"] == "收到首付款(现金) 收据第57号"
    assert voucher["voucher_date"] == date(2026, 11, 23)  # 01:30 in Shanghai
    assert voucher["lines"][0]["account_code"] == "1001"


def test_a_forfeited_deposit_is_kept_as_income_and_events_moving_no_money_make_none():
    held = {"deposits_held": Decimal("20000.00")}
    voucher = domain.build_voucher(event("deposit_forfeited", {"deposit_id": 7, "reason": "x"}),
                                   {"balances": held}, ACCOUNTS)
    assert totals(voucher) == (Decimal("20000.00"), Decimal("20000.00"))
    assert voucher["lines"][-1]["role"] == "penalty_income"
    assert domain.build_voucher(event("deposit_forfeited", {"deposit_id": 7, "reason": "x"}),
                                {"balances": {}}, ACCOUNTS) is None
    assert domain.build_voucher(event("refund_approved", {
        "application_id": 3, "deposit_id": 7, "amount_paid": "1.00", "penalty": "0.00",
        "refund_amount": "1.00"}), {}, ACCOUNTS) is None


def test_only_the_voucher_events_make_vouchers_so_the_others_skip_the_account_mapping():
    for routing_key in domain.MONEY_EVENTS:
        kind = routing_key.split(".", 1)[1]
        if kind not in domain.VOUCHER_EVENTS:  # filed without reading the accounts
            assert domain.build_voucher(event(kind, {}), {}, ACCOUNTS) is None, kind
    assert {"deposit_received", "refund_paid"} <= domain.VOUCHER_EVENTS
    assert all(f"transactions.{kind}" in domain.MONEY_EVENTS for kind in domain.VOUCHER_EVENTS)


def test_a_reversal_negates_every_line_and_still_balances():
    vouchers, _ = full_deal()
    original = {**vouchers[3], "id": 4, "number": 4}
    red = domain.reversal(original, "金额录错", date(2026, 11, 30))
    assert red["business_id"] == f"reversal:{original['business_id']}"
    assert [l["debit"] for l in red["lines"]] == [-l["debit"] for l in original["lines"]]
    assert totals(red) == (Decimal("-300000.00"), Decimal("-300000.00"))
    assert red["summary"].startswith("冲销记-4号凭证")


def test_an_unset_account_is_refused_naming_it():
    accounts = {**ACCOUNTS, "bank": (None, None)}
    voucher = domain.build_voucher(event("deposit_received", {
        "deposit_id": 7, "amount": "20000.00", "kind": "small", "consultant_id": 3}), {},
        accounts)
    with pytest.raises(domain.MissingAccount) as caught:
        domain.check_accounts(voucher)
    assert "accounts.bank" in caught.value.details


def numbered(vouchers):
    return [{**v, "number": i, "summary": "=HYPERLINK(\"x\")" if i == 1 else v["summary"]}
            for i, v in enumerate(vouchers, start=1)]


def written(write, layout, pages) -> bytes:
    out = io.BytesIO()
    write(layout, pages, out)
    return out.getvalue()


MARKUP = "<r><t>x</t></r><r><t>y</t></r>"  # XlsxWriter's streaming mode copies it verbatim


@pytest.mark.parametrize("layout", ["kingdee", "yonyou"])
def test_xlsx_has_the_vendor_headings_text_never_formulas_and_is_byte_stable(layout):
    vouchers = numbered(full_deal()[0])
    vouchers[1]["summary"] = MARKUP
    first = written(domain.write_xlsx, layout, [vouchers[:2], vouchers[2:]])
    time.sleep(1.1)  # a second later: no save time may leak into the file
    assert written(domain.write_xlsx, layout, [vouchers]) == first
    with zipfile.ZipFile(io.BytesIO(first)) as book:
        sheet_xml = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<r>" not in sheet_xml
    sheet = load_workbook(io.BytesIO(first)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == domain.LAYOUTS[layout]
    assert len(rows) == 1 + sum(len(v["lines"]) for v in vouchers)
    summary_column = rows[0].index("摘要")
    assert rows[1][summary_column] == "=HYPERLINK(\"x\")"
    assert sheet.cell(row=2, column=summary_column + 1).data_type == "s"
    markup_row = 1 + len(vouchers[0]["lines"])
    assert rows[markup_row][summary_column] == "'" + MARKUP
    debit = rows[0].index("借方" if layout == "kingdee" else "借方金额")
    credit = debit + 1
    assert sum(Decimal(str(r[debit])) for r in rows[1:]) == \
        sum(Decimal(str(r[credit])) for r in rows[1:])


def test_csv_escapes_formulas_keeps_negative_amounts_and_is_stable():
    vouchers = numbered(full_deal()[0])
    red = domain.reversal({**vouchers[1], "id": 2}, "=cmd", date(2026, 11, 30))
    content = written(domain.write_csv, "yonyou", [vouchers, [{**red, "number": 99}]])
    assert content == written(domain.write_csv, "yonyou", [vouchers + [{**red, "number": 99}]])
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert tuple(rows[0]) == domain.YONYOU_COLUMNS
    assert rows[1][4] == "'=HYPERLINK(\"x\")"
    assert (rows[-2][7], rows[-1][8]) == ("-20000.00", "-20000.00")


def test_signatures_verify_with_the_standard_webhooks_library():
    secret = domain.new_secret(b"k" * 24)
    body = domain.webhook_body("transactions.payment_received",
                               {"occurred_at": "2026-11-23T02:00:00+00:00", "data": {"a": 1}})
    now = int(datetime.now(timezone.utc).timestamp())
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(now),
               "webhook-signature": domain.signature_header([secret], "msg_1", now, body)}
    assert Webhook(secret).verify(body, headers)["type"] == "transactions.payment_received"


def test_during_a_rotation_either_secret_verifies():
    old, new = domain.new_secret(b"o" * 24), domain.new_secret(b"n" * 24)
    body, now = b'{"type":"x"}', int(datetime.now(timezone.utc).timestamp())
    header = domain.signature_header([new, old], "msg_2", now, body)
    headers = {"webhook-id": "msg_2", "webhook-timestamp": str(now), "webhook-signature": header}
    Webhook(old).verify(body, headers)
    Webhook(new).verify(body, headers)
    with pytest.raises(Exception):
        Webhook(domain.new_secret(b"z" * 24)).verify(body, headers)


def test_retries_back_off_for_more_than_a_day_then_the_delivery_is_dead():
    delays = [domain.next_delay(n) for n in range(1, len(domain.RETRY_DELAYS) + 1)]
    assert delays == sorted(delays)
    assert sum(delays, timedelta()) >= timedelta(hours=24)
    assert domain.next_delay(len(domain.RETRY_DELAYS) + 1) is None


def test_the_office_week_starts_on_monday():
    assert domain.week_start(date(2026, 11, 29)) == date(2026, 11, 23)
    assert domain.week_start(date(2026, 11, 23)) == date(2026, 11, 23)


def test_a_voucher_webhook_body_is_signed_balanced_and_the_same_whatever_its_status():
    voucher = {**full_deal()[0][3], "id": 9, "number": 4, "debit_total": Decimal("300000.00"),
               "status": "recorded", "status_note": None, "reversed_by": None}
    body = domain.voucher_body(voucher, "2026-11-24T02:00:00+00:00")
    assert domain.voucher_body({**voucher, "status": "posted", "reversed_by": 12},
                               "2026-11-24T02:00:00+00:00") == body
    secret = domain.new_secret(b"k" * 24)
    now = int(datetime.now(timezone.utc).timestamp())
    payload = Webhook(secret).verify(body, {
        "webhook-id": "msg_v9_1", "webhook-timestamp": str(now),
        "webhook-signature": domain.signature_header([secret], "msg_v9_1", now, body)})
    assert payload["type"] == domain.VOUCHER_RECORDED == "finance.voucher_recorded"
    lines = payload["data"]["lines"]
    assert [(l["account_code"], l["debit"], l["credit"]) for l in lines] == [
        ("1002", "300000.00", "0.00"), ("2203.02", "0.00", "300000.00")]
    assert lines[0]["auxiliary"] == {"customer": "C000005", "unit": "U000011",
                                     "project": "P0001"}
    assert payload["data"]["voucher_date"] == "2026-11-24"
    assert "status" not in payload["data"]


def reconciliation_report():
    payment = {"payment_id": 21, "receipt_number": 2, "purpose": "down_payment",
               "amount": Decimal("300000.00"), "vouchers": ["记-3"],
               "bank_references": ["=HYPERLINK(\"http://x\")"]}
    lonely = {"payment_id": 20, "receipt_number": 1, "purpose": "deposit",
              "amount": Decimal("20000.00"), "vouchers": ["记-2"], "bank_references": []}
    return {"project_id": 1, "week_start": date(2026, 11, 23), "week_end": date(2026, 11, 29),
            "payments": [lonely, payment], "missing_voucher": [],
            "missing_bank_confirmation": [lonely], "duplicated": [],
            "mismatched": [{**payment, "voucher_amounts": [Decimal("300000.00")],
                            "bank_amounts": [Decimal("299000.00")]}],
            "exchanges_not_closed": [{"deposit_id": 7, "unit_id": 11,
                                      "deposit_held": Decimal("20000.00")}],
            "refunds_not_paid": [{"application_id": 8, "deposit_id": 7,
                                  "refund_amount": Decimal("300000.00"),
                                  "approved_at": datetime(2026, 11, 25, 3,
                                                          tzinfo=timezone.utc)}],
            "totals": {"receipts": Decimal("320000.00"), "vouchers": Decimal("320000.00"),
                       "bank": Decimal("299000.00")}}


def test_the_reconciliation_workbook_lists_the_three_ways_text_never_formulas():
    book = load_workbook(io.BytesIO(domain.reconciliation_workbook(reconciliation_report())))
    assert book.sheetnames == [title for _, title, _ in domain.RECONCILIATION_SHEETS]
    sheets = {title: list(book[title].iter_rows(values_only=True))
              for title in book.sheetnames}
    payments = sheets["本周收款 payments"]
    assert payments[0] == ("收据号 receipt", "收款单 payment", "款项 purpose",
                           "收款金额 amount", "凭证号 vouchers",
                           "银行流水号 bank references", "问题 problems")
    assert payments[1] == (1, 20, "定金", 20000, "记-2", "/",
                           "缺银行确认 missing bank confirmation")
    cell = book["本周收款 payments"]["F3"]
    assert cell.value == "=HYPERLINK(\"http://x\")" and cell.data_type == "s"
    assert payments[2][6] == "金额不符 mismatched"
    differences = sheets["差异 differences"]
    assert [row[0] for row in differences[1:]] == ["缺银行确认 missing bank confirmation",
                                                    "金额不符 mismatched"]
    assert differences[2][4:6] == ("300000.00", "299000.00")
    assert sheets["换开未闭合 exchanges not closed"][1] == (7, 11, 20000)
    assert sheets["已批未付退款 refunds not paid"][1] == (8, 7, 300000, "2026-11-25 11:00")
    assert sheets["合计 totals"][1:] == [("收据 receipts", 320000), ("凭证 vouchers", 320000),
                                        ("银行确认 bank confirmations", 299000),
                                        ("周 week (Asia/Shanghai)", "2026-11-23 – 2026-11-29")]
