from gateway.auth import CurrentUser, can_see_contact, hash_password, mask_mobile, verify_password
from gateway.openapi import build_spec
from gateway.routes import ROUTES


def test_passwords_are_salted_and_verified():
    first, second = hash_password("s3cret"), hash_password("s3cret")
    assert first != second
    assert verify_password("s3cret", first) and not verify_password("wrong", first)
    assert not verify_password("s3cret", "garbage")


def test_contact_details_only_for_the_own_consultant_or_managers():
    own = CurrentUser(1, "a", "consultant", consultant_id=5)
    other = CurrentUser(2, "b", "consultant", consultant_id=6)
    office_manager = CurrentUser(3, "m", "sales_manager", consultant_id=9)
    other_manager = CurrentUser(5, "n", "sales_manager", consultant_id=10)
    general = CurrentUser(6, "g", "general_manager")
    agent = CurrentUser(4, "c", "call_agent")
    visible_to = [5, 9]  # the customer's consultant and their office's manager
    assert can_see_contact(own, visible_to) and can_see_contact(office_manager, visible_to)
    assert can_see_contact(general, visible_to)
    assert not can_see_contact(other, visible_to) and not can_see_contact(agent, visible_to)
    assert not can_see_contact(other_manager, visible_to)
    assert mask_mobile("13800138000") == "138****8000"


def test_openapi_lists_every_route_with_its_schemas():
    spec = build_spec()
    for route in ROUTES:
        operation = spec["paths"][route.path][route.method.lower()]
        assert ("security" in operation) == (route.roles is not None)
        assert ("requestBody" in operation) == (route.request is not None)
    assert "RegisterVisit" in spec["components"]["schemas"]


def _failing_endpoint(error):
    from gateway.api import api

    @api
    def endpoint(self, request):
        raise error
    return endpoint


def test_an_unreachable_database_or_broker_is_a_503_in_the_error_format():
    import json

    import kombu.exceptions
    from nameko.exceptions import RemoteError
    from sqlalchemy.exc import OperationalError

    from gateway.api import ServiceTimeout, ServiceUnavailable

    cases = [(OperationalError("SELECT 1", {}, Exception("refused")), 503, "database_unavailable"),
             (kombu.exceptions.OperationalError("connection refused"), 503, "broker_unavailable"),
             (ConnectionRefusedError(111, "refused"), 503, "broker_unavailable"),
             (ServiceUnavailable("inventory"), 503, "service_unavailable"),
             (ServiceTimeout("inventory.hold_unit"), 504, "service_timeout"),
             (RemoteError("OperationalError", "server closed the connection"), 503,
              "service_unavailable"),
             (RemoteError("KeyError", "'unit_id'"), 500, "internal_error"),
             (RuntimeError("a bug"), 500, "internal_error")]
    for error, status, code in cases:
        response = _failing_endpoint(error)(None, None)
        body = json.loads(response.get_data(as_text=True))
        assert (response.status_code, body["error"]["code"]) == (status, code)
        assert "Traceback" not in body["error"]["message"]
