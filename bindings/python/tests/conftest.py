"""Fixtures: a qcos-server on 127.0.0.1 and a client with a fresh bucket per test.

The server comes from one of:
- ``QCOS_TEST_ENDPOINT`` (e.g. ``http://127.0.0.1:40123``): a server someone else
  started; ``tests/bindings_python.rs`` starts one in-process and sets it;
- otherwise the ``qcos-server`` binary (``QCOS_SERVER_BIN``, default
  ``<repo>/target/debug/qcos-server``, built with ``cargo build -p qcos-server``),
  launched here on a free loopback port with a temporary data directory.
"""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator

import pytest

import qcos

REPO = Path(__file__).resolve().parents[3]
REGION = "ap-guangzhou"
SECRET_ID = os.environ.get("QCOS_TEST_SECRET_ID", "AKIDqcosTEST")
SECRET_KEY = os.environ.get("QCOS_TEST_SECRET_KEY", "qcosTESTsecretKEY")

_bucket_numbers = itertools.count(1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_listening(port: int, proc: subprocess.Popen, deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"qcos-server exited with {proc.returncode}: {proc.stderr.read()!r}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("qcos-server did not start listening within 30 s")


@pytest.fixture(scope="session")
def endpoint() -> Iterator[str]:
    given = os.environ.get("QCOS_TEST_ENDPOINT")
    if given:
        yield given
        return
    binary = Path(os.environ.get("QCOS_SERVER_BIN", REPO / "target" / "debug" / "qcos-server"))
    if not binary.is_file():
        raise RuntimeError(
            f"{binary} not found: run `cargo build -p qcos-server`, or set QCOS_SERVER_BIN "
            "or QCOS_TEST_ENDPOINT"
        )
    with tempfile.TemporaryDirectory(prefix="qcos-pytest-") as data:
        port = _free_port()
        proc = subprocess.Popen(
            [
                str(binary),
                "--data-dir",
                data,
                "--listen",
                f"127.0.0.1:{port}",
                "--secret-id",
                SECRET_ID,
                "--region",
                REGION,
            ],
            env={**os.environ, "QCOS_SERVER_SECRET_KEY": SECRET_KEY},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            _wait_listening(port, proc, time.monotonic() + 30)
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def new_bucket_name() -> str:
    return f"py{os.getpid()}-{next(_bucket_numbers)}-1250000000"


def make_client(endpoint: str, bucket: str, **kw) -> qcos.Client:
    kw.setdefault("secret_id", SECRET_ID)
    kw.setdefault("secret_key", SECRET_KEY)
    return qcos.Client(REGION, bucket, endpoint=endpoint, max_retries=0, **kw)


@pytest.fixture
def client(endpoint: str) -> Iterator[qcos.Client]:
    """A client whose bucket was just created; emptied and deleted afterwards."""
    with make_client(endpoint, new_bucket_name()) as c:
        c.create_bucket()
        yield c
        keys = [o.key for o in c.iter_objects()]
        for i in range(0, len(keys), 1000):
            c.delete_objects(keys[i : i + 1000], quiet=True)
        c.delete_bucket()
