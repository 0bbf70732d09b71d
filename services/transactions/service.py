"""Transactions' nameko entrypoints: parse, call one handler, serialize."""
from datetime import timedelta

from nameko.timer import timer

from contracts import opening as opening_schemas, transactions as schemas
from contracts.base import load
from contracts.scope import split_actor
from infra.consumer import event_handler
from infra.dependencies import Database
from infra.rpc import rpc
from infra import config, operations, read_log
from infra.database import utcnow
from services.transactions import (applications, collecting, deals, finance, handlers, plans,
                                   queue, sales, scope)
from services.transactions.models import metadata


class TransactionsService(operations.OperationsRpc):
    name = "transactions"
    uow = Database(metadata)

    @rpc
    def take_deposit(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.TakeDepositSchema.shared(), payload)
        with self.uow() as uow:
            scope.new_deposit(actor, cmd)
            return schemas.DepositSchema.shared().dump(handlers.take_deposit(uow, cmd))

    @rpc(idempotent=True)
    def get_deposit(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.GetDepositSchema.shared(), payload)
        with self.uow() as uow:
            scope.deposit(uow.session, actor, query["deposit_id"])
            return schemas.DepositSchema.shared().dump(handlers.get_deposit(uow.session,
                                                                     query["deposit_id"]))

    @rpc(idempotent=True)
    def get_order_form(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.OrderFormQuery.shared(), payload)
        with self.uow() as uow:
            scope.order_form(uow.session, actor, query["order_form_id"])
            order_form = sales.get_order_form(uow.session, query["order_form_id"])
            read_log.record(uow, "order_form", order_form["id"], query)
            uow.commit()
            return schemas.OrderFormSchema.shared().dump(order_form)

    @rpc(idempotent=True)
    def get_deposit_order_form(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.DepositOrderFormQuery.shared(), payload)
        with self.uow() as uow:
            scope.deposit(uow.session, actor, query["deposit_id"])
            order_form = sales.get_deposit_order_form(uow.session, query["deposit_id"])
            read_log.record(uow, "order_form", order_form["id"], query)
            uow.commit()
            return schemas.OrderFormSchema.shared().dump(order_form)

    @rpc
    def sign_order_form(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.SignOrderFormSchema.shared(), payload)
        with self.uow() as uow:
            scope.order_form(uow.session, actor, cmd["order_form_id"])
            return schemas.OrderFormSchema.shared().dump(sales.sign_order_form(uow, cmd))

    @rpc
    def void_order_form(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.VoidOrderFormSchema.shared(), payload)
        with self.uow() as uow:
            scope.order_form(uow.session, actor, cmd["order_form_id"])
            return schemas.OrderFormSchema.shared().dump(sales.void_order_form(uow, cmd))

    @rpc
    def forfeit_deposit(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.ForfeitDepositSchema.shared(), payload)
        with self.uow() as uow:
            scope.order_form(uow.session, actor, cmd["order_form_id"])
            return schemas.OrderFormSchema.shared().dump(
                sales.forfeit_deposit(uow, cmd, plans.office_today()))

    @rpc
    def record_payment(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.RecordPaymentSchema.shared(), payload)
        with self.uow() as uow:
            scope.order_form(uow.session, actor, cmd["order_form_id"])
            return schemas.PaymentSchema.shared().dump(sales.record_payment(uow, cmd))

    @rpc
    def sign_subscription(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.SignSubscriptionSchema.shared(), payload)
        with self.uow() as uow:
            scope.order_form(uow.session, actor, cmd["order_form_id"])
            return schemas.SubscriptionSchema.shared().dump(sales.sign_subscription(uow, cmd))

    @rpc(idempotent=True)
    def get_subscription(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.SubscriptionQuery.shared(), payload)
        with self.uow() as uow:
            scope.subscription(uow.session, actor, query["subscription_id"])
            return schemas.SubscriptionSchema.shared().dump(
                sales.get_subscription(uow.session, query["subscription_id"]))

    @rpc
    def sign_contract(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.SignContractSchema.shared(), payload)
        with self.uow() as uow:
            scope.subscription(uow.session, actor, cmd["subscription_id"])
            return schemas.ContractSchema.shared().dump(sales.sign_contract(uow, cmd))

    @rpc
    def file_contract(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.FileContractSchema.shared(), payload)
        with self.uow() as uow:
            scope.contract(uow.session, actor, cmd["contract_id"])
            return schemas.ContractSchema.shared().dump(sales.file_contract(uow, cmd))

    @rpc(idempotent=True)
    def get_contract(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.ContractQuery.shared(), payload)
        with self.uow() as uow:
            scope.contract(uow.session, actor, query["contract_id"])
            contract = sales.get_contract(uow.session, query["contract_id"])
            read_log.record(uow, "contract", contract["id"], query)
            uow.commit()
            return schemas.ContractSchema.shared().dump(contract)

    @rpc
    def set_payment_plan(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.SetPaymentPlanSchema.shared(), payload)
        with self.uow() as uow:
            scope.contract(uow.session, actor, cmd["contract_id"])
            return schemas.PaymentPlanSchema.shared().dump(plans.set_payment_plan(uow, cmd))

    @rpc(idempotent=True)
    def get_payment_plan(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.ContractQuery.shared(), payload)
        with self.uow() as uow:
            scope.contract(uow.session, actor, query["contract_id"])
            return schemas.PaymentPlanSchema.shared().dump(
                plans.get_payment_plan(uow.session, query["contract_id"]))

    @rpc
    def record_mortgage_document(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.MortgageDocumentInput.shared(), payload)
        with self.uow() as uow:
            scope.contract(uow.session, actor, cmd["contract_id"])
            return schemas.PaymentPlanSchema.shared().dump(plans.record_mortgage_document(uow, cmd))

    @rpc(idempotent=True)
    def calculate_repayment(self, payload):
        query = load(schemas.RepaymentQuery.shared(), payload)
        return schemas.RepaymentSchema.shared().dump(plans.calculate_repayment(query))

    @rpc
    def file_application(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.FileApplicationSchema.shared(), payload)
        with self.uow() as uow:
            scope.order_form(uow.session, actor, cmd["order_form_id"])
            return schemas.ApplicationSchema.shared().dump(applications.file_application(uow, cmd))

    @rpc
    def decide_application(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.DecideApplicationSchema.shared(), payload)
        with self.uow() as uow:
            scope.application(uow.session, actor, cmd["application_id"])
            return schemas.ApplicationSchema.shared().dump(applications.decide(uow, cmd))

    @rpc
    def pay_refund(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.PayRefundSchema.shared(), payload)
        with self.uow() as uow:
            scope.application(uow.session, actor, cmd["application_id"])
            return schemas.ApplicationSchema.shared().dump(applications.pay_refund(uow, cmd))

    @rpc(idempotent=True)
    def applications_waiting(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.WaitingApplicationsQuery.shared(), payload)
        with self.uow() as uow:
            return schemas.ApplicationListSchema.shared().dump({"applications": (
                applications.waiting_for(uow.session, actor, query["limit"]))})

    @rpc(idempotent=True)
    def get_application(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.ApplicationQuery.shared(), payload)
        with self.uow() as uow:
            scope.application(uow.session, actor, query["application_id"])
            return schemas.ApplicationSchema.shared().dump(
                applications.get_application(uow.session, query["application_id"]))

    @rpc
    def set_approval_chains(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.SetApprovalChainsSchema.shared(), payload)
        scope.project(actor, cmd["project_id"])
        with self.uow() as uow:
            return schemas.ApprovalChainsSchema.shared().dump(
                applications.set_approval_chains(uow, cmd))

    @rpc(idempotent=True)
    def get_approval_chains(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.ApprovalChainsQuery.shared(), payload)
        scope.project(actor, query["project_id"])
        with self.uow() as uow:
            return schemas.ApprovalChainsSchema.shared().dump(
                applications.approval_chains_view(uow.session, query["project_id"]))

    @rpc
    def confirm_bank_receipt(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.ConfirmBankReceiptSchema.shared(), payload)
        with self.uow() as uow:
            scope.project(actor, cmd["project_id"])
            return schemas.BankConfirmationSchema.shared().dump(finance.confirm_bank_receipt(uow, cmd))

    @rpc(idempotent=True)
    def get_reconciliation(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.ReconciliationQuery.shared(), payload)
        with self.uow() as uow:
            scope.project(actor, query["project_id"])
            return schemas.ReconciliationSchema.shared().dump(finance.reconciliation(
                uow.session, query["project_id"], query["start"], query["end"]))

    @rpc(idempotent=True)
    def get_reconciliation_xlsx(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.ReconciliationQuery.shared(), payload)
        with self.uow() as uow:
            scope.project(actor, query["project_id"])
            return schemas.FileContentSchema.shared().dump(finance.reconciliation_file(
                uow.session, query["project_id"], query["start"], query["end"]))

    @rpc(idempotent=True)
    def list_unanswered_deposits(self, payload):
        actor, _ = split_actor(payload)
        with self.uow() as uow:
            deposits = handlers.unanswered_deposits(uow.session, actor["project_ids"])
            return schemas.DepositListSchema.shared().dump({"deposits": deposits})

    @timer(interval=config.deposit_timeout_sweep_seconds())
    def flag_unanswered_deposits(self):
        timeout = timedelta(seconds=config.deposit_answer_timeout_seconds())
        with self.uow() as uow:
            handlers.flag_unanswered_deposits(uow, utcnow(), timeout)

    @rpc(idempotent=True)
    def list_deals(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.DealsQuery.shared(), payload)
        if query["project_id"] is not None:
            scope.project(actor, query["project_id"])
        consultant_id = scope.own_consultant(actor)
        with self.uow() as uow:
            return schemas.DealListSchema.shared().dump(deals.deal_list(
                uow.session, actor["project_ids"], consultant_id, query["project_id"],
                query["limit"]))

    @rpc(idempotent=True)
    def list_overdue(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.CollectionsQuery.shared(), payload)
        consultant_id = actor["consultant_id"] if actor["role"] == "consultant" \
            else query["consultant_id"]
        with self.uow() as uow:
            return schemas.OverdueSchema.shared().dump(collecting.overdue(
                uow.session, consultant_id, project_ids=actor["project_ids"]))

    @rpc
    def record_collection(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.RecordCollectionSchema.shared(), payload)
        with self.uow() as uow:
            scope.contract(uow.session, actor, cmd["contract_id"])
            return schemas.CollectionCaseSchema.shared().dump(collecting.record_collection(uow, cmd))

    @rpc(idempotent=True)
    def get_deal_report(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.GetDepositSchema.shared(), payload)
        with self.uow() as uow:
            scope.deposit(uow.session, actor, query["deposit_id"])
            return schemas.DealReportSchema.shared().dump(
                deals.deal_report(uow.session, query["deposit_id"]))

    @rpc(idempotent=True)
    def list_deal_reports(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.ProjectQuery.shared(), payload)
        with self.uow() as uow:
            scope.project(actor, query["project_id"])
            return schemas.DealReportListSchema.shared().dump(
                {"deals": deals.project_deals(uow.session, query["project_id"])})

    @rpc(idempotent=True)
    def get_deal_reports_xlsx(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.DealReportsFileQuery.shared(), payload)
        with self.uow() as uow:
            scope.project(actor, query["project_id"])
            return schemas.FileContentSchema.shared().dump(deals.deal_reports_file(
                uow.session, query["project_id"], query["boxes"]))

    @rpc
    def take_queue_number(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(opening_schemas.TakeQueueNumberSchema.shared(), payload)
        with self.uow() as uow:
            scope.new_deposit(actor, cmd)
            return opening_schemas.QueueNumberSchema.shared().dump(
                queue.take_queue_number(uow, cmd))

    @rpc(idempotent=True)
    def get_queue_number(self, payload):
        actor, payload = split_actor(payload)
        query = load(opening_schemas.QueueNumberQuery.shared(), payload)
        with self.uow() as uow:
            scope.queue_number(uow.session, actor, query["queue_number_id"])
            return opening_schemas.QueueNumberSchema.shared().dump(
                queue.get_queue_number(uow.session, query["queue_number_id"]))

    @rpc(idempotent=True)
    def list_queue_numbers(self, payload):
        actor, payload = split_actor(payload)
        query = load(opening_schemas.ProjectQueueQuery.shared(), payload)
        scope.project(actor, query["project_id"])
        with self.uow() as uow:
            return opening_schemas.QueueNumberListSchema.shared().dump({"queue_numbers": (
                queue.list_queue_numbers(uow.session, query["project_id"], query["status"],
                                         scope.own_consultant(actor)))})

    @rpc
    def cancel_queue_number(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(opening_schemas.CancelQueueNumberSchema.shared(), payload)
        with self.uow() as uow:
            scope.queue_number(uow.session, actor, cmd["queue_number_id"])
            return opening_schemas.QueueNumberSchema.shared().dump(
                queue.cancel_queue_number(uow, cmd))

    @event_handler("inventory.unit_selected")
    def on_unit_selected(self, event):
        self.uow.handle_once(event, queue.on_unit_selected)

    @event_handler("inventory.opening_closed")
    def on_opening_closed(self, event):
        self.uow.handle_once(event, queue.on_opening_closed)

    @event_handler("leads.visit_recorded")
    def on_visit_recorded(self, event):
        self.uow.handle_once(event, deals.on_visit_recorded)

    @event_handler("inventory.reservation_swapped")
    def on_reservation_swapped(self, event):
        self.uow.handle_once(event, applications.on_reservation_swapped)

    @event_handler("inventory.swap_rejected")
    def on_swap_rejected(self, event):
        self.uow.handle_once(event, applications.on_swap_rejected)

    @event_handler("inventory.unit_reserved", batch_size=50)
    def on_units_reserved(self, events):
        self.uow.handle_batch(events, handlers.on_unit_reserved, order=handlers.settling_order)

    @event_handler("inventory.unit_reservation_rejected", batch_size=50)
    def on_unit_reservations_rejected(self, events):
        self.uow.handle_batch(events, handlers.on_unit_reservation_rejected,
                              order=handlers.settling_order)
