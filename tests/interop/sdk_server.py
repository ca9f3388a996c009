"""Drive the official COS Python SDK (cos-python-sdk-v5) against a qcos-server.

Input (stdin), JSON:
  {"port": int, "region": str, "bucket": str, "scratch_bucket": str,
   "secret_id": str, "secret_key": str,
   "tmp_secret_id": str, "tmp_secret_key": str, "token": str,
   "workdir": str, "big_size": int, "part_size_mb": int, "threads": int}

The SDK is configured as a user would point it at a private endpoint:
  CosConfig(Region=..., SecretId=..., SecretKey=..., IP='127.0.0.1', Port=PORT, Scheme='http')
and otherwise left unchanged: it sends and signs the real virtual-hosted
Host: {bucket}.cos.{region}.myqcloud.com.

Output (stdout): one line per step, tab-separated: "STEP", name, "OK" or "FAIL", detail.
A failing step's detail includes every HTTP answer >= 400 the SDK received during the
step (method, URL, request headers, status, body), so a rejection can be traced to the
exact header or parameter. Steps continue after a failure to report as much as possible.
"""

import hashlib
import json
import os
import random
import sys
import threading
import traceback

import crcmod  # a dependency of the SDK (its download CRC check uses it)

from qcloud_cos import CosConfig, CosS3Client
from qcloud_cos.cos_exception import CosClientError, CosServiceError

LOCK = threading.Lock()
HTTP_ERRORS = []
EXPECTED_ERRORS = [0]
CRC64 = crcmod.mkCrcFun(0x142F0E1EBA9EA3693, initCrc=0, xorOut=0xFFFFFFFFFFFFFFFF, rev=True)


def text(v):
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)


def record_errors(resp, *args, **kwargs):
    """requests response hook: remember every error answer with its request."""
    if resp.status_code < 400:
        return
    req = resp.request
    headers = {text(k): text(v) for k, v in req.headers.items()}
    try:
        body = resp.content[:2000].decode("utf-8", "replace")
    except Exception as e:  # a body that cannot be read is itself a finding
        body = "<unreadable: %r>" % (e,)
    with LOCK:
        HTTP_ERRORS.append(
            "HTTP %d for %s %s\n      request headers: %s\n      response headers: %s\n      response body: %s"
            % (resp.status_code, req.method, req.url, json.dumps(headers, ensure_ascii=False, default=str),
               json.dumps(dict(resp.headers), ensure_ascii=False, default=str), body)
        )


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def describe(e):
    if isinstance(e, CosServiceError):
        return "CosServiceError status=%s code=%s message=%s request_id=%s resource=%s" % (
            e.get_status_code(), e.get_error_code(), e.get_error_msg(), e.get_request_id(),
            e.get_resource_location())
    if isinstance(e, Failure):
        return "check failed: %s" % (e,)
    return "%s: %s\n%s" % (type(e).__name__, e, traceback.format_exc())


def emit(name, ok, detail):
    detail = detail.replace("\t", " ").replace("\r", "").replace("\n", "\\n")
    sys.stdout.write("STEP\t%s\t%s\t%s\n" % (name, "OK" if ok else "FAIL", detail))
    sys.stdout.flush()


def step(name, fn, expect_http_errors=False):
    with LOCK:
        del HTTP_ERRORS[:]
    try:
        detail = fn() or ""
        ok = True
    except Exception as e:  # report and continue with the next step
        detail = describe(e)
        ok = False
    with LOCK:
        errors = list(HTTP_ERRORS)
    if errors and (not ok or not expect_http_errors):
        detail += "\n    error answers during this step:\n    " + "\n    ".join(errors)
        if not expect_http_errors:
            ok = False
    emit(name, ok, detail)
    return ok


def read_body(resp):
    return resp["Body"].get_raw_stream().read()


def lower_keys(d):
    return {k.lower(): v for k, v in d.items()}


def main():
    cfg = json.load(sys.stdin)
    port = int(cfg["port"])
    region = cfg["region"]
    bucket = cfg["bucket"]
    scratch = cfg["scratch_bucket"]
    workdir = cfg["workdir"]

    def client(secret_id, secret_key, token=None):
        conf = CosConfig(Region=region, SecretId=secret_id, SecretKey=secret_key, Token=token,
                         IP="127.0.0.1", Port=port, Scheme="http")
        c = CosS3Client(conf, retry=1)
        if record_errors not in c._session.hooks["response"]:
            c._session.hooks["response"].append(record_errors)
        return c

    cos = client(cfg["secret_id"], cfg["secret_key"])

    small = b"hello from the official COS Python SDK\n" * 37
    special_key = u"dir/中文 名 +%#?~!*'().txt"
    objects = {
        "hello.txt": small,
        "dir/a.txt": b"a" * 1000,
        special_key: "special key body 中文".encode("utf-8"),
        "dir/sub/x.txt": b"",
        "other.txt": bytes(range(256)) * 4,
    }

    def create_bucket():
        cos.create_bucket(Bucket=bucket)
        cos.head_bucket(Bucket=bucket)

    step("create_bucket+head_bucket", create_bucket)

    def put_objects():
        etags = {}
        for key, body in objects.items():
            r = cos.put_object(Bucket=bucket, Key=key, Body=body, EnableMD5=True,
                               ContentType="text/plain",
                               Metadata={"x-cos-meta-origin": "python-sdk", "x-cos-meta-Case": "MiXed"})
            r = lower_keys(r)
            check("etag" in r, "put_object answered an ETag for %r (headers %r)" % (key, r))
            want = '"%s"' % hashlib.md5(body).hexdigest()
            check(r["etag"] == want, "ETag of %r is %s, want %s" % (key, r["etag"], want))
            etags[key] = r["etag"]
            check("x-cos-request-id" in r, "put_object answer has x-cos-request-id")
        return "%d objects" % len(etags)

    step("put_object", put_objects)

    def get_objects():
        for key, body in objects.items():
            got = read_body(cos.get_object(Bucket=bucket, Key=key))
            check(got == body, "get_object %r returned %d bytes that differ from the %d put"
                  % (key, len(got), len(body)))
        r = cos.get_object(Bucket=bucket, Key="hello.txt", Range="bytes=6-9",
                           ResponseContentType="application/x-test",
                           ResponseContentDisposition='attachment; filename="h e.txt"')
        got = read_body(r)
        r = lower_keys(r)
        check(got == small[6:10], "ranged get returned %r, want %r" % (got, small[6:10]))
        check(r.get("content-type") == "application/x-test",
              "response-content-type override gives Content-Type %r" % r.get("content-type"))
        check(r.get("content-disposition") == 'attachment; filename="h e.txt"',
              "response-content-disposition override gives %r" % r.get("content-disposition"))

    step("get_object", get_objects)

    def head_object():
        r = lower_keys(cos.head_object(Bucket=bucket, Key="hello.txt"))
        check(int(r["content-length"]) == len(small), "Content-Length %r" % r.get("content-length"))
        check(r.get("etag") == '"%s"' % hashlib.md5(small).hexdigest(), "ETag %r" % r.get("etag"))
        check(r.get("content-type") == "text/plain", "Content-Type %r" % r.get("content-type"))
        check(r.get("x-cos-meta-origin") == "python-sdk", "x-cos-meta-origin %r" % r.get("x-cos-meta-origin"))
        check(r.get("x-cos-meta-case") == "MiXed", "x-cos-meta-case %r" % r.get("x-cos-meta-case"))
        check("last-modified" in r, "Last-Modified present")
        check(r.get("x-cos-hash-crc64ecma") == str(CRC64(small)),
              "x-cos-hash-crc64ecma %r, want %s" % (r.get("x-cos-hash-crc64ecma"), CRC64(small)))
        r = lower_keys(cos.head_object(Bucket=bucket, Key=special_key))
        check(int(r["content-length"]) == len(objects[special_key]), "special key Content-Length")

    step("head_object", head_object)

    def missing_object():
        try:
            cos.get_object(Bucket=bucket, Key="no/such/key")
        except CosServiceError as e:
            check(e.get_status_code() == 404, "status %r" % e.get_status_code())
            check(e.get_error_code() == "NoSuchKey", "code %r" % e.get_error_code())
            check(bool(e.get_request_id()), "the error has a RequestId")
        else:
            raise Failure("get_object of a missing key succeeded")
        try:
            cos.head_object(Bucket=bucket, Key="no/such/key")
        except CosServiceError as e:
            check(e.get_status_code() == 404, "HEAD status %r" % e.get_status_code())
        else:
            raise Failure("head_object of a missing key succeeded")

    step("missing_object_404", missing_object, expect_http_errors=True)

    def list_objects():
        r = cos.list_objects(Bucket=bucket, Prefix="dir/", Delimiter="/")
        keys = sorted(c["Key"] for c in r.get("Contents", []))
        prefixes = sorted(p["Prefix"] for p in r.get("CommonPrefixes", []))
        check(keys == sorted(["dir/a.txt", special_key]), "Contents %r" % keys)
        check(prefixes == ["dir/sub/"], "CommonPrefixes %r" % prefixes)
        check(r.get("IsTruncated") == "false", "IsTruncated %r" % r.get("IsTruncated"))
        for c in r.get("Contents", []):
            check(int(c["Size"]) == len(objects[c["Key"]]), "Size of %r" % c["Key"])
            check(c["ETag"] == '"%s"' % hashlib.md5(objects[c["Key"]]).hexdigest(), "ETag of %r" % c["Key"])
        # A prefix with a space and Chinese characters (sent form-encoded by requests).
        r = cos.list_objects(Bucket=bucket, Prefix=u"dir/中文 名")
        keys = [c["Key"] for c in r.get("Contents", [])]
        check(keys == [special_key], "prefix with space/Chinese gives %r" % keys)
        # Paging with max-keys and the marker.
        seen = []
        marker = ""
        for _ in range(10):
            r = cos.list_objects(Bucket=bucket, MaxKeys=2, Marker=marker)
            page = [c["Key"] for c in r.get("Contents", [])]
            check(len(page) <= 2, "a page of %d keys with max-keys=2" % len(page))
            seen.extend(page)
            if r.get("IsTruncated") != "true":
                break
            marker = r.get("NextMarker") or page[-1]
        check(sorted(seen) == sorted(objects), "paged listing %r" % seen)

    step("list_objects", list_objects)

    def copy_object():
        src = {"Bucket": bucket, "Key": special_key, "Region": region}
        r = cos.copy_object(Bucket=bucket, Key="copies/copy 1.txt", CopySource=src)
        check("ETag" in r, "copy answered an ETag: %r" % r)
        got = read_body(cos.get_object(Bucket=bucket, Key="copies/copy 1.txt"))
        check(got == objects[special_key], "copied bytes differ")
        h = lower_keys(cos.head_object(Bucket=bucket, Key="copies/copy 1.txt"))
        check(h.get("x-cos-meta-origin") == "python-sdk", "Copy keeps metadata: %r" % h.get("x-cos-meta-origin"))
        r = cos.copy_object(Bucket=bucket, Key="copies/replaced.txt",
                            CopySource={"Bucket": bucket, "Key": "hello.txt", "Region": region},
                            CopyStatus="Replaced", ContentType="application/x-replaced",
                            Metadata={"x-cos-meta-origin": "replaced"})
        h = lower_keys(cos.head_object(Bucket=bucket, Key="copies/replaced.txt"))
        check(h.get("x-cos-meta-origin") == "replaced", "Replaced metadata: %r" % h.get("x-cos-meta-origin"))
        check(h.get("content-type") == "application/x-replaced", "Replaced Content-Type: %r" % h.get("content-type"))
        check(int(h["content-length"]) == len(small), "Replaced copy length")

    step("copy_object", copy_object)

    def delete_objects():
        keys = ["copies/copy 1.txt", "copies/replaced.txt", "dir/a.txt", "never/existed.txt"]
        r = cos.delete_objects(Bucket=bucket, Delete={"Quiet": "false", "Object": [{"Key": k} for k in keys]})
        deleted = sorted(d["Key"] for d in r.get("Deleted", []))
        check(deleted == sorted(keys), "Deleted %r (Error %r)" % (deleted, r.get("Error")))
        check(not r.get("Error"), "Error entries %r" % r.get("Error"))
        left = sorted(c["Key"] for c in cos.list_objects(Bucket=bucket).get("Contents", []))
        check(left == sorted(["hello.txt", special_key, "dir/sub/x.txt", "other.txt"]), "left %r" % left)

    step("delete_objects", delete_objects)

    def delete_object():
        cos.delete_object(Bucket=bucket, Key="other.txt")
        cos.delete_object(Bucket=bucket, Key=special_key)
        check(not cos.object_exists(Bucket=bucket, Key="other.txt"), "other.txt still exists")
        check(not cos.object_exists(Bucket=bucket, Key=special_key), "special key still exists")

    step("delete_object", delete_object, expect_http_errors=True)

    big_path = os.path.join(workdir, "big.bin")
    big_size = int(cfg["big_size"])
    big = random.Random(20261121).randbytes(big_size)
    with open(big_path, "wb") as f:
        f.write(big)

    def upload_file():
        r = cos.upload_file(Bucket=bucket, Key="big/big file.bin", LocalFilePath=big_path,
                            PartSize=int(cfg["part_size_mb"]), MAXThread=int(cfg["threads"]),
                            EnableMD5=True)
        check("ETag" in r, "complete answered an ETag: %r" % r)
        h = lower_keys(cos.head_object(Bucket=bucket, Key="big/big file.bin"))
        check(int(h["content-length"]) == big_size, "uploaded Content-Length %r" % h.get("content-length"))
        check(h.get("x-cos-hash-crc64ecma") == str(CRC64(big)),
              "x-cos-hash-crc64ecma %r, want %s" % (h.get("x-cos-hash-crc64ecma"), CRC64(big)))
        return "ETag %s" % r["ETag"]

    step("upload_file_multipart", upload_file)

    def download_file():
        dest = os.path.join(workdir, "big.down")
        cos.download_file(Bucket=bucket, Key="big/big file.bin", DestFilePath=dest,
                          PartSize=int(cfg["part_size_mb"]), MAXThread=int(cfg["threads"]),
                          EnableCRC=True, DumpRecordDir=workdir)
        with open(dest, "rb") as f:
            got = f.read()
        check(got == big, "downloaded %d bytes that differ from the %d uploaded" % (len(got), len(big)))
        got = read_body(cos.get_object(Bucket=bucket, Key="big/big file.bin"))
        check(got == big, "get_object of the multipart object differs")

    step("download_file_ranged", download_file)

    def multipart_low_level():
        key = u"mp/低层 parts.bin"
        up = cos.create_multipart_upload(Bucket=bucket, Key=key, ContentType="application/x-parts")
        upload_id = up["UploadId"]
        check(up.get("Key") == key, "Initiate answered Key %r" % up.get("Key"))
        p1 = b"1" * (1024 * 1024)
        p2 = b"2" * 100
        e1 = lower_keys(cos.upload_part(Bucket=bucket, Key=key, Body=p1, PartNumber=1, UploadId=upload_id,
                                        EnableMD5=True))["etag"]
        e2 = lower_keys(cos.upload_part(Bucket=bucket, Key=key, Body=p2, PartNumber=2, UploadId=upload_id))["etag"]
        check(e1 == '"%s"' % hashlib.md5(p1).hexdigest(), "part 1 ETag %r" % e1)
        parts = cos.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)
        listed = [(int(p["PartNumber"]), p["ETag"], int(p["Size"])) for p in parts.get("Part", [])]
        check(listed == [(1, e1, len(p1)), (2, e2, len(p2))], "List Parts %r" % listed)
        ups = cos.list_multipart_uploads(Bucket=bucket, Prefix="mp/")
        ids = [(u["Key"], u["UploadId"]) for u in ups.get("Upload", [])]
        check(ids == [(key, upload_id)], "List Multipart Uploads %r" % ids)
        cos.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        try:
            cos.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)
        except CosServiceError as e:
            check(e.get_status_code() == 404, "List Parts after abort: status %r" % e.get_status_code())
            check(e.get_error_code() == "NoSuchUpload", "List Parts after abort: code %r" % e.get_error_code())
        else:
            raise Failure("List Parts of an aborted upload succeeded")
        check(not cos.list_multipart_uploads(Bucket=bucket, Prefix="mp/").get("Upload"), "upload still listed")
        check(not cos.object_exists(Bucket=bucket, Key=key), "an aborted upload left an object")

    step("multipart_low_level_abort", multipart_low_level, expect_http_errors=True)

    def temporary_credentials():
        tmp = client(cfg["tmp_secret_id"], cfg["tmp_secret_key"], cfg["token"])
        tmp.put_object(Bucket=bucket, Key="tmp/with token.txt", Body=b"token")
        got = read_body(tmp.get_object(Bucket=bucket, Key="tmp/with token.txt"))
        check(got == b"token", "get with temporary credentials")
        tmp.delete_object(Bucket=bucket, Key="tmp/with token.txt")

    step("temporary_credentials_token", temporary_credentials)

    def wrong_secret_key():
        bad = client(cfg["secret_id"], cfg["secret_key"] + "x")
        try:
            bad.head_object(Bucket=bucket, Key="hello.txt")
        except CosServiceError as e:
            check(e.get_status_code() == 403, "HEAD status %r" % e.get_status_code())
        else:
            raise Failure("a wrong SecretKey was accepted (HEAD)")
        try:
            bad.get_object(Bucket=bucket, Key="hello.txt")
        except CosServiceError as e:
            check(e.get_status_code() == 403, "status %r" % e.get_status_code())
            check(e.get_error_code() == "SignatureDoesNotMatch", "code %r" % e.get_error_code())
        else:
            raise Failure("a wrong SecretKey was accepted (GET)")

    step("wrong_secret_key_403", wrong_secret_key, expect_http_errors=True)

    def temporary_without_token():
        no_token = client(cfg["tmp_secret_id"], cfg["tmp_secret_key"])
        try:
            no_token.get_object(Bucket=bucket, Key="hello.txt")
        except CosServiceError as e:
            check(e.get_status_code() == 403, "status %r" % e.get_status_code())
        else:
            raise Failure("a temporary key without its security token was accepted")
        wrong = client(cfg["tmp_secret_id"], cfg["tmp_secret_key"], cfg["token"] + "x")
        try:
            wrong.get_object(Bucket=bucket, Key="hello.txt")
        except CosServiceError as e:
            check(e.get_status_code() == 403, "wrong token: status %r" % e.get_status_code())
        else:
            raise Failure("a temporary key with a wrong security token was accepted")

    step("temporary_without_token_403", temporary_without_token, expect_http_errors=True)

    def cleanup_and_buckets():
        left = [c["Key"] for c in cos.list_objects(Bucket=bucket).get("Contents", [])]
        if left:
            cos.delete_objects(Bucket=bucket, Delete={"Quiet": "true", "Object": [{"Key": k} for k in left]})
        check(not cos.list_objects(Bucket=bucket).get("Contents"), "bucket is empty")
        cos.create_bucket(Bucket=scratch)
        cos.head_bucket(Bucket=scratch)
        cos.delete_bucket(Bucket=scratch)
        check(not cos.bucket_exists(Bucket=scratch), "scratch bucket still exists")

    step("cleanup+delete_bucket", cleanup_and_buckets, expect_http_errors=True)


if __name__ == "__main__":
    main()
