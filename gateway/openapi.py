"""The OpenAPI document, generated from the route table and the contracts' schemas.

It says what the API accepts and returns: money and other decimals are strings with a pattern
(a JSON number is refused), their bounds are told in words (a string has no `minimum`), path
ids are integers within the database's range.
"""
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import fields, validate

from contracts.base import MAX_ID, MAX_MONEY, MONEY_PATTERN, MoneyField
from gateway.routes import ROUTES

# money: yuan with at most two decimals; positive money has no zero and no sign
POSITIVE_MONEY_PATTERN = r"^(0\.(0[1-9]|[1-9][0-9]?)|[1-9][0-9]{0,11}(\.[0-9]{1,2})?)$"
NON_NEGATIVE_MONEY_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"
NUMERIC_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")

HEALTH = "/api/v1/health"  # answers 503 with the health of each service when one is down
ERROR_REF = {"$ref": "#/components/schemas/Error"}
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


def _range(field):
    return next((v for v in field.validators if isinstance(v, validate.Range)), None)


def decimal_as_string(self, field, **kwargs) -> dict:
    """Decimals (money, areas, rates) travel as strings: say so, with the pattern."""
    if not isinstance(field, fields.Decimal):
        return {}
    bounds = _range(field)
    if isinstance(field, MoneyField):
        pattern = MONEY_PATTERN
        if bounds is not None and bounds.min == 0:
            pattern = NON_NEGATIVE_MONEY_PATTERN if bounds.min_inclusive else POSITIVE_MONEY_PATTERN
        words = f"yuan to the fen, below {MAX_MONEY}"
    else:
        places = -field.places.as_tuple().exponent if field.places is not None else 10
        pattern = rf"^-?[0-9]{{1,12}}(\.[0-9]{{1,{places}}})?$"
        words = "a decimal number as a string"
    if bounds is not None:
        words += (f"; {'at least' if bounds.min_inclusive else 'greater than'} {bounds.min}"
                  if bounds.min is not None else "")
        words += (f"; {'at most' if bounds.max_inclusive else 'less than'} {bounds.max}"
                  if bounds.max is not None else "")
    return {"type": "string", "pattern": pattern, "x-decimal": words}


def _strings_without_numeric_bounds(node):
    """A string has no minimum or maximum; the bounds live in the `x-decimal` words."""
    if isinstance(node, dict):
        if node.get("type") == "string":
            for bound in NUMERIC_BOUNDS:
                node.pop(bound, None)
            node.pop("format", None) if node.get("format") == "decimal" else None
            if "x-decimal" in node:
                words = node.pop("x-decimal")
                node["description"] = f"{node['description']} ({words})" \
                    if node.get("description") else words
        for value in node.values():
            _strings_without_numeric_bounds(value)
    elif isinstance(node, list):
        for value in node:
            _strings_without_numeric_bounds(value)


def build_spec() -> dict:
    marshmallow = MarshmallowPlugin()
    spec = APISpec(title="anchang", version="1.0.0", openapi_version="3.0.3",
                   plugins=[marshmallow])
    marshmallow.converter.add_attribute_function(decimal_as_string)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", ERROR)
    paths: dict[str, dict] = {}
    for route in ROUTES:
        operation = {"summary": route.summary, "responses": {
            str(route.status): {"description": "success", "content": {
                media_type: {"schema": route.response} if route.response else {}
                for media_type in route.media_types}},
            "4XX": {"description": "error", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Error"}}}},
            "503": {"description": "a service, a database or the broker is not reachable",
                    "content": {"application/json": {"schema": route.response
                                                     if route.path == HEALTH else ERROR_REF}}},
            "504": {"description": "a service did not answer in time",
                    "content": {"application/json": {"schema": ERROR_REF}}},
        }}
        if route.roles is not None:
            operation["security"] = [{"bearer": []}]
            operation["description"] = "roles: " + ", ".join(route.roles)
        if route.request is not None:
            operation["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": route.request}}}
        parameters = [{"in": "path", "name": name, "required": True,
                       "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID}}
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
    document = spec.to_dict()
    _strings_without_numeric_bounds(document)
    return document
