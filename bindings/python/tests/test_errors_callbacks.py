"""Errors carry the library's last-error fields; Python callbacks never crash the
process, and exceptions inside them come back to the caller."""

from __future__ import annotations

import gc
import os
import socket
import threading

import pytest

import qcos
from conftest import REGION, SECRET_ID, SECRET_KEY, make_client


def test_service_error_fields(client: qcos.Client) -> None:
    with pytest.raises(qcos.ServiceError) as e:
        client.get_object("no/such/key")
    err = e.value
    assert err.status == qcos.Status.SERVICE
    assert err.http_status == 404
    assert err.code == "NoSuchKey"
    assert err.request_id
    assert "NoSuchKey" in str(err) and err.request_id in str(err)
    assert "no/such/key" in err.resource or err.resource == ""
    assert err.message

    with pytest.raises(qcos.ServiceError) as e:
        client.head_object("no/such/key")
    assert e.value.http_status == 404  # a HEAD answer has no body: Code may be ""


def test_argument_errors(client: qcos.Client) -> None:
    with pytest.raises(qcos.InvalidArgumentError, match="NUL") as e:
        client.put_object("a\0b", b"x")
    assert isinstance(e.value, ValueError)
    with pytest.raises(qcos.InvalidArgumentError) as e:
        client.put_object("", b"x")
    assert e.value.status == qcos.Status.INVALID_ARGUMENT and e.value.message
    with pytest.raises(qcos.InvalidArgumentError):
        client.put_object("k", b"x", metadata={"bad name": "v"})
    with pytest.raises(qcos.InvalidArgumentError):
        client.put_object("k", b"x", content_type="text/plain\r\nX-Evil: 1")
    with pytest.raises(qcos.InvalidArgumentError):
        client.list_objects(max_keys=5000)
    with pytest.raises(TypeError):
        client.put_object("k", b"x", colour="blue")
    with pytest.raises(qcos.InvalidArgumentError):
        qcos.Client(REGION, "no-appid")
    with pytest.raises(qcos.InvalidArgumentError):
        qcos.Client(REGION, "", scheme="gopher")
    with pytest.raises(TypeError, match="unknown client option"):
        qcos.Client(REGION, "", colour="blue")
    with pytest.raises(qcos.InvalidArgumentError):
        qcos.Client(REGION, "", chunk_size=1)  # below 1 MiB


def test_wrong_key_is_a_service_error(endpoint: str) -> None:
    with make_client(endpoint, "", secret_key="not-the-key") as c:
        with pytest.raises(qcos.ServiceError) as e:
            c.list_buckets()
    assert e.value.http_status == 403
    assert e.value.code
    assert "not-the-key" not in str(e.value) and "not-the-key" not in repr(e.value)


def test_no_credentials_is_an_auth_error(endpoint: str) -> None:
    with qcos.Client(REGION, "", endpoint=endpoint) as c:
        with pytest.raises(qcos.AuthError):
            c.list_buckets()


def test_network_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # Nothing listens on the port any more.
    with make_client(f"http://127.0.0.1:{port}", "") as c:
        with pytest.raises(qcos.NetworkError) as e:
            c.list_buckets()
    assert isinstance(e.value, ConnectionError)


def test_closed_client() -> None:
    c = qcos.Client(REGION, "")
    c.close()
    c.close()  # idempotent
    with pytest.raises(ValueError, match="closed"):
        c.list_buckets()
    assert "closed" in repr(c)


def test_credentials_provider(endpoint: str, client: qcos.Client) -> None:
    client.put_object("k", b"v")
    calls = []

    def provider() -> qcos.Credentials:
        calls.append(threading.get_ident())
        return qcos.Credentials(
            os.environ.get("QCOS_TEST_SECRET_ID", SECRET_ID),
            os.environ.get("QCOS_TEST_SECRET_KEY", SECRET_KEY),
        )

    with qcos.Client(REGION, client.bucket, endpoint=endpoint, credentials_provider=provider) as c:
        assert c.get_object("k") == b"v"
        assert c.get_object("k") == b"v"
    assert len(calls) == 1  # permanent credentials are cached

    # Tuples work too, and the callable is kept alive by the client.
    c = qcos.Client(
        REGION, client.bucket, endpoint=endpoint, credentials_provider=lambda: (SECRET_ID, SECRET_KEY)
    )
    gc.collect()
    assert c.get_object("k") == b"v"
    c.close()


def test_credentials_provider_exception_is_reported(endpoint: str, client: qcos.Client) -> None:
    def provider() -> qcos.Credentials:
        raise LookupError("vault unreachable")

    with qcos.Client(REGION, client.bucket, endpoint=endpoint, credentials_provider=provider, max_retries=0) as c:
        with pytest.raises(qcos.AuthError) as e:
            c.get_object("k")
        assert isinstance(e.value.__cause__, LookupError)
        assert "vault unreachable" in str(e.value)
        # The process and the client survive: the next call asks again.
        with pytest.raises(qcos.AuthError):
            c.head_bucket()

    def bad_type():
        return 42

    with qcos.Client(REGION, client.bucket, endpoint=endpoint, credentials_provider=bad_type) as c:
        with pytest.raises(qcos.AuthError) as e:
            c.head_bucket()
        assert isinstance(e.value.__cause__, TypeError)

    def empty_key():
        return qcos.Credentials(SECRET_ID, "")

    with qcos.Client(REGION, client.bucket, endpoint=endpoint, credentials_provider=empty_key) as c:
        with pytest.raises(qcos.AuthError) as e:
            c.head_bucket()
        assert isinstance(e.value.__cause__, qcos.QcosError)


def test_listing_outlives_close(endpoint: str, client: qcos.Client) -> None:
    for i in range(5):
        client.put_object(f"l/{i}", b"x")
    c = qcos.Client(
        REGION, client.bucket, endpoint=endpoint, credentials_provider=lambda: (SECRET_ID, SECRET_KEY)
    )
    pages = c.list_objects_pages(max_keys=2)
    first = next(pages)
    c.close()
    del c
    gc.collect()
    rest = [o.key for p in pages for o in p.objects]
    assert [o.key for o in first.objects] + rest == [f"l/{i}" for i in range(5)]


@pytest.mark.skipif(
    not os.environ.get("QCOS_TEST_TMP_TOKEN"),
    reason="needs a server configured with temporary keys (tests/bindings_python.rs sets one up)",
)
def test_temporary_credentials(endpoint: str, client: qcos.Client) -> None:
    client.put_object("tmp", b"t")
    tmp = (
        os.environ["QCOS_TEST_TMP_ID"],
        os.environ["QCOS_TEST_TMP_KEY"],
        os.environ["QCOS_TEST_TMP_TOKEN"],
    )
    with qcos.Client(
        REGION, client.bucket, endpoint=endpoint, secret_id=tmp[0], secret_key=tmp[1], token=tmp[2]
    ) as c:
        assert c.get_object("tmp") == b"t"
    with qcos.Client(
        REGION, client.bucket, endpoint=endpoint, credentials_provider=lambda: qcos.Credentials(*tmp)
    ) as c:
        assert c.get_object("tmp") == b"t"
    with qcos.Client(
        REGION, client.bucket, endpoint=endpoint, secret_id=tmp[0], secret_key=tmp[1], token="wrong"
    ) as c:
        with pytest.raises(qcos.ServiceError) as e:
            c.get_object("tmp")
    assert e.value.http_status == 403


def test_panic_becomes_internal_error() -> None:
    lib = qcos._lib.lib
    try:
        fn = lib.qcos_test_panic  # debug builds only
    except AttributeError:
        if os.environ.get("QCOS_EXPECT_TEST_HOOKS") == "1":
            pytest.fail("qcos_test_panic missing from a debug build of libqcos")
        pytest.skip("release build of libqcos: no test hooks")
    fn.restype = qcos._lib.c_int
    fn.argtypes = []
    with pytest.raises(qcos.InternalError, match="panic"):
        qcos.errors.check(fn())
    assert qcos.status_str(qcos.Status.INTERNAL)
