"""Presigned URLs and Authorization strings from the official COS Python SDK, and an
independent check of our POST Object policies, for tests/interop_presign.rs.

Input (stdin): a JSON object
  {"urls":  [case, ...],   -> CosS3Client.get_presigned_url(...)
   "auths": [case, ...],   -> CosS3Client.get_auth(...)
   "policies": [policy, ...]}
where a case is
  {"id", "method", "bucket", "region", "key", "params": [[n, v], ...],
   "headers": [[n, v], ...], "secret_id", "secret_key", "token": str|null,
   "now": int, "expire": int, "scheme": "http"|"https", "domain": str|null}
and a policy is
  {"id", "fields": [[n, v], ...] (our form fields, in order), "secret_key",
   "expect": {"expiration": str, "conditions": [...]}}  (the conditions we meant, as JSON)

Output (stdout), one tab-separated line per case:
  url    <id> <the SDK's URL>
  auth   <id> <the SDK's Authorization>
  policy <id> ok | <what is wrong>

The SDK's clock is pinned by replacing the `time` module cos_auth uses with one whose
time() returns `now`; the SDK then signs KeyTime = "{now-60};{now+expire}". The policy
check uses only the standard library: Base64-decode the `policy` field, parse it with
`json`, compare with what was meant, and recompute q-signature by the documented rule
(HMAC-SHA1(HMAC-SHA1(SecretKey, KeyTime) hex, SHA1(policy) hex)).
"""

import base64
import hashlib
import hmac
import json
import sys
import types

from qcloud_cos import CosConfig, CosS3Client
from qcloud_cos import cos_auth


def client_for(c):
    now = int(c["now"])
    cos_auth.time = types.SimpleNamespace(time=lambda now=now: float(now))
    kw = dict(
        Region=c["region"],
        SecretId=c["secret_id"],
        SecretKey=c["secret_key"],
        Scheme=c["scheme"],
    )
    if c.get("token") is not None:
        kw["Token"] = c["token"]
    if c.get("domain") is not None:
        kw["Domain"] = c["domain"]
    return CosS3Client(CosConfig(**kw))


def pairs(c, name):
    d = {}
    for k, v in c[name]:
        d[k] = v
    return d


def check_policy(p):
    fields = p["fields"]
    get = dict(fields)
    problems = []
    names = [k for k, _ in fields]
    if len(set(names)) != len(names):
        problems.append("duplicate form fields %r" % names)
    raw = base64.b64decode(get["policy"], validate=True)
    if base64.b64encode(raw).decode("ascii") != get["policy"]:
        problems.append("policy is not canonical standard Base64")
    doc = json.loads(raw.decode("utf-8"))
    if doc != p["expect"]:
        problems.append("policy decodes to %s, expected %s"
                        % (json.dumps(doc, ensure_ascii=True), json.dumps(p["expect"], ensure_ascii=True)))
    kt = get["q-key-time"]
    sign_key = hmac.new(p["secret_key"].encode(), kt.encode(), hashlib.sha1).hexdigest()
    sig = hmac.new(sign_key.encode(), hashlib.sha1(raw).hexdigest().encode(), hashlib.sha1).hexdigest()
    if sig != get["q-signature"]:
        problems.append("q-signature %s != recomputed %s" % (get["q-signature"], sig))
    # Every exact condition except bucket names a form field with that value.
    for cond in doc["conditions"]:
        if isinstance(cond, dict):
            (k, v), = cond.items()
            if k == "bucket":
                continue
            if k == "q-sign-time":
                k = "q-key-time"
            if get.get(k) != v:
                problems.append("condition %s=%r but form field is %r" % (k, v, get.get(k)))
        elif cond[0] == "starts-with":
            field = cond[1][1:]
            if field in get and not get[field].startswith(cond[2]):
                problems.append("form field %s=%r does not start with %r" % (field, get[field], cond[2]))
    if p["secret_key"] in raw.decode("utf-8") or any(p["secret_key"] in v for _, v in fields):
        problems.append("the SecretKey appears in the form")
    return "ok" if not problems else "; ".join(problems)


def main():
    data = json.load(sys.stdin)
    out = []
    for c in data.get("urls", []):
        client = client_for(c)
        url = client.get_presigned_url(
            Bucket=c["bucket"], Key=c["key"] or None, Method=c["method"], Expired=int(c["expire"]),
            Params=pairs(c, "params"), Headers=pairs(c, "headers"))
        out.append("\t".join(["url", c["id"], url]))
    for c in data.get("auths", []):
        client = client_for(c)
        auth = client.get_auth(
            Method=c["method"], Bucket=c["bucket"], Key=c["key"] or None, Expired=int(c["expire"]),
            Headers=pairs(c, "headers"), Params=pairs(c, "params"))
        out.append("\t".join(["auth", c["id"], auth]))
    for p in data.get("policies", []):
        out.append("\t".join(["policy", p["id"], check_policy(p)]))
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
