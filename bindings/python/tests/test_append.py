"""APPEND Object through the Python binding against qcos-server."""

from __future__ import annotations

from pathlib import Path

import pytest

import qcos


def test_append_creates_grows_and_reads_back(client: qcos.Client, tmp_path: Path) -> None:
    r = client.append_object(
        "logs/app.log", 0, b"first\n", content_type="text/plain", metadata={"origin": "py"}
    )
    assert isinstance(r, qcos.AppendResult)
    assert r.next_position == 6
    assert r.etag and r.request_id and r.crc64 is not None
    r = client.append_object("logs/app.log", r.next_position, "second\n")
    assert r.next_position == 13
    f = tmp_path / "chunk.bin"
    f.write_bytes(bytes(range(256)) * 10)
    r = client.append_object_from_local_file("logs/app.log", r.next_position, f)
    assert r.next_position == 13 + 2560
    r2 = client.append_object("logs/app.log", r.next_position, b"", previous_crc64=r.crc64)
    assert r2.next_position == r.next_position

    want = b"first\nsecond\n" + bytes(range(256)) * 10
    body, info = client.get_object_with_info("logs/app.log")
    assert body == want
    assert info.crc64 == r.crc64
    assert info.content_type == "text/plain"
    assert info.metadata == {"origin": "py"}
    assert info.headers.get("x-cos-object-type") == "appendable"


def test_checked_append_detects_a_wrong_previous_crc(client: qcos.Client) -> None:
    r = client.append_object("k", 0, b"hello")
    r = client.append_object("k", 5, b" world", previous_crc64=r.crc64)
    assert r.next_position == 11
    with pytest.raises(qcos.IntegrityError, match="CRC-64"):
        client.append_object("k", 11, b"!", previous_crc64=(r.crc64 or 0) ^ 1)
    assert client.get_object("k") == b"hello world!"


def test_wrong_position_and_normal_objects(client: qcos.Client) -> None:
    client.append_object("k", 0, b"12345")
    with pytest.raises(qcos.ServiceError) as e:
        client.append_object("k", 2, b"x")
    assert e.value.http_status == 409
    assert e.value.code == "PositionNotEqualToLength"
    assert "the next append goes at position 5" in e.value.message

    client.put_object("plain", b"abc")
    assert client.head_object("plain").headers.get("x-cos-object-type") == "normal"
    with pytest.raises(qcos.ServiceError) as e:
        client.append_object("plain", 3, b"d")
    assert (e.value.http_status, e.value.code) == (409, "ObjectNotAppendable")

    # A PUT over an appendable object makes it normal.
    client.put_object("k", b"replaced")
    assert client.head_object("k").headers.get("x-cos-object-type") == "normal"
    with pytest.raises(qcos.ServiceError, match="ObjectNotAppendable"):
        client.append_object("k", 8, b"x")


def test_append_bad_input_is_refused(client: qcos.Client, tmp_path: Path) -> None:
    with pytest.raises(qcos.InvalidArgumentError, match="key is empty"):
        client.append_object("", 0, b"x")
    with pytest.raises(qcos.InvalidArgumentError, match="CR, LF"):
        client.append_object("k", 0, b"x", content_type="text/plain\r\nX-Evil: 1")
    with pytest.raises(qcos.InvalidArgumentError, match="position"):
        client.append_object("k", -1, b"x")
    with pytest.raises(qcos.InvalidArgumentError, match="position"):
        client.append_object("k", True, b"x")  # type: ignore[arg-type]
    with pytest.raises(qcos.InvalidArgumentError, match="previous_crc64"):
        client.append_object("k", 0, b"x", previous_crc64=2**64)
    with pytest.raises(qcos.InvalidArgumentError, match="5 GB"):
        client.append_object("k", 5 * 1024**3, b"x")
    with pytest.raises(qcos.LocalIOError):
        client.append_object_from_local_file("k", 0, tmp_path / "missing.bin")
    with pytest.raises(qcos.ServiceError) as e:
        client.head_object("k")  # nothing was created
    assert e.value.http_status == 404
