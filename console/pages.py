"""The console's pages. Each asks the gateway's API in the user's name and renders what it
answers; a refusal is shown with the API's own message, next to the field it names."""
import json
import uuid
from datetime import datetime
from urllib.parse import urlencode

import eventlet
from eventlet.queue import Empty
from werkzeug.wrappers import Response

from console import board_view, complaint_steps, opening_view
from console.app import Visit, clear_session, page, redirect, set_session
from console.forms import as_json
from console.gateway_client import Gateway, GatewayError
from contracts.imports import XLSX
from gateway.routes import match, route
from infra.working_calendar import SHANGHAI

# the menu: a screen is offered to the roles the API lets call its main route
MENU = (
    ("首页", "/", None),
    ("销控表", "/board", ("GET", "/api/v1/projects/{project_id}/board")),
    ("来访来电登记", "/reception", ("POST", "/api/v1/visits")),
    ("我的客户", "/customers", ("GET", "/api/v1/consultants/{consultant_id}/customers")),
    ("预留", "/holds", ("GET", "/api/v1/holds")),
    ("收取定金", "/deposits/new", ("POST", "/api/v1/deposits")),
    ("开盘选房", "/openings", ("GET", "/api/v1/openings/{opening_id}")),
    ("成交", "/deals", ("GET", "/api/v1/deals")),
    ("审批", "/approvals", ("POST", "/api/v1/applications/{application_id}/decisions")),
    ("催款", "/collections", ("GET", "/api/v1/collections")),
    ("档案", "/archive", ("GET", "/api/v1/units/{unit_id}/dossier")),
    ("客服", "/complaints", ("GET", "/api/v1/complaints")),
    ("来电中心", "/call-center", ("GET", "/api/v1/call-agents/{agent_id}/leads")),
)


def menu_for(role):
    return [(label, url) for label, url, api in MENU
            if api is None or (role and role in (route(*api).roles or ()))]


def _render(visit: Visit, template, status=200, **context):
    return visit.render(template, status, menu=menu_for(visit.role), **context)


def _chosen_or_form(visit: Visit, field, target, template):
    """A chooser page: the number typed in `field` opens `target`, else the form."""
    chosen = visit.request.args.get(field, "").strip()
    return redirect(target.format(chosen)) if chosen.isdigit() else _render(visit, template)


# --- session -------------------------------------------------------------------------------

@page("/login", methods=("GET", "POST"), public=True)
def login(visit: Visit):
    next_page = visit.request.values.get("next", "/")
    if not next_page.startswith("/") or next_page.startswith("//"):
        next_page = "/"
    if visit.request.method == "GET":
        return visit.render("login.html", next_page=next_page, form={})
    form = visit.request.form
    try:
        token = Gateway().post("/api/v1/auth/tokens", {"username": form.get("username", ""),
                                                       "password": form.get("password", "")})
    except GatewayError as error:
        return visit.render("login.html", status=error.status, error=error,
                            next_page=next_page, form={"username": form.get("username", "")})
    return set_session(redirect(next_page), token, form.get("username", ""))


@page("/logout", methods=("POST",), public=True)
def logout(visit: Visit):
    return clear_session(redirect("/login"))


@page("/")
def home(visit: Visit):
    """What this person has to do today, from the lists the API gives their role."""
    tasks = {}
    if visit.role in route("GET", "/api/v1/collections").roles:
        tasks["collections"] = visit.gateway.get("/api/v1/collections")
    if visit.role in route("GET", "/api/v1/deposits/unanswered").roles:
        tasks["unanswered"] = visit.gateway.get("/api/v1/deposits/unanswered")
    if visit.role == "consultant" and visit.consultant_id:
        mine = visit.gateway.get(f"/api/v1/consultants/{visit.consultant_id}/customers")
        tasks["follow_ups"] = [c for c in mine["customers"] if c["due_today"]]
    return _render(visit, "home.html", tasks=tasks)


# --- 销控表 ---------------------------------------------------------------------------------

@page("/board")
def choose_board(visit: Visit):
    return _chosen_or_form(visit, "project_id", "/projects/{}/board", "choose_board.html")


@page("/projects/<int:project_id>/board")
def board(visit: Visit, project_id):
    filters = board_view.Filters.from_args(visit.request.args)
    # a building at a time: every building's totals for the tabs, then the one building's
    # rooms (a 20,000-room project is never sent whole; bench/console_board.py)
    path = f"/api/v1/projects/{project_id}/board"
    asked = None
    if filters.building:  # a tab: both asked at once
        asked = eventlet.spawn(_building_rooms, visit.gateway, path, filters.building)
    whole = visit.gateway.get(path, {"rooms": "false"})
    buildings = [b["building"] for b in whole["buildings"]]
    building = filters.building if filters.building in buildings else (
        buildings[0] if buildings else None)
    rooms = asked.wait() if asked is not None else None
    if rooms is None:
        rooms = visit.gateway.get(path, {"building": building}) if building else whole
    grid = board_view.grid(rooms, building, filters)
    downloads = downloads_for(visit, (
        ("销控表", f"/api/v1/projects/{project_id}/board.xlsx"),
        (f"{building}号楼销控表", f"/api/v1/projects/{project_id}/board.xlsx?"
                                 f"{urlencode({'building': building})}") if building else None,
        ("客户成交报告", f"/api/v1/projects/{project_id}/deal-reports.xlsx")))
    return _render(visit, "board.html", project=whole["project"], buildings=buildings,
                   downloads=downloads,
                   building=building, grid=grid, filters=filters,
                   text_mode=visit.request.args.get("mode") == "text")


def _building_rooms(gateway, path, building):
    """One building's rooms, or None when the project has no such building (the page then
    shows its first)."""
    try:
        return gateway.get(path, {"building": building})
    except GatewayError as error:
        if error.status == 404:
            return None
        raise


@page("/projects/<int:project_id>/board/grid")
def board_grid(visit: Visit, project_id):
    filters = board_view.Filters.from_args(visit.request.args)
    params = {"building": filters.building} if filters.building else None
    rooms = visit.gateway.get(f"/api/v1/projects/{project_id}/board", params)
    grid = board_view.grid(rooms, filters.building or (
        rooms["buildings"][0]["building"] if rooms["buildings"] else None), filters)
    return visit.render("_board_grid.html", grid=grid, project=rooms["project"],
                        filters=filters, text_mode=visit.request.args.get("mode") == "text")


@page("/projects/<int:project_id>/board/events")
def board_events(visit: Visit, project_id):
    """Server-sent events: `changed` whenever a unit of this project changes anywhere."""
    # the read the board itself makes: a user who may not see the board gets its refusal
    building = visit.request.args.get("building") or None
    visit.gateway.get(f"/api/v1/projects/{project_id}/board",
                      {"building": building} if building else None)
    feed = visit.feed
    inbox = feed.subscribe(project_id)
    visit.request.environ["eventlet.minimum_write_chunk_size"] = 0  # send each event at once

    def stream():
        try:
            yield "retry: 1000\n\n"
            while True:
                try:
                    first = inbox.get(timeout=15)
                except Empty:
                    yield ": keep-alive\n\n"
                    continue
                eventlet.sleep(0.05)  # a burst of changes becomes one refresh
                changes = [first]
                while not inbox.empty():
                    changes.append(inbox.get_nowait())
                units = [c["unit_id"] for c in changes if c.get("unit_id")]
                yield f"event: changed\ndata: {json.dumps(units)}\n\n"
        finally:
            feed.unsubscribe(project_id, inbox)

    return Response(stream(), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@page("/units/<int:unit_id>")
def unit_detail(visit: Visit, unit_id):
    return _unit_panel(visit, unit_id)


@page("/units/<int:unit_id>/hold", methods=("POST",))
def hold_unit(visit: Visit, unit_id):
    body = as_json(visit.request.form, integers=("customer_id", "consultant_id"))
    body["unit_id"] = unit_id
    return _unit_action(visit, unit_id, "/api/v1/holds", body, "预留成功")


@page("/holds/<int:hold_id>/release", methods=("POST",))
def release_hold(visit: Visit, hold_id):
    form = visit.request.form
    unit_id = int(form["unit_id"]) if form.get("unit_id", "").isdigit() else 0
    return _unit_action(visit, unit_id, f"/api/v1/holds/{hold_id}/release",
                        {"reason": form.get("reason", "")}, "已释放")


@page("/units/<int:unit_id>/waitlist", methods=("POST",))
def join_waitlist(visit: Visit, unit_id):
    body = as_json(visit.request.form, integers=("customer_id", "consultant_id"))
    return _unit_action(visit, unit_id, f"/api/v1/units/{unit_id}/waitlist", body,
                        "已加入等待")


def _unit_action(visit, unit_id, path, body, done):
    body = {key: value for key, value in body.items() if value is not None}
    try:
        visit.gateway.post(path, body, idempotency_key=visit.request.form.get("_key"))
    except GatewayError as error:
        return _unit_panel(visit, unit_id, error.status, form=visit.request.form, error=error)
    return _unit_panel(visit, unit_id, done=done)


def _unit_panel(visit, unit_id, status=200, form=None, error=None, done=None):
    """A unit's detail as it stands now, with what the last action answered."""
    unit = visit.gateway.get(f"/api/v1/units/{unit_id}")
    history = visit.gateway.get(f"/api/v1/units/{unit_id}/history")
    return visit.render("_unit.html", status=status, unit=unit, history=history,
                        form=form or {}, error=error, done=done)


# --- 预留 ------------------------------------------------------------------------------------

@page("/holds")
def holds(visit: Visit):
    return _holds_page(visit)


@page("/holds/<int:hold_id>/approval", methods=("POST",))
def approve_hold(visit: Visit, hold_id):
    form = visit.request.form
    try:
        visit.gateway.post(f"/api/v1/holds/{hold_id}/approval", {
            "approve": form.get("decision") == "approve", "comment": form.get("comment", "")})
    except GatewayError as error:
        return _holds_page(visit, error)
    return redirect("/holds")


def _holds_page(visit, error=None):
    """Open holds, those expiring within a day first; pending ones for a manager to decide."""
    listed = visit.gateway.get("/api/v1/holds")["holds"]
    expiring = visit.gateway.get("/api/v1/holds", {"expiring_within_hours": 24})["holds"]
    soon = {hold["id"] for hold in expiring}
    may_approve = visit.role in route("POST", "/api/v1/holds/{hold_id}/approval").roles
    return _render(visit, "holds.html", status=error.status if error else 200, error=error,
                   pending=[h for h in listed if h["status"] == "pending"],
                   active=[h for h in listed if h["status"] == "active"], soon=soon,
                   may_approve=may_approve)


# --- 来访来电登记 ----------------------------------------------------------------------------

REGISTRATION_INTEGERS = ("office_id", "visitors", "invited_by", "answered_by")


@page("/reception", methods=("GET", "POST"))
def reception(visit: Visit):
    if visit.request.method == "GET":
        return _render(visit, "reception.html", form={}, error=None, result=None)
    form = visit.request.form
    kind = "calls" if form.get("_kind") == "call" else "visits"
    body = as_json(form, integers=REGISTRATION_INTEGERS, lists=("focus_points",))
    try:
        result = visit.gateway.post(f"/api/v1/{kind}", body)
    except GatewayError as error:
        return visit.refused(error, "reception.html", menu=menu_for(visit.role), form=form,
                             result=None)
    return visit.render("reception.html", status=201, menu=menu_for(visit.role), form={},
                        error=None, result=result)


# --- 我的客户 --------------------------------------------------------------------------------

@page("/customers")
def my_customers(visit: Visit):
    """A consultant's own customers; a manager names the consultant whose list to open."""
    typed = visit.request.args.get("consultant_id", "").strip()
    if typed.isdigit():
        return redirect(f"/consultants/{typed}/customers")
    if visit.role == "consultant" and visit.consultant_id:
        return redirect(f"/consultants/{visit.consultant_id}/customers")
    return _render(visit, "customers_choose.html")


@page("/consultants/<int:consultant_id>/customers")
def consultant_customers(visit: Visit, consultant_id):
    """Grades, the follow-ups due today first, and the day's care reminders."""
    listed = visit.gateway.get(f"/api/v1/consultants/{consultant_id}/customers")
    reminders = visit.gateway.get(f"/api/v1/consultants/{consultant_id}/care-reminders")
    return _render(visit, "customers.html", listed=listed, reminders=reminders["reminders"],
                   owner_id=consultant_id,
                   due=[c for c in listed["customers"] if c["due_today"]])


CUSTOMER_FILE_PURPOSE = "我的客户：查看客户档案"


@page("/customers/<int:customer_id>", methods=("GET", "POST"))
def customer_file(visit: Visit, customer_id):
    """The customer file as the API shows it to this person (contact details masked unless
    theirs; the read is logged); a follow-up logged from it."""
    error, recorded, form = None, None, {}
    if visit.request.method == "POST":
        form = visit.request.form
        body = as_json(form, local_times=("next_appointment",))
        try:
            recorded = visit.gateway.post(f"/api/v1/customers/{customer_id}/follow-ups", body)
        except GatewayError as refused:
            error = refused
    found = visit.gateway.get(f"/api/v1/customers/{customer_id}/file",
                              {"purpose": CUSTOMER_FILE_PURPOSE})
    may_follow_up = visit.role in route(
        "POST", "/api/v1/customers/{customer_id}/follow-ups").roles and visit.consultant_id \
        == found["customer"]["consultant_id"]
    status = error.status if error else (201 if recorded else 200)
    return _render(visit, "customer_file.html", status=status, file=found, error=error,
                   form=form if error else {}, recorded=recorded, may_follow_up=may_follow_up)


@page("/reception/known-customer")
def known_customer(visit: Visit):
    """While the mobile is typed: is it already a customer of the office? The API answers only
    for a full number (a partial one is its 400, shown as nothing yet) and logs a match."""
    args = visit.request.args
    office_id, mobile = args.get("office_id", "").strip(), args.get("mobile", "").strip()
    if not office_id.isdigit() or not mobile:
        return visit.render("_known_customer.html", found=None, error=None)
    try:
        found = visit.gateway.get(f"/api/v1/offices/{office_id}/known-customers",
                                  {"mobile": mobile})
    except GatewayError as error:
        if error.status == 400:
            return visit.render("_known_customer.html", found=None, error=None)
        return visit.render("_known_customer.html", found=None, error=error)
    return visit.render("_known_customer.html", found=found, error=None)


# --- 定金 ------------------------------------------------------------------------------------

@page("/deposits/new", methods=("GET", "POST"))
def new_deposit(visit: Visit):
    if visit.request.method == "GET":
        form = {"unit_id": visit.request.args.get("unit_id", ""), "_key": uuid.uuid4().hex}
        return _render(visit, "deposit_form.html", form=form, error=None)
    form = visit.request.form
    body = as_json(form, integers=("unit_id", "customer_id", "consultant_id"))
    try:
        deposit = visit.gateway.post("/api/v1/deposits", body,
                                     idempotency_key=form.get("_key") or None)
    except GatewayError as error:
        return visit.refused(error, "deposit_form.html", menu=menu_for(visit.role), form=form)
    return redirect(f"/deposits/{deposit['id']}")


@page("/deposits/<int:deposit_id>")
def deposit(visit: Visit, deposit_id):
    found = visit.gateway.get(f"/api/v1/deposits/{deposit_id}")
    order_form = None
    if found.get("status") == "confirmed":
        order_form = visit.gateway.get(f"/api/v1/deposits/{deposit_id}/order-form")
    return _render(visit, "deposit.html", deposit=found, order_form=order_form)


# --- 开盘选房 --------------------------------------------------------------------------------

SELECT = ("POST", "/api/v1/openings/{opening_id}/selections")


@page("/openings")
def choose_opening(visit: Visit):
    return _chosen_or_form(visit, "opening_id", "/openings/{}", "openings_choose.html")


@page("/openings/<int:opening_id>")
def opening(visit: Visit, opening_id):
    """The opening as it stands: its order by slot, the units still free (live), what is
    sold, the results workbook; a queue number typed opens that buyer's selection page."""
    number = visit.request.args.get("queue_number", "").strip()
    if number.isdigit():
        return redirect(f"/openings/{opening_id}/buyers/{int(number)}")
    found, order, units = _opening_state(visit, opening_id)
    downloads = downloads_for(visit, (
        ("选房结果", f"/api/v1/openings/{opening_id}/results.xlsx"),))
    return _render(visit, "opening.html", opening=found, slots=opening_view.slots(order),
                   order=order, units=units, downloads=downloads,
                   mode_names=opening_view.MODE_NAMES)


@page("/openings/<int:opening_id>/buyers/<int:number>")
def opening_buyer(visit: Visit, opening_id, number):
    """A consultant chooses for their buyer: the buyer's slot, the units still free; a pick
    answers won or lost at once, and a loser picks again from what is left."""
    return _buyer_page(visit, opening_id, number, "opening_buyer.html")


@page("/openings/<int:opening_id>/buyers/<int:number>/selections", methods=("POST",))
def select_for_buyer(visit: Visit, opening_id, number):
    """One pick, as the API answers it: the form's key makes a retried click answer the
    first result (a win stays a win)."""
    form = visit.request.form
    body = as_json(form, integers=("unit_id",))
    body["queue_number"] = number
    try:
        selection = visit.gateway.post(f"/api/v1/openings/{opening_id}/selections", body,
                                       idempotency_key=form.get("_key") or None)
    except GatewayError as error:
        return _buyer_page(visit, opening_id, number, "_opening_pick.html",
                           status=error.status, error=error, unit_id=body.get("unit_id"))
    return _buyer_page(visit, opening_id, number, "_opening_pick.html", status=201,
                       selection=selection, unit_id=selection["unit_id"])


def _opening_state(visit, opening_id):
    """The opening, its order and its released units as the board shows them, asked at once
    where they do not depend on each other."""
    asked = eventlet.spawn(visit.gateway.get, f"/api/v1/openings/{opening_id}/order")
    try:
        found = visit.gateway.get(f"/api/v1/openings/{opening_id}")
    except GatewayError:
        asked.kill()
        raise
    board = visit.gateway.get(f"/api/v1/projects/{found['project_id']}/board")
    return found, asked.wait(), opening_view.released(board, found["unit_ids"])


def _buyer_page(visit, opening_id, number, template, status=200, **context):
    found, order, units = _opening_state(visit, opening_id)
    slot = opening_view.buyer_slot(order, number, datetime.now(SHANGHAI))
    may_select = visit.role in route(*SELECT).roles and found["status"] == "open"
    return _render(visit, template, status=status, opening=found, number=number, slot=slot,
                   units=units, may_select=may_select, **context)


# --- 成交 ------------------------------------------------------------------------------------

@page("/deals")
def deals(visit: Visit):
    """Deposits, order forms, subscriptions, contracts, payment plans and what is overdue, in
    this person's scope as the API answers it; a project typed wrong is named next to its field."""
    args = visit.request.args
    query = {key: args[key].strip() for key in ("project_id",) if args.get(key, "").strip()}
    try:
        listed = visit.gateway.get("/api/v1/deals", query or None)
    except GatewayError as error:
        if error.status != 400:
            raise
        return _render(visit, "deals.html", status=400, error=error, form=args, listed=None)
    return _render(visit, "deals.html", error=None, form=args, listed=listed)


# --- 审批 ------------------------------------------------------------------------------------

@page("/approvals")
def approvals(visit: Visit):
    application_id = visit.request.args.get("application_id", "").strip()
    if application_id.isdigit():
        return redirect(f"/applications/{application_id}")
    waiting = visit.gateway.get("/api/v1/applications/waiting")["applications"]
    holds_pending = []
    if visit.role in route("POST", "/api/v1/holds/{hold_id}/approval").roles:
        holds_pending = visit.gateway.get("/api/v1/holds", {"status": "pending"})["holds"]
    return _render(visit, "approvals.html", waiting=waiting, holds_pending=holds_pending)


@page("/applications/<int:application_id>", methods=("GET", "POST"))
def application(visit: Visit, application_id):
    path = f"/api/v1/applications/{application_id}"
    error = None
    if visit.request.method == "POST":
        try:
            visit.gateway.post(f"{path}/decisions", as_json(visit.request.form))
        except GatewayError as refused:
            error = refused
    found = visit.gateway.get(path)
    return _render(visit, "application.html", status=error.status if error else 200,
                   application=found, error=error, form=visit.request.form if error else {})


# --- 催款 ------------------------------------------------------------------------------------

@page("/collections")
def collections(visit: Visit):
    return _render(visit, "collections.html", overdue=visit.gateway.get("/api/v1/collections"))



# --- 一户一档 ------------------------------------------------------------------------------

@page("/archive")
def archive(visit: Visit):
    """Open a unit's dossier for a stated purpose; a project's overdue papers, overdue loans
    and borrowing register."""
    args = visit.request.args
    if args.get("unit_id", "").strip().isdigit():
        return redirect(f"/units/{args['unit_id'].strip()}/dossier?"
                        f"{urlencode({'purpose': args.get('purpose', '')})}")
    overdue, loans, register = None, None, None
    project_id = args.get("project_id", "").strip()
    as_of = {"today": args["today"]} if args.get("today") else {}  # the API checks the date
    if project_id.isdigit():
        overdue = visit.gateway.get(f"/api/v1/projects/{project_id}/overdue-handovers", as_of)
        loans = visit.gateway.get("/api/v1/loans/overdue",
                                  {"project_id": project_id, **as_of})["loans"]
        register = visit.gateway.get(f"/api/v1/projects/{project_id}/loans", as_of)["loans"]
    return _render(visit, "archive.html", overdue=overdue, loans=loans, register=register,
                   project_id=project_id, today=as_of.get("today", ""))


@page("/units/<int:unit_id>/dossier")
def dossier(visit: Visit, unit_id):
    """The dossier as a timeline; the archive logs the read with its purpose first."""
    purpose = visit.request.args.get("purpose", "")
    found = visit.gateway.get(f"/api/v1/units/{unit_id}/dossier", {"purpose": purpose})
    return _render(visit, "dossier.html", dossier=found, unit_id=unit_id, purpose=purpose)


# --- 客服 ------------------------------------------------------------------------------------

COMPLAINTS_PER_PAGE = 30


@page("/complaints")
def complaints(visit: Visit):
    """The complaints this person may see, each with its clocks; the contractors' deposits and
    scores for those who order repairs."""
    args = visit.request.args
    params = {key: args[key].strip() for key in ("status", "project_id", "limit")
              if args.get(key, "").strip()}
    listed = visit.gateway.get("/api/v1/complaints",
                               {"limit": COMPLAINTS_PER_PAGE, **params})["complaints"]
    # the list answers the record cards; each complaint's clocks come with the complaint itself
    pool = eventlet.GreenPool(8)
    listed = list(pool.imap(lambda c: visit.gateway.get(f"/api/v1/complaints/{c['id']}"), listed))
    contractors = None
    if visit.role in route("GET", "/api/v1/contractors").roles:
        contractors = visit.gateway.get("/api/v1/contractors")["contractors"]
    return _render(visit, "complaints.html", complaints=listed, contractors=contractors,
                   filters=params)


@page("/complaints/<int:complaint_id>")
def complaint(visit: Visit, complaint_id):
    return _complaint_page(visit, complaint_id)


@page("/complaints/<int:complaint_id>/steps/<suffix>", methods=("POST",))
def complaint_step(visit: Visit, complaint_id, suffix):
    """One step of the complaint, as the API takes it; its refusal shown in that step's form,
    next to the field it names, with what was typed."""
    if suffix not in complaint_steps.SUFFIXES:
        return visit.refused(GatewayError(404, "not_found", "没有这个处理步骤"), "error.html")
    form = visit.request.form
    try:
        visit.gateway.post(f"/api/v1/complaints/{complaint_id}/{suffix}", as_json(form))
    except GatewayError as error:
        return _complaint_page(visit, complaint_id, error=error, failed=suffix, form=form)
    return redirect(f"/complaints/{complaint_id}?done={suffix}")


def _complaint_page(visit, complaint_id, error=None, failed=None, form=None):
    found = visit.gateway.get(f"/api/v1/complaints/{complaint_id}")
    done = visit.request.args.get("done")
    done_title = next((title for suffix, title, _ in complaint_steps.STEP_FORMS.values()
                       if suffix == done), None)
    return _render(visit, "complaint.html", status=error.status if error else 200,
                   complaint=found, steps=complaint_steps.offered(found, visit.role),
                   error=error, failed=failed, form=form or {}, done=done_title,
                   downloads=downloads_for(visit, (
                       ("投诉记录卡", f"/api/v1/complaints/{complaint_id}/record-card.xlsx"),
                       ("投诉调查报告", f"/api/v1/complaints/{complaint_id}/investigation-report.xlsx"))))


# --- 来电中心 --------------------------------------------------------------------------------

@page("/call-center")
def call_center(visit: Visit):
    """An agent's call list (by agent number) and an office's day and month figures."""
    args = visit.request.args
    agent_id = args.get("agent_id", "").strip()
    if agent_id.isdigit():
        return redirect(f"/call-agents/{agent_id}")
    office_id = args.get("office_id", "").strip()
    if office_id.isdigit():
        query = {key: args[key].strip() for key in ("day", "month") if args.get(key, "").strip()}
        return redirect(f"/offices/{office_id}/call-center?{urlencode(query)}".rstrip("?"))
    return _render(visit, "call_center.html")


@page("/call-agents/<int:agent_id>")
def call_list(visit: Visit, agent_id):
    return _call_list(visit, agent_id)


@page("/call-leads/<int:call_lead_id>/calls", methods=("POST",))
def record_call(visit: Visit, call_lead_id):
    form = visit.request.form
    agent_id = int(form["_agent_id"]) if form.get("_agent_id", "").isdigit() else 0
    body = as_json(form, integers=("office_id",), booleans=("connected",))
    body.setdefault("connected", False)
    try:
        result = visit.gateway.post(f"/api/v1/call-leads/{call_lead_id}/calls", body)
    except GatewayError as error:
        return _call_list(visit, agent_id, error=error, lead_id=call_lead_id, form=form)
    return _call_list(visit, agent_id, recorded=result, lead_id=call_lead_id)


def _call_list(visit, agent_id, error=None, lead_id=None, form=None, recorded=None):
    leads = visit.gateway.get(f"/api/v1/call-agents/{agent_id}/leads")["leads"]
    may_record = visit.role in route("POST", "/api/v1/call-leads/{call_lead_id}/calls").roles
    status = error.status if error else (201 if recorded else 200)
    return _render(visit, "call_list.html", status=status, agent_id=agent_id, leads=leads,
                   error=error, lead_id=lead_id, form=form or {}, recorded=recorded,
                   may_record=may_record)


@page("/offices/<int:office_id>/call-center")
def call_center_figures(visit: Visit, office_id):
    args = visit.request.args
    day_query = {"day": args["day"].strip()} if args.get("day", "").strip() else None
    # the ranking is of a month: this month in the office unless another is asked for
    month = args.get("month", "").strip() or datetime.now(SHANGHAI).strftime("%Y-%m")
    month_query = {"month": month}
    day = visit.gateway.get(f"/api/v1/offices/{office_id}/call-center/day", day_query)
    ranking = visit.gateway.get(f"/api/v1/offices/{office_id}/call-center/ranking", month_query)
    exports = downloads_for(visit, (
        ("来电客户登记表", f"/api/v1/offices/{office_id}/exports/call-register"),
        ("来访客户登记表", f"/api/v1/offices/{office_id}/exports/visit-register"),
        ("客户等级分配跟踪表", f"/api/v1/offices/{office_id}/exports/grade-tracking")))
    return _render(visit, "call_center_figures.html", office_id=office_id, day=day,
                   ranking=ranking, month=month, downloads=exports)


# --- Excel 下载 ------------------------------------------------------------------------------

def _xlsx_route(api_path):
    found = match("GET", api_path)
    return found if found is not None and XLSX in found.media_types else None


def downloads_for(visit: Visit, items) -> list:
    """(label, console link) for each API workbook this person's role may take."""
    offered = []
    for label, api_path in filter(None, items):
        found = _xlsx_route(api_path.split("?", 1)[0])
        if found is not None and visit.role in (found.roles or ()):
            offered.append((label, "/files" + api_path))
    return offered


@page("/files/<path:api_path>")
def download(visit: Visit, api_path):
    """The API's workbook passed on as it came, with its file name: only for API paths the
    route table says answer XLSX."""
    api_path = "/" + api_path
    if _xlsx_route(api_path) is None:
        return visit.refused(GatewayError(404, "not_found", "没有这个下载"), "error.html")
    answer = visit.gateway.download(api_path, visit.request.args.to_dict(flat=False) or None)
    headers = {key: answer.headers[key] for key in ("Content-Disposition",)
               if key in answer.headers}
    return Response(answer.content, status=200, headers=headers,
                    mimetype=answer.headers.get("Content-Type", XLSX))
