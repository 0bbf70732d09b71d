"""The acting user's scope (contracts.scope): what travels over RPC and the pure checks every
service runs on it."""
import pytest

from contracts.errors import Forbidden, InvalidInput
from contracts.scope import actor, check_consultant, check_project, check_record, split_actor
from gateway import auth
from gateway.endpoints import actor as gateway_actor
from services.transactions import scope as transactions_scope


def test_an_rpc_payload_without_a_valid_actor_is_refused_naming_actor():
    with pytest.raises(InvalidInput) as missing:
        split_actor({"hold_id": 1})
    assert "actor" in missing.value.details
    with pytest.raises(InvalidInput) as malformed:
        split_actor({"hold_id": 1, "actor": {"username": "wang", "role": "sales_manager"}})
    assert "project_ids" in malformed.value.details["actor"]
    taken, rest = split_actor({"hold_id": 1, "actor": actor("wang", "admin")})
    assert rest == {"hold_id": 1} and taken["project_ids"] is None


def test_a_limited_actor_acts_only_in_their_projects_and_never_on_a_deal_of_no_project():
    manager = actor("wang", "sales_manager", 7, [1], [10, 11])
    check_project(manager, 10)
    for outside in (12, None, 0):
        with pytest.raises(Forbidden) as refused:
            check_project(manager, outside, "hold_id")
        assert list(refused.value.details) == ["hold_id"]
    check_project(actor("boss", "general_manager"), 12)


def test_a_consultant_acts_only_for_their_own_customers():
    consultant = actor("li", "consultant", 3)
    check_consultant(consultant, 3)
    with pytest.raises(Forbidden) as refused:
        check_record(consultant, 10, 4, "hold_id")
    assert list(refused.value.details) == ["hold_id"]
    with pytest.raises(Forbidden):
        check_consultant(actor("nobody", "consultant", None), None)
    check_consultant(actor("wang", "sales_manager", 7, project_ids=[10]), 4)


def test_the_gateway_limits_a_sales_manager_always_and_others_when_given_projects():
    def user(role, project_ids=(), office_ids=()):
        return auth.CurrentUser(1, "u", role, 5, list(project_ids), None, tuple(office_ids))
    assert gateway_actor(user("sales_manager"))["project_ids"] == []
    assert gateway_actor(user("sales_manager", [3], [2]))["project_ids"] == [3]
    assert gateway_actor(user("sales_manager", [3], [2]))["office_ids"] == [2]
    assert gateway_actor(user("finance"))["project_ids"] is None
    assert gateway_actor(user("finance", [4]))["project_ids"] == [4]
    assert gateway_actor(user("admin", [4]))["project_ids"] is None


def test_transactions_refuses_a_deal_of_no_known_project_to_a_limited_actor():
    limited = actor("wang", "sales_manager", 9, [2], [7])
    with pytest.raises(Forbidden) as refused:
        transactions_scope.new_deposit(limited, {"consultant_id": 5, "project_id": None})
    assert list(refused.value.details) == ["project_id"]
    transactions_scope.new_deposit(limited, {"consultant_id": 5, "project_id": 7})
    transactions_scope.new_deposit(actor("gm", "general_manager"), {"consultant_id": 5})


def test_leads_takes_who_acts_on_a_customer_from_the_actor_never_from_the_payload():
    from services.leads import scope as leads_scope
    assert leads_scope.acting_consultant(actor("gm", "general_manager")) is None
    assert leads_scope.acting_consultant(actor("boss", "sales_manager", 9, [2], [7])) is None
    assert leads_scope.acting_consultant(actor("zhao", "consultant", 5, [2], [7])) == 5
    for nobody in (actor("zhao", "consultant"), actor("liu", "finance", None, (), [7])):
        with pytest.raises(Forbidden) as refused:
            leads_scope.acting_consultant(nobody)
        assert "consultant_id" in refused.value.details
    assert leads_scope.viewer(actor("zhao", "consultant", 5, [2], [7])) == {
        "viewer_consultant_id": 5, "viewer_sees_all": False, "consultant_id": 5}
    leads_scope.manager(actor("boss", "sales_manager", 9, [2], [7]))
    with pytest.raises(Forbidden) as refused:  # call lists are the managers'
        leads_scope.manager(actor("zhao", "consultant", 5, [2], [7]))
    assert "role" in refused.value.details
    assert leads_scope.viewer(actor("gm", "general_manager")) == {
        "viewer_consultant_id": None, "viewer_sees_all": True}
