"""Imports of uploaded tables as background jobs, for any service that owns an import.

The upload arrives in chunks (contracts.imports.ImportChunkSchema) and is kept in the
service's `import_chunks` table, so any worker of the service can run the job. When the last
chunk is in, the file is checked at once (type, the uncompressed sizes an XLSX declares, the
header) and a bad file is refused with InvalidInput while the caller waits; a good one is
queued. A timer of the service (`run_next`) claims queued jobs one at a time and runs them:

- the table is read in a real thread (eventlet.tpool), never on the eventlet hub: openpyxl in
  read-only mode and the csv module stream the file, and the reader stops at the first limit
  passed (rows, columns, a cell's length);
- the service's import then saves the rows a batch at a time, each batch one transaction that
  also records the job's progress (`rows_done`), with `eventlet.sleep(0)` between batches, so
  the service keeps answering its other requests while an import runs.

Declared zip sizes can be trusted as upper bounds: Python's zipfile never returns more bytes
of a member than its declared size (and fails the CRC when the data was longer).
"""
import base64
import binascii
import codecs
import csv
import logging
import os
import tempfile
import warnings
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import eventlet
from eventlet import tpool
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from sqlalchemy import delete, select, update

from contracts.base import text_problem
from contracts.errors import Conflict, DomainError, InvalidInput, NotFound
from contracts.imports import (CSV, MAX_CELL_CHARACTERS, MAX_COLUMNS, MAX_UNCOMPRESSED_BYTES,
                               MAX_UPLOAD_BYTES, XLSX)
from infra.database import utcnow

log = logging.getLogger(__name__)

CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # Excel in China saves CSV as GB18030 by default
STALE_RUNNING = timedelta(minutes=10)  # a running job not heard of for this long has died
ABANDONED_UPLOAD = timedelta(hours=1)
warnings.filterwarnings("ignore", module="openpyxl")  # style warnings of foreign workbooks


def off_hub(fn, *args):
    """Run pure work (parsing) in a real thread when the process runs on eventlet's hub, so
    the hub goes on serving other requests meanwhile (the thread gives the hub the GIL every
    few milliseconds); in a process that is not monkey-patched there is no hub to protect."""
    if eventlet.patcher.is_monkey_patched("thread"):
        return tpool.execute(fn, *args)
    return fn(*args)


# --- the upload ------------------------------------------------------------------------

def receive_chunk(uow, tables, kind: str, cmd: dict, params: dict, check_header) -> dict:
    """Store one chunk of an upload and commit; with the last one, check the file and queue
    the job. `check_header(header)` raises InvalidInput when the service cannot use the
    columns. A refused file leaves nothing behind but its job, marked failed."""
    try:
        return _receive_chunk(uow.session, tables, kind, cmd, params, check_header)
    except DomainError as exc:
        uow.rollback()
        if cmd["job_id"] is not None and not isinstance(exc, (NotFound, Conflict)):
            _fail(uow.session, tables, cmd["job_id"], exc)
            uow.commit()
        raise
    finally:
        if uow.session.in_transaction():
            uow.commit()


def _fail(session, tables, job_id, exc):
    now = utcnow()
    session.execute(delete(tables["import_chunks"]).where(
        tables["import_chunks"].c.job_id == job_id))
    session.execute(update(tables["import_jobs"]).where(
        tables["import_jobs"].c.id == job_id).values(
        status="failed", finished_at=now, updated_at=now, error=_error(exc)))


def _error(exc) -> dict:
    return {"code": exc.code, "message": exc.message, "fields": exc.details}


def _receive_chunk(session, tables, kind, cmd, params, check_header) -> dict:
    jobs, chunks = tables["import_jobs"], tables["import_chunks"]
    now = utcnow()
    try:
        data = base64.b64decode(cmd["data"], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("the chunk is not base64", {"data": ["not base64"]}) from None
    if cmd["job_id"] is None:
        if cmd["seq"] != 0:
            raise InvalidInput("an upload starts with chunk 0", {"seq": ["must be 0"]})
        content_type = table_type(cmd.get("content_type") or "")
        job_id = session.execute(jobs.insert().values(
            kind=kind, status="uploading", params=params, file_name=cmd["file_name"],
            content_type=content_type, bytes=0, chunks=0, rows_done=0,
            created_by=cmd["uploaded_by"], created_at=now, updated_at=now)).inserted_primary_key[0]
        job = session.execute(select(jobs).where(jobs.c.id == job_id)).one()
    else:
        job = session.execute(select(jobs).where(jobs.c.id == cmd["job_id"])
                              .with_for_update()).one_or_none()
        if job is None or job.kind != kind or job.created_by != cmd["uploaded_by"]:
            raise NotFound(f"no upload {cmd['job_id']} of yours", {"job_id": ["unknown"]})
        if job.status != "uploading":
            raise Conflict(f"upload {job.id} is complete already", {"job_id": [job.status]})
        if cmd["seq"] != job.chunks:
            raise Conflict(f"chunk {job.chunks} comes next", {"seq": [f"expected {job.chunks}"]})
    size = job.bytes + len(data)
    if size > MAX_UPLOAD_BYTES:
        raise InvalidInput(f"an upload is at most {MAX_UPLOAD_BYTES} bytes",
                              {"_body": [f"more than {MAX_UPLOAD_BYTES} bytes"]})
    session.execute(chunks.insert().values(job_id=job.id, seq=cmd["seq"], data=data))
    status = "queued" if cmd["last"] else "uploading"
    session.execute(update(jobs).where(jobs.c.id == job.id).values(
        bytes=size, chunks=job.chunks + 1, status=status, updated_at=now))
    if cmd["last"]:
        if size == 0:
            raise InvalidInput("the upload is empty", {"_body": ["no file"]})
        with spooled(session, tables, job.id) as path:
            header = off_hub(read_header, path, job.content_type)
        check_header(header)
    return job_view(session.execute(select(jobs).where(jobs.c.id == job.id)).one())


def table_type(content_type: str) -> str:
    if content_type.startswith(XLSX):
        return XLSX
    if content_type.startswith((CSV, "text/plain")):
        return CSV
    raise InvalidInput("upload a CSV (text/csv) or XLSX file",
                       {"Content-Type": [f"{XLSX} or text/csv, not {content_type}"]})


def get_job(session, tables, kind: str, job_id: int, belongs=None) -> dict:
    """The job, if it is of this kind and `belongs(params)` (the caller's scope) holds."""
    jobs = tables["import_jobs"]
    job = session.execute(select(jobs).where(jobs.c.id == job_id)).one_or_none()
    if job is None or job.kind != kind:
        raise NotFound(f"no import {job_id}", {"job_id": ["unknown"]})
    if belongs is not None and not belongs(job.params):
        raise NotFound(f"no import {job_id} here", {"job_id": ["unknown"]})
    return job_view(job)


def job_view(job) -> dict:
    result = job.result
    return {"id": job.id, "kind": job.kind, "status": job.status, "file_name": job.file_name,
            "bytes": job.bytes, "rows_total": job.rows_total, "rows_done": job.rows_done,
            "errors": (result or {}).get("errors", []), "result": result, "error": job.error,
            "created_by": job.created_by, "created_at": job.created_at,
            "started_at": job.started_at, "finished_at": job.finished_at}


@contextmanager
def spooled(session, tables, job_id):
    """The upload as a temporary file, written a chunk at a time."""
    chunks = tables["import_chunks"]
    handle, path = tempfile.mkstemp(prefix="anchang-import-")
    try:
        with os.fdopen(handle, "wb") as file:
            for seq in session.scalars(select(chunks.c.seq).where(chunks.c.job_id == job_id)
                                       .order_by(chunks.c.seq)).all():
                file.write(session.scalar(select(chunks.c.data).where(
                    chunks.c.job_id == job_id, chunks.c.seq == seq)))
        yield path
    finally:
        os.unlink(path)


# --- reading a table (pure; run in a thread) --------------------------------------------

def read_header(path: str, content_type: str) -> list[str]:
    """The first non-blank row, after the file's checks."""
    for _, row in _rows(path, content_type):
        if _filled(row):
            return row
    raise InvalidInput("the file has no header", {"_body": ["no rows"]})


def read_table(path: str, content_type: str, max_rows: int) -> tuple[list, list[list]]:
    """(header, rows) of the file, blank rows left out, cells as text; refused as soon as a
    limit is passed: more than `max_rows` rows, more than MAX_COLUMNS columns, a cell longer
    than MAX_CELL_CHARACTERS. Blank rows count too (twice the rows at most), so a sheet of a
    million empty rows is refused as quickly as one of a million full ones."""
    header, rows, scanned = None, [], 0
    for line, row in _rows(path, content_type):
        scanned += 1
        if scanned > 2 * max_rows + 1:
            raise _too_many_rows(max_rows)
        if not _filled(row):
            continue
        if header is None:
            header = row
        elif len(rows) == max_rows:
            raise _too_many_rows(max_rows)
        else:
            rows.append(row)
    if header is None:
        raise InvalidInput("the file has no header", {"_body": ["no rows"]})
    return header, rows


def _too_many_rows(max_rows):
    return InvalidInput(f"at most {max_rows} rows per table; nothing was imported",
                        {"_body": [f"more than {max_rows} rows"]})


def _filled(row) -> bool:
    return any(cell.strip() for cell in row)


def _rows(path, content_type):
    """(line, row of text) of every row, the limits on columns and cells checked."""
    rows = _xlsx_rows(path) if content_type == XLSX else _csv_rows(path)
    for line, row in enumerate(rows, start=1):
        cells = ["" if cell is None else str(cell) for cell in row]
        if len(cells) > MAX_COLUMNS:
            if any(cell.strip() for cell in cells[MAX_COLUMNS:]):
                raise InvalidInput(f"at most {MAX_COLUMNS} columns; nothing was imported",
                                   {"_body": [f"line {line}: more than {MAX_COLUMNS} columns"]})
            cells = cells[:MAX_COLUMNS]
        while cells and not cells[-1]:  # a sheet's rows come padded to its widest one
            cells.pop()
        for column, cell in enumerate(cells, start=1):
            problem = text_problem(cell)
            if problem is not None:
                raise InvalidInput(f"a cell {problem}; nothing was imported",
                                   {"rows": [f"line {line}, column {column}: {problem}"]})
            if len(cell) > MAX_CELL_CHARACTERS:
                raise InvalidInput(
                    f"a cell is longer than {MAX_CELL_CHARACTERS} characters; nothing was "
                    "imported", {"_body": [f"line {line}, column {column}: "
                                           f"{len(cell)} characters"]})
        yield line, cells


def check_xlsx_sizes(path: str) -> None:
    """Refuse a zip whose members declare more than MAX_UNCOMPRESSED_BYTES together."""
    try:
        with zipfile.ZipFile(path) as archive:
            declared = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InvalidInput("the XLSX file cannot be read", {"_body": [str(exc)[:200]]}) from None
    if declared > MAX_UNCOMPRESSED_BYTES:
        raise InvalidInput(
            f"the XLSX unpacks to more than {MAX_UNCOMPRESSED_BYTES} bytes; nothing was imported",
            {"_body": [f"{declared} bytes uncompressed"]})


class _StreamedSheet(ReadOnlyWorksheet):
    """openpyxl's read-only sheet without its first pass for the sheet's size: a sheet that
    declares no size (`<dimension>`) is parsed whole by that pass before the first row is
    read (26 s for a million rows). The rows that are there are read, whatever it declares."""

    def _get_size(self):
        pass


def _xlsx_rows(path):
    """The first worksheet's rows, streamed: load_workbook(read_only=True) opened by hand."""
    check_xlsx_sizes(path)
    reader = None
    source = open(path, "rb")  # a file object: openpyxl would judge a path by its extension
    try:
        reader = ExcelReader(source, read_only=True, data_only=True)
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        for sheet, rel in reader.parser.find_sheets():
            if "chartsheet" not in rel.Type:
                rows = _StreamedSheet(reader.wb, sheet.name, rel.target, reader.shared_strings)
                yield from rows.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True)
                return
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise InvalidInput("the XLSX file cannot be read", {"_body": [str(exc)[:200]]}) from None
    finally:
        if reader is not None and getattr(reader, "archive", None) is not None:
            reader.archive.close()
        source.close()


def _csv_rows(path):
    encoding = _csv_encoding(path)
    with open(path, encoding=encoding, newline="") as file:
        try:
            yield from csv.reader(file)
        except csv.Error as exc:
            raise InvalidInput("the CSV file cannot be read", {"_body": [str(exc)[:200]]}) from None


def _csv_encoding(path) -> str:
    for encoding in CSV_ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open(path, "rb") as file:
                while block := file.read(1 << 20):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    raise InvalidInput("the CSV is neither UTF-8 nor GB18030", {"_body": ["unknown encoding"]})


# --- running the jobs -------------------------------------------------------------------

@dataclass
class Job:
    """What a service's import sees of its job."""
    id: int
    params: dict
    created_by: str
    tables: dict

    def progress(self, session, rows_done: int) -> None:
        """Record the rows saved, in the transaction that saves them."""
        jobs = self.tables["import_jobs"]
        session.execute(update(jobs).where(jobs.c.id == self.id).values(
            rows_done=rows_done, updated_at=utcnow()))

    @staticmethod
    def pause() -> None:
        """Let the service's other requests run (call between batches, after a commit)."""
        eventlet.sleep(0)


def run_next(uow_factory, tables, imports: dict) -> bool:
    """Run the oldest queued job, if any: `imports[kind]` is (max_rows, run) where
    `run(uow_factory, job, header, rows)` saves the rows and returns the job's result.
    True when a job was run."""
    _sweep(uow_factory, tables)
    job = _claim(uow_factory, tables)
    if job is None:
        return False
    max_rows, run = imports[job.kind]
    try:
        with uow_factory() as uow:
            with spooled(uow.session, tables, job.id) as path:
                uow.session.rollback()  # no transaction stays open while the file is read
                header, rows = off_hub(read_table, path, job.content_type, max_rows)
        _update(uow_factory, tables, job.id, rows_total=len(rows))
        result = run(uow_factory, Job(job.id, job.params, job.created_by, tables), header, rows)
    except DomainError as exc:
        _finish(uow_factory, tables, job.id, "failed", error=_error(exc))
    except Exception:
        log.exception("import %s failed", job.id)
        _finish(uow_factory, tables, job.id, "failed", error={
            "code": "internal_error", "message": "the import failed; it has been logged",
            "fields": {}})
    else:
        _finish(uow_factory, tables, job.id, "done", result=result, rows_done=len(rows))
    return True


def _claim(uow_factory, tables):
    jobs = tables["import_jobs"]
    with uow_factory() as uow:
        while True:
            job = uow.session.execute(select(jobs).where(jobs.c.status == "queued")
                                      .order_by(jobs.c.id).limit(1)).one_or_none()
            if job is None:
                return None
            now = utcnow()
            claimed = uow.session.execute(update(jobs).where(
                jobs.c.id == job.id, jobs.c.status == "queued").values(
                status="running", started_at=now, updated_at=now)).rowcount
            uow.commit()
            if claimed:
                return job


def _sweep(uow_factory, tables):
    """Jobs whose worker died fail (their batches so far stay saved; the same file imported
    again completes them); uploads never finished are dropped."""
    jobs, chunks = tables["import_jobs"], tables["import_chunks"]
    now = utcnow()
    with uow_factory() as uow:
        dead = list(uow.session.scalars(select(jobs.c.id).where(
            jobs.c.status == "running", jobs.c.updated_at < now - STALE_RUNNING)))
        dead += list(uow.session.scalars(select(jobs.c.id).where(
            jobs.c.status == "uploading", jobs.c.updated_at < now - ABANDONED_UPLOAD)))
        if not dead:
            return
        uow.session.execute(update(jobs).where(jobs.c.id.in_(dead)).values(
            status="failed", finished_at=now, updated_at=now, error={
                "code": "interrupted", "fields": {},
                "message": "the import stopped before it finished; rows saved so far stay, "
                           "importing the same file again completes it"}))
        uow.session.execute(delete(chunks).where(chunks.c.job_id.in_(dead)))
        uow.commit()


def _update(uow_factory, tables, job_id, **values):
    jobs = tables["import_jobs"]
    with uow_factory() as uow:
        uow.session.execute(update(jobs).where(jobs.c.id == job_id).values(
            updated_at=utcnow(), **values))
        uow.commit()


def _finish(uow_factory, tables, job_id, status, **values):
    now = utcnow()
    with uow_factory() as uow:
        uow.session.execute(delete(tables["import_chunks"]).where(
            tables["import_chunks"].c.job_id == job_id))
        uow.session.execute(update(tables["import_jobs"]).where(
            tables["import_jobs"].c.id == job_id).values(
            status=status, finished_at=now, updated_at=now, **values))
        uow.commit()

