"""Tables in and out: uploads (CSV or XLSX) passed on in chunks to the service that imports
them, as a background job; workbooks the services wrote, as downloads."""
import base64

from werkzeug.wrappers import Response

from contracts.errors import InvalidInput, PayloadTooLarge
from contracts.imports import CHUNK_BYTES, MAX_UPLOAD_BYTES, XLSX
from gateway.api import json_response
from gateway.endpoints import RPC_TIMEOUT
from infra.imports import table_type

# the last chunk waits for the service's checks of the whole file (its header, its sizes)
UPLOAD_TIMEOUT = max(RPC_TIMEOUT, 60)


def send_upload(request, send) -> dict:
    """Pass the request's body on to the service that imports it, CHUNK_BYTES at a time:
    `send(chunk)` makes the RPC with contracts.imports.ImportChunkSchema's upload fields. The
    gateway never holds more than two chunks, nor parses anything. Answers the job that the
    last chunk queued."""
    content_type = request.content_type or ""
    table_type(content_type)  # a wrong type is refused before anything is sent
    if request.content_length is not None and request.content_length > MAX_UPLOAD_BYTES:
        raise _too_large()
    stream = request.stream
    chunk = _read(stream)
    if not chunk:
        raise InvalidInput("the upload is empty", {"_body": ["no file"]})
    job_id, seq, sent = None, 0, 0
    while True:
        following = _read(stream)
        sent += len(chunk)
        if sent > MAX_UPLOAD_BYTES:
            raise _too_large()
        job = send({"job_id": job_id, "seq": seq, "last": not following,
                    "content_type": content_type,
                    "data": base64.b64encode(chunk).decode("ascii")})
        if not following:
            return job
        job_id, seq, chunk = job["id"], seq + 1, following


def _read(stream) -> bytes:
    parts, left = [], CHUNK_BYTES
    while left and (part := stream.read(left)):
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _too_large():
    return PayloadTooLarge(f"an upload is at most {MAX_UPLOAD_BYTES} bytes",
                           {"_body": [f"more than {MAX_UPLOAD_BYTES} bytes"]})


def job_accepted(job: dict, location: str) -> Response:
    """202 with the job, and where to follow it."""
    response = json_response(job, 202)
    response.headers["Location"] = location
    return response


def xlsx_response(content_base64: str, file_name: str, headers=None) -> Response:
    """A workbook a service wrote (base64 over RPC) as a download."""
    return Response(base64.b64decode(content_base64), mimetype=XLSX, headers={
        "Content-Disposition": f'attachment; filename="{file_name}"', **(headers or {})})
