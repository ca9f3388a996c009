"""Queued uploads from a file object (``Queue.upload_fileobj``) through the Python
binding against qcos-server: known and unknown lengths in parts, pause and resume
refused, cancel aborting the multipart upload, an exception in the file object
cancelling its task, and the file object released once the task ended."""

from __future__ import annotations

import gc
import io
import os
import threading
import weakref

import pytest

import qcos
from conftest import make_client

MiB = 1 << 20
DATA = os.urandom(3 * MiB + 4321)


@pytest.fixture
def small_parts(client: qcos.Client, endpoint: str):
    with make_client(
        endpoint,
        client.bucket,
        slice_size=MiB,
        chunk_size=MiB,
        chunk_parallel_limit=2,
        progress_interval_ms=0,
    ) as c:
        yield c


class ReadOnly:
    """A stream with ``read`` only (no ``readinto``, no length), handing out odd sizes;
    remembers which threads read it."""

    def __init__(self, data: bytes, step: int = 7777) -> None:
        self.data = data
        self.pos = 0
        self.step = step
        self.threads: set = set()

    def read(self, n: int) -> bytes:
        self.threads.add(threading.get_ident())
        n = min(n, self.step)
        out = self.data[self.pos : self.pos + n]
        self.pos += len(out)
        return out


class Gated(ReadOnly):
    """Hands out `before` bytes, then blocks until `gate` is set."""

    def __init__(self, data: bytes, before: int) -> None:
        super().__init__(data, step=64 * 1024)
        self.before = before
        self.gate = threading.Event()
        self.reached = threading.Event()

    def read(self, n: int) -> bytes:
        if self.pos >= self.before:
            self.reached.set()
            assert self.gate.wait(60)
        return super().read(n)


def test_known_and_unknown_length(small_parts: qcos.Client, tmp_path) -> None:
    stream = ReadOnly(DATA)
    f = tmp_path / "f.bin"
    f.write_bytes(b"file")
    with qcos.Queue(small_parts) as q:
        known = q.upload_fileobj("qs/known.bin", io.BytesIO(DATA), content_length=len(DATA), content_type="x/known")
        unknown = q.upload_fileobj("qs/unknown.bin", stream)
        small = q.upload_fileobj("qs/small.bin", io.BytesIO(b"tiny"))
        for t in (known, unknown, small):
            assert q.wait(t, timeout=120) == qcos.TaskState.SUCCEEDED, q.task_info(t)
        info = q.task_info(known)
        assert info.is_stream and info.is_upload and not info.is_copy and info.path == ""
        assert info.size == len(DATA) and info.total == len(DATA) and info.crc64_verified
        assert info.crc64 == small_parts.head_object("qs/known.bin").crc64
        assert small_parts.head_object("qs/known.bin").content_type == "x/known"
        info = q.task_info(unknown)
        assert info.is_stream and info.size == len(DATA)
        assert info.crc64 == small_parts.head_object("qs/unknown.bin").crc64
        # Read on a queue worker, not on this thread.
        assert stream.threads and threading.get_ident() not in stream.threads
        assert q.task_info(small).is_stream
        # File uploads are not streams.
        ft = q.upload("qs/file.bin", f)
        assert q.wait(ft, timeout=120) == qcos.TaskState.SUCCEEDED
        assert not q.task_info(ft).is_stream and q.task_info(ft).path == str(f)
    assert small_parts.get_object("qs/known.bin") == DATA
    assert small_parts.get_object("qs/unknown.bin") == DATA
    assert small_parts.get_object("qs/small.bin") == b"tiny"
    assert small_parts.list_multipart_uploads("qs/") == []


def test_pause_refused_cancel_aborts_and_releases(small_parts: qcos.Client) -> None:
    gated = Gated(DATA * 2, before=MiB + MiB // 2)
    ref = weakref.ref(gated)
    with qcos.Queue(small_parts) as q:
        t = q.upload_fileobj("qc/gated.bin", gated)
        assert gated.reached.wait(60)
        assert q.task_info(t).state in (qcos.TaskState.CHECKING, qcos.TaskState.RUNNING)
        with pytest.raises(qcos.InvalidStateError, match="cannot be paused"):
            q.pause(t)
        q.cancel(t)
        gated.gate.set()
        assert q.wait(t, timeout=120) == qcos.TaskState.CANCELLED
        info = q.task_info(t)
        assert info.error is None and info.upload_id == ""
        assert small_parts.list_multipart_uploads("qc/") == []
        with pytest.raises(qcos.InvalidStateError):
            q.resume(t)
        # The queue let go of the file object once the task ended.
        del gated
        gc.collect()
        assert ref() is None


def test_fileobj_error_cancels_and_short_length_fails(small_parts: qcos.Client) -> None:
    class Broken:
        def __init__(self) -> None:
            self.pos = 0

        def read(self, n: int) -> bytes:
            if self.pos >= 2 * MiB:
                raise OSError("the tape drive caught fire")
            self.pos += min(n, 65536)
            return b"x" * min(n, 65536)

    with qcos.Queue(small_parts) as q:
        t = q.upload_fileobj("qe/broken.bin", Broken())
        assert q.wait(t, timeout=120) == qcos.TaskState.CANCELLED
        assert any("tape drive" in str(e) for e in q.callback_errors)
        assert small_parts.list_multipart_uploads("qe/") == []

        short = q.upload_fileobj("qe/short.bin", io.BytesIO(DATA[: 2 * MiB]), content_length=3 * MiB)
        assert q.wait(short, timeout=120) == qcos.TaskState.FAILED
        err = q.task_info(short).error
        assert isinstance(err, qcos.InvalidStateError) and "declared" in str(err)
        with pytest.raises(qcos.InvalidStateError, match="cannot be resumed"):
            q.resume(short)
        assert small_parts.list_multipart_uploads("qe/") == []

        with pytest.raises(qcos.InvalidArgumentError, match="content_length"):
            q.upload_fileobj("qe/neg.bin", io.BytesIO(b""), content_length=-1)
        with pytest.raises(qcos.InvalidArgumentError, match="key"):
            q.upload_fileobj("", io.BytesIO(b"x"))
    with pytest.raises(ValueError, match="closed"):
        q.upload_fileobj("qe/late.bin", io.BytesIO(b"x"))
