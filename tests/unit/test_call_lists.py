"""Call lists: unusable columns refuse the list whole; rows are judged one by one."""
import pytest

from services.leads.call_lists import UnusableColumns, parse


def test_good_rows_pass_bad_ones_are_reported_by_line_and_repeats_count_once():
    parsed = parse(["姓名", "手机"], [
        ["张三", "138 0013 8000"],
        ["李四", "12345"],
        ["王五", "+86 139-0013-9000"],
        ["张三", "13800138000"],       # the same number again
        ["", "13700137000"],           # a number without a name is still a lead
        ["赵" * 51, "13600136000"],
    ])
    assert parsed.leads == [{"mobile": "13800138000", "name": "张三"},
                            {"mobile": "13900139000", "name": "王五"},
                            {"mobile": "13700137000", "name": None}]
    assert parsed.errors == [
        {"line": 3, "field": "mobile", "reason": "not a mainland mobile number"},
        {"line": 7, "field": "name", "reason": "longer than 50 characters"}]
    assert parsed.repeated == 1


def test_english_headers_and_an_optional_notes_column():
    parsed = parse(["Name", "Mobile", "notes"], [["Li Si", "13900139000", "called twice"]])
    assert parsed.leads == [{"mobile": "13900139000", "name": "Li Si"}]


@pytest.mark.parametrize("header, missing, unknown", [
    (["姓名"], ["mobile"], []),
    (["姓名", "手机", "微信"], [], ["微信"]),
    (["mobile", "电话"], ["mobile (twice)"], []),
])
def test_unusable_columns_refuse_the_whole_list(header, missing, unknown):
    with pytest.raises(UnusableColumns) as refused:
        parse(header, [["x", "13800138000", "y"]])
    assert (refused.value.missing, refused.value.unknown) == (missing, unknown)
