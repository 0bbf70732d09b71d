"""The console reaches the suite only through the gateway's API, with the user's own token,
so every page shows exactly what the API answers that user and no rule exists twice."""
import requests

from infra import config

_http = requests.Session()


class GatewayError(Exception):
    """The API refused: its status, code, message and field errors, to show in the page."""

    def __init__(self, status, code, message, fields=None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}


class SessionExpired(GatewayError):
    pass


class Gateway:
    def __init__(self, token=None, base_url=None, timeout=30):
        self.token = token
        self.base_url = base_url or config.gateway_url()
        self.timeout = timeout

    def get(self, path, params=None):
        return self._json("GET", path, params=params)

    def post(self, path, body=None, idempotency_key=None):
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return self._json("POST", path, json=body or {}, headers=headers)

    def put(self, path, body=None):
        return self._json("PUT", path, json=body or {})

    def download(self, path, params=None) -> requests.Response:
        """A file answer (XLSX) passed on as it came."""
        response = self._send("GET", path, params=params)
        self._raise_for(response)
        return response

    def _json(self, method, path, **kwargs):
        response = self._send(method, path, **kwargs)
        self._raise_for(response)
        return response.json()

    def _send(self, method, path, headers=None, **kwargs):
        headers = dict(headers or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            return _http.request(method, self.base_url + path, headers=headers,
                                 timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise GatewayError(503, "gateway_unreachable",
                               f"服务暂时无法访问，请稍后重试（{exc.__class__.__name__}）") from None

    @staticmethod
    def _raise_for(response):
        if response.status_code < 400:
            return
        try:
            error = response.json()["error"]
        except (ValueError, KeyError, TypeError):
            error = {"code": "error", "message": response.text[:200]}
        kind = SessionExpired if response.status_code == 401 else GatewayError
        raise kind(response.status_code, error.get("code"), error.get("message"),
                   error.get("fields"))
