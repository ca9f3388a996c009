"""Directory transfers through the task queue: :meth:`Queue.upload_dir` and
:meth:`Queue.download_prefix` (``qcos_queue_upload_directory``,
``qcos_queue_download_prefix``). Mixed into :class:`qcos.Queue`."""

from __future__ import annotations

from ctypes import byref, c_void_p
from typing import Any, List, Tuple

from ._lib import lib
from .errors import check

__all__: List[str] = []


def _take_task_list(out: c_void_p) -> List[Tuple[str, str, int]]:
    """``(key, path, task)`` of every entry of a ``qcos_task_list``, which is freed."""
    h = out.value
    if not h:
        return []
    try:
        return [
            (
                (lib.qcos_task_list_key(h, i) or b"").decode("utf-8", "replace"),
                (lib.qcos_task_list_path(h, i) or b"").decode("utf-8", "replace"),
                int(lib.qcos_task_list_id(h, i)),
            )
            for i in range(lib.qcos_task_list_count(h))
        ]
    finally:
        lib.qcos_task_list_free(h)


class _QueueDirMixin:
    """Directory methods of :class:`qcos.Queue`."""

    def _q(self) -> int:  # pragma: no cover - provided by Queue
        raise NotImplementedError

    def upload_dir(self, local_dir: Any, prefix: str = "", **options: Any) -> List[Tuple[str, str, int]]:
        """Queue one upload per regular file under ``local_dir`` (recursively) as
        object ``prefix`` + the file's relative path with ``/`` separators (``prefix``
        is used as given: pass ``"photos/"`` for a folder). Returns ``[(path, key,
        task), ...]`` in the order queued (sorted by name at each level, depth first).
        Options as for :meth:`upload`.

        Symbolic links are not followed and not uploaded; empty directories make no
        object. Everything is checked first: a file name that is not UTF-8 or makes a
        key :meth:`download_prefix` would refuse (backslash, control character, over
        850 bytes) raises :class:`qcos.InvalidArgumentError` naming the file, and
        nothing is queued. A queue without room for every file raises
        :class:`qcos.InvalidStateError`."""
        from .client import _cpath, _cstr, _put_options
        from .transfer import _split, _TransferOptions

        t = _split(options)
        out = c_void_p()
        with _put_options(**options) as po, _TransferOptions(**t) as to:
            check(
                lib.qcos_queue_upload_directory(
                    self._q(), _cpath(local_dir, "local_dir"), _cstr(prefix, "prefix"), po, to, byref(out)
                )
            )
        return [(path, key, task) for key, path, task in _take_task_list(out)]

    def download_prefix(self, prefix: str, local_dir: Any, **options: Any) -> List[Tuple[str, str, int]]:
        """Queue one download per object under ``prefix`` (every page) into
        ``local_dir`` (created if missing): ``prefix + rel`` goes to
        ``local_dir/rel``. Keys ending in ``/`` (directory markers) only create the
        directory. Returns ``[(key, path, task), ...]`` in key order (source first,
        as :meth:`upload_dir` returns ``(path, key, task)``).

        Hostile keys are refused before anything is queued or written: a ``..``,
        ``.`` or empty segment, a leading ``/``, a backslash or control character, a
        key that would be both a file and a directory, or a path through a symbolic
        link already in ``local_dir`` raises :class:`qcos.InvalidArgumentError`
        naming the key. Options: ``part_size``, ``parallel``, ``resume``."""
        from .client import _cpath, _cstr
        from .transfer import _TransferOptions

        out = c_void_p()
        with _TransferOptions(**options) as to:
            check(
                lib.qcos_queue_download_prefix(
                    self._q(), _cstr(prefix, "prefix"), _cpath(local_dir, "local_dir"), to, byref(out)
                )
            )
        return _take_task_list(out)
