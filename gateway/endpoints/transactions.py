"""Gateway routes for deposits (the transactions service)."""
from nameko.web.handlers import http

from gateway.api import api, json_body, json_response
from gateway.endpoints import as_consultant, endpoint


class TransactionsEndpoints:
    """Mixed into GatewayService, which gives `authorize` and `rpc`."""

    @http(*endpoint("POST", "/api/v1/deposits"))
    @api
    def take_deposit(self, request):
        user = self.authorize(request, "POST", "/api/v1/deposits")
        payload = as_consultant(user, json_body(request))
        return json_response(self.rpc("transactions", "take_deposit", payload), 201)

    @http(*endpoint("GET", "/api/v1/deposits/{deposit_id}"))
    @api
    def get_deposit(self, request, deposit_id):
        self.authorize(request, "GET", "/api/v1/deposits/{deposit_id}")
        return json_response(self.rpc("transactions", "get_deposit", {"deposit_id": deposit_id}))
