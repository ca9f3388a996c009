"""Bucket CORS, ACL and tagging through the official COS Python SDK (cos-python-sdk-v5)
against a qcos-server, crossing with a bucket configured by qcos.

Input (stdin), JSON: {"port": int, "region": str, "qcos_bucket": str, "sdk_bucket": str,
"secret_id": str, "secret_key": str}. Both buckets exist. qcos configured
"qcos_bucket": CORS rules [{ID "web", AllowedOrigin https://app.example.com,
AllowedMethod PUT GET, AllowedHeader *, ExposeHeader ETag x-cos-request-id,
MaxAgeSeconds 600}, {AllowedOrigin *, AllowedMethod HEAD}], tags
{"made-by": "qcos", "k 2": "v&2"}, ACL public-read-write with a WRITE grant for
100000000002.

The script checks what the SDK reads for "qcos_bucket", then configures "sdk_bucket"
with the SDK (after checking it answers "nothing set" as COS does): CORS
[{ID "sdk", AllowedOrigin http://localhost:3000, AllowedMethod POST DELETE,
ExposeHeader Content-Length, MaxAgeSeconds 60}], tags {"made-by": "sdk", "中文": "值"},
ACL public-read with a WRITE grant for 100000000005, for the Rust side to read back.
Any failure raises (non-zero exit, traceback on stderr); success prints "OK".
"""

import json
import sys

from qcloud_cos import CosConfig, CosS3Client
from qcloud_cos.cos_exception import CosServiceError


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def expect_error(call, status, code):
    try:
        call()
    except CosServiceError as e:
        check(e.get_status_code() == status and e.get_error_code() == code,
              "expected %d %s, got %s %s" % (status, code, e.get_status_code(), e.get_error_code()))
        return
    raise AssertionError("expected %d %s, got a success" % (status, code))


def tagset(resp):
    return [(t["Key"], t["Value"]) for t in resp.get("TagSet", {}).get("Tag", [])]


def main():
    cfg = json.load(sys.stdin)
    conf = CosConfig(Region=cfg["region"], SecretId=cfg["secret_id"], SecretKey=cfg["secret_key"],
                     IP="127.0.0.1", Port=int(cfg["port"]), Scheme="http")
    cos = CosS3Client(conf, retry=0)
    qb, sb = cfg["qcos_bucket"], cfg["sdk_bucket"]

    # What qcos set, as the SDK reads it.
    rules = cos.get_bucket_cors(Bucket=qb)["CORSRule"]
    check(len(rules) == 2, "CORS rules set by qcos: %r" % (rules,))
    r = rules[0]
    check(r.get("ID") == "web", "rule id: %r" % (r,))
    check(r["AllowedOrigin"] == ["https://app.example.com"], "origins: %r" % (r,))
    check(r["AllowedMethod"] == ["PUT", "GET"], "methods: %r" % (r,))
    check(r["AllowedHeader"] == ["*"], "headers: %r" % (r,))
    check(r["ExposeHeader"] == ["ETag", "x-cos-request-id"], "expose: %r" % (r,))
    check(str(r["MaxAgeSeconds"]) == "600", "max age: %r" % (r,))
    check(rules[1]["AllowedOrigin"] == ["*"] and rules[1]["AllowedMethod"] == ["HEAD"],
          "second rule: %r" % (rules[1],))
    got = tagset(cos.get_bucket_tagging(Bucket=qb))
    check(got == [("made-by", "qcos"), ("k 2", "v&2")], "bucket tags set by qcos: %r" % (got,))
    acl = cos.get_bucket_acl(Bucket=qb)
    check(acl["CannedACL"] == "public-read-write", "canned bucket ACL set by qcos: %r" % (acl,))
    grants = acl["AccessControlList"]["Grant"]
    check(grants[-1]["Grantee"].get("ID") == "qcs::cam::uin/100000000002:uin/100000000002"
          and grants[-1]["Permission"] == "WRITE", "WRITE grant set by qcos: %r" % (grants,))
    check(acl["Owner"]["ID"] == "qcs::cam::uin/100000000001:uin/100000000001", "owner: %r" % (acl,))

    # Nothing set yet on the SDK's bucket: COS's errors.
    expect_error(lambda: cos.get_bucket_cors(Bucket=sb), 404, "NoSuchCORSConfiguration")
    expect_error(lambda: cos.get_bucket_tagging(Bucket=sb), 404, "NoSuchTagSet")
    check(cos.get_bucket_acl(Bucket=sb)["CannedACL"] == "private", "default bucket ACL")

    # The SDK's own writes (it sends Content-MD5 for CORS and tagging).
    cos.put_bucket_cors(Bucket=sb, CORSConfiguration={"CORSRule": [{
        "ID": "sdk",
        "AllowedOrigin": ["http://localhost:3000"],
        "AllowedMethod": ["POST", "DELETE"],
        "ExposeHeader": ["Content-Length"],
        "MaxAgeSeconds": 60,
    }]})
    cos.put_bucket_tagging(Bucket=sb, Tagging={
        "TagSet": {"Tag": [{"Key": "made-by", "Value": "sdk"}, {"Key": u"中文", "Value": u"值"}]}})
    got = tagset(cos.get_bucket_tagging(Bucket=sb))
    check(got == [("made-by", "sdk"), (u"中文", u"值")], "SDK tag round trip: %r" % (got,))
    cos.put_bucket_acl(Bucket=sb, ACL="public-read", GrantWrite='id="100000000005"')
    check(cos.get_bucket_acl(Bucket=sb)["CannedACL"] == "public-read", "SDK ACL round trip")

    # Delete and read back.
    cos.delete_bucket_tagging(Bucket=qb)
    expect_error(lambda: cos.get_bucket_tagging(Bucket=qb), 404, "NoSuchTagSet")
    cos.delete_bucket_cors(Bucket=qb)
    expect_error(lambda: cos.get_bucket_cors(Bucket=qb), 404, "NoSuchCORSConfiguration")
    print("OK")


if __name__ == "__main__":
    main()
