"""Ceiling A: the bare stack under the gateway — a nameko `@http` endpoint that calls a nameko
`@rpc` echo in another process, with no database, no auth and no validation.

Run the same way as the suite's services (same config.yaml, one process each):
    nameko run --config config.yaml bench.echo_service:EchoService
    nameko run --config config.yaml bench.echo_service:EchoGateway
"""
import json

from nameko.rpc import RpcProxy, rpc
from nameko.web.handlers import http
from werkzeug.wrappers import Response


class EchoService:
    name = "bench_echo"

    @rpc
    def echo(self, payload):
        return payload


class EchoGateway:
    name = "bench_echo_gateway"
    echo_service = RpcProxy("bench_echo")

    @http("POST", "/echo")
    def echo(self, request):
        payload = json.loads(request.get_data(as_text=True))
        return Response(json.dumps(self.echo_service.echo(payload)), status=201,
                        mimetype="application/json")
