"""Users and sessions: log out, change one's password, and the admins' user administration
and audit log (gateway.users)."""
from werkzeug.wrappers import Response

from contracts.base import load
from gateway import auth, users
from gateway.api import json_body, json_response


class UsersEndpoints:
    def log_out(self, request, me):
        with self.db() as uow:
            users.log_out(uow.session, me, auth.token_hash_of(request.headers["Authorization"]),
                          request.remote_addr)
            uow.commit()
        return Response(status=204)

    def change_own_password(self, request, me):
        cmd = load(users.OwnPasswordSchema(), json_body(request))
        with self.db() as uow:
            users.change_own_password(uow.session, me, cmd["current_password"],
                                      cmd["new_password"], request.remote_addr)
            uow.commit()
        return Response(status=204)

    def list_users(self, request, admin):
        with self.db() as uow:
            return json_response(users.list_users(uow.session))

    def create_user(self, request, admin):
        cmd = load(users.CreateUserSchema(), json_body(request))
        with self.db() as uow:
            created = users.create(uow.session, admin, cmd, request.remote_addr)
            uow.commit()
        return json_response(created, 201)

    def get_user(self, request, admin, user_id):
        with self.db() as uow:
            return json_response(users.get(uow.session, user_id))

    def update_user(self, request, admin, user_id):
        changes = load(users.UpdateUserSchema(), json_body(request))
        with self.db() as uow:
            changed = users.update(uow.session, admin, user_id, changes, request.remote_addr)
            uow.commit()
        return json_response(changed)

    def reset_password(self, request, admin, user_id):
        cmd = load(users.PasswordResetSchema(), json_body(request))
        with self.db() as uow:
            user = users.reset_password(uow.session, admin, user_id, cmd["password"],
                                        request.remote_addr)
            uow.commit()
        return json_response(user)

    def deactivate_user(self, request, admin, user_id):
        load(users.DeactivationSchema(), json_body(request))
        with self.db() as uow:
            user = users.deactivate(uow.session, admin, user_id, request.remote_addr)
            uow.commit()
        return json_response(user)

    def revoke_sessions(self, request, admin, user_id):
        with self.db() as uow:
            result = users.revoke_sessions(uow.session, admin, user_id, request.remote_addr)
            uow.commit()
        return json_response(result)

    def audit_log(self, request, admin):
        query = load(users.AuditQuery(), dict(request.args))
        with self.db() as uow:
            return json_response(users.audit_entries(uow.session, query))
