"""Who may act on which unit, hold or waitlist entry (contracts.scope): every RPC command and
read of a project's units, board, prices, holds and waitlists checks the acting user's scope
here, whatever the caller checked before: the unit's project among the actor's projects, and a
consultant's own holds and waitlist entries only. A project refused names `project_id`, as the
gateway does. A record that does not exist passes, so the
handler answers its own 404."""
from sqlalchemy import select

from contracts.scope import check_consultant, check_project
from services.inventory.models import ChannelProject, Hold, Opening, Unit, WaitlistEntry


def project(actor, project_id, field="project_id") -> None:
    check_project(actor, project_id, field)


def projects(actor, project_ids) -> None:
    for project_id in project_ids:
        check_project(actor, project_id)


def channel(session, actor, channel_id) -> None:
    """Changing what a channel sells touches the projects it sells now as well."""
    projects(actor, session.scalars(select(ChannelProject.project_id).where(
        ChannelProject.channel_id == channel_id)))


def unit(session, actor, unit_id) -> None:
    project_id = session.scalar(select(Unit.project_id).where(Unit.id == unit_id))
    if project_id is not None:
        check_project(actor, project_id)


def new_hold(session, actor, cmd) -> None:
    """A hold or a place on a waitlist: in the actor's projects, a consultant's for themselves."""
    check_consultant(actor, cmd["consultant_id"], "consultant_id")
    unit(session, actor, cmd["unit_id"])


def hold(session, actor, hold_id, field="hold_id") -> None:
    found = session.execute(select(Hold.consultant_id, Unit.project_id)
                            .join(Unit, Unit.id == Hold.unit_id)
                            .where(Hold.id == hold_id)).first()
    if found is not None:
        check_consultant(actor, found.consultant_id, field)
        check_project(actor, found.project_id)


def waitlist_entry(session, actor, entry_id, field="entry_id") -> None:
    found = session.execute(select(WaitlistEntry.consultant_id, Unit.project_id)
                            .join(Unit, Unit.id == WaitlistEntry.unit_id)
                            .where(WaitlistEntry.id == entry_id)).first()
    if found is not None:
        check_consultant(actor, found.consultant_id, field)
        check_project(actor, found.project_id)


def opening(session, actor, opening_id) -> None:
    project_id = session.scalar(select(Opening.project_id).where(Opening.id == opening_id))
    if project_id is not None:
        check_project(actor, project_id)
