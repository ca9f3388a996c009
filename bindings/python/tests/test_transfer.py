"""Transfers (multipart, resumable, CRC-64 checked) and the task queue, through the
Python binding against qcos-server."""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import pytest

import qcos
from conftest import make_client

MiB = 1 << 20
DATA = os.urandom(3 * MiB + 12345)  # four 1 MiB parts


@pytest.fixture
def small_parts(client: qcos.Client, endpoint: str):
    """A client on the same bucket that goes multipart above 1 MiB."""
    with make_client(
        endpoint,
        client.bucket,
        slice_size=MiB,
        chunk_size=MiB,
        chunk_parallel_limit=2,
        copy_slice_size=MiB,
        copy_chunk_size=MiB,
        progress_interval_ms=0,
    ) as c:
        yield c


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    p = tmp_path / "big.bin"
    p.write_bytes(DATA)
    return p


def test_upload_and_download_file(small_parts: qcos.Client, big_file: Path, tmp_path: Path) -> None:
    seen = []
    r = small_parts.upload_file("big", big_file, progress=lambda d, t: seen.append((d, t)), content_type="application/x-big")
    assert r.parts == 4 and r.upload_id and r.size == len(DATA)
    assert r.crc64_verified and r.crc64 == small_parts.head_object("big").crc64
    assert seen[-1] == (len(DATA), len(DATA))
    assert small_parts.head_object("big").content_type == "application/x-big"

    dst = tmp_path / "down.bin"
    got = []
    d = small_parts.download_file("big", dst, progress=lambda a, b: got.append(a))
    assert dst.read_bytes() == DATA
    assert d.crc64_verified and d.size == len(DATA) and got[-1] == len(DATA)

    buf = bytearray(len(DATA))
    assert small_parts.download_into("big", buf, parallel=3) == len(DATA)
    assert bytes(buf) == DATA
    with pytest.raises(qcos.BufferTooSmallError) as e:
        small_parts.download_into("big", bytearray(10))
    assert e.value.needed == len(DATA)

    small = tmp_path / "small.txt"
    small.write_bytes(b"tiny")
    r = small_parts.upload_file("tiny", small)
    assert r.parts == 0 and r.upload_id == "" and small_parts.get_object("tiny") == b"tiny"


def test_cancel_then_resume(small_parts: qcos.Client, big_file: Path) -> None:
    with pytest.raises(qcos.CancelledError):
        small_parts.upload_file("resumable", big_file, progress=lambda d, t: False if d > 0 else None, parallel=1)
    r = small_parts.upload_file("resumable", big_file)
    assert small_parts.get_object("resumable") == DATA
    # How many parts the cancelled attempt kept depends on timing.
    assert r.parts == 4 and r.resumed_parts <= r.parts

    def boom(d: int, t: int) -> None:
        raise ArithmeticError("progress exploded")

    with pytest.raises(ArithmeticError, match="progress exploded"):
        small_parts.upload_file("x", big_file, progress=boom, on_cancel="abort")
    with pytest.raises(qcos.InvalidArgumentError):
        small_parts.upload_file("x", big_file, on_cancel="shred")
    with pytest.raises(qcos.LocalIOError):
        small_parts.upload_file("x", big_file.with_name("missing"))


def test_upload_fileobj(small_parts: qcos.Client) -> None:
    r = small_parts.upload_fileobj("sized", io.BytesIO(DATA), content_length=len(DATA))
    assert r.parts == 4 and small_parts.get_object("sized") == DATA
    r = small_parts.upload_fileobj("stream", io.BytesIO(DATA))
    assert r.parts >= 1 and small_parts.get_object("stream") == DATA

    class Failing(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, b) -> int:  # type: ignore[override]
            raise PermissionError("no reading today")

    with pytest.raises(PermissionError):
        small_parts.upload_fileobj("never", Failing())


def test_multipart_copy(small_parts: qcos.Client) -> None:
    small_parts.put_object("src", DATA, metadata={"k": "v"})
    r = small_parts.copy("dst", "src", progress=lambda d, t: None)
    assert r.parts == 4 and small_parts.get_object("dst") == DATA
    r = small_parts.copy("dst2", "src", metadata_directive="Replaced", metadata={"k": "new"})
    assert small_parts.head_object("dst2").metadata == {"k": "new"}


def test_queue(small_parts: qcos.Client, tmp_path: Path) -> None:
    files = []
    for i in range(3):
        p = tmp_path / f"q{i}.bin"
        p.write_bytes(DATA[: MiB + i * 1000])
        files.append(p)
    with qcos.Queue(small_parts) as q:
        tasks = [q.upload(f"queue/{p.name}", p) for p in files]
        for t in tasks:
            assert q.wait(t, timeout=120) == qcos.TaskState.SUCCEEDED
        info = q.task_info(tasks[0])
        assert info.is_upload and info.state == qcos.TaskState.SUCCEEDED
        assert info.key == "queue/q0.bin" and info.size == MiB and info.crc64_verified and info.error is None
        states = [e for e in q.events(timeout=0.2) if e.kind == "state"]
        assert {e.task for e in states if e.state == qcos.TaskState.SUCCEEDED} == set(tasks)

        dl = q.download("queue/q2.bin", tmp_path / "back.bin")
        assert q.wait(dl) == qcos.TaskState.SUCCEEDED
        assert (tmp_path / "back.bin").read_bytes() == files[2].read_bytes()
        assert not q.task_info(dl).is_upload

        missing = q.download("queue/none", tmp_path / "none.bin")
        assert q.wait(missing) == qcos.TaskState.FAILED
        err = q.task_info(missing).error
        assert isinstance(err, qcos.ServiceError) and err.http_status == 404

        with pytest.raises(qcos.InvalidStateError):
            q.pause(tasks[0])
        with pytest.raises(qcos.NotFoundError):
            q.cancel(987654321)
        assert qcos.Queue.state_name(qcos.TaskState.PAUSED)


def test_queue_event_callback(small_parts: qcos.Client, tmp_path: Path) -> None:
    p = tmp_path / "cb.bin"
    p.write_bytes(DATA[: 2 * MiB])
    seen = []
    done = threading.Event()

    def on_event(ev: qcos.QueueEvent) -> None:
        seen.append(ev)
        if ev.kind == "state" and ev.state == qcos.TaskState.SUCCEEDED:
            done.set()
        raise RuntimeError("callbacks may fail")  # kept, never reaches C

    with qcos.Queue(small_parts) as q:
        q.set_event_callback(on_event)
        t = q.upload("cb", p)
        assert q.wait(t, timeout=120) == qcos.TaskState.SUCCEEDED
        assert done.wait(30)
        with pytest.raises(qcos.InvalidStateError):
            q.next_event()  # the callback receives the events
        q.set_event_callback(None)
    assert any(e.task == t for e in seen)
    assert q.callback_errors and isinstance(q.callback_errors[0], RuntimeError)
    with pytest.raises(ValueError, match="closed"):
        q.upload("x", p)


def _until_state(q: qcos.Queue, task: int, wanted: set) -> qcos.TaskState:
    """Read events until ``task`` enters one of ``wanted``; return that state."""
    for e in q.events(timeout=60):
        if e.task == task and e.kind == "state" and e.state in wanted:
            return e.state
    raise AssertionError(f"task {task} never reached {wanted}")


def test_queue_copy(small_parts: qcos.Client) -> None:
    small_parts.put_object("csrc", DATA)
    small_parts.put_object("csmall", b"x" * 1000, metadata={"k": "v"})
    with qcos.Queue(small_parts) as q:
        # Multipart (1 MiB parts) and single copies, as tasks.
        big = q.copy("cdst", "csrc")
        small = q.copy("cdst-small", "csmall", metadata_directive="Replaced", metadata={"k": "new"})
        assert q.wait(big, timeout=120) == qcos.TaskState.SUCCEEDED
        assert q.wait(small, timeout=120) == qcos.TaskState.SUCCEEDED
        info = q.task_info(big)
        assert info.is_copy and not info.is_upload and info.path == ""
        assert (info.source_key, info.source_bucket) == ("csrc", small_parts.bucket)
        assert info.source_region == small_parts.region and info.source_version_id == ""
        assert info.size == len(DATA) and info.crc64_verified and info.error is None
        assert info.crc64 == small_parts.head_object("csrc").crc64
        assert small_parts.get_object("cdst") == DATA
        assert small_parts.head_object("cdst-small").metadata == {"k": "new"}
        assert q.task_info(small).is_copy and q.task_info(small).size == 1000

        # Pause then resume: the copy ends with the source's bytes. (On loopback it may
        # finish before the pause lands; then pausing is refused.)
        t = q.copy("cpaused", "csrc", part_size=MiB, parallel=1)
        try:
            q.pause(t)
        except qcos.InvalidStateError:
            pass
        if _until_state(q, t, {qcos.TaskState.PAUSED, qcos.TaskState.SUCCEEDED}) == qcos.TaskState.PAUSED:
            paused = q.task_info(t)
            assert paused.state == qcos.TaskState.PAUSED
            # The multipart copy it keeps (none if it paused before starting one) is
            # named, and is the one the bucket lists.
            listed = [u.upload_id for u in small_parts.list_multipart_uploads("cpaused")]
            assert listed == ([paused.upload_id] if paused.upload_id else [])
            q.resume(t)
        assert q.wait(t, timeout=120) == qcos.TaskState.SUCCEEDED
        assert small_parts.get_object("cpaused") == DATA

        # A missing source: the task fails with the service's error.
        missing = q.copy("cmissing", "no-such-source")
        assert q.wait(missing, timeout=120) == qcos.TaskState.FAILED
        err = q.task_info(missing).error
        assert isinstance(err, qcos.ServiceError) and err.http_status == 404
        q.cancel(missing)  # nothing to abort
        assert q.task_info(missing).state == qcos.TaskState.CANCELLED

        # Bad arguments are refused at once, naming what is wrong.
        with pytest.raises(qcos.InvalidArgumentError):
            q.copy("", "csrc")
        with pytest.raises(qcos.InvalidArgumentError, match="src_bucket"):
            q.copy("cx", "csrc", source_bucket="Bad_Bucket")
        with pytest.raises(qcos.InvalidArgumentError):
            q.copy("cx", "csrc", metadata_directive="Sometimes")
