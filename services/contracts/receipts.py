"""Receipt files of expense claim lines, behind a storage port: a folder on the embedded stack, an S3-compatible
object store in production. The store keeps bytes under an opaque id and nothing else; who may read them, and
what they are, the contract's events say (the id, the content type, the size and the SHA-256 only: a receipt
is personal data, and its bytes never enter an event).

How receipt bytes travel: one command (``attach_receipt``) carries the file as base64, and one query
(``receipt``) answers it the same way. A NATS message is at most 1 MiB by default (``max_payload``), and base64
makes bytes a third larger, so a receipt is at most ``MAX_RECEIPT_BYTES`` (640 KiB: 853 KiB as base64, with
room for the envelope and the token). A single message is simple and safe: no staging area, no half-uploaded
files to clean up, and the contracts service checks every byte before it is stored. A phone photo larger than
that is saved again as a smaller JPEG or a PDF; chunking (parts staged in the store and joined on the last) is
the way to larger files when they are needed.
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path
from typing import Any, Protocol

MAX_RECEIPT_BYTES = 640 * 1024
MAX_RECEIPT_BASE64 = (MAX_RECEIPT_BYTES + 2) // 3 * 4
MAX_RECEIPTS_PER_LINE = 5

# What a receipt may be, by its first bytes (its name and the type a browser claims are not trusted).
MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
CONTENT_TYPES = sorted({content_type for _, content_type in MAGIC} | {"image/webp", "image/heic"})
_ID = re.compile(r"^[0-9a-f-]{36}$")


def sniff(data: bytes) -> str | None:
    """The content type ``data`` is by its magic bytes, or None when it is not a PDF or an image."""
    for magic, content_type in MAGIC:
        if data.startswith(magic):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return "image/heic"
    return None


class ReceiptStore(Protocol):
    """Where receipt files are kept, by an opaque id. Putting the same id again replaces the bytes (a retried
    command puts the same); deleting an id that is not there does nothing."""

    async def put(self, receipt_id: str, data: bytes, content_type: str) -> None: ...

    async def get(self, receipt_id: str) -> bytes | None: ...

    async def delete(self, receipt_id: str) -> None: ...


def _checked(receipt_id: str) -> str:
    if not _ID.match(receipt_id):  # ids are uuids: never a path or a key of someone's choosing
        raise ValueError(f"not a receipt id: {receipt_id!r}")
    return receipt_id


class FolderReceipts:
    """Receipts as files in one folder (the embedded default), written whole or not at all."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, receipt_id: str) -> Path:
        return self.folder / _checked(receipt_id)

    def _put(self, receipt_id: str, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self._path(receipt_id)
        partial = path.with_suffix(".part")
        partial.write_bytes(data)
        partial.chmod(0o600)
        partial.replace(path)

    async def put(self, receipt_id: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._put, receipt_id, data)

    async def get(self, receipt_id: str) -> bytes | None:
        path = self._path(receipt_id)
        return await asyncio.to_thread(path.read_bytes) if path.exists() else None

    async def delete(self, receipt_id: str) -> None:
        self._path(receipt_id).unlink(missing_ok=True)


class S3Receipts:
    """Receipts as objects in an S3-compatible store, under ``prefix`` in ``bucket`` (boto3, the ``s3``
    extra). Credentials come as boto3 finds them (the environment, a role), or given."""

    def __init__(self, bucket: str, prefix: str = "receipts/", endpoint_url: str | None = None,
                 client: Any = None, **credentials: str) -> None:
        if client is None:
            import boto3  # the s3 extra: only a deployment that keeps receipts in an object store needs it

            client = boto3.client("s3", endpoint_url=endpoint_url, **credentials)
        self.client, self.bucket, self.prefix = client, bucket, prefix

    def _key(self, receipt_id: str) -> str:
        return self.prefix + _checked(receipt_id)

    async def put(self, receipt_id: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self.client.put_object, Bucket=self.bucket, Key=self._key(receipt_id), Body=data,
                                ContentType=content_type, ServerSideEncryption="AES256")

    def _get(self, receipt_id: str) -> bytes | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(receipt_id))
        except self.client.exceptions.NoSuchKey:
            return None
        body: bytes = answer["Body"].read()
        return body

    async def get(self, receipt_id: str) -> bytes | None:
        return await asyncio.to_thread(self._get, receipt_id)

    async def delete(self, receipt_id: str) -> None:
        await asyncio.to_thread(self.client.delete_object, Bucket=self.bucket, Key=self._key(receipt_id))


def receipt_store_from_environment(environ: dict[str, str] | None = None) -> ReceiptStore:
    """``KOKEMUS_RECEIPTS_S3_BUCKET`` (with ``KOKEMUS_RECEIPTS_S3_ENDPOINT`` for a store other than AWS, and
    ``KOKEMUS_RECEIPTS_S3_PREFIX``) keeps receipts in an object store; otherwise ``KOKEMUS_RECEIPTS_DIR``, or
    ``receipts`` in ``KOKEMUS_DATA_DIR`` (``./.kokemus`` when neither is set)."""
    env = os.environ if environ is None else environ
    bucket = env.get("KOKEMUS_RECEIPTS_S3_BUCKET")
    if bucket:
        return S3Receipts(bucket, env.get("KOKEMUS_RECEIPTS_S3_PREFIX", "receipts/"),
                          env.get("KOKEMUS_RECEIPTS_S3_ENDPOINT") or None)
    folder = env.get("KOKEMUS_RECEIPTS_DIR")
    return FolderReceipts(Path(folder) if folder else Path(env.get("KOKEMUS_DATA_DIR", ".kokemus")) / "receipts")
