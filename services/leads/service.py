"""Leads' nameko entrypoints: parse, call one handler, serialize."""

from contracts import leads as schemas
from infra.consumer import event_handler
from contracts.base import load
from infra.dependencies import Database
from infra.rpc import rpc
from infra import operations
from services.leads import call_center, exports, follow_up, handlers, scope
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
            scope.office(uow.session, cmd["manager_id"], cmd["office_id"])
            return schemas.ConsultantSchema().dump(handlers.add_consultant(uow, cmd))

    @rpc
    def set_consultant_status(self, payload):
        cmd = load(schemas.SetConsultantStatusSchema(), payload)
        with self.uow() as uow:
            scope.consultant(uow.session, cmd["manager_id"], cmd["consultant_id"])
            return schemas.ConsultantSchema().dump(handlers.set_consultant_status(uow, cmd))

    @rpc
    def register_visit(self, payload):
        cmd = load(schemas.RegisterVisitSchema(), payload)
        with self.uow() as uow:
            scope.registration(uow.session, cmd["office_id"], cmd["manager_id"],
                               cmd["registrar_consultant_id"])
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
            scope.customer(uow.session, query["manager_id"], query["customer_id"])
            return schemas.CustomerSchema().dump(follow_up.get_customer(uow.session,
                                                                        query["customer_id"]))

    @rpc
    def register_call(self, payload):
        cmd = load(schemas.RegisterCallSchema(), payload)
        with self.uow() as uow:
            scope.registration(uow.session, cmd["office_id"], cmd["manager_id"],
                               cmd["registrar_consultant_id"])
            return schemas.VisitResultSchema().dump(handlers.register_call(uow, cmd))

    @rpc
    def set_office_roster(self, payload):
        cmd = load(schemas.SetOfficeRosterSchema(), payload)
        with self.uow() as uow:
            scope.office(uow.session, cmd["manager_id"], cmd["office_id"])
            return schemas.OfficeRosterSchema().dump(handlers.set_office_roster(uow, cmd))

    @rpc
    def reassign_customer(self, payload):
        cmd = load(schemas.ReassignCustomerSchema(), payload)
        with self.uow() as uow:
            scope.customer(uow.session, cmd["manager_id"], cmd["customer_id"])
            return schemas.VisitResultSchema().dump(handlers.reassign_customer(uow, cmd))

    @rpc
    def grade_customer(self, payload):
        cmd = load(schemas.GradeCustomerSchema(), payload)
        with self.uow() as uow:
            scope.customer(uow.session, cmd["manager_id"], cmd["customer_id"])
            return schemas.CustomerFileSchema().dump(follow_up.grade_customer(uow, cmd))

    @rpc
    def record_follow_up(self, payload):
        cmd = load(schemas.FollowUpSchema(), payload)
        with self.uow() as uow:
            return schemas.FollowUpRecordSchema().dump(follow_up.record_follow_up(uow, cmd))

    @rpc
    def mark_hopeless(self, payload):
        cmd = load(schemas.MarkHopelessSchema(), payload)
        with self.uow() as uow:
            scope.customer(uow.session, cmd["manager_id"], cmd["customer_id"])
            return schemas.CustomerFileSchema().dump(follow_up.mark_hopeless(uow, cmd))

    @rpc(idempotent=True)
    def hopeless_customers(self, payload):
        query = load(schemas.HopelessQuery(), payload)
        with self.uow() as uow:
            scope.office(uow.session, query["manager_id"], query["office_id"])
            return schemas.HopelessListSchema().dump(
                follow_up.hopeless_customers(uow.session, query["office_id"]))

    @rpc
    def reassign_hopeless(self, payload):
        cmd = load(schemas.ReassignCustomerSchema(), payload)
        with self.uow() as uow:
            scope.customer(uow.session, cmd["manager_id"], cmd["customer_id"])
            return schemas.VisitResultSchema().dump(follow_up.reassign_hopeless(uow, cmd))

    @rpc
    def update_profile(self, payload):
        cmd = load(schemas.UpdateProfileSchema(), payload)
        with self.uow() as uow:
            scope.customer(uow.session, cmd["manager_id"], cmd["customer_id"])
            return schemas.CustomerFileSchema().dump(follow_up.update_profile(uow, cmd))

    @rpc(idempotent=True)
    def customer_file(self, payload):
        query = load(schemas.CustomerFileQuery(), payload)
        with self.uow() as uow:
            scope.customer(uow.session, query["manager_id"], query["customer_id"])
            return schemas.CustomerFileSchema().dump(follow_up.customer_file(
                uow.session, query["customer_id"], query["consultant_id"]))

    @rpc(idempotent=True)
    def care_reminders(self, payload):
        query = load(schemas.CareRemindersQuery(), payload)
        with self.uow() as uow:
            scope.consultant(uow.session, query["manager_id"], query["consultant_id"])
            return schemas.CareRemindersSchema().dump(
                follow_up.care_reminders(uow.session, query["consultant_id"], query["day"]))

    @event_handler("transactions.deposit_confirmed")
    def on_deposit_confirmed(self, event):
        self.uow.handle_once(event, follow_up.on_deposit_confirmed)

    @rpc
    def distribute_call_pool(self, payload):
        cmd = load(schemas.DistributeCallPoolSchema(), payload)
        with self.uow() as uow:
            for i, agent_id in enumerate(cmd["agent_ids"]):
                scope.consultant(uow.session, cmd["manager_id"], agent_id, f"agent_ids.{i}")
            return schemas.DistributionSchema().dump(call_center.distribute_call_pool(uow, cmd))

    @rpc(idempotent=True)
    def agent_leads(self, payload):
        query = load(schemas.AgentLeadsQuery(), payload)
        with self.uow() as uow:
            scope.consultant(uow.session, query["manager_id"], query["agent_id"], "agent_id")
            return schemas.CallLeadListSchema().dump(
                call_center.agent_leads(uow.session, query["agent_id"]))

    @rpc
    def record_call(self, payload):
        cmd = load(schemas.RecordCallSchema(), payload)
        with self.uow() as uow:
            return schemas.CallRecordedSchema().dump(call_center.record_call(uow, cmd))

    @rpc
    def confirm_invitation(self, payload):
        cmd = load(schemas.ConfirmInvitationSchema(), payload)
        with self.uow() as uow:
            return schemas.InvitationSchema().dump(call_center.confirm_invitation(uow, cmd))

    @rpc(idempotent=True)
    def call_center_day(self, payload):
        query = load(schemas.CallCenterDayQuery(), payload)
        with self.uow() as uow:
            scope.office(uow.session, query["manager_id"], query["office_id"])
            return schemas.CallCenterDaySchema().dump(
                call_center.agents_day(uow.session, query["office_id"], query["day"]))

    @rpc(idempotent=True)
    def call_source_conversion(self, payload):
        query = load(schemas.SourceConversionQuery(), payload)
        with self.uow() as uow:
            office_id = scope.office(uow.session, query["manager_id"], query["office_id"])
            return schemas.SourceConversionListSchema().dump(
                call_center.source_conversion(uow.session, office_id))

    @rpc(idempotent=True)
    def call_center_ranking(self, payload):
        query = load(schemas.CallCenterMonthQuery(), payload)
        with self.uow() as uow:
            scope.office(uow.session, query["manager_id"], query["office_id"])
            return schemas.MonthlyRankingSchema().dump(
                call_center.monthly_ranking(uow.session, query["office_id"], query["month"]))

    @rpc
    def export(self, payload):
        cmd = load(schemas.ExportSchema(), payload)
        with self.uow() as uow:
            scope.office(uow.session, cmd["manager_id"], cmd["office_id"])
            return schemas.ExportFileSchema().dump(exports.export(uow, cmd))

    @rpc(idempotent=True)
    def export_log(self, payload):
        query = load(schemas.ExportLogQuery(), payload)
        with self.uow() as uow:
            scope.office(uow.session, query["manager_id"], query["office_id"])
            return schemas.ExportLogSchema().dump(exports.export_log(uow.session,
                                                                     query["office_id"]))
