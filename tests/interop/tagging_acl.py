"""Object tagging and ACL through the official COS Python SDK (cos-python-sdk-v5)
against a qcos-server, crossing with objects tagged by qcos.

Input (stdin), JSON: {"port": int, "region": str, "bucket": str, "secret_id": str,
"secret_key": str}. The bucket exists and holds "from-qcos.txt", which qcos tagged
{"made-by": "qcos", "k 2": "v&2"} and set to public-read with a READ grant for
100000000002.

The script checks what the SDK reads for that object, then tags "from-sdk.txt" with
the SDK ({"made-by": "sdk", "中文": "值"}) and sets its ACL to private with a
FULL_CONTROL grant for 100000000003, for the Rust side to read back. Any failure
raises (non-zero exit, traceback on stderr); success prints "OK".
"""

import json
import sys

from qcloud_cos import CosConfig, CosS3Client
from qcloud_cos.cos_exception import CosServiceError


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def tagset(resp):
    return [(t["Key"], t["Value"]) for t in resp.get("TagSet", {}).get("Tag", [])]


def main():
    cfg = json.load(sys.stdin)
    conf = CosConfig(Region=cfg["region"], SecretId=cfg["secret_id"], SecretKey=cfg["secret_key"],
                     IP="127.0.0.1", Port=int(cfg["port"]), Scheme="http")
    cos = CosS3Client(conf, retry=0)
    bucket = cfg["bucket"]

    # What qcos set, as the SDK reads it.
    got = tagset(cos.get_object_tagging(Bucket=bucket, Key="from-qcos.txt"))
    check(got == [("made-by", "qcos"), ("k 2", "v&2")], "tags set by qcos: %r" % (got,))
    acl = cos.get_object_acl(Bucket=bucket, Key="from-qcos.txt")
    check(acl["CannedACL"] == "public-read", "canned ACL set by qcos: %r" % (acl,))
    grants = acl["AccessControlList"]["Grant"]
    ids = [g["Grantee"].get("ID") for g in grants]
    check("qcs::cam::uin/100000000002:uin/100000000002" in ids, "grant set by qcos: %r" % (grants,))
    check(acl["Owner"]["ID"] == "qcs::cam::uin/100000000001:uin/100000000001", "owner: %r" % (acl,))

    # The SDK's own writes (its put_object_tagging sends no Content-MD5).
    cos.put_object(Bucket=bucket, Key="from-sdk.txt", Body=b"sdk")
    try:
        cos.get_object_tagging(Bucket=bucket, Key="from-sdk.txt")
        raise AssertionError("an untagged object must answer NoSuchTagSet")
    except CosServiceError as e:
        check(e.get_status_code() == 404 and e.get_error_code() == "NoSuchTagSet",
              "untagged: %s %s" % (e.get_status_code(), e.get_error_code()))
    cos.put_object_tagging(Bucket=bucket, Key="from-sdk.txt", Tagging={
        "TagSet": {"Tag": [{"Key": "made-by", "Value": "sdk"}, {"Key": u"中文", "Value": u"值"}]}})
    got = tagset(cos.get_object_tagging(Bucket=bucket, Key="from-sdk.txt"))
    check(got == [("made-by", "sdk"), (u"中文", u"值")], "SDK round trip: %r" % (got,))
    cos.put_object_acl(Bucket=bucket, Key="from-sdk.txt", ACL="private",
                       GrantFullControl='id="100000000003"')
    acl = cos.get_object_acl(Bucket=bucket, Key="from-sdk.txt")
    check(acl["CannedACL"] == "private", "SDK ACL round trip: %r" % (acl,))

    # Delete and read back on a scratch object.
    cos.put_object(Bucket=bucket, Key="scratch.txt", Body=b"x")
    cos.put_object_tagging(Bucket=bucket, Key="scratch.txt",
                           Tagging={"TagSet": {"Tag": [{"Key": "a", "Value": "1"}]}})
    cos.delete_object_tagging(Bucket=bucket, Key="scratch.txt")
    try:
        cos.get_object_tagging(Bucket=bucket, Key="scratch.txt")
        raise AssertionError("deleted tags must answer NoSuchTagSet")
    except CosServiceError as e:
        check(e.get_error_code() == "NoSuchTagSet", "after delete: %s" % (e.get_error_code(),))
    print("OK")


if __name__ == "__main__":
    main()
