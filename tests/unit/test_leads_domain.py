from datetime import datetime, timezone

import pytest

from services.leads import domain
from services.leads.domain import RotationCandidate as C


@pytest.mark.parametrize("raw, expected", [
    ("13800138000", "13800138000"), ("138 0013 8000", "13800138000"),
    ("+86 138-0013-8000", "13800138000"), ("0086(138)00138000", "13800138000"),
    ("8613800138000", "13800138000"),
    ("12800138000", None), ("1380013800", None), ("138001380001", None), ("", None),
    ("abc", None), ("010-62345678", None),
])
def test_mobiles_are_normalized_or_refused(raw, expected):
    assert domain.normalize_mobile(raw) == expected


@pytest.mark.parametrize("name, initials", [
    ("张三", "zs"), ("欧阳娜娜", "oynn"), ("李 四", "ls"), ("John Smith", "js"), ("王Amy", "wa"),
    ("123", "x"),
])
def test_name_initials_follow_pinyin(name, initials):
    assert domain.name_initials(name) == initials


def test_customer_code_has_the_seed_format():
    assert domain.customer_code("ly", "zs", 1) == "ly-zs001"
    assert domain.customer_code("ly", "zs", 42) == "ly-zs042"
    assert domain.customer_code("ly", "zs", 1234) == "ly-zs1234"


def test_rotation_goes_in_roster_order_then_round_robin():
    fresh = [C(1, "available", 1, 0), C(2, "available", 2, 0), C(3, "available", 3, 0)]
    assert domain.next_in_rotation(fresh).consultant_id == 1
    after_two = [C(1, "available", 1, 1), C(2, "available", 2, 2), C(3, "available", 3, 0)]
    assert domain.next_in_rotation(after_two).consultant_id == 3
    all_served = [C(1, "available", 1, 4), C(2, "available", 2, 5), C(3, "available", 3, 6)]
    assert domain.next_in_rotation(all_served).consultant_id == 1


def test_a_busy_consultant_is_skipped_but_keeps_the_turn():
    busy_first = [C(1, "busy", 1, 0), C(2, "available", 2, 0), C(3, "available", 3, 0)]
    allocation = domain.next_in_rotation(busy_first)
    assert allocation.consultant_id == 2
    assert "skipped busy consultant(s) [1]" in allocation.explanation
    # consultant 1 is free again before the next visitor: it is still their turn
    back = [C(1, "available", 1, 0), C(2, "available", 2, 1), C(3, "available", 3, 0)]
    assert domain.next_in_rotation(back).consultant_id == 1


def test_absent_and_inactive_consultants_never_get_customers():
    roster = [C(1, "absent", 1, 0), C(2, "inactive", 2, 0), C(3, "available", 3, 9)]
    assert domain.next_in_rotation(roster).consultant_id == 3
    with pytest.raises(domain.NoConsultantAvailable):
        domain.next_in_rotation([C(1, "absent", 1, 0), C(2, "busy", 2, 0)])


def test_office_day_is_beijing_time():
    late_utc = datetime(2026, 11, 22, 17, 30, tzinfo=timezone.utc)  # 01:30 next day in Shanghai
    assert str(domain.office_day(late_utc)) == "2026-11-23"


from datetime import date as _date  # noqa: E402

S = domain.Staff


def test_returning_customer_stays_with_the_original_and_needs_an_assistant_when_away():
    assert domain.choose_for_visit(S(4, "available"), None, None, None) == domain.Decision(
        domain.Allocation(4, "returning_customer",
                          "returning customer: stays with the original consultant"))
    away = domain.choose_for_visit(S(4, "absent"), None, S(5, "available"), None)
    assert away.allocation.consultant_id == 4 and away.needs_assistant
    same_day = domain.choose_for_visit(S(4, "available"), 4, None, None)
    assert same_day.allocation.rule == "same_day_call"


def test_invited_then_referred_then_rotation_and_never_an_absent_consultant():
    assert domain.choose_for_visit(None, None, S(5, "busy"), S(6, "available")) \
        .allocation.rule == "phone_invited"
    referred = domain.choose_for_visit(None, None, S(5, "absent"), S(6, "available"))
    assert (referred.allocation.consultant_id, referred.allocation.rule) == (6, "referral")
    rotation = domain.choose_for_visit(None, None, S(5, "inactive"), S(6, "absent"))
    assert rotation.allocation is None
    assert rotation.note == ("inviting consultant 5 is inactive; "
                             "referrer's consultant 6 is absent")


def test_calls_go_to_the_owner_then_the_answerer_then_the_orders():
    assert domain.choose_for_call(S(4, "absent"), S(5, "available"), True) \
        .allocation.rule == "existing_customer_call"
    assert domain.choose_for_call(None, S(5, "busy"), True).allocation.consultant_id == 5
    assert domain.choose_for_call(None, S(5, "absent"), True).allocation is None
    assert domain.choose_for_call(None, None, False).note == "no phone answering order today"


def test_the_assistant_is_the_last_free_consultant_in_line():
    line = [C(1, "absent", 1, 3), C(2, "available", 2, 1), C(3, "available", 3, 2),
            C(4, "busy", 4, 0)]
    assert domain.assistant_for(line, 1) == 3
    assert domain.assistant_for([C(1, "absent", 1, 0)], 1) is None


def test_alternate_groups_take_turns_by_day():
    line = [C(1, "available", 1, 0, 1), C(2, "available", 2, 0, 2)]
    even, odd = _date(2026, 11, 22), _date(2026, 11, 23)
    assert {domain.group_on_duty(even), domain.group_on_duty(odd)} == {1, 2}
    assert [c.consultant_id for c in domain.on_duty(line, even, True)] == [
        domain.group_on_duty(even)]
    assert domain.on_duty(line, even, False) == line


def test_holidays_and_birthdays_for_the_care_list():
    assert domain.holiday_on(_date(2027, 10, 1)) == "国庆节"
    assert domain.holiday_on(_date(2026, 2, 17)) == "春节"
    assert domain.holiday_on(_date(2026, 2, 18)) is None
    assert domain.is_birthday(_date(1980, 2, 29), _date(2027, 2, 28))
    assert domain.is_birthday(_date(1980, 2, 29), _date(2028, 2, 29))
    assert not domain.is_birthday(_date(1980, 2, 29), _date(2028, 2, 28))
    assert not domain.is_birthday(None, _date(2028, 2, 28))


def test_lunar_holidays_come_from_the_lunar_calendar_every_year():
    # the table once written by hand (2025–2028) and years past it
    assert domain.holiday_on(_date(2025, 10, 6)) == "中秋节"
    assert domain.holiday_on(_date(2028, 5, 28)) == "端午节"
    assert [domain.holiday_on(_date(2030, m, d)) for m, d in ((2, 3), (6, 5), (9, 12))] == [
        "春节", "端午节", "中秋节"]
    # 2009 had a leap fifth month: its fifth day is no 端午
    assert domain.holiday_on(_date(2009, 5, 28)) == "端午节"
    assert domain.holiday_on(_date(2009, 6, 27)) is None
    # past the calendar's table only the fixed holidays remain
    assert domain.lunar_holidays(2100) == {}
    assert domain.holiday_on(_date(2100, 1, 1)) == "元旦"


def test_a_follow_up_is_due_on_the_office_day_of_its_appointment():
    day = datetime(2026, 12, 1).date()
    # 17:30 UTC on 30 Nov is 01:30 on 1 Dec in the office (Asia/Shanghai)
    assert domain.due_on(datetime(2026, 11, 30, 17, 30, tzinfo=timezone.utc), day)
    assert not domain.due_on(datetime(2026, 11, 30, 15, 30, tzinfo=timezone.utc), day)
    assert not domain.due_on(None, day)


def test_my_customers_list_due_ones_first_then_by_grade():
    at = datetime(2026, 11, 1, tzinfo=timezone.utc)
    later = datetime(2026, 11, 2, tzinfo=timezone.utc)
    rows = [
        {"id": 1, "grade": "A", "due_today": False, "next_appointment": None, "registered_at": at},
        {"id": 2, "grade": None, "due_today": True, "next_appointment": later,
         "registered_at": at},
        {"id": 3, "grade": "C", "due_today": False, "next_appointment": None,
         "registered_at": at},
        {"id": 4, "grade": "A", "due_today": False, "next_appointment": None,
         "registered_at": later},
        {"id": 5, "grade": None, "due_today": False, "next_appointment": None,
         "registered_at": at},
    ]
    assert [r["id"] for r in sorted(rows, key=domain.customer_list_order)] == [2, 4, 1, 3, 5]
