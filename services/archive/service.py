"""Archive's nameko entrypoints: parse, call one handler, serialize."""

from contracts import archive as schemas
from contracts.base import load
from infra.consumer import event_handler
from infra.dependencies import Database
from infra.rpc import rpc
from infra import operations
from services.archive import handlers
from services.archive.models import metadata


class ArchiveService(operations.OperationsRpc):
    name = "archive"
    uow = Database(metadata)

    @rpc
    def read_dossier(self, payload):
        query = load(schemas.ReadDossierSchema.shared(), payload)
        with self.uow() as uow:
            return schemas.DossierSchema.shared().dump(handlers.read_dossier(uow, query))

    @event_handler("*")
    def on_event(self, event):
        self.uow.handle_once(event, handlers.file_event)
