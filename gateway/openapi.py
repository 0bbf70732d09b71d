"""The OpenAPI document, generated from the route table and the contracts' schemas."""
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from gateway.routes import ROUTES

ERROR = {"type": "object", "properties": {"error": {"type": "object", "properties": {
    "code": {"type": "string"}, "message": {"type": "string"}, "fields": {"type": "object"}}}}}


IDEMPOTENCY_KEY = {
    "in": "header", "name": "Idempotency-Key", "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
    "description": "IETF draft Idempotency-Key: a unique key per command (a UUID). The same key "
                   "with the same request answers the first successful result again (header "
                   "Idempotent-Replayed: true), even after a 504; with a different request "
                   "422; while the first request is still being answered 409. Keys are kept "
                   "at least 24 hours, per user."}


def build_spec() -> dict:
    spec = APISpec(title="anchang", version="1.0.0", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()])
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", ERROR)
    paths: dict[str, dict] = {}
    for route in ROUTES:
        operation = {"summary": route.summary, "responses": {
            str(route.status): {"description": "success", "content": {"application/json": {
                "schema": route.response} if route.response else {}}},
            "4XX": {"description": "error", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Error"}}}},
        }}
        if route.roles is not None:
            operation["security"] = [{"bearer": []}]
            operation["description"] = "roles: " + ", ".join(route.roles)
        if route.request is not None:
            operation["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": route.request}}}
        parameters = [{"in": "path", "name": name, "required": True,
                       "schema": {"type": "integer"}}
                      for name in re.findall(r"{(\w+)}", route.path)]
        if route.query is not None:
            parameters.append({"in": "query", "schema": route.query})
        if route.idempotent:
            parameters.append(IDEMPOTENCY_KEY)
            operation["responses"]["422"] = {
                "description": "the Idempotency-Key was used with a different request",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        if parameters:
            operation["parameters"] = parameters
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
