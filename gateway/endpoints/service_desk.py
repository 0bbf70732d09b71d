"""Gateway routes for complaints and repairs (the complaints service).

Every complaint and repair call carries who acts as the suite's actor (contracts.scope, the
same form inventory and transactions get); the complaints service checks the role of each
step, the projects and the consultant's own customers again."""
from contracts.errors import InvalidInput
from gateway.api import json_body, json_response, query_values
from gateway.endpoints import actor as scope_of, check_project, read_by
from gateway.routes import MonthBody
from gateway.tables import xlsx_response


def actor(user) -> dict:
    """The payload's `actor`: the user's scope as every service checks it."""
    return {"actor": scope_of(user)}


class ServiceDeskEndpoints:
    """Mixed into GatewayService, which gives `rpc`; the route table names each handler."""

    def file_complaint(self, request, user):
        payload = {**json_body(request), **actor(user)}
        payload.pop("customer_consultant_id", None)  # leads says who, never the body
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

    def get_record_card_xlsx(self, request, user, complaint_id):
        return self._xlsx({"kind": "record_card", "complaint_id": complaint_id, **actor(user)})

    def get_investigation_report_xlsx(self, request, user, complaint_id):
        return self._xlsx({"kind": "investigation_report", "complaint_id": complaint_id,
                           **actor(user)})

    def complaint_statistics_xlsx(self, request, user):
        return self._xlsx({**query_values(MonthBody(), request.args), **actor(user),
                           "kind": "monthly_statistics"})

    # ---- repairs ----

    def order_repair(self, request, user):
        payload = {**json_body(request), **actor(user)}
        if isinstance(payload.get("unit_id"), int) and payload["unit_id"] > 0:
            unit = self.rpc("inventory", "get_unit", {"unit_id": payload["unit_id"],
                                                      "actor": scope_of(user)})
            payload.setdefault("project_id", unit["project_id"])
        if isinstance(payload.get("project_id"), int):
            check_project(user, payload["project_id"])
        return json_response(self.rpc("complaints", "order_repair", payload), 201)

    def repair_register_xlsx(self, request, user):
        return self._xlsx({**query_values(MonthBody(), request.args), **actor(user),
                           "kind": "repair_register"})

    def _xlsx(self, payload):
        file = self.rpc("complaints", "export_xlsx", payload)
        return xlsx_response(file["content_base64"], file["file_name"])
