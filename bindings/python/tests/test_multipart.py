"""Multipart upload operations one by one through the Python binding."""

from __future__ import annotations

import pytest

import qcos

MiB = 1 << 20


def test_multipart_by_hand(client: qcos.Client, tmp_path) -> None:
    first = bytes(range(256)) * (4 * 1024)  # 1 MiB
    tail = b"tail of the object"
    src = tmp_path / "parts.bin"
    src.write_bytes(b"xx" + tail + b"yy")

    uid = client.initiate_multipart_upload("mp.bin", content_type="application/x-test")
    assert uid
    assert [(u.key, u.upload_id) for u in client.list_multipart_uploads("mp")] == [("mp.bin", uid)]
    p1 = client.upload_part("mp.bin", uid, 1, first, check_content_md5=True)
    p2 = client.upload_part_from_file("mp.bin", uid, 2, src, 2, len(tail))
    assert p1.crc64 is not None and p2.crc64 is not None
    parts = client.list_parts("mp.bin", uid)
    assert [(p.number, p.etag, p.size) for p in parts] == [
        (1, p1.etag, len(first)),
        (2, p2.etag, len(tail)),
    ]
    done = client.complete_multipart_upload("mp.bin", uid, [(1, p1.etag), (2, p2.etag)])
    assert client.get_object("mp.bin") == first + tail
    info = client.head_object("mp.bin")
    assert info.crc64 == done.crc64 and info.content_type == "application/x-test"
    assert client.list_multipart_uploads("mp") == []


def test_abort_and_refusals(client: qcos.Client) -> None:
    uid = client.initiate_multipart_upload("ab.bin")
    client.upload_part("ab.bin", uid, 1, b"some bytes")
    client.abort_multipart_upload("ab.bin", uid)
    assert client.list_multipart_uploads() == []
    with pytest.raises(qcos.ServiceError) as e:
        client.list_parts("ab.bin", uid)
    assert e.value.code == "NoSuchUpload"

    uid = client.initiate_multipart_upload("r.bin")
    with pytest.raises(qcos.InvalidArgumentError, match="part_number"):
        client.upload_part("r.bin", uid, 0, b"x")
    with pytest.raises(qcos.InvalidArgumentError, match="part_number"):
        client.upload_part("r.bin", uid, 10001, b"x")
    with pytest.raises(qcos.InvalidArgumentError, match="at least one part"):
        client.complete_multipart_upload("r.bin", uid, [])
    with pytest.raises(qcos.InvalidArgumentError, match="ascend"):
        client.complete_multipart_upload("r.bin", uid, [(2, "a"), (1, "b")])
    with pytest.raises(qcos.LocalIOError):
        client.upload_part_from_file("r.bin", uid, 1, "/nonexistent/qcos-part", 0, 10)
    client.abort_multipart_upload("r.bin", uid)
