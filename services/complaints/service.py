"""Complaints' nameko entrypoints: parse, call one handler, serialize."""

from contracts import complaints as schemas
from contracts.base import load
from infra.dependencies import Database
from infra.rpc import rpc
from infra import operations
from services.complaints import handlers
from services.complaints.models import metadata


class ComplaintsService(operations.OperationsRpc):
    name = "complaints"
    uow = Database(metadata)

    @rpc
    def file_complaint(self, payload):
        cmd = load(schemas.FileComplaintSchema.shared(), payload)
        with self.uow() as uow:
            return schemas.ComplaintSchema.shared().dump(handlers.file_complaint(uow, cmd))

    @rpc(idempotent=True)
    def get_complaint(self, payload):
        query = load(schemas.GetComplaintSchema.shared(), payload)
        with self.uow() as uow:
            return schemas.ComplaintSchema.shared().dump(handlers.get_complaint(uow.session,
                                                                         query["complaint_id"]))
