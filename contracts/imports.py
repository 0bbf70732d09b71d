"""Imports of uploaded tables (CSV or XLSX) as background jobs: the upload's chunks, and the
job a caller follows until it is done.

The gateway sends an upload to the service that owns the import in chunks of at most
CHUNK_BYTES (no RabbitMQ message carries a whole large file); the service keeps the chunks
in its own database, checks the file when the last one arrives, and runs the job in the
background. Limits are checked before anything is parsed: the upload's size, and for an XLSX
the uncompressed sizes its zip declares (a zip bomb is refused before it is opened); while the
table is read, its rows, columns and each cell's length.
"""
from marshmallow import fields, validate

from contracts.base import Id, StrictSchema

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
CHUNK_BYTES = 512 * 1024
MAX_UNCOMPRESSED_BYTES = 64 * 1024 * 1024  # every member of the XLSX zip together
MAX_COLUMNS = 50
MAX_CELL_CHARACTERS = 1_000
JOB_STATUSES = ("uploading", "queued", "running", "done", "failed")


class ImportChunkSchema(StrictSchema):
    """One chunk of an upload. The first (`job_id` absent) opens the job with its file name
    and type; `last` closes the upload and queues the job."""
    job_id = Id(load_default=None, allow_none=True)
    seq = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=1000))
    data = fields.String(required=True, validate=validate.Length(
        max=(CHUNK_BYTES * 4) // 3 + 4), metadata={"description": "the chunk, base64"})
    last = fields.Boolean(required=True)
    file_name = fields.String(load_default="upload", validate=validate.Length(min=1, max=200))
    content_type = fields.String(load_default=None, allow_none=True,
                                 validate=validate.Length(max=200))
    uploaded_by = fields.String(required=True, validate=validate.Length(min=1, max=100))


class GetImportJobSchema(StrictSchema):
    job_id = Id(required=True)


class ImportJobSchema(StrictSchema):
    """A background import: follow it with GET until `status` is done or failed."""
    id = fields.Integer()
    kind = fields.String(metadata={"enum": ["units", "call_list"]})
    status = fields.String(metadata={"enum": list(JOB_STATUSES)})
    file_name = fields.String()
    bytes = fields.Integer(metadata={"description": "size of the upload"})
    rows_total = fields.Integer(allow_none=True, metadata={
        "description": "rows of the table, once it is read"})
    rows_done = fields.Integer(metadata={"description": "rows saved so far"})
    errors = fields.List(fields.Dict(), metadata={
        "description": "bad rows by line: {line, field, reason} (also in the result)"})
    result = fields.Dict(allow_none=True, metadata={
        "description": "when done: what the import did (the service's import summary)"})
    error = fields.Dict(allow_none=True, metadata={
        "description": "when failed: why, as the API's errors say it: {code, message, fields}"})
    created_by = fields.String()
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
