"""Offices and projects bound every role in every service: a role × office × route matrix over
the real services. Office A sells project A, office B sells project B; every record lives in
project A and belongs to office A's consultant. For each route, every actor whose role may
call it is tried: office B's sales manager, consultant and (project-limited) finance, and
office A's other consultant where the route is about a consultant's own customer, are refused
with 403 naming the field; office A's are let through. Then the same refusals straight over
RPC, without the gateway: the services check the actor themselves."""
import itertools
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from contracts.errors import Forbidden, InvalidInput
from contracts.scope import actor as make_actor
from gateway.routes import route
from tests.e2e.conftest import customer_of, wait_for
from tests.e2e.test_transactions_sale import ID_NUMBER

pytestmark = pytest.mark.e2e


HOLD = ("project_id", "hold_id")


@dataclass
class Actor:
    name: str  # manager, consultant, colleague, finance
    office: str  # A or B
    role: str
    client: object = None
    consultant_id: int | None = None


@dataclass
class Row:
    method: str
    path: str  # the route table's path
    url: str
    field: str | tuple  # the field a refusal names (one of them)
    body: object = None  # a dict, or a function of the actor
    own: bool = False  # about a consultant's own customer: the colleague is refused too
    runner: str | None = None  # a command: only this in-scope actor runs it
    ok: tuple = (200,)
    kwargs: dict = field(default_factory=dict)


def _project(admin, code, rooms):
    units = [{"number": f"{101 + i}", "floor": 1, "building_area": "89.50",
              "list_price": "1200000.00", "layout": "3/2"} for i in range(rooms)]
    project = admin.post("/api/v1/projects", {"code": code, "name": code,
                                              "buildings": [{"name": "1", "units": units}]})
    assert project.status_code == 201, project.text
    board = admin.get(f"/api/v1/projects/{project.json()['id']}/board").json()
    return project.json()["id"], [row[board["columns"].index("id")] for row in board["units"]]


@pytest.fixture(scope="module")
def world(suite, admin):
    project_a, units_a = _project(admin, "matrix-a", 6)
    project_b, _ = _project(admin, "matrix-b", 2)
    w = {"project_a": project_a, "project_b": project_b, "units": units_a, "actors": {}}
    for office, project in (("A", project_a), ("B", project_b)):
        made = admin.post("/api/v1/offices", {"code": f"matrix-{office.lower()}",
                                              "name": f"{office}案场", "region_code": "ly",
                                              "project_ids": [project]})
        assert made.status_code == 201 and made.json()["project_ids"] == [project], made.text
        office_id = made.json()["id"]
        w[f"office_{office}"] = office_id
        records = {kind: admin.post("/api/v1/consultants", {
            "office_id": office_id, "name": f"{office}{kind}",
            "kind": "manager" if kind == "manager" else "sales"}).json()["id"]
            for kind in ("consultant", "colleague", "manager")}
        for name, role in (("manager", "sales_manager"), ("consultant", "consultant"),
                           ("colleague", "consultant"), ("finance", "finance")):
            username = f"matrix-{name}-{office}"
            consultant_id = records.get(name)
            client = suite.add_user(username, role, consultant_id=consultant_id,
                                    project_ids=[project] if role == "finance" else ())
            w["actors"][(name, office)] = Actor(name, office, role, client, consultant_id)
        w[f"customer_{office}"] = customer_of(admin, office_id, records["consultant"], "张三")
        w[f"colleague_customer_{office}"] = customer_of(admin, office_id, records["colleague"],
                                                      "李四")
    return w


def _call(client, row, body):
    call = {"GET": client.get, "POST": client.post, "PUT": client.put}[row.method]
    if row.method == "GET":
        return call(row.url, **row.kwargs)
    if row.kwargs:
        return call(row.url, **row.kwargs)
    return call(row.url, body)


def _check(world, row, tally, problems):
    """Every actor the route's roles allow; the in-scope runner's answer."""
    allowed = route(row.method, row.path).roles
    ran = None
    for actor in world["actors"].values():
        if actor.role not in allowed:
            continue
        inside = actor.office == "A" and not (row.own and actor.name == "colleague")
        if inside and row.runner not in (None, actor.name):
            continue
        body = row.body(actor) if callable(row.body) else row.body
        answer = _call(actor.client, row, body)
        tally.append((actor.role, actor.office, row.method + " " + row.path))
        if inside and row.runner == actor.name:
            ran = answer
        cell = f"{actor.name}-{actor.office} {row.method} {row.url}"
        if inside and answer.status_code not in row.ok:
            problems.append(f"{cell}: expected {row.ok}, got {answer.status_code} "
                            f"{answer.text[:300]}")
        named = (row.field,) if isinstance(row.field, str) else row.field
        if not inside and (answer.status_code != 403 or not set(named) & set(
                answer.json()["error"]["fields"])):
            problems.append(f"{cell}: expected 403 naming {row.field}, got "
                            f"{answer.status_code} {answer.text[:300]}")
    return ran


def test_every_route_refuses_actors_outside_their_office_projects_and_customers(
        suite, admin, world):
    w, tally, problems = world, [], []
    actors = w["actors"]
    pa, (u1, u2, u3, u4, u5, u6) = w["project_a"], w["units"]
    cust, colleague_cust = w["customer_A"], w["colleague_customer_A"]
    a_consultant = actors[("consultant", "A")].consultant_id
    a_colleague = actors[("colleague", "A")].consultant_id

    def own_customer(actor):
        return w[f"{'colleague_' if actor.name == 'colleague' else ''}customer_{actor.office}"]

    def hold_body(actor):
        if actor.office == "B":  # their own customer, but a unit of a project not theirs
            return {"unit_id": u1, "customer_id": own_customer(actor),
                    **({} if actor.role == "consultant" else {"consultant_id": a_consultant})}
        if actor.name == "colleague":  # a colleague's customer: not theirs to hold for
            return {"unit_id": u1, "customer_id": cust}
        return {"unit_id": u1, "customer_id": cust}

    def check(*rows):
        return [_check(w, row, tally, problems) for row in rows]

    # holds and the waitlist (第9篇)
    held, = check(Row("POST", "/api/v1/holds", "/api/v1/holds", "project_id", hold_body,
                      runner="consultant", ok=(201,)))
    colleague_holds = actors[("colleague", "A")].client.post("/api/v1/holds", {
        "unit_id": u1, "customer_id": cust})
    assert colleague_holds.status_code == 403 and "customer_id" in \
        colleague_holds.json()["error"]["fields"], colleague_holds.text
    assert held is not None and held.status_code == 201, problems
    hold = held.json()["hold"]
    assert hold["consultant_id"] == a_consultant, hold
    h = hold["id"]
    check(Row("GET", "/api/v1/holds/{hold_id}", f"/api/v1/holds/{h}", HOLD, own=True),
          Row("POST", "/api/v1/holds/{hold_id}/approval", f"/api/v1/holds/{h}/approval",
              HOLD, {"approve": True, "comment": "ok"}, runner="manager"),
          Row("POST", "/api/v1/holds/{hold_id}/extension", f"/api/v1/holds/{h}/extension",
              HOLD, {"days": 1, "reason": "abroad"}, runner="manager"))

    def waitlist_body(actor):
        if actor.office == "B":
            return {"customer_id": own_customer(actor),
                    **({} if actor.role == "consultant" else {"consultant_id": a_colleague})}
        return {"customer_id": colleague_cust}
    waiting, = check(Row("POST", "/api/v1/units/{unit_id}/waitlist",
                         f"/api/v1/units/{u1}/waitlist", "project_id", waitlist_body,
                         runner="colleague", ok=(201,)))
    assert waiting.status_code == 201, problems
    entry_id = waiting.json()["id"]
    check(Row("POST", "/api/v1/waitlist/{entry_id}/withdrawal",
              f"/api/v1/waitlist/{entry_id}/withdrawal", ("project_id", "entry_id"), None,
              runner="colleague"))
    # nor may the holder withdraw their colleague's place
    not_theirs = actors[("consultant", "A")].client.post(
        f"/api/v1/waitlist/{entry_id}/withdrawal")
    assert not_theirs.status_code in (403, 409), not_theirs.text
    check(Row("POST", "/api/v1/holds/{hold_id}/release", f"/api/v1/holds/{h}/release",
              HOLD, {"reason": "the customer chose another"}, own=True,
              runner="consultant"))

    # the project's units, board, prices, rooms and progress
    base = f"/api/v1/projects/{pa}"
    csv = "号楼,房号,楼层,建筑面积\n9,{n},9,90\n"
    rooms = itertools.count(901)
    imported, = check(Row("POST", "/api/v1/projects/{project_id}/units/import",
                          f"{base}/units/import", "project_id", runner="manager", ok=(202,),
                          kwargs={"headers": {"Content-Type": "text/csv"},
                                  "data": csv.format(n=950).encode()}))
    assert imported is not None and imported.status_code == 202, problems
    job_id = imported.json()["id"]
    check(Row("GET", "/api/v1/projects/{project_id}/unit-imports/{job_id}",
              f"{base}/unit-imports/{job_id}", "project_id"))
    check(Row("GET", "/api/v1/projects/{project_id}/board", f"{base}/board", "project_id"),
          Row("GET", "/api/v1/projects/{project_id}/board.xlsx", f"{base}/board.xlsx",
              "project_id"),
          Row("GET", "/api/v1/units/{unit_id}", f"/api/v1/units/{u2}", "project_id"),
          Row("GET", "/api/v1/units/{unit_id}/history", f"/api/v1/units/{u2}/history",
              "project_id"),
          Row("GET", "/api/v1/units/{unit_id}/price", f"/api/v1/units/{u2}/price", "project_id"),
          Row("POST", "/api/v1/projects/{project_id}/price-lists", f"{base}/price-lists",
              "project_id", {"prices": [{"unit_id": u2, "total_price": "1200000.00"}]},
              runner="manager", ok=(201,)),
          Row("GET", "/api/v1/projects/{project_id}/price-lists", f"{base}/price-lists",
              "project_id"),
          Row("GET", "/api/v1/projects/{project_id}/price-lists/{version}",
              f"{base}/price-lists/1", "project_id"),
          Row("POST", "/api/v1/projects/{project_id}/units", f"{base}/units", "project_id",
              lambda actor: {"building": "8", "number": str(next(rooms)), "floor": 8,
                             "building_area": "90.00"}, runner="manager", ok=(201,)),
          Row("POST", "/api/v1/projects/{project_id}/buildings", f"{base}/buildings",
              "project_id", {"building": "7", "floors": 1, "rooms": [{"building_area": "90"}]},
              runner="manager", ok=(201,)),
          Row("GET", "/api/v1/projects/{project_id}/progress/{year}/{quarter}",
              f"{base}/progress/2026/4", "project_id"),
          Row("PUT", "/api/v1/projects/{project_id}/progress/{year}/{quarter}/plan",
              f"{base}/progress/2026/4/plan", "project_id",
              {"weeks": [{"week": 1, "units": 1, "amount": "1.00"}]}, runner="manager"))

    # the sales channels that sell the project: a manager of another office may neither
    # create one for it nor, naming only their own project, take it off one
    codes = itertools.count(1)
    made, = check(Row("POST", "/api/v1/channels", "/api/v1/channels", "project_id",
                      lambda actor: {"code": f"matrix-{actor.name}-{next(codes)}",
                                     "name": "代理", "kind": "agency", "project_ids": [pa]},
                      runner="manager", ok=(201,)))
    assert made.status_code == 201, problems
    channel = made.json()["id"]

    def channel_projects(actor):
        return {"project_ids": [w["project_b"] if actor.office == "B" else pa]}
    check(Row("PUT", "/api/v1/channels/{channel_id}/projects",
              f"/api/v1/channels/{channel}/projects", "project_id", channel_projects,
              runner="manager"))
    assert admin.get(f"/api/v1/channels/{channel}").json()["project_ids"] == [pa]

    # the deal: deposit → order form → payment → subscription → contract → plan → filing
    def deposit_body(actor):
        unit = u3 if actor.office == "A" and actor.name == "consultant" else u4
        customer = own_customer(actor) if actor.office == "B" and actor.role == "consultant" \
            else cust
        return {"unit_id": unit, "customer_id": customer, "amount": "20000.00",
                "kind": "large", "customer_name": "张三", "customer_id_number": ID_NUMBER,
                "building_area": "89.50", "total_price": "1200000.00",
                "due_date": "2026-12-01",
                **({} if actor.role == "consultant" else {"consultant_id": a_consultant})}
    taken, = check(Row("POST", "/api/v1/deposits", "/api/v1/deposits",
                       ("project_id", "customer_id"),
                       deposit_body, own=True, runner="consultant", ok=(201,)))
    colleague_deposit = actors[("colleague", "A")].client.post(
        "/api/v1/deposits", {**deposit_body(actors[("consultant", "A")]), "unit_id": u4})
    assert colleague_deposit.status_code == 403 and "customer_id" in \
        colleague_deposit.json()["error"]["fields"], colleague_deposit.text
    assert taken.status_code == 201, problems
    deposit_id = taken.json()["id"]
    form = wait_for(lambda: (lambda r: r.json() if r.status_code == 200 else None)(
        admin.get(f"/api/v1/deposits/{deposit_id}/order-form")))
    assert form, "the deposit was never confirmed"
    of = form["id"]
    signed_by_consultant = actors[("consultant", "A")].client.post(
        f"/api/v1/order-forms/{of}/signatures", {"party": "consultant", "name": "顾问"})
    assert signed_by_consultant.status_code == 200, signed_by_consultant.text
    *_, subscribed = check(
          Row("GET", "/api/v1/deposits/{deposit_id}", f"/api/v1/deposits/{deposit_id}",
              "deposit_id", own=True),
          Row("GET", "/api/v1/deposits/{deposit_id}/order-form",
              f"/api/v1/deposits/{deposit_id}/order-form", "deposit_id", own=True),
          Row("GET", "/api/v1/order-forms/{order_form_id}", f"/api/v1/order-forms/{of}",
              "order_form_id", own=True),
          Row("GET", "/api/v1/deposits/{deposit_id}/deal-report",
              f"/api/v1/deposits/{deposit_id}/deal-report", "deposit_id", own=True),
          Row("POST", "/api/v1/order-forms/{order_form_id}/signatures",
              f"/api/v1/order-forms/{of}/signatures", "order_form_id",
              {"party": "customer", "name": "张三"}, own=True, runner="consultant"),
          Row("POST", "/api/v1/order-forms/{order_form_id}/signatures",
              f"/api/v1/order-forms/{of}/signatures", "order_form_id",
              {"party": "manager", "name": "经理"}, runner="manager"),
          Row("POST", "/api/v1/order-forms/{order_form_id}/payments",
              f"/api/v1/order-forms/{of}/payments", "order_form_id",
              {"amount": "340000.00", "purpose": "down_payment"}, own=True, runner="finance",
              ok=(201,)),
          Row("POST", "/api/v1/order-forms/{order_form_id}/subscription",
              f"/api/v1/order-forms/{of}/subscription", "order_form_id",
              {"buyer_name": "张三", "buyer_id_number": ID_NUMBER, "signed_by": "张三"},
              own=True, runner="consultant", ok=(201,)))
    assert subscribed.status_code == 201, problems
    sub_id = subscribed.json()["id"]
    _, signed = check(
          Row("GET", "/api/v1/subscriptions/{subscription_id}",
              f"/api/v1/subscriptions/{sub_id}", "subscription_id", own=True),
          Row("POST", "/api/v1/subscriptions/{subscription_id}/contract",
              f"/api/v1/subscriptions/{sub_id}/contract", "subscription_id",
              {"buyer_name": "张三", "buyer_id_number": ID_NUMBER, "signed_by": "张三",
               "payment_method": "mortgage", "mortgage_documents_due": "2026-12-20"},
              own=True, runner="consultant", ok=(201,)))
    assert signed.status_code == 201, problems
    contract_id = signed.json()["id"]
    c = f"/api/v1/contracts/{contract_id}"
    check(Row("GET", "/api/v1/contracts/{contract_id}", c, "contract_id", own=True),
          Row("PUT", "/api/v1/contracts/{contract_id}/payment-plan", f"{c}/payment-plan",
              "contract_id", {"items": [
                  {"kind": "down_payment", "due_date": "2026-01-31", "amount": "360000.00"},
                  {"kind": "loan", "due_date": "2027-01-31", "amount": "840000.00"}],
                  "mortgage": {"bank": "建设银行", "annual_rate": "0.049", "months": 360}},
              own=True, runner="finance"),
          Row("GET", "/api/v1/contracts/{contract_id}/payment-plan", f"{c}/payment-plan",
              "contract_id", own=True),
          Row("POST", "/api/v1/contracts/{contract_id}/mortgage-documents",
              f"{c}/mortgage-documents", "contract_id",
              {"name": "收入证明", "handed_in_on": "2026-11-20"}, own=True, runner="finance",
              ok=(201,)),
          Row("POST", "/api/v1/contracts/{contract_id}/collections", f"{c}/collections",
              "contract_id", {"seq": 1, "action": "contact", "note": "电话催款"}, own=True,
              runner="consultant", ok=(200, 409)))

    # changes with approvals (第3篇)
    filed, = check(Row("POST", "/api/v1/order-forms/{order_form_id}/applications",
              f"/api/v1/order-forms/{of}/applications", "order_form_id",
              {"kind": "rename", "reason": "gift to a son", "new_buyer_name": "李四",
               "new_buyer_id_number": "410102199001011234"}, own=True, runner="consultant",
              ok=(201,)))
    assert filed.status_code == 201, problems
    application_id = filed.json()["id"]
    w.update(order_form_id=of, deposit_id=deposit_id, application_id=application_id)
    a = f"/api/v1/applications/{application_id}"
    check(Row("GET", "/api/v1/applications/{application_id}", a, "application_id", own=True),
          Row("POST", "/api/v1/applications/{application_id}/decisions", f"{a}/decisions",
              "application_id", {"decision": "approve", "comment": "同意"}, own=True,
              runner="manager"),
          Row("POST", "/api/v1/applications/{application_id}/refund-payment",
              f"{a}/refund-payment", "application_id", {"bank_reference": "R-1"},
              runner="finance", ok=(409,)))
    check(Row("POST", "/api/v1/contracts/{contract_id}/filing", f"{c}/filing", "contract_id",
              {"filing_number": f"BA-{contract_id}"}, runner="manager"))

    # finance and reports of the project
    period = {"params": {"from": "2026-06-01", "to": "2027-05-31"}}
    receipt = admin.get(f"/api/v1/order-forms/{of}").json()["receipts"][-1]
    check(Row("GET", "/api/v1/projects/{project_id}/reconciliation",
              f"{base}/reconciliation", "project_id", kwargs=period),
          Row("GET", "/api/v1/projects/{project_id}/reconciliation.xlsx",
              f"{base}/reconciliation.xlsx", "project_id", kwargs=period),
          Row("POST", "/api/v1/finance/bank-receipts", "/api/v1/finance/bank-receipts",
              "project_id", {"bank_reference": f"M-{of}", "project_id": pa,
                             "receipt_number": receipt["number"],
                             "amount": receipt["amount"], "received_on": "2026-11-22",
                             "bank": "建设银行"}, runner="finance"),
          Row("GET", "/api/v1/projects/{project_id}/deal-reports", f"{base}/deal-reports",
              "project_id"),
          Row("GET", "/api/v1/projects/{project_id}/deal-reports.xlsx",
              f"{base}/deal-reports.xlsx", "project_id"))

    # the dossier (一户一档) of a unit of the project
    wait_for(lambda: admin.get(f"/api/v1/units/{u3}/dossier",
                               params={"purpose": "matrix"}).status_code == 200)
    check(Row("GET", "/api/v1/units/{unit_id}/dossier", f"/api/v1/units/{u3}/dossier",
              "project_id", kwargs={"params": {"purpose": "matrix"}}))

    # deals (成交) and my customers (我的客户): a consultant lists their own
    check(Row("GET", "/api/v1/deals", "/api/v1/deals", "project_id",
              kwargs={"params": {"project_id": pa}}),
          Row("GET", "/api/v1/consultants/{consultant_id}/customers",
              f"/api/v1/consultants/{a_consultant}/customers", ("consultant_id", "office_id"),
              own=True))
    for name, office in (("colleague", "A"), ("manager", "B"), ("consultant", "B"),
                         ("finance", "B")):
        listed = actors[(name, office)].client.get("/api/v1/deals")
        assert listed.status_code == 200, listed.text
        assert deposit_id not in {deal["deposit_id"] for deal in listed.json()["deals"]}, \
            f"{name}-{office} lists a deal of office A's consultant"

    # a returning customer recognised while a registration is typed: one's own office only
    check(Row("GET", "/api/v1/offices/{office_id}/known-customers",
              f"/api/v1/offices/{w['office_A']}/known-customers", "office_id",
              kwargs={"params": {"mobile": "16599999998"}}))

    # 排号 and the opening (开盘) of two units of project A
    q = f"{base}/queue-numbers"

    def queue_body(actor):
        customer = own_customer(actor) if actor.office == "B" and actor.role == "consultant" \
            else cust
        return {"customer_id": customer, "customer_name": "张三", "amount": "20000.00",
                "customer_id_number": ID_NUMBER,
                **({} if actor.role == "consultant" else {"consultant_id": a_consultant})}
    queued, = check(Row("POST", "/api/v1/projects/{project_id}/queue-numbers", q,
                        ("project_id", "customer_id"), queue_body, own=True,
                        runner="consultant", ok=(201,)))
    assert queued.status_code == 201, problems
    second = actors[("consultant", "A")].client.post(q, queue_body(actors[("consultant", "A")]))
    assert second.status_code == 201, second.text
    qn, cancelled = queued.json(), second.json()["id"]
    w.update(queue_number_id=qn["id"])
    check(Row("GET", "/api/v1/projects/{project_id}/queue-numbers", q, "project_id"),
          Row("GET", "/api/v1/queue-numbers/{queue_number_id}",
              f"/api/v1/queue-numbers/{qn['id']}", "queue_number_id", own=True),
          Row("POST", "/api/v1/queue-numbers/{queue_number_id}/cancellation",
              f"/api/v1/queue-numbers/{cancelled}/cancellation", "queue_number_id",
              {"reason": "the customer changed their mind"}, own=True, runner="consultant"))
    theirs = actors[("colleague", "A")].client.get(q)
    assert theirs.status_code == 200 and theirs.json()["queue_numbers"] == [], \
        "a consultant lists only their own customers' queue numbers"
    starts_at = datetime.now(timezone.utc) + timedelta(seconds=20)
    opening = {"name": "矩阵开盘", "starts_at": starts_at.isoformat(),
               "ends_at": (starts_at + timedelta(hours=1)).isoformat(), "mode": "lottery",
               "unit_ids": [u5, u6], "slot_size": 10, "slot_minutes": 30,
               "limit_per_household": 1}
    opened, = check(Row("POST", "/api/v1/projects/{project_id}/openings", f"{base}/openings",
                        "project_id", opening, runner="manager", ok=(201,)))
    assert opened.status_code == 201, problems
    o = f"/api/v1/openings/{opened.json()['id']}"
    w.update(opening_id=opened.json()["id"])
    check(Row("GET", "/api/v1/openings/{opening_id}", o, "project_id"),
          Row("POST", "/api/v1/openings/{opening_id}/entrants", f"{o}/entrants",
              "project_id", runner="manager"),
          Row("POST", "/api/v1/openings/{opening_id}/seed", f"{o}/seed", "project_id",
              {"seed": "matrix-notary-seed"}, runner="manager"),
          Row("GET", "/api/v1/openings/{opening_id}/order", f"{o}/order", "project_id"))
    assert admin.get(f"{o}/order").json()["entrants"] == [qn["number"]]
    time.sleep(max(0.0, (starts_at - datetime.now(timezone.utc)).total_seconds()) + 0.2)
    check(Row("POST", "/api/v1/openings/{opening_id}/selections", f"{o}/selections",
              ("project_id", "queue_number"), {"queue_number": qn["number"], "unit_id": u5},
              own=True, runner="consultant", ok=(201,)),
          Row("GET", "/api/v1/openings/{opening_id}/results.xlsx", f"{o}/results.xlsx",
              "project_id"),
          Row("POST", "/api/v1/openings/{opening_id}/close", f"{o}/close", "project_id",
              runner="manager"))

    # last, what ends the order form: forfeiture (not yet due: 409) and voiding
    check(Row("POST", "/api/v1/order-forms/{order_form_id}/forfeiture",
              f"/api/v1/order-forms/{of}/forfeiture", "order_form_id", {"reason": "late"},
              runner="manager", ok=(409,)),
          Row("POST", "/api/v1/order-forms/{order_form_id}/void",
              f"/api/v1/order-forms/{of}/void", "order_form_id",
              {"reason": "name misspelt", "requested_by": "张三"}, runner="manager",
              ok=(200, 409)))

    routes = {cell[2] for cell in tally}
    roles = {cell[0] for cell in tally}
    print(f"\nscope matrix: {len(roles)} roles × 2 offices × {len(routes)} routes = "
          f"{len(tally)} checked calls")
    assert not problems, "\n".join(problems)
    assert len(routes) >= 40


def test_the_services_refuse_an_rpc_caller_acting_outside_its_scope(suite, world):
    """The gateway is not the only guard: the same refusals straight over RPC."""
    w = world
    manager_b = make_actor("matrix-manager-B", "sales_manager",
                           w["actors"][("manager", "B")].consultant_id,
                           [w["office_B"]], [w["project_b"]])
    colleague = make_actor("matrix-colleague-A", "consultant",
                           w["actors"][("colleague", "A")].consultant_id, [w["office_A"]],
                           [w["project_a"]])
    unit = w["units"][5]
    with ClusterRpcProxy({"AMQP_URI": suite.env["AMQP_URI"]}, timeout=20) as cluster:
        with pytest.raises(InvalidInput) as missing:
            cluster.inventory.get_unit({"unit_id": unit})
        assert "actor" in missing.value.details
        with pytest.raises(Forbidden) as refused:
            cluster.inventory.get_unit({"unit_id": unit, "actor": manager_b})
        assert "project_id" in refused.value.details
        with pytest.raises(Forbidden) as refused:
            cluster.inventory.hold_unit({
                "unit_id": unit, "customer_id": w["customer_A"], "actor": colleague,
                "consultant_id": w["actors"][("consultant", "A")].consultant_id})
        assert "consultant_id" in refused.value.details
        with pytest.raises(Forbidden) as refused:
            cluster.inventory.get_board({"project_id": w["project_a"], "actor": manager_b})
        assert "project_id" in refused.value.details
        # the deal the matrix made in project A (the test above)
        for method, payload, name in (
                ("get_order_form", {"order_form_id": w["order_form_id"]}, "order_form_id"),
                ("get_deposit", {"deposit_id": w["deposit_id"]}, "deposit_id"),
                ("decide_application", {"application_id": w["application_id"],
                                        "decision": "approve",
                                        "approver": "x", "role": "sales_manager"},
                 "application_id"),
                ("get_reconciliation", {"project_id": w["project_a"], "from": "2026-06-01",
                                        "to": "2026-12-31"}, "project_id")):
            for who in (manager_b, colleague):
                if method == "get_reconciliation" and who is colleague:
                    continue
                with pytest.raises(Forbidden) as refused:
                    getattr(cluster.transactions, method)({**payload, "actor": who})
                assert name in refused.value.details, (method, refused.value.details)
        # the routes added since: queue numbers, deals, the opening (the test above)
        for service, method, payload, name, callers in (
                ("transactions", "get_queue_number", {"queue_number_id": w["queue_number_id"]},
                 "queue_number_id", (manager_b, colleague)),
                ("transactions", "cancel_queue_number", {
                    "queue_number_id": w["queue_number_id"], "reason": "x",
                    "cancelled_by": "x"}, "queue_number_id", (manager_b, colleague)),
                ("transactions", "list_queue_numbers", {"project_id": w["project_a"]},
                 "project_id", (manager_b,)),
                ("transactions", "list_deals", {"project_id": w["project_a"]}, "project_id",
                 (manager_b,)),
                ("inventory", "get_opening", {"opening_id": w["opening_id"]}, "project_id",
                 (manager_b,)),
                ("inventory", "get_opening_order", {"opening_id": w["opening_id"]},
                 "project_id", (manager_b,)),
                ("inventory", "get_opening_results_xlsx", {"opening_id": w["opening_id"]},
                 "project_id", (manager_b,)),
                ("inventory", "select_unit", {"opening_id": w["opening_id"], "queue_number": 1,
                                              "unit_id": unit, "selected_by": "x"},
                 "project_id", (manager_b,))):
            for who in callers:
                with pytest.raises(Forbidden) as refused:
                    getattr(getattr(cluster, service), method)({**payload, "actor": who})
                assert name in refused.value.details, (method, refused.value.details)
        # a consultant's lists are their own, whatever the caller asks
        assert cluster.transactions.list_queue_numbers({
            "project_id": w["project_a"], "actor": colleague})["queue_numbers"] == []
        assert w["deposit_id"] not in {deal["deposit_id"] for deal in cluster.transactions
                                       .list_deals({"actor": colleague})["deals"]}
        # leads checks the actor too: none is refused naming it, another office's manager
        # or consultant is refused naming the office, a colleague naming the customer
        consultant_a = w["actors"][("consultant", "A")].consultant_id
        consultant_b = make_actor("matrix-consultant-B", "consultant",
                                  w["actors"][("consultant", "B")].consultant_id,
                                  [w["office_B"]], [w["project_b"]])
        reader = {"read_by": {"user_id": 1, "username": "matrix-manager-B",
                              "role": "sales_manager"}, "purpose": "matrix"}
        customer = {"customer_id": w["customer_A"]}
        office = {"office_id": w["office_A"]}
        for method, payload, callers, colleague_field in (
                ("get_customer", {**customer, **reader}, (manager_b, consultant_b), None),
                ("customer_file", {**customer, **reader}, (manager_b, consultant_b),
                 "customer_id"),
                ("known_customer", {**office, "mobile": "16599999998", **reader},
                 (manager_b, consultant_b), None),
                ("grade_customer", {**customer, "grade": "B", "changed_by": "x"},
                 (manager_b, consultant_b), "customer_id"),
                ("update_profile", {**customer, "archive": {}}, (manager_b, consultant_b),
                 "customer_id"),
                ("record_follow_up", {**customer, "kind": "call", "content": "x"},
                 (consultant_b,), None),
                ("reassign_customer", {**customer, "consultant_id": consultant_a,
                                       "reason": "x", "decided_by": "x"}, (manager_b,), None),
                ("consultant_customers", {"consultant_id": consultant_a}, (manager_b,),
                 "consultant_id"),
                ("care_reminders", {"consultant_id": consultant_a}, (manager_b,),
                 "consultant_id"),
                ("hopeless_customers", office, (manager_b,), None),
                ("set_office_roster", office, (manager_b,), None),
                ("call_center_day", office, (manager_b,), None),
                ("export_log", office, (manager_b,), None),
                ("export", {**office, "kind": "visits", "exported_by": "x"},
                 (manager_b, consultant_b), None)):
            with pytest.raises(InvalidInput) as missing:
                getattr(cluster.leads, method)(payload)
            assert "actor" in missing.value.details, (method, missing.value.details)
            for who in callers:
                with pytest.raises(Forbidden) as refused:
                    getattr(cluster.leads, method)({**payload, "actor": who})
                assert "office_id" in refused.value.details, (method, refused.value.details)
            if colleague_field is not None:
                with pytest.raises(Forbidden) as refused:
                    getattr(cluster.leads, method)({**payload, "actor": colleague})
                assert colleague_field in refused.value.details, (method,
                                                                  refused.value.details)
