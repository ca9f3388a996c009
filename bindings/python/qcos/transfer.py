"""Transfers (multipart, parallel, resumable, CRC-64 checked) and the task queue.

Mixed into :class:`qcos.Client`; :class:`Queue` runs many transfers in the
background. Method names follow the official SDK (``upload_file``,
``download_file``, ``copy``).
"""

from __future__ import annotations

import ctypes
import enum
import threading
from ctypes import byref, c_bool, c_int, c_size_t, c_uint64, c_void_p
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Union

from ._lib import PROGRESS_CB, QUEUE_EVENT_CB, READ_CB, QueueEventStruct, lib
from .errors import BufferTooSmallError, InvalidArgumentError, QcosError, Status, check, last_error
from .queue_dir import _QueueDirMixin

if TYPE_CHECKING:  # pragma: no cover
    from .client import Client

__all__ = ["TransferResult", "TaskState", "QueueEvent", "TaskInfo", "Queue"]

_LEFTOVER = {"keep": 0, "abort": 1}


@dataclass(frozen=True)
class TransferResult:
    """The outcome of a transfer."""

    etag: str
    crc64: int
    crc64_verified: bool
    version_id: str
    size: int
    upload_id: str
    parts: int
    resumed_parts: int


class TaskState(enum.IntEnum):
    """The state of a queued task (``qcos_task_state``)."""

    WAITING = 0
    CHECKING = 1
    RUNNING = 2
    PAUSED = 3
    CANCELLED = 4
    SUCCEEDED = 5
    FAILED = 6


@dataclass(frozen=True)
class QueueEvent:
    """A state change (``kind == "state"``) or a progress tick of one task."""

    task: int
    kind: str
    state: TaskState
    loaded: int
    total: Optional[int]
    speed: float


@dataclass(frozen=True)
class TaskInfo:
    """A snapshot of a queued task."""

    id: int
    is_upload: bool
    state: TaskState
    key: str
    path: str
    loaded: int
    total: Optional[int]
    speed: float
    error: Optional[QcosError]
    etag: str
    crc64: int
    crc64_verified: bool
    version_id: str
    size: int
    #: A server-side copy (:meth:`Queue.copy`); ``path`` is then "" and the
    #: ``source_*`` fields name the source.
    is_copy: bool = False
    source_bucket: str = ""
    source_region: str = ""
    source_key: str = ""
    source_version_id: str = ""
    #: The UploadId a paused or failed upload or copy keeps on the service ("" when
    #: none): a paused copy's upload is found again only through it, so abort it with
    #: :meth:`Client.abort_multipart_upload` when the task will not be resumed.
    upload_id: str = ""
    #: An upload from a file object (:meth:`Queue.upload_fileobj`): ``path`` is
    #: "", and the task can be neither paused nor resumed.
    is_stream: bool = False


def _text(p: Optional[bytes]) -> str:
    return p.decode("utf-8", "replace") if p else ""


class _TransferOptions:
    def __init__(
        self,
        *,
        resume: Optional[bool] = None,
        part_size: Optional[int] = None,
        parallel: Optional[int] = None,
        slice_size: Optional[int] = None,
        on_cancel: Optional[str] = None,
        on_error: Optional[str] = None,
    ) -> None:
        self.handle: Optional[int] = None
        wanted = {k: v for k, v in locals().items() if k != "self" and v is not None}
        if not wanted:
            return
        out = c_void_p()
        check(lib.qcos_transfer_options_new(byref(out)))
        self.handle = h = out.value
        try:
            for name in ("on_cancel", "on_error"):
                if name in wanted:
                    choice = wanted[name]
                    if choice not in _LEFTOVER:
                        raise InvalidArgumentError(
                            Status.INVALID_ARGUMENT, f"{name} must be 'keep' or 'abort', not {choice!r}"
                        )
                    check(getattr(lib, f"qcos_transfer_options_set_{name}")(h, _LEFTOVER[choice]))
            if resume is not None:
                check(lib.qcos_transfer_options_set_resume(h, bool(resume)))
            if part_size is not None:
                check(lib.qcos_transfer_options_set_part_size(h, int(part_size)))
            if parallel is not None:
                check(lib.qcos_transfer_options_set_parallel(h, int(parallel)))
            if slice_size is not None:
                check(lib.qcos_transfer_options_set_slice_size(h, int(slice_size)))
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        h, self.handle = self.handle, None
        if h:
            lib.qcos_transfer_options_free(h)

    def __enter__(self) -> Optional[int]:
        return self.handle

    def __exit__(self, *exc: object) -> None:
        self.close()


_TRANSFER_KEYS = ("resume", "part_size", "parallel", "slice_size", "on_cancel", "on_error")


def _split(options: dict) -> dict:
    return {k: options.pop(k) for k in _TRANSFER_KEYS if k in options}


def _take_result(out: c_void_p) -> Optional[TransferResult]:
    r = out.value
    if not r:
        return None
    try:
        return TransferResult(
            etag=_text(lib.qcos_transfer_result_etag(r)),
            crc64=lib.qcos_transfer_result_crc64(r),
            crc64_verified=bool(lib.qcos_transfer_result_crc64_verified(r)),
            version_id=_text(lib.qcos_transfer_result_version_id(r)),
            size=lib.qcos_transfer_result_size(r),
            upload_id=_text(lib.qcos_transfer_result_upload_id(r)),
            parts=lib.qcos_transfer_result_parts(r),
            resumed_parts=lib.qcos_transfer_result_resumed_parts(r),
        )
    finally:
        lib.qcos_transfer_result_free(r)


def _progress_cb(progress: Optional[Callable[[int, int], Any]], state: Any) -> Any:
    """A ``qcos_progress_cb`` calling ``progress(loaded, total)`` (total -1 while
    unknown); ``False`` cancels; an exception cancels and is re-raised later."""
    if progress is None:
        return PROGRESS_CB()  # a NULL function pointer: no progress reports

    def cb(_ud: Optional[int], p: Any) -> int:
        try:
            pr = p.contents
            return 1 if progress(pr.loaded, pr.total if pr.total_known else -1) is False else 0
        except BaseException as e:  # noqa: BLE001 - must not unwind into C
            return state.fail(e)

    return PROGRESS_CB(cb)


class _TransferMixin:
    """Transfer methods of :class:`qcos.Client` (see there for ``_h``/``_check``)."""

    def upload_file(
        self,
        key: str,
        local_file_path: Any,
        *,
        progress: Optional[Callable[[int, int], Any]] = None,
        **options: Any,
    ) -> TransferResult:
        """Upload a local file as ``key``: one PUT up to ``slice_size``, otherwise a
        parallel multipart upload, verified with CRC-64, resumed when an earlier
        upload of the same file to the same key was interrupted.

        ``progress(done, total)`` runs on this thread; return ``False`` to cancel
        (:class:`CancelledError`). Transfer options: ``resume`` (default True),
        ``part_size``, ``parallel``, ``slice_size``, ``on_cancel``/``on_error``
        (``"keep"``, the default, or ``"abort"``). Other keywords are upload
        options as for :meth:`put_object`.
        """
        from .client import _CallbackState, _cpath, _cstr, _put_options

        h = self._h()  # type: ignore[attr-defined]
        t = _split(options)
        state = _CallbackState()
        cb = _progress_cb(progress, state)
        out = c_void_p()
        with _put_options(**options) as po, _TransferOptions(**t) as to:
            st = lib.qcos_upload_file(
                h, _cstr(key, "key"), _cpath(local_file_path, "local_file_path"), po, to, cb, None, byref(out)
            )
        self._check(st, state)  # type: ignore[attr-defined]
        result = _take_result(out)
        assert result is not None
        return result

    def upload_fileobj(
        self,
        key: str,
        fileobj: IO[bytes],
        *,
        content_length: Optional[int] = None,
        progress: Optional[Callable[[int, int], Any]] = None,
        **options: Any,
    ) -> TransferResult:
        """Upload what a binary file object yields, in parts when large. With
        ``content_length`` exactly that many bytes are read (and an interrupted
        upload resumes); without it the stream is read to its end (not resumable).
        Options as for :meth:`upload_file`."""
        from .client import _CallbackState, _cstr, _put_options

        h = self._h()  # type: ignore[attr-defined]
        t = _split(options)
        state = _CallbackState()
        readinto = getattr(fileobj, "readinto", None)

        def read(_ud: Optional[int], buf: Any, cap: int, n_out: Any) -> int:
            try:
                if readinto is not None:
                    view = (ctypes.c_char * cap).from_address(ctypes.addressof(buf.contents))
                    n = readinto(memoryview(view).cast("B")) or 0
                else:
                    chunk = fileobj.read(cap) or b""
                    n = len(chunk)
                    ctypes.memmove(buf, chunk, n)
                n_out[0] = n
                return 0
            except BaseException as e:  # noqa: BLE001 - must not unwind into C
                return state.fail(e)

        rcb = READ_CB(read)
        pcb = _progress_cb(progress, state)
        out = c_void_p()
        with _put_options(**options) as po, _TransferOptions(**t) as to:
            if content_length is None:
                st = lib.qcos_upload_from_stream(h, _cstr(key, "key"), rcb, None, po, to, pcb, None, byref(out))
            else:
                st = lib.qcos_upload_from_callback(
                    h, _cstr(key, "key"), int(content_length), rcb, None, po, to, pcb, None, byref(out)
                )
        self._check(st, state)  # type: ignore[attr-defined]
        result = _take_result(out)
        assert result is not None
        return result

    def download_file(
        self,
        key: str,
        local_file_path: Any,
        *,
        progress: Optional[Callable[[int, int], Any]] = None,
        **options: Any,
    ) -> TransferResult:
        """Download ``key`` to a local file with parallel ranged GETs, verified with
        CRC-64; the file appears only once complete, and an interrupted download
        resumes. Options: ``resume``, ``part_size``, ``parallel``, ``slice_size``."""
        from .client import _CallbackState, _cpath, _cstr

        h = self._h()  # type: ignore[attr-defined]
        state = _CallbackState()
        cb = _progress_cb(progress, state)
        out = c_void_p()
        with _TransferOptions(**options) as to:
            st = lib.qcos_download_file(
                h, _cstr(key, "key"), _cpath(local_file_path, "local_file_path"), to, cb, None, byref(out)
            )
        self._check(st, state)  # type: ignore[attr-defined]
        result = _take_result(out)
        assert result is not None
        return result

    def download_into(
        self,
        key: str,
        buffer: Union[bytearray, memoryview],
        *,
        progress: Optional[Callable[[int, int], Any]] = None,
        **options: Any,
    ) -> int:
        """Download ``key`` into a writable buffer with parallel ranged GETs;
        returns the object's size. :class:`BufferTooSmallError` (with ``needed``)
        when it does not fit (nothing is fetched then)."""
        from .client import _CallbackState, _cstr

        h = self._h()  # type: ignore[attr-defined]
        view = memoryview(buffer)
        if view.readonly:
            raise TypeError("buffer must be writable")
        view = view.cast("B")
        cap = view.nbytes
        arr = (ctypes.c_char * cap).from_buffer(view) if cap else None
        n = c_size_t()
        state = _CallbackState()
        cb = _progress_cb(progress, state)
        with _TransferOptions(**options) as to:
            st = lib.qcos_download_to_buffer(h, _cstr(key, "key"), arr, cap, byref(n), to, cb, None, None)
        if st == Status.BUFFER_TOO_SMALL:
            err = last_error(st)
            assert isinstance(err, BufferTooSmallError)
            err.needed = n.value
            raise err
        self._check(st, state)  # type: ignore[attr-defined]
        return n.value

    def copy(
        self,
        key: str,
        source_key: str,
        *,
        source_bucket: Optional[str] = None,
        source_region: Optional[str] = None,
        source_version_id: Optional[str] = None,
        metadata_directive: str = "Copy",
        tagging_directive: str = "Copy",
        progress: Optional[Callable[[int, int], Any]] = None,
        **options: Any,
    ) -> TransferResult:
        """Server-side copy of any size (the official SDK's ``copy``): one PUT
        Object - Copy up to ``copy_slice_size``, otherwise a parallel multipart
        copy, checked with CRC-64. Arguments as for :meth:`copy_object`, plus
        ``progress`` and transfer options (``part_size``, ``parallel``,
        ``slice_size``, ``on_error``)."""
        from .client import _CallbackState, _cstr, _opt_cstr, _put_options

        h = self._h()  # type: ignore[attr-defined]
        t = _copy_transfer_options(metadata_directive, tagging_directive, options)
        state = _CallbackState()
        cb = _progress_cb(progress, state)
        out = c_void_p()
        client: Any = self
        with _put_options(
            force=metadata_directive == "Replaced",
            metadata_directive=metadata_directive,
            tagging_directive=tagging_directive,
            **options,
        ) as po, _TransferOptions(**t) as to:
            st = lib.qcos_slice_copy(
                h,
                _cstr(key, "key"),
                _cstr(source_bucket if source_bucket is not None else client.bucket, "source_bucket"),
                _cstr(source_region if source_region is not None else client.region, "source_region"),
                _cstr(source_key, "source_key"),
                _opt_cstr(source_version_id, "source_version_id"),
                po,
                to,
                cb,
                None,
                byref(out),
            )
        self._check(st, state)  # type: ignore[attr-defined]
        result = _take_result(out)
        assert result is not None
        return result


def _copy_transfer_options(metadata_directive: str, tagging_directive: str, options: dict) -> dict:
    """Check a copy's directives and split the transfer options off ``options``
    (what stays are put options: metadata ones only when replacing the metadata,
    ``tagging`` only when replacing the tags, the ACL ones always)."""
    from .client import _copy_put_options

    t = _split(options)
    _copy_put_options(metadata_directive, tagging_directive, options)
    return t


def _event(ev: QueueEventStruct) -> QueueEvent:
    return QueueEvent(
        task=ev.task,
        kind="state" if ev.kind == 0 else "progress",
        state=TaskState(ev.state),
        loaded=ev.loaded,
        total=ev.total if ev.total_known else None,
        speed=ev.speed,
    )


class Queue(_QueueDirMixin):
    """Background transfers (uploads, downloads and server-side copies):
    ``file_parallel_limit`` at once (a client option), each with its own parts in
    parallel; pause, resume, cancel, wait, and a stream of events. Use it as a
    context manager; :meth:`close` cancels what is still waiting or running (paused
    uploads stay resumable on the service).

    Events come from :meth:`next_event` / :meth:`events`, or, after
    :meth:`set_event_callback`, to a Python callable on the queue's own event thread.
    An exception in that callable is kept in :attr:`callback_errors` (it never
    reaches C).
    """

    def __init__(self, client: "Client") -> None:
        out = c_void_p()
        check(lib.qcos_queue_new(client._h(), byref(out)))
        self._handle: Optional[int] = out.value
        self._client = client  # keeps the credentials provider alive
        self._callback: Optional[Any] = None
        self.callback_errors: List[BaseException] = []
        self._lock = threading.Lock()
        # The read callbacks of upload_fileobj tasks, by task id, referenced until
        # the task ended (the library may call them until then).
        self._readers: Dict[int, Any] = {}

    def _q(self) -> int:
        if self._handle is None:
            raise ValueError("operation on a closed qcos.Queue")
        return self._handle

    def close(self) -> None:
        """Stop the event callback, cancel waiting and running tasks, join the
        queue's threads. Idempotent."""
        h, self._handle = self._handle, None
        if h:
            lib.qcos_queue_free(h)
        self._callback = None
        # No read callback runs once qcos_queue_free returned.
        self._readers.clear()

    def __enter__(self) -> "Queue":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def upload(self, key: str, local_file_path: Any, **options: Any) -> int:
        """Queue the upload of a local file; returns the task id at once. Options:
        upload options as for :meth:`Client.put_object` and ``part_size``,
        ``parallel``, ``resume``."""
        from .client import _cpath, _cstr, _put_options

        t = _split(options)
        task = c_uint64()
        with _put_options(**options) as po, _TransferOptions(**t) as to:
            check(
                lib.qcos_queue_upload(
                    self._q(), _cstr(key, "key"), _cpath(local_file_path, "local_file_path"), po, to, byref(task)
                )
            )
        return task.value

    def download(self, key: str, local_file_path: Any, **options: Any) -> int:
        """Queue the download of ``key`` to a local file; returns the task id."""
        from .client import _cpath, _cstr

        task = c_uint64()
        with _TransferOptions(**options) as to:
            check(
                lib.qcos_queue_download(
                    self._q(), _cstr(key, "key"), _cpath(local_file_path, "local_file_path"), to, byref(task)
                )
            )
        return task.value

    def copy(
        self,
        key: str,
        source_key: str,
        *,
        source_bucket: Optional[str] = None,
        source_region: Optional[str] = None,
        source_version_id: Optional[str] = None,
        metadata_directive: str = "Copy",
        tagging_directive: str = "Copy",
        **options: Any,
    ) -> int:
        """Queue a server-side copy of any size (the official SDK's copy as a task);
        returns the task id at once. Arguments as for :meth:`Client.copy`, without
        ``progress`` (the queue's events report it). A multipart copy pauses at part
        boundaries and resumes the same multipart upload without copying its parts
        again; :meth:`cancel` aborts it. A missing source makes the task fail with
        the service's error (see :meth:`task_info`)."""
        from .client import _cstr, _opt_cstr, _put_options

        t = _copy_transfer_options(metadata_directive, tagging_directive, options)
        client: Any = self._client
        task = c_uint64()
        with _put_options(
            force=metadata_directive == "Replaced",
            metadata_directive=metadata_directive,
            tagging_directive=tagging_directive,
            **options,
        ) as po, _TransferOptions(**t) as to:
            check(
                lib.qcos_queue_copy(
                    self._q(),
                    _cstr(key, "key"),
                    _cstr(source_bucket if source_bucket is not None else client.bucket, "source_bucket"),
                    _cstr(source_region if source_region is not None else client.region, "source_region"),
                    _cstr(source_key, "source_key"),
                    _opt_cstr(source_version_id, "source_version_id"),
                    po,
                    to,
                    byref(task),
                )
            )
        return task.value

    def upload_fileobj(
        self, key: str, fileobj: IO[bytes], content_length: Optional[int] = None, **options: Any
    ) -> int:
        """Queue the upload of what a binary file object yields; returns the task
        id at once. With ``content_length`` exactly that many bytes are read (fewer
        or more fails the task); without it the object is read to its end (one PUT
        when it ends within ``slice_size``, otherwise a multipart upload). Options
        as for :meth:`upload`.

        ``fileobj`` is read (``readinto`` when it has it, else ``read``) on one of
        the queue's worker threads, never after the task ended or the queue was
        closed; the queue keeps it (and its callback) referenced until then. Its
        bytes can be read only once, so the task can be neither paused nor resumed
        (:class:`qcos.InvalidStateError`); cancel aborts its multipart upload, and
        so does a failure. An exception raised by ``fileobj`` cancels the task and
        is kept in :attr:`callback_errors`."""
        from .client import _cstr, _put_options

        self._prune_readers()
        readinto = getattr(fileobj, "readinto", None)

        def read(_ud: Optional[int], buf: Any, cap: int, n_out: Any) -> int:
            try:
                if readinto is not None:
                    view = (ctypes.c_char * cap).from_address(ctypes.addressof(buf.contents))
                    n = readinto(memoryview(view).cast("B")) or 0
                else:
                    chunk = fileobj.read(cap) or b""
                    n = len(chunk)
                    if n > cap:
                        raise ValueError(f"read({cap}) returned {n} bytes")
                    ctypes.memmove(buf, chunk, n)
                n_out[0] = n
                return 0
            except BaseException as e:  # noqa: BLE001 - must not unwind into C
                with self._lock:
                    self.callback_errors.append(e)
                return 1

        length = 2**64 - 1 if content_length is None else int(content_length)
        if content_length is not None and not 0 <= length < 2**64 - 1:
            raise InvalidArgumentError(
                Status.INVALID_ARGUMENT, f"content_length must be 0 <= n < 2**64 - 1, not {content_length}"
            )
        rcb = READ_CB(read)
        t = _split(options)
        task = c_uint64()
        with _put_options(**options) as po, _TransferOptions(**t) as to:
            check(
                lib.qcos_queue_upload_from_callback(self._q(), _cstr(key, "key"), length, rcb, None, po, to, byref(task))
            )
        with self._lock:
            self._readers[task.value] = (rcb, fileobj)
        return task.value

    def _prune_readers(self) -> None:
        """Release the read callbacks of tasks that ended (or left the queue)."""
        h = self._handle
        if h is None:
            return
        with self._lock:
            held = list(self._readers)
        for task in held:
            out = c_void_p()
            st = lib.qcos_queue_task_info(h, task, byref(out))
            if st == Status.OK:
                ended = lib.qcos_task_info_state(out.value) in (
                    TaskState.SUCCEEDED,
                    TaskState.FAILED,
                    TaskState.CANCELLED,
                )
                lib.qcos_task_info_free(out.value)
            else:
                ended = st == Status.NOT_FOUND
            if ended:
                with self._lock:
                    self._readers.pop(task, None)

    def pause(self, task: int) -> None:
        """Pause a task (at its next part boundary); its multipart upload is kept."""
        check(lib.qcos_queue_pause(self._q(), task))

    def resume(self, task: int) -> None:
        """Resume a paused task, or retry a failed one."""
        check(lib.qcos_queue_resume(self._q(), task))

    def cancel(self, task: int) -> None:
        """Cancel a task and abort its multipart upload."""
        check(lib.qcos_queue_cancel(self._q(), task))

    def wait(self, task: int, timeout: Optional[float] = None) -> TaskState:
        """Block until ``task`` succeeded, failed or was cancelled (``timeout`` in
        seconds; ``None`` waits for ever); returns its final state. Raises
        :class:`qcos.RequestTimeoutError` when the time runs out."""
        state = c_int()
        ms = -1 if timeout is None else int(timeout * 1000)
        check(lib.qcos_queue_wait(self._q(), task, ms, byref(state)))
        with self._lock:
            # The task ended: its read callback (if any) is never called again.
            self._readers.pop(task, None)
        return TaskState(state.value)

    def task_info(self, task: int) -> TaskInfo:
        """A snapshot of ``task``: state, progress, error or result."""
        out = c_void_p()
        check(lib.qcos_queue_task_info(self._q(), task, byref(out)))
        i = out.value
        try:
            err_status = lib.qcos_task_info_error_status(i)
            error = None
            if err_status != Status.OK:
                from .errors import _BY_STATUS

                error = _BY_STATUS.get(err_status, QcosError)(
                    err_status,
                    _text(lib.qcos_task_info_error_message(i)),
                    http_status=lib.qcos_task_info_error_http_status(i),
                    code=_text(lib.qcos_task_info_error_code(i)),
                    request_id=_text(lib.qcos_task_info_error_request_id(i)),
                )
            return TaskInfo(
                id=lib.qcos_task_info_id(i),
                is_upload=bool(lib.qcos_task_info_is_upload(i)),
                state=TaskState(lib.qcos_task_info_state(i)),
                key=_text(lib.qcos_task_info_key(i)),
                path=_text(lib.qcos_task_info_path(i)),
                loaded=lib.qcos_task_info_loaded(i),
                total=lib.qcos_task_info_total(i) if lib.qcos_task_info_total_known(i) else None,
                speed=lib.qcos_task_info_speed(i),
                error=error,
                etag=_text(lib.qcos_task_info_etag(i)),
                crc64=lib.qcos_task_info_crc64(i),
                crc64_verified=bool(lib.qcos_task_info_crc64_verified(i)),
                version_id=_text(lib.qcos_task_info_version_id(i)),
                size=lib.qcos_task_info_size(i),
                is_copy=bool(lib.qcos_task_info_is_copy(i)),
                source_bucket=_text(lib.qcos_task_info_source_bucket(i)),
                source_region=_text(lib.qcos_task_info_source_region(i)),
                source_key=_text(lib.qcos_task_info_source_key(i)),
                source_version_id=_text(lib.qcos_task_info_source_version_id(i)),
                upload_id=_text(lib.qcos_task_info_upload_id(i)),
                is_stream=bool(lib.qcos_task_info_is_stream(i)),
            )
        finally:
            lib.qcos_task_info_free(i)

    def next_event(self, timeout: float = 0) -> Optional[QueueEvent]:
        """The next event, waiting up to ``timeout`` seconds; None if none came."""
        ev = QueueEventStruct()
        has = c_bool()
        check(lib.qcos_queue_next_event(self._q(), int(timeout * 1000), byref(ev), byref(has)))
        return _event(ev) if has.value else None

    def events(self, timeout: float = 1.0) -> Iterator[QueueEvent]:
        """Events until none comes within ``timeout`` seconds."""
        while True:
            ev = self.next_event(timeout)
            if ev is None:
                return
            yield ev

    def set_event_callback(self, fn: Optional[Callable[[QueueEvent], Any]]) -> None:
        """Send every event to ``fn`` on the queue's event thread (``None`` stops
        it; after this returns the old callable is never called again). ``fn``
        may call :meth:`pause`, :meth:`cancel`, :meth:`task_info`, but not
        :meth:`close` or this method."""
        if fn is None:
            check(lib.qcos_queue_set_event_callback(self._q(), QUEUE_EVENT_CB(), None))
            self._callback = None
            return

        def cb(_ud: Optional[int], p: Any) -> None:
            try:
                fn(_event(p.contents))
            except BaseException as e:  # noqa: BLE001 - must not unwind into C
                with self._lock:
                    self.callback_errors.append(e)

        c_fn = QUEUE_EVENT_CB(cb)
        check(lib.qcos_queue_set_event_callback(self._q(), c_fn, None))
        self._callback = c_fn  # referenced while the library may call it

    @staticmethod
    def state_name(state: int) -> str:
        """The library's name of a task state (``qcos_task_state_str``)."""
        return _text(lib.qcos_task_state_str(int(state)))
