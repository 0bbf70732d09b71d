"""The route table is the one declaration of a route: the dispatcher serves every row and
nothing else, and a `call` row's payload takes who acts from the token, never the body."""
import json

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from contracts.errors import Forbidden, InvalidInput
from gateway.auth import CurrentUser
from gateway.dispatch import nameko_path, rpc_payload, serve_routes
from gateway.routes import ROUTES, Route, route


def _request(body=None, query=None):
    builder = EnvironBuilder(method="POST", query_string=query,
                             data=None if body is None else json.dumps(body),
                             content_type="application/json")
    return Request(builder.get_environ())


def _user(project_ids=(3,)):
    return CurrentUser(id=7, username="li", role="finance", project_ids=list(project_ids))


def test_every_row_answers_by_exactly_one_of_call_and_handler():
    with pytest.raises(ValueError, match="exactly one of call, handler"):
        Route("GET", "/api/v1/x", "x", ("admin",))
    with pytest.raises(ValueError, match="exactly one of call, handler"):
        Route("GET", "/api/v1/x", "x", ("admin",), call="leads.x", handler="x")


def test_a_row_naming_a_missing_method_fails_when_the_service_is_built(monkeypatch):
    import gateway.dispatch as dispatch
    monkeypatch.setattr(dispatch, "ROUTES", (
        Route("GET", "/api/v1/x", "x", ("admin",), handler="no_such_method"),))
    with pytest.raises(TypeError, match="no method no_such_method"):
        serve_routes(type("Service", (), {}))


def test_the_service_serves_every_row_and_no_route_outside_the_table():
    from gateway.service import GatewayService
    served = set()
    for name in dir(GatewayService):
        for entrypoint in getattr(getattr(GatewayService, name), "nameko_entrypoints", ()):
            if hasattr(entrypoint, "url"):
                served.add((entrypoint.method, entrypoint.url))
    table = {(row.method, nameko_path(row.path)) for row in ROUTES}
    assert served - table == {("GET", "/api/v1/openapi.json")}  # the table's own description
    assert table <= served
    assert len(ROUTES) == len(table)  # each route declared once


def test_a_call_row_sends_body_path_ids_and_the_callers_scope_last():
    row = route("POST", "/api/v1/dossiers/{dossier_id}/volumes")
    payload = rpc_payload(row, _request({"title": "卷一", "dossier_id": 99,
                                         "actor": {"role": "admin", "project_ids": None}}),
                          _user(), {"dossier_id": 5})
    assert payload["title"] == "卷一"
    assert payload["dossier_id"] == 5  # the path's id, not the body's
    assert payload["actor"]["role"] == "finance"  # the token's, not the body's
    assert payload["actor"]["project_ids"] == [3]


def test_a_call_row_refuses_a_project_in_the_path_that_is_not_the_users():
    row = route("POST", "/api/v1/projects/{project_id}/milestones")
    with pytest.raises(Forbidden):
        rpc_payload(row, _request({}), _user(project_ids=(3,)), {"project_id": 4})
    assert rpc_payload(row, _request({}), _user(project_ids=(4,)),
                       {"project_id": 4})["project_id"] == 4


def test_a_call_row_checks_its_query_and_sends_it_in_json_form():
    row = route("GET", "/api/v1/complaint-statistics")
    payload = rpc_payload(row, _request(query="month=2026-10&project_id=3"), _user(), {})
    assert payload["month"] == "2026-10" and payload["project_id"] == 3
    json.dumps(payload)  # what the RPC carries
    with pytest.raises(InvalidInput) as refused:
        rpc_payload(row, _request(query="month=2026-10&colour=red"), _user(), {})
    assert "colour" in refused.value.details


def test_a_row_without_a_body_schema_sends_no_body():
    row = route("POST", "/api/v1/archive/fixity-runs")
    payload = rpc_payload(row, _request({"anything": 1}), _user(), {})
    assert set(payload) == {"actor"}


def test_a_finance_body_cannot_name_who_acts():
    from gateway.endpoints.finance import _finance
    payload = _finance(_user(), {"status": "posted", "actor": {"role": "admin",
                                                               "project_ids": None}})
    assert payload["actor"]["role"] == "finance" and payload["actor"]["project_ids"] == [3]
    assert payload["status"] == "posted"


def test_a_call_row_names_who_acts_and_their_channel_from_the_token_only():
    row = route("POST", "/api/v1/projects/{project_id}/units")
    agent = CurrentUser(id=8, username="wang", role="sales_manager", project_ids=[3],
                        channel_id=12)
    payload = rpc_payload(row, _request({"number": "101", "created_by": "someone else",
                                         "channel_id": None}), agent, {"project_id": 3})
    assert (payload["created_by"], payload["channel_id"]) == ("wang", 12)
    assert payload["number"] == "101"
