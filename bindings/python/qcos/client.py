"""The Pythonic client over the qcos C API.

Method names follow the official COS Python SDK (``cos-python-sdk-v5``) where the
operations overlap (``put_object``, ``get_object``, ``head_object``,
``delete_object``, ``delete_objects``, ``copy_object``, ``list_objects``,
``create_bucket``, ``head_bucket``, ``delete_bucket``, ``list_buckets``,
``put_object_from_local_file``); arguments are snake_case keywords, results are
small dataclasses, and failures raise :class:`qcos.QcosError` subclasses.
"""

from __future__ import annotations

import ctypes
import io
import os
import threading
from ctypes import byref, c_bool, c_char_p, c_size_t, c_void_p
from dataclasses import dataclass, field
from typing import (
    IO,
    Any,
    Callable,
    Dict,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from ._lib import CREDENTIALS_CB, PROTOTYPES, READ_CB, WRITE_CB, lib
from .transfer import _TransferMixin
from .multipart import _MultipartMixin
from .tagging_acl import _TaggingAclMixin
from .bucket_config import _BucketConfigMixin
from .errors import (
    AuthError,
    BufferTooSmallError,
    InternalError,
    InvalidArgumentError,
    QcosError,
    Status,
    check,
    last_error,
)

__all__ = [
    "Client",
    "Credentials",
    "ObjectInfo",
    "PutResult",
    "DeleteError",
    "DeleteResult",
    "ObjectSummary",
    "ListObjectsResult",
    "Bucket",
    "library_version",
    "Progress",
    "Signature",
    "PostForm",
]

PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
#: A progress callable: ``progress(bytes_done, bytes_total)``; ``bytes_total`` is
#: -1 when unknown. Returning ``False`` cancels the transfer (``CancelledError``);
#: any other value (``None`` included) continues.
Progress = Callable[[int, int], Any]


def library_version() -> str:
    """The version of the loaded ``libqcos`` (``qcos_version()``), e.g. ``"0.1.0"``."""
    return lib.qcos_version().decode()


# ---------------------------------------------------------------------------
# argument helpers


def _cstr(value: Union[str, bytes], name: str) -> bytes:
    """A NUL-terminated UTF-8 argument; refuses embedded NULs (C would truncate)."""
    if isinstance(value, str):
        data = value.encode("utf-8", "surrogatepass")
    elif isinstance(value, (bytes, bytearray)):
        data = bytes(value)
    else:
        raise TypeError(f"{name} must be str, not {type(value).__name__}")
    if b"\0" in data:
        raise InvalidArgumentError(
            Status.INVALID_ARGUMENT, f"argument `{name}` contains a NUL character"
        )
    return data


def _opt_cstr(value: Optional[Union[str, bytes]], name: str) -> Optional[bytes]:
    return None if value is None else _cstr(value, name)


def _cpath(path: PathLike, name: str) -> bytes:
    p = os.fspath(path)
    if isinstance(p, str):
        # Undecodable file names come back as their original bytes, which the
        # library then refuses as non-UTF-8 with a clear message.
        return _cstr(p.encode("utf-8", "surrogateescape"), name)
    return _cstr(p, name)


def _text(p: Optional[bytes]) -> str:
    return p.decode("utf-8", "replace") if p else ""


def _bytes_of(body: Union[bytes, bytearray, memoryview, str]) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytearray, memoryview)):
        return bytes(body)
    raise TypeError(
        f"body must be bytes, bytearray, memoryview, str or a binary file object, "
        f"not {type(body).__name__}"
    )


# ---------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class Credentials:
    """What a credential provider returns: a CAM key, or STS temporary credentials
    (``token`` set, ``start_time``/``expired_time`` in Unix seconds, 0 if unknown)."""

    secret_id: str
    secret_key: str = field(repr=False)
    token: Optional[str] = field(default=None, repr=False)
    start_time: int = 0
    expired_time: int = 0


@dataclass(frozen=True)
class ObjectInfo:
    """What COS said about an object (HEAD, or the headers of a GET)."""

    http_status: int
    content_length: int
    content_type: str
    etag: str
    last_modified: str
    crc64: Optional[int]
    storage_class: str
    version_id: str
    content_range: str
    request_id: str
    metadata: Dict[str, str]
    headers: Dict[str, str]


@dataclass(frozen=True)
class PutResult:
    """COS's answer to an upload or a copy."""

    etag: str
    crc64: Optional[int]
    version_id: str
    last_modified: str
    request_id: str


@dataclass(frozen=True)
class AppendResult:
    """COS's answer to :meth:`Client.append_object`."""

    #: The object's length after the append: the ``position`` of the next one.
    next_position: int
    etag: str
    #: CRC-64 (crc64ecma) of the whole object after the append, when COS sent it.
    crc64: Optional[int]
    request_id: str


@dataclass(frozen=True)
class DeleteError:
    """One key that a multi-delete could not delete."""

    key: str
    code: str
    message: str


@dataclass(frozen=True)
class DeleteResult:
    """The outcome of :meth:`Client.delete_objects`."""

    deleted: List[str]
    errors: List[DeleteError]


@dataclass(frozen=True)
class ObjectSummary:
    """One entry of a bucket listing."""

    key: str
    size: int
    etag: str
    last_modified: str
    storage_class: str


@dataclass(frozen=True)
class ListObjectsResult:
    """One page of a bucket listing."""

    objects: List[ObjectSummary]
    common_prefixes: List[str]
    is_truncated: bool
    next_marker: str


@dataclass(frozen=True)
class Bucket:
    """One bucket of the account (``list_buckets``)."""

    name: str
    region: str
    creation_date: str


@dataclass(frozen=True)
class Signature:
    """An Authorization computed by :meth:`Client.sign` for a request someone else
    sends. With ``form="header"`` send ``Authorization: authorization`` plus every
    pair of ``headers`` (``host``, and ``x-cos-security-token`` with temporary
    credentials); with the query forms append ``query`` to the request's query."""

    authorization: str
    query: str
    headers: Dict[str, str]
    start_time: int
    end_time: int


@dataclass(frozen=True)
class PostForm:
    """The form of a browser POST Object upload (:meth:`Client.post_policy`): POST
    ``fields`` (in order) and then the file to ``url``."""

    url: str
    fields: Dict[str, str]
    policy_json: str


_SIGN_FORMS = {"header": 0, "query": 1, "sign": 2}


def _object_info(h: int) -> ObjectInfo:
    meta = {
        _text(lib.qcos_object_info_meta_name(h, i)): _text(lib.qcos_object_info_meta_value(h, i))
        for i in range(lib.qcos_object_info_meta_count(h))
    }
    headers = {
        _text(lib.qcos_object_info_header_name(h, i)): _text(
            lib.qcos_object_info_header_value(h, i)
        )
        for i in range(lib.qcos_object_info_header_count(h))
    }
    return ObjectInfo(
        http_status=lib.qcos_object_info_http_status(h),
        content_length=lib.qcos_object_info_content_length(h),
        content_type=_text(lib.qcos_object_info_content_type(h)),
        etag=_text(lib.qcos_object_info_etag(h)),
        last_modified=_text(lib.qcos_object_info_last_modified(h)),
        crc64=lib.qcos_object_info_crc64(h) if lib.qcos_object_info_has_crc64(h) else None,
        storage_class=_text(lib.qcos_object_info_storage_class(h)),
        version_id=_text(lib.qcos_object_info_version_id(h)),
        content_range=_text(lib.qcos_object_info_content_range(h)),
        request_id=_text(lib.qcos_object_info_request_id(h)),
        metadata=meta,
        headers=headers,
    )


def _take_object_info(handle: c_void_p) -> Optional[ObjectInfo]:
    if not handle.value:
        return None
    try:
        return _object_info(handle.value)
    finally:
        lib.qcos_object_info_free(handle)


def _take_put_result(handle: c_void_p) -> PutResult:
    h = handle.value
    try:
        return PutResult(
            etag=_text(lib.qcos_put_result_etag(h)),
            crc64=lib.qcos_put_result_crc64(h) if lib.qcos_put_result_has_crc64(h) else None,
            version_id=_text(lib.qcos_put_result_version_id(h)),
            last_modified=_text(lib.qcos_put_result_last_modified(h)),
            request_id=_text(lib.qcos_put_result_request_id(h)),
        )
    finally:
        lib.qcos_put_result_free(h)


def _position(value: int, name: str = "position") -> int:
    """A uint64 argument, refused with a clear message before reaching C."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**64:
        raise InvalidArgumentError(
            Status.INVALID_ARGUMENT,
            f"invalid {name}: {value!r} is not an integer in 0..2**64-1",
        )
    return value


def _take_append_result(next_position: int, handle: c_void_p) -> AppendResult:
    r = _take_put_result(handle)
    return AppendResult(
        next_position=next_position, etag=r.etag, crc64=r.crc64, request_id=r.request_id
    )


# ---------------------------------------------------------------------------
# callbacks


class _CallbackState:
    """Remembers the first exception a Python callback raised, so the call that
    invoked it can re-raise it after the C function returns."""

    def __init__(self) -> None:
        self.error: Optional[BaseException] = None

    def fail(self, e: BaseException) -> int:
        if self.error is None:
            self.error = e
        return 1

    def reraise(self, qcos_error: Optional[QcosError] = None) -> None:
        e, self.error = self.error, None
        if e is not None:
            if qcos_error is not None:
                raise e from qcos_error
            raise e


def _report(progress: Optional[Progress], done: int, total: int) -> bool:
    """Call ``progress``; True means cancel."""
    return progress is not None and progress(done, total) is False


class _CredentialProvider:
    """Wraps a Python callable as a ``qcos_credentials_cb``. The ctypes function
    object lives as long as this wrapper, which the client keeps (and every listing
    made from the client keeps the client), as long as the library may call it."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn
        self.lock = threading.Lock()
        self.error: Optional[BaseException] = None
        self.c_fn = CREDENTIALS_CB(self._call)

    def _call(self, _user_data: Optional[int], out: Optional[int]) -> int:
        # Runs on whatever thread needs credentials; never lets anything escape.
        try:
            creds = self.fn()
            if isinstance(creds, (tuple, list)):
                creds = Credentials(*creds)
            elif isinstance(creds, Mapping):
                creds = Credentials(**creds)
            if not isinstance(creds, Credentials):
                raise TypeError(
                    "a credentials provider must return qcos.Credentials, a tuple "
                    f"(secret_id, secret_key[, token, start, expired]) or a dict, "
                    f"not {type(creds).__name__}"
                )
            st = lib.qcos_credentials_set(
                out,
                _cstr(creds.secret_id, "secret_id"),
                _cstr(creds.secret_key, "secret_key"),
                _opt_cstr(creds.token, "token"),
                int(creds.start_time),
                int(creds.expired_time),
            )
            if st != Status.OK:
                raise last_error(st)
            return 0
        except BaseException as e:  # noqa: BLE001 - must not unwind into C
            with self.lock:
                self.error = e
            return 1

    def take_error(self) -> Optional[BaseException]:
        with self.lock:
            e, self.error = self.error, None
        return e


# ---------------------------------------------------------------------------
# options


_PUT_STRINGS = (
    "content_type",
    "cache_control",
    "content_disposition",
    "content_encoding",
    "expires",
    "storage_class",
)
_GET_STRINGS = (
    "if_match",
    "if_none_match",
    "if_modified_since",
    "if_unmodified_since",
    "response_content_type",
    "response_content_disposition",
    "response_content_encoding",
    "response_content_language",
    "response_cache_control",
    "response_expires",
    "version_id",
)


class _Options:
    """Owns a ``qcos_put_options`` / ``qcos_get_options`` handle for one call."""

    def __init__(self, handle: Optional[int], free: Callable[[Optional[int]], None]) -> None:
        self.handle = handle
        self._free = free

    def __enter__(self) -> Optional[int]:
        return self.handle

    def __exit__(self, *exc: object) -> None:
        self._free(self.handle)
        self.handle = None


#: Upload options that set the object's ACL and tags (they also apply to copies
#: that keep the source's metadata).
_ACL_TAG_OPTIONS = (
    "acl",
    "grant_read",
    "grant_read_acp",
    "grant_write_acp",
    "grant_full_control",
    "tagging",
)
#: ``qcos_copy_directive`` values.
_DIRECTIVES = {"Copy": 0, "Replaced": 1}


def _check_directive(name: str, value: str) -> None:
    if value not in _DIRECTIVES:
        raise InvalidArgumentError(
            Status.INVALID_ARGUMENT, f"{name} must be 'Copy' or 'Replaced', not {value!r}"
        )


def _set_acl_and_tags(
    h: int,
    acl: Optional[str],
    grants: Mapping[str, Any],
    tagging: Optional[Any],
) -> None:
    """Give put options handle ``h`` the ACL (canned ``acl`` and ``grant_*`` id
    lists) and the tags (a mapping or ``(key, value)`` pairs)."""
    from .tagging_acl import GRANT_KINDS, _pairs

    if acl is not None or any(grants.values()):
        a = c_void_p()
        check(lib.qcos_acl_new(byref(a)))
        try:
            if acl is not None:
                check(lib.qcos_acl_set_canned(a, _cstr(acl, "acl")))
            for name, ids in grants.items():
                if isinstance(ids, (str, bytes)):
                    raise TypeError(f"{name} must be a list of ids, not a single string")
                for i in ids or ():
                    check(lib.qcos_acl_add_grant(a, GRANT_KINDS[name], _cstr(i, name)))
            check(lib.qcos_put_options_set_acl(h, a))
        finally:
            lib.qcos_acl_free(a)
    if tagging is not None:
        for k, v in _pairs(tagging):
            check(lib.qcos_put_options_add_tag(h, _cstr(k, "tag key"), _cstr(v, "tag value")))


def _copy_put_options(metadata_directive: str, tagging_directive: str, options: Mapping[str, Any]) -> None:
    """Check a copy's directives against its put ``options``: metadata options need
    ``metadata_directive='Replaced'``, ``tagging`` needs
    ``tagging_directive='Replaced'``; the ACL options go with either."""
    _check_directive("metadata_directive", metadata_directive)
    _check_directive("tagging_directive", tagging_directive)
    if metadata_directive == "Copy" and set(options) - set(_ACL_TAG_OPTIONS):
        raise InvalidArgumentError(
            Status.INVALID_ARGUMENT,
            "upload options other than the ACL and tags apply only with metadata_directive='Replaced'",
        )
    if tagging_directive == "Copy" and options.get("tagging") is not None:
        raise InvalidArgumentError(
            Status.INVALID_ARGUMENT,
            "tagging applies to a copy only with tagging_directive='Replaced'",
        )


def _put_options(
    metadata: Optional[Mapping[str, str]] = None,
    headers: Optional[Mapping[str, str]] = None,
    check_content_md5: Optional[bool] = None,
    add_meta_md5: Optional[bool] = None,
    traffic_limit: Optional[int] = None,
    force: bool = False,
    acl: Optional[str] = None,
    grant_read: Optional[Any] = None,
    grant_read_acp: Optional[Any] = None,
    grant_write_acp: Optional[Any] = None,
    grant_full_control: Optional[Any] = None,
    tagging: Optional[Any] = None,
    metadata_directive: Optional[str] = None,
    tagging_directive: Optional[str] = None,
    **strings: Optional[str],
) -> _Options:
    unknown = set(strings) - set(_PUT_STRINGS)
    if unknown:
        raise TypeError(f"unexpected upload option(s): {', '.join(sorted(unknown))}")
    grants = {
        "grant_read": grant_read,
        "grant_read_acp": grant_read_acp,
        "grant_write_acp": grant_write_acp,
        "grant_full_control": grant_full_control,
    }
    wanted = (
        force
        or metadata
        or headers
        or check_content_md5 is not None
        or add_meta_md5 is not None
        or traffic_limit
        or any(v is not None for v in strings.values())
        or acl is not None
        or any(grants.values())
        or tagging is not None
        or tagging_directive == "Replaced"
    )
    if not wanted:
        return _Options(None, lambda h: None)
    out = c_void_p()
    check(lib.qcos_put_options_new(byref(out)))
    opts = _Options(out.value, lib.qcos_put_options_free)
    h = out.value
    try:
        for name, value in strings.items():
            if value is not None:
                fn = getattr(lib, f"qcos_put_options_set_{name}")
                check(fn(h, _cstr(value, name)))
        for k, v in (metadata or {}).items():
            check(lib.qcos_put_options_add_meta(h, _cstr(k, "metadata name"), _cstr(v, "metadata value")))
        for k, v in (headers or {}).items():
            check(lib.qcos_put_options_add_header(h, _cstr(k, "header name"), _cstr(v, "header value")))
        if check_content_md5 is not None:
            check(lib.qcos_put_options_set_check_content_md5(h, bool(check_content_md5)))
        if add_meta_md5 is not None:
            check(lib.qcos_put_options_set_add_meta_md5(h, bool(add_meta_md5)))
        if traffic_limit:
            check(lib.qcos_put_options_set_traffic_limit(h, int(traffic_limit)))
        _set_acl_and_tags(h, acl, grants, tagging)
        if metadata_directive is not None:
            check(lib.qcos_put_options_set_metadata_directive(h, _DIRECTIVES[metadata_directive]))
        if tagging_directive is not None:
            check(lib.qcos_put_options_set_tagging_directive(h, _DIRECTIVES[tagging_directive]))
    except BaseException:
        opts.__exit__(None, None, None)
        raise
    return opts


def _get_options(
    range: Optional[Tuple[int, Optional[int]]] = None,  # noqa: A002 - COS's name
    traffic_limit: Optional[int] = None,
    **strings: Optional[str],
) -> _Options:
    unknown = set(strings) - set(_GET_STRINGS)
    if unknown:
        raise TypeError(f"unexpected download option(s): {', '.join(sorted(unknown))}")
    if range is None and not traffic_limit and all(v is None for v in strings.values()):
        return _Options(None, lambda h: None)
    out = c_void_p()
    check(lib.qcos_get_options_new(byref(out)))
    opts = _Options(out.value, lib.qcos_get_options_free)
    h = out.value
    try:
        if range is not None:
            first, last = range
            if last is None:
                check(lib.qcos_get_options_set_range_from(h, int(first)))
            else:
                check(lib.qcos_get_options_set_range(h, int(first), int(last)))
        for name, value in strings.items():
            if value is not None:
                fn = getattr(lib, f"qcos_get_options_set_{name}")
                check(fn(h, _cstr(value, name)))
        if traffic_limit:
            check(lib.qcos_get_options_set_traffic_limit(h, int(traffic_limit)))
    except BaseException:
        opts.__exit__(None, None, None)
        raise
    return opts


# ---------------------------------------------------------------------------
# the client


class Client(_TransferMixin, _TaggingAclMixin, _MultipartMixin, _BucketConfigMixin):
    """A COS client for one bucket in one region.

    Use it as a context manager (or call :meth:`close`)::

        with qcos.Client("ap-guangzhou", "examplebucket-1250000000",
                         secret_id="AKID...", secret_key="...") as cos:
            cos.put_object("hello.txt", b"hello")
            print(cos.get_object("hello.txt"))

    Args:
        region: a COS region id such as ``"ap-guangzhou"``.
        bucket: ``"name-APPID"``, or ``""`` for a client that only lists buckets.
        secret_id, secret_key: a permanent CAM key (both or neither).
        token: with ``secret_id``/``secret_key``, STS temporary credentials
            (``start_time``/``expired_time`` in Unix seconds, 0 when unknown).
        credentials_provider: a callable returning :class:`Credentials` (or a tuple
            or dict of its fields), called when the client has no credentials or
            they are about to expire; possibly on a library worker thread. An
            exception it raises fails the request with :class:`qcos.AuthError`,
            chained to the exception (``__cause__``); it never reaches C.
        endpoint: connect here instead of the COS host, e.g.
            ``"http://127.0.0.1:9000"`` for a local qcos-server.
        domain: a host template replacing ``{Bucket}.cos.{Region}.myqcloud.com``.
        scheme: ``"https"`` (default) or ``"http"``.
        path_style: put the bucket in the path rather than the host.
        timeout, connect_timeout, io_timeout: seconds (``0`` = none).
        **options: any other ``qcos_config_set_<name>`` setter by name, e.g.
            ``max_retries=5``, ``chunk_size=16 << 20``, ``user_agent="tool/1"``,
            ``auto_switch_host=False`` (default ``True``: a retry after a network
            error, or a 5xx/3xx without a COS request id, goes to the backup host
            ``{Bucket}.cos.{Region}.tencentcos.cn``), ``service_domain=
            "cos.{Region}.tencentcos.cn"`` (the host of :meth:`list_buckets`;
            ``{Region}`` and ``{AppId}`` placeholders).

    Thread safety: one client may be used by many threads at once (calls release
    the GIL while the library works). :meth:`close` must not race with calls.
    """

    def __init__(
        self,
        region: str,
        bucket: str = "",
        *,
        secret_id: Optional[str] = None,
        secret_key: Optional[str] = None,
        token: Optional[str] = None,
        start_time: int = 0,
        expired_time: int = 0,
        credentials_provider: Optional[Callable[[], Any]] = None,
        endpoint: Optional[str] = None,
        domain: Optional[str] = None,
        scheme: Optional[str] = None,
        path_style: Optional[bool] = None,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        io_timeout: Optional[float] = None,
        **options: Any,
    ) -> None:
        self._handle: Optional[int] = None
        self._provider: Optional[_CredentialProvider] = None
        cfg = c_void_p()
        check(lib.qcos_config_new(_cstr(region, "region"), _cstr(bucket, "bucket"), byref(cfg)))
        self._configure(
            cfg,
            secret_id=secret_id,
            secret_key=secret_key,
            token=token,
            start_time=start_time,
            expired_time=expired_time,
            credentials_provider=credentials_provider,
            endpoint=endpoint,
            domain=domain,
            scheme=scheme,
            path_style=path_style,
            timeout=timeout,
            connect_timeout=connect_timeout,
            io_timeout=io_timeout,
            options=options,
        )
        self.region = region
        self.bucket = bucket

    @classmethod
    def from_env(cls, **options: Any) -> "Client":
        """A client configured from ``COS_REGION``, ``COS_BUCKET``,
        ``COS_SECRET_ID``/``COS_SECRET_KEY``, ``COS_SECURITY_TOKEN``,
        ``COS_ENDPOINT`` and one variable per option (``COS_PATH_STYLE``,
        ``COS_MAX_RETRIES``, ``COS_CHUNK_SIZE``, ...: the table is in docs/c.md)
        through ``qcos_config_from_env``; a bad value raises
        :class:`InvalidArgumentError` naming the variable. Keyword arguments as for
        the constructor override them."""
        self = cls.__new__(cls)
        self._handle = None
        self._provider = None
        cfg = c_void_p()
        check(lib.qcos_config_from_env(byref(cfg)))
        named = {
            k: options.pop(k, None)
            for k in (
                "secret_id",
                "secret_key",
                "token",
                "credentials_provider",
                "endpoint",
                "domain",
                "scheme",
                "path_style",
                "timeout",
                "connect_timeout",
                "io_timeout",
            )
        }
        named["start_time"] = options.pop("start_time", 0)
        named["expired_time"] = options.pop("expired_time", 0)
        self._configure(cfg, options=options, **named)
        self.region = os.environ.get("COS_REGION", "")
        self.bucket = os.environ.get("COS_BUCKET", "")
        return self

    def _configure(
        self,
        cfg: c_void_p,
        *,
        secret_id: Optional[str],
        secret_key: Optional[str],
        token: Optional[str],
        start_time: int,
        expired_time: int,
        credentials_provider: Optional[Callable[[], Any]],
        endpoint: Optional[str],
        domain: Optional[str],
        scheme: Optional[str],
        path_style: Optional[bool],
        timeout: Optional[float],
        connect_timeout: Optional[float],
        io_timeout: Optional[float],
        options: Dict[str, Any],
    ) -> None:
        h = cfg.value
        try:
            if (secret_id is None) != (secret_key is None):
                raise InvalidArgumentError(
                    Status.INVALID_ARGUMENT, "give both secret_id and secret_key, or neither"
                )
            if secret_id is not None and token is not None:
                check(
                    lib.qcos_config_set_temporary_credentials(
                        h,
                        _cstr(secret_id, "secret_id"),
                        _cstr(secret_key or "", "secret_key"),
                        _cstr(token, "token"),
                        int(start_time),
                        int(expired_time),
                    )
                )
            elif secret_id is not None:
                check(
                    lib.qcos_config_set_credentials(
                        h, _cstr(secret_id, "secret_id"), _cstr(secret_key or "", "secret_key")
                    )
                )
            elif token is not None:
                raise InvalidArgumentError(
                    Status.INVALID_ARGUMENT, "token needs secret_id and secret_key"
                )
            if credentials_provider is not None:
                if not callable(credentials_provider):
                    raise TypeError("credentials_provider must be callable")
                provider = _CredentialProvider(credentials_provider)
                check(lib.qcos_config_set_credentials_provider(h, provider.c_fn, None))
                self._provider = provider
            if scheme is not None:
                schemes = {"https": 0, "http": 1}
                if scheme.lower() not in schemes:
                    raise InvalidArgumentError(
                        Status.INVALID_ARGUMENT, f"scheme must be 'https' or 'http', not {scheme!r}"
                    )
                check(lib.qcos_config_set_protocol(h, schemes[scheme.lower()]))
            if endpoint is not None:
                check(lib.qcos_config_set_endpoint(h, _cstr(endpoint, "endpoint")))
            if domain is not None:
                check(lib.qcos_config_set_domain(h, _cstr(domain, "domain")))
            if path_style is not None:
                check(lib.qcos_config_set_path_style(h, bool(path_style)))
            for name, secs in (
                ("timeout_ms", timeout),
                ("connect_timeout_ms", connect_timeout),
                ("io_timeout_ms", io_timeout),
            ):
                if secs is not None:
                    if secs < 0:
                        raise InvalidArgumentError(
                            Status.INVALID_ARGUMENT, f"{name[:-3]} must not be negative"
                        )
                    check(getattr(lib, f"qcos_config_set_{name}")(h, int(round(secs * 1000))))
            for name, value in options.items():
                setter = f"qcos_config_set_{name}"
                if setter not in _CONFIG_SETTERS:
                    raise TypeError(f"unknown client option {name!r}")
                if isinstance(value, str):
                    value = _cstr(value, name)
                check(getattr(lib, setter)(h, value))
        except BaseException:
            lib.qcos_config_free(h)
            raise
        client = c_void_p()
        # qcos_client_new consumes the config, success or not.
        check(lib.qcos_client_new(h, byref(client)))
        self._handle = client.value

    # -- lifecycle ----------------------------------------------------------

    def close(self) -> None:
        """Release the client. Idempotent. Listings already started keep working
        (they hold their own reference in the library)."""
        h, self._handle = self._handle, None
        if h:
            lib.qcos_client_free(h)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def __repr__(self) -> str:
        state = "closed" if self._handle is None else "open"
        return f"<qcos.Client region={self.region!r} bucket={self.bucket!r} {state}>"

    def _h(self) -> int:
        if self._handle is None:
            raise ValueError("operation on a closed qcos.Client")
        return self._handle

    def _check(self, status: int, state: Optional[_CallbackState] = None) -> None:
        """Raise for a failed call, chaining an exception from a callback."""
        if status == Status.OK:
            return
        err = last_error(status)
        if state is not None and state.error is not None:
            state.reraise(err)
        if self._provider is not None and status == Status.AUTH:
            cause = self._provider.take_error()
            if cause is not None:
                raise AuthError(
                    Status.AUTH,
                    f"{err.message} (the credentials provider raised "
                    f"{type(cause).__name__}: {cause})",
                ) from cause
        raise err

    # -- objects ------------------------------------------------------------

    def put_object(
        self,
        key: str,
        body: Union[bytes, bytearray, memoryview, str, IO[bytes]],
        *,
        content_length: Optional[int] = None,
        progress: Optional[Progress] = None,
        **options: Any,
    ) -> PutResult:
        """Upload ``body`` as object ``key`` with one PUT Object.

        Args:
            key: the object key, e.g. ``"dir/photo.jpg"``.
            body: bytes-like (``str`` is sent as UTF-8), or a binary file object
                read from its current position (``content_length`` bytes, by
                default up to its end).
            progress: ``progress(done, total)`` while a file object is read;
                return ``False`` to cancel.
            **options: ``content_type``, ``cache_control``,
                ``content_disposition``, ``content_encoding``, ``expires``,
                ``storage_class``, ``metadata`` (dict for ``x-cos-meta-*``),
                ``headers`` (extra request headers), ``check_content_md5``,
                ``add_meta_md5``, ``traffic_limit`` (bits/s); the object's ACL:
                ``acl`` (``default``, ``private`` or ``public-read``) and
                ``grant_read``, ``grant_read_acp``, ``grant_write_acp``,
                ``grant_full_control`` (lists of account ids); its tags:
                ``tagging`` (a mapping or ``(key, value)`` pairs, checked before
                sending). Giving the ACL or tags also in ``headers`` is refused.

        Returns: the new object's :class:`PutResult`. Raises :class:`QcosError`;
        an exception from the file object or ``progress`` is re-raised as is.
        """
        h = self._h()
        k = _cstr(key, "key")
        out = c_void_p()
        with _put_options(**options) as opts:
            if hasattr(body, "read"):
                return self._put_stream(h, k, body, content_length, progress, opts)  # type: ignore[arg-type]
            data = _bytes_of(body)  # type: ignore[arg-type]
            st = lib.qcos_client_put_object(h, k, data, len(data), opts, byref(out))
        self._check(st)
        return _take_put_result(out)

    def _put_stream(
        self,
        h: int,
        key: bytes,
        f: IO[bytes],
        content_length: Optional[int],
        progress: Optional[Progress],
        opts: Optional[int],
    ) -> PutResult:
        if content_length is None:
            try:
                start = f.tell()
                end = f.seek(0, io.SEEK_END)
                f.seek(start)
                content_length = end - start
            except (OSError, AttributeError, ValueError) as e:
                raise InvalidArgumentError(
                    Status.INVALID_ARGUMENT,
                    "content_length is required for a file object that cannot seek",
                ) from e
        total = int(content_length)
        state = _CallbackState()
        done = 0
        readinto = getattr(f, "readinto", None)

        def read(_ud: Optional[int], buf: Any, cap: int, n_out: Any) -> int:
            nonlocal done
            try:
                want = min(cap, total - done)
                if want <= 0:
                    n_out[0] = 0
                    return 0
                if readinto is not None:
                    view = (ctypes.c_char * want).from_address(ctypes.addressof(buf.contents))
                    n = readinto(memoryview(view).cast("B")) or 0
                else:
                    chunk = f.read(want) or b""
                    n = len(chunk)
                    ctypes.memmove(buf, chunk, n)
                n_out[0] = n
                done += n
                if n and _report(progress, done, total):
                    return 1
                return 0
            except BaseException as e:  # noqa: BLE001 - must not unwind into C
                return state.fail(e)

        cb = READ_CB(read)  # referenced until the call returns
        out = c_void_p()
        st = lib.qcos_client_put_object_from_callback(h, key, total, cb, None, opts, byref(out))
        self._check(st, state)
        return _take_put_result(out)

    def put_object_from_local_file(self, key: str, local_file_path: PathLike, **options: Any) -> PutResult:
        """Upload the local file ``local_file_path`` as object ``key`` with one PUT
        Object (options as for :meth:`put_object`). Raises :class:`LocalIOError`
        when the file cannot be read."""
        h = self._h()
        out = c_void_p()
        with _put_options(**options) as opts:
            st = lib.qcos_client_put_object_from_file(
                h, _cstr(key, "key"), _cpath(local_file_path, "local_file_path"), opts, byref(out)
            )
        self._check(st)
        return _take_put_result(out)

    def append_object(
        self,
        key: str,
        position: int,
        body: Union[bytes, bytearray, memoryview, str],
        *,
        previous_crc64: Optional[int] = None,
        **options: Any,
    ) -> AppendResult:
        """Append ``body`` to object ``key`` at ``position`` (APPEND Object).

        ``position`` must be the object's current length; 0 creates an appendable
        object. Use the returned ``next_position`` for the next append. With
        ``previous_crc64`` (the CRC-64 of the object's first ``position`` bytes, e.g.
        the previous result's ``crc64``) the whole object's CRC-64 COS reports is
        checked too (:class:`IntegrityError` on mismatch; the bytes are appended by
        then). Options as for :meth:`put_object` (content type and metadata apply
        when the append creates the object).

        A wrong position raises :class:`ServiceError` with ``http_status`` 409 and
        code ``PositionNotEqualToLength`` (its message names the current length); a
        normal (PUT) object raises 409 ``ObjectNotAppendable``. An append is never
        sent twice blindly: after a failure the library looks at the object and
        either reports success (the bytes arrived), sends again (nothing arrived) or
        raises :class:`InvalidStateError` (someone else changed the object).
        """
        h = self._h()
        k = _cstr(key, "key")
        data = _bytes_of(body)
        pos = _position(position)
        nxt = ctypes.c_uint64()
        out = c_void_p()
        with _put_options(**options) as opts:
            if previous_crc64 is None:
                st = lib.qcos_client_append_object(h, k, pos, data, len(data), opts, byref(nxt), byref(out))
            else:
                prev = _position(previous_crc64, "previous_crc64")
                st = lib.qcos_client_append_object_checked(
                    h, k, pos, prev, data, len(data), opts, byref(nxt), byref(out)
                )
        self._check(st)
        return _take_append_result(nxt.value, out)

    def append_object_from_local_file(
        self, key: str, position: int, local_file_path: PathLike, **options: Any
    ) -> AppendResult:
        """Append the whole local file ``local_file_path`` to object ``key`` at
        ``position`` (as :meth:`append_object`). Raises :class:`LocalIOError` when
        the file cannot be read."""
        h = self._h()
        nxt = ctypes.c_uint64()
        out = c_void_p()
        with _put_options(**options) as opts:
            st = lib.qcos_client_append_object_from_file(
                h,
                _cstr(key, "key"),
                _position(position),
                _cpath(local_file_path, "local_file_path"),
                opts,
                byref(nxt),
                byref(out),
            )
        self._check(st)
        return _take_append_result(nxt.value, out)

    def get_object(self, key: str, **options: Any) -> bytes:
        """Download object ``key`` and return its bytes.

        Options: ``range=(first, last)`` (inclusive; ``last=None`` reads to the
        end), ``if_match``, ``if_none_match``, ``if_modified_since``,
        ``if_unmodified_since``, ``response_content_type`` and the other
        ``response_*`` overrides, ``version_id``, ``traffic_limit``. Use
        :meth:`get_object_with_info` to also get the response's metadata.
        """
        return self.get_object_with_info(key, **options)[0]

    def get_object_with_info(self, key: str, **options: Any) -> Tuple[bytes, ObjectInfo]:
        """Like :meth:`get_object`, returning ``(body, ObjectInfo)``."""
        h = self._h()
        buf = c_void_p()
        info = c_void_p()
        with _get_options(**options) as opts:
            st = lib.qcos_client_get_object(h, _cstr(key, "key"), opts, byref(buf), byref(info))
        self._check(st)
        try:
            n = lib.qcos_buffer_len(buf)
            data = ctypes.string_at(lib.qcos_buffer_data(buf), n) if n else b""
        finally:
            lib.qcos_buffer_free(buf)
        meta = _take_object_info(info)
        assert meta is not None
        return data, meta

    def get_object_into(self, key: str, buffer: Union[bytearray, memoryview], **options: Any) -> int:
        """Download object ``key`` into a writable buffer; returns the number of
        bytes written. Raises :class:`BufferTooSmallError` (with ``needed``) when
        the object does not fit."""
        h = self._h()
        view = memoryview(buffer)
        if view.readonly:
            raise TypeError("buffer must be writable")
        view = view.cast("B")
        cap = view.nbytes
        arr = (ctypes.c_char * cap).from_buffer(view) if cap else None
        n = c_size_t()
        with _get_options(**options) as opts:
            st = lib.qcos_client_get_object_to_buffer(
                h, _cstr(key, "key"), opts, arr, cap, byref(n), None
            )
        if st == Status.BUFFER_TOO_SMALL:
            err = last_error(st)
            assert isinstance(err, BufferTooSmallError)
            err.needed = n.value
            raise err
        self._check(st)
        return n.value

    def get_object_to_file(self, key: str, local_file_path: PathLike, **options: Any) -> ObjectInfo:
        """Download object ``key`` to a local file, atomically (a temporary file in
        the same directory replaces the target only when complete and verified).
        Options as for :meth:`get_object`. Returns the response's metadata."""
        h = self._h()
        info = c_void_p()
        with _get_options(**options) as opts:
            st = lib.qcos_client_get_object_to_file(
                h, _cstr(key, "key"), _cpath(local_file_path, "local_file_path"), opts, byref(info)
            )
        self._check(st)
        meta = _take_object_info(info)
        assert meta is not None
        return meta

    def get_object_to_stream(
        self,
        key: str,
        sink: Union[IO[bytes], Callable[[bytes], Any]],
        *,
        progress: Optional[Progress] = None,
        **options: Any,
    ) -> ObjectInfo:
        """Download object ``key`` in order into ``sink``: a binary file object
        (its ``write`` is called) or a callable taking each chunk of ``bytes``.
        ``progress(done, total)`` is called per chunk; return ``False`` from it
        to cancel (:class:`CancelledError`). An exception raised by the sink or
        ``progress`` stops the download and is re-raised as is."""
        h = self._h()
        write = getattr(sink, "write", None) or sink
        if not callable(write):
            raise TypeError("sink must be a binary file object or a callable")
        state = _CallbackState()
        done = 0

        def on_data(_ud: Optional[int], data: Any, n: int) -> int:
            nonlocal done
            try:
                write(ctypes.string_at(data, n) if n else b"")
                done += n
                return 1 if _report(progress, done, -1) else 0
            except BaseException as e:  # noqa: BLE001 - must not unwind into C
                return state.fail(e)

        cb = WRITE_CB(on_data)  # referenced until the call returns
        info = c_void_p()
        with _get_options(**options) as opts:
            st = lib.qcos_client_get_object_to_callback(h, _cstr(key, "key"), opts, cb, None, byref(info))
        self._check(st, state)
        meta = _take_object_info(info)
        assert meta is not None
        return meta

    def head_object(self, key: str, **options: Any) -> ObjectInfo:
        """Fetch object ``key``'s metadata (HEAD Object). Options: ``if_match``,
        ``if_none_match``, ``if_modified_since``, ``if_unmodified_since``,
        ``version_id``. A missing object raises :class:`ServiceError` with
        ``http_status == 404``."""
        h = self._h()
        info = c_void_p()
        with _get_options(**options) as opts:
            st = lib.qcos_client_head_object(h, _cstr(key, "key"), opts, byref(info))
        self._check(st)
        meta = _take_object_info(info)
        assert meta is not None
        return meta

    def object_exists(self, key: str) -> bool:
        """True when ``key`` exists (HEAD answered 200), False on a 404."""
        try:
            self.head_object(key)
            return True
        except QcosError as e:
            if e.http_status == 404:
                return False
            raise

    def delete_object(self, key: str) -> None:
        """Delete object ``key`` (deleting a missing key succeeds, as in COS)."""
        self._check(lib.qcos_client_delete_object(self._h(), _cstr(key, "key")))

    def delete_objects(self, keys: Sequence[str], *, quiet: bool = False) -> DeleteResult:
        """Delete up to 1000 keys with one request. Success of the call does not
        mean every key was deleted: check ``result.errors``. With ``quiet`` COS
        lists only failures."""
        h = self._h()
        if isinstance(keys, (str, bytes)):
            raise TypeError("keys must be a sequence of keys, not a single key")
        encoded = [_cstr(k, "keys") for k in keys]
        arr = (c_char_p * len(encoded))(*encoded)
        out = c_void_p()
        st = lib.qcos_client_delete_objects(h, arr, len(encoded), bool(quiet), byref(out))
        self._check(st)
        r = out.value
        try:
            deleted = [
                _text(lib.qcos_delete_result_deleted_key(r, i))
                for i in range(lib.qcos_delete_result_deleted_count(r))
            ]
            errors = [
                DeleteError(
                    key=_text(lib.qcos_delete_result_error_key(r, i)),
                    code=_text(lib.qcos_delete_result_error_code(r, i)),
                    message=_text(lib.qcos_delete_result_error_message(r, i)),
                )
                for i in range(lib.qcos_delete_result_error_count(r))
            ]
        finally:
            lib.qcos_delete_result_free(r)
        return DeleteResult(deleted=deleted, errors=errors)

    def copy_object(
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
    ) -> PutResult:
        """Copy an object within COS into ``key`` of this bucket (PUT Object -
        Copy, up to 5 GiB). The source defaults to this client's bucket and
        region. ``metadata_directive="Copy"`` keeps the source's metadata;
        ``"Replaced"`` replaces it with the upload ``options`` (as for
        :meth:`put_object`). The ACL options (``acl``, ``grant_*``) apply either
        way (a copy never takes the source's ACL). ``tagging_directive="Copy"``
        keeps the source's tags (``tagging`` is then refused); ``"Replaced"`` gives
        the copy ``tagging`` (none when absent)."""
        h = self._h()
        _copy_put_options(metadata_directive, tagging_directive, options)
        out = c_void_p()
        with _put_options(
            force=metadata_directive == "Replaced",
            metadata_directive=metadata_directive,
            tagging_directive=tagging_directive,
            **options,
        ) as opts:
            st = lib.qcos_client_copy_object(
                h,
                _cstr(key, "key"),
                _cstr(source_bucket if source_bucket is not None else self.bucket, "source_bucket"),
                _cstr(source_region if source_region is not None else self.region, "source_region"),
                _cstr(source_key, "source_key"),
                _opt_cstr(source_version_id, "source_version_id"),
                opts,
                byref(out),
            )
        self._check(st)
        return _take_put_result(out)

    # -- listing ------------------------------------------------------------

    def list_objects(
        self,
        prefix: Optional[str] = None,
        delimiter: Optional[str] = None,
        marker: Optional[str] = None,
        max_keys: int = 1000,
    ) -> ListObjectsResult:
        """List one page of the bucket (GET Bucket), like the official SDK's
        ``list_objects``: at most ``max_keys`` (1 to 1000) objects after
        ``marker``. Continue with ``marker=result.next_marker`` while
        ``result.is_truncated``, or use :meth:`iter_objects`."""
        pages = self.list_objects_pages(prefix, delimiter, marker, max_keys)
        try:
            return next(pages, ListObjectsResult([], [], False, ""))
        finally:
            pages.close()

    def list_objects_pages(
        self,
        prefix: Optional[str] = None,
        delimiter: Optional[str] = None,
        marker: Optional[str] = None,
        max_keys: int = 0,
    ) -> Iterator[ListObjectsResult]:
        """Iterate over every page of a listing, following COS's NextMarker.
        ``max_keys`` is the page size (0 = COS's default of 1000)."""
        h = self._h()
        lst = c_void_p()
        self._check(
            lib.qcos_client_list_objects(
                h,
                _opt_cstr(prefix, "prefix"),
                _opt_cstr(delimiter, "delimiter"),
                _opt_cstr(marker, "marker"),
                int(max_keys),
                byref(lst),
            )
        )
        return self._pages(lst.value)

    def _pages(self, lst: int) -> Iterator[ListObjectsResult]:
        # The generator keeps `self` (and so the credentials provider) alive for as
        # long as the listing may call it.
        try:
            has_page = c_bool()
            while True:
                self._check(lib.qcos_list_next(lst, byref(has_page)))
                if not has_page.value:
                    return
                yield ListObjectsResult(
                    objects=[
                        ObjectSummary(
                            key=_text(lib.qcos_list_object_key(lst, i)),
                            size=lib.qcos_list_object_size(lst, i),
                            etag=_text(lib.qcos_list_object_etag(lst, i)),
                            last_modified=_text(lib.qcos_list_object_last_modified(lst, i)),
                            storage_class=_text(lib.qcos_list_object_storage_class(lst, i)),
                        )
                        for i in range(lib.qcos_list_object_count(lst))
                    ],
                    common_prefixes=[
                        _text(lib.qcos_list_prefix(lst, i)) for i in range(lib.qcos_list_prefix_count(lst))
                    ],
                    is_truncated=bool(lib.qcos_list_is_truncated(lst)),
                    next_marker=_text(lib.qcos_list_next_marker(lst)),
                )
        finally:
            lib.qcos_list_free(lst)

    def iter_objects(self, prefix: Optional[str] = None, delimiter: Optional[str] = None) -> Iterator[ObjectSummary]:
        """Iterate over every object under ``prefix``, page after page."""
        for page in self.list_objects_pages(prefix, delimiter):
            yield from page.objects

    # -- signing for others ------------------------------------------------------

    def _sign_options(
        self,
        *,
        expires: Optional[int],
        params: Optional[Mapping[str, str]],
        headers: Optional[Mapping[str, str]],
        start_time: Optional[int],
        form: Optional[str],
        signed: Optional[bool] = None,
    ) -> _Options:
        out = c_void_p()
        check(lib.qcos_sign_options_new(byref(out)))
        opts = _Options(out.value, lib.qcos_sign_options_free)
        h = out.value
        try:
            for k, v in (params or {}).items():
                check(lib.qcos_sign_options_add_param(h, _cstr(k, "param name"), _cstr(v, "param value")))
            for k, v in (headers or {}).items():
                check(lib.qcos_sign_options_add_header(h, _cstr(k, "header name"), _cstr(v, "header value")))
            if expires is not None:
                check(lib.qcos_sign_options_set_expires(h, int(expires)))
            if start_time is not None:
                check(lib.qcos_sign_options_set_start_time(h, int(start_time)))
            if form is not None:
                if form not in _SIGN_FORMS:
                    raise InvalidArgumentError(
                        Status.INVALID_ARGUMENT,
                        f"form must be one of {sorted(_SIGN_FORMS)}, not {form!r}",
                    )
                check(lib.qcos_sign_options_set_form(h, _SIGN_FORMS[form]))
            if signed is not None:
                check(lib.qcos_sign_options_set_signed(h, bool(signed)))
        except BaseException:
            opts.__exit__(None, None, None)
            raise
        return opts

    def get_presigned_url(
        self,
        key: str,
        method: str = "GET",
        *,
        expires: Optional[int] = None,
        params: Optional[Mapping[str, str]] = None,
        headers: Optional[Mapping[str, str]] = None,
        start_time: Optional[int] = None,
        form: str = "query",
        signed: bool = True,
    ) -> str:
        """A URL anyone may use for one ``method`` request on ``key`` until it
        expires (default 900 s), without credentials. ``params`` are signed and
        put in the URL; ``headers`` are signed and must be sent by whoever uses it.
        ``form``: ``"query"`` (the ``q-*`` fields) or ``"sign"`` (one ``sign=``
        parameter); ``signed=False`` gives a plain URL for public objects.
        No request is sent."""
        h = self._h()
        m = _cstr(method, "method")
        k = _cstr(key, "key")
        n = c_size_t()
        with self._sign_options(
            expires=expires, params=params, headers=headers, start_time=start_time, form=form, signed=signed
        ) as opts:
            cap = 1024
            for _ in range(5):
                buf = ctypes.create_string_buffer(cap)
                st = lib.qcos_presign_url(h, m, k, opts, buf, cap, byref(n))
                if st == Status.BUFFER_TOO_SMALL:
                    # The length may change by a digit between calls: leave room.
                    cap = n.value + 64
                    continue
                self._check(st)
                return buf.raw[: n.value].decode("utf-8")
        raise InternalError(Status.INTERNAL, "the presigned URL kept changing length")

    def get_presigned_download_url(self, key: str, **kwargs: Any) -> str:
        """:meth:`get_presigned_url` for GET (the official SDK's name)."""
        return self.get_presigned_url(key, "GET", **kwargs)

    def sign(
        self,
        method: str,
        key: str,
        *,
        expires: Optional[int] = None,
        params: Optional[Mapping[str, str]] = None,
        headers: Optional[Mapping[str, str]] = None,
        start_time: Optional[int] = None,
        form: str = "header",
    ) -> Signature:
        """Sign a request that someone else will send (a browser, a mini program),
        with this client's credentials. See :class:`Signature` for what to send."""
        h = self._h()
        out = c_void_p()
        with self._sign_options(
            expires=expires, params=params, headers=headers, start_time=start_time, form=form
        ) as opts:
            st = lib.qcos_sign(h, _cstr(method, "method"), _cstr(key, "key"), opts, byref(out))
        self._check(st)
        sig = out.value
        try:
            return Signature(
                authorization=_text(lib.qcos_signature_authorization(sig)),
                query=_text(lib.qcos_signature_query(sig)),
                headers={
                    _text(lib.qcos_signature_header_name(sig, i)): _text(lib.qcos_signature_header_value(sig, i))
                    for i in range(lib.qcos_signature_header_count(sig))
                },
                start_time=lib.qcos_signature_start_time(sig),
                end_time=lib.qcos_signature_end_time(sig),
            )
        finally:
            lib.qcos_signature_free(sig)

    def get_auth(self, method: str, key: str, **kwargs: Any) -> str:
        """The ``Authorization`` header value for a request (the official SDK's
        ``get_auth``); keyword arguments as for :meth:`sign`."""
        return self.sign(method, key, **kwargs).authorization

    def post_policy(
        self,
        *,
        key: Optional[str] = None,
        key_prefix: Optional[str] = None,
        content_length_range: Optional[Tuple[int, int]] = None,
        content_type: Optional[str] = None,
        content_type_prefix: Optional[str] = None,
        success_action_status: Optional[int] = None,
        fields: Optional[Mapping[str, str]] = None,
        expires: Optional[int] = None,
        start_time: Optional[int] = None,
    ) -> PostForm:
        """The signed form fields of a browser POST Object upload of exactly
        ``key`` or of any key under ``key_prefix``, limited by size
        (``content_length_range=(min, max)``), content type, and the exact
        ``fields`` (``x-cos-meta-*``, ``acl``...)."""
        h = self._h()
        if (key is None) == (key_prefix is None):
            raise InvalidArgumentError(Status.INVALID_ARGUMENT, "give exactly one of key and key_prefix")
        out = c_void_p()
        check(lib.qcos_post_policy_options_new(byref(out)))
        po = out.value
        form = c_void_p()
        try:
            if key is not None:
                check(lib.qcos_post_policy_options_set_key(po, _cstr(key, "key")))
            else:
                check(lib.qcos_post_policy_options_set_key_prefix(po, _cstr(key_prefix or "", "key_prefix")))
            if content_length_range is not None:
                lo, hi = content_length_range
                check(lib.qcos_post_policy_options_set_content_length_range(po, int(lo), int(hi)))
            if content_type is not None:
                check(lib.qcos_post_policy_options_set_content_type(po, _cstr(content_type, "content_type")))
            if content_type_prefix is not None:
                check(
                    lib.qcos_post_policy_options_set_content_type_prefix(
                        po, _cstr(content_type_prefix, "content_type_prefix")
                    )
                )
            if success_action_status is not None:
                check(lib.qcos_post_policy_options_set_success_action_status(po, int(success_action_status)))
            for k, v in (fields or {}).items():
                check(lib.qcos_post_policy_options_add_field(po, _cstr(k, "field name"), _cstr(v, "field value")))
            if expires is not None:
                check(lib.qcos_post_policy_options_set_expires(po, int(expires)))
            if start_time is not None:
                check(lib.qcos_post_policy_options_set_start_time(po, int(start_time)))
            self._check(lib.qcos_post_policy(h, po, byref(form)))
        finally:
            lib.qcos_post_policy_options_free(po)
        f = form.value
        try:
            return PostForm(
                url=_text(lib.qcos_post_form_url(f)),
                fields={
                    _text(lib.qcos_post_form_field_name(f, i)): _text(lib.qcos_post_form_field_value(f, i))
                    for i in range(lib.qcos_post_form_field_count(f))
                },
                policy_json=_text(lib.qcos_post_form_policy_json(f)),
            )
        finally:
            lib.qcos_post_form_free(f)

    # -- buckets --------------------------------------------------------------

    def create_bucket(self) -> None:
        """Create this client's bucket (private)."""
        self._check(lib.qcos_client_create_bucket(self._h()))

    def head_bucket(self) -> None:
        """Check that the bucket exists and is accessible; raises
        :class:`ServiceError` (404, 403) otherwise."""
        self._check(lib.qcos_client_head_bucket(self._h()))

    def bucket_exists(self) -> bool:
        """True when HEAD Bucket answers 200, False on a 404."""
        try:
            self.head_bucket()
            return True
        except QcosError as e:
            if e.http_status == 404:
                return False
            raise

    def delete_bucket(self) -> None:
        """Delete this client's bucket, which must be empty."""
        self._check(lib.qcos_client_delete_bucket(self._h()))

    def list_buckets(self) -> List[Bucket]:
        """The account's buckets (GET Service)."""
        out = c_void_p()
        self._check(lib.qcos_client_list_buckets(self._h(), byref(out)))
        lst = out.value
        try:
            return [
                Bucket(
                    name=_text(lib.qcos_bucket_list_name(lst, i)),
                    region=_text(lib.qcos_bucket_list_region(lst, i)),
                    creation_date=_text(lib.qcos_bucket_list_creation_date(lst, i)),
                )
                for i in range(lib.qcos_bucket_list_count(lst))
            ]
        finally:
            lib.qcos_bucket_list_free(lst)


# Setters usable as `Client(..., name=value)`: one plain value after the config.
_CONFIG_SETTERS = frozenset(
    name
    for name, (_, argtypes) in PROTOTYPES.items()
    if name.startswith("qcos_config_set_") and len(argtypes) == 2 and argtypes[1] is not CREDENTIALS_CB
)
