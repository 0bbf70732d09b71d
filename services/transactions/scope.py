"""Who may act on which deal (contracts.scope): every RPC command and read of a deposit, order
form, subscription, contract or application checks the acting user's scope against the deal's
project and consultant here, whatever the caller checked before. A deal that does not exist
passes, so the handler answers its own 404."""
from sqlalchemy import select

from contracts.errors import Forbidden
from contracts.scope import check_consultant, check_project, check_record
from services.transactions.models import (Application, Contract, Deposit, OrderForm,
                                          QueueNumber, Subscription)


def project(actor, project_id, field="project_id") -> None:
    check_project(actor, project_id, field)


def deposit(session, actor, deposit_id, field="deposit_id") -> None:
    found = session.get(Deposit, deposit_id)
    if found is not None:
        check_record(actor, found.project_id, found.consultant_id, field)


def order_form(session, actor, order_form_id, field="order_form_id") -> None:
    found = session.get(OrderForm, order_form_id)
    if found is not None:
        check_record(actor, found.project_id, found.consultant_id, field)


def subscription(session, actor, subscription_id, field="subscription_id") -> None:
    order_form_id = session.scalar(select(Subscription.order_form_id).where(
        Subscription.id == subscription_id))
    if order_form_id is not None:
        order_form(session, actor, order_form_id, field)


def contract(session, actor, contract_id, field="contract_id") -> None:
    order_form_id = session.scalar(select(Contract.order_form_id).where(
        Contract.id == contract_id))
    if order_form_id is not None:
        order_form(session, actor, order_form_id, field)


def application(session, actor, application_id, field="application_id") -> None:
    order_form_id = session.scalar(select(Application.order_form_id).where(
        Application.id == application_id))
    if order_form_id is not None:
        order_form(session, actor, order_form_id, field)


def own_consultant(actor) -> int | None:
    """Whose records a list shows: a consultant's own (their consultant id), everyone's in
    the actor's projects for the other roles (None)."""
    if actor["role"] != "consultant":
        return None
    if actor["consultant_id"] is None:
        raise Forbidden("this consultant account names no consultant",
                        {"consultant_id": ["not set on your account"]})
    return actor["consultant_id"]


def new_deposit(actor, cmd) -> None:
    """A deposit is taken in the actor's projects, by a consultant for themselves."""
    check_consultant(actor, cmd["consultant_id"], "consultant_id")
    check_project(actor, cmd.get("project_id"), "project_id")


def queue_number(session, actor, queue_number_id, field="queue_number_id") -> None:
    found = session.get(QueueNumber, queue_number_id)
    if found is not None:
        check_record(actor, found.project_id, found.consultant_id, field)
