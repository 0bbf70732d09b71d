"""Visit and call registration on PostgreSQL: the forms' fields, dedupe by any mobile or the ID
number, and every allocation rule of 第1篇 with its stored explanation."""
import itertools

import pytest
from sqlalchemy import select

from contracts.base import load
from contracts.errors import Conflict, InvalidInput, NotFound
from contracts.leads import (ReassignCustomerSchema, RegisterCallSchema, RegisterVisitSchema,
                             SetOfficeRosterSchema)
from services.leads import domain, handlers
from services.leads.models import Assignment, Visit

pytestmark = pytest.mark.integration
_numbers = itertools.count(1)


def mobile():
    return f"139{next(_numbers):08d}"


def office_with(store, names, **office):
    code = f"reg-{next(_numbers)}"
    with store() as uow:
        created = handlers.create_office(uow, {"code": code, "name": code, "region_code": "ly",
                                               **office})
    staff = []
    for name in names:
        with store() as uow:
            staff.append(handlers.add_consultant(uow, {"office_id": created["id"],
                                                       "name": name})["id"])
    return created["id"], staff


def visit(store, office_id, **form):
    cmd = load(RegisterVisitSchema(), {"office_id": office_id, "name": "张三",
                                       "mobile": mobile(), **form})
    with store() as uow:
        return handlers.register_visit(uow, cmd, handlers.find_office(uow.session, office_id))


def call(store, office_id, **form):
    cmd = load(RegisterCallSchema(), {"office_id": office_id, "name": "李四",
                                      "mobile": mobile(), **form})
    with store() as uow:
        return handlers.register_call(uow, cmd, handlers.find_office(uow.session, office_id))


def status(store, consultant_id, value):
    with store() as uow:
        handlers.set_consultant_status(uow, {"consultant_id": consultant_id, "status": value})


def outbox(store, customer_id):
    table = store.metadata.tables["outbox"]
    with store.engine.connect() as connection:
        rows = connection.execute(select(table.c.payload)).scalars().all()
    return [row for row in rows if row["customer_id"] == customer_id]


def test_the_visit_form_is_kept_and_every_contact_is_recorded(stores):
    store = stores["leads"]
    office_id, (first, _) = office_with(store, ["甲", "乙"])
    result = visit(store, office_id, mobile="138 0000 1001", other_mobiles=["+86 13800001002"],
                   id_number="41030219800101123x", gender="female", age_band="35_44",
                   marital_status="married", residence_area="西工区", family_structure="三口之家",
                   visitors=3, visitor_relation="夫妻和孩子", channel="daily_paper",
                   focus_points=["location", "school"], purchase_motive="own_use",
                   customer_category="teacher",
                   intended_product={"property_type": "high_rise", "area_band": "121_150",
                                     "layout": "3b2l", "unit_price_band": "3000_3500",
                                     "total_price_band": "410k_600k",
                                     "payment_method": "mortgage"},
                   recommended_units="3-1201", intended_units="3-1202", notes="看了样板间")
    customer = result["customer"]
    assert customer["code"].startswith("ly-zs")
    assert (customer["mobile"], customer["other_mobiles"]) == ("13800001001", ["13800001002"])
    assert customer["id_number"] == "41030219800101123X"
    assert customer["profile"]["intended_product"]["layout"] == "3b2l"
    assert customer["profile"]["focus_points"] == ["location", "school"]
    assert result["assignment"] == {"consultant_id": first, "assisted_by": None,
                                    "rule": "new_visitor_rotation",
                                    "explanation": "reception rotation: next free consultant in "
                                                   "today's order"}
    events = outbox(store, customer["id"])
    # one event per registration, with the customer's code and the allocation's rule
    assert [e["type"] for e in events] == ["visit_recorded"]
    assert events[0]["data"] == {"kind": "visit", "office_id": office_id,
                                 "customer_code": customer["code"], **result["assignment"],
                                 "channel": "daily_paper", "first": True}

    # the second mobile, then the ID number alone, find the same customer
    again = visit(store, office_id, mobile="13800001002", channel="passing_by")
    by_id = call(store, office_id, id_number="41030219800101123X", ad_medium="晚报",
                 ad_theme="开盘", channel="evening_paper")
    assert again["customer"]["id"] == by_id["customer"]["id"] == customer["id"]
    assert (again["matched_by"], by_id["matched_by"]) == ("mobile", "id_number")
    assert by_id["customer"]["call_count"] == 1 and by_id["customer"]["visit_count"] == 2
    assert len(by_id["customer"]["other_mobiles"]) == 2  # the call's new number is theirs now
    recorded = [e["data"] for e in outbox(store, customer["id"]) if e["type"] == "visit_recorded"]
    assert [(r["kind"], r["first"]) for r in recorded] == [
        ("visit", True), ("visit", False), ("call", False)]
    with store() as uow:
        rows = uow.session.scalars(select(Visit).where(Visit.customer_id == customer["id"])
                                   .order_by(Visit.id)).all()
        assert rows[0].form["visitor_relation"] == "夫妻和孩子"
        assert rows[2].form["ad_medium"] == "晚报" and rows[2].kind == "call"


@pytest.mark.parametrize("form, field", [
    ({"mobile": "12345"}, "mobile"),
    ({"other_mobiles": ["13800000000", "010-1234"]}, "other_mobiles.1"),
    ({"referrer_mobile": "abc"}, "referrer_mobile"),
])
def test_an_invalid_mobile_is_refused_naming_the_field(stores, form, field):
    office_id, _ = office_with(stores["leads"], ["甲"])
    with pytest.raises(InvalidInput) as refused:
        visit(stores["leads"], office_id, **form)
    assert field in refused.value.details


def test_bad_form_values_are_refused_by_the_schema():
    for form, field in [({"channel": "radio"}, "channel"), ({"id_number": "123"}, "id_number"),
                        ({"intended_product": {"layout": "9b9l"}}, "intended_product"),
                        ({"focus_points": ["price"]}, "focus_points")]:
        with pytest.raises(InvalidInput) as refused:
            load(RegisterVisitSchema(), {"office_id": 1, "name": "x", "mobile": "13800000000",
                                         **form})
        assert field in refused.value.details


def test_unknown_office_or_consultant_is_refused(stores):
    store = stores["leads"]
    with pytest.raises(NotFound) as refused:
        visit(store, 999_999)
    assert "office_id" in refused.value.details
    office_id, _ = office_with(store, ["甲"])
    with pytest.raises(NotFound) as refused:
        visit(store, office_id, invited_by=999_999)
    assert "invited_by" in refused.value.details
    with pytest.raises(NotFound) as refused:
        visit(store, office_id, referrer_mobile="13000000000")
    assert "referrer_mobile" in refused.value.details


def test_busy_is_skipped_but_keeps_the_turn_and_absent_never_gets_new(stores):
    store = stores["leads"]
    office_id, (a, b, c) = office_with(store, ["甲", "乙", "丙"])
    status(store, a, "busy")
    first = visit(store, office_id)["assignment"]
    assert first["consultant_id"] == b and str(a) in first["explanation"]
    status(store, a, "available")
    status(store, c, "absent")
    assert visit(store, office_id)["assignment"]["consultant_id"] == a  # a kept the turn
    assert visit(store, office_id)["assignment"]["consultant_id"] == b
    assert visit(store, office_id)["assignment"]["consultant_id"] == a
    status(store, a, "inactive")
    status(store, b, "absent")
    with pytest.raises(Conflict):
        visit(store, office_id)


def test_two_groups_on_alternate_days_only_the_group_on_duty_receives(stores):
    store = stores["leads"]
    office_id, staff = office_with(store, ["甲", "乙", "丙", "丁"], alternate_groups=True)
    with store() as uow:
        handlers.set_office_roster(uow, load(SetOfficeRosterSchema(), {
            "office_id": office_id, "groups": {str(staff[0]): 1, str(staff[1]): 2,
                                               str(staff[2]): 1, str(staff[3]): 2}}))
    group = domain.group_on_duty(domain.office_day(handlers.utcnow()))
    on_duty = [s for i, s in enumerate(staff) if (i % 2) + 1 == group]
    chosen = [visit(store, office_id)["assignment"]["consultant_id"] for _ in range(4)]
    assert chosen == on_duty * 2


def test_returning_customer_goes_back_and_is_assisted_when_the_original_is_away(stores):
    store = stores["leads"]
    office_id, (a, b, c) = office_with(store, ["甲", "乙", "丙"])
    number = mobile()
    assert visit(store, office_id, mobile=number)["assignment"]["consultant_id"] == a
    again = visit(store, office_id, mobile=number)
    assert again["returning"] and again["assignment"]["rule"] == "returning_customer"
    assert again["assignment"]["consultant_id"] == a
    status(store, a, "absent")
    visit(store, office_id)  # b takes the next turn; c is last in line
    assisted = visit(store, office_id, mobile=number)
    assert assisted["assignment"]["rule"] == "returning_customer_assisted"
    assert (assisted["assignment"]["consultant_id"], assisted["assignment"]["assisted_by"]) == (a, b)
    assert assisted["customer"]["consultant_id"] == a
    with store() as uow:
        assert uow.session.scalar(select(Visit.assisted_by).order_by(Visit.id.desc())
                                  .limit(1)) == b
    # the assist took no turn: c is still next for a new visitor
    assert visit(store, office_id)["assignment"]["consultant_id"] == c


def test_invited_referred_and_same_day_callers_go_to_their_consultant(stores):
    store = stores["leads"]
    office_id, (a, b, c) = office_with(store, ["甲", "乙", "丙"])
    invited = visit(store, office_id, invited_by=c)["assignment"]
    assert (invited["consultant_id"], invited["rule"]) == (c, "phone_invited")
    referrer = visit(store, office_id)["customer"]  # a's customer
    referred = visit(store, office_id, referrer_mobile=referrer["mobile"])["assignment"]
    assert (referred["consultant_id"], referred["rule"]) == (a, "referral")
    status(store, c, "absent")
    fallback = visit(store, office_id, invited_by=c)["assignment"]
    assert fallback["rule"] == "new_visitor_rotation" and fallback["consultant_id"] != c
    assert f"inviting consultant {c} is absent" in fallback["explanation"]
    status(store, c, "available")
    caller = call(store, office_id, answered_by=c)
    assert caller["assignment"]["rule"] == "call_answered"
    same_day = visit(store, office_id, mobile=caller["customer"]["mobile"])["assignment"]
    assert (same_day["consultant_id"], same_day["rule"]) == (c, "same_day_call")


def test_calls_follow_the_phone_order_else_the_reception_order(stores):
    store = stores["leads"]
    office_id, (a, b, c) = office_with(store, ["甲", "乙", "丙"])
    first = call(store, office_id)["assignment"]
    assert (first["consultant_id"], first["rule"]) == (a, "call_reception_order")
    with store() as uow:
        handlers.set_office_roster(uow, load(SetOfficeRosterSchema(), {
            "office_id": office_id, "phone_order": [c, b]}))
    assert [call(store, office_id)["assignment"]["consultant_id"] for _ in range(3)] == [c, b, c]
    known = call(store, office_id)["customer"]  # b's
    again = call(store, office_id, mobile=known["mobile"])["assignment"]
    assert (again["consultant_id"], again["rule"]) == (b, "existing_customer_call")
    with pytest.raises(NotFound) as refused:
        with store() as uow:
            handlers.set_office_roster(uow, load(SetOfficeRosterSchema(), {
                "office_id": office_id, "phone_order": [999_999]}))
    assert "phone_order.0" in refused.value.details


def test_a_manager_override_is_stored_with_its_reason(stores):
    store = stores["leads"]
    office_id, (a, b) = office_with(store, ["甲", "乙"])
    customer = visit(store, office_id)["customer"]
    cmd = load(ReassignCustomerSchema(), {"customer_id": customer["id"], "consultant_id": b,
                                          "reason": "客户要求换人", "decided_by": "manager-li"})
    with store() as uow:
        result = handlers.reassign_customer(uow, cmd)
    assert result["customer"]["consultant_id"] == b
    assert result["assignment"]["rule"] == "manager_override"
    assert "客户要求换人" in result["assignment"]["explanation"]
    with store() as uow:
        stored = uow.session.scalar(select(Assignment).where(
            Assignment.customer_id == customer["id"]))
        assert (stored.from_consultant_id, stored.to_consultant_id, stored.decided_by) == (
            a, b, "manager-li")
    status(store, a, "absent")
    with pytest.raises(Conflict) as refused:
        with store() as uow:
            handlers.reassign_customer(uow, {**cmd, "consultant_id": a})
    assert "consultant_id" in refused.value.details


def test_the_days_reception_order_sets_the_line(stores):
    store = stores["leads"]
    office_id, (a, b, c) = office_with(store, ["甲", "乙", "丙"])
    with store() as uow:
        roster = handlers.set_office_roster(uow, load(SetOfficeRosterSchema(), {
            "office_id": office_id, "reception_order": [c, a]}))
    assert roster["reception_order"] == [c, a]
    # b is not on today's line; c receives first, then a, then c again
    assert [visit(store, office_id)["assignment"]["consultant_id"] for _ in range(3)] == [c, a, c]
    with pytest.raises(InvalidInput) as refused:
        with store() as uow:
            handlers.set_office_roster(uow, load(SetOfficeRosterSchema(), {
                "office_id": office_id, "reception_order": [a, a]}))
    assert "reception_order" in refused.value.details
