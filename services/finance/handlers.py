"""Finance use cases: file money events (feed, facts, voucher, webhook deliveries in one
transaction), account mappings, vouchers and their export, webhook subscriptions and
deliveries, the weekly three-way reconciliation."""
import base64
import functools
import os
import secrets as random
import tempfile
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import bindparam, case, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from contracts.envelope import REGISTRY
from contracts.errors import Conflict, NotFound
from infra import config
from infra.database import utcnow
from infra.working_calendar import SHANGHAI
from services.finance import domain
from services.finance.models import (AccountMapping, BankConfirmationSeen, Deal, DeliveryAttempt,
                                     FeedEvent, PaymentSeen, RefundSeen, Voucher, VoucherCounter,
                                     WebhookDelivery, WebhookSubscription)

ZERO = domain.ZERO


def backoff_scale() -> float:
    """`WEBHOOK_BACKOFF_SCALE` shrinks the retry schedule (drills and tests); 1 in production."""
    return float(os.environ.get("WEBHOOK_BACKOFF_SCALE", "1"))


# --- filing money events ------------------------------------------------------------------

def plain(event) -> dict:
    """The event as JSON: what the feed and the webhooks carry."""
    routing_key = f"{event['source']}.{event['type']}"
    data = REGISTRY[routing_key].validator.dump(event["data"])
    occurred = event["occurred_at"]
    return {**event, "event_id": str(event["event_id"]), "data": data,
            "occurred_at": occurred.isoformat() if isinstance(occurred, datetime) else occurred}


def filing_order(event) -> int:
    """The order in which a batch of events is filed: by project, so two batches filed at once
    lock the projects' voucher counters in the same order; within a project as they came in
    (the order of its voucher numbers)."""
    return event["project_id"] or 0


def file_event(uow, event) -> None:
    session = uow.session
    filing = _filing(session)
    routing_key = f"{event['source']}.{event['type']}"
    body = plain(event)
    now = utcnow()
    statements = _statements(session.get_bind().dialect.name)
    feed_id = session.execute(statements.feed, dict(
        event_id=body["event_id"], routing_key=routing_key, project_id=event["project_id"],
        occurred_at=event["occurred_at"], payload=body, filed_at=now)).scalar_one()
    context = _remember(session, statements, body)
    deliveries = _deliveries(filing, routing_key, event["project_id"], body["event_id"],
                             f"msg_{body['event_id'].replace('-', '')}", now, feed_id=feed_id)
    deal = context.get("deal")
    if event["project_id"] is not None and body["type"] in domain.VOUCHER_EVENTS:
        voucher = domain.build_voucher(body, context,
                                       filing.accounts(session, event["project_id"]))
        if voucher is not None:
            voucher["payment_id"] = body["data"].get("payment_id") or context.get("payment_id")
            voucher_id = _save_voucher(session, voucher, now)
            if voucher_id is not None:
                if deal is not None:
                    deal["balances"] = _dump_balances(domain.balances_after(
                        context["balances"], voucher))
                    deal["changed"] = True
                # the voucher's deliveries first, as when each was added on its own
                deliveries = _voucher_deliveries(filing, voucher, voucher_id, now) + deliveries
    if deal is not None:
        _write_deal(session, statements, deal)
    _insert_deliveries(session, deliveries)


@functools.cache
def _statements(dialect_name: str) -> SimpleNamespace:
    """Filing's statements, built once per database kind: values come as parameters, so
    each is compiled once and taken from SQLAlchemy's cache afterwards."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    feed, deals = FeedEvent.__table__, Deal.__table__
    vouchers, counters = Voucher.__table__, VoucherCounter.__table__

    def upsert(model, key, columns):
        statement = dialect.insert(model.__table__)
        return statement.on_conflict_do_update(
            index_elements=[key], set_={name: statement.excluded[name] for name in columns})

    counter = dialect.insert(counters)
    return SimpleNamespace(
        feed=insert(feed).returning(feed.c.id),
        payment=upsert(PaymentSeen, "payment_id", (
            "project_id", "deposit_id", "purpose", "amount", "receipt_id", "receipt_number",
            "paid_at", "exchanged")),
        refund=upsert(RefundSeen, "application_id", (
            "project_id", "deposit_id", "amount_paid", "penalty", "refund_amount",
            "approved_at")),
        bank_confirmation=upsert(BankConfirmationSeen, "bank_reference", (
            "project_id", "payment_id", "receipt_number", "amount", "received_on")),
        deal=select(deals.c.unit_id, deals.c.balances).where(
            deals.c.deposit_id == bindparam("deal")),
        new_deal=insert(deals),
        deal_changed=update(deals).where(deals.c.deposit_id == bindparam("deal")),
        voucher=dialect.insert(vouchers).on_conflict_do_nothing(
            index_elements=["business_id"]).returning(vouchers.c.id),
        # the period's counter made or raised, its row locked until the transaction ends
        number=counter.on_conflict_do_update(
            index_elements=["project_id", "period"], set_={"last": counters.c.last + 1})
        .returning(counters.c.last))


_SUBSCRIPTIONS = WebhookSubscription.__table__.c
ACTIVE_SUBSCRIPTIONS = (select(_SUBSCRIPTIONS.id, _SUBSCRIPTIONS.event_types,
                               _SUBSCRIPTIONS.project_ids)
                        .where(_SUBSCRIPTIONS.active == 1).order_by(_SUBSCRIPTIONS.id))


class _Filing:
    """What every event filed in one transaction reads alike, read once for the batch: the
    active webhook subscriptions and each project's account mapping."""

    def __init__(self, session):
        self.subscriptions = [
            (row.id, frozenset(row.event_types), row.project_ids)
            for row in session.execute(ACTIVE_SUBSCRIPTIONS)]
        self._accounts = {}

    def accounts(self, session, project_id) -> dict:
        if project_id not in self._accounts:
            self._accounts[project_id] = accounts_for(session, project_id)
        return self._accounts[project_id]


def _filing(session) -> _Filing:
    """The batch cache of the session's transaction (a new one after a commit or rollback:
    nothing read under an earlier transaction's locks is used again)."""
    transaction = session.get_transaction()
    cached = session.info.get("finance_filing")
    if cached is None or cached[0] is not transaction:
        cached = (transaction, _Filing(session))
        session.info["finance_filing"] = cached
    return cached[1]


def _deliveries(filing, routing_key, project_id, event_id, message_key, now, feed_id=None,
                voucher_id=None) -> list[dict]:
    """One pending delivery per active subscription that wants `routing_key` for the project,
    written in the caller's transaction (nothing committed is skipped)."""
    return [{"subscription_id": subscription_id, "event_id": event_id,
             "message_id": f"{message_key}_{subscription_id}", "feed_id": feed_id,
             "voucher_id": voucher_id, "status": "pending", "attempts": 0,
             "next_attempt_at": now, "delivered_at": None, "created_at": now}
            for subscription_id, event_types, project_ids in filing.subscriptions
            if routing_key in event_types and (project_ids is None or project_id in project_ids)]


def _voucher_deliveries(filing, voucher: dict, voucher_id: int, now) -> list[dict]:
    """`finance.voucher_recorded` to its subscribers: webhook-id `msg_v<voucher id>_<sub>`."""
    return _deliveries(filing, domain.VOUCHER_RECORDED, voucher["project_id"],
                       f"voucher:{voucher['business_id']}", f"msg_v{voucher_id}", now,
                       voucher_id=voucher_id)


def _insert_deliveries(session, deliveries) -> None:
    if deliveries:  # one statement for all of them
        session.execute(insert(WebhookDelivery.__table__), deliveries)


def _remember(session, statements, event) -> dict:
    """Keep the facts later events and the reconciliation need; answer the voucher's context."""
    kind, data, project = event["type"], event["data"], event["project_id"]
    context = {}
    deposit_id = data.get("deposit_id")
    if kind == "receipt_voided":
        payment = session.scalar(select(PaymentSeen).where(
            PaymentSeen.receipt_id == data["receipt_id"]))
        if payment is not None:
            context["payment"] = {"purpose": payment.purpose}
            context["payment_id"] = payment.payment_id
            deposit_id = payment.deposit_id
            if data.get("replaced_by_number") is not None:
                payment.exchanged += 1
                payment.receipt_number = data["replaced_by_number"]
    if kind == "payment_received":
        session.execute(statements.payment, dict(
            payment_id=data["payment_id"], project_id=project, deposit_id=data["deposit_id"],
            purpose=data["purpose"], amount=Decimal(data["amount"]),
            receipt_id=data["receipt_id"], receipt_number=data["receipt_number"],
            paid_at=datetime.fromisoformat(data["paid_at"]), exchanged=0))
    elif kind == "refund_approved":
        session.execute(statements.refund, dict(
            application_id=data["application_id"], project_id=project,
            deposit_id=data["deposit_id"], amount_paid=Decimal(data["amount_paid"]),
            penalty=Decimal(data["penalty"]), refund_amount=Decimal(data["refund_amount"]),
            approved_at=datetime.fromisoformat(event["occurred_at"])))
    elif kind == "refund_paid":
        refund = session.get(RefundSeen, data["application_id"])
        if refund is not None:
            context["approval"] = {"amount_paid": refund.amount_paid}
            refund.paid_at = datetime.fromisoformat(event["occurred_at"])
    elif kind == "bank_receipt_confirmed":
        session.execute(statements.bank_confirmation, dict(
            bank_reference=data["bank_reference"], project_id=project,
            payment_id=data["payment_id"], receipt_number=data["receipt_number"],
            amount=Decimal(data["amount"]), received_on=date.fromisoformat(data["received_on"])))
    if deposit_id is not None:
        stored = session.execute(statements.deal, {"deal": deposit_id}).first()
        deal = {"deposit_id": deposit_id, "new": stored is None, "changed": False}
        if stored is None:
            deal.update(project_id=project, unit_id=event.get("unit_id"),
                        customer_id=event.get("customer_id"), balances={})
        else:
            deal.update(unit_id=stored.unit_id, balances=stored.balances or {})
        context["deal"] = deal
        context["balances"] = _load_balances(deal["balances"])
        if kind == "unit_swapped":
            deal["unit_id"], deal["changed"] = data["to_unit_id"], True
    return context


def _write_deal(session, statements, deal) -> None:
    """A new deal made, or a known one's unit and balances written when they changed: one
    statement at most per event."""
    if deal["new"]:
        session.execute(statements.new_deal, {
            "deposit_id": deal["deposit_id"], "project_id": deal["project_id"],
            "unit_id": deal["unit_id"], "customer_id": deal["customer_id"],
            "balances": deal["balances"]})
    elif deal["changed"]:
        session.execute(statements.deal_changed, {
            "deal": deal["deposit_id"], "unit_id": deal["unit_id"],
            "balances": deal["balances"]})


def _load_balances(stored) -> dict:
    return {role: Decimal(amount) for role, amount in (stored or {}).items()}


def _dump_balances(balances) -> dict:
    return {role: f"{amount:.2f}" for role, amount in balances.items()}


def _save_voucher(session, voucher, now) -> int | None:
    """Numbered per project and month (记-1, 记-2, …) in filing order; the new voucher's id,
    or None when the business id has one already: the caller then rolls back, the number
    with it (a money event's id is filed once, the feed's unique event id sees to that)."""
    statements = _statements(session.get_bind().dialect.name)
    day = voucher["voucher_date"]
    period = f"{day.year:04d}-{day.month:02d}"
    number = session.execute(statements.number, {
        "project_id": voucher["project_id"], "period": period, "last": 1}).scalar_one()
    return session.execute(statements.voucher, dict(
        business_id=voucher["business_id"], event_type=voucher["event_type"],
        project_id=voucher["project_id"], customer_id=voucher.get("customer_id"),
        unit_id=voucher.get("unit_id"), deposit_id=voucher.get("deposit_id"),
        payment_id=voucher.get("payment_id"), voucher_date=day, period=period,
        word=voucher["word"], number=number, summary=voucher["summary"],
        attachments=voucher["attachments"],
        debit_total=sum((line["debit"] for line in voucher["lines"]), ZERO),
        lines=[_dump_line(line) for line in voucher["lines"]], status="recorded",
        reverses=voucher.get("reverses"), created_at=now)).scalar()


def _dump_line(line) -> dict:
    return {**line, "debit": f"{line['debit']:.2f}", "credit": f"{line['credit']:.2f}"}


def _load_line(line) -> dict:
    return {**line, "debit": Decimal(line["debit"]), "credit": Decimal(line["credit"])}


# --- account mappings ---------------------------------------------------------------------

_MAPPINGS = AccountMapping.__table__.c
PROJECT_ACCOUNTS = select(_MAPPINGS.role, _MAPPINGS.account_code, _MAPPINGS.account_name).where(
    _MAPPINGS.project_id == bindparam("project"))


def accounts_for(session, project_id) -> dict:
    """role → (code, name): the defaults, overridden by the project's rows (a row with no code
    leaves the role unset)."""
    accounts = dict(domain.DEFAULT_ACCOUNTS)
    for row in session.execute(PROJECT_ACCOUNTS, {"project": project_id}):
        accounts[row.role] = (row.account_code, row.account_name)
    return accounts


def get_accounts(uow, project_id) -> dict:
    accounts = accounts_for(uow.session, project_id)
    return {"project_id": project_id,
            "accounts": {role: {"code": accounts[role][0], "name": accounts[role][1]}
                         for role in domain.ACCOUNT_ROLES}}


def set_accounts(uow, cmd) -> dict:
    session = uow.session
    for role, account in cmd["accounts"].items():
        row = session.scalar(select(AccountMapping).where(
            AccountMapping.project_id == cmd["project_id"], AccountMapping.role == role))
        if row is None:
            row = AccountMapping(project_id=cmd["project_id"], role=role)
            session.add(row)
        row.account_code = account["code"] if account else None
        row.account_name = account["name"] if account else None
    uow.commit()
    return get_accounts(uow, cmd["project_id"])


# --- vouchers -----------------------------------------------------------------------------

def voucher_view(row: Voucher) -> dict:
    return {"id": row.id, "business_id": row.business_id, "event_type": row.event_type,
            "project_id": row.project_id, "customer_id": row.customer_id,
            "unit_id": row.unit_id, "deposit_id": row.deposit_id, "payment_id": row.payment_id,
            "voucher_date": row.voucher_date, "word": row.word, "number": row.number,
            "summary": row.summary, "attachments": row.attachments,
            "debit_total": row.debit_total, "status": row.status,
            "status_note": row.status_note, "reverses": row.reverses,
            "reversed_by": row.reversed_by, "lines": [_load_line(l) for l in row.lines]}


def _range_query(query):
    return (select(Voucher).where(Voucher.project_id == query["project_id"],
                                  Voucher.voucher_date >= query["from"],
                                  Voucher.voucher_date <= query["to"])
            .order_by(Voucher.voucher_date, Voucher.period, Voucher.number))


def list_vouchers(uow, query) -> dict:
    rows = uow.session.scalars(_range_query(query)).all()
    return {"vouchers": [voucher_view(row) for row in rows]}


# what the vendors' layouts show of a voucher
EXPORTED = (Voucher.business_id, Voucher.project_id, Voucher.customer_id,
            Voucher.voucher_date, Voucher.word, Voucher.number, Voucher.summary,
            Voucher.attachments, Voucher.lines)


def exported_pages(uow, query, size=1000):
    """The range's vouchers as the layouts need them, in lists of `size` read a page at a
    time (plain rows, not ORM objects: memory flat for a year of a project). Every voucher
    needs its accounts mapped: the first one missing raises MissingAccount, naming it."""
    select_ = _range_query(query).with_only_columns(*EXPORTED)
    result = uow.session.execute(select_.execution_options(yield_per=size))
    keys = tuple(result.keys())
    for rows in result.partitions():
        page = [dict(zip(keys, row)) for row in rows]
        for voucher in page:
            voucher["lines"] = [_load_line(line) for line in voucher["lines"]]
            domain.check_accounts(voucher)
        yield page


def export_vouchers(uow, query, store, run=domain.run_here) -> dict:
    """The vendors' import file of the range, written to a local temporary file (streamed:
    memory flat; each page written by `run`, see domain.write_xlsx) and then kept in `store`
    (a FileStore) for the gateway to stream; the answer names it. A refused export stores
    nothing. Exports older than FINANCE_EXPORT_KEEP_SECONDS are removed."""
    file_name = (f"vouchers-{query['layout']}-{query['project_id']}-{query['from']}-"
                 f"{query['to']}.{query['format']}")
    pages = exported_pages(uow, query)
    with tempfile.TemporaryDirectory(prefix="vouchers-") as work:
        path = os.path.join(work, file_name)
        if query["format"] == "csv":
            with open(path, "wb") as out:
                domain.write_csv(query["layout"], pages, out, run)
        else:
            domain.write_xlsx(query["layout"], pages, path, work, run)
        store.prune_exports(utcnow() - timedelta(seconds=config.finance_export_keep_seconds()))
        name, size, sha256 = store.put_export(path, file_name.rsplit(".", 1)[0],
                                              f".{query['format']}")
    return {"file_name": file_name, "name": name, "size": size, "sha256": sha256}


def set_voucher_status(uow, cmd) -> dict:
    row = _voucher(uow.session, cmd["voucher_id"], cmd.get("project_ids"))
    if row.status != "recorded" and row.status != cmd["status"]:
        raise Conflict(f"voucher {row.id} is {row.status} already",
                       {"status": [f"the voucher is {row.status}"]})
    row.status, row.status_note = cmd["status"], cmd.get("note")
    uow.commit()
    return voucher_view(row)


def reverse_voucher(uow, cmd) -> dict:
    """红字冲销: a new voucher with the same lines negated; the original is never changed
    beyond pointing at its reversal."""
    session = uow.session
    row = _voucher(session, cmd["voucher_id"], cmd.get("project_ids"))
    if row.reverses is not None:
        raise Conflict("a reversing voucher is not reversed", {"voucher_id": ["a reversal"]})
    if row.reversed_by is not None:
        raise Conflict(f"voucher {row.id} is reversed already",
                       {"voucher_id": [f"reversed by voucher {row.reversed_by}"]})
    red = domain.reversal(voucher_view(row), cmd["reason"], domain.office_date(utcnow()))
    red["payment_id"] = row.payment_id
    now = utcnow()
    voucher_id = _save_voucher(session, red, now)
    if voucher_id is None:  # another reversal of it was committed meanwhile
        raise Conflict(f"voucher {row.id} is reversed already",
                       {"voucher_id": ["reversed already"]})
    _insert_deliveries(session, _voucher_deliveries(_filing(session), red, voucher_id, now))
    saved = session.get(Voucher, voucher_id)
    row.reversed_by = voucher_id
    deal = session.get(Deal, row.deposit_id) if row.deposit_id else None
    if deal is not None:
        deal.balances = _dump_balances(domain.balances_after(_load_balances(deal.balances), red))
    uow.commit()
    return voucher_view(saved)


def _voucher(session, voucher_id, project_ids) -> Voucher:
    row = session.get(Voucher, voucher_id)
    if row is None or (project_ids is not None and row.project_id not in project_ids):
        raise NotFound(f"no voucher {voucher_id}", {"voucher_id": ["unknown voucher"]})
    return row


# --- the pull feed ------------------------------------------------------------------------

def read_feed(uow, query) -> dict:
    select_ = select(FeedEvent).where(FeedEvent.id > query["after"]).order_by(FeedEvent.id)
    if query.get("project_ids") is not None:
        select_ = select_.where(FeedEvent.project_id.in_(query["project_ids"]))
    if query.get("project_id") is not None:
        select_ = select_.where(FeedEvent.project_id == query["project_id"])
    rows = uow.session.scalars(select_.limit(query["limit"])).all()
    return {"events": [{"cursor": row.id, "event": row.payload} for row in rows],
            "next_cursor": rows[-1].id if rows else query["after"]}


# --- webhook subscriptions ----------------------------------------------------------------

def subscription_view(row: WebhookSubscription, with_secret=False) -> dict:
    view = {"id": row.id, "url": row.url, "event_types": row.event_types,
            "project_ids": row.project_ids, "max_in_flight": row.max_in_flight,
            "active": bool(row.active), "previous_secret_until": row.previous_secret_until,
            "created_at": row.created_at}
    if with_secret:
        view["secret"] = row.secret
    return view


def create_subscription(uow, cmd) -> dict:
    row = WebhookSubscription(
        url=cmd["url"], event_types=sorted(cmd["event_types"]),
        project_ids=cmd.get("project_ids"), secret=cmd.get("secret") or _new_secret(),
        max_in_flight=cmd["max_in_flight"], active=1, created_at=utcnow())
    uow.session.add(row)
    uow.commit()
    return subscription_view(row, with_secret=True)


def _new_secret() -> str:
    return domain.new_secret(random.token_bytes(24))


def list_subscriptions(uow) -> dict:
    rows = uow.session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id))
    return {"subscriptions": [subscription_view(row) for row in rows]}


def rotate_secret(uow, cmd) -> dict:
    """A new secret; the old one keeps signing too until `overlap_hours` have passed."""
    row = _subscription(uow.session, cmd["subscription_id"])
    row.previous_secret = row.secret
    row.previous_secret_until = utcnow() + timedelta(hours=cmd["overlap_hours"])
    row.secret = cmd.get("secret") or _new_secret()
    uow.commit()
    return subscription_view(row, with_secret=True)


def _subscription(session, subscription_id) -> WebhookSubscription:
    row = session.get(WebhookSubscription, subscription_id)
    if row is None:
        raise NotFound(f"no subscription {subscription_id}",
                       {"subscription_id": ["unknown subscription"]})
    return row


def signing_secrets(row, now) -> list[str]:
    if row.previous_secret and row.previous_secret_until and row.previous_secret_until > now:
        return [row.secret, row.previous_secret]
    return [row.secret]


# --- deliveries ---------------------------------------------------------------------------

LEASE = timedelta(seconds=60)
# what a round needs of the active subscriptions (plain rows: a round runs every poll)
SENDING_SUBSCRIPTIONS = (select(_SUBSCRIPTIONS.id, _SUBSCRIPTIONS.url,
                                _SUBSCRIPTIONS.max_in_flight, _SUBSCRIPTIONS.secret,
                                _SUBSCRIPTIONS.previous_secret,
                                _SUBSCRIPTIONS.previous_secret_until)
                         .where(_SUBSCRIPTIONS.active == 1).order_by(_SUBSCRIPTIONS.id))


def claim_due(uow, now, busy: dict, limit: int = 200, depth: int = 1) -> list[dict]:
    """Due deliveries, at most each subscription's free places (`depth` × `max_in_flight`
    minus `busy`, what the caller holds of it already);
    claimed by pushing their next attempt past a lease, so no other worker takes them, and
    answered ready to send (URL, Standard Webhooks headers signed now, body): the senders
    touch no database."""
    session = uow.session
    claimed = []
    for subscription in session.execute(SENDING_SUBSCRIPTIONS).all():
        free = min(subscription.max_in_flight * depth - busy.get(subscription.id, 0),
                   limit - len(claimed))
        if free <= 0:
            continue
        rows = session.execute(
            select(WebhookDelivery.id, WebhookDelivery.message_id, WebhookDelivery.attempts,
                   WebhookDelivery.feed_id, WebhookDelivery.voucher_id).where(
                WebhookDelivery.subscription_id == subscription.id,
                WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.id).limit(free).with_for_update(skip_locked=True)).all()
        if not rows:
            continue
        session.execute(update(WebhookDelivery).where(
            WebhookDelivery.id.in_([row.id for row in rows]))
            .values(next_attempt_at=now + LEASE), execution_options={"synchronize_session": False})
        bodies = _bodies(session, rows)
        secrets = signing_secrets(subscription, now)
        timestamp = int(now.timestamp())
        for row in rows:
            body = bodies[row.id]
            claimed.append({
                "id": row.id, "subscription_id": subscription.id, "attempts": row.attempts,
                "max_in_flight": subscription.max_in_flight,
                "url": subscription.url, "body": body, "headers": {
                    "content-type": "application/json", "webhook-id": row.message_id,
                    "webhook-timestamp": str(timestamp),
                    "webhook-signature": domain.signature_header(secrets, row.message_id,
                                                                 timestamp, body)}})
    uow.commit()
    return claimed


def _bodies(session, rows) -> dict:
    """delivery id → the payload bytes: a feed event's envelope, or a voucher."""
    feeds = {row.feed_id for row in rows if row.feed_id is not None}
    vouchers = {row.voucher_id for row in rows if row.voucher_id is not None}
    by_feed = {feed.id: domain.webhook_body(feed.routing_key, feed.payload) for feed in
               session.execute(select(FeedEvent.id, FeedEvent.routing_key, FeedEvent.payload)
                               .where(FeedEvent.id.in_(feeds)))} if feeds else {}
    by_voucher = {voucher.id: domain.voucher_body(voucher_view(voucher),
                                                  voucher.created_at.isoformat())
                  for voucher in session.scalars(select(Voucher).where(
                      Voucher.id.in_(vouchers)))} if vouchers else {}
    return {row.id: by_feed[row.feed_id] if row.feed_id is not None
            else by_voucher[row.voucher_id] for row in rows}


def record_attempts(uow, results, commit=True) -> list[dict]:
    """Log a batch of attempts in one transaction. Each result: `id`, `attempts` (as claimed),
    `at`, `status_code` (None: no answer), `error`, `latency_ms`. A 2xx delivers; anything
    else waits its backoff or, past the schedule, is dead."""
    if not results:
        return []
    session = uow.session
    session.execute(insert(DeliveryAttempt), [
        {"delivery_id": r["id"], "attempted_at": r["at"], "status_code": r["status_code"],
         "error": (r["error"] or None) and r["error"][:300], "latency_ms": r["latency_ms"]}
        for r in results])
    delivered, failed = [], []
    for r in results:
        attempts = r["attempts"] + 1
        if r["status_code"] is not None and 200 <= r["status_code"] < 300:
            delivered.append({"id": r["id"], "status": "delivered", "attempts": attempts,
                              "delivered_at": r["at"]})
        else:
            delay = domain.next_delay(attempts, backoff_scale())
            failed.append({"id": r["id"], "status": "dead" if delay is None else "pending",
                           "attempts": attempts,
                           "next_attempt_at": None if delay is None else r["at"] + delay})
    if delivered:  # the common case: one statement for the batch
        session.execute(
            update(WebhookDelivery).where(WebhookDelivery.id.in_([d["id"] for d in delivered]))
            .values(status="delivered", attempts=WebhookDelivery.attempts + 1,
                    next_attempt_at=None, delivered_at=case(
                        {d["id"]: d["delivered_at"] for d in delivered},
                        value=WebhookDelivery.id)),
            execution_options={"synchronize_session": False})
    if failed:
        session.execute(update(WebhookDelivery), failed)
    outcomes = delivered + failed
    if commit:
        uow.commit()
    return [{key: o[key] for key in ("id", "status", "attempts")} for o in outcomes]


def list_deliveries(uow, query) -> dict:
    session = uow.session
    _subscription(session, query["subscription_id"])
    select_ = (select(WebhookDelivery).where(
        WebhookDelivery.subscription_id == query["subscription_id"])
        .order_by(WebhookDelivery.id.desc()).limit(query["limit"]))
    if query.get("status"):
        select_ = select_.where(WebhookDelivery.status == query["status"])
    deliveries = session.scalars(select_).all()
    attempts = {}
    if deliveries:
        for attempt in session.scalars(select(DeliveryAttempt).where(
                DeliveryAttempt.delivery_id.in_([d.id for d in deliveries]))
                .order_by(DeliveryAttempt.id)):
            attempts.setdefault(attempt.delivery_id, []).append(
                {"attempted_at": attempt.attempted_at, "status_code": attempt.status_code,
                 "error": attempt.error, "latency_ms": attempt.latency_ms})
    return {"deliveries": [
        {"id": d.id, "event_id": d.event_id, "message_id": d.message_id, "status": d.status,
         "attempts": d.attempts, "next_attempt_at": d.next_attempt_at,
         "delivered_at": d.delivered_at, "log": attempts.get(d.id, [])} for d in deliveries]}


def replay_deliveries(uow, cmd) -> dict:
    """Send again (same `webhook-id`): one delivery, or every one of the subscription whose
    event was filed in a time range; the receiver dedupes by the id."""
    session = uow.session
    _subscription(session, cmd["subscription_id"])
    select_ = select(WebhookDelivery.id).where(
        WebhookDelivery.subscription_id == cmd["subscription_id"])
    if cmd.get("delivery_id") is not None:
        select_ = select_.where(WebhookDelivery.id == cmd["delivery_id"])
    else:  # a delivery is created when its event (or voucher) is filed
        select_ = select_.where(WebhookDelivery.created_at >= cmd["from"],
                                WebhookDelivery.created_at < cmd["to"])
    ids = session.scalars(select_).all()
    if cmd.get("delivery_id") is not None and not ids:
        raise NotFound(f"no delivery {cmd['delivery_id']}", {"delivery_id": ["unknown"]})
    if ids:
        session.execute(update(WebhookDelivery).where(WebhookDelivery.id.in_(ids)).values(
            status="pending", attempts=0, next_attempt_at=utcnow()))
    uow.commit()
    return {"replayed": len(ids)}


# --- the weekly three-way reconciliation --------------------------------------------------

def reconciliation(uow, project_id, week_of: date) -> dict:
    """Receipts (payments and their receipts) ↔ vouchers ↔ bank confirmations for one office
    week (Monday to Sunday, Asia/Shanghai)."""
    session = uow.session
    monday = domain.week_start(week_of)
    start = datetime.combine(monday, time(), SHANGHAI).astimezone(timezone.utc)
    end = start + timedelta(days=7)
    payments = session.scalars(select(PaymentSeen).where(
        PaymentSeen.project_id == project_id, PaymentSeen.paid_at >= start,
        PaymentSeen.paid_at < end).order_by(PaymentSeen.receipt_number)).all()
    ids = [p.payment_id for p in payments]
    vouchers, confirmations = {}, {}
    if ids:
        for row in session.scalars(select(Voucher).where(
                Voucher.payment_id.in_(ids), Voucher.event_type == "payment_received",
                Voucher.reversed_by.is_(None))):
            vouchers.setdefault(row.payment_id, []).append(row)
        for row in session.scalars(select(BankConfirmationSeen).where(
                BankConfirmationSeen.payment_id.in_(ids))):
            confirmations.setdefault(row.payment_id, []).append(row)
    report = {"missing_voucher": [], "missing_bank_confirmation": [], "duplicated": [],
              "mismatched": []}
    rows = []
    for payment in payments:
        own_vouchers = vouchers.get(payment.payment_id, [])
        own_confirmations = confirmations.get(payment.payment_id, [])
        item = {"payment_id": payment.payment_id, "receipt_number": payment.receipt_number,
                "purpose": payment.purpose, "amount": payment.amount,
                "vouchers": [f"{v.word}-{v.number}" for v in own_vouchers],
                "bank_references": [c.bank_reference for c in own_confirmations]}
        rows.append(item)
        if not own_vouchers:
            report["missing_voucher"].append(item)
        if not own_confirmations:
            report["missing_bank_confirmation"].append(item)
        if len(own_vouchers) > 1 or len(own_confirmations) > 1:
            report["duplicated"].append(item)
        amounts = {v.debit_total for v in own_vouchers} | {c.amount for c in own_confirmations}
        if any(amount != payment.amount for amount in amounts):
            report["mismatched"].append({**item, "voucher_amounts": [v.debit_total for v in own_vouchers],
                                         "bank_amounts": [c.amount for c in own_confirmations]})
    # a deal paying its price while its deposit receipt is still not exchanged
    open_exchanges = []
    for deal in session.scalars(select(Deal).where(Deal.project_id == project_id)):
        balances = _load_balances(deal.balances)
        if balances.get("advance_deposit", ZERO) > ZERO and balances.get("advance_price", ZERO) > ZERO:
            open_exchanges.append({"deposit_id": deal.deposit_id, "unit_id": deal.unit_id,
                                   "deposit_held": balances["advance_deposit"]})
    unpaid = session.scalars(select(RefundSeen).where(
        RefundSeen.project_id == project_id, RefundSeen.paid_at.is_(None),
        RefundSeen.approved_at < end).order_by(RefundSeen.application_id)).all()
    report.update({
        "project_id": project_id, "week_start": monday, "week_end": monday + timedelta(days=6),
        "payments": rows, "exchanges_not_closed": sorted(open_exchanges,
                                                         key=lambda d: d["deposit_id"]),
        "refunds_not_paid": [{"application_id": r.application_id, "deposit_id": r.deposit_id,
                              "refund_amount": r.refund_amount, "approved_at": r.approved_at}
                             for r in unpaid],
        "totals": {"receipts": sum((p.amount for p in payments), ZERO),
                   "vouchers": sum((v.debit_total for vs in vouchers.values() for v in vs), ZERO),
                   "bank": sum((c.amount for cs in confirmations.values() for c in cs), ZERO)}})
    return report


def reconciliation_file(uow, project_id, week_of: date) -> dict:
    report = reconciliation(uow, project_id, week_of)
    return {"file_name": f"reconciliation-{project_id}-{report['week_start']}.xlsx",
            "content_base64": base64.b64encode(domain.reconciliation_workbook(report)).decode()}
