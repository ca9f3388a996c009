"""Object tagging and object ACL through the Python binding against qcos-server."""

from __future__ import annotations

import pytest

import qcos

OWNER = "qcs::cam::uin/100000000001:uin/100000000001"


def test_tagging_round_trip(client: qcos.Client) -> None:
    client.put_object("t.txt", b"hello")
    assert client.get_object_tagging("t.txt") == {}
    tags = {"project": "qcos", "a&b <c>": "\"x\" 'y'", "中文": "值", "empty": ""}
    client.put_object_tagging("t.txt", tags)
    got = client.get_object_tagging("t.txt")
    assert got == tags
    assert list(got) == list(tags)  # COS's order is the order they were put
    assert client.get_object_tagging("t.txt", version_id="null") == tags

    # A sequence of pairs works too and replaces the whole set.
    client.put_object_tagging("t.txt", [("only", "one")])
    assert client.get_object_tagging("t.txt") == {"only": "one"}

    client.delete_object_tagging("t.txt")
    assert client.get_object_tagging("t.txt") == {}

    # Overwriting the object drops its tags.
    client.put_object_tagging("t.txt", {"a": "1"})
    client.put_object("t.txt", b"new")
    assert client.get_object_tagging("t.txt") == {}


def test_tagging_refusals(client: qcos.Client) -> None:
    client.put_object("t", b"x")
    with pytest.raises(qcos.InvalidArgumentError, match="at most 10"):
        client.put_object_tagging("t", {f"k{i}": "v" for i in range(11)})
    with pytest.raises(qcos.InvalidArgumentError, match="given twice"):
        client.put_object_tagging("t", [("a", "1"), ("a", "2")])
    with pytest.raises(qcos.InvalidArgumentError, match="is empty"):
        client.put_object_tagging("t", {"": "v"})
    with pytest.raises(qcos.InvalidArgumentError, match="at most 128"):
        client.put_object_tagging("t", {"k" * 129: "v"})
    with pytest.raises(qcos.InvalidArgumentError, match="at most 256"):
        client.put_object_tagging("t", {"k": "v" * 257})
    with pytest.raises(qcos.InvalidArgumentError, match="version id is empty"):
        client.get_object_tagging("t", version_id="")
    with pytest.raises(TypeError):
        client.put_object_tagging("t", "a=b")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        client.put_object_tagging("t", [("a", "b", "c")])  # type: ignore[list-item]
    # Nothing was stored by the refused calls.
    assert client.get_object_tagging("t") == {}

    for call in (
        lambda: client.put_object_tagging("missing", {"a": "1"}),
        lambda: client.get_object_tagging("missing"),
        lambda: client.delete_object_tagging("missing"),
    ):
        with pytest.raises(qcos.ServiceError) as e:
            call()
        assert e.value.http_status == 404 and e.value.code == "NoSuchKey"


def test_acl_round_trip(client: qcos.Client) -> None:
    client.put_object("a.txt", b"hello")
    p = client.get_object_acl("a.txt")
    assert p.owner_id == OWNER
    assert p.canned == "default"
    assert p.grants == [qcos.AclGrant("CanonicalUser", OWNER, None, "FULL_CONTROL")]

    client.put_object_acl(
        "a.txt",
        "public-read",
        grant_read=["100000000002"],
        grant_full_control=["qcs::cam::uin/100000000003:uin/100000000003"],
    )
    p = client.get_object_acl("a.txt")
    assert p.canned == "public-read"
    assert p.grants == [
        qcos.AclGrant("CanonicalUser", OWNER, None, "FULL_CONTROL"),
        qcos.AclGrant("Group", None, "http://cam.qcloud.com/groups/global/AllUsers", "READ"),
        qcos.AclGrant(
            "CanonicalUser", "qcs::cam::uin/100000000003:uin/100000000003", None, "FULL_CONTROL"
        ),
        qcos.AclGrant("CanonicalUser", "qcs::cam::uin/100000000002:uin/100000000002", None, "READ"),
    ]

    client.put_object_acl("a.txt", grant_write_acp=["100000000004"])
    p = client.get_object_acl("a.txt")
    assert p.canned == "default"
    assert [g.permission for g in p.grants] == ["FULL_CONTROL", "WRITE_ACP"]

    client.put_object("a.txt", b"again")
    assert len(client.get_object_acl("a.txt").grants) == 1


def test_acl_refusals(client: qcos.Client) -> None:
    client.put_object("a", b"x")
    with pytest.raises(qcos.InvalidArgumentError, match="nothing to send"):
        client.put_object_acl("a")
    with pytest.raises(qcos.InvalidArgumentError, match="not a canned object ACL"):
        client.put_object_acl("a", "public-read-write")
    with pytest.raises(qcos.InvalidArgumentError, match="printable ASCII"):
        client.put_object_acl("a", grant_read=["1\r\nx-evil: 1"])
    with pytest.raises(TypeError):
        client.put_object_acl("a", grant_read="100000000002")  # type: ignore[arg-type]
    assert client.get_object_acl("a").canned == "default"
    with pytest.raises(qcos.ServiceError) as e:
        client.get_object_acl("missing")
    assert e.value.http_status == 404 and e.value.code == "NoSuchKey"
    with pytest.raises(qcos.ServiceError) as e:
        client.put_object_acl("missing", "private")
    assert e.value.code == "NoSuchKey"
