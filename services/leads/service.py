"""Leads' nameko entrypoints: parse, call one handler, serialize."""

from contracts import leads as schemas
from contracts.base import load
from infra.dependencies import Database
from infra.rpc import rpc
from infra import operations
from services.leads import handlers
from services.leads.models import metadata


class LeadsService(operations.OperationsRpc):
    name = "leads"
    uow = Database(metadata)

    @rpc
    def create_office(self, payload):
        cmd = load(schemas.CreateOfficeSchema(), payload)
        with self.uow() as uow:
            return schemas.OfficeSchema().dump(handlers.create_office(uow, cmd))

    @rpc
    def add_consultant(self, payload):
        cmd = load(schemas.AddConsultantSchema(), payload)
        with self.uow() as uow:
            return schemas.ConsultantSchema().dump(handlers.add_consultant(uow, cmd))

    @rpc
    def set_consultant_status(self, payload):
        cmd = load(schemas.SetConsultantStatusSchema(), payload)
        with self.uow() as uow:
            return schemas.ConsultantSchema().dump(handlers.set_consultant_status(uow, cmd))

    @rpc
    def register_visit(self, payload):
        cmd = load(schemas.RegisterVisitSchema(), payload)
        with self.uow() as uow:
            return schemas.VisitResultSchema().dump(handlers.register_visit(uow, cmd))

    @rpc
    def import_call_list(self, payload):
        cmd = load(schemas.ImportCallListSchema(), payload)
        with self.uow() as uow:
            return schemas.CallListImportSchema().dump(handlers.import_call_list(uow, cmd))

    @rpc(idempotent=True)
    def get_customer(self, payload):
        query = load(schemas.GetCustomerSchema(), payload)
        with self.uow() as uow:
            return schemas.CustomerSchema().dump(handlers.get_customer(uow.session,
                                                                       query["customer_id"]))

    @rpc
    def register_call(self, payload):
        cmd = load(schemas.RegisterCallSchema(), payload)
        with self.uow() as uow:
            return schemas.VisitResultSchema().dump(handlers.register_call(uow, cmd))

    @rpc
    def set_office_roster(self, payload):
        cmd = load(schemas.SetOfficeRosterSchema(), payload)
        with self.uow() as uow:
            return schemas.OfficeRosterSchema().dump(handlers.set_office_roster(uow, cmd))

    @rpc
    def reassign_customer(self, payload):
        cmd = load(schemas.ReassignCustomerSchema(), payload)
        with self.uow() as uow:
            return schemas.VisitResultSchema().dump(handlers.reassign_customer(uow, cmd))
