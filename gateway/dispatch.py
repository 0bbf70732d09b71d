"""One dispatcher for the route table: each row of `gateway.routes.ROUTES` becomes one nameko
@http entrypoint that authorizes the caller by the row's roles and then answers by the row:
its `call` (body, query, path ids and the caller's scope → one RPC → its answer) or its
`handler`, a GatewayService method given the request, the authorized user and the path ids.
A route marked `idempotent` and sent with an `Idempotency-Key` is answered at most once
per user and key (gateway/idempotency.py). No route is served any other way, so none can
skip the token and role check."""
import re

from contracts.base import load
from gateway import idempotency
from gateway.api import answered, api, http, json_body, json_response, query_values
from gateway.endpoints import actor, check_project
from gateway.routes import ROUTES


def serve_routes(service_class):
    """Class decorator: give `service_class` an entrypoint for every route of the table."""
    for route in ROUTES:
        if route.handler is not None and not callable(getattr(service_class, route.handler,
                                                              None)):
            raise TypeError(f"{route.method} {route.path}: no method {route.handler}")
        name = "http_" + re.sub(r"\W+", "_", f"{route.method} {route.path}").strip("_").lower()
        setattr(service_class, name, _entrypoint(route, name))
    return service_class


def nameko_path(path: str) -> str:
    """{id} → <int:id>: every path parameter is a positive id."""
    return re.sub(r"{(\w+)}", r"<int:\1>", path)


def _entrypoint(route, name):
    def answer(self, request, **ids):
        user = None if route.roles is None else self.authorize(request, route)
        if route.idempotent and request.headers.get(idempotency.HEADER) is not None:
            # answered at most once per user and key; a failure is not kept, so it may retry
            return idempotency.run_once(self._session, user, request, lambda: answered(
                lambda: _respond(self, route, request, user, ids)))
        return _respond(self, route, request, user, ids)
    answer.__name__ = answer.__qualname__ = name
    return http(route.method, nameko_path(route.path))(api(answer))


def _respond(service_instance, route, request, user, ids):
    if route.handler is not None:
        return getattr(service_instance, route.handler)(request, user, **ids)
    service, method = route.call.split(".")
    return json_response(service_instance.rpc(service, method,
                                              rpc_payload(route, request, user, ids)),
                         route.status)


def rpc_payload(route, request, user, ids) -> dict:
    """What a `call` row sends: the JSON body as given (the service validates it and names a
    bad field), the query loaded by the row's schema, the path's ids, and who acts with the
    row's `by` and `channel` (last, so no body can set them). A project in the path must be
    one of the user's projects."""
    payload = json_body(request) if route.request is not None else {}
    if route.query is not None:  # checked here, sent in its JSON form (dates as text)
        schema = route.query()
        payload.update(schema.dump(load(schema, query_values(schema, request.args))))
    if "project_id" in ids:
        check_project(user, ids["project_id"])
    from_token = {"actor": actor(user)}
    if route.by is not None:
        from_token[route.by] = user.username
    if route.channel:
        from_token["channel_id"] = user.channel_id
    return {**payload, **ids, **from_token}
