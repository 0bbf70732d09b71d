"""Finance through the gateway: a deposit and a payment become balanced vouchers in the
vendors' import files, and reach a finance system's endpoint as signed webhooks."""
import base64
import hashlib
import io
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from openpyxl import load_workbook
from standardwebhooks.webhooks import Webhook

from tests.e2e.conftest import wait_for
from tests.e2e.test_deposit_flow import make_office, make_project
from tests.e2e.test_transactions_sale import confirmed_deposit

pytestmark = pytest.mark.e2e
SECRET = "whsec_" + base64.b64encode(b"finance-endpoint-secret!").decode()


def receiver():
    seen = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["content-length"]))
            try:
                payload = Webhook(SECRET).verify(body, dict(self.headers))
            except Exception:
                self.send_response(401)
                self.end_headers()
                return
            seen[self.headers["webhook-id"]] = payload
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


def test_deposit_and_payment_to_balanced_vouchers_and_a_signed_webhook(suite, admin):
    server, seen = receiver()
    url = f"http://127.0.0.1:{server.server_port}/anchang"
    office, (consultant_id, _) = make_office(admin)
    project, (unit_id, _) = make_project(admin)
    bad = admin.post("/api/v1/admin/webhooks", {"url": "ftp://x", "event_types": ["nope"]})
    assert bad.status_code == 400
    assert {"url", "event_types"} <= set(bad.json()["error"]["fields"])
    hook = admin.post("/api/v1/admin/webhooks", {
        "url": url, "event_types": ["transactions.payment_received"],
        "project_ids": [project["id"]], "secret": SECRET})
    assert hook.status_code == 201, hook.text

    consultant = suite.add_user(f"fin-consultant-{consultant_id}", "consultant",
                                consultant_id=consultant_id)
    finance = suite.add_user(f"fin-finance-{consultant_id}", "finance")
    customer = consultant.post("/api/v1/visits", {"office_id": office["id"], "name": "周八",
                                                  "mobile": "13610136010"}).json()["customer"]
    deposit, form = confirmed_deposit(consultant, admin, project, unit_id, customer["id"])
    base = f"/api/v1/order-forms/{form['id']}"
    paid = finance.post(f"{base}/payments", {"amount": "340000.00", "purpose": "down_payment"})
    assert paid.status_code == 201, paid.text

    vouchers_path = f"/api/v1/projects/{project['id']}/vouchers"
    window = {"from": "2026-01-01", "to": "2026-12-31"}

    def booked():
        vouchers = finance.get(vouchers_path, params=window).json().get("vouchers", [])
        return vouchers if len(vouchers) == 3 else None
    vouchers = wait_for(booked)
    assert vouchers, "the money events never became vouchers"
    assert sorted(v["event_type"] for v in vouchers) == [
        "deposit_received", "payment_received", "payment_received"]
    for voucher in vouchers:
        debit = sum(Decimal(line["debit"]) for line in voucher["lines"])
        assert debit == sum(Decimal(line["credit"]) for line in voucher["lines"]) > 0
        assert voucher["project_id"] == project["id"]

    export = f"{vouchers_path}/export"
    first = finance.get(export, params={**window, "layout": "kingdee"})
    assert first.status_code == 200, first.text
    assert first.headers["Content-Length"] == str(len(first.content))  # streamed from the store
    assert first.headers["Digest"] == f"sha-256={hashlib.sha256(first.content).hexdigest()}"
    assert finance.get(export, params={**window, "layout": "kingdee"}).content == first.content
    rows = list(load_workbook(io.BytesIO(first.content)).active.iter_rows(values_only=True))
    assert rows[0][:5] == ("凭证日期", "会计年度", "会计期间", "凭证字", "凭证号")
    assert sum(Decimal(str(r[12])) for r in rows[1:]) == sum(Decimal(str(r[13])) for r in rows[1:])
    csv = finance.get(export, params={**window, "layout": "yonyou", "format": "csv"})
    assert csv.status_code == 200 and csv.content.decode("utf-8-sig").startswith("凭证类别字")
    too_long = finance.get(export, params={"from": "2025-01-01", "to": "2026-12-31",
                                           "layout": "kingdee"})
    assert too_long.status_code == 400 and "to" in too_long.json()["error"]["fields"]

    assert wait_for(lambda: len(seen) == 2), "the payments never reached the receiver"
    amounts = sorted(p["data"]["data"]["amount"] for p in seen.values())
    assert amounts == ["20000.00", "340000.00"]
    feed = finance.get("/api/v1/finance/events", params={"project_id": project["id"]}).json()
    assert [e["event"]["type"] for e in feed["events"]][:1] == ["deposit_received"]
    log = admin.get(f"/api/v1/admin/webhooks/{hook.json()['id']}/deliveries").json()
    assert {d["status"] for d in log["deliveries"]} == {"delivered"}
    assert consultant.get(vouchers_path, params=window).status_code == 403

    week = {"project_id": project["id"], "week": vouchers[0]["voucher_date"]}
    workbook = finance.get("/api/v1/finance/reconciliation.xlsx", params=week)
    assert workbook.status_code == 200, workbook.text
    assert workbook.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    payments = list(load_workbook(io.BytesIO(workbook.content))["本周收款 payments"]
                    .iter_rows(values_only=True))
    assert payments[0][:4] == ("收据号 receipt", "收款单 payment", "款项 purpose",
                               "收款金额 amount")
    assert sorted(Decimal(str(row[3])) for row in payments[1:]) == [
        Decimal("20000"), Decimal("340000")]
    assert consultant.get("/api/v1/finance/reconciliation.xlsx",
                          params=week).status_code == 403
    no_week = finance.get("/api/v1/finance/reconciliation.xlsx",
                          params={"project_id": project["id"]})
    assert no_week.status_code == 400 and "week" in no_week.json()["error"]["fields"]
    server.shutdown()
