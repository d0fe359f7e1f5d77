"""The receipt store's contract, run against each adapter: the folder (the embedded default) always, and the
S3-compatible one against a real S3 HTTP server (moto's, started on a free loopback port) where moto is
installed (the test extra installs it)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kokemus.stack.servers import free_port
from services.contracts.receipts import FolderReceipts, ReceiptStore, S3Receipts, receipt_store_from_environment, sniff

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as error:  # pragma: no cover - the test extra installs moto[server]
        pytest.skip(f"no S3-compatible server to test against: moto[server] is not installed ({error})")
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def s3_store(endpoint: str) -> S3Receipts:
    import boto3

    client = boto3.client("s3", endpoint_url=endpoint, region_name="eu-north-1", aws_access_key_id="test",
                          aws_secret_access_key="test")
    bucket = f"receipts-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-north-1"})
    return S3Receipts(bucket, prefix="kokemus/receipts/", client=client)


@pytest.fixture(params=["folder", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ReceiptStore:
    if request.param == "folder":
        return FolderReceipts(tmp_path / "receipts")
    return s3_store(request.getfixturevalue("s3_endpoint"))


async def test_a_receipt_put_is_read_back_byte_for_byte(store: ReceiptStore) -> None:
    receipt_id = str(uuid.uuid4())
    await store.put(receipt_id, PDF, "application/pdf")
    assert await store.get(receipt_id) == PDF


async def test_putting_the_same_id_again_replaces_the_bytes(store: ReceiptStore) -> None:
    receipt_id = str(uuid.uuid4())
    await store.put(receipt_id, PDF, "application/pdf")
    await store.put(receipt_id, PNG, "image/png")
    assert await store.get(receipt_id) == PNG


async def test_a_deleted_receipt_is_gone_and_deleting_again_does_nothing(store: ReceiptStore) -> None:
    kept, deleted = str(uuid.uuid4()), str(uuid.uuid4())
    await store.put(kept, PNG, "image/png")
    await store.put(deleted, PDF, "application/pdf")
    await store.delete(deleted)
    await store.delete(deleted)
    assert await store.get(deleted) is None
    assert await store.get(kept) == PNG


async def test_an_id_that_was_never_put_reads_as_none(store: ReceiptStore) -> None:
    assert await store.get(str(uuid.uuid4())) is None


@pytest.mark.parametrize("bad_id", ["../../etc/passwd", "a/b", "", "x" * 36])
async def test_only_a_uuid_names_a_receipt(store: ReceiptStore, bad_id: str) -> None:
    with pytest.raises(ValueError, match="not a receipt id"):
        await store.get(bad_id)


def test_the_folder_keeps_files_readable_by_the_service_only(tmp_path: Path) -> None:
    import asyncio

    store = FolderReceipts(tmp_path / "receipts")
    receipt_id = str(uuid.uuid4())
    asyncio.run(store.put(receipt_id, PDF, "application/pdf"))
    assert (tmp_path / "receipts" / receipt_id).stat().st_mode & 0o077 == 0
    assert [p.name for p in (tmp_path / "receipts").iterdir()] == [receipt_id]  # no partial file left behind


def test_the_store_is_chosen_from_the_environment(tmp_path: Path) -> None:
    folder = receipt_store_from_environment({"KOKEMUS_DATA_DIR": str(tmp_path)})
    assert isinstance(folder, FolderReceipts) and folder.folder == tmp_path / "receipts"
    given = receipt_store_from_environment({"KOKEMUS_RECEIPTS_DIR": str(tmp_path / "elsewhere")})
    assert isinstance(given, FolderReceipts) and given.folder == tmp_path / "elsewhere"
    s3 = receipt_store_from_environment({"KOKEMUS_RECEIPTS_S3_BUCKET": "county-receipts",
                                         "KOKEMUS_RECEIPTS_S3_ENDPOINT": "http://127.0.0.1:9",
                                         "AWS_DEFAULT_REGION": "eu-north-1"})
    assert isinstance(s3, S3Receipts) and s3.bucket == "county-receipts"


@pytest.mark.parametrize(("data", "content_type"), [
    (PDF, "application/pdf"), (PNG, "image/png"), (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
    (b"GIF89a\x01\x00", "image/gif"), (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
    (b"\x00\x00\x00\x18ftypheic\x00\x00", "image/heic"),
    (b"MZ\x90\x00 an executable named receipt.pdf", None), (b"<html>a page</html>", None), (b"", None),
])
def test_a_receipt_is_known_by_its_first_bytes(data: bytes, content_type: str | None) -> None:
    assert sniff(data) == content_type
