"""Exceptions raised by the qcos binding.

Every failed C call becomes a :class:`QcosError` (or one of its subclasses, one per
``qcos_status``), carrying what the library's thread-local last error held right
after the call: the status, the message, and for COS service errors the HTTP
status, COS ``Code``, ``RequestId``, ``TraceId`` and ``Resource``.
"""

from __future__ import annotations

import builtins
import enum
from typing import Dict, Optional, Type

from ._lib import lib

__all__ = [
    "Status",
    "QcosError",
    "InvalidArgumentError",
    "ServiceError",
    "NetworkError",
    "RequestTimeoutError",
    "CancelledError",
    "IntegrityError",
    "AuthError",
    "LocalIOError",
    "BufferTooSmallError",
    "NotFoundError",
    "InvalidStateError",
    "ProtocolError",
    "InternalError",
]


class Status(enum.IntEnum):
    """The C library's ``qcos_status`` numbers (part of the ABI, never renumbered)."""

    OK = 0
    INVALID_ARGUMENT = 1
    SERVICE = 2
    NETWORK = 3
    TIMEOUT = 4
    CANCELLED = 5
    INTEGRITY = 6
    AUTH = 7
    IO = 8
    BUFFER_TOO_SMALL = 9
    NOT_FOUND = 10
    INVALID_STATE = 11
    PROTOCOL = 12
    INTERNAL = 13


class QcosError(Exception):
    """A qcos call failed.

    Attributes:
        status: the :class:`Status` the C function returned.
        message: the library's English description (never contains secrets).
        http_status: the HTTP status of a COS service error, else 0.
        code: COS's error ``Code`` (e.g. ``"NoSuchKey"``), or ``""``.
        request_id: COS's ``RequestId`` (quote it to Tencent Cloud support), or ``""``.
        trace_id: COS's ``TraceId``, or ``""``.
        resource: COS's ``Resource``, or ``""``.
    """

    status: Status

    def __init__(
        self,
        status: int,
        message: str,
        *,
        http_status: int = 0,
        code: str = "",
        request_id: str = "",
        trace_id: str = "",
        resource: str = "",
    ) -> None:
        try:
            self.status = Status(status)
        except ValueError:  # a newer library with a status this binding predates
            self.status = status  # type: ignore[assignment]
        self.message = message
        self.http_status = http_status
        self.code = code
        self.request_id = request_id
        self.trace_id = trace_id
        self.resource = resource
        super().__init__(str(self))

    def __str__(self) -> str:
        name = self.status.name if isinstance(self.status, Status) else str(self.status)
        text = f"{name}: {self.message}"
        if self.http_status:
            text += f" (HTTP {self.http_status}"
            if self.code:
                text += f", Code {self.code}"
            if self.request_id:
                text += f", RequestId {self.request_id}"
            text += ")"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, message={self.message!r}, "
            f"http_status={self.http_status}, code={self.code!r}, "
            f"request_id={self.request_id!r})"
        )


class InvalidArgumentError(QcosError, ValueError):
    """An argument was refused before anything was sent (also a ``ValueError``)."""


class ServiceError(QcosError):
    """COS answered with an error; see ``http_status``, ``code``, ``request_id``."""


class NetworkError(QcosError, ConnectionError):
    """The connection failed (DNS, refused, reset, TLS)."""


class RequestTimeoutError(QcosError, builtins.TimeoutError):
    """A timeout elapsed (also a built-in ``TimeoutError``)."""


class CancelledError(QcosError):
    """A callback asked to stop, or the operation was cancelled."""


class IntegrityError(QcosError):
    """Data did not match its checksum (CRC-64, MD5, size)."""


class AuthError(QcosError):
    """Credentials were missing, malformed, or the credential provider failed."""


class LocalIOError(QcosError, OSError):
    """A local file could not be read or written."""


class BufferTooSmallError(QcosError):
    """A caller buffer was too small; ``needed`` is the size required."""

    needed: int = 0


class NotFoundError(QcosError):
    """Something does not exist locally (e.g. an unknown task id)."""


class InvalidStateError(QcosError):
    """The operation is not possible in the current state."""


class ProtocolError(QcosError):
    """The answer could not be understood."""


class InternalError(QcosError):
    """A bug inside qcos (including a caught panic)."""


_BY_STATUS: Dict[int, Type[QcosError]] = {
    Status.INVALID_ARGUMENT: InvalidArgumentError,
    Status.SERVICE: ServiceError,
    Status.NETWORK: NetworkError,
    Status.TIMEOUT: RequestTimeoutError,
    Status.CANCELLED: CancelledError,
    Status.INTEGRITY: IntegrityError,
    Status.AUTH: AuthError,
    Status.IO: LocalIOError,
    Status.BUFFER_TOO_SMALL: BufferTooSmallError,
    Status.NOT_FOUND: NotFoundError,
    Status.INVALID_STATE: InvalidStateError,
    Status.PROTOCOL: ProtocolError,
    Status.INTERNAL: InternalError,
}


def _text(p: Optional[bytes]) -> str:
    return p.decode("utf-8", "replace") if p else ""


def status_str(status: int) -> str:
    """The library's static description of a status number."""
    return _text(lib.qcos_status_str(status))


def last_error(status: int) -> QcosError:
    """Build the exception for ``status`` from this thread's last error.

    Must be called on the thread that made the failing call, before any other
    qcos call (the last error is per thread and cleared on every entry).
    """
    message = _text(lib.qcos_last_error_message()) or status_str(status)
    cls = _BY_STATUS.get(status, QcosError)
    return cls(
        status,
        message,
        http_status=int(lib.qcos_last_error_http_status()),
        code=_text(lib.qcos_last_error_code()),
        request_id=_text(lib.qcos_last_error_request_id()),
        trace_id=_text(lib.qcos_last_error_trace_id()),
        resource=_text(lib.qcos_last_error_resource()),
    )


def check(status: int) -> None:
    """Raise the matching :class:`QcosError` unless ``status`` is OK."""
    if status != Status.OK:
        raise last_error(status)
