"""Complaints' nameko entrypoints: parse, call one handler, serialize."""
from nameko.timer import timer

from contracts import complaints as schemas
from contracts.base import load
from infra import config, operations
from infra.dependencies import Database
from infra.rpc import rpc
from services.complaints import handlers, repairs, reports, sla
from services.complaints.models import metadata

C = schemas


def _command(name, schema, handler, view=schemas.ComplaintSchema):
    """An RPC that loads `schema`, runs `handler(uow, cmd)` and dumps `view`."""
    def entrypoint(self, payload):
        cmd = load(schema.shared(), payload)
        with self.uow() as uow:
            return view.shared().dump(handler(uow, cmd))
    entrypoint.__name__ = name
    return rpc(entrypoint)


class ComplaintsService(operations.OperationsRpc):
    name = "complaints"
    uow = Database(metadata)

    # ---- complaints (第4篇) ----
    file_complaint = _command("file_complaint", C.FileComplaintSchema, handlers.file_complaint)
    accept_complaint = _command("accept_complaint", C.AcceptComplaintSchema, handlers.accept)
    reject_complaint = _command("reject_complaint", C.RejectComplaintSchema, handlers.reject)
    route_complaint = _command("route_complaint", C.RouteComplaintSchema, handlers.route)
    await_customer = _command("await_customer", C.NoteSchema, handlers.await_customer)
    resume_complaint = _command("resume_complaint", C.NoteSchema, handlers.resume)
    report_investigation = _command("report_investigation", C.InvestigationReportSchema,
                                    handlers.report)
    review_complaint = _command("review_complaint", C.OpinionSchema, handlers.review)
    resolve_complaint = _command("resolve_complaint", C.OpinionSchema, handlers.resolve)
    reply_complaint = _command("reply_complaint", C.ReplyComplaintSchema, handlers.reply)
    close_complaint = _command("close_complaint", C.ComplaintRef, handlers.close)
    record_accountability = _command("record_accountability", C.AccountabilitySchema,
                                     handlers.record_accountability)
    visit_complaint = _command("visit_complaint", C.VisitSchema, handlers.visit)
    reopen_complaint = _command("reopen_complaint", C.ReopenSchema, handlers.reopen)
    set_clock_policy = _command("set_clock_policy", C.ClockPolicySchema,
                                handlers.set_clock_policy, C.ClockPolicyViewSchema)
    set_calendar_entry = _command("set_calendar_entry", C.CalendarEntrySchema,
                                  handlers.set_calendar_entry, C.CalendarEntryViewSchema)

    @rpc(idempotent=True)
    def get_complaint(self, payload):
        query = load(C.GetComplaintSchema.shared(), payload)
        with self.uow() as uow:
            return C.ComplaintSchema.shared().dump(handlers.get_complaint(uow.session, query))

    @rpc(idempotent=True)
    def list_complaints(self, payload):
        query = load(C.ListComplaintsSchema.shared(), payload)
        with self.uow() as uow:
            return C.ComplaintListSchema.shared().dump(handlers.list_complaints(uow.session, query))

    # ---- repairs (售后维修) ----
    register_contractor = _command("register_contractor", C.RegisterContractorSchema,
                                   repairs.register_contractor, C.ContractorSchema)
    evaluate_contractor = _command("evaluate_contractor", C.EvaluateContractorSchema,
                                   repairs.evaluate_contractor, C.EvaluationSchema)
    order_repair = _command("order_repair", C.OrderRepairSchema, repairs.order_repair,
                            C.RepairSchema)
    record_arrival = _command("record_arrival", C.RepairRef, repairs.arrive, C.RepairSchema)
    start_self_repair = _command("start_self_repair", C.RepairRef, repairs.self_repair,
                                 C.RepairSchema)
    complete_repair = _command("complete_repair", C.CompleteRepairSchema, repairs.complete,
                               C.RepairSchema)
    sign_repair = _command("sign_repair", C.SignRepairSchema, repairs.sign, C.RepairSchema)
    visit_repair = _command("visit_repair", C.RepairVisitSchema, repairs.visit, C.RepairSchema)

    @rpc(idempotent=True)
    def get_repair(self, payload):
        query = load(C.RepairRef.shared(), payload)
        with self.uow() as uow:
            return C.RepairSchema.shared().dump(repairs.get_repair(uow.session, query))

    @rpc(idempotent=True)
    def list_contractors(self, payload):
        query = load(C.Acting.shared(), payload)
        with self.uow() as uow:
            return C.ContractorListSchema.shared().dump(repairs.list_contractors(uow.session, query))

    # ---- reports (投诉统计表, forms) ----
    @rpc(idempotent=True)
    def monthly_statistics(self, payload):
        query = load(C.MonthQuery.shared(), payload)
        with self.uow() as uow:
            return C.MonthlyStatisticsSchema.shared().dump(
                reports.monthly_statistics(uow.session, query))

    @rpc(idempotent=True)
    def accountability_list(self, payload):
        query = load(C.MonthQuery.shared(), payload)
        with self.uow() as uow:
            return C.AccountabilityListSchema.shared().dump(
                reports.accountability_list(uow.session, query))

    @rpc(idempotent=True)
    def export_xlsx(self, payload):
        query = load(C.ExportSchema.shared(), payload)
        with self.uow() as uow:
            return C.FileContentSchema.shared().dump(reports.export(uow.session, query))

    # ---- the clocks' periodic pass ----
    @timer(interval=config.clock_sweep_seconds())
    def sweep_clocks(self):
        sla.sweep(self.uow, batch_size=config.clock_sweep_batch())
