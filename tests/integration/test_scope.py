"""Offices sell projects (leads) and the services' own scope checks (inventory, transactions)
on PostgreSQL: what the gateway resolves a sales manager's projects from, and what each
service refuses whoever calls it."""
import itertools

import pytest

from contracts.errors import Forbidden
from contracts.scope import actor
from infra.database import utcnow
from services.inventory import board, handlers as inventory, holds, scope as inventory_scope
from services.leads import handlers as leads, scope as leads_scope

pytestmark = pytest.mark.integration
_codes = itertools.count(1)


def test_an_office_sells_several_projects_and_a_record_answers_its_offices_projects(stores):
    store = stores["leads"]
    code = f"sells-{next(_codes)}-{utcnow().strftime('%H%M%S%f')}"
    with store() as uow:
        office = leads.create_office(uow, {"code": code, "name": code, "region_code": "ly",
                                           "project_ids": [12, 11, 12]})
    assert office["project_ids"] == [11, 12]
    with store() as uow:
        manager = leads.add_consultant(uow, {"office_id": office["id"], "name": "经理",
                                             "kind": "manager"})
    with store() as uow:
        assert leads.actor_scope(uow.session, manager["id"]) == {
            "office_ids": [office["id"]], "project_ids": [11, 12]}
    with store() as uow:
        assert leads.set_office_projects(uow, {"office_id": office["id"],
                                               "project_ids": [13]})["project_ids"] == [13]
    with store() as uow:
        assert leads.actor_scope(uow.session, manager["id"])["project_ids"] == [13]
        assert leads.actor_scope(uow.session, 987654321) == {"office_ids": [],
                                                             "project_ids": []}


def test_leads_bounds_each_role_by_office_and_a_consultant_by_their_own_records(stores):
    store = stores["leads"]
    stamp = utcnow().strftime('%H%M%S%f')
    with store() as uow:
        offices = [leads.create_office(uow, {
            "code": f"lb-{next(_codes)}-{stamp}"[:20], "name": "x", "region_code": "ly",
            "project_ids": [project]})["id"] for project in (21, 22)]
    with store() as uow:
        staff = {(kind, office): leads.add_consultant(uow, {
            "office_id": office, "name": kind, "kind": "manager" if kind == "manager"
            else "sales"})["id"] for kind in ("manager", "sales") for office in offices}
    a, b = offices
    with store() as uow:
        s = uow.session
        own = actor("boss", "sales_manager", staff[("manager", a)], [a], [21])
        assert leads_scope.office(s, own, a) == a and leads_scope.office(s, own, None) == a
        leads_scope.consultant(s, own, staff[("sales", a)])
        for who in (actor("boss-b", "sales_manager", staff[("manager", b)], [b], [22]),
                    actor("zhao-b", "consultant", staff[("sales", b)], [b], [22]),
                    actor("qian-b", "call_agent", staff[("sales", b)], [b], [22])):
            with pytest.raises(Forbidden) as refused:
                leads_scope.office(s, who, a)
            assert "office_id" in refused.value.details, who
        # finance and customer service read a complaint's or a deal's customer anywhere
        assert leads_scope.office(s, actor("liu", "finance", None, (), [22]), a) == a
        assert leads_scope.office(s, actor("gm", "general_manager"), a) == a
        for unlinked in (actor("boss", "sales_manager", staff[("sales", a)], [a], [21]),
                         actor("boss", "sales_manager", None, (), [21])):
            with pytest.raises(Forbidden):  # a manager role needs a manager record
                leads_scope.office(s, unlinked, a)
        with pytest.raises(Forbidden) as refused:  # a consultant directs only themselves
            leads_scope.consultant(s, actor("zhao", "consultant", staff[("sales", a)], [a],
                                            [21]), staff[("manager", a)])
        assert "consultant_id" in refused.value.details


def test_inventory_refuses_a_hold_outside_the_actors_projects_or_another_consultants(stores):
    store = stores["inventory"]
    with store() as uow:
        project = inventory.create_project(uow, {
            "code": f"scope-{next(_codes)}-{utcnow().strftime('%H%M%S%f')}", "name": "Scope",
            "hold_days": 3, "holds_auto_approved": False, "offer_hours": 2,
            "buildings": [{"name": "1", "units": [
                {"number": "101", "floor": 1, "building_area": "90.00",
                 "list_price": "1000000.00", "layout": None}]}]})
    with store() as uow:
        unit_id = board.cells(board.board(uow.session, project["id"]))[0]["id"]
        hold = holds.hold_unit(uow, {"unit_id": unit_id, "consultant_id": 5, "customer_id": 50,
                                     "customer_name": "张三"})
    elsewhere = actor("wang", "sales_manager", 9, [2], [project["id"] + 1000])
    colleague = actor("li", "consultant", 6)
    with store() as uow:
        inventory_scope.hold(uow.session, actor("zhao", "consultant", 5), hold["id"])
        inventory_scope.hold(uow.session, actor("boss", "sales_manager", 8, [1],
                                                [project["id"]]), hold["id"])
        with pytest.raises(Forbidden) as refused:
            inventory_scope.hold(uow.session, elsewhere, hold["id"])
        assert refused.value.details == {"project_id": ["not one of your projects"]}
        with pytest.raises(Forbidden) as refused:
            inventory_scope.hold(uow.session, colleague, hold["id"])
        assert list(refused.value.details) == ["hold_id"]
        with pytest.raises(Forbidden) as refused:
            inventory_scope.new_hold(uow.session, colleague, {"unit_id": unit_id,
                                                              "consultant_id": 5})
        assert list(refused.value.details) == ["consultant_id"]

