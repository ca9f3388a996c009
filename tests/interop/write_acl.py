"""ACL and tags set at write time, and the ACL as a document, between qcos and the
official COS Python SDK (cos-python-sdk-v5), both against one qcos-server.

Input (stdin), JSON: {"port": int, "region": str, "bucket": str, "secret_id": str,
"secret_key": str}. The bucket holds, written by qcos:
- "q-put.txt": PUT Object with public-read, a READ grant for 100000000002 and the tags
  {"made-by": "qcos", "k 2": "v&2=3", "中文": "值"} (sent as x-cos-tagging);
- "q-big.bin": a multipart upload (Initiate carried private and {"kind": "multipart"});
- "q-copy.txt": a copy of "q-put.txt" with its tags replaced by {"copied": "yes"};
- "q-policy.txt": an ACL put as an <AccessControlPolicy> body: the owner's
  FULL_CONTROL, WRITE for qcs::cam::uin/100000000001:uin/100000000007, AllUsers READ.

The script checks what the SDK reads for those, then writes with the SDK:
"s-put.txt" by PUT Object with ACL=public-read, GrantFullControl 100000000003 and
Tagging "sdk=1&a%20b=c%26d"; and "s-policy.txt" whose ACL it puts as a document
(the owner's FULL_CONTROL and READ_ACP for 100000000004), for the Rust side to read
back. Any failure raises; success prints "OK".
"""

import json
import sys

from qcloud_cos import CosConfig, CosS3Client

OWNER = "qcs::cam::uin/100000000001:uin/100000000001"
ALL_USERS = "http://cam.qcloud.com/groups/global/AllUsers"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def tagset(resp):
    tags = resp.get("TagSet", {}).get("Tag", [])
    if isinstance(tags, dict):
        tags = [tags]
    return [(t["Key"], t["Value"]) for t in tags]


def grants(acl):
    gs = acl["AccessControlList"]["Grant"]
    if isinstance(gs, dict):
        gs = [gs]
    return [(g["Grantee"].get("ID") or g["Grantee"].get("URI"), g["Permission"]) for g in gs]


def main():
    cfg = json.load(sys.stdin)
    conf = CosConfig(Region=cfg["region"], SecretId=cfg["secret_id"], SecretKey=cfg["secret_key"],
                     IP="127.0.0.1", Port=int(cfg["port"]), Scheme="http")
    cos = CosS3Client(conf, retry=0)
    bucket = cfg["bucket"]

    # What qcos wrote, as the SDK reads it.
    got = tagset(cos.get_object_tagging(Bucket=bucket, Key="q-put.txt"))
    check(got == [("made-by", "qcos"), ("k 2", "v&2=3"), (u"中文", u"值")], "q-put tags: %r" % (got,))
    acl = cos.get_object_acl(Bucket=bucket, Key="q-put.txt")
    check(acl["CannedACL"] == "public-read", "q-put canned: %r" % (acl,))
    check(("qcs::cam::uin/100000000002:uin/100000000002", "READ") in grants(acl), "q-put grants: %r" % (acl,))

    got = tagset(cos.get_object_tagging(Bucket=bucket, Key="q-big.bin"))
    check(got == [("kind", "multipart")], "q-big tags: %r" % (got,))
    acl = cos.get_object_acl(Bucket=bucket, Key="q-big.bin")
    check(acl["CannedACL"] == "private", "q-big canned: %r" % (acl,))

    got = tagset(cos.get_object_tagging(Bucket=bucket, Key="q-copy.txt"))
    check(got == [("copied", "yes")], "q-copy tags: %r" % (got,))

    acl = cos.get_object_acl(Bucket=bucket, Key="q-policy.txt")
    want = [(OWNER, "FULL_CONTROL"), ("qcs::cam::uin/100000000001:uin/100000000007", "WRITE"),
            (ALL_USERS, "READ")]
    check(grants(acl) == want, "q-policy grants: %r" % (acl,))

    # The SDK's writes, for qcos to read.
    cos.put_object(Bucket=bucket, Key="s-put.txt", Body=b"sdk", ACL="public-read",
                   GrantFullControl='id="100000000003"', Tagging="sdk=1&a%20b=c%26d")
    got = tagset(cos.get_object_tagging(Bucket=bucket, Key="s-put.txt"))
    check(got == [("sdk", "1"), ("a b", "c&d")], "s-put tags: %r" % (got,))

    cos.put_object(Bucket=bucket, Key="s-policy.txt", Body=b"sdk")
    grantee = lambda t: {"@xmlns:xsi": XSI, "@xsi:type": t}  # noqa: E731
    cos.put_object_acl(Bucket=bucket, Key="s-policy.txt", AccessControlPolicy={
        "Owner": {"ID": OWNER},
        "AccessControlList": {"Grant": [
            {"Grantee": dict(grantee("CanonicalUser"), ID=OWNER), "Permission": "FULL_CONTROL"},
            {"Grantee": dict(grantee("CanonicalUser"), ID="qcs::cam::uin/100000000001:uin/100000000004"),
             "Permission": "READ_ACP"},
        ]},
    })
    acl = cos.get_object_acl(Bucket=bucket, Key="s-policy.txt")
    check(grants(acl) == [(OWNER, "FULL_CONTROL"), ("qcs::cam::uin/100000000001:uin/100000000004", "READ_ACP")],
          "s-policy grants: %r" % (acl,))
    print("OK")


if __name__ == "__main__":
    main()
