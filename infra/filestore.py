"""Content-addressed file storage through fsspec: a local directory by default, an S3 bucket
(or any fsspec URL) by configuration alone.

A file is stored once under `objects/<first two hex>/<digest>`, its digest taken while it
streams in (SM3 where hashlib has it, SHA-256 otherwise); the same bytes uploaded twice are
stored once. Uploads are read in chunks into a temporary object beside the store and moved into
place only when complete, within the size cap and of an allowed type: nothing half-written is
ever addressable.
"""
import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

import fsspec

from contracts.errors import InvalidInput, NotFound

CHUNK = 64 * 1024
EXPORT_SUFFIXES = (".zip", ".xlsx", ".csv")


def digest_algorithm() -> str:
    """SM3 (GB/T 32905) when this Python's OpenSSL provides it, else SHA-256."""
    try:
        hashlib.new("sm3")
        return "sm3"
    except ValueError:
        return "sha256"


DIGEST = digest_algorithm()


def new_digest():
    return hashlib.new(DIGEST)


# media types the archive accepts, each with the carrier it is and how its bytes begin
ALLOWED_TYPES = {
    "application/pdf": "electronic",
    "image/jpeg": "photo",
    "image/png": "photo",
    "image/tiff": "photo",
    "audio/mpeg": "audio",
    "audio/wav": "audio",
    "audio/mp4": "audio",
    "video/mp4": "video",
    "video/quicktime": "video",
}


def sniff(head: bytes) -> str | None:
    """The media type the first bytes of a file show, among the allowed ones."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand.startswith(b"M4A"):
            return "audio/mp4"
        if brand == b"qt  ":
            return "video/quicktime"
        return "video/mp4"
    return None


def check_type(declared: str | None, head: bytes) -> str:
    """The file's media type: declared by the client, allowed, and what its bytes show."""
    declared = (declared or "").split(";")[0].strip().lower()
    if declared not in ALLOWED_TYPES:
        raise InvalidInput(f"files of type {declared or 'unknown'} are not accepted",
                           {"file": [f"type must be one of {', '.join(ALLOWED_TYPES)}"]})
    shown = sniff(head)
    if shown is None or ALLOWED_TYPES[shown] != ALLOWED_TYPES[declared]:
        raise InvalidInput(f"the file's content is not {declared}",
                           {"file": [f"the bytes are not {declared}"]})
    return declared


@dataclass(frozen=True)
class StoredFile:
    digest: str
    size: int
    media_type: str
    algorithm: str = DIGEST
    created: bool = True  # False: the same bytes were stored already


class FileStore:
    def __init__(self, url: str):
        self.url = url
        self.fs, self.root = fsspec.core.url_to_fs(url)
        self.fs.makedirs(f"{self.root}/objects", exist_ok=True)
        self.fs.makedirs(f"{self.root}/incoming", exist_ok=True)

    def path(self, digest: str) -> str:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise InvalidInput("not a file digest", {"file_digest": ["64 hex digits"]})
        return f"{self.root}/objects/{digest[:2]}/{digest}"

    def put_stream(self, read, declared_type: str | None, max_bytes: int,
                   length: int | None = None) -> StoredFile:
        """Store what `read(n)` yields, chunk by chunk; never more than `max_bytes`."""
        if length is not None and length > max_bytes:
            raise InvalidInput(f"the file is larger than {max_bytes} bytes",
                               {"file": [f"at most {max_bytes} bytes"]})
        incoming = f"{self.root}/incoming/{uuid.uuid4().hex}"
        digest, size, media_type = new_digest(), 0, None
        try:
            with self.fs.open(incoming, "wb") as out:
                while True:
                    chunk = read(CHUNK)
                    if not chunk:
                        break
                    if media_type is None:
                        media_type = check_type(declared_type, chunk)
                    size += len(chunk)
                    if size > max_bytes:
                        raise InvalidInput(f"the file is larger than {max_bytes} bytes",
                                           {"file": [f"at most {max_bytes} bytes"]})
                    digest.update(chunk)
                    out.write(chunk)
            if size == 0:
                raise InvalidInput("the file is empty", {"file": ["no bytes were sent"]})
            hexdigest = digest.hexdigest()
            final = self.path(hexdigest)
            if self.fs.exists(final):
                self.fs.rm(incoming)
                return StoredFile(hexdigest, size, media_type, created=False)
            self.fs.makedirs(final.rsplit("/", 1)[0], exist_ok=True)
            self.fs.mv(incoming, final)
            return StoredFile(hexdigest, size, media_type)
        except BaseException:
            if self.fs.exists(incoming):
                self.fs.rm(incoming)
            raise

    def exists(self, digest: str) -> bool:
        return self.fs.exists(self.path(digest))

    def size(self, digest: str) -> int:
        if not self.exists(digest):
            raise NotFound(f"no stored file {digest}", {"file_digest": ["not stored"]})
        return self.fs.size(self.path(digest))

    def chunks(self, digest: str):
        """The stored bytes, a chunk at a time."""
        if not self.exists(digest):
            raise NotFound(f"no stored file {digest}", {"file_digest": ["not stored"]})
        with self.fs.open(self.path(digest), "rb") as stream:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    return
                yield chunk

    def rehash(self, digest: str, algorithm: str = DIGEST) -> str | None:
        """The digest of what is stored now under `digest`, None when the file is gone."""
        if not self.exists(digest):
            return None
        recomputed = hashlib.new(algorithm)
        for chunk in self.chunks(digest):
            recomputed.update(chunk)
        return recomputed.hexdigest()

    def put_export(self, local_path: str, stem: str, suffix: str = ".zip") -> tuple[str, int, str]:
        """Keep an export (a zipped bag, a voucher file…) under `exports/`, named by its
        SHA-256; copied beside the store first and moved into place whole, so a reader never
        sees it half-written."""
        sha, size = hashlib.sha256(), 0
        with open(local_path, "rb") as source:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                sha.update(chunk)
                size += len(chunk)
        name = f"{stem}-{sha.hexdigest()[:16]}{suffix}"
        incoming = f"{self.root}/incoming/{uuid.uuid4().hex}"
        self.fs.makedirs(f"{self.root}/exports", exist_ok=True)
        self.fs.put_file(local_path, incoming)
        self.fs.mv(incoming, f"{self.root}/exports/{name}")
        return name, size, sha.hexdigest()

    def export_chunks(self, name: str):
        if "/" in name or not name.endswith(EXPORT_SUFFIXES):
            raise InvalidInput("not an export name", {"name": ["not an export"]})
        path = f"{self.root}/exports/{name}"
        if not self.fs.exists(path):
            raise NotFound(f"no export {name}", {"name": ["not found"]})
        with self.fs.open(path, "rb") as stream:
            for chunk in iter(lambda: stream.read(CHUNK), b""):
                yield chunk

    def prune_exports(self, before: datetime) -> int:
        """Remove the exports stored (or stored again) before `before`; how many."""
        removed = 0
        for path in self.fs.find(f"{self.root}/exports"):
            if self.fs.modified(path).astimezone(timezone.utc) < before:
                self.fs.rm(path)
                removed += 1
        return removed

    def all_digests(self) -> list[str]:
        return sorted(p.rsplit("/", 1)[1] for p in self.fs.find(f"{self.root}/objects"))
