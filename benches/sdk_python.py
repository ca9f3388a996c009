"""Reference client for benches/transfer.rs: the official COS Python SDK
(cos-python-sdk-v5) uploading or downloading one file with its high-level
upload_file / download_file, pointed at qcos-server on loopback.

usage: sdk_python.py upload|download PORT BUCKET REGION KEY PATH PART_MB THREADS
Credentials come from QCOS_BENCH_SECRET_ID / QCOS_BENCH_SECRET_KEY.
Prints `elapsed=SECONDS` (the transfer call only, not interpreter start-up).
"""
import os
import sys
import time

from qcloud_cos import CosConfig, CosS3Client


def main():
    if len(sys.argv) != 9:
        sys.exit(__doc__)
    op, port, bucket, region, key, path, part_mb, threads = sys.argv[1:]
    conf = CosConfig(
        Region=region,
        SecretId=os.environ["QCOS_BENCH_SECRET_ID"],
        SecretKey=os.environ["QCOS_BENCH_SECRET_KEY"],
        IP="127.0.0.1",
        Port=int(port),
        Scheme="http",
    )
    client = CosS3Client(conf)
    start = time.perf_counter()
    if op == "upload":
        client.upload_file(Bucket=bucket, Key=key, LocalFilePath=path,
                           PartSize=int(part_mb), MAXThread=int(threads))
    elif op == "download":
        client.download_file(Bucket=bucket, Key=key, DestFilePath=path,
                             PartSize=int(part_mb), MAXThread=int(threads))
    else:
        sys.exit("unknown operation %r" % op)
    print("elapsed=%.6f" % (time.perf_counter() - start))


if __name__ == "__main__":
    main()
