"""The gateway's project scope: a user given a list of projects acts only on those."""
import pytest

from contracts.errors import Forbidden
from gateway.auth import CurrentUser
from gateway.endpoints import check_project


def user(role, project_ids):
    return CurrentUser(id=1, username="u", role=role, project_ids=project_ids)


def test_only_the_listed_projects_unless_unlimited():
    check_project(user("sales_manager", [3, 4]), 4)
    check_project(user("consultant", []), 99)  # no list: every project
    check_project(user("general_manager", [3]), 99)
    check_project(user("admin", [3]), 99)
    with pytest.raises(Forbidden) as refused:
        check_project(user("sales_manager", [3, 4]), 5)
    assert refused.value.details == {"project_id": ["not one of your projects"]}
