"""Gateway routes for complaints and repairs (the complaints service).

Every complaint and repair call carries who acts as the suite's actor (contracts.scope, the
same form inventory and transactions get); the complaints service checks the role of each
step, the projects and the consultant's own customers again."""
from contracts.errors import InvalidInput
from gateway.api import api, http, json_body, json_response
from gateway.endpoints import actor as scope_of, check_project, endpoint, read_by
from gateway.tables import xlsx_response

INTEGER_ARGS = ("project_id", "limit")


def actor(user) -> dict:
    """The payload's `actor`: the user's scope as every service checks it."""
    return {"actor": scope_of(user)}


def query_args(request) -> dict:
    """The query string, with whole numbers as numbers (the service checks the rest)."""
    args = {}
    for key, value in request.args.items():
        args[key] = int(value) if key in INTEGER_ARGS and value.isdigit() else value
    return args


def _step(kind, suffix, rpc_method):
    """A POST on /api/v1/{kind}s/{id}/{suffix} that calls `rpc_method` with the body, the id
    and the caller (the caller's name and role cannot be set from the body)."""
    key = f"{kind}_id"
    path = f"/api/v1/{kind}s/{{{key}}}/{suffix}"

    @http(*endpoint("POST", path))
    @api
    def handler(self, request, **ids):
        user = self.authorize(request, "POST", path)
        payload = {**json_body(request), **actor(user), key: ids[key]}
        return json_response(self.rpc("complaints", rpc_method, payload))
    handler.__name__ = f"{kind}_{suffix.replace('-', '_')}"
    return handler


class ServiceDeskEndpoints:
    """Mixed into GatewayService, which gives `authorize` and `rpc`."""

    @http(*endpoint("POST", "/api/v1/complaints"))
    @api
    def file_complaint(self, request):
        user = self.authorize(request, "POST", "/api/v1/complaints")
        payload = {**json_body(request), **actor(user)}
        if isinstance(payload.get("unit_id"), int) and payload["unit_id"] > 0:
            # an unknown unit is refused by inventory (404 naming unit_id)
            unit = self.rpc("inventory", "get_unit", {"unit_id": payload["unit_id"],
                                                      "actor": scope_of(user)})
            payload.setdefault("project_id", unit["project_id"])
            if payload["project_id"] != unit["project_id"]:
                raise InvalidInput("the unit is in another project",
                                   {"project_id": [f"unit {unit['id']} is in project "
                                                   f"{unit['project_id']}"]})
        if isinstance(payload.get("project_id"), int):
            check_project(user, payload["project_id"])
        if isinstance(payload.get("customer_id"), int) and payload["customer_id"] > 0:
            # an unknown customer is refused by leads (404 naming customer_id); the customer's
            # consultant is kept so that consultant sees the complaint
            customer = self.rpc("leads", "get_customer", {
                "customer_id": payload["customer_id"], "actor": scope_of(user),
                **read_by(user, purpose="the complaint's customer and consultant")})
            payload["customer_consultant_id"] = customer.get("consultant_id")
        return json_response(self.rpc("complaints", "file_complaint", payload), 201)

    @http(*endpoint("GET", "/api/v1/complaints"))
    @api
    def list_complaints(self, request):
        user = self.authorize(request, "GET", "/api/v1/complaints")
        return json_response(self.rpc("complaints", "list_complaints",
                                      {**query_args(request), **actor(user)}))

    @http(*endpoint("GET", "/api/v1/complaints/{complaint_id}"))
    @api
    def get_complaint(self, request, complaint_id):
        user = self.authorize(request, "GET", "/api/v1/complaints/{complaint_id}")
        return json_response(self.rpc("complaints", "get_complaint",
                                      {"complaint_id": complaint_id, **actor(user)}))

    @http(*endpoint("GET", "/api/v1/complaints/{complaint_id}/record-card.xlsx"))
    @api
    def get_record_card_xlsx(self, request, complaint_id):
        user = self.authorize(request, "GET", "/api/v1/complaints/{complaint_id}/record-card.xlsx")
        return self._xlsx({"kind": "record_card", "complaint_id": complaint_id, **actor(user)})

    @http(*endpoint("GET", "/api/v1/complaints/{complaint_id}/investigation-report.xlsx"))
    @api
    def get_investigation_report_xlsx(self, request, complaint_id):
        user = self.authorize(request, "GET",
                              "/api/v1/complaints/{complaint_id}/investigation-report.xlsx")
        return self._xlsx({"kind": "investigation_report", "complaint_id": complaint_id,
                           **actor(user)})

    accept_complaint = _step("complaint", "acceptance", "accept_complaint")
    reject_complaint = _step("complaint", "rejection", "reject_complaint")
    route_complaint = _step("complaint", "routing", "route_complaint")
    await_customer = _step("complaint", "waiting", "await_customer")
    resume_complaint = _step("complaint", "resumption", "resume_complaint")
    report_investigation = _step("complaint", "investigation-report", "report_investigation")
    review_complaint = _step("complaint", "review", "review_complaint")
    resolve_complaint = _step("complaint", "resolution", "resolve_complaint")
    reply_complaint = _step("complaint", "reply", "reply_complaint")
    close_complaint = _step("complaint", "closure", "close_complaint")
    record_accountability = _step("complaint", "accountability", "record_accountability")
    visit_complaint = _step("complaint", "visit", "visit_complaint")
    reopen_complaint = _step("complaint", "reopening", "reopen_complaint")

    @http(*endpoint("POST", "/api/v1/projects/{project_id}/clock-policies"))
    @api
    def set_clock_policy(self, request, project_id):
        user = self.authorize(request, "POST", "/api/v1/projects/{project_id}/clock-policies")
        check_project(user, project_id)
        return json_response(self.rpc("complaints", "set_clock_policy", {
            **json_body(request), **actor(user), "project_id": project_id}), 201)

    @http(*endpoint("POST", "/api/v1/projects/{project_id}/calendar-entries"))
    @api
    def set_calendar_entry(self, request, project_id):
        user = self.authorize(request, "POST", "/api/v1/projects/{project_id}/calendar-entries")
        check_project(user, project_id)
        return json_response(self.rpc("complaints", "set_calendar_entry", {
            **json_body(request), **actor(user), "project_id": project_id}), 201)

    @http(*endpoint("GET", "/api/v1/complaint-statistics"))
    @api
    def complaint_statistics(self, request):
        user = self.authorize(request, "GET", "/api/v1/complaint-statistics")
        return json_response(self.rpc("complaints", "monthly_statistics",
                                      {**query_args(request), **actor(user)}))

    @http(*endpoint("GET", "/api/v1/complaint-statistics.xlsx"))
    @api
    def complaint_statistics_xlsx(self, request):
        user = self.authorize(request, "GET", "/api/v1/complaint-statistics.xlsx")
        return self._xlsx({**query_args(request), **actor(user), "kind": "monthly_statistics"})

    @http(*endpoint("GET", "/api/v1/complaint-accountability"))
    @api
    def complaint_accountability(self, request):
        user = self.authorize(request, "GET", "/api/v1/complaint-accountability")
        return json_response(self.rpc("complaints", "accountability_list",
                                      {**query_args(request), **actor(user)}))

    # ---- repairs ----

    @http(*endpoint("POST", "/api/v1/contractors"))
    @api
    def register_contractor(self, request):
        user = self.authorize(request, "POST", "/api/v1/contractors")
        return json_response(self.rpc("complaints", "register_contractor",
                                      {**json_body(request), **actor(user)}), 201)

    @http(*endpoint("GET", "/api/v1/contractors"))
    @api
    def list_contractors(self, request):
        user = self.authorize(request, "GET", "/api/v1/contractors")
        return json_response(self.rpc("complaints", "list_contractors", actor(user)))

    @http(*endpoint("POST", "/api/v1/contractors/{contractor_id}/evaluations"))
    @api
    def evaluate_contractor(self, request, contractor_id):
        user = self.authorize(request, "POST", "/api/v1/contractors/{contractor_id}/evaluations")
        return json_response(self.rpc("complaints", "evaluate_contractor", {
            **json_body(request), **actor(user), "contractor_id": contractor_id}), 201)

    @http(*endpoint("POST", "/api/v1/repairs"))
    @api
    def order_repair(self, request):
        user = self.authorize(request, "POST", "/api/v1/repairs")
        payload = {**json_body(request), **actor(user)}
        if isinstance(payload.get("unit_id"), int) and payload["unit_id"] > 0:
            unit = self.rpc("inventory", "get_unit", {"unit_id": payload["unit_id"],
                                                      "actor": scope_of(user)})
            payload.setdefault("project_id", unit["project_id"])
        if isinstance(payload.get("project_id"), int):
            check_project(user, payload["project_id"])
        return json_response(self.rpc("complaints", "order_repair", payload), 201)

    @http(*endpoint("GET", "/api/v1/repairs/{repair_id}"))
    @api
    def get_repair(self, request, repair_id):
        user = self.authorize(request, "GET", "/api/v1/repairs/{repair_id}")
        return json_response(self.rpc("complaints", "get_repair",
                                      {"repair_id": repair_id, **actor(user)}))

    record_arrival = _step("repair", "arrival", "record_arrival")
    start_self_repair = _step("repair", "self-repair", "start_self_repair")
    complete_repair = _step("repair", "completion", "complete_repair")
    sign_repair = _step("repair", "signatures", "sign_repair")
    visit_repair = _step("repair", "visit", "visit_repair")

    @http(*endpoint("GET", "/api/v1/repair-register.xlsx"))
    @api
    def repair_register_xlsx(self, request):
        user = self.authorize(request, "GET", "/api/v1/repair-register.xlsx")
        return self._xlsx({**query_args(request), **actor(user), "kind": "repair_register"})

    def _xlsx(self, payload):
        file = self.rpc("complaints", "export_xlsx", payload)
        return xlsx_response(file["content_base64"], file["file_name"])
