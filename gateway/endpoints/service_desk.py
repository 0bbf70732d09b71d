"""Gateway routes for complaints (the complaints service)."""
from nameko.web.handlers import http

from gateway.api import api, json_body, json_response
from gateway.endpoints import endpoint


class ServiceDeskEndpoints:
    """Mixed into GatewayService, which gives `authorize` and `rpc`."""

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
