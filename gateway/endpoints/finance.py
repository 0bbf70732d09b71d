"""Gateway routes for finance: account mappings, vouchers and their export, the pull feed,
the reconciliation and the webhook subscriptions (the finance service checks the roles and
projects again)."""
from werkzeug.wrappers import Response

from contracts.imports import XLSX
from gateway.api import api, http, json_body, json_response
from gateway.endpoints import RPC_TIMEOUT, actor, check_project, endpoint
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


class FinanceEndpoints:
    """Mixed into GatewayService, which gives `authorize` and `rpc`."""

    def _finance(self, request, method, path, payload, project_id=None):
        user = self.authorize(request, method, path)
        if project_id is not None:
            check_project(user, project_id)
        return {"actor": actor(user), **payload}

    @http(*endpoint("GET", "/api/v1/projects/{project_id}/accounts"))
    @api
    def get_accounts(self, request, project_id):
        payload = self._finance(request, "GET", "/api/v1/projects/{project_id}/accounts",
                                {"project_id": project_id}, project_id)
        return json_response(self.rpc("finance", "get_accounts", payload))

    @http(*endpoint("PUT", "/api/v1/projects/{project_id}/accounts"))
    @api
    def set_accounts(self, request, project_id):
        body = json_body(request)
        payload = self._finance(request, "PUT", "/api/v1/projects/{project_id}/accounts",
                                {"accounts": body.get("accounts") if isinstance(body, dict)
                                 else body, "project_id": project_id}, project_id)
        return json_response(self.rpc("finance", "set_accounts", payload))

    @http(*endpoint("GET", "/api/v1/projects/{project_id}/vouchers"))
    @api
    def list_vouchers(self, request, project_id):
        payload = self._finance(request, "GET", "/api/v1/projects/{project_id}/vouchers",
                                {**_args(request), "project_id": project_id}, project_id)
        return json_response(self.rpc("finance", "list_vouchers", payload))

    @http(*endpoint("GET", "/api/v1/projects/{project_id}/vouchers/export"))
    @api
    def export_vouchers(self, request, project_id):
        payload = self._finance(request, "GET", "/api/v1/projects/{project_id}/vouchers/export",
                                {**_args(request), "project_id": project_id}, project_id)
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

    @http(*endpoint("POST", "/api/v1/vouchers/{voucher_id}/status"))
    @api
    def set_voucher_status(self, request, voucher_id):
        payload = self._finance(request, "POST", "/api/v1/vouchers/{voucher_id}/status",
                                {**json_body(request), "voucher_id": voucher_id})
        return json_response(self.rpc("finance", "set_voucher_status", payload))

    @http(*endpoint("POST", "/api/v1/vouchers/{voucher_id}/reversal"))
    @api
    def reverse_voucher(self, request, voucher_id):
        payload = self._finance(request, "POST", "/api/v1/vouchers/{voucher_id}/reversal",
                                {**json_body(request), "voucher_id": voucher_id})
        return json_response(self.rpc("finance", "reverse_voucher", payload), 201)

    @http(*endpoint("GET", "/api/v1/finance/events"))
    @api
    def read_feed(self, request):
        payload = self._finance(request, "GET", "/api/v1/finance/events", _args(request))
        return json_response(self.rpc("finance", "read_feed", payload))

    @http(*endpoint("GET", "/api/v1/finance/reconciliation"))
    @api
    def get_finance_reconciliation(self, request):
        payload = self._finance(request, "GET", "/api/v1/finance/reconciliation", _args(request))
        return json_response(self.rpc("finance", "get_reconciliation", payload))

    @http(*endpoint("GET", "/api/v1/finance/reconciliation.xlsx"))
    @api
    def get_finance_reconciliation_xlsx(self, request):
        payload = self._finance(request, "GET", "/api/v1/finance/reconciliation.xlsx",
                                _args(request))
        file = self.rpc("finance", "get_reconciliation_xlsx", payload)
        return xlsx_response(file["content_base64"], file["file_name"])

    @http(*endpoint("POST", "/api/v1/admin/webhooks"))
    @api
    def create_webhook(self, request):
        payload = self._finance(request, "POST", "/api/v1/admin/webhooks", json_body(request))
        return json_response(self.rpc("finance", "create_subscription", payload), 201)

    @http(*endpoint("GET", "/api/v1/admin/webhooks"))
    @api
    def list_webhooks(self, request):
        payload = self._finance(request, "GET", "/api/v1/admin/webhooks", {})
        return json_response(self.rpc("finance", "list_subscriptions", payload))

    @http(*endpoint("POST", "/api/v1/admin/webhooks/{subscription_id}/rotation"))
    @api
    def rotate_webhook_secret(self, request, subscription_id):
        payload = self._finance(request, "POST",
                                "/api/v1/admin/webhooks/{subscription_id}/rotation",
                                {**json_body(request), "subscription_id": subscription_id})
        return json_response(self.rpc("finance", "rotate_secret", payload))

    @http(*endpoint("GET", "/api/v1/admin/webhooks/{subscription_id}/deliveries"))
    @api
    def list_webhook_deliveries(self, request, subscription_id):
        payload = self._finance(request, "GET",
                                "/api/v1/admin/webhooks/{subscription_id}/deliveries",
                                {**_args(request), "subscription_id": subscription_id})
        return json_response(self.rpc("finance", "list_deliveries", payload))

    @http(*endpoint("POST", "/api/v1/admin/webhooks/{subscription_id}/replay"))
    @api
    def replay_webhooks(self, request, subscription_id):
        payload = self._finance(request, "POST",
                                "/api/v1/admin/webhooks/{subscription_id}/replay",
                                {**json_body(request), "subscription_id": subscription_id})
        return json_response(self.rpc("finance", "replay_deliveries", payload))
