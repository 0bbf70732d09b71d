"""Transactions' nameko entrypoints: parse, call one handler, serialize."""

from contracts import transactions as schemas
from contracts.base import load
from infra.consumer import event_handler
from infra.dependencies import Database
from infra.rpc import rpc
from infra import operations
from services.transactions import handlers
from services.transactions.models import metadata


class TransactionsService(operations.OperationsRpc):
    name = "transactions"
    uow = Database(metadata)

    @rpc
    def take_deposit(self, payload):
        cmd = load(schemas.TakeDepositSchema(), payload)
        with self.uow() as uow:
            return schemas.DepositSchema().dump(handlers.take_deposit(uow, cmd))

    @rpc(idempotent=True)
    def get_deposit(self, payload):
        query = load(schemas.GetDepositSchema(), payload)
        with self.uow() as uow:
            return schemas.DepositSchema().dump(handlers.get_deposit(uow.session,
                                                                     query["deposit_id"]))

    @event_handler("inventory.unit_reserved")
    def on_unit_reserved(self, event):
        self.uow.handle_once(event, handlers.on_unit_reserved)

    @event_handler("inventory.unit_reservation_rejected")
    def on_unit_reservation_rejected(self, event):
        self.uow.handle_once(event, handlers.on_unit_reservation_rejected)
