"""The HTTP gateway: authenticate, authorize, call one service by RPC, shape the answer."""
import re

from nameko.web.handlers import http

from contracts.base import load
from contracts.errors import Forbidden, InvalidInput
from contracts.operations import CONSUMING_SERVICES, SERVICES
from gateway import auth
from gateway.api import api, call, error_response, json_body, json_response
from gateway.models import metadata
from gateway.openapi import build_spec
from gateway.tables import read_table
from contracts.leads import MAX_IMPORT_ROWS
from gateway.routes import (CallListQuery, DeadLettersQuery, HoldApprovalBody, HoldExtensionBody,
                            HoldReleaseBody, ReplayRequestSchema, TokenRequestSchema,
                            WaitlistBody, route)
from infra import config
from infra.dependencies import Database
from infra.rpc import RpcProxy

RPC_TIMEOUT = config.rpc_timeout_seconds()
HEALTH_TIMEOUT = 2


def endpoint(method, path):
    """nameko's @http arguments for a route of the table ({id} → <int:id>)."""
    route(method, path)  # fails at import when the route table lacks it
    return method, re.sub(r"{(\w+)}", r"<int:\1>", path)


def _proxy(service):
    """Requests expire with the caller's deadline; publishing gives up within a second when
    the broker is away, so callers get a quick 503 instead of piling up."""
    return RpcProxy(service, expiration=RPC_TIMEOUT)


class GatewayService:
    name = "gateway"
    db = Database(metadata, publishes_events=False)
    leads = _proxy("leads")
    inventory = _proxy("inventory")
    transactions = _proxy("transactions")
    complaints = _proxy("complaints")
    archive = _proxy("archive")

    def authorize(self, request, method, path) -> auth.CurrentUser:
        allowed = route(method, path).roles
        with self.db() as uow:
            user = auth.authenticate(uow.session, request.headers.get("Authorization"))
        if user.role not in allowed:
            raise Forbidden(f"role {user.role} may not {method} {path}",
                            {"role": [f"one of {', '.join(allowed)} is required"]})
        return user

    def rpc(self, service, method, payload=None, timeout=RPC_TIMEOUT):
        return call(getattr(self, service), method, payload, timeout)

    @http(*endpoint("POST", "/api/v1/auth/tokens"))
    @api
    def issue_token(self, request):
        credentials = load(TokenRequestSchema(), json_body(request))
        with self.db() as uow:
            token = auth.issue_token(uow.session, credentials["username"],
                                     credentials["password"], config.token_ttl_hours())
            uow.commit()
        return json_response(token, 201)

    @http("GET", "/api/v1/openapi.json")
    def openapi(self, request):
        return json_response(build_spec())

    @http(*endpoint("GET", "/api/v1/health"))
    @api
    def health(self, request):
        services = {}
        for service in SERVICES:
            try:
                services[service] = self.rpc(service, "health", timeout=HEALTH_TIMEOUT)
            except Exception as exc:
                services[service] = {"service": service,
                                     "error": f"no answer: {exc.__class__.__name__}"}
        healthy = all(s.get("database") == "ok" and s.get("broker") == "ok"
                      for s in services.values())
        return json_response({"status": "ok" if healthy else "degraded", "services": services},
                             200 if healthy else 503)

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
        result["customer"] = _private(user, result["customer"])
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
        return json_response(_private(user, customer))

    @http(*endpoint("POST", "/api/v1/projects"))
    @api
    def create_project(self, request):
        self.authorize(request, "POST", "/api/v1/projects")
        return json_response(self.rpc("inventory", "create_project", json_body(request)), 201)

    @http(*endpoint("GET", "/api/v1/projects/{project_id}/board"))
    @api
    def get_board(self, request, project_id):
        self.authorize(request, "GET", "/api/v1/projects/{project_id}/board")
        return json_response(self.rpc("inventory", "get_board", {"project_id": project_id}))

    @http(*endpoint("GET", "/api/v1/units/{unit_id}"))
    @api
    def get_unit(self, request, unit_id):
        self.authorize(request, "GET", "/api/v1/units/{unit_id}")
        return json_response(self.rpc("inventory", "get_unit", {"unit_id": unit_id}))

    @http(*endpoint("POST", "/api/v1/holds"))
    @api
    def hold_unit(self, request):
        user = self.authorize(request, "POST", "/api/v1/holds")
        payload = _as_consultant(user, json_body(request))
        return json_response(self.rpc("inventory", "hold_unit", payload), 201)

    @http(*endpoint("GET", "/api/v1/holds/{hold_id}"))
    @api
    def get_hold(self, request, hold_id):
        self.authorize(request, "GET", "/api/v1/holds/{hold_id}")
        return json_response(self.rpc("inventory", "get_hold", {"hold_id": hold_id}))

    @http(*endpoint("POST", "/api/v1/holds/{hold_id}/approval"))
    @api
    def approve_hold(self, request, hold_id):
        user = self.authorize(request, "POST", "/api/v1/holds/{hold_id}/approval")
        body = load(HoldApprovalBody(), json_body(request))
        return json_response(self.rpc("inventory", "approve_hold", {
            **body, "hold_id": hold_id, "manager": user.username}))

    @http(*endpoint("POST", "/api/v1/holds/{hold_id}/extension"))
    @api
    def extend_hold(self, request, hold_id):
        user = self.authorize(request, "POST", "/api/v1/holds/{hold_id}/extension")
        body = load(HoldExtensionBody(), json_body(request))
        return json_response(self.rpc("inventory", "extend_hold", {
            **body, "hold_id": hold_id, "approved_by": user.username}))

    @http(*endpoint("POST", "/api/v1/holds/{hold_id}/release"))
    @api
    def release_hold(self, request, hold_id):
        user = self.authorize(request, "POST", "/api/v1/holds/{hold_id}/release")
        body = load(HoldReleaseBody(), json_body(request))
        return json_response(self.rpc("inventory", "release_hold", {
            **body, "hold_id": hold_id, "released_by": user.username,
            "consultant_id": None if user.is_manager else user.consultant_id}))

    @http(*endpoint("POST", "/api/v1/units/{unit_id}/waitlist"))
    @api
    def join_waitlist(self, request, unit_id):
        user = self.authorize(request, "POST", "/api/v1/units/{unit_id}/waitlist")
        body = _as_consultant(user, load(WaitlistBody(), json_body(request)))
        if "consultant_id" not in body:
            raise InvalidInput("name the waiting consultant",
                               {"consultant_id": ["required for a manager"]})
        return json_response(self.rpc("inventory", "join_waitlist",
                                      {**body, "unit_id": unit_id}), 201)

    @http(*endpoint("POST", "/api/v1/waitlist/{entry_id}/withdrawal"))
    @api
    def withdraw_from_waitlist(self, request, entry_id):
        user = self.authorize(request, "POST", "/api/v1/waitlist/{entry_id}/withdrawal")
        return json_response(self.rpc("inventory", "withdraw_from_waitlist", {
            "entry_id": entry_id,
            "consultant_id": None if user.is_manager else user.consultant_id}))

    @http(*endpoint("POST", "/api/v1/deposits"))
    @api
    def take_deposit(self, request):
        user = self.authorize(request, "POST", "/api/v1/deposits")
        payload = _as_consultant(user, json_body(request))
        return json_response(self.rpc("transactions", "take_deposit", payload), 201)

    @http(*endpoint("GET", "/api/v1/deposits/{deposit_id}"))
    @api
    def get_deposit(self, request, deposit_id):
        self.authorize(request, "GET", "/api/v1/deposits/{deposit_id}")
        return json_response(self.rpc("transactions", "get_deposit", {"deposit_id": deposit_id}))

    @http(*endpoint("GET", "/api/v1/units/{unit_id}/dossier"))
    @api
    def read_dossier(self, request, unit_id):
        user = self.authorize(request, "GET", "/api/v1/units/{unit_id}/dossier")
        query = {"unit_id": unit_id, "reader": user.username,
                 "purpose": request.args.get("purpose", "")}
        return json_response(self.rpc("archive", "read_dossier", query))

    @http(*endpoint("POST", "/api/v1/complaints"))
    @api
    def file_complaint(self, request):
        self.authorize(request, "POST", "/api/v1/complaints")
        return json_response(self.rpc("complaints", "file_complaint", json_body(request)), 201)

    @http(*endpoint("GET", "/api/v1/complaints/{complaint_id}"))
    @api
    def get_complaint(self, request, complaint_id):
        self.authorize(request, "GET", "/api/v1/complaints/{complaint_id}")
        return json_response(self.rpc("complaints", "get_complaint",
                                      {"complaint_id": complaint_id}))

    @http(*endpoint("GET", "/api/v1/admin/dead-letters"))
    @api
    def list_dead_letters(self, request):
        self.authorize(request, "GET", "/api/v1/admin/dead-letters")
        query = load(DeadLettersQuery(), dict(request.args))
        letters = []
        for service in [query.pop("service")] if "service" in query else CONSUMING_SERVICES:
            letters += [{**letter, "service": service}
                        for letter in self.rpc(service, "list_dead_letters", query)]
        return json_response({"dead_letters": letters})

    @http(*endpoint("POST", "/api/v1/admin/dead-letters/replay"))
    @api
    def replay_dead_letters(self, request):
        self.authorize(request, "POST", "/api/v1/admin/dead-letters/replay")
        cmd = load(ReplayRequestSchema(), json_body(request))
        payload = {"all": True} if cmd["all"] else {"ids": cmd["ids"]}
        return json_response(self.rpc(cmd["service"], "replay_dead_letters", payload))

    @http("GET", "/<path:anything>")
    def not_found(self, request, anything):
        return error_response(404, "not_found", f"no route for /{anything}")


def _private(user, customer: dict) -> dict:
    if not auth.can_see_contact(user, customer.get("consultant_id")):
        customer = {**customer, "mobile": auth.mask_mobile(customer.get("mobile", ""))}
    return customer


def _as_consultant(user, payload: dict) -> dict:
    """A consultant acts in their own name; managers and finance may name the consultant."""
    if user.role != "consultant":
        return payload
    payload.setdefault("consultant_id", user.consultant_id)
    if payload["consultant_id"] != user.consultant_id:
        raise Forbidden("a consultant acts only in their own name",
                        {"consultant_id": ["must be your own consultant id"]})
    return payload
