"""The HTTP gateway: authenticate, authorize, call one service by RPC, shape the answer.

Every route is a row of `gateway.routes`, served by `gateway.dispatch`; the hand-written
handlers live in `gateway.endpoints`, one mixin per domain. This class gives them the token
check (`authorize`) and the RPC proxies (`rpc`)."""
from contextlib import contextmanager
from dataclasses import replace
from functools import cache

from cachetools import TTLCache

from nameko.timer import timer

from contracts.base import load
from contracts.errors import Forbidden
from contracts.operations import CONSUMING_SERVICES, SERVICES
from gateway import auth, idempotency
from gateway.api import call, http, json_body, json_response
from gateway.dispatch import serve_routes
from gateway.endpoints import RPC_TIMEOUT
# imported as modules: `nameko run` would take a mixin in this namespace for a service
from gateway.endpoints import archive as archive_api
from gateway.endpoints import inventory as inventory_api, leads as leads_api
from gateway.endpoints import service_desk as service_desk_api, transactions as transactions_api
from gateway.endpoints import finance as finance_api, users as users_api
from gateway.endpoints import opening as opening_api
from gateway.models import metadata
from gateway.openapi import build_spec
from gateway.routes import (DeadLettersQuery, PersonalDataReadsQuery, ReplayRequestSchema,
                            TokenRequestSchema)
from infra import config
from infra.dependencies import Database
from infra.rpc import RpcProxy

HEALTH_TIMEOUT = 2
TOKENS = auth.TokenCache(seconds=config.token_cache_seconds())
# a sales manager's offices and their projects, from leads, kept as long as a token check
OFFICE_BOUND = ("sales_manager", "consultant")
SCOPES = TTLCache(maxsize=10_000, ttl=config.token_cache_seconds())
LOGIN_LIMITS = auth.LoginLimits(*config.login_limits())


@cache
def _generation_reader() -> auth.GenerationReader:
    return auth.GenerationReader(config.database_url("gateway"), config.database_role("gateway"))


def _proxy(service):
    """Requests expire with the caller's deadline; publishing gives up within a second when
    the broker is away, so callers get a quick 503 instead of piling up."""
    return RpcProxy(service, expiration=RPC_TIMEOUT)


@serve_routes
class GatewayService(leads_api.LeadsEndpoints, inventory_api.InventoryEndpoints,
                     transactions_api.TransactionsEndpoints, service_desk_api.ServiceDeskEndpoints,
                     users_api.UsersEndpoints, archive_api.ArchiveEndpoints,
                     finance_api.FinanceEndpoints, opening_api.OpeningEndpoints):
    name = "gateway"
    db = Database(metadata, publishes_events=False)
    leads = _proxy("leads")
    inventory = _proxy("inventory")
    transactions = _proxy("transactions")
    complaints = _proxy("complaints")
    archive = _proxy("archive")
    finance = _proxy("finance")

    def authorize(self, request, route) -> auth.CurrentUser:
        """The caller of `route` (gateway.dispatch calls this for every route with roles)."""
        user = auth.authenticate(self._session, request.headers.get("Authorization"),
                                 TOKENS, self._generation)
        if user.role not in route.roles:
            raise Forbidden(f"role {user.role} may not {route.method} {route.path}",
                            {"role": [f"one of {', '.join(route.roles)} is required"]})
        return self._scoped(user)

    def _scoped(self, user) -> auth.CurrentUser:
        """A sales manager acts on the projects of the office they manage (leads' office →
        projects), unless their user names its own projects; with neither, on none. A
        consultant works in their office's projects when the office names some."""
        if user.role not in OFFICE_BOUND or user.project_ids:
            return user
        if user.consultant_id is None:
            return replace(user, project_ids=[])
        scope = SCOPES.get(user.consultant_id)
        if scope is None:
            scope = self.rpc("leads", "actor_scope", {"consultant_id": user.consultant_id})
            SCOPES[user.consultant_id] = scope
        return replace(user, office_ids=list(scope["office_ids"]),
                       project_ids=list(scope["project_ids"]))

    def _generation(self) -> int:
        return _generation_reader()()

    @contextmanager
    def _session(self):
        with self.db() as uow:
            yield uow.session

    def rpc(self, service, method, payload=None, timeout=RPC_TIMEOUT):
        return call(getattr(self, service), method, payload, timeout)

    def issue_token(self, request, user):
        credentials = load(TokenRequestSchema(), json_body(request))
        with self.db() as uow:
            try:
                token = auth.issue_token(uow.session, credentials["username"],
                                         credentials["password"], config.token_ttl_hours(),
                                         request.remote_addr, LOGIN_LIMITS)
            finally:
                uow.commit()  # a failure is counted for every worker, a success issued
        return json_response(token, 201)

    @timer(interval=config.idempotency_cleanup_seconds())
    def forget_expired_idempotency_keys(self):
        """Keys past their time (at least 24 h) are deleted."""
        with self._session() as session:
            idempotency.forget_expired(session)

    @http("GET", "/api/v1/openapi.json")
    def openapi(self, request):
        return json_response(build_spec())

    def health(self, request, user):
        services = {}
        for service in SERVICES:
            try:
                services[service] = self.rpc(service, "health", timeout=HEALTH_TIMEOUT)
            except Exception as exc:
                services[service] = {"service": service,
                                     "error": f"no answer: {exc.__class__.__name__}"}
        healthy = all(s.get("database") == "ok" and s.get("broker") == "ok"
                      for s in services.values())
        return json_response({"status": "ok" if healthy else "degraded", "services": services},
                             200 if healthy else 503)

    def list_dead_letters(self, request, user):
        query = load(DeadLettersQuery(), dict(request.args))
        letters = []
        for service in [query.pop("service")] if "service" in query else CONSUMING_SERVICES:
            letters += [{**letter, "service": service}
                        for letter in self.rpc(service, "list_dead_letters", query)]
        return json_response({"dead_letters": letters})

    def replay_dead_letters(self, request, user):
        cmd = load(ReplayRequestSchema(), json_body(request))
        payload = {"all": True} if cmd["all"] else {"ids": cmd["ids"]}
        return json_response(self.rpc(cmd["service"], "replay_dead_letters", payload))

    def personal_data_reads(self, request, user):
        query = load(PersonalDataReadsQuery(), dict(request.args))
        service = query.pop("service")
        return json_response({"reads": self.rpc(service, "list_personal_data_reads", query)})
