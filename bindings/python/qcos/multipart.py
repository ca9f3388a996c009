"""The multipart upload operations one by one (COS §6.10–6.16).

Mixed into :class:`qcos.Client`. :meth:`Client.upload_file` runs all of them for
you; these are for callers that send parts themselves, and for finding and
aborting the multipart uploads that interrupted transfers or paused copies left
on the service. Method names follow the official SDK
(``create_multipart_upload`` is called ``initiate_multipart_upload`` here, like
the COS API).
"""

from __future__ import annotations

import os
from ctypes import byref, c_char_p, c_size_t, c_uint32, c_void_p, create_string_buffer
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, List, Optional, Sequence, Tuple, Union

from ._lib import lib

if TYPE_CHECKING:  # pragma: no cover
    from .client import Client, PutResult

__all__ = ["Part", "MultipartUpload"]


@dataclass(frozen=True)
class Part:
    """One part of a multipart upload, as List Parts reports it."""

    number: int
    etag: str
    size: int
    last_modified: str


@dataclass(frozen=True)
class MultipartUpload:
    """A multipart upload in progress, as List Multipart Uploads reports it."""

    key: str
    upload_id: str
    storage_class: str
    initiated: str


def _part_options(check_content_md5: Optional[bool], traffic_limit: Optional[int]) -> Any:
    from .client import _put_options

    return _put_options(check_content_md5=check_content_md5, traffic_limit=traffic_limit)


class _MultipartMixin:
    """The multipart methods of :class:`qcos.Client`."""

    def initiate_multipart_upload(self: "Client", key: str, **options: Any) -> str:
        """Start a multipart upload of ``key`` and return its UploadId. ``options``
        are the object's headers, as for :meth:`Client.put_object` (``content_type``,
        ``metadata``, ``storage_class``, ...)."""
        from .client import _cstr, _put_options

        buf = create_string_buffer(256)
        n = c_size_t()
        with _put_options(**options) as opts:
            st = lib.qcos_client_initiate_multipart_upload(
                self._h(), _cstr(key, "key"), opts, buf, len(buf), byref(n)
            )
        self._check(st)
        return buf.raw[: n.value].decode("utf-8")

    def upload_part(
        self: "Client",
        key: str,
        upload_id: str,
        part_number: int,
        data: Union[bytes, bytearray, memoryview],
        *,
        check_content_md5: Optional[bool] = None,
        traffic_limit: Optional[int] = None,
    ) -> "PutResult":
        """Upload part ``part_number`` (1–10000) from ``data``. Returns its ETag and
        CRC-64 (already checked against the bytes sent); keep the ETag for
        :meth:`complete_multipart_upload`."""
        from .client import _bytes_of, _cstr, _take_put_result

        body = _bytes_of(data)
        out = c_void_p()
        with _part_options(check_content_md5, traffic_limit) as opts:
            st = lib.qcos_client_upload_part(
                self._h(),
                _cstr(key, "key"),
                _cstr(upload_id, "upload_id"),
                part_number,
                body,
                len(body),
                opts,
                byref(out),
            )
        self._check(st)
        return _take_put_result(out)

    def upload_part_from_file(
        self: "Client",
        key: str,
        upload_id: str,
        part_number: int,
        path: Union[str, "os.PathLike[str]"],
        offset: int,
        length: int,
        *,
        check_content_md5: Optional[bool] = None,
        traffic_limit: Optional[int] = None,
    ) -> "PutResult":
        """Upload part ``part_number`` from ``length`` bytes of the file ``path``
        starting at ``offset``, read during the call (not loaded whole)."""
        from .client import _cpath, _cstr, _take_put_result

        out = c_void_p()
        with _part_options(check_content_md5, traffic_limit) as opts:
            st = lib.qcos_client_upload_part_from_file(
                self._h(),
                _cstr(key, "key"),
                _cstr(upload_id, "upload_id"),
                part_number,
                _cpath(path, "path"),
                offset,
                length,
                opts,
                byref(out),
            )
        self._check(st)
        return _take_put_result(out)

    def complete_multipart_upload(
        self: "Client", key: str, upload_id: str, parts: Sequence[Tuple[int, str]]
    ) -> "PutResult":
        """Finish the upload from ``parts``: ``(part_number, etag)`` pairs in
        ascending part-number order. Returns the object's ETag, CRC-64 and version."""
        from .client import _cstr, _take_put_result

        pairs = list(parts)
        numbers = (c_uint32 * max(len(pairs), 1))(*[n for n, _ in pairs])
        etags = (c_char_p * max(len(pairs), 1))(*[_cstr(e, "etag") for _, e in pairs])
        out = c_void_p()
        self._check(
            lib.qcos_client_complete_multipart_upload(
                self._h(),
                _cstr(key, "key"),
                _cstr(upload_id, "upload_id"),
                numbers,
                etags,
                len(pairs),
                byref(out),
            )
        )
        return _take_put_result(out)

    def abort_multipart_upload(self: "Client", key: str, upload_id: str) -> None:
        """Abort the upload: its parts are deleted and the UploadId becomes invalid."""
        from .client import _cstr

        self._check(
            lib.qcos_client_abort_multipart_upload(
                self._h(), _cstr(key, "key"), _cstr(upload_id, "upload_id")
            )
        )

    def list_parts(self: "Client", key: str, upload_id: str) -> List[Part]:
        """Every part the upload has on the service, in part-number order."""
        from .client import _cstr, _text

        out = c_void_p()
        self._check(
            lib.qcos_client_list_parts(
                self._h(), _cstr(key, "key"), _cstr(upload_id, "upload_id"), byref(out)
            )
        )
        h = out.value
        try:
            return [
                Part(
                    number=lib.qcos_part_list_number(h, i),
                    etag=_text(lib.qcos_part_list_etag(h, i)),
                    size=lib.qcos_part_list_size(h, i),
                    last_modified=_text(lib.qcos_part_list_last_modified(h, i)),
                )
                for i in range(lib.qcos_part_list_count(h))
            ]
        finally:
            lib.qcos_part_list_free(h)

    def list_multipart_uploads(self: "Client", prefix: str = "") -> List[MultipartUpload]:
        """The multipart uploads in progress whose keys start with ``prefix``."""
        from .client import _cstr, _text

        out = c_void_p()
        self._check(
            lib.qcos_client_list_multipart_uploads(self._h(), _cstr(prefix, "prefix"), byref(out))
        )
        h = out.value
        try:
            return [
                MultipartUpload(
                    key=_text(lib.qcos_upload_list_key(h, i)),
                    upload_id=_text(lib.qcos_upload_list_upload_id(h, i)),
                    storage_class=_text(lib.qcos_upload_list_storage_class(h, i)),
                    initiated=_text(lib.qcos_upload_list_initiated(h, i)),
                )
                for i in range(lib.qcos_upload_list_count(h))
            ]
        finally:
            lib.qcos_upload_list_free(h)
