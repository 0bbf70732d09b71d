"""The RPCs every service answers the same way. A service class inherits them; its Database
dependency must be called `uow`. Services inherit `operations.OperationsRpc` through the module:
a class imported by name into a service module would look like a second service to
`nameko run`."""

from contracts import audit, operations as schemas
from contracts.base import load
from infra.rpc import rpc


class OperationsRpc:
    @rpc(idempotent=True)
    def health(self):
        return schemas.ServiceHealthSchema().dump(self.uow.health())

    @rpc(idempotent=True)
    def list_dead_letters(self, payload=None):
        query = load(schemas.ListDeadLettersSchema(), payload or {})
        letters = self.uow.list_dead_letters(query["status"], query["limit"])
        return schemas.DeadLetterSchema(many=True).dump(letters)

    @rpc
    def replay_dead_letters(self, payload):
        cmd = load(schemas.ReplayDeadLettersSchema(), payload)
        replayed = self.uow.replay_dead_letters(None if cmd["all"] else cmd["ids"])
        return {"service": self.name, "replayed": replayed}

    @rpc(idempotent=True)
    def list_personal_data_reads(self, payload=None):
        query = load(audit.ListReadsSchema(), payload or {})
        return audit.ReadSchema(many=True).dump(self.uow.list_personal_data_reads(**query))
