"""Sales channels on PostgreSQL: a read made for a channel is refused for a project it does
not sell; without a channel nothing is limited."""
import itertools

import pytest

from contracts.base import load
from contracts.errors import Conflict, Forbidden, NotFound
from contracts.inventory import CreateProjectSchema
from infra.database import utcnow
from services.inventory import board, channels, handlers, holds, prices, progress, structure

pytestmark = pytest.mark.integration
_codes = itertools.count(1)


def new_project(store):
    cmd = load(CreateProjectSchema(), {
        "code": f"chan-{next(_codes)}-{utcnow().strftime('%H%M%S%f')}", "name": "Channel",
        "buildings": [{"name": "1", "units": [{"number": "101", "floor": 1,
                                              "building_area": "90.00"}]}]})
    with store() as uow:
        project_id = handlers.create_project(uow, cmd)["id"]
        unit_id = board.cells(board.board(uow.session, project_id))[0]["id"]
    return project_id, unit_id


def test_a_channel_reads_only_the_projects_it_sells(stores):
    store = stores["inventory"]
    sold, sold_unit = new_project(store)
    other, other_unit = new_project(store)
    with store() as uow:
        agency = channels.create_channel(uow, {"code": f"agency-{sold}", "name": "链家",
                                               "kind": "agency", "project_ids": [sold]})
    assert agency["project_ids"] == [sold]
    with store() as uow:
        channels.check_project(uow.session, agency["id"], sold)
        channels.check_unit(uow.session, agency["id"], sold_unit)
        channels.check_project(uow.session, None, other)  # no channel: no limit
        with pytest.raises(Forbidden) as refused:
            channels.check_project(uow.session, agency["id"], other)
        assert refused.value.details == {"project_id": ["not sold by your channel"]}
        with pytest.raises(Forbidden):
            channels.check_unit(uow.session, agency["id"], other_unit)
    with store() as uow:
        moved = channels.set_projects(uow, {"channel_id": agency["id"], "project_ids": [other]})
    assert moved["project_ids"] == [other]
    with store() as uow, pytest.raises(Forbidden):
        channels.check_project(uow.session, agency["id"], sold)
    with store() as uow, pytest.raises(Conflict):
        channels.create_channel(uow, {"code": f"agency-{sold}", "name": "again",
                                      "kind": "agency", "project_ids": []})
    with store() as uow, pytest.raises(NotFound):
        channels.create_channel(uow, {"code": f"ghost-{sold}", "name": "ghost", "kind": "agency",
                                      "project_ids": [999_999]})


def test_a_channel_cannot_hold_wait_for_or_price_the_units_of_a_project_it_does_not_sell(stores):
    store = stores["inventory"]
    sold, sold_unit = new_project(store)
    other, other_unit = new_project(store)
    with store() as uow:
        agency = channels.create_channel(uow, {"code": f"agency-w-{sold}", "name": "链家",
                                               "kind": "agency", "project_ids": [sold]})["id"]
    refused_unit = {"unit_id": ["in a project not sold by your channel"]}
    refused_project = {"project_id": ["not sold by your channel"]}

    def refused(call):
        with store() as uow, pytest.raises(Forbidden) as error:
            call(uow)
        return error.value.details

    assert refused(lambda uow: holds.hold_unit(uow, {
        "unit_id": other_unit, "customer_id": 7, "consultant_id": 3,
        "channel_id": agency})) == refused_unit
    with store() as uow:
        assert handlers.unit_view(uow.session, other_unit)["status"] == "available"
        own = holds.hold_unit(uow, {"unit_id": other_unit, "customer_id": 8, "consultant_id": 4,
                                    "channel_id": None})  # the developer's own staff
    assert refused(lambda uow: holds.join_waitlist(uow, {
        "unit_id": other_unit, "customer_id": 7, "consultant_id": 3,
        "channel_id": agency})) == refused_unit
    assert refused(lambda uow: holds.get_hold(uow.session, own["id"], agency)) == refused_unit
    assert refused(lambda uow: holds.approve_hold(uow, {
        "hold_id": own["id"], "approve": False, "manager": "agency-boss", "comment": "",
        "channel_id": agency})) == refused_unit
    assert refused(lambda uow: holds.release_hold(uow, {
        "hold_id": own["id"], "consultant_id": None, "released_by": "agency-boss",
        "reason": "mine now", "channel_id": agency})) == refused_unit
    with store() as uow:
        assert holds.get_hold(uow.session, own["id"])["status"] in ("pending", "active")
        assert handlers.unit_view(uow.session, other_unit)["waitlist"] == []
    assert refused(lambda uow: prices.price_at(uow.session, other_unit, None,
                                               agency)) == refused_unit
    assert refused(lambda uow: prices.list_versions(uow.session, other, agency)) == refused_project
    assert refused(lambda uow: prices.get_version(uow.session, other, 1, agency)) == refused_project
    assert refused(lambda uow: prices.create_price_list(uow, {
        "project_id": other, "prices": [], "created_by": "agency-boss",
        "channel_id": agency})) == refused_project
    assert refused(lambda uow: structure.add_unit(uow, {
        "project_id": other, "building": "9", "entrance": "", "number": "901",
        "channel_id": agency})) == refused_project
    assert refused(lambda uow: progress.quarterly_progress(uow.session, other, 2026, 4,
                                                           agency)) == refused_project
    # the project the channel sells: held, priced and read as before
    with store() as uow:
        held = holds.hold_unit(uow, {"unit_id": sold_unit, "customer_id": 7, "consultant_id": 3,
                                     "channel_id": agency})
        assert holds.get_hold(uow.session, held["id"], agency)["unit_id"] == sold_unit
        assert prices.list_versions(uow.session, sold, agency)["project_id"] == sold
