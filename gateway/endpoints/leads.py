"""Gateway routes for customers, consultants, visits and call lists (the leads service)."""

from contracts.base import load
from contracts.errors import Forbidden
from contracts.leads import file_without_contact_details
from gateway.auth import can_see_contact, mask_mobile
from gateway.api import json_body, json_response
from gateway.endpoints import RPC_TIMEOUT, actor, private_view, read_by
from gateway.routes import (CallCenterDayBody, CallCenterMonthBody, CallListQuery,
                            CareRemindersDayQuery, ConsultantCustomersDayQuery,
                            KnownCustomerBody, ExportQuery, FollowUpBody, GradeBody, HopelessBody,
                            OfficeProjectsBody, OfficeRosterBody, ProfileBody, ReassignmentBody,
                            RecordCallBody)
from gateway.tables import UPLOAD_TIMEOUT, job_accepted, send_upload, xlsx_response


class LeadsEndpoints:
    """Mixed into GatewayService, which gives `rpc`; the route table names each handler."""

    def create_office(self, request, user):
        return json_response(self.rpc("leads", "create_office", json_body(request)), 201)

    def set_office_projects(self, request, user, office_id):
        body = load(OfficeProjectsBody(), json_body(request))
        return json_response(self.rpc("leads", "set_office_projects",
                                      {**body, "office_id": office_id}))

    def set_consultant_status(self, request, user, consultant_id):
        if not user.is_manager and user.consultant_id != consultant_id:
            raise Forbidden("a consultant may change only their own status",
                            {"consultant_id": ["not yours"]})
        payload = {**json_body(request), "consultant_id": consultant_id, **_manager(user)}
        return json_response(self.rpc("leads", "set_consultant_status", payload))

    def register_visit(self, request, user):
        result = self.rpc("leads", "register_visit", _registrar(user, json_body(request)))
        result["customer"] = private_view(user, result["customer"])
        return json_response(result, 201)

    def register_call(self, request, user):
        result = self.rpc("leads", "register_call", _registrar(user, json_body(request)))
        result["customer"] = private_view(user, result["customer"])
        return json_response(result, 201)

    def known_customer(self, request, user, office_id):
        query = load(KnownCustomerBody(), dict(request.args))
        purpose = query.get("purpose") or "returning customer recognised at registration"
        payload = _registrar(user, {"office_id": office_id, "mobile": query["mobile"]})
        return json_response(self.rpc("leads", "known_customer", {
            **payload, **read_by(user, purpose=purpose)}))

    def set_office_roster(self, request, user, office_id):
        payload = {**load(OfficeRosterBody(), json_body(request)), "office_id": office_id,
                   **_manager(user)}
        if payload.get("day") is not None:
            payload["day"] = payload["day"].isoformat()
        return json_response(self.rpc("leads", "set_office_roster", payload))

    def reassign_customer(self, request, user, customer_id):
        return self._reassign(request, user, customer_id, "reassign_customer")

    def reassign_hopeless(self, request, user, customer_id):
        return self._reassign(request, user, customer_id, "reassign_hopeless")

    def _reassign(self, request, user, customer_id, method):
        payload = {**load(ReassignmentBody(), json_body(request)), "customer_id": customer_id,
                   "decided_by": user.username, **_manager(user)}
        result = self.rpc("leads", method, payload)
        result["customer"] = private_view(user, result["customer"])
        return json_response(result, 201)

    def customer_file(self, request, user, customer_id):
        result = self.rpc("leads", "customer_file", {
            "customer_id": customer_id, **read_by(user, request), **_manager(user)})
        return json_response(_private_file(user, result))

    def grade_customer(self, request, user, customer_id):
        payload = {**load(GradeBody(), json_body(request)), "customer_id": customer_id,
                   **_acting(user), **_manager(user)}
        return json_response(_private_file(user, self.rpc("leads", "grade_customer", payload)))

    def record_follow_up(self, request, user, customer_id):
        if user.consultant_id is None:
            raise Forbidden("only the customer's own consultant logs follow-ups",
                            {"consultant_id": ["your user is not a consultant"]})
        body = load(FollowUpBody(), json_body(request))
        if body.get("next_appointment") is not None:
            body["next_appointment"] = body["next_appointment"].isoformat()
        payload = {**body, "customer_id": customer_id, "actor": actor(user)}
        return json_response(self.rpc("leads", "record_follow_up", payload), 201)

    def mark_hopeless(self, request, user, customer_id):
        payload = {**load(HopelessBody(), json_body(request)), "customer_id": customer_id,
                   **_acting(user), **_manager(user)}
        return json_response(_private_file(user, self.rpc("leads", "mark_hopeless", payload)),
                             201)

    def hopeless_customers(self, request, user, office_id):
        result = self.rpc("leads", "hopeless_customers", {"office_id": office_id,
                                                          **_manager(user)})
        result["customers"] = [private_view(user, c) for c in result["customers"]]
        return json_response(result)

    def update_profile(self, request, user, customer_id):
        body = load(ProfileBody(), json_body(request))
        for member in body.get("family") or []:
            if member.get("birthday") is not None:
                member["birthday"] = member["birthday"].isoformat()
        _acting(user)
        payload = {**body, "customer_id": customer_id, **_manager(user)}
        return json_response(_private_file(user, self.rpc("leads", "update_profile", payload)))

    def care_reminders(self, request, user, consultant_id):
        if not user.is_manager and user.consultant_id != consultant_id:
            raise Forbidden("a consultant sees only their own reminders",
                            {"consultant_id": ["not yours"]})
        query = load(CareRemindersDayQuery(), dict(request.args))
        payload = {"consultant_id": consultant_id, **_manager(user)}
        if query.get("day") is not None:
            payload["day"] = query["day"].isoformat()
        return json_response(self.rpc("leads", "care_reminders", payload))

    def consultant_customers(self, request, user, consultant_id):
        if not user.is_manager and user.consultant_id != consultant_id:
            raise Forbidden("a consultant sees only their own customers",
                            {"consultant_id": ["not yours"]})
        query = load(ConsultantCustomersDayQuery(), dict(request.args))
        payload = {"consultant_id": consultant_id, **_manager(user)}
        if query.get("day") is not None:
            payload["day"] = query["day"].isoformat()
        return json_response(self.rpc("leads", "consultant_customers", payload))

    def import_call_list(self, request, user):
        query = load(CallListQuery(), dict(request.args))
        job = send_upload(request, lambda chunk: self.rpc("leads", "upload_call_list", {
            **chunk, **query, "uploaded_by": user.username, "actor": actor(user)},
            timeout=UPLOAD_TIMEOUT))
        return job_accepted(job, f"/api/v1/call-list-imports/{job['id']}")

    def get_customer(self, request, user, customer_id):
        customer = self.rpc("leads", "get_customer", {"customer_id": customer_id,
                                                      **read_by(user, request),
                                                      **_manager(user)})
        return json_response(private_view(user, customer))

    def agent_leads(self, request, user, agent_id):
        if not user.is_manager and user.consultant_id != agent_id:
            raise Forbidden("an agent sees only their own numbers", {"agent_id": ["not yours"]})
        return json_response(self.rpc("leads", "agent_leads",
                                      {"agent_id": agent_id, **_manager(user)}))

    def record_call(self, request, user, call_lead_id):
        if user.consultant_id is None:
            raise Forbidden("the user is not linked to a call agent",
                            {"agent_id": ["set the user's consultant_id to the agent's id"]})
        body = load(RecordCallBody(), json_body(request))
        if body.get("invite_at") is not None:
            body["invite_at"] = body["invite_at"].isoformat()
        payload = {**body, "call_lead_id": call_lead_id, "actor": actor(user)}
        return json_response(self.rpc("leads", "record_call", payload), 201)

    def confirm_invitation(self, request, user, invitation_id):
        if user.consultant_id is None:
            raise Forbidden("only the receiving consultant confirms",
                            {"consultant_id": ["your user is not a consultant"]})
        return json_response(self.rpc("leads", "confirm_invitation", {
            "invitation_id": invitation_id, "actor": actor(user)}), 201)

    def call_center_day(self, request, user, office_id):
        query = load(CallCenterDayBody(), dict(request.args))
        payload = {"office_id": office_id, **_manager(user)}
        if query.get("day") is not None:
            payload["day"] = query["day"].isoformat()
        result = self.rpc("leads", "call_center_day", payload)
        _agent_in_office(user, office_id, [row["agent_id"] for row in result["agents"]])
        return json_response(result)

    def call_center_ranking(self, request, user, office_id):
        query = load(CallCenterMonthBody(), dict(request.args))
        result = self.rpc("leads", "call_center_ranking",
                          {**query, "office_id": office_id, **_manager(user)})
        _agent_in_office(user, office_id, [row["agent_id"] for row in result["ranking"]])
        return json_response(result)

    def export_visit_register(self, request, user, office_id):
        return self._export(request, user, office_id, "visits")

    def export_call_register(self, request, user, office_id):
        return self._export(request, user, office_id, "calls")

    def export_grade_tracking(self, request, user, office_id):
        return self._export(request, user, office_id, "grades")

    def _export(self, request, user, office_id, kind):
        query = load(ExportQuery(), dict(request.args))
        payload = {"kind": kind, "office_id": office_id, "exported_by": user.username,
                   **_manager(user)}
        for day in ("date_from", "date_to"):
            if query.get(day) is not None:
                payload[day] = query[day].isoformat()
        result = self.rpc("leads", "export", payload, timeout=max(RPC_TIMEOUT, 60))
        return xlsx_response(result["content"], result["file_name"],
                             {"X-Export-Rows": str(result["rows"])})



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
