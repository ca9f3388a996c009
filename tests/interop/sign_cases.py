"""Compute Authorization strings with the official COS Python SDK's signer.

Input (stdin): a JSON list of cases, each
  {"id": str, "method": str, "bucket": str, "region": str, "key": str,
   "params": [[name, value], ...], "headers": [[name, value], ...],
   "secret_id": str, "secret_key": str, "now": int, "expire": int}
Output (stdout): one line per case, tab-separated:
  id, the Authorization the SDK sets, the SDK's canonical "format str" as a JSON string.

The request is given to qcloud_cos.cos_auth.CosS3Auth exactly as the SDK's client does
(CosS3Auth(conf, Key, params=Params, expire=...) called on a requests.PreparedRequest
whose URL is built by CosConfig.uri and whose headers are a requests
CaseInsensitiveDict). The sign time is pinned by replacing the `time` module that
cos_auth uses with one whose time() returns `now`; the SDK then signs
KeyTime = "{now-60};{now+expire}". Only the standard library and the SDK (with its
own dependency, requests) are used.
"""

import json
import logging
import sys
import types

from requests import PreparedRequest
from requests.structures import CaseInsensitiveDict

from qcloud_cos import CosConfig
from qcloud_cos import cos_auth
from qcloud_cos.cos_auth import CosS3Auth


class FormatStrCapture(logging.Handler):
    """Keeps the SDK's debug line "format str: ..." (its canonical request)."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.last = None

    def emit(self, record):
        msg = record.getMessage()
        if msg.startswith("format str: "):
            self.last = msg[len("format str: "):]


def main():
    cases = json.load(sys.stdin)
    capture = FormatStrCapture()
    log = logging.getLogger(cos_auth.__name__)
    log.setLevel(logging.DEBUG)
    log.addHandler(capture)
    log.propagate = False

    for c in cases:
        now = int(c["now"])
        cos_auth.time = types.SimpleNamespace(time=lambda now=now: float(now))
        conf = CosConfig(Region=c["region"], SecretId=c["secret_id"], SecretKey=c["secret_key"])
        key = c["key"]
        url = conf.uri(bucket=c["bucket"], path=key if key else None)

        req = PreparedRequest()
        req.method = c["method"]
        req.url = url
        req.headers = CaseInsensitiveDict()
        for name, value in c["headers"]:
            req.headers[name] = value
        params = {}
        for name, value in c["params"]:
            params[name] = value

        capture.last = None
        auth = CosS3Auth(conf, key, params=params, expire=int(c["expire"]))
        auth(req)
        line = "\t".join([c["id"], req.headers["Authorization"], json.dumps(capture.last)])
        sys.stdout.write(line + "\n")


if __name__ == "__main__":
    main()
