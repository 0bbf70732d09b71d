"""Approval chains as a project's setting, through the real services: the seed's forms by
default (特惠申请单 销售部 → 总经理 → 财务部), a general manager shortens them for a project,
and each application keeps the chain it was filed under."""
import itertools

import pytest

from tests.e2e.test_deposit_flow import make_office, make_project
from tests.e2e.test_transactions_sale import confirmed_deposit

pytestmark = pytest.mark.e2e
SEED = ["sales_manager", "general_manager", "finance"]
_names = itertools.count(1)


def test_a_general_manager_shortens_a_projects_chains_and_applications_keep_theirs(
        suite, admin):
    office, (consultant_id, _) = make_office(admin)
    project, (unit_id, _) = make_project(admin)
    n = next(_names)
    consultant = suite.add_user(f"chains-consultant-{consultant_id}", "consultant",
                                consultant_id=consultant_id)
    manager = suite.add_user(f"chains-manager-{n}-{consultant_id}", "sales_manager",
                             project_ids=[project["id"]])
    general_manager = suite.add_user(f"chains-gm-{n}-{consultant_id}", "general_manager")
    chains_path = f"/api/v1/projects/{project['id']}/approval-chains"

    seed = manager.get(chains_path)
    assert seed.status_code == 200, seed.text
    assert {kind: c["chain"] for kind, c in seed.json()["chains"].items()
            if kind in ("swap", "discount", "rename")} == {
        "swap": SEED, "discount": SEED, "rename": SEED}
    customer = consultant.post("/api/v1/visits", {"office_id": office["id"], "name": "冯五",
                                                  "mobile": "15966001002"}).json()["customer"]
    _, form = confirmed_deposit(consultant, admin, project, unit_id, customer["id"])
    applications = f"/api/v1/order-forms/{form['id']}/applications"
    before = consultant.post(applications, {"kind": "discount", "reason": "老客户",
                                            "discounted_total_price": "1190000.00"})
    assert before.status_code == 201, before.text
    assert (before.json()["chain"], before.json()["chain_source"]) == (SEED, "default")

    shorter = {"chains": {"discount": ["sales_manager", "finance"]}}
    assert manager.put(chains_path, shorter).status_code == 403
    added = general_manager.put(chains_path, {"chains": {"discount": ["legal", "finance"]}})
    assert added.status_code == 400 and "chains.discount" in added.json()["error"]["fields"]
    done = general_manager.put(chains_path, shorter)
    assert done.status_code == 200, done.text
    assert done.json()["chains"]["discount"]["source"] == "project"

    # the application filed before keeps the seed's chain: the general manager still signs
    decisions = f"/api/v1/applications/{before.json()['id']}/decisions"
    assert manager.post(decisions, {"decision": "approve"}).status_code == 200
    finance = suite.add_user(f"chains-finance-{n}-{consultant_id}", "finance")
    assert finance.post(decisions, {"decision": "approve"}).status_code == 409
    assert manager.post(decisions, {"decision": "reject"}).status_code == 409
    rejected = general_manager.post(decisions, {"decision": "reject", "comment": "重新申请"})
    assert rejected.json()["status"] == "rejected"
    after = consultant.post(applications, {"kind": "discount", "reason": "老客户",
                                           "discounted_total_price": "1190000.00"})
    assert (after.json()["chain"], after.json()["chain_source"]) == (
        ["sales_manager", "finance"], "project")
