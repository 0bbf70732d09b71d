"""Gateway handlers for finance's files: the voucher export and the reconciliation workbook
(every other finance route is a row of the route table; the finance service checks the roles
and projects again)."""
from werkzeug.wrappers import Response

from contracts.imports import XLSX
from gateway.endpoints import RPC_TIMEOUT, actor, check_project
from gateway.tables import xlsx_response
from infra import config
from infra.filestore import FileStore

# a year of a 20,000-unit project is written in about half a minute on a busy machine
EXPORT_TIMEOUT = max(RPC_TIMEOUT, 120)


def export_files() -> FileStore:
    """Where finance leaves voucher exports (FINANCE_FILES_URL)."""
    return FileStore(config.finance_files_url())


def _args(request) -> dict:
    return dict(request.args)


def _finance(user, payload, project_id=None) -> dict:
    """A finance call's payload: who acts (last: no body sets it), and a project in the path
    must be one of theirs."""
    if project_id is not None:
        check_project(user, project_id)
    return {**payload, "actor": actor(user)}


class FinanceEndpoints:
    """Mixed into GatewayService, which gives `rpc`; the route table names each handler."""

    def export_vouchers(self, request, user, project_id):
        payload = _finance(user, {**_args(request), "project_id": project_id}, project_id)
        file = self.rpc("finance", "export_vouchers", payload, timeout=EXPORT_TIMEOUT)
        # finance left the file in the store: streamed from there a chunk at a time, never
        # whole in this process nor in an RPC answer
        mimetype = "text/csv" if file["file_name"].endswith(".csv") else XLSX
        return Response(export_files().export_chunks(file["name"]), mimetype=mimetype,
                        direct_passthrough=True,
                        headers={"Content-Length": str(file["size"]),
                                 "Content-Disposition":
                                     f'attachment; filename="{file["file_name"]}"',
                                 "Digest": f"sha-256={file['sha256']}"})

    def get_finance_reconciliation_xlsx(self, request, user):
        payload = _finance(user, _args(request))
        file = self.rpc("finance", "get_reconciliation_xlsx", payload)
        return xlsx_response(file["content_base64"], file["file_name"])
