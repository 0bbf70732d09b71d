"""The call center on PostgreSQL: distribution without double hand-outs, A–D outcomes and the
recall interval, invitations confirmed only by the receiving consultant, the day's figures per
agent, per-source conversion and the monthly ranking."""
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import update

from contracts.base import load
from contracts.envelope import build_event, parse_event
from contracts.errors import Conflict, Forbidden, InvalidInput, NotFound
from contracts.leads import (ConfirmInvitationSchema, DistributeCallPoolSchema,
                             RecordCallSchema, SetOfficeRosterSchema)
from infra.database import handle_once, utcnow
from services.leads import call_center, domain, follow_up, handlers
from services.leads.models import CallLead
from tests.integration.test_call_lists import import_list
from tests.integration.test_leads_registration import office_with, outbox, visit

pytestmark = pytest.mark.integration


def agents(store, office_id, names):
    ids = []
    for name in names:
        with store() as uow:
            ids.append(handlers.add_consultant(uow, {"office_id": office_id, "name": name,
                                                     "kind": "call_agent"})["id"])
    return ids


def distribute(store, agent_ids, per_agent, source=None):
    with store() as uow:
        return call_center.distribute_call_pool(uow, load(DistributeCallPoolSchema(), {
            "agent_ids": agent_ids, "per_agent": per_agent, "source": source}))["assigned"]


def my_leads(store, agent_id):
    with store() as uow:
        return call_center.agent_leads(uow.session, agent_id)["leads"]


def dial(store, lead_id, agent_id, **result):
    with store() as uow:
        return call_center.record_call(uow, load(RecordCallSchema(), {
            "call_lead_id": lead_id, "agent_id": agent_id, **result}))


def confirm(store, invitation_id, consultant_id):
    with store() as uow:
        return call_center.confirm_invitation(uow, load(ConfirmInvitationSchema(), {
            "invitation_id": invitation_id, "consultant_id": consultant_id}))


def test_the_call_center_from_the_pool_to_the_ranking(stores):
    store = stores["leads"]
    office_id, (sales_a, sales_b) = office_with(store, ["甲", "乙"])
    agent_x, agent_y = agents(store, office_id, ["电开一", "电开二"])
    import_list(store, [[f"电{n}", f"171{n:08d}"] for n in range(6)], source="expansion")

    assert distribute(store, [agent_x, agent_y], 3, "expansion") == {str(agent_x): 3,
                                                                     str(agent_y): 3}
    assert distribute(store, [agent_x], 3, "expansion") == {str(agent_x): 0}  # none left
    x_leads, y_leads = my_leads(store, agent_x), my_leads(store, agent_y)
    assert len(x_leads) == 3 and not {l["id"] for l in x_leads} & {l["id"] for l in y_leads}

    # call agents never take part in the reception rotation
    assert visit(store, office_id)["assignment"]["consultant_id"] == sales_a

    dial(store, x_leads[0]["id"], agent_x, connected=False)
    invited = dial(store, x_leads[0]["id"], agent_x, connected=True, outcome="A",
                   invite_at=(utcnow() + timedelta(hours=2)).isoformat())
    assert invited["lead"]["status"] == "resting" and invited["invitation"]["status"] == "pending"
    dead = dial(store, x_leads[1]["id"], agent_x, connected=True, outcome="D")["lead"]
    assert dead["status"] == "dead"
    dial(store, x_leads[2]["id"], agent_x, connected=True, outcome="C", notes="周末活动可通知")

    with pytest.raises(Forbidden) as refused:
        dial(store, y_leads[0]["id"], agent_x, connected=True, outcome="B")
    assert "call_lead_id" in refused.value.details
    with pytest.raises(InvalidInput) as refused:
        dial(store, y_leads[0]["id"], agent_y, connected=True)
    assert "outcome" in refused.value.details
    with pytest.raises(InvalidInput) as refused:
        dial(store, y_leads[0]["id"], agent_y, connected=True, outcome="C",
             invite_at=utcnow().isoformat())
    assert "invite_at" in refused.value.details
    with pytest.raises(InvalidInput) as refused:
        load(RecordCallSchema(), {"call_lead_id": 1, "agent_id": 1, "connected": True,
                                  "outcome": "E"})
    assert "outcome" in refused.value.details
    with pytest.raises(InvalidInput) as refused:
        distribute(store, [sales_a], 1)
    assert "agent_ids.0" in refused.value.details

    # the invited customer arrives; only the consultant who received them confirms
    invitation_id = invited["invitation"]["id"]
    with pytest.raises(Conflict) as refused:
        confirm(store, invitation_id, sales_b)  # nobody has registered the visit yet
    assert "consultant_id" in refused.value.details
    arrived = visit(store, office_id, mobile=x_leads[0]["mobile"])
    receiver = arrived["assignment"]["consultant_id"]
    other = sales_a if receiver == sales_b else sales_b
    with pytest.raises(Conflict):
        confirm(store, invitation_id, other)
    assert confirm(store, invitation_id, receiver)["status"] == "confirmed"
    announced = [e for e in outbox(store, arrived["customer"]["id"])
                 if e["type"] == "visit_confirmed"]
    assert [e["data"] for e in announced] == [{"invitation_id": invitation_id,
                                               "agent_id": agent_x, "office_id": office_id,
                                               "consultant_id": receiver}]
    with pytest.raises(Conflict) as refused:
        confirm(store, invitation_id, receiver)
    assert "invitation_id" in refused.value.details
    handle_once(store, parse_event(build_event(
        "transactions", "deposit_confirmed", {"deposit_id": 1, "amount": "5000.00"},
        customer_id=arrived["customer"]["id"], unit_id=1)), follow_up.on_deposit_confirmed)

    with store() as uow:
        day = call_center.agents_day(uow.session, office_id)
        conversion = call_center.source_conversion(uow.session)
        month = domain.office_day(utcnow()).strftime("%Y-%m")
        ranking = call_center.monthly_ranking(uow.session, office_id, month)
    x_day = next(row for row in day["agents"] if row["agent_id"] == agent_x)
    assert {k: x_day[k] for k in ("dialed", "connected", "A", "B", "C", "D", "invitations",
                                  "confirmed_visits", "deals")} == {
        "dialed": 4, "connected": 3, "A": 1, "B": 0, "C": 1, "D": 1, "invitations": 1,
        "confirmed_visits": 1, "deals": 1}
    expansion = next(row for row in conversion["sources"] if row["source"] == "expansion")
    assert (expansion["numbers"], expansion["called"], expansion["connected"],
            expansion["visits"], expansion["deals"]) == (6, 3, 3, 1, 1)
    assert expansion["visit_rate"] == "0.3333" and expansion["deal_rate"] == "1.0000"
    assert [(r["rank"], r["agent_id"]) for r in ranking["ranking"]] == [(1, agent_x),
                                                                       (2, agent_y)]

    # A/B/C rest for the office's recall interval, then come back to the pool; D never
    with store() as uow:
        handlers.set_office_roster(uow, load(SetOfficeRosterSchema(), {
            "office_id": office_id, "recall_days": 7}))
    rested = dial(store, y_leads[0]["id"], agent_y, connected=True, outcome="B")["lead"]
    assert timedelta(days=6, hours=23) < rested["recall_after"] - utcnow() <= timedelta(days=7)
    assert distribute(store, [agent_y], 10, "expansion") == {str(agent_y): 0}
    with store() as uow:
        uow.session.execute(update(CallLead).where(CallLead.status == "resting")
                            .values(recall_after=utcnow() - timedelta(seconds=1)))
        uow.commit()
    back = distribute(store, [agent_y], 10, "expansion")[str(agent_y)]
    assert back == 2  # the C and the B numbers; the dead D and the visited A stay out
    assert x_leads[1]["id"] not in {l["id"] for l in my_leads(store, agent_y)}


def test_two_distributions_at_once_never_hand_a_number_twice(stores):
    store = stores["leads"]
    office_id, _ = office_with(store, ["甲"])
    team = agents(store, office_id, [f"电开{n}" for n in range(8)])
    import_list(store, [[f"池{n}", f"172{n:08d}"] for n in range(400)], source="own_callers")
    start = threading.Barrier(len(team))

    def hand_out(agent_id):
        start.wait()
        return distribute(store, [agent_id], 60, "own_callers")[str(agent_id)]

    with ThreadPoolExecutor(max_workers=len(team)) as pool:
        counts = list(pool.map(hand_out, team))
    assert sum(counts) == 400
    seen = [lead["id"] for agent_id in team for lead in my_leads(store, agent_id)]
    assert len(seen) == len(set(seen)) == 400


def test_unknown_agent_or_number_is_refused(stores):
    store = stores["leads"]
    with pytest.raises(NotFound) as refused:
        distribute(store, [999_999], 1)
    assert "agent_ids.0" in refused.value.details
    office_id, _ = office_with(store, ["甲"])
    (agent,) = agents(store, office_id, ["电开"])
    with pytest.raises(NotFound) as refused:
        dial(store, 999_999_999, agent, connected=False)
    assert "call_lead_id" in refused.value.details
