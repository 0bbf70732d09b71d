"""Gateway routes for opening day (开盘): queue numbers and their 诚意金 (transactions), the
opening, its order and the selections (inventory)."""
from contracts.base import load
from gateway import idempotency, routes
from gateway.api import json_body, json_response
from gateway.endpoints import (RPC_TIMEOUT, actor, as_consultant, check_own_customer,
                               check_project)
from gateway.tables import xlsx_response


class OpeningEndpoints:
    """Mixed into GatewayService, which gives `rpc`; the route table names each handler."""

    def take_queue_number(self, request, user, project_id):
        check_project(user, project_id)
        body = as_consultant(user, json_body(request))
        body = routes.QueueNumberBody().dump(load(routes.QueueNumberBody(), body))
        if user.role == "consultant" and isinstance(body.get("customer_id"), int):
            check_own_customer(self, user, body["customer_id"])
        with idempotency.header_errors():
            return json_response(self.rpc("transactions", "take_queue_number", {
                **body, "actor": actor(user), "project_id": project_id,
                "idempotency_key": idempotency.service_key(user, request)}), 201)

    def set_opening_entrants(self, request, user, opening_id):
        """The entrants are the project's active queue numbers (transactions'), as they stand."""
        opening = self.rpc("inventory", "get_opening", {"actor": actor(user),
                                                        "opening_id": opening_id})
        check_project(user, opening["project_id"])
        queue = self.rpc("transactions", "list_queue_numbers", {
            "actor": actor(user), "project_id": opening["project_id"], "status": "active"})
        entrants = [{"queue_number_id": q["id"], "number": q["number"],
                     "customer_id": q["customer_id"], "consultant_id": q["consultant_id"],
                     "id_number": q["customer_id_number"]} for q in queue["queue_numbers"]]
        return json_response(self.rpc("inventory", "set_opening_entrants", {
            "actor": actor(user), "opening_id": opening_id, "entrants": entrants},
            timeout=max(RPC_TIMEOUT, 60)))

    def select_unit(self, request, user, opening_id):
        """The hot path of opening day: one RPC; inventory checks the scope, the slot, the
        limits and takes the unit in one transaction."""
        body = load(routes.SelectionBody(), json_body(request))
        with idempotency.header_errors():
            return json_response(self.rpc("inventory", "select_unit", {
                **body, "actor": actor(user), "opening_id": opening_id,
                "selected_by": user.username,
                "idempotency_key": idempotency.service_key(user, request)}), 201)

    def get_opening_results(self, request, user, opening_id):
        file = self.rpc("inventory", "get_opening_results_xlsx", {
            "actor": actor(user), "opening_id": opening_id}, timeout=max(RPC_TIMEOUT, 60))
        return xlsx_response(file["content_base64"], file["file_name"])
