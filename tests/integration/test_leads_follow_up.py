"""Grades and their history, follow-ups by the own consultant only, hopeless customers back to
the manager, deals from confirmed deposits, the profile and the care reminders (PostgreSQL)."""
from datetime import date

import pytest

from contracts.base import load
from contracts.envelope import build_event, parse_event
from contracts.errors import Conflict, Forbidden, InvalidInput
from contracts.leads import (FollowUpSchema, GradeCustomerSchema, MarkHopelessSchema,
                             ReassignCustomerSchema, UpdateProfileSchema)
from infra.database import handle_once
from services.leads import follow_up
from tests.integration.test_leads_registration import office_with, outbox, visit

pytestmark = pytest.mark.integration


def grade(store, customer_id, value, consultant_id=None, by="consultant-a"):
    cmd = load(GradeCustomerSchema(), {"customer_id": customer_id, "grade": value,
                                       "changed_by": by, "acting_consultant_id": consultant_id})
    with store() as uow:
        return follow_up.grade_customer(uow, cmd)


def hopeless(store, customer_id, consultant_id):
    cmd = load(MarkHopelessSchema(), {
        "customer_id": customer_id, "kind": "never_returns", "changed_by": "consultant-a",
        "acting_consultant_id": consultant_id,
        "analysis": {"objections": ["total_price", "floor"], "home_purchase": "first",
                     "reasons": "总价超出预算"}})
    with store() as uow:
        return follow_up.mark_hopeless(uow, cmd)


def deposit_confirmed(customer_id):
    return parse_event(build_event("transactions", "deposit_confirmed",
                                   {"deposit_id": customer_id, "amount": "20000.00"},
                                   customer_id=customer_id, unit_id=1))


def test_grades_keep_their_history_and_only_the_own_consultant_grades(stores):
    store = stores["leads"]
    office_id, (a, b) = office_with(store, ["甲", "乙"])
    customer = visit(store, office_id)["customer"]
    grade(store, customer["id"], "C", a)
    result = grade(store, customer["id"], "A", None, by="manager-li")  # a manager may
    assert result["customer"]["grade"] == "A"
    assert [(g["from_grade"], g["to_grade"], g["changed_by"]) for g in result["grades"]] == [
        (None, "C", "consultant-a"), ("C", "A", "manager-li")]
    with pytest.raises(Forbidden) as refused:
        grade(store, customer["id"], "B", b)
    assert "customer_id" in refused.value.details
    with pytest.raises(InvalidInput) as refused:
        grade(store, customer["id"], "E", a)
    assert "grade" in refused.value.details
    with pytest.raises(Conflict):
        grade(store, customer["id"], "A", a)
    with store() as uow:
        assert [g["to_grade"] for g in follow_up.customer_file(uow.session, customer["id"])[
            "grades"]] == ["C", "A"]


def test_follow_ups_are_logged_only_by_the_customers_consultant(stores):
    store = stores["leads"]
    office_id, (a, b) = office_with(store, ["甲", "乙"])
    customer = visit(store, office_id)["customer"]
    payload = {"customer_id": customer["id"], "consultant_id": a, "kind": "call",
               "content": "介绍了二期", "reaction": "有兴趣",
               "next_appointment": "2026-12-01T02:00:00+00:00"}
    with store() as uow:
        recorded = follow_up.record_follow_up(uow, load(FollowUpSchema(), payload))
    assert recorded["kind"] == "call" and recorded["next_appointment"].day == 1
    with pytest.raises(Forbidden) as refused:
        with store() as uow:
            follow_up.record_follow_up(uow, load(FollowUpSchema(), {**payload,
                                                                     "consultant_id": b}))
    assert "customer_id" in refused.value.details
    with pytest.raises(InvalidInput) as refused:
        load(FollowUpSchema(), {**payload, "kind": "email"})
    assert "kind" in refused.value.details
    with store() as uow:
        assert len(follow_up.customer_file(uow.session, customer["id"])["follow_ups"]) == 1


def test_a_hopeless_customer_goes_back_to_the_manager_and_the_old_consultant_loses_credit(
        stores):
    store = stores["leads"]
    office_id, (a, b) = office_with(store, ["甲", "乙"])
    customer = visit(store, office_id)["customer"]
    with pytest.raises(Conflict):  # only hopeless customers go through this door
        with store() as uow:
            follow_up.reassign_hopeless(uow, load(ReassignCustomerSchema(), {
                "customer_id": customer["id"], "consultant_id": b, "reason": "x",
                "decided_by": "manager-li"}))
    given_up = hopeless(store, customer["id"], a)
    assert given_up["customer"]["outcome"] == "hopeless"
    assert given_up["non_deal_analysis"]["objections"] == ["total_price", "floor"]
    assert given_up["non_deal_analysis"]["hopeless_kind"] == "never_returns"
    with store() as uow:
        listed = follow_up.hopeless_customers(uow.session, office_id)["customers"]
    assert [c["id"] for c in listed] == [customer["id"]]
    with store() as uow:
        moved = follow_up.reassign_hopeless(uow, load(ReassignCustomerSchema(), {
            "customer_id": customer["id"], "consultant_id": b, "reason": "重新分配跟踪",
            "decided_by": "manager-li"}))
    assert moved["assignment"]["rule"] == "hopeless_reassignment"
    assert moved["customer"]["consultant_id"] == b and moved["customer"]["outcome"] is None
    handle_once(store, deposit_confirmed(customer["id"]), follow_up.on_deposit_confirmed)
    handle_once(store, deposit_confirmed(customer["id"]), follow_up.on_deposit_confirmed)
    with store() as uow:
        dealt = follow_up.get_customer(uow.session, customer["id"])
    assert dealt["outcome"] == "deal" and dealt["excluded_from_credit"] == [a]
    reassigned = [e["data"] for e in outbox(store, customer["id"])
                  if e["type"] == "lead_reassigned"]
    assert reassigned == [{"from_consultant_id": a, "to_consultant_id": b,
                           "rule": "hopeless_reassignment", "reason": "重新分配跟踪",
                           "excluded_from_credit": True}]
    with pytest.raises(Conflict):
        grade(store, customer["id"], "A", b)


def test_profile_with_family_birthdays_and_the_daily_care_list(stores):
    store = stores["leads"]
    office_id, (a, b) = office_with(store, ["甲", "乙"])
    closed = visit(store, office_id)["customer"]  # a's
    open_customer = visit(store, office_id, invited_by=a)["customer"]  # a's, no deal
    for customer in (closed, open_customer):
        with store() as uow:
            follow_up.update_profile(uow, load(UpdateProfileSchema(), {
                "customer_id": customer["id"], "acting_consultant_id": a,
                "archive": {"company": "洛阳一中", "favourite_cuisine": "川菜"},
                "family": [{"relation": "self", "name": customer["name"],
                            "birthday": "1980-03-14"},
                           {"relation": "child", "name": "小明", "birthday": "2012-10-01"}]}))
    handle_once(store, deposit_confirmed(closed["id"]), follow_up.on_deposit_confirmed)
    with pytest.raises(Forbidden):
        with store() as uow:
            follow_up.update_profile(uow, load(UpdateProfileSchema(), {
                "customer_id": closed["id"], "acting_consultant_id": b, "archive": {}}))
    with pytest.raises(InvalidInput) as refused:
        load(UpdateProfileSchema(), {"customer_id": 1, "archive": {"shoe_size": "42"}})
    assert "archive" in refused.value.details
    with store() as uow:
        birthday = follow_up.care_reminders(uow.session, a, date(2027, 3, 14))
        national_day = follow_up.care_reminders(uow.session, a, date(2027, 10, 1))
        quiet = follow_up.care_reminders(uow.session, a, date(2027, 3, 15))
        profile = follow_up.customer_file(uow.session, closed["id"])
    assert birthday["reminders"] == [{"customer_id": closed["id"], "customer_name": "张三",
                                      "occasion": "birthday", "who": "self 张三"}]
    assert [r["occasion"] for r in national_day["reminders"]] == ["birthday", "国庆节"]
    assert quiet["reminders"] == []
    assert profile["archive"]["company"] == "洛阳一中" and len(profile["family"]) == 2
