"""Bucket CORS, bucket ACL and bucket tagging through the Python binding against
qcos-server (a CORS rule set here makes the server answer a browser's preflight)."""

from __future__ import annotations

import http.client
from urllib.parse import urlparse

import pytest

import qcos
from conftest import REGION, make_client, new_bucket_name

OWNER = "qcs::cam::uin/100000000001:uin/100000000001"
ALL_USERS = "http://cam.qcloud.com/groups/global/AllUsers"


def preflight(endpoint: str, bucket: str, origin: str, method: str, headers: str = ""):
    """An unsigned OPTIONS request, as a browser sends it: (status, headers)."""
    u = urlparse(endpoint)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        h = {
            "Host": f"{bucket}.cos.{REGION}.myqcloud.com",
            "Origin": origin,
            "Access-Control-Request-Method": method,
        }
        if headers:
            h["Access-Control-Request-Headers"] = headers
        conn.request("OPTIONS", "/up/a.png", headers=h)
        r = conn.getresponse()
        r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}
    finally:
        conn.close()


def test_cors_round_trip_and_preflight(endpoint: str) -> None:
    bucket = new_bucket_name()
    with make_client(endpoint, bucket) as c:
        c.create_bucket()
        assert c.get_bucket_cors() == []
        rules = [
            qcos.CorsRule(
                allowed_origins=["https://app.example.com"],
                allowed_methods=["put", "POST"],
                allowed_headers=["content-type"],
                expose_headers=["ETag", "x-cos-request-id"],
                id="web",
                max_age_seconds=300,
            ),
            qcos.CorsRule(allowed_origins=["*"], allowed_methods=["GET"]),
        ]
        c.put_bucket_cors(rules)
        got = c.get_bucket_cors()
        assert got[0].allowed_methods == ["PUT", "POST"]
        assert got[0] == qcos.CorsRule(
            allowed_origins=["https://app.example.com"],
            allowed_methods=["PUT", "POST"],
            allowed_headers=["content-type"],
            expose_headers=["ETag", "x-cos-request-id"],
            id="web",
            max_age_seconds=300,
        )
        assert got[1] == rules[1]

        status, h = preflight(endpoint, bucket, "https://app.example.com", "PUT", "Content-Type")
        assert status == 200, h
        assert h["access-control-allow-origin"] == "https://app.example.com"
        assert h["access-control-allow-methods"] == "PUT,POST"
        assert h["access-control-expose-headers"] == "ETag,x-cos-request-id"
        assert h["access-control-max-age"] == "300"
        assert preflight(endpoint, bucket, "https://evil.test", "PUT")[0] == 403
        assert preflight(endpoint, bucket, "https://evil.test", "GET")[0] == 200

        c.delete_bucket_cors()
        assert c.get_bucket_cors() == []
        assert preflight(endpoint, bucket, "https://evil.test", "GET")[0] == 403
        c.delete_bucket()


def test_cors_refusals(client: qcos.Client) -> None:
    with pytest.raises(qcos.InvalidArgumentError, match="no CORS rule"):
        client.put_bucket_cors([])
    with pytest.raises(qcos.InvalidArgumentError, match="rule 1: no allowed origin"):
        client.put_bucket_cors([qcos.CorsRule(allowed_origins=[], allowed_methods=["GET"])])
    with pytest.raises(qcos.InvalidArgumentError, match='"PATCH" is not one of'):
        client.put_bucket_cors([qcos.CorsRule(allowed_origins=["*"], allowed_methods=["PATCH"])])
    with pytest.raises(qcos.InvalidArgumentError, match="allowed origin"):
        client.put_bucket_cors(
            [qcos.CorsRule(allowed_origins=["http://a\r\nX: 1"], allowed_methods=["GET"])]
        )
    with pytest.raises(ValueError, match="max_age_seconds"):
        client.put_bucket_cors(
            [qcos.CorsRule(allowed_origins=["*"], allowed_methods=["GET"], max_age_seconds=-5)]
        )
    with pytest.raises(TypeError):
        client.put_bucket_cors(qcos.CorsRule(["*"], ["GET"]))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        client.put_bucket_cors([qcos.CorsRule("*", ["GET"])])  # type: ignore[arg-type]
    assert client.get_bucket_cors() == []


def test_bucket_acl(client: qcos.Client) -> None:
    p = client.get_bucket_acl()
    assert p.owner_id == OWNER and p.canned == "private"
    assert p.grants == [qcos.AclGrant("CanonicalUser", OWNER, None, "FULL_CONTROL")]

    client.put_bucket_acl("public-read-write", grant_write=["100000000002"])
    p = client.get_bucket_acl()
    assert p.canned == "public-read-write"
    assert p.grants == [
        qcos.AclGrant("CanonicalUser", OWNER, None, "FULL_CONTROL"),
        qcos.AclGrant("Group", None, ALL_USERS, "READ"),
        qcos.AclGrant("Group", None, ALL_USERS, "WRITE"),
        qcos.AclGrant("CanonicalUser", "qcs::cam::uin/100000000002:uin/100000000002", None, "WRITE"),
    ]

    with pytest.raises(qcos.InvalidArgumentError, match="nothing to send"):
        client.put_bucket_acl()
    with pytest.raises(qcos.InvalidArgumentError, match="not a canned bucket ACL"):
        client.put_bucket_acl("default")
    with pytest.raises(qcos.InvalidArgumentError, match="printable ASCII"):
        client.put_bucket_acl(grant_write=["1\r\nx-evil: 1"])
    with pytest.raises(TypeError):
        client.put_bucket_acl(grant_read="100000000002")  # type: ignore[arg-type]
    assert client.get_bucket_acl().canned == "public-read-write"


def test_bucket_tagging(client: qcos.Client) -> None:
    assert client.get_bucket_tagging() == {}
    tags = {f"k{i}": f"v{i}" for i in range(48)}
    tags["a&b <c>"] = "\"x\" 'y'"
    tags["中文"] = "值"
    client.put_bucket_tagging(tags)
    got = client.get_bucket_tagging()
    assert got == tags and list(got) == list(tags)
    client.put_bucket_tagging([("only", "one")])
    assert client.get_bucket_tagging() == {"only": "one"}

    with pytest.raises(qcos.InvalidArgumentError, match="at most 50 tags per bucket"):
        client.put_bucket_tagging({f"k{i}": "v" for i in range(51)})
    with pytest.raises(qcos.InvalidArgumentError, match="given twice"):
        client.put_bucket_tagging([("a", "1"), ("a", "2")])
    with pytest.raises(qcos.InvalidArgumentError, match="U\\+000D"):
        client.put_bucket_tagging({"a": "x\r\ny"})
    assert client.get_bucket_tagging() == {"only": "one"}

    client.delete_bucket_tagging()
    assert client.get_bucket_tagging() == {}


def test_missing_bucket_is_not_found(endpoint: str) -> None:
    with make_client(endpoint, new_bucket_name()) as c:
        for call in (c.get_bucket_cors, c.get_bucket_tagging, c.get_bucket_acl):
            with pytest.raises(qcos.ServiceError) as e:
                call()
            assert e.value.http_status == 404 and e.value.code == "NoSuchBucket"
