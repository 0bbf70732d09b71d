"""The console's WSGI plumbing: one route table, the session cookie, rendering, and how an
API refusal reaches the page. The pages themselves are in `console.pages`."""
import json
import logging
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from console.board_view import LABELS, local_time, money
from console.gateway_client import Gateway, GatewayError, SessionExpired
from console.live import BoardFeed

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
ASSETS = {  # front-end files installed from the npm registry (console/package.json)
    "htmx.min.js": HERE / "node_modules/htmx.org/dist/htmx.min.js",
    "sse.min.js": HERE / "node_modules/htmx-ext-sse/dist/sse.min.js",
    "console.css": HERE / "static/console.css",
}
TOKEN_COOKIE, USER_COOKIE = "anchang_token", "anchang_user"

templates = Environment(loader=FileSystemLoader(HERE / "templates"),
                        autoescape=select_autoescape(["html"]), trim_blocks=True,
                        lstrip_blocks=True)

ROLE_NAMES = {"consultant": "置业顾问", "sales_manager": "案场经理", "call_agent": "话务员",
              "finance": "财务", "customer_service": "客服", "archivist": "档案员",
              "legal": "法务", "general_manager": "总经理", "admin": "管理员",
              "sales_statistician": "销售统计员", "engineering": "工程部",
              "cost_review": "审算人员"}
templates.globals.update(
    role_names=ROLE_NAMES, status_names=dict(LABELS), new_key=lambda: uuid.uuid4().hex,
    deposit_names={"pending": "等待库存确认", "confirmed": "已确认", "refund_pending": "待退款",
                   "refunded": "已退款", "forfeited": "已没收"},
    category_names={"sales": "销售", "signing": "签约", "title": "办证", "move_in": "入伙",
                    "repair": "维修", "compensation": "赔付", "litigation": "诉讼",
                    "shop_lease": "商铺租赁", "other": "其他"},
    clock_names={"first_response": "首次响应", "closure": "结案", "follow_up": "回访",
                 "repair_on_site_small": "维修到场（小修）", "repair_on_site_large": "维修到场（大修）",
                 "repair_emergency": "紧急维修", "repair_follow_up": "维修回访"},
    complaint_status_names={"filed": "已登记", "accepted": "已受理", "rejected": "不予受理",
                            "routed": "已转部门", "waiting_customer": "等待客户",
                            "investigated": "已调查", "reviewed": "总经理已审",
                            "resolved": "已出处理意见", "replied": "已答复", "closed": "已结案",
                            "visited": "已回访", "reopened": "重新处理"},
    lead_status_names={"pool": "号码池", "assigned": "待拨打", "resting": "待再拨",
                       "dead": "不再拨打"},
    source_names={"own_visitors": "本案来访", "own_callers": "本案来电", "expansion": "拓展",
                  "purchased": "购买名单", "other": "其他"},
    outcome_names={"A": "A（意向强）", "B": "B（有意向）", "C": "C（一般）", "D": "D（无意向）"},
    grade_names={"A": "A 级", "B": "B 级", "C": "C 级", "D": "D 级"},
    follow_up_kind_names={"visit": "来访", "call": "电话", "sms": "短信"},
    outcome_status_names={"deal": "已成交", "hopeless": "无望"},
    deal_status_names={"active": "有效", "voided": "已作废", "replaced": "已换单",
                       "signed": "已签", "contracted": "已签合同", "filed": "已备案"},
    plan_kind_names={"full_payment": "一次性付款", "down_payment": "首付款",
                     "installment": "分期款", "loan": "贷款"},
    application_names={"swap": "调房申请", "refund": "退房申请", "rename": "更名申请",
                       "discount": "特惠申请", "layout_change": "户型变更申请"})
templates.filters.update(
    money=money, local_time=local_time, duration=lambda minutes: _duration(minutes), role_name=lambda role: ROLE_NAMES.get(role, role),
    combine=lambda first, second: {**first, **{k: v for k, v in second.items() if v}})

def _duration(minutes) -> str:
    """Minutes as 天/小时/分钟, for a clock's remaining or overrun time."""
    minutes = int(minutes or 0)
    days, rest = divmod(abs(minutes), 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days}天" if days else "", f"{hours}小时" if hours else "", f"{mins}分钟"]
    return "".join(part for part in parts if part)


_rules: list[Rule] = []
_views: dict = {}


def page(path, methods=("GET",), public=False):
    """Declare a console route once: its path, methods and whether it needs a login."""
    def register(view):
        _rules.append(Rule(path, endpoint=view.__name__, methods=list(methods)))
        _views[view.__name__] = (view, public)
        return view
    return register


@dataclass
class Visit:
    """One browser request: who asks, and the gateway in their name."""
    request: Request
    gateway: Gateway
    username: str | None
    role: str | None
    feed: BoardFeed
    consultant_id: int | None = None

    @property
    def is_htmx(self) -> bool:
        return self.request.headers.get("HX-Request") == "true"

    def render(self, template, status=200, **context) -> Response:
        body = templates.get_template(template).render(
            username=self.username, role=self.role, consultant_id=self.consultant_id,
            request=self.request, **context)
        return Response(body, status=status, mimetype="text/html")

    def refused(self, error: GatewayError, template="_error.html", **context) -> Response:
        """An API refusal shown where the action was: same status, the API's message."""
        return self.render(template, status=error.status, error=error, **context)


def redirect(location, status=303) -> Response:
    return Response("", status=status, headers={"Location": location})


def login_redirect(request: Request) -> Response:
    target = request.full_path.rstrip("?")
    if request.headers.get("HX-Request") == "true":
        # an expired session inside a partial: the whole page goes to the login, then back
        current = request.headers.get("HX-Current-URL", "/")
        path = "/" + current.split("/", 3)[3] if current.count("/") >= 3 else "/"
        login = f"/login?{urlencode({'next': path})}"
        return Response("", status=200, headers={"HX-Redirect": login})
    response = redirect(f"/login?{urlencode({'next': target})}")
    response.delete_cookie(TOKEN_COOKIE, path="/")
    return response


class ConsoleApp:
    def __init__(self, feed: BoardFeed):
        import console.pages  # noqa: F401  (registers the pages)
        self.urls = Map(_rules, strict_slashes=False)
        self.feed = feed

    def __call__(self, environ, start_response):
        request = Request(environ)
        return self.respond(request)(environ, start_response)

    def respond(self, request: Request) -> Response:
        if request.path.startswith("/static/"):
            return self.asset(request.path.removeprefix("/static/"))
        adapter = self.urls.bind_to_environ(request.environ)
        try:
            endpoint, arguments = adapter.match()
        except HTTPException as exc:
            return self.plain_error(request, exc)
        view, public = _views[endpoint]
        if request.method == "POST" and not _same_origin(request):
            return Response("cross-site form refused", status=403)
        token = request.cookies.get(TOKEN_COOKIE)
        if not public and not token:
            return login_redirect(request)
        username, role, consultant_id = _user_cookie(request)
        visit = Visit(request, Gateway(token), username, role, self.feed, consultant_id)
        try:
            return view(visit, **arguments)
        except SessionExpired:
            return login_redirect(request)
        except GatewayError as error:
            template = "_error.html" if visit.is_htmx else "error.html"
            return visit.refused(error, template)
        except Exception:
            log.exception("console page failed: %s %s", request.method, request.path)
            return Response("页面出错，已记录。", status=500, mimetype="text/plain")

    def plain_error(self, request, exc) -> Response:
        status = exc.code or 500
        message = "页面不存在" if isinstance(exc, NotFound) else (
            "不支持该请求方法" if isinstance(exc, MethodNotAllowed) else exc.description)
        body = templates.get_template("error.html").render(
            error=GatewayError(status, "not_found", message), username=None, role=None,
            request=request)
        return Response(body, status=status, mimetype="text/html")

    def asset(self, name) -> Response:
        path = ASSETS.get(name)
        if path is None or not path.exists():
            return Response("not found", status=404)
        mimetype = "text/css" if name.endswith(".css") else "text/javascript"
        return Response(path.read_bytes(), mimetype=mimetype,
                        headers={"Cache-Control": "max-age=3600"})


def make_app(amqp_uri: str) -> ConsoleApp:
    feed = BoardFeed(amqp_uri)
    feed.start()
    return ConsoleApp(feed)


def set_session(response: Response, token: dict, username: str) -> Response:
    secure = False  # served over plain HTTP on the office network; TLS ends in front of it
    response.set_cookie(TOKEN_COOKIE, token["token"], httponly=True, samesite="Strict",
                        path="/", secure=secure)
    response.set_cookie(USER_COOKIE, quote(json.dumps([username, token.get("role"),
                                                       token.get("consultant_id")])),
                        samesite="Strict", path="/", secure=secure)
    return response


def clear_session(response: Response) -> Response:
    response.delete_cookie(TOKEN_COOKIE, path="/")
    response.delete_cookie(USER_COOKIE, path="/")
    return response


def _user_cookie(request) -> tuple:
    """Who the page greets, which menu it shows and whose lists it opens first; what they may
    do and see is the API's answer."""
    try:
        username, role, *rest = json.loads(unquote(request.cookies.get(USER_COOKIE, "")))
        consultant_id = rest[0] if rest and isinstance(rest[0], int) else None
        return str(username), str(role), consultant_id
    except (ValueError, TypeError):
        return None, None, None


def _same_origin(request) -> bool:
    """Forms are posted from the console's own pages only (the cookie is SameSite=Strict too)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return request.headers.get("Sec-Fetch-Site", "same-origin") in ("same-origin", "none")
    return origin == request.host_url.rstrip("/")
