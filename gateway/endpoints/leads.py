"""Gateway routes for customers, consultants, visits and call lists (the leads service)."""

from contracts.base import load
from contracts.errors import Forbidden
from contracts.leads import file_without_contact_details
from gateway.auth import can_see_contact, mask_mobile
from gateway.api import api, http, json_body, json_response
from gateway.endpoints import RPC_TIMEOUT, actor, endpoint, private_view, read_by
from gateway.routes import (CallCenterDayBody, CallCenterMonthBody, CallListQuery,
                            CareRemindersDayQuery, ConsultantCustomersDayQuery,
                            KnownCustomerBody, ExportQuery, FollowUpBody, GradeBody, HopelessBody,
                            OfficeProjectsBody, OfficeRosterBody, ProfileBody, ReassignmentBody,
                            RecordCallBody, SourceConversionBody)
from gateway.tables import UPLOAD_TIMEOUT, job_accepted, send_upload, xlsx_response


class LeadsEndpoints:
    """Mixed into GatewayService, which gives `authorize` and `rpc`."""

    @http(*endpoint("POST", "/api/v1/offices"))
    @api
    def create_office(self, request):
        self.authorize(request, "POST", "/api/v1/offices")
        return json_response(self.rpc("leads", "create_office", json_body(request)), 201)

    @http(*endpoint("PUT", "/api/v1/offices/{office_id}/projects"))
    @api
    def set_office_projects(self, request, office_id):
        self.authorize(request, "PUT", "/api/v1/offices/{office_id}/projects")
        body = load(OfficeProjectsBody(), json_body(request))
        return json_response(self.rpc("leads", "set_office_projects",
                                      {**body, "office_id": office_id}))

    @http(*endpoint("POST", "/api/v1/consultants"))
    @api
    def add_consultant(self, request):
        user = self.authorize(request, "POST", "/api/v1/consultants")
        return json_response(self.rpc("leads", "add_consultant",
                                      {**json_body(request), **_manager(user)}), 201)

    @http(*endpoint("PUT", "/api/v1/consultants/{consultant_id}/status"))
    @api
    def set_consultant_status(self, request, consultant_id):
        user = self.authorize(request, "PUT", "/api/v1/consultants/{consultant_id}/status")
        if not user.is_manager and user.consultant_id != consultant_id:
            raise Forbidden("a consultant may change only their own status",
                            {"consultant_id": ["not yours"]})
        payload = {**json_body(request), "consultant_id": consultant_id, **_manager(user)}
        return json_response(self.rpc("leads", "set_consultant_status", payload))

    @http(*endpoint("POST", "/api/v1/visits"))
    @api
    def register_visit(self, request):
        user = self.authorize(request, "POST", "/api/v1/visits")
        result = self.rpc("leads", "register_visit", _registrar(user, json_body(request)))
        result["customer"] = private_view(user, result["customer"])
        return json_response(result, 201)

    @http(*endpoint("POST", "/api/v1/calls"))
    @api
    def register_call(self, request):
        user = self.authorize(request, "POST", "/api/v1/calls")
        result = self.rpc("leads", "register_call", _registrar(user, json_body(request)))
        result["customer"] = private_view(user, result["customer"])
        return json_response(result, 201)

    @http(*endpoint("GET", "/api/v1/offices/{office_id}/known-customers"))
    @api
    def known_customer(self, request, office_id):
        user = self.authorize(request, "GET", "/api/v1/offices/{office_id}/known-customers")
        query = load(KnownCustomerBody(), dict(request.args))
        purpose = query.get("purpose") or "returning customer recognised at registration"
        payload = _registrar(user, {"office_id": office_id, "mobile": query["mobile"]})
        return json_response(self.rpc("leads", "known_customer", {
            **payload, **read_by(user, purpose=purpose)}))

    @http(*endpoint("PUT", "/api/v1/offices/{office_id}/roster"))
    @api
    def set_office_roster(self, request, office_id):
        user = self.authorize(request, "PUT", "/api/v1/offices/{office_id}/roster")
        payload = {**load(OfficeRosterBody(), json_body(request)), "office_id": office_id,
                   **_manager(user)}
        if payload.get("day") is not None:
            payload["day"] = payload["day"].isoformat()
        return json_response(self.rpc("leads", "set_office_roster", payload))

    @http(*endpoint("POST", "/api/v1/customers/{customer_id}/reassignments"))
    @api
    def reassign_customer(self, request, customer_id):
        user = self.authorize(request, "POST", "/api/v1/customers/{customer_id}/reassignments")
        return self._reassign(request, user, customer_id, "reassign_customer")

    @http(*endpoint("POST", "/api/v1/customers/{customer_id}/hopeless-reassignments"))
    @api
    def reassign_hopeless(self, request, customer_id):
        user = self.authorize(request, "POST",
                              "/api/v1/customers/{customer_id}/hopeless-reassignments")
        return self._reassign(request, user, customer_id, "reassign_hopeless")

    def _reassign(self, request, user, customer_id, method):
        payload = {**load(ReassignmentBody(), json_body(request)), "customer_id": customer_id,
                   "decided_by": user.username, **_manager(user)}
        result = self.rpc("leads", method, payload)
        result["customer"] = private_view(user, result["customer"])
        return json_response(result, 201)

    @http(*endpoint("GET", "/api/v1/customers/{customer_id}/file"))
    @api
    def customer_file(self, request, customer_id):
        user = self.authorize(request, "GET", "/api/v1/customers/{customer_id}/file")
        result = self.rpc("leads", "customer_file", {
            "customer_id": customer_id, **read_by(user, request), **_manager(user)})
        return json_response(_private_file(user, result))

    @http(*endpoint("PUT", "/api/v1/customers/{customer_id}/grade"))
    @api
    def grade_customer(self, request, customer_id):
        user = self.authorize(request, "PUT", "/api/v1/customers/{customer_id}/grade")
        payload = {**load(GradeBody(), json_body(request)), "customer_id": customer_id,
                   **_acting(user), **_manager(user)}
        return json_response(_private_file(user, self.rpc("leads", "grade_customer", payload)))

    @http(*endpoint("POST", "/api/v1/customers/{customer_id}/follow-ups"))
    @api
    def record_follow_up(self, request, customer_id):
        user = self.authorize(request, "POST", "/api/v1/customers/{customer_id}/follow-ups")
        if user.consultant_id is None:
            raise Forbidden("only the customer's own consultant logs follow-ups",
                            {"consultant_id": ["your user is not a consultant"]})
        body = load(FollowUpBody(), json_body(request))
        if body.get("next_appointment") is not None:
            body["next_appointment"] = body["next_appointment"].isoformat()
        payload = {**body, "customer_id": customer_id, "actor": actor(user)}
        return json_response(self.rpc("leads", "record_follow_up", payload), 201)

    @http(*endpoint("POST", "/api/v1/customers/{customer_id}/hopeless"))
    @api
    def mark_hopeless(self, request, customer_id):
        user = self.authorize(request, "POST", "/api/v1/customers/{customer_id}/hopeless")
        payload = {**load(HopelessBody(), json_body(request)), "customer_id": customer_id,
                   **_acting(user), **_manager(user)}
        return json_response(_private_file(user, self.rpc("leads", "mark_hopeless", payload)),
                             201)

    @http(*endpoint("GET", "/api/v1/offices/{office_id}/hopeless-customers"))
    @api
    def hopeless_customers(self, request, office_id):
        user = self.authorize(request, "GET", "/api/v1/offices/{office_id}/hopeless-customers")
        result = self.rpc("leads", "hopeless_customers", {"office_id": office_id,
                                                          **_manager(user)})
        result["customers"] = [private_view(user, c) for c in result["customers"]]
        return json_response(result)

    @http(*endpoint("PUT", "/api/v1/customers/{customer_id}/profile"))
    @api
    def update_profile(self, request, customer_id):
        user = self.authorize(request, "PUT", "/api/v1/customers/{customer_id}/profile")
        body = load(ProfileBody(), json_body(request))
        for member in body.get("family") or []:
            if member.get("birthday") is not None:
                member["birthday"] = member["birthday"].isoformat()
        _acting(user)
        payload = {**body, "customer_id": customer_id, **_manager(user)}
        return json_response(_private_file(user, self.rpc("leads", "update_profile", payload)))

    @http(*endpoint("GET", "/api/v1/consultants/{consultant_id}/care-reminders"))
    @api
    def care_reminders(self, request, consultant_id):
        user = self.authorize(request, "GET", "/api/v1/consultants/{consultant_id}/care-reminders")
        if not user.is_manager and user.consultant_id != consultant_id:
            raise Forbidden("a consultant sees only their own reminders",
                            {"consultant_id": ["not yours"]})
        query = load(CareRemindersDayQuery(), dict(request.args))
        payload = {"consultant_id": consultant_id, **_manager(user)}
        if query.get("day") is not None:
            payload["day"] = query["day"].isoformat()
        return json_response(self.rpc("leads", "care_reminders", payload))

    @http(*endpoint("GET", "/api/v1/consultants/{consultant_id}/customers"))
    @api
    def consultant_customers(self, request, consultant_id):
        user = self.authorize(request, "GET", "/api/v1/consultants/{consultant_id}/customers")
        if not user.is_manager and user.consultant_id != consultant_id:
            raise Forbidden("a consultant sees only their own customers",
                            {"consultant_id": ["not yours"]})
        query = load(ConsultantCustomersDayQuery(), dict(request.args))
        payload = {"consultant_id": consultant_id, **_manager(user)}
        if query.get("day") is not None:
            payload["day"] = query["day"].isoformat()
        return json_response(self.rpc("leads", "consultant_customers", payload))

    @http(*endpoint("POST", "/api/v1/call-lists"))
    @api
    def import_call_list(self, request):
        user = self.authorize(request, "POST", "/api/v1/call-lists")
        query = load(CallListQuery(), dict(request.args))
        job = send_upload(request, lambda chunk: self.rpc("leads", "upload_call_list", {
            **chunk, **query, "uploaded_by": user.username, "actor": actor(user)},
            timeout=UPLOAD_TIMEOUT))
        return job_accepted(job, f"/api/v1/call-list-imports/{job['id']}")

    @http(*endpoint("GET", "/api/v1/call-list-imports/{job_id}"))
    @api
    def get_call_list_import(self, request, job_id):
        user = self.authorize(request, "GET", "/api/v1/call-list-imports/{job_id}")
        return json_response(self.rpc("leads", "get_call_list_import", {"job_id": job_id,
                                                                        "actor": actor(user)}))

    @http(*endpoint("GET", "/api/v1/customers/{customer_id}"))
    @api
    def get_customer(self, request, customer_id):
        user = self.authorize(request, "GET", "/api/v1/customers/{customer_id}")
        customer = self.rpc("leads", "get_customer", {"customer_id": customer_id,
                                                      **read_by(user, request),
                                                      **_manager(user)})
        return json_response(private_view(user, customer))

    @http(*endpoint("POST", "/api/v1/call-pool/distributions"))
    @api
    def distribute_call_pool(self, request):
        user = self.authorize(request, "POST", "/api/v1/call-pool/distributions")
        return json_response(self.rpc("leads", "distribute_call_pool",
                                      {**json_body(request), **_manager(user)}), 201)

    @http(*endpoint("GET", "/api/v1/call-agents/{agent_id}/leads"))
    @api
    def agent_leads(self, request, agent_id):
        user = self.authorize(request, "GET", "/api/v1/call-agents/{agent_id}/leads")
        if not user.is_manager and user.consultant_id != agent_id:
            raise Forbidden("an agent sees only their own numbers", {"agent_id": ["not yours"]})
        return json_response(self.rpc("leads", "agent_leads",
                                      {"agent_id": agent_id, **_manager(user)}))

    @http(*endpoint("POST", "/api/v1/call-leads/{call_lead_id}/calls"))
    @api
    def record_call(self, request, call_lead_id):
        user = self.authorize(request, "POST", "/api/v1/call-leads/{call_lead_id}/calls")
        if user.consultant_id is None:
            raise Forbidden("the user is not linked to a call agent",
                            {"agent_id": ["set the user's consultant_id to the agent's id"]})
        body = load(RecordCallBody(), json_body(request))
        if body.get("invite_at") is not None:
            body["invite_at"] = body["invite_at"].isoformat()
        payload = {**body, "call_lead_id": call_lead_id, "actor": actor(user)}
        return json_response(self.rpc("leads", "record_call", payload), 201)

    @http(*endpoint("POST", "/api/v1/invitations/{invitation_id}/confirmation"))
    @api
    def confirm_invitation(self, request, invitation_id):
        user = self.authorize(request, "POST", "/api/v1/invitations/{invitation_id}/confirmation")
        if user.consultant_id is None:
            raise Forbidden("only the receiving consultant confirms",
                            {"consultant_id": ["your user is not a consultant"]})
        return json_response(self.rpc("leads", "confirm_invitation", {
            "invitation_id": invitation_id, "actor": actor(user)}), 201)

    @http(*endpoint("GET", "/api/v1/offices/{office_id}/call-center/day"))
    @api
    def call_center_day(self, request, office_id):
        user = self.authorize(request, "GET", "/api/v1/offices/{office_id}/call-center/day")
        query = load(CallCenterDayBody(), dict(request.args))
        payload = {"office_id": office_id, **_manager(user)}
        if query.get("day") is not None:
            payload["day"] = query["day"].isoformat()
        result = self.rpc("leads", "call_center_day", payload)
        _agent_in_office(user, office_id, [row["agent_id"] for row in result["agents"]])
        return json_response(result)

    @http(*endpoint("GET", "/api/v1/call-center/sources"))
    @api
    def call_source_conversion(self, request):
        user = self.authorize(request, "GET", "/api/v1/call-center/sources")
        query = load(SourceConversionBody(), dict(request.args))
        return json_response(self.rpc("leads", "call_source_conversion",
                                      {**query, **_manager(user)}))

    @http(*endpoint("GET", "/api/v1/offices/{office_id}/call-center/ranking"))
    @api
    def call_center_ranking(self, request, office_id):
        user = self.authorize(request, "GET", "/api/v1/offices/{office_id}/call-center/ranking")
        query = load(CallCenterMonthBody(), dict(request.args))
        result = self.rpc("leads", "call_center_ranking",
                          {**query, "office_id": office_id, **_manager(user)})
        _agent_in_office(user, office_id, [row["agent_id"] for row in result["ranking"]])
        return json_response(result)

    @http(*endpoint("GET", "/api/v1/offices/{office_id}/exports/visit-register"))
    @api
    def export_visit_register(self, request, office_id):
        return self._export(request, office_id, "visits", "visit-register")

    @http(*endpoint("GET", "/api/v1/offices/{office_id}/exports/call-register"))
    @api
    def export_call_register(self, request, office_id):
        return self._export(request, office_id, "calls", "call-register")

    @http(*endpoint("GET", "/api/v1/offices/{office_id}/exports/grade-tracking"))
    @api
    def export_grade_tracking(self, request, office_id):
        return self._export(request, office_id, "grades", "grade-tracking")

    def _export(self, request, office_id, kind, path):
        user = self.authorize(request, "GET", f"/api/v1/offices/{{office_id}}/exports/{path}")
        query = load(ExportQuery(), dict(request.args))
        payload = {"kind": kind, "office_id": office_id, "exported_by": user.username,
                   **_manager(user)}
        for day in ("date_from", "date_to"):
            if query.get(day) is not None:
                payload[day] = query[day].isoformat()
        result = self.rpc("leads", "export", payload, timeout=max(RPC_TIMEOUT, 60))
        return xlsx_response(result["content"], result["file_name"],
                             {"X-Export-Rows": str(result["rows"])})

    @http(*endpoint("GET", "/api/v1/offices/{office_id}/exports"))
    @api
    def export_log(self, request, office_id):
        user = self.authorize(request, "GET", "/api/v1/offices/{office_id}/exports")
        return json_response(self.rpc("leads", "export_log", {"office_id": office_id,
                                                              **_manager(user)}))


def _acting(user) -> dict:
    """Who acts on a customer: a consultant in their own name (their customers only, as the
    service checks too); a manager for the whole office."""
    if not user.is_manager and user.consultant_id is None:
        raise Forbidden("only consultants and managers act on customers",
                        {"consultant_id": ["your user is not a consultant"]})
    return {"changed_by": user.username}


def _registrar(user, body):
    """The registration as the caller sends it, with who registers it from the token (never
    from the body): one registers in one's own office (leads' scope.registration)."""
    if not isinstance(body, dict):
        return body  # refused by the service's schema
    return {**body, **_manager(user)}


def _manager(user) -> dict:
    """Who acts, as the leads service checks it (services/leads/scope.py): a sales manager
    within the office their manager record manages, refused here already when the user names
    none; general managers and admins see every office."""
    if user.role == "sales_manager" and user.consultant_id is None:
        raise Forbidden("a sales manager sees only the office they manage", {"office_id": [
            "your user is not linked to an office's manager record, so no office is yours"]})
    return {"actor": actor(user)}


def _agent_in_office(user, office_id, agent_ids) -> None:
    """A call agent reads the figures of their own office's agents only."""
    if user.role == "call_agent" and user.consultant_id not in agent_ids:
        raise Forbidden("a call agent sees only their own office's figures", {"office_id": [
            f"office {office_id} is not yours: you are not one of its call agents"]})


def _private_file(user, result: dict) -> dict:
    """A customer file as `user` may see it: the contact details of the customer and their
    family only for those who see the customer's (private_view)."""
    if can_see_contact(user, result["customer"]["visible_to"]):
        return result
    return file_without_contact_details(result, mask_mobile)
