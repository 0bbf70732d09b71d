"""Opening day through the gateway: queue numbers (排号) with their 诚意金 → a lottery opening
→ fifty buyers racing for ten units → the results workbook → refunds for those who bought
nothing."""
import io
import json
import random
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook

from infra.config import REPO_ROOT
from infra.working_calendar import SHANGHAI
from services.inventory import opening_order
from tests.e2e.conftest import Client, customer_of, wait_for
from tests.e2e.test_deposit_flow import make_office, make_project

pytestmark = pytest.mark.e2e
BUYERS, RELEASED = 50, 10


def _id_number(i):
    return f"410300199001{i:04d}12"


def test_queue_numbers_lottery_opening_burst_results_and_refunds(suite, admin):
    office, (first, second) = make_office(admin)
    project, units = make_project(admin, rooms=RELEASED + 2)
    pid = project["id"]
    released, unchosen, outside = units[:RELEASED], units[RELEASED], units[RELEASED + 1]
    consultant = suite.add_user(f"opening-consultant-{first}", "consultant", consultant_id=first)
    manager = suite.add_user(f"opening-manager-{first}", "sales_manager", project_ids=[pid])

    # 排号: a consultant for their own customer, then cancelled: the 诚意金 is refunded
    mine = customer_of(admin, office["id"], first)
    taken = consultant.post(f"/api/v1/projects/{pid}/queue-numbers", {
        "customer_id": mine, "customer_name": "张三", "customer_id_number": _id_number(9999),
        "amount": "50000.00", "agreement_number": "PH-0001"})
    assert taken.status_code == 201, taken.text
    assert (taken.json()["number"], taken.json()["receipt_number"]) == (1, 1)
    assert consultant.post(f"/api/v1/projects/{pid}/queue-numbers", {
        "customer_id": mine, "customer_name": "张三", "customer_id_number": _id_number(1),
        "amount": "0.00"}).json()["error"]["fields"].keys() == {"amount"}
    cancelled = consultant.post(f"/api/v1/queue-numbers/{taken.json()['id']}/cancellation",
                                {"reason": "the customer changed their mind"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "refunded"
    again = consultant.post(f"/api/v1/queue-numbers/{taken.json()['id']}/cancellation",
                            {"reason": "twice"})
    assert again.status_code == 409 and "queue_number_id" in again.json()["error"]["fields"]

    # fifty more, taken concurrently: numbers and receipts without gaps; two buyers share a
    # household (the same ID number)
    def take(i):
        return admin.post(f"/api/v1/projects/{pid}/queue-numbers", {
            "customer_id": 800000 + i, "consultant_id": first, "customer_name": f"买家{i}",
            "customer_id_number": _id_number(0 if i == 1 else i), "amount": "30000.00"})
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(take, range(BUYERS)))
    assert all(answer.status_code == 201 for answer in answers), answers[0].text
    assert sorted(a.json()["number"] for a in answers) == list(range(2, BUYERS + 2))
    assert sorted(a.json()["receipt_number"] for a in answers) == list(range(2, BUYERS + 2))
    number_of = {a.json()["customer_id"] - 800000: a.json()["number"] for a in answers}

    # the opening: a lottery, ten units, starting in a few seconds
    starts_at = datetime.now(timezone.utc) + timedelta(seconds=8)
    opening = {"name": "一期开盘", "starts_at": starts_at.isoformat(),
               "ends_at": (starts_at + timedelta(hours=1)).isoformat(), "mode": "lottery",
               "unit_ids": released + [unchosen], "slot_size": 100, "slot_minutes": 30,
               "limit_per_household": 1, "max_attempts": 3}
    created = manager.post(f"/api/v1/projects/{pid}/openings", opening)
    assert created.status_code == 201, created.text
    oid = created.json()["id"]
    clash = manager.post(f"/api/v1/projects/{pid}/openings", {**opening, "name": "重复"})
    assert clash.status_code == 409 and "unit_ids" in clash.json()["error"]["fields"]
    assert manager.post(f"/api/v1/projects/{pid}/openings", {
        **opening, "mode": "slots", "slot_size": None}).json()["error"]["fields"].keys() \
        == {"slot_size"}
    held = admin.post("/api/v1/holds", {"unit_id": released[0], "customer_id": mine,
                                        "consultant_id": first})
    assert held.status_code == 409 and "unit_id" in held.json()["error"]["fields"]

    entrants = manager.post(f"/api/v1/openings/{oid}/entrants")
    assert entrants.status_code == 200 and entrants.json()["entrants"] == BUYERS, entrants.text
    seed = f"notary-{oid}-7f3a9c"
    drawn = manager.post(f"/api/v1/openings/{oid}/seed", {"seed": seed})
    assert drawn.status_code == 200, drawn.text
    changed = manager.post(f"/api/v1/openings/{oid}/seed", {"seed": seed + "x"})
    assert changed.status_code == 409 and "seed" in changed.json()["error"]["fields"]
    assert manager.post(f"/api/v1/openings/{oid}/seed", {"seed": seed}).status_code == 200
    order = consultant.get(f"/api/v1/openings/{oid}/order").json()
    assert order["seed"] == seed and order["entrants"] == list(range(2, BUYERS + 2))
    assert [e["queue_number"] for e in order["order"]] == opening_order.draw(seed,
                                                                               order["entrants"])
    verified = subprocess.run([sys.executable, "-m", "services.inventory.opening_order",
                               "--verify", "-"], input=json.dumps(order), text=True,
                              capture_output=True, cwd=REPO_ROOT)
    assert verified.returncode == 0 and json.loads(verified.stdout)["matches"], verified.stderr

    early = admin.post(f"/api/v1/openings/{oid}/selections",
                       {"queue_number": 2, "unit_id": released[0]})
    assert early.status_code == 409 and "queue_number" in early.json()["error"]["fields"]
    time.sleep(max(0.0, (starts_at - datetime.now(timezone.utc)).total_seconds()) + 0.2)
    assert admin.post(f"/api/v1/openings/{oid}/selections", {
        "queue_number": 2, "unit_id": outside}).json()["error"]["fields"].keys() == {"unit_id"}
    assert admin.post(f"/api/v1/openings/{oid}/selections", {
        "queue_number": 1, "unit_id": released[0]}).status_code == 400  # cancelled: no entrant
    other = suite.add_user(f"opening-other-{second}", "consultant", consultant_id=second)
    assert other.post(f"/api/v1/openings/{oid}/selections", {
        "queue_number": 2, "unit_id": released[0]}).status_code == 403  # not their customer

    # the burst: fifty buyers, each trying up to three of the ten units until one is theirs
    token = admin.http.headers["Authorization"].split()[1]

    def buy(i):
        client, tried, outcome = Client(suite.base_url, token), [], []
        for unit_id in random.Random(i).sample(released, 3):
            answer = client.post(f"/api/v1/openings/{oid}/selections",
                                 {"queue_number": number_of[i], "unit_id": unit_id})
            outcome.append((unit_id, answer.status_code, answer.json()))
            if answer.status_code == 201:
                break
        return i, outcome
    with ThreadPoolExecutor(BUYERS) as pool:
        results = list(pool.map(buy, range(BUYERS)))
    wins = [(i, unit_id) for i, outcome in results for unit_id, status, _ in outcome
            if status == 201]
    for _, outcome in results:
        for unit_id, status, body in outcome:
            assert status in (201, 409), body
            if status == 409:
                assert body["error"]["fields"].keys() & {"unit_id", "queue_number"}, body
    assert len({unit_id for _, unit_id in wins}) == len(wins) <= RELEASED  # each unit once
    assert len({i for i, _ in wins}) == len(wins)  # nobody over the limit
    assert not ({0, 1} <= {i for i, _ in wins})  # one household, one unit
    assert len(wins) >= RELEASED - 2
    winner = wins[0][0]
    over = admin.post(f"/api/v1/openings/{oid}/selections", {
        "queue_number": number_of[winner], "unit_id": unchosen})  # available, but over the limit
    assert over.status_code == 409 and "queue_number" in over.json()["error"]["fields"]

    # each win: held at once, then the 诚意金 becomes the deposit and the order form follows
    def converted():
        rows = manager.get(f"/api/v1/projects/{pid}/queue-numbers",
                           params={"status": "converted"}).json()["queue_numbers"]
        return rows if len(rows) == len(wins) else None
    rows = wait_for(converted, timeout=60)
    assert rows, "every winner's 诚意金 becomes a deposit"
    deposit_id = rows[0]["deposit_id"]
    order_form = wait_for(lambda: (lambda r: r.json() if r.status_code == 200 else None)(
        manager.get(f"/api/v1/deposits/{deposit_id}/order-form")), timeout=60)
    assert order_form and order_form["deposit_amount"] == "30000.00"
    assert order_form["total_price"] == "1200000.00"
    report = manager.get(f"/api/v1/deposits/{deposit_id}/deal-report").json()
    assert report["queue_date"] == datetime.fromisoformat(rows[0]["taken_at"]).astimezone(
        SHANGHAI).date().isoformat()  # 排号日期: the day of the queue number
    for _, unit_id in wins:
        assert wait_for(lambda: admin.get(f"/api/v1/units/{unit_id}").json()["status"]
                        == "reserved", timeout=60)
    # every step in the unit's dossier: the 排号协议 (the customer's papers), the selection,
    # the 诚意金 turned into the deposit, the reservation
    steps = {"sincerity_received", "unit_selected", "sincerity_converted", "deposit_received",
             "unit_reserved"}
    filed = wait_for(lambda: steps <= {entry["type"] for entry in admin.get(
        f"/api/v1/units/{wins[0][1]}/dossier", params={"purpose": "audit"}).json()["entries"]},
        timeout=60)
    assert filed, "the opening's steps reach the unit's dossier"

    sheet = load_workbook(io.BytesIO(manager.get(
        f"/api/v1/openings/{oid}/results.xlsx").content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("序号", "排号", "楼栋") and len(rows) == len(wins) + 1
    assert sorted(row[1] for row in rows[1:]) == sorted(number_of[i] for i, _ in wins)

    closed = manager.post(f"/api/v1/openings/{oid}/close")
    assert closed.status_code == 200 and closed.json()["sold"] == len(wins)
    assert manager.post(f"/api/v1/openings/{oid}/close").status_code == 409
    refunded = wait_for(lambda: (lambda rows: rows if len(rows) == BUYERS - len(wins) + 1
                                 else None)(manager.get(
                                     f"/api/v1/projects/{pid}/queue-numbers",
                                     params={"status": "refunded"}).json()["queue_numbers"]),
                        timeout=60)
    assert refunded, "every entrant who bought nothing is refunded"
    assert all(row["end_reason"] == f"bought nothing at opening {oid}"
               for row in refunded if row["number"] != 1)
    back = admin.post("/api/v1/holds", {"unit_id": unchosen, "customer_id": mine,
                                        "consultant_id": first})
    assert back.status_code == 201, back.text  # unsold: back on normal sale


def started_opening(suite, admin, buyers_per_consultant=1, rooms=4, wait=True):
    """A slots opening of a new project with every unit released, its entrants the queue
    numbers of `buyers_per_consultant` customers of each of the office's two consultants
    (one household each), started (the entrants are fixed before the start)."""
    office, consultants = make_office(admin)
    project, units = make_project(admin, rooms=rooms)
    pid = project["id"]
    manager = suite.add_user(f"opening-manager-{pid}", "sales_manager", project_ids=[pid])
    numbers = {}  # consultant_id -> [queue number, ...]
    for consultant_id in consultants:
        for n in range(buyers_per_consultant):
            customer = customer_of(admin, office["id"], consultant_id, f"开盘客户{n}")
            taken = admin.post(f"/api/v1/projects/{pid}/queue-numbers", {
                "customer_id": customer, "consultant_id": consultant_id,
                "customer_name": f"开盘客户{n}",
                "customer_id_number": _id_number(customer % 10000), "amount": "20000.00"})
            assert taken.status_code == 201, taken.text
            numbers.setdefault(consultant_id, []).append(taken.json()["number"])
    starts_at = datetime.now(timezone.utc) + timedelta(seconds=5)
    created = manager.post(f"/api/v1/projects/{pid}/openings", {
        "name": "二期开盘", "starts_at": starts_at.isoformat(),
        "ends_at": (starts_at + timedelta(hours=2)).isoformat(), "mode": "slots",
        "unit_ids": units, "slot_size": 10, "slot_minutes": 60, "limit_per_household": 1})
    assert created.status_code == 201, created.text
    oid = created.json()["id"]
    entrants = manager.post(f"/api/v1/openings/{oid}/entrants")
    assert entrants.status_code == 200, entrants.text
    if wait:
        time.sleep(max(0.0, (starts_at - datetime.now(timezone.utc)).total_seconds()) + 0.2)
    return {"office": office, "project": project, "units": units, "opening_id": oid,
            "consultants": consultants, "numbers": numbers, "manager": manager,
            "starts_at": starts_at}


def test_a_retried_selection_answers_its_first_result_not_taken(suite, admin):
    opening = started_opening(suite, admin)
    oid, (unit_a, unit_b, *_) = opening["opening_id"], opening["units"]
    consultant_id = opening["consultants"][0]
    (number,) = opening["numbers"][consultant_id]
    consultant = suite.add_user(f"opening-retry-{oid}", "consultant",
                                consultant_id=consultant_id)
    path, key = f"/api/v1/openings/{oid}/selections", str(uuid.uuid4())
    body = {"queue_number": number, "unit_id": unit_a}

    won = consultant.post(path, body, headers={"Idempotency-Key": key})
    assert won.status_code == 201 and won.json()["outcome"] == "won", won.text
    # the click retried (the answer was lost on the way): the win again, not "taken"
    again = consultant.post(path, dict(body), headers={"Idempotency-Key": key})
    assert (again.status_code, again.json()) == (201, won.json()), again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    other = consultant.post(path, {**body, "unit_id": unit_b}, headers={"Idempotency-Key": key})
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["error"]["fields"]
    # a new key is a new try: the queue number has its unit already
    fresh = consultant.post(path, body, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert fresh.status_code == 409 and "queue_number" in fresh.json()["error"]["fields"]
    assert admin.get(f"/api/v1/openings/{oid}").json()["sold"] == 1
    assert admin.get(f"/api/v1/units/{unit_b}").json()["status"] == "available"


def test_a_unit_won_with_a_cancelled_queue_number_goes_back_on_sale(suite, admin):
    """The entrants are fixed before the start; a queue number cancelled after that (its 诚意金
    refunded) can still win a unit, but no deposit pays for it: transactions says so and
    inventory voids the selection and releases the unit, which another buyer then wins."""
    opening = started_opening(suite, admin)
    oid, pid, manager = opening["opening_id"], opening["project"]["id"], opening["manager"]
    unit = opening["units"][0]
    (first, second) = opening["consultants"]
    (cancelled_number,), (other_number,) = opening["numbers"][first], opening["numbers"][second]
    queue = {row["number"]: row for row in manager.get(
        f"/api/v1/projects/{pid}/queue-numbers").json()["queue_numbers"]}
    cancelled = manager.post(
        f"/api/v1/queue-numbers/{queue[cancelled_number]['id']}/cancellation",
        {"reason": "客户放弃"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "refunded"

    path = f"/api/v1/openings/{oid}/selections"
    won = manager.post(path, {"queue_number": cancelled_number, "unit_id": unit})
    assert won.status_code == 201, won.text
    assert wait_for(lambda: admin.get(f"/api/v1/units/{unit}").json()["status"] == "available",
                    timeout=60), "the unit no deposit pays for is back on sale"
    assert admin.get(f"/api/v1/openings/{oid}").json()["sold"] == 0
    again = manager.post(path, {"queue_number": other_number, "unit_id": unit})
    assert again.status_code == 201, again.text
    assert wait_for(lambda: admin.get(f"/api/v1/units/{unit}").json()["status"] == "reserved",
                    timeout=60), "the second buyer's 诚意金 became the deposit"
    statuses = {row["number"]: row["status"] for row in manager.get(
        f"/api/v1/projects/{pid}/queue-numbers").json()["queue_numbers"]}
    assert statuses == {cancelled_number: "refunded", other_number: "converted"}
