"""Presigned URLs, signatures and POST policies made by the binding, used with
plain HTTP (urllib / http.client) against qcos-server."""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

import qcos

NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(url: str, method: str = "GET", data: bytes = None, headers: dict = None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with NO_PROXY.open(req, timeout=30) as r:
        return r.status, r.read()


def test_presigned_get_and_put(client: qcos.Client) -> None:
    client.put_object("pre/get.txt", b"presigned body")
    url = client.get_presigned_url("pre/get.txt")
    assert url.startswith("http://127.0.0.1:")
    assert "q-signature=" in url and "qcosTESTsecretKEY" not in url
    assert fetch(url) == (200, b"presigned body")
    assert client.get_presigned_download_url("pre/get.txt", expires=60, form="sign") != url
    assert fetch(client.get_presigned_download_url("pre/get.txt", form="sign"))[1] == b"presigned body"

    # A response override is signed into the URL.
    url = client.get_presigned_url("pre/get.txt", params={"response-content-type": "text/x-pre"})
    req = urllib.request.Request(url)
    with NO_PROXY.open(req, timeout=30) as r:
        assert r.headers["Content-Type"] == "text/x-pre"

    # PUT with a signed header, which the uploader must send as signed.
    url = client.get_presigned_url("pre/put.bin", "PUT", headers={"Content-Type": "application/x-pre"})
    status, _ = fetch(url, "PUT", b"uploaded by URL", {"Content-Type": "application/x-pre"})
    assert status == 200
    info = client.head_object("pre/put.bin")
    assert info.content_type == "application/x-pre"
    assert client.get_object("pre/put.bin") == b"uploaded by URL"

    # Tampering breaks it; an expired URL is refused.
    with pytest.raises(urllib.error.HTTPError) as e:
        fetch(url.replace("pre/put.bin", "pre/other.bin"), "PUT", b"x", {"Content-Type": "application/x-pre"})
    assert e.value.code == 403
    old = client.get_presigned_url("pre/get.txt", start_time=int(time.time()) - 3600, expires=60)
    with pytest.raises(urllib.error.HTTPError) as e:
        fetch(old)
    assert e.value.code == 403


def test_presign_argument_errors(client: qcos.Client) -> None:
    with pytest.raises(qcos.InvalidArgumentError):
        client.get_presigned_url("k", form="header")  # a URL cannot carry the header form
    with pytest.raises(qcos.InvalidArgumentError):
        client.get_presigned_url("k", form="nonsense")
    with pytest.raises(qcos.InvalidArgumentError):
        client.get_presigned_url("k", expires=0)
    plain = client.get_presigned_url("a b", signed=False)
    assert "q-signature" not in plain and plain.endswith("/a%20b")


def test_sign_header_form(client: qcos.Client, endpoint: str) -> None:
    client.put_object("signed.txt", b"signed")
    sig = client.sign("GET", "signed.txt")
    assert sig.authorization.startswith("q-sign-algorithm=sha1&")
    assert sig.query == ""
    # Through an endpoint the bucket is in the path and Host is the endpoint's.
    assert {k.lower() for k in sig.headers} == {"host"}
    assert sig.end_time - sig.start_time > 0
    assert client.get_auth("GET", "signed.txt").startswith("q-sign-algorithm=sha1&")
    u = urllib.parse.urlsplit(endpoint)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        conn.putrequest("GET", f"/{client.bucket}/signed.txt", skip_host=True)
        for k, v in sig.headers.items():
            conn.putheader(k, v)
        conn.putheader("Authorization", sig.authorization)
        conn.endheaders()
        r = conn.getresponse()
        assert (r.status, r.read()) == (200, b"signed")
    finally:
        conn.close()

    q = client.sign("GET", "signed.txt", form="query")
    assert "q-signature=" in q.query and q.authorization


def _multipart(fields: dict, file_bytes: bytes) -> tuple:
    boundary = uuid.uuid4().hex
    parts = []
    for k, v in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="up.txt"\r\n'
        f"Content-Type: text/plain\r\n\r\n".encode()
        + file_bytes
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def test_post_policy_form_upload(client: qcos.Client) -> None:
    form = client.post_policy(
        key_prefix="posted/",
        content_length_range=(1, 1000),
        success_action_status=201,
        fields={"x-cos-meta-origin": "browser"},
    )
    assert form.url.startswith("http://127.0.0.1:")
    for f in ("key", "policy", "q-sign-algorithm", "q-ak", "q-key-time", "q-signature"):
        assert f in form.fields, f
    assert "content-length-range" in form.policy_json
    fields = dict(form.fields)
    fields["key"] = "posted/hello.txt"
    body, ctype = _multipart(fields, b"hello via POST")
    status, _ = fetch(form.url, "POST", body, {"Content-Type": ctype})
    assert status == 201
    assert client.get_object("posted/hello.txt") == b"hello via POST"
    assert client.head_object("posted/hello.txt").metadata == {"origin": "browser"}

    # Outside the prefix: refused by the server.
    fields["key"] = "elsewhere/x.txt"
    body, ctype = _multipart(fields, b"x")
    with pytest.raises(urllib.error.HTTPError) as e:
        fetch(form.url, "POST", body, {"Content-Type": ctype})
    assert e.value.code == 403

    with pytest.raises(qcos.InvalidArgumentError):
        client.post_policy()
    with pytest.raises(qcos.InvalidArgumentError):
        client.post_policy(key="a", content_length_range=(10, 1))
    exact = client.post_policy(key="exact.txt", content_type="text/plain", expires=60)
    assert exact.fields["key"] == "exact.txt" and exact.fields["Content-Type"] == "text/plain"
