"""Finance on PostgreSQL: money events become balanced vouchers once, export the same file
twice, and reach a real HTTP receiver signed, retried past its downtime, each once."""
import base64
import hashlib
import io
import json
import random
import threading
import time
from datetime import date, datetime, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from contracts.envelope import REGISTRY, build_event, parse_event
from contracts.errors import Conflict, InvalidInput
from infra.database import handle_batch, handle_once
from infra.filestore import FileStore
from services.finance import domain, handlers
from services.finance.dispatcher import Deliveries
from services.finance.models import Voucher, WebhookDelivery

pytestmark = pytest.mark.integration


def money_event(name, data, project_id, unit_id=11, customer_id=5, occurred_at=None):
    event_type = REGISTRY[f"transactions.{name}"]
    event = build_event("transactions", name, event_type.schema().load(data),
                        project_id=project_id, unit_id=unit_id, customer_id=customer_id,
                        occurred_at=occurred_at)
    return parse_event(json.loads(json.dumps(event)))


def deal_events(project_id, deposit_id):
    """A whole deal, every event of it on 24 November (the vouchers' month, whatever today is)."""
    paid_at = "2026-11-24T02:00:00+00:00"
    return [_in_november(event) for event in _deal_events(project_id, deposit_id, paid_at)]


def _in_november(event):
    return {**event, "occurred_at": datetime(2026, 11, 24, 3, tzinfo=timezone.utc)}


def _deal_events(project_id, deposit_id, paid_at):
    return [
        money_event("deposit_received", {"deposit_id": deposit_id, "amount": "20000.00",
                                         "kind": "large", "consultant_id": 3}, project_id),
        money_event("payment_received", {
            "payment_id": deposit_id * 10, "order_form_id": 4, "deposit_id": deposit_id,
            "amount": "20000.00", "purpose": "deposit", "method": "pos",
            "receipt_id": deposit_id * 10, "receipt_number": 1, "paid_at": paid_at}, project_id),
        money_event("payment_received", {
            "payment_id": deposit_id * 10 + 1, "order_form_id": 4, "deposit_id": deposit_id,
            "amount": "300000.00", "purpose": "down_payment", "method": "transfer",
            "receipt_id": deposit_id * 10 + 1, "receipt_number": 2, "paid_at": paid_at},
            project_id),
        money_event("receipt_voided", {
            "receipt_id": deposit_id * 10, "receipt_number": 1, "order_form_id": 4,
            "amount": "20000.00", "reason": "exchanged", "replaced_by_number": 3}, project_id),
        money_event("unit_swapped", {
            "application_id": deposit_id, "deposit_id": deposit_id, "from_unit_id": 11,
            "to_unit_id": 12, "old_order_form_id": 4, "new_order_form_id": 6,
            "total_price": "310000.00", "overpaid_amount": "10000.00"}, project_id),
        money_event("refund_approved", {
            "application_id": deposit_id + 1, "deposit_id": deposit_id,
            "amount_paid": "310000.00", "penalty": "10000.00", "refund_amount": "300000.00"},
            project_id, unit_id=12),
        money_event("refund_paid", {
            "application_id": deposit_id + 1, "deposit_id": deposit_id,
            "refund_amount": "300000.00", "bank_reference": f"ICBC-{deposit_id}"},
            project_id, unit_id=12),
    ]


@pytest.fixture
def files(tmp_path):
    return FileStore(f"file://{tmp_path}/finance-files")


def export(store, files, project_id, layout, format_="xlsx", to=date(2026, 11, 30)):
    """The export's bytes as the gateway streams them from the file store."""
    with store() as uow:
        file = handlers.export_vouchers(uow, {
            "project_id": project_id, "from": date(2026, 11, 1), "to": to,
            "layout": layout, "format": format_}, files)
    content = b"".join(files.export_chunks(file["name"]))
    assert (file["size"], file["sha256"]) == (len(content), hashlib.sha256(content).hexdigest())
    assert file["file_name"] == f"vouchers-{layout}-{project_id}-2026-11-01-{to}.{format_}"
    return content


@pytest.mark.parametrize("batched", [False, True], ids=["one by one", "in batches"])
def test_a_full_deal_books_balanced_vouchers_once_and_exports_identically(stores, files,
                                                                         batched):
    store = stores["finance"]
    project_id, deposit_id = random.randrange(10**5, 10**6), random.randrange(10**5, 10**6)
    events = deal_events(project_id, deposit_id)
    if batched:  # as the consumer hands them over: the deal in one batch, among another
        other = deal_events(project_id + 1, deposit_id + 2)  # project's, redeliveries too
        mixed = [event for pair in zip(other, events) for event in pair]
        handle_batch(store, mixed + events[:3], handlers.file_event,
                     order=handlers.filing_order)
        handle_batch(store, events[2:5] + other[:2], handlers.file_event,
                     order=handlers.filing_order)
    for event in events:
        for _ in range(3):  # redeliveries
            handle_once(store, event, handlers.file_event)
    for _ in range(100):  # a replayed event makes no second voucher
        handle_once(store, events[2], handlers.file_event)

    with store() as uow:
        vouchers = handlers.list_vouchers(uow, {"project_id": project_id,
                                                "from": date(2026, 11, 1),
                                                "to": date(2026, 11, 30)})["vouchers"]
    vouchers.sort(key=lambda v: (v["voucher_date"].month, v["number"]))
    assert [v["event_type"] for v in vouchers] == [
        "deposit_received", "payment_received", "payment_received", "receipt_voided",
        "unit_swapped", "refund_paid"]
    assert [v["number"] for v in vouchers] == [1, 2, 3, 4, 5, 6]
    for voucher in vouchers:
        assert sum(l["debit"] for l in voucher["lines"]) == \
            sum(l["credit"] for l in voucher["lines"]) == voucher["debit_total"] > 0

    for layout in ("kingdee", "yonyou"):
        first = export(store, files, project_id, layout)
        assert export(store, files, project_id, layout) == first
        rows = list(load_workbook(io.BytesIO(first)).active.iter_rows(values_only=True))
        assert rows[0] == domain.LAYOUTS[layout]
        assert len(rows) == 1 + sum(len(v["lines"]) for v in vouchers)
        assert export(store, files, project_id, layout, "csv") == \
            export(store, files, project_id, layout, "csv")


def test_exports_are_kept_in_the_file_store_for_a_while_then_removed(stores, files,
                                                                     monkeypatch):
    store = stores["finance"]
    project_id = random.randrange(10**5, 10**6)
    handle_once(store, deal_events(project_id, random.randrange(10**5, 10**6))[0],
                handlers.file_event)
    for _ in range(2):  # the same range again: the same file
        export(store, files, project_id, "kingdee")
    export(store, files, project_id, "kingdee", "csv")
    assert len(files.fs.find(f"{files.root}/exports")) == 2
    monkeypatch.setenv("FINANCE_EXPORT_KEEP_SECONDS", "0")
    latest = export(store, files, project_id, "kingdee", "csv", to=date(2026, 11, 29))
    [kept] = files.fs.find(f"{files.root}/exports")
    assert open(kept, "rb").read() == latest


def test_corrections_are_reversing_vouchers_and_finance_marks_status(stores):
    store = stores["finance"]
    project_id, deposit_id = random.randrange(10**5, 10**6), random.randrange(10**5, 10**6)
    handle_once(store, deal_events(project_id, deposit_id)[0], handlers.file_event)
    with store() as uow:
        original = uow.session.scalar(select(Voucher).where(Voucher.project_id == project_id))
        posted = handlers.set_voucher_status(uow, {"voucher_id": original.id,
                                                   "status": "posted", "note": None,
                                                   "project_ids": None})
    assert posted["status"] == "posted"
    with store() as uow:
        red = handlers.reverse_voucher(uow, {"voucher_id": original.id, "reason": "录错",
                                             "project_ids": None})
    assert red["reverses"] == original.id
    assert [l["debit"] for l in red["lines"]] == [Decimal("-20000.00"), Decimal("0.00")]
    with store() as uow:
        assert uow.session.get(Voucher, original.id).reversed_by == red["id"]
        with pytest.raises(Exception):
            handlers.reverse_voucher(uow, {"voucher_id": original.id, "reason": "again",
                                           "project_ids": None})


def test_a_second_voucher_for_one_business_id_is_refused_and_leaves_no_gap(stores):
    store = stores["finance"]
    project_id, deposit_id = random.randrange(10**5, 10**6), random.randrange(10**5, 10**6)
    events = deal_events(project_id, deposit_id)
    handle_once(store, events[0], handlers.file_event)
    with store() as uow:
        original = uow.session.scalar(select(Voucher).where(Voucher.project_id == project_id))
        handlers.reverse_voucher(uow, {"voucher_id": original.id, "reason": "录错",
                                       "project_ids": None})
    with store() as uow:  # a second reversal that read the voucher before the first committed
        uow.session.get(Voucher, original.id).reversed_by = None
        with pytest.raises(Conflict):
            handlers.reverse_voucher(uow, {"voucher_id": original.id, "reason": "again",
                                           "project_ids": None})
    handle_once(store, events[1], handlers.file_event)
    with store() as uow:  # the refused one gave its number back: the next takes it
        second = uow.session.scalar(select(Voucher).where(
            Voucher.business_id == str(events[1]["event_id"])))
        handlers.reverse_voucher(uow, {"voucher_id": second.id, "reason": "录错",
                                       "project_ids": None})
    with store() as uow:
        vouchers = uow.session.execute(select(Voucher.business_id, Voucher.number).where(
            Voucher.project_id == project_id).order_by(Voucher.period, Voucher.number)).all()
    assert vouchers == [(str(events[0]["event_id"]), 1), (str(events[1]["event_id"]), 2),
                        (f"reversal:{events[0]['event_id']}", 1),
                        (f"reversal:{events[1]['event_id']}", 2)]


def test_an_export_with_an_unset_account_is_refused_naming_it(stores, files):
    store = stores["finance"]
    project_id = random.randrange(10**5, 10**6)
    with store() as uow:
        handlers.set_accounts(uow, {"project_id": project_id, "accounts": {"bank": None}})
    handle_once(store, deal_events(project_id, random.randrange(10**5, 10**6))[0],
                handlers.file_event)
    with pytest.raises(InvalidInput) as caught:
        export(store, files, project_id, "kingdee")
    assert "accounts.bank" in caught.value.details
    assert files.fs.find(f"{files.root}/exports") == []  # nothing half-written


class Receiver:
    """A finance system's endpoint: verifies each signature, answers 503 while `down`."""

    def __init__(self, secret):
        self.webhook = Webhook(secret)
        self.down = True
        self.seen, self.bad, self.calls = [], [], 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.calls += 1
                if receiver.down:
                    self.send_response(503)
                    self.end_headers()
                    return
                try:
                    receiver.webhook.verify(body, dict(self.headers))
                except Exception as exc:
                    receiver.bad.append(repr(exc))
                    self.send_response(400)
                    self.end_headers()
                    return
                if self.headers["webhook-id"] not in receiver.seen:
                    receiver.seen.append(self.headers["webhook-id"])
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_webhooks_are_signed_retried_past_downtime_and_seen_once_each(stores, monkeypatch):
    monkeypatch.setenv("WEBHOOK_BACKOFF_SCALE", "0.0002")
    store = stores["finance"]
    project_id = random.randrange(10**5, 10**6)
    secret = "whsec_" + base64.b64encode(b"s" * 24).decode()
    receiver = Receiver(secret)
    with store() as uow:
        subscription = handlers.create_subscription(uow, {
            "url": receiver.url, "event_types": ["transactions.payment_received",
                                                 "transactions.refund_paid"],
            "project_ids": [project_id], "secret": secret, "max_in_flight": 2})
    events = deal_events(project_id, random.randrange(10**5, 10**6))
    for event in events:
        handle_once(store, event, handlers.file_event)
    deliveries = Deliveries(store.engine)
    for _ in range(3):  # the receiver is down: attempts fail and wait their backoff
        deliveries.run_once()
        deliveries.settle()
        time.sleep(0.01)
    assert receiver.calls >= 3 and not receiver.seen
    receiver.down = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(receiver.seen) < 3:
        deliveries.run_once()
        deliveries.settle()
        time.sleep(0.05)
    assert not receiver.bad
    assert len(receiver.seen) == 3  # two payments and the refund, each once by webhook-id
    with store() as uow:
        log = handlers.list_deliveries(uow, {"subscription_id": subscription["id"],
                                             "status": None, "limit": 10})["deliveries"]
    assert {d["status"] for d in log} == {"delivered"}
    assert all(d["log"][0]["status_code"] == 503 and d["log"][-1]["status_code"] == 204
               for d in log)

    # rotation: the receiver still holding the old secret verifies during the overlap
    with store() as uow:
        handlers.rotate_secret(uow, {"subscription_id": subscription["id"], "secret": None,
                                     "overlap_hours": 24})
        replayed = handlers.replay_deliveries(uow, {"subscription_id": subscription["id"],
                                                    "delivery_id": log[0]["id"]})
    assert replayed == {"replayed": 1}
    calls = receiver.calls
    while receiver.calls == calls and time.monotonic() < deadline:
        deliveries.run_once()
        deliveries.settle()
    assert not receiver.bad and len(receiver.seen) == 3
    receiver.server.shutdown()


def test_vouchers_reach_a_subscriber_signed_retried_and_once_each(stores, monkeypatch):
    """finance.voucher_recorded: every voucher of a full deal (a reversal too) reaches a real
    receiver that is down at first, verified, once each by webhook-id; a replay resends the
    same webhook-id and the receiver sees nothing new."""
    monkeypatch.setenv("WEBHOOK_BACKOFF_SCALE", "0.0002")
    store = stores["finance"]
    project_id, deposit_id = random.randrange(10**5, 10**6), random.randrange(10**5, 10**6)
    secret = "whsec_" + base64.b64encode(b"v" * 24).decode()
    receiver = Receiver(secret)
    bodies = {}
    original_verify = receiver.webhook.verify

    def verify(body, headers):  # keep what the receiver verified, by webhook-id
        payload = original_verify(body, headers)
        bodies[headers["webhook-id"]] = payload
        return payload
    receiver.webhook.verify = verify
    with store() as uow:
        subscription = handlers.create_subscription(uow, {
            "url": receiver.url, "event_types": ["finance.voucher_recorded"],
            "project_ids": [project_id], "secret": secret, "max_in_flight": 3})
    events = deal_events(project_id, deposit_id)
    for event in events + events[:3]:  # redelivered events make no second voucher
        handle_once(store, event, handlers.file_event)
    deliveries = Deliveries(store.engine)
    for _ in range(3):
        deliveries.run_once()
        deliveries.settle()
        time.sleep(0.01)
    assert receiver.calls >= 3 and not receiver.seen
    receiver.down = False
    with store() as uow:
        first = uow.session.scalar(select(Voucher).where(Voucher.project_id == project_id)
                                   .order_by(Voucher.id))
        red = handlers.reverse_voucher(uow, {"voucher_id": first.id, "reason": "录错",
                                             "project_ids": None})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(receiver.seen) < 7:
        deliveries.run_once()
        deliveries.settle()
        time.sleep(0.05)
    assert not receiver.bad
    assert len(receiver.seen) == 7  # six vouchers of the deal and the reversal, once each
    payloads = [bodies[message_id] for message_id in receiver.seen]
    assert {p["type"] for p in payloads} == {"finance.voucher_recorded"}
    kinds = sorted(p["data"]["event_type"] for p in payloads)
    assert kinds == sorted(["deposit_received", "payment_received", "payment_received",
                            "receipt_voided", "unit_swapped", "refund_paid", "reversal"])
    for payload in payloads:
        lines = payload["data"]["lines"]
        assert sum(Decimal(l["debit"]) for l in lines) == sum(Decimal(l["credit"])
                                                              for l in lines)
        assert Decimal(payload["data"]["debit_total"]) == sum(Decimal(l["debit"])
                                                              for l in lines)
        assert all(l["auxiliary"]["project"] == f"P{project_id:04d}" for l in lines)
    assert next(p for p in payloads if p["data"]["event_type"] == "reversal")["data"][
        "reverses"] == first.id
    with store() as uow:
        log = handlers.list_deliveries(uow, {"subscription_id": subscription["id"],
                                             "status": None, "limit": 20})["deliveries"]
        assert {d["status"] for d in log} == {"delivered"} and len(log) == 7
        assert any(d["log"][0]["status_code"] == 503 for d in log)
        one = next(d for d in log if d["event_id"] == f"voucher:{red['business_id']}")
        handlers.replay_deliveries(uow, {"subscription_id": subscription["id"],
                                         "delivery_id": one["id"]})
    calls = receiver.calls
    while receiver.calls == calls and time.monotonic() < deadline:
        deliveries.run_once()
        deliveries.settle()
    assert receiver.calls == calls + 1 and len(receiver.seen) == 7
    assert one["message_id"] in receiver.seen
    receiver.server.shutdown()


def test_a_dead_receiver_is_dead_lettered_after_the_schedule(stores, monkeypatch):
    monkeypatch.setenv("WEBHOOK_BACKOFF_SCALE", "0.00001")
    store = stores["finance"]
    project_id = random.randrange(10**5, 10**6)
    with store() as uow:
        subscription = handlers.create_subscription(uow, {
            "url": "http://127.0.0.1:9/nothing", "event_types": ["transactions.deposit_received"],
            "project_ids": [project_id], "secret": None, "max_in_flight": 4})
    handle_once(store, deal_events(project_id, random.randrange(10**5, 10**6))[0],
                handlers.file_event)
    deliveries = Deliveries(store.engine)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        deliveries.run_once()
        deliveries.settle()
        with store() as uow:
            status = uow.session.scalar(select(WebhookDelivery.status).where(
                WebhookDelivery.subscription_id == subscription["id"]))
        if status == "dead":
            break
        time.sleep(0.05)
    assert status == "dead"
    with store() as uow:
        log = handlers.list_deliveries(uow, {"subscription_id": subscription["id"],
                                             "status": "dead", "limit": 10})["deliveries"]
    assert log[0]["attempts"] == 8 and all(a["status_code"] is None for a in log[0]["log"])


def test_the_pull_feed_gives_every_money_event_in_order_after_a_cursor(stores):
    store = stores["finance"]
    project_id = random.randrange(10**5, 10**6)
    events = deal_events(project_id, random.randrange(10**5, 10**6))
    for event in events:
        handle_once(store, event, handlers.file_event)
    with store() as uow:
        page = handlers.read_feed(uow, {"after": 0, "limit": 4, "project_id": project_id})
        rest = handlers.read_feed(uow, {"after": page["next_cursor"], "limit": 100,
                                        "project_id": project_id})
    got = [item["event"]["event_id"] for item in page["events"] + rest["events"]]
    assert got == [str(event["event_id"]) for event in events]


def test_the_weekly_reconciliation_lists_the_three_ways(stores):
    store = stores["finance"]
    project_id, deposit_id = random.randrange(10**5, 10**6), random.randrange(10**5, 10**6)
    events = deal_events(project_id, deposit_id)[:3] + [money_event("refund_approved", {
        "application_id": deposit_id + 1, "deposit_id": deposit_id, "amount_paid": "310000.00",
        "penalty": "10000.00", "refund_amount": "300000.00"}, project_id,
        occurred_at=datetime(2026, 11, 25, 3, tzinfo=timezone.utc))]
    events.append(money_event("bank_receipt_confirmed", {
        "bank_reference": f"CCB-{deposit_id}", "payment_id": deposit_id * 10 + 1,
        "receipt_id": 1, "receipt_number": 2, "amount": "299000.00",
        "received_on": "2026-11-24", "bank": "建设银行"}, project_id))
    for event in events:
        handle_once(store, event, handlers.file_event)
    with store() as uow:
        report = handlers.reconciliation(uow, project_id, date(2026, 11, 26))
    assert report["week_start"] == date(2026, 11, 23)
    assert [p["payment_id"] for p in report["missing_bank_confirmation"]] == [deposit_id * 10]
    assert [p["payment_id"] for p in report["mismatched"]] == [deposit_id * 10 + 1]
    assert report["missing_voucher"] == []
    assert [e["deposit_id"] for e in report["exchanges_not_closed"]] == [deposit_id]
    assert [r["application_id"] for r in report["refunds_not_paid"]] == [deposit_id + 1]
    with store() as uow:
        file = handlers.reconciliation_file(uow, project_id, date(2026, 11, 29))
    assert file["file_name"] == f"reconciliation-{project_id}-2026-11-23.xlsx"
    book = load_workbook(io.BytesIO(base64.b64decode(file["content_base64"])))
    differences = list(book["差异 differences"].iter_rows(values_only=True))
    assert [(row[0], row[2]) for row in differences[1:]] == [
        ("缺银行确认 missing bank confirmation", deposit_id * 10),
        ("金额不符 mismatched", deposit_id * 10 + 1)]
    assert differences[2][5] == "299000.00"
    totals = dict(list(book["合计 totals"].iter_rows(values_only=True))[1:4])
    assert totals == {"收据 receipts": 320000, "凭证 vouchers": 320000,
                      "银行确认 bank confirmations": 299000}
    assert [row[0] for row in list(book["已批未付退款 refunds not paid"].iter_rows(
        values_only=True))[1:]] == [deposit_id + 1]
