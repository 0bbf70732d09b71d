"""Archive's nameko entrypoints: parse, call one handler, serialize.

There is deliberately no RPC that updates or deletes a filed record: corrections are new
documents (`file_document` with `corrects_id`)."""
import logging

from eventlet import tpool
from nameko.extensions import DependencyProvider
from nameko.timer import timer

from contracts import archive as schemas
from contracts.base import load
from infra import config, operations
from infra.consumer import event_handler
from infra.dependencies import Database
from infra.filestore import FileStore
from infra.rpc import rpc
from services.archive import handlers
from services.archive.models import metadata

log = logging.getLogger(__name__)

EVENT_BATCH = 50  # events filed in one transaction at most


class Files(DependencyProvider):
    """The content-addressed file store (ARCHIVE_FILES_URL), opened at start."""

    def setup(self):
        self.store = FileStore(config.archive_files_url())

    def get_dependency(self, worker_ctx):
        return self.store


class ArchiveService(operations.OperationsRpc):
    name = "archive"
    uow = Database(metadata)
    files = Files()

    def _call(self, schema, payload, handler, out, *extra):
        cmd = load(schema.shared(), payload)
        with self.uow() as uow:
            return out.shared().dump(handler(uow, cmd, *extra))

    @rpc(idempotent=True)
    def read_dossier(self, payload):
        return self._call(schemas.ReadDossierSchema, payload, handlers.read_dossier,
                          schemas.DossierSchema)

    @rpc
    def open_dossier(self, payload):
        return self._call(schemas.OpenDossierSchema, payload, handlers.open_dossier,
                          schemas.DossierSummarySchema)

    @rpc
    def number_unit_dossier(self, payload):
        return self._call(schemas.NumberUnitDossierSchema, payload,
                          handlers.number_unit_dossier, schemas.DossierSummarySchema)

    @rpc
    def file_document(self, payload):
        return self._call(schemas.FileDocumentSchema, payload, handlers.file_document,
                          schemas.DossierEntrySchema, self.files)

    @rpc(idempotent=True)
    def open_document(self, payload):
        return self._call(schemas.OpenDocumentSchema, payload, handlers.open_document,
                          schemas.DossierEntrySchema)

    @rpc(idempotent=True)
    def verify_dossier(self, payload):
        return self._call(schemas.DossierIdSchema, payload, handlers.verify_one,
                          schemas.VerificationSchema, self.files)

    @rpc
    def start_verification(self, payload):
        return self._call(schemas.StartVerificationSchema, payload,
                          handlers.start_verification, schemas.VerificationRunSchema)

    @rpc(idempotent=True)
    def get_verification(self, payload):
        return self._call(schemas.RunIdSchema, payload, handlers.get_verification,
                          schemas.VerificationRunSchema)

    @rpc(idempotent=True)
    def latest_fixity(self, payload):
        return self._call(schemas.ActorOnly, payload, handlers.latest_fixity,
                          schemas.FixityRunSchema)

    @rpc
    def run_fixity(self, payload):
        cmd = load(schemas.ActorOnly.shared(), payload)
        handlers.check_staff(cmd["actor"])
        return schemas.FixityRunSchema.shared().dump(self._fixity())

    @rpc
    def export_dossier(self, payload):
        return self._call(schemas.ExportDossierSchema, payload, handlers.export_dossier,
                          schemas.ExportSchema, self.files)

    @rpc
    def register_volume(self, payload):
        return self._call(schemas.RegisterVolumeSchema, payload, handlers.register_volume,
                          schemas.VolumeSchema)

    @rpc
    def lend_volume(self, payload):
        return self._call(schemas.LendVolumeSchema, payload, handlers.lend_volume,
                          schemas.LoanSchema)

    @rpc
    def return_volume(self, payload):
        return self._call(schemas.ReturnVolumeSchema, payload, handlers.return_volume,
                          schemas.LoanSchema)

    @rpc(idempotent=True)
    def overdue_loans(self, payload):
        return self._call(schemas.LoanQuery, payload, handlers.overdue_loans,
                          schemas.LoanListSchema)

    @rpc(idempotent=True)
    def loan_register(self, payload):
        return self._call(schemas.LoanRegisterQuery, payload, handlers.loan_register,
                          schemas.LoanListSchema)

    @rpc
    def record_external_request(self, payload):
        return self._call(schemas.ExternalRequestInput, payload,
                          handlers.record_external_request, schemas.ExternalRequestSchema)

    @rpc
    def decide_external_request(self, payload):
        return self._call(schemas.DecideExternalSchema, payload,
                          handlers.decide_external_request, schemas.ExternalRequestSchema)

    @rpc
    def set_milestone(self, payload):
        return self._call(schemas.MilestoneSchema, payload, handlers.set_milestone,
                          schemas.MilestoneOutSchema)

    @rpc
    def add_calendar_entry(self, payload):
        return self._call(schemas.CalendarEntryInput, payload, handlers.add_calendar_entry,
                          schemas.CalendarEntrySchema)

    @rpc(idempotent=True)
    def dossier_completeness(self, payload):
        return self._call(schemas.CompletenessQuery, payload, handlers.dossier_completeness,
                          schemas.CompletenessSchema)

    @rpc(idempotent=True)
    def overdue_handovers(self, payload):
        return self._call(schemas.OverdueQuery, payload, handlers.overdue_handovers,
                          schemas.OverdueHandoversSchema)

    @rpc
    def plan_inspection(self, payload):
        return self._call(schemas.PlanInspectionSchema, payload, handlers.plan_inspection,
                          schemas.InspectionSchema)

    @rpc
    def record_finding(self, payload):
        return self._call(schemas.FindingInput, payload, handlers.record_finding,
                          schemas.FindingSchema)

    @rpc(idempotent=True)
    def inspections(self, payload):
        return self._call(schemas.InspectionsQuery, payload, handlers.inspections,
                          schemas.InspectionListSchema)

    @event_handler("*", batch_size=EVENT_BATCH)
    def on_events(self, events):
        self.uow.handle_batch(events, handlers.file_event, order=handlers.filing_order)

    @timer(interval=config.archive_verification_seconds())
    def advance_verifications(self):
        while handlers.verify_next_batch(self.uow, self.files):
            pass

    @timer(interval=config.archive_fixity_seconds())
    def check_fixity(self):
        self._fixity()

    def _fixity(self):
        store = self.files
        return handlers.run_fixity(
            self.uow, store, lambda digest, algorithm: tpool.execute(store.rehash, digest,
                                                                    algorithm))
