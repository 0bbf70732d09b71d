"""Call lists through the gateway: a manager uploads CSV, errors come back by line."""
import pytest

pytestmark = pytest.mark.e2e


def upload(client, body: str, **params):
    return client.upload("/api/v1/call-lists", body.encode("utf-8"),
                         **{"source": "purchased", "file_name": "list.csv", **params})


def test_a_manager_imports_a_call_list_and_the_same_list_adds_nothing_twice(suite, admin):
    manager = suite.add_user("manager-calls", "sales_manager")
    body = "姓名,手机,备注\n" + "".join(f"客户{n},186{n:08d},\n" for n in range(300)) + \
        "坏,12345,\n"
    job = manager.finished_job(upload(manager, body))
    assert (job["status"], job["file_name"], job["rows_total"], job["rows_done"]) == (
        "done", "list.csv", 301, 301)
    first = job["result"]
    assert {k: first[k] for k in ("rows", "added", "duplicates", "rejected")} == {
        "rows": 301, "added": 300, "duplicates": 0, "rejected": 1}
    assert first["errors"] == job["errors"] == [{"line": 302, "field": "mobile",
                                                 "reason": "not a mainland mobile number"}]
    again = manager.finished_job(upload(manager, body))["result"]
    assert (again["added"], again["duplicates"]) == (0, 300)


def test_call_list_uploads_are_checked(suite, admin):
    consultant = suite.add_user("consultant-calls", "consultant", consultant_id=1)
    assert upload(consultant, "手机\n13800138000\n").status_code == 403
    refused = upload(admin, "姓名,微信\n张三,zs\n")
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {"header": ["missing: mobile",
                                                            "unknown: 微信"]}
    assert upload(admin, "手机\n13800138000\n", source="friends").status_code == 400
