"""Object and bucket operations through the Python binding against qcos-server."""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import pytest

import qcos
from conftest import REGION, make_client, new_bucket_name

BODY = bytes(range(256)) * 64 + b"tail"  # 16388 bytes, every byte value


def test_version_matches_package() -> None:
    assert qcos.library_version() == qcos.__version__
    major, minor, patch = (int(x) for x in qcos.__version__.split("."))
    assert qcos._lib.lib.qcos_version_number() == major * 1_000_000 + minor * 1_000 + patch


def test_put_get_head_round_trip(client: qcos.Client) -> None:
    r = client.put_object(
        "dir/data.bin",
        BODY,
        content_type="application/x-test",
        metadata={"author": "pytest", "purpose": "round-trip"},
        cache_control="no-cache",
    )
    assert r.etag.startswith('"') and r.etag.endswith('"')
    assert r.crc64 is not None
    assert client.get_object("dir/data.bin") == BODY

    info = client.head_object("dir/data.bin")
    assert info.http_status == 200
    assert info.content_length == len(BODY)
    assert info.content_type == "application/x-test"
    assert info.etag == r.etag
    assert info.crc64 == r.crc64
    assert info.metadata == {"author": "pytest", "purpose": "round-trip"}
    assert info.headers.get("cache-control") == "no-cache"
    assert info.request_id
    assert client.object_exists("dir/data.bin")
    assert not client.object_exists("dir/absent")


def test_body_types(client: qcos.Client) -> None:
    client.put_object("s", "héllo")
    assert client.get_object("s") == "héllo".encode()
    client.put_object("ba", bytearray(b"abc"))
    assert client.get_object("ba") == b"abc"
    client.put_object("mv", memoryview(b"xyzw")[1:3])
    assert client.get_object("mv") == b"yz"
    client.put_object("empty", b"")
    assert client.get_object("empty") == b""
    with pytest.raises(TypeError):
        client.put_object("bad", 42)  # type: ignore[arg-type]


def test_ranges_and_info(client: qcos.Client) -> None:
    client.put_object("r", BODY)
    body, info = client.get_object_with_info("r", range=(10, 19))
    assert body == BODY[10:20]
    assert info.http_status == 206
    assert info.content_range == f"bytes 10-19/{len(BODY)}"
    assert client.get_object("r", range=(len(BODY) - 4, None)) == b"tail"


def test_conditional_get(client: qcos.Client) -> None:
    etag = client.put_object("c", b"v1").etag
    assert client.get_object("c", if_match=etag) == b"v1"
    with pytest.raises(qcos.ServiceError) as e:
        client.get_object("c", if_match='"0123"')
    assert e.value.http_status == 412


def test_get_into_buffer(client: qcos.Client) -> None:
    client.put_object("b", BODY)
    buf = bytearray(len(BODY) + 10)
    assert client.get_object_into("b", buf) == len(BODY)
    assert bytes(buf[: len(BODY)]) == BODY
    small = bytearray(100)
    with pytest.raises(qcos.BufferTooSmallError) as e:
        client.get_object_into("b", small)
    assert e.value.needed == len(BODY)
    assert e.value.status == qcos.Status.BUFFER_TOO_SMALL


def test_stream_upload_with_progress(client: qcos.Client) -> None:
    seen = []
    r = client.put_object("stream", io.BytesIO(BODY), progress=lambda d, t: seen.append((d, t)))
    assert r.crc64 is not None
    assert client.get_object("stream") == BODY
    assert seen and seen[-1] == (len(BODY), len(BODY))
    assert all(d <= t for d, t in seen)

    # From the current position, limited by content_length; a non-readinto object.
    class Reader:
        def __init__(self, data: bytes) -> None:
            self.f = io.BytesIO(data)

        def read(self, n: int) -> bytes:
            return self.f.read(min(n, 7))

    client.put_object("partial", Reader(BODY), content_length=100)
    assert client.get_object("partial") == BODY[:100]


def test_stream_upload_cancel_and_errors(client: qcos.Client) -> None:
    with pytest.raises(qcos.CancelledError):
        client.put_object("x", io.BytesIO(BODY), progress=lambda d, t: False)

    class Boom(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, b) -> int:  # type: ignore[override]
            raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire") as e:
        client.put_object("x", Boom(), content_length=10)
    assert isinstance(e.value.__cause__, qcos.CancelledError)
    assert not client.object_exists("x")


def test_files(client: qcos.Client, tmp_path: Path) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(BODY)
    client.put_object_from_local_file("f", src, content_type="application/octet-stream")
    with open(src, "rb") as f:
        client.put_object("f2", f)
    dst = tmp_path / "out" / "dst.bin"
    dst.parent.mkdir()
    info = client.get_object_to_file("f", dst)
    assert dst.read_bytes() == BODY
    assert info.content_length == len(BODY)
    client.get_object_to_file("f2", str(dst))
    assert dst.read_bytes() == BODY

    with pytest.raises(qcos.LocalIOError) as e:
        client.put_object_from_local_file("g", tmp_path / "missing")
    assert isinstance(e.value, OSError)
    # A failed download leaves the target untouched.
    with pytest.raises(qcos.ServiceError):
        client.get_object_to_file("absent", dst)
    assert dst.read_bytes() == BODY


def test_stream_download(client: qcos.Client) -> None:
    client.put_object("d", BODY)
    sink = io.BytesIO()
    info = client.get_object_to_stream("d", sink)
    assert sink.getvalue() == BODY and info.content_length == len(BODY)

    chunks = []
    progress = []
    client.get_object_to_stream("d", chunks.append, progress=lambda d, t: progress.append(d))
    assert b"".join(chunks) == BODY
    assert progress[-1] == len(BODY)

    def bad_sink(chunk: bytes) -> None:
        raise KeyError("sink refuses")

    with pytest.raises(KeyError, match="sink refuses"):
        client.get_object_to_stream("d", bad_sink)
    with pytest.raises(qcos.CancelledError):
        client.get_object_to_stream("d", io.BytesIO(), progress=lambda d, t: False)


def test_delete_and_multi_delete(client: qcos.Client) -> None:
    for k in ("a", "b", "c"):
        client.put_object(k, k.encode())
    client.delete_object("a")
    client.delete_object("a")  # deleting a missing key succeeds
    assert not client.object_exists("a")
    r = client.delete_objects(["b", "c", "never-existed"])
    assert sorted(r.deleted) == ["b", "c", "never-existed"]
    assert r.errors == []
    assert client.list_objects().objects == []
    with pytest.raises(TypeError):
        client.delete_objects("b")
    with pytest.raises(qcos.InvalidArgumentError):
        client.delete_objects([])


def test_copy(client: qcos.Client) -> None:
    client.put_object("orig", BODY, content_type="text/x-orig", metadata={"k": "v"})
    r = client.copy_object("copy", "orig")
    assert r.etag
    info = client.head_object("copy")
    assert info.content_type == "text/x-orig" and info.metadata == {"k": "v"}
    client.copy_object("copy2", "orig", metadata_directive="Replaced", metadata={"k": "new"})
    assert client.head_object("copy2").metadata == {"k": "new"}
    assert client.get_object("copy2") == BODY
    with pytest.raises(qcos.InvalidArgumentError):
        client.copy_object("copy3", "orig", metadata={"k": "x"})  # needs Replaced


def test_listing(client: qcos.Client) -> None:
    keys = [f"p/{i:02}" for i in range(5)] + ["p/sub/x", "q/y", "top"]
    for k in keys:
        client.put_object(k, b"1")
    page = client.list_objects(prefix="p/", max_keys=2)
    assert [o.key for o in page.objects] == ["p/00", "p/01"]
    assert page.is_truncated and page.next_marker == "p/01"
    page2 = client.list_objects(prefix="p/", marker=page.next_marker, max_keys=2)
    assert [o.key for o in page2.objects] == ["p/02", "p/03"]
    assert [o.key for o in client.iter_objects()] == sorted(keys)
    pages = list(client.list_objects_pages(max_keys=3))
    assert len(pages) == 3 and not pages[-1].is_truncated
    grouped = client.list_objects(delimiter="/")
    assert grouped.common_prefixes == ["p/", "q/"]
    assert [o.key for o in grouped.objects] == ["top"]
    o = grouped.objects[0]
    assert o.size == 1 and o.etag and o.last_modified and o.storage_class


def test_buckets(endpoint: str) -> None:
    name = new_bucket_name()
    with make_client(endpoint, name) as c:
        assert not c.bucket_exists()
        with pytest.raises(qcos.ServiceError) as e:
            c.head_bucket()
        assert e.value.http_status == 404
        c.create_bucket()
        c.head_bucket()
        with pytest.raises(qcos.ServiceError) as e:
            c.create_bucket()
        assert e.value.http_status == 409
        assert any(b.name == name and b.region == REGION for b in c.list_buckets())
        c.put_object("k", b"v")
        with pytest.raises(qcos.ServiceError) as e:
            c.delete_bucket()
        assert e.value.code == "BucketNotEmpty"
        c.delete_object("k")
        c.delete_bucket()
        assert not c.bucket_exists()
    with make_client(endpoint, "") as service:
        assert all(b.name != name for b in service.list_buckets())


def test_threads_share_a_client(client: qcos.Client) -> None:
    errors = []

    def work(n: int) -> None:
        try:
            for i in range(10):
                key = f"t{n}/{i}"
                data = os.urandom(1000 + i)
                client.put_object(key, data)
                assert client.get_object(key) == data
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(list(client.iter_objects())) == 40


def test_from_env(endpoint: str, client: qcos.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    client.put_object("env", b"from env")
    for k, v in {
        "COS_REGION": REGION,
        "COS_BUCKET": client.bucket,
        "COS_SECRET_ID": "AKIDqcosTEST",
        "COS_SECRET_KEY": "qcosTESTsecretKEY",
        "COS_ENDPOINT": endpoint,
    }.items():
        monkeypatch.setenv(k, os.environ.get("QCOS_TEST_" + k[4:], v) if "SECRET" in k else v)
    monkeypatch.delenv("COS_SECURITY_TOKEN", raising=False)
    monkeypatch.delenv("COS_PATH_STYLE", raising=False)
    with qcos.Client.from_env(max_retries=1) as c:
        assert c.bucket == client.bucket
        assert c.get_object("env") == b"from env"
