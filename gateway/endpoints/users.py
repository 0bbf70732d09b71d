"""Users and sessions: log out, change one's password, and the admins' user administration
and audit log (gateway.users)."""
from nameko.web.handlers import http
from werkzeug.wrappers import Response

from contracts.base import load
from gateway import auth, users
from gateway.api import api, json_body, json_response
from gateway.endpoints import endpoint


class UsersEndpoints:
    @http(*endpoint("DELETE", "/api/v1/auth/tokens/current"))
    @api
    def log_out(self, request):
        me = self.authorize(request, "DELETE", "/api/v1/auth/tokens/current")
        with self.db() as uow:
            users.log_out(uow.session, me, auth.token_hash_of(request.headers["Authorization"]),
                          request.remote_addr)
            uow.commit()
        return Response(status=204)

    @http(*endpoint("PUT", "/api/v1/auth/password"))
    @api
    def change_own_password(self, request):
        me = self.authorize(request, "PUT", "/api/v1/auth/password")
        cmd = load(users.OwnPasswordSchema(), json_body(request))
        with self.db() as uow:
            users.change_own_password(uow.session, me, cmd["current_password"],
                                      cmd["new_password"], request.remote_addr)
            uow.commit()
        return Response(status=204)

    @http(*endpoint("GET", "/api/v1/admin/users"))
    @api
    def list_users(self, request):
        self.authorize(request, "GET", "/api/v1/admin/users")
        with self.db() as uow:
            return json_response(users.list_users(uow.session))

    @http(*endpoint("POST", "/api/v1/admin/users"))
    @api
    def create_user(self, request):
        admin = self.authorize(request, "POST", "/api/v1/admin/users")
        cmd = load(users.CreateUserSchema(), json_body(request))
        with self.db() as uow:
            created = users.create(uow.session, admin, cmd, request.remote_addr)
            uow.commit()
        return json_response(created, 201)

    @http(*endpoint("GET", "/api/v1/admin/users/{user_id}"))
    @api
    def get_user(self, request, user_id):
        self.authorize(request, "GET", "/api/v1/admin/users/{user_id}")
        with self.db() as uow:
            return json_response(users.get(uow.session, user_id))

    @http(*endpoint("PUT", "/api/v1/admin/users/{user_id}"))
    @api
    def update_user(self, request, user_id):
        admin = self.authorize(request, "PUT", "/api/v1/admin/users/{user_id}")
        changes = load(users.UpdateUserSchema(), json_body(request))
        with self.db() as uow:
            changed = users.update(uow.session, admin, user_id, changes, request.remote_addr)
            uow.commit()
        return json_response(changed)

    @http(*endpoint("PUT", "/api/v1/admin/users/{user_id}/password"))
    @api
    def reset_password(self, request, user_id):
        admin = self.authorize(request, "PUT", "/api/v1/admin/users/{user_id}/password")
        cmd = load(users.PasswordResetSchema(), json_body(request))
        with self.db() as uow:
            user = users.reset_password(uow.session, admin, user_id, cmd["password"],
                                        request.remote_addr)
            uow.commit()
        return json_response(user)

    @http(*endpoint("POST", "/api/v1/admin/users/{user_id}/deactivation"))
    @api
    def deactivate_user(self, request, user_id):
        admin = self.authorize(request, "POST", "/api/v1/admin/users/{user_id}/deactivation")
        load(users.DeactivationSchema(), json_body(request))
        with self.db() as uow:
            user = users.deactivate(uow.session, admin, user_id, request.remote_addr)
            uow.commit()
        return json_response(user)

    @http(*endpoint("DELETE", "/api/v1/admin/users/{user_id}/tokens"))
    @api
    def revoke_sessions(self, request, user_id):
        admin = self.authorize(request, "DELETE", "/api/v1/admin/users/{user_id}/tokens")
        with self.db() as uow:
            result = users.revoke_sessions(uow.session, admin, user_id, request.remote_addr)
            uow.commit()
        return json_response(result)

    @http(*endpoint("GET", "/api/v1/admin/audit"))
    @api
    def audit_log(self, request):
        self.authorize(request, "GET", "/api/v1/admin/audit")
        query = load(users.AuditQuery(), dict(request.args))
        with self.db() as uow:
            return json_response(users.audit_entries(uow.session, query))
