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
from gateway.api import json_response
from gateway.endpoints import acts_on_every_project, actor
from gateway.routes import PurposeQuery, ReadQuery, UploadQuery
from infra import config
from infra.filestore import FileStore


@cache
def file_store() -> FileStore:
    return FileStore(config.archive_files_url())


def _query(schema, request) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v)
            for k, v in load(schema(), dict(request.args)).items()}


class ArchiveEndpoints:
    """Mixed into GatewayService, which gives `rpc`; the route table names each handler."""

    def read_unit_dossier(self, request, user, unit_id):
        query = _query(ReadQuery, request)  # a purpose, or 400 naming it
        if not acts_on_every_project(user):
            # a unit's dossier is read in the unit's project only (inventory refuses another's)
            self.rpc("inventory", "get_unit", {"unit_id": unit_id, "actor": actor(user)})
        return json_response(self.rpc("archive", "read_dossier", {
            **query, "unit_id": unit_id, "actor": actor(user)}))

    def upload_file(self, request, user, dossier_id):
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

    def download_file(self, request, user, document_id):
        document = self.rpc("archive", "open_document", {
            **_query(ReadQuery, request), "document_id": document_id, "actor": actor(user)})
        chunks = file_store().chunks(document["file_digest"])
        name = document.get("file_name") or document["file_digest"]
        return Response(chunks, mimetype=document["media_type"], direct_passthrough=True,
                        headers={"Content-Length": str(document["file_size"]),
                                 "Content-Disposition": f"attachment; filename=\"{name}\"",
                                 "Digest": f"{document['file_algorithm']}="
                                           f"{document['file_digest']}"})

    def export_dossier(self, request, user, dossier_id):
        export = self.rpc("archive", "export_dossier", {
            **_query(PurposeQuery, request), "dossier_id": dossier_id, "actor": actor(user)})
        return Response(file_store().export_chunks(export["name"]), mimetype="application/zip",
                        direct_passthrough=True,
                        headers={"Content-Length": str(export["size"]),
                                 "Content-Disposition": f"attachment; filename=\""
                                                        f"{export['name']}\"",
                                 "Digest": f"sha-256={export['sha256']}"})





