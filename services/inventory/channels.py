"""Sales channels (the developer's own team, agencies): which projects each one sells. A read
or a change made for a channel (its board, units, prices, holds, waitlists, rooms, plans) is
refused for a project it does not sell."""
from sqlalchemy import delete, insert, select

from contracts.errors import Conflict, Forbidden, NotFound
from infra.database import utcnow
from services.inventory.models import Channel, ChannelProject, Project, Unit


def create_channel(uow, cmd) -> dict:
    session = uow.session
    if session.scalar(select(Channel.id).where(Channel.code == cmd["code"])):
        raise Conflict(f"channel {cmd['code']} exists already", {"code": ["already used"]})
    channel = Channel(code=cmd["code"], name=cmd["name"], kind=cmd["kind"], created_at=utcnow())
    session.add(channel)
    session.flush()
    _set_projects(session, channel.id, cmd["project_ids"])
    uow.commit()
    return channel_view(session, channel.id)


def set_projects(uow, cmd) -> dict:
    """The channel now sells exactly these projects."""
    session = uow.session
    _channel(session, cmd["channel_id"])
    session.execute(delete(ChannelProject).where(ChannelProject.channel_id == cmd["channel_id"]))
    _set_projects(session, cmd["channel_id"], cmd["project_ids"])
    uow.commit()
    return channel_view(session, cmd["channel_id"])


def channel_view(session, channel_id) -> dict:
    channel = _channel(session, channel_id)
    project_ids = session.scalars(select(ChannelProject.project_id).where(
        ChannelProject.channel_id == channel_id).order_by(ChannelProject.project_id)).all()
    return {"id": channel.id, "code": channel.code, "name": channel.name, "kind": channel.kind,
            "project_ids": list(project_ids)}


def check_project(session, channel_id, project_id) -> None:
    """Refuse a read or change for a channel that does not sell the project (no channel: no
    limit)."""
    if channel_id is not None and not _sells(session, channel_id, project_id):
        raise Forbidden(f"channel {channel_id} does not sell project {project_id}",
                        {"project_id": ["not sold by your channel"]})


def visible_project(session, project_id, channel_id) -> Project:
    """The project, 404 when there is none, 403 when the channel does not sell it."""
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound(f"project {project_id} does not exist", {"project_id": ["unknown project"]})
    check_project(session, channel_id, project_id)
    return project


def check_unit(session, channel_id, unit_id) -> None:
    if channel_id is None:
        return
    project_id = session.scalar(select(Unit.project_id).where(Unit.id == unit_id))
    if project_id is None:
        raise NotFound(f"unit {unit_id} does not exist", {"unit_id": ["unknown unit"]})
    if not _sells(session, channel_id, project_id):
        raise Forbidden(f"channel {channel_id} does not sell project {project_id} of unit "
                        f"{unit_id}", {"unit_id": ["in a project not sold by your channel"]})


def _sells(session, channel_id, project_id) -> bool:
    return session.scalar(select(ChannelProject.project_id).where(
        ChannelProject.channel_id == channel_id,
        ChannelProject.project_id == project_id)) is not None


def _set_projects(session, channel_id, project_ids) -> None:
    known = set(session.scalars(select(Project.id).where(Project.id.in_(project_ids))))
    unknown = sorted(set(project_ids) - known)
    if unknown:
        raise NotFound(f"projects {unknown} do not exist",
                       {"project_ids": [f"unknown project {pid}" for pid in unknown]})
    if project_ids:
        session.execute(insert(ChannelProject), [
            {"channel_id": channel_id, "project_id": pid} for pid in sorted(set(project_ids))])


def _channel(session, channel_id) -> Channel:
    channel = session.get(Channel, channel_id)
    if channel is None:
        raise NotFound(f"channel {channel_id} does not exist", {"channel_id": ["unknown channel"]})
    return channel
