"""The gateway's Idempotency-Key rules that need no database: which routes take a key, how a
key is read, and when two requests are the same request."""
from types import SimpleNamespace

import pytest

from contracts.errors import InvalidInput
from gateway import idempotency
from gateway.routes import ROUTES, match


def request(header=None):
    return SimpleNamespace(headers={} if header is None else {"Idempotency-Key": header})


def test_the_commands_that_create_money_or_a_hold_take_a_key_and_nothing_else_does():
    assert sorted(f"{r.method} {r.path}" for r in ROUTES if r.idempotent) == sorted([
        "POST /api/v1/deposits", "POST /api/v1/holds",
        "POST /api/v1/order-forms/{order_form_id}/payments",
        "POST /api/v1/order-forms/{order_form_id}/applications",
        "POST /api/v1/applications/{application_id}/refund-payment",
        "POST /api/v1/finance/bank-receipts",
        "POST /api/v1/projects/{project_id}/queue-numbers",  # the 诚意金 is money
        "POST /api/v1/openings/{opening_id}/selections"])  # a won unit is held at once
    assert match("POST", "/api/v1/order-forms/12/payments").idempotent
    assert match("GET", "/api/v1/deposits/12").path == "/api/v1/deposits/{deposit_id}"
    assert match("POST", "/api/v1/nowhere") is None


def test_a_key_is_a_bare_or_quoted_printable_string_of_at_most_200_characters():
    assert idempotency.key_of(request()) is None
    assert idempotency.key_of(request("abc-123")) == "abc-123"
    assert idempotency.key_of(request('"8e03978e-40d5"')) == "8e03978e-40d5"
    for bad in ("", '""', "x" * 201, "键", "a\x00b"):
        with pytest.raises(InvalidInput) as refused:
            idempotency.key_of(request(bad))
        assert "Idempotency-Key" in refused.value.details
    user = SimpleNamespace(id=7)
    assert idempotency.service_key(user, request("k1")) == "7:k1"


def test_the_same_request_is_the_same_json_whatever_its_spacing_and_key_order():
    same = idempotency.request_hash(1, "POST", "/api/v1/deposits", "",
                                    b'{"unit_id": 1, "amount": "20000.00"}')
    assert same == idempotency.request_hash(1, "post", "/api/v1/deposits", "",
                                            b'{"amount":"20000.00","unit_id":1}')
    assert same != idempotency.request_hash(1, "POST", "/api/v1/deposits", "",
                                            b'{"amount":"20000.01","unit_id":1}')
    assert same != idempotency.request_hash(2, "POST", "/api/v1/deposits", "",
                                            b'{"amount":"20000.00","unit_id":1}')
    assert same != idempotency.request_hash(1, "POST", "/api/v1/holds", "",
                                            b'{"amount":"20000.00","unit_id":1}')
    assert idempotency.request_hash(1, "POST", "/x", "", b"\xff not json")  # bytes as they are
