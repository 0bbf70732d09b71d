"""Leads' nameko entrypoints: parse, call one handler, serialize."""

from nameko.timer import timer

from contracts import leads as schemas
from contracts.imports import GetImportJobSchema, ImportJobSchema
from infra.consumer import event_handler
from contracts.base import load
from contracts.scope import split_actor
from infra.dependencies import Database
from infra.rpc import rpc
from infra import config, imports, operations, read_log
from services.leads import call_center, exports, follow_up, handlers, scope
from services.leads.models import metadata


class LeadsService(operations.OperationsRpc):
    name = "leads"
    uow = Database(metadata)

    @rpc
    def create_office(self, payload):
        cmd = load(schemas.CreateOfficeSchema.shared(), payload)
        with self.uow() as uow:
            return schemas.OfficeSchema.shared().dump(handlers.create_office(uow, cmd))

    @rpc
    def set_office_projects(self, payload):
        cmd = load(schemas.SetOfficeProjectsSchema.shared(), payload)
        with self.uow() as uow:
            return schemas.OfficeSchema.shared().dump(handlers.set_office_projects(uow, cmd))

    @rpc(idempotent=True)
    def actor_scope(self, payload):
        """The offices and projects of a user's consultant or manager record (the gateway
        resolves a sales manager's projects with it)."""
        query = load(schemas.ActorScopeQuery.shared(), payload)
        with self.uow() as uow:
            return schemas.ActorScopeSchema.shared().dump(
                handlers.actor_scope(uow.session, query["consultant_id"]))

    @rpc
    def add_consultant(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.AddConsultantSchema.shared(), payload)
        with self.uow() as uow:
            scope.office(uow.session, actor, cmd["office_id"])
            return schemas.ConsultantSchema.shared().dump(handlers.add_consultant(uow, cmd))

    @rpc
    def set_consultant_status(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.SetConsultantStatusSchema.shared(), payload)
        with self.uow() as uow:
            scope.consultant(uow.session, actor, cmd["consultant_id"])
            return schemas.ConsultantSchema.shared().dump(handlers.set_consultant_status(uow, cmd))

    @rpc
    def register_visit(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.RegisterVisitSchema.shared(), payload)
        with self.uow() as uow:
            office = scope.registration(uow.session, actor, cmd["office_id"])
            return schemas.VisitResultSchema.shared().dump(
                handlers.register_visit(uow, cmd, office))

    @rpc
    def upload_call_list(self, payload):
        """A chunk of a call list to import; the last one queues the import job."""
        actor, payload = split_actor(payload)
        cmd = load(schemas.CallListChunkSchema.shared(), payload)
        scope.manager(actor)
        with self.uow() as uow:
            job = imports.receive_chunk(uow, metadata.tables, "call_list", cmd,
                                        {"source": cmd["source"], "file_name": cmd["file_name"]},
                                        handlers.check_call_list_header)
        return ImportJobSchema.shared().dump(job)

    @rpc(idempotent=True)
    def get_call_list_import(self, payload):
        actor, payload = split_actor(payload)
        query = load(GetImportJobSchema.shared(), payload)
        scope.manager(actor)
        with self.uow() as uow:
            return ImportJobSchema.shared().dump(imports.get_job(
                uow.session, metadata.tables, "call_list", query["job_id"]))

    @timer(interval=config.import_poll_seconds())
    def run_imports(self):
        while imports.run_next(self.uow, metadata.tables, {
                "call_list": (schemas.MAX_IMPORT_ROWS, handlers.run_call_list_import)}):
            pass

    @rpc(idempotent=True)
    def get_customer(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.GetCustomerSchema.shared(), payload)
        with self.uow() as uow:
            scope.customer(uow.session, actor, query["customer_id"])
            customer = follow_up.get_customer(uow.session, query["customer_id"])
            read_log.record(uow, "customer", query["customer_id"], query)
            uow.commit()
            return schemas.CustomerSchema.shared().dump(customer)

    @rpc(idempotent=True)
    def known_customer(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.KnownCustomerQuery.shared(), payload)
        with self.uow() as uow:
            scope.registration(uow.session, actor, query["office_id"])
            found = handlers.known_customer(uow.session, query["office_id"], query["mobile"])
            if found is None:
                return {"known": False, "code": None, "consultant_id": None}
            read_log.record(uow, "customer", found.id, query)
            uow.commit()
            return schemas.KnownCustomerSchema.shared().dump(
                {"known": True, "code": found.code, "consultant_id": found.consultant_id})

    @rpc
    def register_call(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.RegisterCallSchema.shared(), payload)
        with self.uow() as uow:
            office = scope.registration(uow.session, actor, cmd["office_id"])
            return schemas.VisitResultSchema.shared().dump(
                handlers.register_call(uow, cmd, office))

    @rpc
    def set_office_roster(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.SetOfficeRosterSchema.shared(), payload)
        with self.uow() as uow:
            scope.office(uow.session, actor, cmd["office_id"])
            return schemas.OfficeRosterSchema.shared().dump(handlers.set_office_roster(uow, cmd))

    @rpc
    def reassign_customer(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.ReassignCustomerSchema.shared(), payload)
        with self.uow() as uow:
            scope.customer(uow.session, actor, cmd["customer_id"])
            return schemas.VisitResultSchema.shared().dump(handlers.reassign_customer(uow, cmd))

    @rpc
    def grade_customer(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.GradeCustomerSchema.shared(),
                   {**payload, "acting_consultant_id": scope.acting_consultant(actor)})
        with self.uow() as uow:
            scope.customer(uow.session, actor, cmd["customer_id"])
            return schemas.CustomerFileSchema.shared().dump(follow_up.grade_customer(uow, cmd))

    @rpc
    def record_follow_up(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.FollowUpSchema.shared(),
                   {**payload, "consultant_id": scope.own_record(actor)})
        with self.uow() as uow:
            scope.customer(uow.session, actor, cmd["customer_id"])
            return schemas.FollowUpRecordSchema.shared().dump(follow_up.record_follow_up(uow, cmd))

    @rpc
    def mark_hopeless(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.MarkHopelessSchema.shared(),
                   {**payload, "acting_consultant_id": scope.acting_consultant(actor)})
        with self.uow() as uow:
            scope.customer(uow.session, actor, cmd["customer_id"])
            return schemas.CustomerFileSchema.shared().dump(follow_up.mark_hopeless(uow, cmd))

    @rpc(idempotent=True)
    def hopeless_customers(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.HopelessQuery.shared(), payload)
        with self.uow() as uow:
            scope.office(uow.session, actor, query["office_id"])
            return schemas.HopelessListSchema.shared().dump(
                follow_up.hopeless_customers(uow.session, query["office_id"]))

    @rpc
    def reassign_hopeless(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.ReassignCustomerSchema.shared(), payload)
        with self.uow() as uow:
            scope.customer(uow.session, actor, cmd["customer_id"])
            return schemas.VisitResultSchema.shared().dump(follow_up.reassign_hopeless(uow, cmd))

    @rpc
    def update_profile(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.UpdateProfileSchema.shared(),
                   {**payload, "acting_consultant_id": scope.acting_consultant(actor)})
        with self.uow() as uow:
            scope.customer(uow.session, actor, cmd["customer_id"])
            return schemas.CustomerFileSchema.shared().dump(follow_up.update_profile(uow, cmd))

    @rpc(idempotent=True)
    def customer_file(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.CustomerFileQuery.shared(),
                   {**payload, "consultant_id": scope.acting_consultant(actor)})
        with self.uow() as uow:
            scope.customer(uow.session, actor, query["customer_id"])
            customer_file = follow_up.customer_file(uow.session, query["customer_id"],
                                                    query["consultant_id"])
            read_log.record(uow, "customer_file", query["customer_id"], query)
            uow.commit()
            return schemas.CustomerFileSchema.shared().dump(customer_file)

    @rpc(idempotent=True)
    def care_reminders(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.CareRemindersQuery.shared(), payload)
        with self.uow() as uow:
            scope.consultant(uow.session, actor, query["consultant_id"])
            return schemas.CareRemindersSchema.shared().dump(
                follow_up.care_reminders(uow.session, query["consultant_id"], query["day"]))

    @rpc(idempotent=True)
    def consultant_customers(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.ConsultantCustomersQuery.shared(), payload)
        with self.uow() as uow:
            scope.consultant(uow.session, actor, query["consultant_id"])
            return schemas.ConsultantCustomersSchema.shared().dump(
                follow_up.consultant_customers(uow.session, query["consultant_id"],
                                               query["day"]))

    @event_handler("transactions.deposit_confirmed", batch_size=50)
    def on_deposits_confirmed(self, events):
        self.uow.handle_batch(events, follow_up.on_deposit_confirmed,
                              order=lambda event: event["customer_id"] or 0)

    @rpc
    def distribute_call_pool(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.DistributeCallPoolSchema.shared(), payload)
        with self.uow() as uow:
            for i, agent_id in enumerate(cmd["agent_ids"]):
                scope.consultant(uow.session, actor, agent_id, f"agent_ids.{i}")
            return schemas.DistributionSchema.shared().dump(
                call_center.distribute_call_pool(uow, cmd))

    @rpc(idempotent=True)
    def agent_leads(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.AgentLeadsQuery.shared(), payload)
        with self.uow() as uow:
            scope.consultant(uow.session, actor, query["agent_id"], "agent_id")
            return schemas.CallLeadListSchema.shared().dump(
                call_center.agent_leads(uow.session, query["agent_id"]))

    @rpc
    def record_call(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.RecordCallSchema.shared(),
                   {**payload, "agent_id": scope.own_record(actor)})
        with self.uow() as uow:
            return schemas.CallRecordedSchema.shared().dump(call_center.record_call(uow, cmd))

    @rpc
    def confirm_invitation(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.ConfirmInvitationSchema.shared(),
                   {**payload, "consultant_id": scope.own_record(actor)})
        with self.uow() as uow:
            return schemas.InvitationSchema.shared().dump(call_center.confirm_invitation(uow, cmd))

    @rpc(idempotent=True)
    def call_center_day(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.CallCenterDayQuery.shared(), payload)
        with self.uow() as uow:
            scope.office(uow.session, actor, query["office_id"])
            return schemas.CallCenterDaySchema.shared().dump(
                call_center.agents_day(uow.session, query["office_id"], query["day"]))

    @rpc(idempotent=True)
    def call_source_conversion(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.SourceConversionQuery.shared(), payload)
        with self.uow() as uow:
            office_id = scope.office(uow.session, actor, query["office_id"])
            return schemas.SourceConversionListSchema.shared().dump(
                call_center.source_conversion(uow.session, office_id))

    @rpc(idempotent=True)
    def call_center_ranking(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.CallCenterMonthQuery.shared(), payload)
        with self.uow() as uow:
            scope.office(uow.session, actor, query["office_id"])
            return schemas.MonthlyRankingSchema.shared().dump(
                call_center.monthly_ranking(uow.session, query["office_id"], query["month"]))

    @rpc
    def export(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.ExportSchema.shared(), {**payload, **scope.viewer(actor)})
        with self.uow() as uow:
            scope.office(uow.session, actor, cmd["office_id"])
            return schemas.ExportFileSchema.shared().dump(exports.export(uow, cmd))

    @rpc(idempotent=True)
    def export_log(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.ExportLogQuery.shared(), payload)
        with self.uow() as uow:
            scope.office(uow.session, actor, query["office_id"])
            return schemas.ExportLogSchema.shared().dump(exports.export_log(uow.session,
                                                                     query["office_id"]))
