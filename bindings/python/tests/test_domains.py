"""Backup-domain switching (``auto_switch_host``) and the GET Service host
(``service_domain``), as ``Client`` keyword options.

The switch is driven end to end through a small loopback proxy in front of the
server: it drops every connection whose first request names a primary
``*.myqcloud.com`` Host and forwards the others, recording the Hosts it saw.
"""

from __future__ import annotations

import socket
import threading
from typing import Iterator, List, Tuple
from urllib.parse import urlparse

import pytest

import qcos
from conftest import REGION, SECRET_ID, SECRET_KEY, new_bucket_name


class HostGate:
    """A TCP proxy on 127.0.0.1 that refuses primary-domain requests."""

    def __init__(self, upstream: str) -> None:
        u = urlparse(upstream)
        self.upstream: Tuple[str, int] = (u.hostname or "127.0.0.1", u.port or 80)
        self.hosts: List[str] = []
        self._lock = threading.Lock()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.endpoint = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._closed = True
        self._sock.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        head = b""
        with conn:
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                head += chunk
            host = ""
            for line in head.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "host":
                    host = value.strip()
            with self._lock:
                self.hosts.append(host)
            if host.endswith(".myqcloud.com"):
                return  # dropped: the client sees a network error
            with socket.create_connection(self.upstream) as up:
                up.sendall(head)

                def pump(src: socket.socket, dst: socket.socket) -> None:
                    try:
                        while True:
                            data = src.recv(65536)
                            if not data:
                                break
                            dst.sendall(data)
                    except OSError:
                        pass
                    finally:
                        try:
                            dst.shutdown(socket.SHUT_WR)
                        except OSError:
                            pass

                t = threading.Thread(target=pump, args=(up, conn), daemon=True)
                t.start()
                pump(conn, up)
                t.join(timeout=30)


@pytest.fixture
def gate(endpoint: str) -> Iterator[HostGate]:
    g = HostGate(endpoint)
    yield g
    g.close()


def _client(endpoint: str, bucket: str, **kw) -> qcos.Client:
    kw.setdefault("max_retries", 1)
    kw.setdefault("retry_base_delay_ms", 5)
    return qcos.Client(
        REGION, bucket, secret_id=SECRET_ID, secret_key=SECRET_KEY, endpoint=endpoint, **kw
    )


def test_a_dropped_primary_request_is_retried_on_the_backup_host(
    endpoint: str, gate: HostGate
) -> None:
    bucket = new_bucket_name()
    with _client(endpoint, bucket) as direct:
        direct.create_bucket()
        direct.put_object("obj", b"via the backup host")
        try:
            with _client(gate.endpoint, bucket) as c:
                assert c.get_object("obj") == b"via the backup host"
            assert gate.hosts == [
                f"{bucket}.cos.{REGION}.myqcloud.com",
                f"{bucket}.cos.{REGION}.tencentcos.cn",
            ]

            # Switching off: both attempts go to the primary host and fail.
            del gate.hosts[:]
            with _client(gate.endpoint, bucket, auto_switch_host=False) as c:
                with pytest.raises(qcos.NetworkError):
                    c.get_object("obj")
            assert gate.hosts == [f"{bucket}.cos.{REGION}.myqcloud.com"] * 2
        finally:
            direct.delete_object("obj")
            direct.delete_bucket()


def test_service_domain_lists_buckets(client: qcos.Client, endpoint: str) -> None:
    with _client(endpoint, client.bucket, service_domain="cos.{Region}.tencentcos.cn") as c:
        assert client.bucket in [b.name for b in c.list_buckets()]
    with _client(endpoint, "", service_domain="service.cos.tencentcos.cn") as c:
        assert client.bucket in [b.name for b in c.list_buckets()]


@pytest.mark.parametrize(
    "value, why",
    [
        ("https://service.cos.myqcloud.com", "scheme"),
        ("service.cos.myqcloud.com/list", "path"),
        ("service.cos.myqcloud.com\r\nX: 1", "control"),
        ("{Bucket}.cos.myqcloud.com", "placeholder"),
        ("", "empty"),
    ],
)
def test_bad_service_domains_are_refused(endpoint: str, value: str, why: str) -> None:
    with pytest.raises(qcos.InvalidArgumentError) as e:
        _client(endpoint, "", service_domain=value)
    assert "service_domain" in str(e.value) and why in str(e.value)


def test_auto_switch_host_takes_a_bool(endpoint: str) -> None:
    with _client(endpoint, "", auto_switch_host=True) as c:
        assert isinstance(c.list_buckets(), list)
    with _client(endpoint, "", auto_switch_host=False) as c:
        assert isinstance(c.list_buckets(), list)
