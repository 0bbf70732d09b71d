"""Transactions' nameko entrypoints: parse, call one handler, serialize."""
from datetime import timedelta

from nameko.timer import timer

from contracts import transactions as schemas
from contracts.base import load
from infra.consumer import event_handler
from infra.dependencies import Database
from infra.rpc import rpc
from infra import config, operations
from infra.database import utcnow
from services.transactions import (applications, collecting, deals, finance, handlers, plans,
                                   sales)
from services.transactions.models import metadata


class TransactionsService(operations.OperationsRpc):
    name = "transactions"
    uow = Database(metadata)

    @rpc
    def take_deposit(self, payload):
        cmd = load(schemas.TakeDepositSchema(), payload)
        with self.uow() as uow:
            return schemas.DepositSchema().dump(handlers.take_deposit(uow, cmd))

    @rpc(idempotent=True)
    def get_deposit(self, payload):
        query = load(schemas.GetDepositSchema(), payload)
        with self.uow() as uow:
            return schemas.DepositSchema().dump(handlers.get_deposit(uow.session,
                                                                     query["deposit_id"]))

    @rpc(idempotent=True)
    def get_order_form(self, payload):
        query = load(schemas.OrderFormQuery(), payload)
        with self.uow() as uow:
            return schemas.OrderFormSchema().dump(
                sales.get_order_form(uow.session, query["order_form_id"]))

    @rpc(idempotent=True)
    def get_deposit_order_form(self, payload):
        query = load(schemas.DepositOrderFormQuery(), payload)
        with self.uow() as uow:
            return schemas.OrderFormSchema().dump(
                sales.get_deposit_order_form(uow.session, query["deposit_id"]))

    @rpc
    def sign_order_form(self, payload):
        cmd = load(schemas.SignOrderFormSchema(), payload)
        with self.uow() as uow:
            return schemas.OrderFormSchema().dump(sales.sign_order_form(uow, cmd))

    @rpc
    def void_order_form(self, payload):
        cmd = load(schemas.VoidOrderFormSchema(), payload)
        with self.uow() as uow:
            return schemas.OrderFormSchema().dump(sales.void_order_form(uow, cmd))

    @rpc
    def forfeit_deposit(self, payload):
        cmd = load(schemas.ForfeitDepositSchema(), payload)
        with self.uow() as uow:
            return schemas.OrderFormSchema().dump(
                sales.forfeit_deposit(uow, cmd, plans.office_today()))

    @rpc
    def record_payment(self, payload):
        cmd = load(schemas.RecordPaymentSchema(), payload)
        with self.uow() as uow:
            return schemas.PaymentSchema().dump(sales.record_payment(uow, cmd))

    @rpc
    def sign_subscription(self, payload):
        cmd = load(schemas.SignSubscriptionSchema(), payload)
        with self.uow() as uow:
            return schemas.SubscriptionSchema().dump(sales.sign_subscription(uow, cmd))

    @rpc(idempotent=True)
    def get_subscription(self, payload):
        query = load(schemas.SubscriptionQuery(), payload)
        with self.uow() as uow:
            return schemas.SubscriptionSchema().dump(
                sales.get_subscription(uow.session, query["subscription_id"]))

    @rpc
    def sign_contract(self, payload):
        cmd = load(schemas.SignContractSchema(), payload)
        with self.uow() as uow:
            return schemas.ContractSchema().dump(sales.sign_contract(uow, cmd))

    @rpc
    def file_contract(self, payload):
        cmd = load(schemas.FileContractSchema(), payload)
        with self.uow() as uow:
            return schemas.ContractSchema().dump(sales.file_contract(uow, cmd))

    @rpc(idempotent=True)
    def get_contract(self, payload):
        query = load(schemas.ContractQuery(), payload)
        with self.uow() as uow:
            return schemas.ContractSchema().dump(sales.get_contract(uow.session,
                                                                    query["contract_id"]))

    @rpc
    def set_payment_plan(self, payload):
        cmd = load(schemas.SetPaymentPlanSchema(), payload)
        with self.uow() as uow:
            return schemas.PaymentPlanSchema().dump(plans.set_payment_plan(uow, cmd))

    @rpc(idempotent=True)
    def get_payment_plan(self, payload):
        query = load(schemas.ContractQuery(), payload)
        with self.uow() as uow:
            return schemas.PaymentPlanSchema().dump(
                plans.get_payment_plan(uow.session, query["contract_id"]))

    @rpc
    def record_mortgage_document(self, payload):
        cmd = load(schemas.MortgageDocumentInput(), payload)
        with self.uow() as uow:
            return schemas.PaymentPlanSchema().dump(plans.record_mortgage_document(uow, cmd))

    @rpc(idempotent=True)
    def calculate_repayment(self, payload):
        query = load(schemas.RepaymentQuery(), payload)
        return schemas.RepaymentSchema().dump(plans.calculate_repayment(query))

    @rpc
    def file_application(self, payload):
        cmd = load(schemas.FileApplicationSchema(), payload)
        with self.uow() as uow:
            return schemas.ApplicationSchema().dump(applications.file_application(uow, cmd))

    @rpc
    def decide_application(self, payload):
        cmd = load(schemas.DecideApplicationSchema(), payload)
        with self.uow() as uow:
            return schemas.ApplicationSchema().dump(applications.decide(uow, cmd))

    @rpc
    def pay_refund(self, payload):
        cmd = load(schemas.PayRefundSchema(), payload)
        with self.uow() as uow:
            return schemas.ApplicationSchema().dump(applications.pay_refund(uow, cmd))

    @rpc(idempotent=True)
    def get_application(self, payload):
        query = load(schemas.ApplicationQuery(), payload)
        with self.uow() as uow:
            return schemas.ApplicationSchema().dump(
                applications.get_application(uow.session, query["application_id"]))

    @rpc
    def confirm_bank_receipt(self, payload):
        cmd = load(schemas.ConfirmBankReceiptSchema(), payload)
        with self.uow() as uow:
            return schemas.BankConfirmationSchema().dump(finance.confirm_bank_receipt(uow, cmd))

    @rpc(idempotent=True)
    def get_reconciliation(self, payload):
        query = load(schemas.ReconciliationQuery(), payload)
        with self.uow() as uow:
            return schemas.ReconciliationSchema().dump(finance.reconciliation(
                uow.session, query["project_id"], query["start"], query["end"]))

    @rpc(idempotent=True)
    def get_reconciliation_xlsx(self, payload):
        query = load(schemas.ReconciliationQuery(), payload)
        with self.uow() as uow:
            return schemas.FileContentSchema().dump(finance.reconciliation_file(
                uow.session, query["project_id"], query["start"], query["end"]))

    @rpc(idempotent=True)
    def list_unanswered_deposits(self, payload=None):
        with self.uow() as uow:
            return schemas.DepositListSchema().dump(
                {"deposits": handlers.unanswered_deposits(uow.session)})

    @timer(interval=config.deposit_timeout_sweep_seconds())
    def flag_unanswered_deposits(self):
        timeout = timedelta(seconds=config.deposit_answer_timeout_seconds())
        with self.uow() as uow:
            handlers.flag_unanswered_deposits(uow, utcnow(), timeout)

    @rpc(idempotent=True)
    def list_overdue(self, payload):
        query = load(schemas.CollectionsQuery(), payload)
        with self.uow() as uow:
            return schemas.OverdueSchema().dump(
                collecting.overdue(uow.session, query["consultant_id"]))

    @rpc
    def record_collection(self, payload):
        cmd = load(schemas.RecordCollectionSchema(), payload)
        with self.uow() as uow:
            return schemas.CollectionCaseSchema().dump(collecting.record_collection(uow, cmd))

    @rpc(idempotent=True)
    def get_deal_report(self, payload):
        query = load(schemas.GetDepositSchema(), payload)
        with self.uow() as uow:
            return schemas.DealReportSchema().dump(
                deals.deal_report(uow.session, query["deposit_id"]))

    @rpc(idempotent=True)
    def list_deal_reports(self, payload):
        query = load(schemas.ProjectQuery(), payload)
        with self.uow() as uow:
            return schemas.DealReportListSchema().dump(
                {"deals": deals.project_deals(uow.session, query["project_id"])})

    @rpc(idempotent=True)
    def get_deal_reports_xlsx(self, payload):
        query = load(schemas.DealReportsFileQuery(), payload)
        with self.uow() as uow:
            return schemas.FileContentSchema().dump(deals.deal_reports_file(
                uow.session, query["project_id"], query["boxes"]))

    @event_handler("leads.lead_registered")
    def on_lead_registered(self, event):
        self.uow.handle_once(event, deals.on_lead_registered)

    @event_handler("leads.visit_recorded")
    def on_visit_recorded(self, event):
        self.uow.handle_once(event, deals.on_visit_recorded)

    @event_handler("inventory.reservation_swapped")
    def on_reservation_swapped(self, event):
        self.uow.handle_once(event, applications.on_reservation_swapped)

    @event_handler("inventory.swap_rejected")
    def on_swap_rejected(self, event):
        self.uow.handle_once(event, applications.on_swap_rejected)

    @event_handler("inventory.unit_reserved")
    def on_unit_reserved(self, event):
        self.uow.handle_once(event, handlers.on_unit_reserved)

    @event_handler("inventory.unit_reservation_rejected")
    def on_unit_reservation_rejected(self, event):
        self.uow.handle_once(event, handlers.on_unit_reservation_rejected)
