"""Gateway routes for complaints and the dossiers (the complaints and archive services)."""
from nameko.web.handlers import http

from contracts.base import load
from gateway.api import api, json_body, json_response
from gateway.endpoints import actor, acts_on_every_project, endpoint
from gateway.routes import DossierQuery


class ServiceDeskEndpoints:
    """Mixed into GatewayService, which gives `authorize` and `rpc`."""

    @http(*endpoint("GET", "/api/v1/units/{unit_id}/dossier"))
    @api
    def read_dossier(self, request, unit_id):
        user = self.authorize(request, "GET", "/api/v1/units/{unit_id}/dossier")
        asked = load(DossierQuery(), dict(request.args))  # a purpose, or 400 naming it
        if not acts_on_every_project(user):
            # a dossier is read in the unit's project only (inventory refuses another's)
            self.rpc("inventory", "get_unit", {"unit_id": unit_id, "actor": actor(user)})
        query = {"unit_id": unit_id, "reader": user.username, "purpose": asked["purpose"]}
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
