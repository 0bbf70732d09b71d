"""Gateway routes for customers, consultants, visits and call lists (the leads service)."""
from nameko.web.handlers import http

from contracts.base import load
from contracts.errors import Forbidden, InvalidInput
from contracts.leads import MAX_IMPORT_ROWS
from gateway.api import api, json_body, json_response
from gateway.endpoints import RPC_TIMEOUT, endpoint, private_view
from gateway.routes import CallListQuery, OfficeRosterBody
from gateway.tables import read_table


class LeadsEndpoints:
    """Mixed into GatewayService, which gives `authorize` and `rpc`."""

    @http(*endpoint("POST", "/api/v1/offices"))
    @api
    def create_office(self, request):
        self.authorize(request, "POST", "/api/v1/offices")
        return json_response(self.rpc("leads", "create_office", json_body(request)), 201)

    @http(*endpoint("POST", "/api/v1/consultants"))
    @api
    def add_consultant(self, request):
        self.authorize(request, "POST", "/api/v1/consultants")
        return json_response(self.rpc("leads", "add_consultant", json_body(request)), 201)

    @http(*endpoint("PUT", "/api/v1/consultants/{consultant_id}/status"))
    @api
    def set_consultant_status(self, request, consultant_id):
        user = self.authorize(request, "PUT", "/api/v1/consultants/{consultant_id}/status")
        if not user.is_manager and user.consultant_id != consultant_id:
            raise Forbidden("a consultant may change only their own status",
                            {"consultant_id": ["not yours"]})
        payload = {**json_body(request), "consultant_id": consultant_id}
        return json_response(self.rpc("leads", "set_consultant_status", payload))

    @http(*endpoint("POST", "/api/v1/visits"))
    @api
    def register_visit(self, request):
        user = self.authorize(request, "POST", "/api/v1/visits")
        result = self.rpc("leads", "register_visit", json_body(request))
        result["customer"] = private_view(user, result["customer"])
        return json_response(result, 201)

    @http(*endpoint("POST", "/api/v1/calls"))
    @api
    def register_call(self, request):
        user = self.authorize(request, "POST", "/api/v1/calls")
        result = self.rpc("leads", "register_call", json_body(request))
        result["customer"] = private_view(user, result["customer"])
        return json_response(result, 201)

    @http(*endpoint("PUT", "/api/v1/offices/{office_id}/roster"))
    @api
    def set_office_roster(self, request, office_id):
        self.authorize(request, "PUT", "/api/v1/offices/{office_id}/roster")
        payload = {**load(OfficeRosterBody(), json_body(request)), "office_id": office_id}
        if payload.get("day") is not None:
            payload["day"] = payload["day"].isoformat()
        return json_response(self.rpc("leads", "set_office_roster", payload))

    @http(*endpoint("POST", "/api/v1/customers/{customer_id}/reassignments"))
    @api
    def reassign_customer(self, request, customer_id):
        user = self.authorize(request, "POST", "/api/v1/customers/{customer_id}/reassignments")
        payload = {**json_body(request), "customer_id": customer_id,
                   "decided_by": user.username}
        result = self.rpc("leads", "reassign_customer", payload)
        result["customer"] = private_view(user, result["customer"])
        return json_response(result, 201)

    @http(*endpoint("POST", "/api/v1/call-lists"))
    @api
    def import_call_list(self, request):
        user = self.authorize(request, "POST", "/api/v1/call-lists")
        query = load(CallListQuery(), dict(request.args))
        header, rows = read_table(request.get_data(), request.content_type or "")
        if len(rows) > MAX_IMPORT_ROWS:
            raise InvalidInput(f"at most {MAX_IMPORT_ROWS} rows per list",
                               {"_body": [f"{len(rows)} rows"]})
        result = self.rpc("leads", "import_call_list", {
            **query, "imported_by": user.username, "header": header, "rows": rows},
            timeout=max(RPC_TIMEOUT, 60))
        return json_response(result, 201)

    @http(*endpoint("GET", "/api/v1/customers/{customer_id}"))
    @api
    def get_customer(self, request, customer_id):
        user = self.authorize(request, "GET", "/api/v1/customers/{customer_id}")
        customer = self.rpc("leads", "get_customer", {"customer_id": customer_id})
        return json_response(private_view(user, customer))
