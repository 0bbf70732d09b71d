"""Gateway routes for deposits, order forms, payments, subscriptions and contracts (the
transactions service)."""

from contracts.base import load
from contracts.board import board_cells, unpack_board
from contracts.errors import Forbidden, InvalidInput, NotFound
from gateway import idempotency, routes
from gateway.api import json_body, json_response
from gateway.endpoints import (acts_on_every_project, actor, as_consultant, check_own_customer,
                               check_project, private_view, read_by)

ACCESS_CHECK = "access check"  # the gateway reads a record to see whether the user may act
from gateway.tables import xlsx_response


class TransactionsEndpoints:
    """Mixed into GatewayService, which gives `rpc`; the route table names each handler."""

    def take_deposit(self, request, user):
        payload = as_consultant(user, json_body(request))
        load(routes.DepositBody(), payload)  # a bad body is 400 before any unit is looked up
        if user.role == "consultant":
            # a deposit takes the unit and the deal's credit: only for the consultant's customer
            check_own_customer(self, user, payload["customer_id"])
        # the unit's project is inventory's, never the caller's; the deposit is checked
        # against the unit's current price (404 for no such unit); the caller's scope is
        # checked by inventory
        unit = self.rpc("inventory", "get_unit", {"unit_id": payload["unit_id"],
                                                  "actor": actor(user)})
        if payload.get("project_id") is not None \
                and payload["project_id"] != unit["project_id"]:
            raise InvalidInput("the unit is in another project", {"project_id": [
                f"unit {unit['id']} is in project {unit['project_id']}"]})
        payload["project_id"] = unit["project_id"]
        check_project(user, unit["project_id"])
        if payload.get("total_price") is None and unit["list_price"] is not None:
            payload["total_price"] = unit["list_price"]
        payload["idempotency_key"] = idempotency.service_key(user, request)
        with idempotency.header_errors():
            return json_response(self.rpc("transactions", "take_deposit",
                                          {**payload, "actor": actor(user)}), 201)

    def get_deposit(self, request, user, deposit_id):
        deposit = self.rpc("transactions", "get_deposit", {
            "actor": actor(user), "deposit_id": deposit_id})
        _check_deal(user, deposit, "deposit_id")
        return json_response(deposit)

    def get_deposit_order_form(self, request, user, deposit_id):
        order = self.rpc("transactions", "get_deposit_order_form",
                         {"actor": actor(user), "deposit_id": deposit_id,
                          **read_by(user, request)})
        _check_deal(user, order, "deposit_id")
        return json_response(order)

    def get_order_form(self, request, user, order_form_id):
        order = self.rpc("transactions", "get_order_form",
                         {"actor": actor(user), "order_form_id": order_form_id,
                          **read_by(user, request)})
        _check_deal(user, order, "order_form_id")
        return json_response(order)

    def sign_order_form(self, request, user, order_form_id):
        body = load(routes.SignOrderFormBody(), json_body(request))
        self.own_order_form(user, order_form_id)
        return json_response(self.rpc("transactions", "sign_order_form", {
            "actor": actor(user), **body, "order_form_id": order_form_id, "role": user.role}))

    def void_order_form(self, request, user, order_form_id):
        body = load(routes.VoidOrderFormBody(), json_body(request))
        self.own_order_form(user, order_form_id)
        return json_response(self.rpc("transactions", "void_order_form", {
            "actor": actor(user), **_given(request, body), "order_form_id": order_form_id,
            "approved_by": user.username,
            "approver_role": user.role}))

    def forfeit_deposit(self, request, user, order_form_id):
        body = load(routes.ForfeitureBody(), json_body(request))
        self.own_order_form(user, order_form_id)
        return json_response(self.rpc("transactions", "forfeit_deposit", {
            "actor": actor(user), **body,
            "order_form_id": order_form_id, "approved_by": user.username,
            "approver_role": user.role}))

    def record_payment(self, request, user, order_form_id):
        body = load(routes.PaymentBody(), json_body(request))
        self.own_order_form(user, order_form_id)
        with idempotency.header_errors():
            return json_response(self.rpc("transactions", "record_payment", {
                "actor": actor(user), **_given(request, body), "order_form_id": order_form_id,
                "recorded_by": user.username,
                "idempotency_key": idempotency.service_key(user, request)}), 201)

    def sign_subscription(self, request, user, order_form_id):
        body = load(routes.SubscriptionBody(), json_body(request))
        self.own_order_form(user, order_form_id)
        return json_response(self.rpc("transactions", "sign_subscription", {
            "actor": actor(user), **_given(request, body), "order_form_id": order_form_id}), 201)

    def get_subscription(self, request, user, subscription_id):
        subscription = self.rpc("transactions", "get_subscription",
                                {"actor": actor(user), "subscription_id": subscription_id})
        self.own_order_form(user, subscription["order_form_id"], "subscription_id")
        return json_response(subscription)

    def sign_contract(self, request, user, subscription_id):
        body = load(routes.ContractBody(), json_body(request))
        self.own_subscription(user, subscription_id)
        return json_response(self.rpc("transactions", "sign_contract", {
            "actor": actor(user), **_given(request, body),
            "subscription_id": subscription_id}), 201)

    def get_contract(self, request, user, contract_id):
        contract = self.rpc("transactions", "get_contract",
                            {"actor": actor(user), "contract_id": contract_id,
                             **read_by(user, request)})
        self.own_order_form(user, contract["order_form_id"], "contract_id")
        return json_response(contract)

    def file_contract(self, request, user, contract_id):
        body = load(routes.FilingBody(), json_body(request))
        self.own_contract(user, contract_id)
        return json_response(self.rpc("transactions", "file_contract", {
            "actor": actor(user), **body, "contract_id": contract_id}))

    def set_payment_plan(self, request, user, contract_id):
        body = load(routes.PaymentPlanBody(), json_body(request))
        self.own_contract(user, contract_id)
        return json_response(self.rpc("transactions", "set_payment_plan", {
            "actor": actor(user), **_given(request, body), "contract_id": contract_id}))

    def get_payment_plan(self, request, user, contract_id):
        self.own_contract(user, contract_id)
        return json_response(self.rpc("transactions", "get_payment_plan",
                                      {"actor": actor(user), "contract_id": contract_id}))

    def record_mortgage_document(self, request, user, contract_id):
        body = load(routes.MortgageDocumentBody(), json_body(request))
        self.own_contract(user, contract_id)
        return json_response(self.rpc("transactions", "record_mortgage_document", {
            "actor": actor(user), **_given(request, body), "contract_id": contract_id,
            "recorded_by": user.username}), 201)

    def file_application(self, request, user, order_form_id):
        body = load(routes.ApplicationBody(), json_body(request))
        self.own_order_form(user, order_form_id)
        payload = _given(request, body)
        if body["kind"] == "swap" and body.get("to_unit_id") is not None:
            # the new unit must exist; its price, layout and (unless stated) area go on the
            # application (调房申请单), the area on the new order form too
            try:
                unit = self.rpc("inventory", "get_unit", {"actor": actor(user),
                                                          "unit_id": body["to_unit_id"]})
            except NotFound:
                raise NotFound(f"unit {body['to_unit_id']} does not exist",
                               {"to_unit_id": ["unknown unit"]}) from None
            if body.get("to_building_area") is None:
                payload["to_building_area"] = unit["building_area"]
            payload.update(to_unit_price=unit["list_unit_price"],
                           to_total_price=unit["list_price"], to_layout=unit["layout"],
                           to_project_id=unit["project_id"])
        return json_response(self.rpc("transactions", "file_application", {
            "actor": actor(user), **payload,
            "order_form_id": order_form_id, "applicant": user.username}), 201)

    def get_application(self, request, user, application_id):
        application = self.rpc("transactions", "get_application",
                               {"actor": actor(user), "application_id": application_id})
        self.own_order_form(user, application["order_form_id"], "application_id")
        return json_response(application)

    def decide_application(self, request, user, application_id):
        body = load(routes.DecisionBody(), json_body(request))
        self.own_application(user, application_id)
        return json_response(self.rpc("transactions", "decide_application", {
            "actor": actor(user), **body,
            "application_id": application_id, "approver": user.username,
            "role": user.role}))

    def pay_refund(self, request, user, application_id):
        body = load(routes.RefundPaymentBody(), json_body(request))
        self.own_application(user, application_id)
        return json_response(self.rpc("transactions", "pay_refund", {
            "actor": actor(user), **body,
            "application_id": application_id, "paid_by": user.username,
            "role": user.role}))

    def set_approval_chains(self, request, user, project_id):
        body = load(routes.ApprovalChainsBody(), json_body(request))
        check_project(user, project_id)
        return json_response(self.rpc("transactions", "set_approval_chains", {
            **body, "project_id": project_id, "set_by": user.username, "role": user.role,
            "actor": actor(user)}))

    def confirm_bank_receipt(self, request, user):
        body = load(routes.BankReceiptBody(), json_body(request))
        check_project(user, body["project_id"])
        return json_response(self.rpc("transactions", "confirm_bank_receipt", {
            "actor": actor(user), **_given(request, body), "confirmed_by": user.username}))

    def get_reconciliation(self, request, user, project_id):
        check_project(user, project_id)
        return json_response(self.rpc("transactions", "get_reconciliation",
                                      {**_period(request, project_id), "actor": actor(user)}))

    def get_reconciliation_xlsx(self, request, user, project_id):
        check_project(user, project_id)
        file = self.rpc("transactions", "get_reconciliation_xlsx",
                        {**_period(request, project_id), "actor": actor(user)})
        return xlsx_response(file["content_base64"], file["file_name"])

    def list_deals(self, request, user):
        query = load(routes.transactions.DealsQuery(), dict(request.args))
        if query["project_id"] is not None:
            check_project(user, query["project_id"])
        return json_response(self.rpc("transactions", "list_deals",
                                      {**query, "actor": actor(user)}))

    def list_overdue(self, request, user):
        query = dict(request.args)
        if user.role == "consultant":
            if user.consultant_id is None:
                raise Forbidden("this consultant account names no consultant",
                                {"consultant_id": ["not set on your account"]})
            query["consultant_id"] = user.consultant_id
        elif "consultant_id" in query:
            query["consultant_id"] = _whole(query["consultant_id"], "consultant_id")
        return json_response(self.rpc("transactions", "list_overdue",
                                      {**query, "actor": actor(user)}))

    def record_collection(self, request, user, contract_id):
        body = load(routes.CollectionBody(), json_body(request))
        self.own_contract(user, contract_id)
        return json_response(self.rpc("transactions", "record_collection", {
            "actor": actor(user), **body,
            "contract_id": contract_id, "by": user.username, "role": user.role}))

    def get_deal_report(self, request, user, deposit_id):
        report = self.rpc("transactions", "get_deal_report", {
            "actor": actor(user), "deposit_id": deposit_id})
        _check_deal(user, report, "deposit_id")
        try:
            units = [self.rpc("inventory", "get_unit", {"actor": actor(user),
                                                        "unit_id": report["unit_id"]})]
        except NotFound:
            units = []
        return json_response(self.with_form_boxes(user, [report], units)[0])

    def list_deal_reports(self, request, user, project_id):
        check_project(user, project_id)
        deals = self.rpc("transactions", "list_deal_reports", {
            "actor": actor(user), "project_id": project_id})["deals"]
        try:
            units = board_cells(unpack_board(
                self.rpc("inventory", "get_board", {"actor": actor(user),
                                                    "project_id": project_id})))
        except NotFound:
            units = []
        return json_response({"deals": self.with_form_boxes(user, deals, units)})

    def get_deal_reports_xlsx(self, request, user, project_id):
        check_project(user, project_id)
        deals = self.rpc("transactions", "list_deal_reports", {
            "actor": actor(user), "project_id": project_id})["deals"]
        try:
            units = board_cells(unpack_board(
                self.rpc("inventory", "get_board", {"actor": actor(user),
                                                    "project_id": project_id})))
        except NotFound:
            units = []
        boxes = [{"deposit_id": deal["deposit_id"], "customer": deal["customer"],
                  "property": deal["property"]}
                 for deal in self.with_form_boxes(user, deals, units)]
        file = self.rpc("transactions", "get_deal_reports_xlsx",
                        {"actor": actor(user), "project_id": project_id, "boxes": boxes})
        return xlsx_response(file["content_base64"], file["file_name"])

    def calculate_repayment(self, request, user):
        return json_response(self.rpc("transactions", "calculate_repayment",
                                      dict(request.args)))

    @staticmethod
    def limited(user) -> bool:
        """Whether the deal must be read first: a consultant acts only on their own customers'
        deals, a user given a project list only on those projects' deals."""
        return user.role == "consultant" or not acts_on_every_project(user)

    def own_order_form(self, user, order_form_id, field="order_form_id"):
        """An order form (and what hangs off it) the user may act on; everyone else as the
        route's roles allow."""
        if self.limited(user):
            order = self.rpc("transactions", "get_order_form", {
                "actor": actor(user), "order_form_id": order_form_id,
                **read_by(user, purpose=ACCESS_CHECK)})
            _check_deal(user, order, field)

    def own_subscription(self, user, subscription_id):
        if self.limited(user):
            subscription = self.rpc("transactions", "get_subscription",
                                    {"actor": actor(user), "subscription_id": subscription_id})
            self.own_order_form(user, subscription["order_form_id"], "subscription_id")

    def own_application(self, user, application_id):
        if self.limited(user):
            application = self.rpc("transactions", "get_application",
                                   {"actor": actor(user), "application_id": application_id})
            self.own_order_form(user, application["order_form_id"], "application_id")

    def own_contract(self, user, contract_id):
        if self.limited(user):
            contract = self.rpc("transactions", "get_contract", {
                "actor": actor(user), "contract_id": contract_id,
                **read_by(user, purpose=ACCESS_CHECK)})
            self.own_order_form(user, contract["order_form_id"], "contract_id")

    def with_form_boxes(self, user, reports: list, units: list) -> list:
        """The deal report's customer and property boxes (客户成交报告) from leads' customer
        profile and inventory's unit; what neither records stays null (the form's "/")."""
        units = {unit["id"]: unit for unit in units}
        customers = {}  # one call per customer, however many deals they made
        for report in reports:
            if report["customer_id"] not in customers:
                try:
                    customers[report["customer_id"]] = private_view(user, self.rpc(
                        "leads", "get_customer", {"customer_id": report["customer_id"],
                                                  "actor": actor(user),
                                                  **read_by(user, purpose="deal report")}))
                except (NotFound, Forbidden):  # unknown, or a customer of another office
                    customers[report["customer_id"]] = None
            customer = customers[report["customer_id"]]
            if customer is not None:
                profile = customer.get("profile") or {}
                report["customer"].update({
                    "gender": customer.get("gender"), "mobile": customer.get("mobile"),
                    **{box: profile.get(answer) or None for box, answer in PROFILE_BOXES}})
            unit = units.get(report["unit_id"])
            if unit is not None:
                report["property"].update({"location": f"{unit['building']}-{unit['number']}",
                                           "layout": unit.get("layout")})
        return reports


# the deal report's boxes answered by leads' registration forms: (box, profile answer)
PROFILE_BOXES = (("age_band", "age_band"), ("address", "address"),
                 ("purchase_motive", "purchase_motive"), ("occupation", "customer_category"),
                 ("residence_area", "residence_area"), ("household", "family_structure"))


def _check_deal(user, record: dict, field: str) -> None:
    """403 naming `field` when a consultant reaches for another consultant's deal, or a user
    for a deal of a project not theirs."""
    if user.role == "consultant" and (user.consultant_id is None
                                      or record["consultant_id"] != user.consultant_id):
        raise Forbidden(f"not your deal: {field} belongs to another consultant",
                        {field: ["belongs to another consultant's customer"]})
    if record.get("project_id") is not None and not acts_on_every_project(user) \
            and record["project_id"] not in user.project_ids:
        raise Forbidden(f"not your project: {field} belongs to project {record['project_id']}",
                        {field: [f"belongs to project {record['project_id']}, not yours"]})


def _whole(text: str, field: str) -> int:
    """A query-string id: the service takes ids as JSON integers only."""
    if not text.isdigit():
        raise InvalidInput("not a whole number", {field: ["not a whole number"]})
    return int(text)


def _period(request, project_id) -> dict:
    query = {key: request.args[key] for key in ("from", "to") if key in request.args}
    return {**query, "project_id": project_id}


def _given(request, body: dict) -> dict:
    """The fields the caller sent, as the JSON they sent (the service validates them again:
    dates and money go over RPC as strings)."""
    raw = json_body(request)
    return {name: raw[name] for name in body if name in raw}
