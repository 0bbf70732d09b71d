"""Sales channels on PostgreSQL: a read made for a channel is refused for a project it does
not sell; without a channel nothing is limited."""
import itertools

import pytest

from contracts.base import load
from contracts.errors import Conflict, Forbidden, NotFound
from contracts.inventory import CreateProjectSchema
from infra.database import utcnow
from services.inventory import board, channels, handlers

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
