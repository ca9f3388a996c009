"""ACL and tags set at write time, the copy directives, and the ACL as a document
(``put_object_acl_policy``) through the Python binding against qcos-server."""

from __future__ import annotations

from pathlib import Path

import pytest

import qcos
from qcos.tagging_acl import AccessControlPolicy, AclGrant

OWNER = "qcs::cam::uin/100000000001:uin/100000000001"
ALL_USERS = "http://cam.qcloud.com/groups/global/AllUsers"
MIB = 1024 * 1024


def _canned(client: qcos.Client, key: str) -> str:
    c = client.get_object_acl(key).canned
    assert c is not None
    return c


def test_put_object_with_acl_and_tags(client: qcos.Client) -> None:
    tags = {"project": "qcos", "a b&c": "中文=+"}
    client.put_object("w.txt", b"hello", acl="public-read", grant_read=["100000000002"], tagging=tags)
    assert client.get_object_tagging("w.txt") == tags
    p = client.get_object_acl("w.txt")
    assert p.canned == "public-read"
    assert [(g.grantee_type, g.id or g.uri, g.permission) for g in p.grants] == [
        ("CanonicalUser", OWNER, "FULL_CONTROL"),
        ("Group", ALL_USERS, "READ"),
        ("CanonicalUser", "qcs::cam::uin/100000000002:uin/100000000002", "READ"),
    ]
    # Pairs work too; the old way (extra headers) still works alone.
    client.put_object("pairs.txt", b"x", tagging=[("k", "v")])
    assert client.get_object_tagging("pairs.txt") == {"k": "v"}
    client.put_object("old.txt", b"x", headers={"x-cos-acl": "private", "x-cos-tagging": "a=1"})
    assert _canned(client, "old.txt") == "private"
    assert client.get_object_tagging("old.txt") == {"a": "1"}


def test_write_refusals(client: qcos.Client) -> None:
    with pytest.raises(qcos.InvalidArgumentError, match="11 tags"):
        client.put_object("r.txt", b"x", tagging={f"k{i}": "v" for i in range(11)})
    with pytest.raises(qcos.InvalidArgumentError, match="empty"):
        client.put_object("r.txt", b"x", tagging={"": "v"})
    with pytest.raises(qcos.InvalidArgumentError, match="(?i)x-cos-acl"):
        client.put_object("r.txt", b"x", acl="private", headers={"X-Cos-Acl": "public-read"})
    with pytest.raises(qcos.InvalidArgumentError, match="x-cos-tagging"):
        client.put_object("r.txt", b"x", tagging={"a": "1"}, headers={"x-cos-tagging": "b=2"})
    with pytest.raises(qcos.InvalidArgumentError, match="default, private, public-read"):
        client.put_object("r.txt", b"x", acl="everyone")
    with pytest.raises(TypeError):
        client.put_object("r.txt", b"x", grant_read="100000000002")
    with pytest.raises(qcos.ServiceError):
        client.head_object("r.txt")


def test_upload_file_multipart_and_single(client: qcos.Client, tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(i % 251 for i in range(2 * MIB + 100)))
    tags = {"kind": "multipart"}
    r = client.upload_file(
        "up/big.bin", big, slice_size=MIB, part_size=MIB, acl="private",
        grant_full_control=["100000000009"], tagging=tags,
    )
    assert r.parts == 3
    assert client.get_object_tagging("up/big.bin") == tags
    p = client.get_object_acl("up/big.bin")
    assert p.canned == "private"
    assert [g.permission for g in p.grants] == ["FULL_CONTROL", "FULL_CONTROL"]
    small = tmp_path / "small.bin"
    small.write_bytes(b"small")
    r = client.upload_file("up/small.bin", small, acl="public-read", tagging=tags)
    assert r.parts == 0
    assert client.get_object_tagging("up/small.bin") == tags
    assert _canned(client, "up/small.bin") == "public-read"


def test_copy_directives(client: qcos.Client) -> None:
    client.put_object("src.txt", b"source", metadata={"m": "1"}, tagging={"origin": "source"})
    # Defaults: metadata and tags copied, the ACL not.
    client.copy_object("c1.txt", "src.txt")
    assert client.get_object_tagging("c1.txt") == {"origin": "source"}
    assert _canned(client, "c1.txt") == "default"
    # An ACL with the metadata kept.
    client.copy_object("c2.txt", "src.txt", acl="private")
    assert _canned(client, "c2.txt") == "private"
    assert client.head_object("c2.txt").metadata == {"m": "1"}
    assert client.get_object_tagging("c2.txt") == {"origin": "source"}
    # Tags replaced.
    client.copy_object("c3.txt", "src.txt", tagging_directive="Replaced", tagging={"origin": "copy"})
    assert client.get_object_tagging("c3.txt") == {"origin": "copy"}
    client.copy_object("c4.txt", "src.txt", tagging_directive="Replaced")
    assert client.get_object_tagging("c4.txt") == {}
    with pytest.raises(qcos.InvalidArgumentError, match="tagging_directive='Replaced'"):
        client.copy_object("c5.txt", "src.txt", tagging={"a": "1"})
    with pytest.raises(qcos.InvalidArgumentError, match="metadata_directive='Replaced'"):
        client.copy_object("c5.txt", "src.txt", content_type="text/plain")
    with pytest.raises(qcos.InvalidArgumentError, match="'Copy' or 'Replaced'"):
        client.copy_object("c5.txt", "src.txt", tagging_directive="Keep")

    # slice_copy (multipart), both tag directives.
    client.put_object("big.bin", bytes(2 * MIB + 9), tagging={"origin": "big"})
    r = client.copy("bc1.bin", "big.bin", slice_size=MIB, part_size=MIB, acl="public-read")
    assert r.parts >= 2
    assert client.get_object_tagging("bc1.bin") == {"origin": "big"}
    assert _canned(client, "bc1.bin") == "public-read"
    client.copy(
        "bc2.bin", "big.bin", slice_size=MIB, part_size=MIB,
        tagging_directive="Replaced", tagging={"origin": "replaced"},
    )
    assert client.get_object_tagging("bc2.bin") == {"origin": "replaced"}


def test_acl_policy_round_trip(client: qcos.Client) -> None:
    client.put_object("p.txt", b"x")
    policy = AccessControlPolicy(
        owner_id=OWNER,
        canned=None,
        grants=[
            AclGrant("CanonicalUser", OWNER, None, "FULL_CONTROL"),
            AclGrant("CanonicalUser", "qcs::cam::uin/100000000001:uin/100000000007", None, "WRITE"),
            AclGrant("Group", None, ALL_USERS, "READ"),
        ],
    )
    client.put_object_acl_policy("p.txt", policy)
    got = client.get_object_acl("p.txt")
    assert got.grants == policy.grants
    assert got.canned == "public-read"
    client.put_object_acl_policy("p.txt", got)
    assert client.get_object_acl("p.txt").grants == policy.grants

    bad = AccessControlPolicy(OWNER, None, [AclGrant("CanonicalUser", "1", None, "ALL")])
    with pytest.raises(qcos.InvalidArgumentError, match="grant 0"):
        client.put_object_acl_policy("p.txt", bad)
    with pytest.raises(TypeError, match="needs a uri"):
        client.put_object_acl_policy(
            "p.txt", AccessControlPolicy(OWNER, None, [AclGrant("Group", "1", None, "READ")])
        )
    with pytest.raises(qcos.InvalidArgumentError, match="owner_id"):
        client.put_object_acl_policy("p.txt", AccessControlPolicy("", None, []))
    with pytest.raises(qcos.ServiceError) as e:
        client.put_object_acl_policy("missing", policy)
    assert e.value.code == "NoSuchKey"
