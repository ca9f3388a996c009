"""qcos Python quickstart: upload an object, list the bucket, download and check it,
delete it.

Configuration comes from the environment (qcos.Client.from_env): COS_REGION,
COS_BUCKET, COS_SECRET_ID, COS_SECRET_KEY (required), COS_SECURITY_TOKEN,
COS_ENDPOINT (e.g. http://127.0.0.1:9000 for a local qcos-server).

Run: pip install ./bindings/python && python examples/python/quickstart.py
"""

import sys

import qcos


def main() -> int:
    print("qcos", qcos.library_version())
    key = "quickstart/hello-python.txt"
    text = b"Hello from the qcos Python binding!\n"
    try:
        with qcos.Client.from_env(max_retries=2) as cos:
            # 1. Upload, with a content type and one metadata entry.
            put = cos.put_object(key, text, content_type="text/plain", metadata={"example": "quickstart-python"})
            print(f"uploaded {key} ({len(text)} bytes, ETag {put.etag})")

            # 2. List the objects under "quickstart/", page after page.
            for obj in cos.iter_objects(prefix="quickstart/"):
                print(f"listed {obj.key} ({obj.size} bytes)")

            # 3. Download and check the bytes and the metadata.
            body, info = cos.get_object_with_info(key)
            if body != text or info.metadata.get("example") != "quickstart-python":
                print("downloaded object differs from the uploaded one", file=sys.stderr)
                return 1
            print(f"downloaded {len(body)} bytes: verified")

            # 4. Delete it; a second download now fails with COS's NoSuchKey.
            cos.delete_object(key)
            print(f"deleted {key}")
            try:
                cos.get_object(key)
                print("the object is still there", file=sys.stderr)
                return 1
            except qcos.ServiceError as e:
                print(f"as expected: HTTP {e.http_status} {e.code}")
        return 0
    except qcos.QcosError as e:
        print(f"qcos error: {e}", file=sys.stderr)
        if e.request_id:
            print(f"  RequestId {e.request_id}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
