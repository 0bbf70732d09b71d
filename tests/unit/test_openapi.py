"""The OpenAPI document is valid and says what the API accepts and returns: money is a
string with a pattern, no string carries a numeric bound, path ids are bounded."""
import re

from openapi_spec_validator import validate

from contracts.base import MAX_ID
from gateway.openapi import build_spec


def schemas_of(node, path=""):
    if isinstance(node, dict):
        if "type" in node:
            yield path, node
        for key, value in node.items():
            yield from schemas_of(value, f"{path}/{key}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from schemas_of(value, f"{path}/{n}")


def test_the_document_validates():
    validate(build_spec())


def test_no_string_has_a_minimum_or_maximum_and_no_decimal_is_a_number():
    spec = build_spec()
    bounded = [path for path, schema in schemas_of(spec) if schema["type"] == "string"
               and {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"} & set(schema)]
    assert bounded == []
    # a number is never money: only ratios of a clock or a run are numbers
    numbers = [path for path, schema in schemas_of(spec) if schema["type"] == "number"
               and path.rsplit("/", 1)[-1] not in ("percent", "progress")]
    assert numbers == []


def test_money_is_a_string_whose_pattern_matches_what_the_api_accepts():
    spec = build_spec()
    deposit = spec["components"]["schemas"]["DepositBody"]["properties"]
    amount = deposit["amount"]
    assert amount["type"] == "string" and "greater than 0" in amount["description"]
    pattern = re.compile(amount["pattern"])
    assert all(pattern.match(text) for text in ("0.01", "1", "20000.5", "999999999999.99"))
    assert not any(pattern.match(text) for text in ("0", "0.00", "-1.00", "1e30", "NaN",
                                                    "1000000000000", "1.001", " 5"))
    order_form = spec["components"]["schemas"]["OrderForm"]["properties"]
    assert order_form["balance_due"]["type"] == "string"
    assert re.match(order_form["balance_due"]["pattern"], "-1200.50")


def test_path_ids_are_integers_within_the_database_range():
    spec = build_spec()
    parameter = spec["paths"]["/api/v1/units/{unit_id}"]["get"]["parameters"][0]
    assert parameter["schema"] == {"type": "integer", "minimum": 0, "maximum": MAX_ID}
