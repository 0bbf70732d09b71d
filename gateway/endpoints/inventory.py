"""Gateway routes for projects, units, the board, holds and waitlists (the inventory service)."""
import base64
import gzip

from werkzeug.wrappers import Response

from contracts.base import load
from contracts.errors import Forbidden, InvalidInput
from gateway.api import json_body, json_response
from contracts.inventory import CreateChannelSchema
from gateway.endpoints import (RPC_TIMEOUT, acts_on_every_project, actor, as_consultant,
                               check_own_customer, check_project)
from gateway.routes import (BoardQuery, ChannelProjectsBody, HoldApprovalBody,
                            HoldExtensionBody, HoldReleaseBody, HoldUnitBody, UnitImportQuery,
                            UnitPriceQuery, WaitlistBody)
from gateway.tables import UPLOAD_TIMEOUT, job_accepted, send_upload, xlsx_response


def _outside_channels(user) -> None:
    """Which projects a channel sells is the developer's decision, not the channel's."""
    if user.channel_id is not None:
        raise Forbidden("a sales channel's user cannot set up channels",
                        {"channel_id": ["you belong to a channel"]})


class InventoryEndpoints:
    """Mixed into GatewayService, which gives `rpc`; the route table names each handler."""

    def create_project(self, request, user):
        return json_response(self.rpc("inventory", "create_project", json_body(request)), 201)

    def get_board(self, request, user, project_id):
        check_project(user, project_id)
        query = load(BoardQuery(), dict(request.args))
        # the service writes the board as gzipped JSON text: passed on, never parsed here
        packed = self.rpc("inventory", "get_board", {
            "actor": actor(user), **query, "project_id": project_id,
            "channel_id": user.channel_id})
        body = base64.b64decode(packed["gzip_base64"])
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            return Response(body, mimetype="application/json",
                            headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
        return Response(gzip.decompress(body), mimetype="application/json",
                        headers={"Vary": "Accept-Encoding"})

    def get_board_xlsx(self, request, user, project_id):
        check_project(user, project_id)
        query = load(BoardQuery(), dict(request.args))
        file = self.rpc("inventory", "get_board_xlsx", {
            "actor": actor(user), **query, "project_id": project_id,
            "channel_id": user.channel_id}, timeout=max(RPC_TIMEOUT, 60))
        return xlsx_response(file["content_base64"], file["file_name"])

    def get_unit(self, request, user, unit_id):
        self._check_unit_project(user, unit_id)
        return json_response(self.rpc("inventory", "get_unit", {
            "actor": actor(user), "unit_id": unit_id, "channel_id": user.channel_id}))

    def get_unit_history(self, request, user, unit_id):
        self._check_unit_project(user, unit_id)
        return json_response(self.rpc("inventory", "get_unit_history", {
            "actor": actor(user), "unit_id": unit_id, "channel_id": user.channel_id}))

    def import_units(self, request, user, project_id):
        check_project(user, project_id)
        query = load(UnitImportQuery(), dict(request.args))
        job = send_upload(request, lambda chunk: self.rpc("inventory", "upload_unit_table", {
            **chunk, **query, "actor": actor(user), "project_id": project_id,
            "channel_id": user.channel_id,
            "uploaded_by": user.username}, timeout=UPLOAD_TIMEOUT))
        return job_accepted(job, f"/api/v1/projects/{project_id}/unit-imports/{job['id']}")

    def get_unit_price(self, request, user, unit_id):
        self._check_unit_project(user, unit_id)
        query = load(UnitPriceQuery(), dict(request.args))
        return json_response(self.rpc("inventory", "get_unit_price", {
            "actor": actor(user), **UnitPriceQuery().dump(query),
            "unit_id": unit_id, "channel_id": user.channel_id}))

    def create_channel(self, request, user):
        _outside_channels(user)
        body = load(CreateChannelSchema(), json_body(request))
        for project_id in body["project_ids"]:
            check_project(user, project_id)
        return json_response(self.rpc("inventory", "create_channel",
                                      {**body, "actor": actor(user)}), 201)

    def get_channel(self, request, user, channel_id):
        if user.channel_id not in (None, channel_id):
            raise Forbidden("a channel's users see only their own channel",
                            {"channel_id": ["not your channel"]})
        return json_response(self.rpc("inventory", "get_channel", {"channel_id": channel_id}))

    def set_channel_projects(self, request, user, channel_id):
        _outside_channels(user)
        body = load(ChannelProjectsBody(), json_body(request))
        for project_id in body["project_ids"]:
            check_project(user, project_id)
        return json_response(self.rpc("inventory", "set_channel_projects",
                                      {**body, "channel_id": channel_id, "actor": actor(user)}))

    def hold_unit(self, request, user):
        payload = as_consultant(user, load(HoldUnitBody(), json_body(request)))
        check_own_customer(self, user, payload["customer_id"])
        self._check_unit_project(user, payload["unit_id"])
        return json_response(self.rpc("inventory", "hold_unit", {
            "actor": actor(user), **payload, "channel_id": user.channel_id}), 201)

    def get_hold(self, request, user, hold_id):
        self._check_hold_project(user, hold_id)
        return json_response(self.rpc("inventory", "get_hold", {
            "actor": actor(user), "hold_id": hold_id, "channel_id": user.channel_id}))

    def approve_hold(self, request, user, hold_id):
        body = load(HoldApprovalBody(), json_body(request))
        self._check_hold_project(user, hold_id)
        return json_response(self.rpc("inventory", "approve_hold", {
            "actor": actor(user), **body, "hold_id": hold_id, "manager": user.username,
            "channel_id": user.channel_id}))

    def extend_hold(self, request, user, hold_id):
        body = load(HoldExtensionBody(), json_body(request))
        self._check_hold_project(user, hold_id)
        return json_response(self.rpc("inventory", "extend_hold", {
            "actor": actor(user), **body, "hold_id": hold_id, "approved_by": user.username,
            "channel_id": user.channel_id}))

    def release_hold(self, request, user, hold_id):
        body = load(HoldReleaseBody(), json_body(request))
        self._check_hold_project(user, hold_id)
        return json_response(self.rpc("inventory", "release_hold", {
            "actor": actor(user), **body, "hold_id": hold_id, "released_by": user.username,
            "consultant_id": None if user.is_manager else user.consultant_id,
            "channel_id": user.channel_id}))

    def join_waitlist(self, request, user, unit_id):
        body = as_consultant(user, load(WaitlistBody(), json_body(request)))
        if "consultant_id" not in body:
            raise InvalidInput("name the waiting consultant",
                               {"consultant_id": ["required for a manager"]})
        check_own_customer(self, user, body["customer_id"])
        self._check_unit_project(user, unit_id)
        return json_response(self.rpc("inventory", "join_waitlist",
                                      {"actor": actor(user), **body, "unit_id": unit_id,
                                       "channel_id": user.channel_id}), 201)

    def withdraw_from_waitlist(self, request, user, entry_id):
        if not acts_on_every_project(user):
            entry = self.rpc("inventory", "get_waitlist_entry", {"actor": actor(user),
                                                                 "entry_id": entry_id})
            self._check_unit_project(user, entry["unit_id"])
        return json_response(self.rpc("inventory", "withdraw_from_waitlist", {
            "actor": actor(user), "entry_id": entry_id, "channel_id": user.channel_id,
            "consultant_id": None if user.is_manager else user.consultant_id}))

    def _check_unit_project(self, user, unit_id) -> None:
        """Holds, waitlists and unit reads act on the unit's project."""
        if not acts_on_every_project(user):
            unit = self.rpc("inventory", "get_unit", {"actor": actor(user), "unit_id": unit_id})
            check_project(user, unit["project_id"])

    def _check_hold_project(self, user, hold_id) -> None:
        if not acts_on_every_project(user):
            hold = self.rpc("inventory", "get_hold", {"actor": actor(user), "hold_id": hold_id})
            self._check_unit_project(user, hold["unit_id"])
