"""Finance's nameko entrypoints: parse, check who acts, call one handler, serialize; the
webhook dispatcher runs beside them."""
from datetime import date, datetime
from decimal import Decimal

from nameko.extensions import DependencyProvider

from contracts import finance as schemas
from contracts.base import load
from contracts.errors import Forbidden
from contracts.scope import check_project, split_actor
from infra import config, operations
from infra.consumer import event_handler
from infra.dependencies import Database
from infra.filestore import FileStore
from infra.imports import off_hub
from infra.rpc import rpc
from services.finance import handlers
from services.finance.dispatcher import WebhookDispatcher
from services.finance.models import metadata

FINANCE_ROLES = ("finance", "admin")
EVENT_BATCH = 50  # money events filed in one transaction at most


def jsonable(value):
    """Money as a string to the fen, times and dates in ISO 8601."""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    return value


def _acting(payload, roles=FINANCE_ROLES):
    actor, rest = split_actor(payload)
    if actor["role"] not in roles:
        raise Forbidden(f"role {actor['role']} may not do this",
                        {"role": [f"one of {', '.join(roles)} is required"]})
    return actor, rest


def _ranged(query) -> dict:
    query["from"] = query.pop("from_")
    return query


class ExportFiles(DependencyProvider):
    """Where voucher exports are left for the gateway to stream (FINANCE_FILES_URL)."""

    def setup(self):
        self.store = FileStore(config.finance_files_url())

    def get_dependency(self, worker_ctx):
        return self.store


class FinanceService(operations.OperationsRpc):
    name = "finance"
    uow = Database(metadata, publishes_events=False)
    files = ExportFiles()
    dispatcher = WebhookDispatcher()

    @event_handler("*", batch_size=EVENT_BATCH)
    def on_money_events(self, events):
        self.uow.handle_batch(events, handlers.file_event, order=handlers.filing_order)

    # account mappings
    @rpc(idempotent=True)
    def get_accounts(self, payload):
        actor, payload = _acting(payload)
        query = load(schemas.ProjectQuery.shared(), payload)
        check_project(actor, query["project_id"])
        with self.uow() as uow:
            return handlers.get_accounts(uow, query["project_id"])

    @rpc(idempotent=True)
    def set_accounts(self, payload):
        actor, payload = _acting(payload, ("admin",))
        cmd = load(schemas.SetAccountsSchema.shared(), payload)
        check_project(actor, cmd["project_id"])
        with self.uow() as uow:
            return handlers.set_accounts(uow, cmd)

    # vouchers
    @rpc(idempotent=True)
    def list_vouchers(self, payload):
        actor, payload = _acting(payload)
        query = _ranged(load(schemas.RangeQuery.shared(), payload))
        check_project(actor, query["project_id"])
        with self.uow() as uow:
            return jsonable(handlers.list_vouchers(uow, query))

    @rpc(idempotent=True)
    def export_vouchers(self, payload):
        actor, payload = _acting(payload)
        query = _ranged(load(schemas.ExportQuery.shared(), payload))
        check_project(actor, query["project_id"])
        with self.uow() as uow:
            return handlers.export_vouchers(uow, query, self.files, off_hub)

    @rpc(idempotent=True)
    def set_voucher_status(self, payload):
        actor, payload = _acting(payload)
        cmd = load(schemas.VoucherStatusSchema.shared(), payload)
        cmd["project_ids"] = actor["project_ids"]
        with self.uow() as uow:
            return jsonable(handlers.set_voucher_status(uow, cmd))

    @rpc
    def reverse_voucher(self, payload):
        actor, payload = _acting(payload)
        cmd = load(schemas.ReverseVoucherSchema.shared(), payload)
        cmd["project_ids"] = actor["project_ids"]
        with self.uow() as uow:
            return jsonable(handlers.reverse_voucher(uow, cmd))

    # the pull feed
    @rpc(idempotent=True)
    def read_feed(self, payload):
        actor, payload = _acting(payload)
        query = load(schemas.FeedQuery.shared(), payload)
        if query["project_id"] is not None:
            check_project(actor, query["project_id"])
        query["project_ids"] = actor["project_ids"]
        with self.uow() as uow:
            return handlers.read_feed(uow, query)

    # webhooks (every project's events: admin only)
    @rpc
    def create_subscription(self, payload):
        _acting(payload, ("admin",))
        cmd = load(schemas.WebhookSubscriptionSchema.shared(), split_actor(payload)[1])
        with self.uow() as uow:
            return jsonable(handlers.create_subscription(uow, cmd))

    @rpc(idempotent=True)
    def list_subscriptions(self, payload):
        _acting(payload, ("admin",))
        with self.uow() as uow:
            return jsonable(handlers.list_subscriptions(uow))

    @rpc
    def rotate_secret(self, payload):
        _, payload = _acting(payload, ("admin",))
        cmd = load(schemas.RotateSecretSchema.shared(), payload)
        with self.uow() as uow:
            return jsonable(handlers.rotate_secret(uow, cmd))

    @rpc(idempotent=True)
    def list_deliveries(self, payload):
        _, payload = _acting(payload, ("admin",))
        query = load(schemas.DeliveriesQuery.shared(), payload)
        with self.uow() as uow:
            return jsonable(handlers.list_deliveries(uow, query))

    @rpc(idempotent=True)
    def replay_deliveries(self, payload):
        _, payload = _acting(payload, ("admin",))
        cmd = _ranged(load(schemas.ReplaySchema.shared(), payload))
        with self.uow() as uow:
            return handlers.replay_deliveries(uow, cmd)

    # reconciliation
    @rpc(idempotent=True)
    def get_reconciliation(self, payload):
        actor, payload = _acting(payload)
        query = load(schemas.ReconciliationQuery.shared(), payload)
        check_project(actor, query["project_id"])
        with self.uow() as uow:
            return jsonable(handlers.reconciliation(uow, query["project_id"], query["week"]))

    @rpc(idempotent=True)
    def get_reconciliation_xlsx(self, payload):
        actor, payload = _acting(payload)
        query = load(schemas.ReconciliationQuery.shared(), payload)
        check_project(actor, query["project_id"])
        with self.uow() as uow:
            return handlers.reconciliation_file(uow, query["project_id"], query["week"])
