"""Reads of contact details, ID numbers, order forms and contracts are logged by the service
that holds them (`personal_data_reads`), in the read's own transaction: who, when, what, why.
The nameko entrypoints run with the real dependency over the test run's database
(worker_factory with the Database provider's UnitOfWorkFactory)."""
import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import select

from contracts.scope import actor
from infra.dependencies import UnitOfWorkFactory
from infra.read_log import NOT_NAMED
from services.leads.service import LeadsService
from services.transactions.service import TransactionsService
from tests.integration.test_leads_registration import office_with, visit
from tests.integration.test_transactions_sales import (confirmed_order, contract, new_project,
                                                       sign_all, subscribe)

pytestmark = pytest.mark.integration
READER = {"user_id": 7, "username": "wang.wu", "role": "sales_manager"}
EVERY_PROJECT = actor("wang.wu", "general_manager")


def dependency(store):
    return UnitOfWorkFactory(store.engine, store.metadata, store.owner, None, "memory://")


def reads(store, kind, subject_id):
    table = store.metadata.tables["personal_data_reads"]
    with store.engine.connect() as connection:
        return [row._mapping for row in connection.execute(
            select(table).where(table.c.kind == kind, table.c.subject_id == subject_id)
            .order_by(table.c.id))]


def test_a_customers_contact_details_read_is_logged_with_who_and_why(stores):
    store = stores["leads"]
    office_id, _ = office_with(store, ["王五"])
    customer_id = visit(store, office_id)["customer"]["id"]
    service = worker_factory(LeadsService, uow=dependency(store))

    service.get_customer({"customer_id": customer_id, "read_by": READER,
                          "purpose": "回访 follow-up call", "actor": EVERY_PROJECT})
    service.customer_file({"customer_id": customer_id, "read_by": READER,
                           "actor": EVERY_PROJECT})
    # a caller who names no reader
    service.get_customer({"customer_id": customer_id, "actor": EVERY_PROJECT})

    [named, unnamed] = reads(store, "customer", customer_id)
    assert (named["reader"], named["reader_id"], named["reader_role"], named["purpose"]) == (
        "wang.wu", 7, "sales_manager", "回访 follow-up call")
    assert named["read_at"] is not None
    assert (unnamed["reader"], unnamed["purpose"]) == (NOT_NAMED, None)
    [file_read] = reads(store, "customer_file", customer_id)
    assert file_read["reader"] == "wang.wu"
    listed = service.list_personal_data_reads({"kind": "customer", "subject_id": customer_id})
    assert [read["reader"] for read in listed] == [NOT_NAMED, "wang.wu"]


def test_order_form_and_contract_reads_with_the_buyers_id_number_are_logged(stores):
    store = stores["transactions"]
    form = confirmed_order(store, new_project())
    sign_all(store, form["id"])
    signed = contract(store, subscribe(store, form["id"])["id"])
    service = worker_factory(TransactionsService, uow=dependency(store))

    service.get_order_form({"order_form_id": form["id"], "read_by": READER,
                            "actor": EVERY_PROJECT})
    service.get_deposit_order_form({"deposit_id": form["deposit_id"], "read_by": READER,
                                    "purpose": "签约 contract signing", "actor": EVERY_PROJECT})
    shown = service.get_contract({"contract_id": signed["id"], "read_by": READER,
                                  "purpose": "备案 filing", "actor": EVERY_PROJECT})
    assert shown["buyer_id_number"]

    order_reads = reads(store, "order_form", form["id"])
    assert [(r["reader"], r["purpose"]) for r in order_reads] == [
        ("wang.wu", None), ("wang.wu", "签约 contract signing")]
    [contract_read] = reads(store, "contract", signed["id"])
    assert (contract_read["reader_id"], contract_read["purpose"]) == (7, "备案 filing")
