"""Gateway routes for the archive: dossiers, documents and files, verification, lending,
external access, deadlines and inspections.

Files never travel over RabbitMQ. An upload streams from the request (`request.stream`, a
chunk at a time, never whole in memory) into the archive's content-addressed store (fsspec,
ARCHIVE_FILES_URL, the same store the archive service opens); the gateway then calls
`archive.file_document` with the digest, size and type, and the service checks the file is
there before filing it. A download asks the service first (which checks level and scope and
logs the access), then streams the stored bytes out. There is no route that changes or
removes a filed record."""
from functools import cache

from werkzeug.wrappers import Response

from contracts.base import load
from gateway.api import api, http, json_body, json_response
from gateway.endpoints import acts_on_every_project, actor, check_project, endpoint
from gateway.routes import (DepartmentQuery, ProjectLoansQuery, PurposeQuery, ReadQuery,
                            TodayQuery, UploadQuery, YearQuery)
from infra import config
from infra.filestore import FileStore


@cache
def file_store() -> FileStore:
    return FileStore(config.archive_files_url())


def _query(schema, request) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v)
            for k, v in load(schema(), dict(request.args)).items()}


class ArchiveEndpoints:
    """Mixed into GatewayService, which gives `authorize` and `rpc`."""

    def _archive(self, request, method, path, rpc_method, payload, status=200):
        user = self.authorize(request, method, path)
        return json_response(self.rpc("archive", rpc_method, {**payload, "actor": actor(user)}),
                             status)

    @http(*endpoint("GET", "/api/v1/units/{unit_id}/dossier"))
    @api
    def read_unit_dossier(self, request, unit_id):
        user = self.authorize(request, "GET", "/api/v1/units/{unit_id}/dossier")
        query = _query(ReadQuery, request)  # a purpose, or 400 naming it
        if not acts_on_every_project(user):
            # a unit's dossier is read in the unit's project only (inventory refuses another's)
            self.rpc("inventory", "get_unit", {"unit_id": unit_id, "actor": actor(user)})
        return json_response(self.rpc("archive", "read_dossier", {
            **query, "unit_id": unit_id, "actor": actor(user)}))

    @http(*endpoint("GET", "/api/v1/dossiers/{dossier_id}"))
    @api
    def read_dossier(self, request, dossier_id):
        user = self.authorize(request, "GET", "/api/v1/dossiers/{dossier_id}")
        return json_response(self.rpc("archive", "read_dossier", {
            **_query(ReadQuery, request), "dossier_id": dossier_id, "actor": actor(user)}))

    @http(*endpoint("POST", "/api/v1/dossiers"))
    @api
    def open_dossier(self, request):
        return self._archive(request, "POST", "/api/v1/dossiers", "open_dossier",
                             json_body(request), 201)

    @http(*endpoint("POST", "/api/v1/units/{unit_id}/dossier/number"))
    @api
    def number_unit_dossier(self, request, unit_id):
        return self._archive(request, "POST", "/api/v1/units/{unit_id}/dossier/number",
                             "number_unit_dossier", {**json_body(request), "unit_id": unit_id},
                             201)

    @http(*endpoint("POST", "/api/v1/dossiers/{dossier_id}/documents"))
    @api
    def file_document(self, request, dossier_id):
        return self._archive(request, "POST", "/api/v1/dossiers/{dossier_id}/documents",
                             "file_document", {**json_body(request), "dossier_id": dossier_id},
                             201)

    @http(*endpoint("POST", "/api/v1/dossiers/{dossier_id}/files"))
    @api
    def upload_file(self, request, dossier_id):
        user = self.authorize(request, "POST", "/api/v1/dossiers/{dossier_id}/files")
        meta = load(UploadQuery(), dict(request.args))
        stored = file_store().put_stream(request.stream.read, request.content_type,
                                         config.archive_max_upload_bytes(),
                                         request.content_length)
        payload = {**{k: v for k, v in meta.items() if k != "file_name"},
                   "dossier_id": dossier_id, "actor": actor(user),
                   "file": {"digest": stored.digest, "size": stored.size,
                            "media_type": stored.media_type,
                            "file_name": meta.get("file_name")}}
        return json_response(self.rpc("archive", "file_document", payload), 201)

    @http(*endpoint("GET", "/api/v1/documents/{document_id}/file"))
    @api
    def download_file(self, request, document_id):
        user = self.authorize(request, "GET", "/api/v1/documents/{document_id}/file")
        document = self.rpc("archive", "open_document", {
            **_query(ReadQuery, request), "document_id": document_id, "actor": actor(user)})
        chunks = file_store().chunks(document["file_digest"])
        name = document.get("file_name") or document["file_digest"]
        return Response(chunks, mimetype=document["media_type"], direct_passthrough=True,
                        headers={"Content-Length": str(document["file_size"]),
                                 "Content-Disposition": f"attachment; filename=\"{name}\"",
                                 "Digest": f"{document['file_algorithm']}="
                                           f"{document['file_digest']}"})

    @http(*endpoint("GET", "/api/v1/dossiers/{dossier_id}/verification"))
    @api
    def verify_dossier(self, request, dossier_id):
        return self._archive(request, "GET", "/api/v1/dossiers/{dossier_id}/verification",
                             "verify_dossier", {"dossier_id": dossier_id})

    @http(*endpoint("POST", "/api/v1/archive/verifications"))
    @api
    def start_verification(self, request):
        return self._archive(request, "POST", "/api/v1/archive/verifications",
                             "start_verification", json_body(request), 201)

    @http(*endpoint("GET", "/api/v1/archive/verifications/{run_id}"))
    @api
    def get_verification(self, request, run_id):
        return self._archive(request, "GET", "/api/v1/archive/verifications/{run_id}",
                             "get_verification", {"run_id": run_id})

    @http(*endpoint("POST", "/api/v1/archive/fixity-runs"))
    @api
    def run_fixity(self, request):
        return self._archive(request, "POST", "/api/v1/archive/fixity-runs", "run_fixity", {},
                             201)

    @http(*endpoint("GET", "/api/v1/archive/fixity-runs/latest"))
    @api
    def latest_fixity(self, request):
        return self._archive(request, "GET", "/api/v1/archive/fixity-runs/latest",
                             "latest_fixity", {})

    @http(*endpoint("POST", "/api/v1/dossiers/{dossier_id}/export"))
    @api
    def export_dossier(self, request, dossier_id):
        user = self.authorize(request, "POST", "/api/v1/dossiers/{dossier_id}/export")
        export = self.rpc("archive", "export_dossier", {
            **_query(PurposeQuery, request), "dossier_id": dossier_id, "actor": actor(user)})
        return Response(file_store().export_chunks(export["name"]), mimetype="application/zip",
                        direct_passthrough=True,
                        headers={"Content-Length": str(export["size"]),
                                 "Content-Disposition": f"attachment; filename=\""
                                                        f"{export['name']}\"",
                                 "Digest": f"sha-256={export['sha256']}"})

    @http(*endpoint("POST", "/api/v1/dossiers/{dossier_id}/volumes"))
    @api
    def register_volume(self, request, dossier_id):
        return self._archive(request, "POST", "/api/v1/dossiers/{dossier_id}/volumes",
                             "register_volume", {**json_body(request), "dossier_id": dossier_id},
                             201)

    @http(*endpoint("POST", "/api/v1/volumes/{volume_id}/loans"))
    @api
    def lend_volume(self, request, volume_id):
        return self._archive(request, "POST", "/api/v1/volumes/{volume_id}/loans",
                             "lend_volume", {**json_body(request), "volume_id": volume_id}, 201)

    @http(*endpoint("POST", "/api/v1/loans/{loan_id}/return"))
    @api
    def return_volume(self, request, loan_id):
        return self._archive(request, "POST", "/api/v1/loans/{loan_id}/return",
                             "return_volume", {**json_body(request), "loan_id": loan_id}, 201)

    @http(*endpoint("GET", "/api/v1/loans/overdue"))
    @api
    def overdue_loans(self, request):
        return self._archive(request, "GET", "/api/v1/loans/overdue", "overdue_loans",
                             _query(ProjectLoansQuery, request))

    @http(*endpoint("POST", "/api/v1/dossiers/{dossier_id}/external-requests"))
    @api
    def record_external_request(self, request, dossier_id):
        return self._archive(request, "POST", "/api/v1/dossiers/{dossier_id}/external-requests",
                             "record_external_request",
                             {**json_body(request), "dossier_id": dossier_id}, 201)

    @http(*endpoint("POST", "/api/v1/external-requests/{request_id}/decision"))
    @api
    def decide_external_request(self, request, request_id):
        return self._archive(request, "POST", "/api/v1/external-requests/{request_id}/decision",
                             "decide_external_request",
                             {**json_body(request), "request_id": request_id}, 201)

    @http(*endpoint("POST", "/api/v1/projects/{project_id}/milestones"))
    @api
    def set_milestone(self, request, project_id):
        user = self.authorize(request, "POST", "/api/v1/projects/{project_id}/milestones")
        check_project(user, project_id)
        return json_response(self.rpc("archive", "set_milestone", {
            **json_body(request), "project_id": project_id, "actor": actor(user)}), 201)

    @http(*endpoint("POST", "/api/v1/projects/{project_id}/archive-calendar"))
    @api
    def add_calendar_entry(self, request, project_id):
        user = self.authorize(request, "POST", "/api/v1/projects/{project_id}/archive-calendar")
        check_project(user, project_id)
        return json_response(self.rpc("archive", "add_calendar_entry", {
            **json_body(request), "project_id": project_id, "actor": actor(user)}), 201)

    @http(*endpoint("GET", "/api/v1/dossiers/{dossier_id}/completeness"))
    @api
    def dossier_completeness(self, request, dossier_id):
        return self._archive(request, "GET", "/api/v1/dossiers/{dossier_id}/completeness",
                             "dossier_completeness",
                             {**_query(TodayQuery, request), "dossier_id": dossier_id})

    @http(*endpoint("GET", "/api/v1/projects/{project_id}/overdue-handovers"))
    @api
    def overdue_handovers(self, request, project_id):
        user = self.authorize(request, "GET", "/api/v1/projects/{project_id}/overdue-handovers")
        check_project(user, project_id)
        return json_response(self.rpc("archive", "overdue_handovers", {
            **_query(DepartmentQuery, request), "project_id": project_id,
            "actor": actor(user)}))

    @http(*endpoint("POST", "/api/v1/projects/{project_id}/inspections"))
    @api
    def plan_inspection(self, request, project_id):
        user = self.authorize(request, "POST", "/api/v1/projects/{project_id}/inspections")
        check_project(user, project_id)
        return json_response(self.rpc("archive", "plan_inspection", {
            **json_body(request), "project_id": project_id, "actor": actor(user)}), 201)

    @http(*endpoint("POST", "/api/v1/inspections/{plan_id}/findings"))
    @api
    def record_finding(self, request, plan_id):
        return self._archive(request, "POST", "/api/v1/inspections/{plan_id}/findings",
                             "record_finding", {**json_body(request), "plan_id": plan_id}, 201)

    @http(*endpoint("GET", "/api/v1/projects/{project_id}/inspections"))
    @api
    def inspections(self, request, project_id):
        user = self.authorize(request, "GET", "/api/v1/projects/{project_id}/inspections")
        check_project(user, project_id)
        return json_response(self.rpc("archive", "inspections", {
            **_query(YearQuery, request), "project_id": project_id, "actor": actor(user)}))
