"""A refusal a service answers (a 4xx at the gateway) is one INFO line in its log, not an
ERROR with a traceback."""
import pytest

from tests.e2e.conftest import wait_for

pytestmark = pytest.mark.e2e


def test_a_refusal_is_logged_at_info_without_a_traceback(suite, admin):
    missing = admin.get("/api/v1/customers/987654321")
    assert missing.status_code == 404
    bad = admin.post("/api/v1/visits", json={"office_id": 987654321, "name": "张三",
                                             "mobile": "13800138000"})
    assert bad.status_code in (400, 404)
    log_file = suite.logs / "leads.log"
    logged = wait_for(lambda: "987654321" in log_file.read_text()
                      and log_file.read_text().count("refused leads.") >= 2 and log_file.read_text())
    lines = logged.splitlines()
    refusals = [line for line in lines if "987654321" in line]
    assert refusals and all(" INFO " in line for line in refusals), refusals
    assert not any(line.startswith("contracts.errors.") for line in lines)
    assert not any("error handling worker" in line for line in refusals)
