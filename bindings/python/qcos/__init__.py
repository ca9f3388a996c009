"""qcos: a Tencent Cloud COS (XML API) client, through the qcos C library.

Quick start::

    import qcos

    with qcos.Client("ap-guangzhou", "examplebucket-1250000000",
                     secret_id="AKID...", secret_key="...") as cos:
        cos.put_object("hello.txt", b"Hello, COS!", content_type="text/plain")
        assert cos.get_object("hello.txt") == b"Hello, COS!"
        for obj in cos.iter_objects(prefix="hello"):
            print(obj.key, obj.size)
        cos.delete_object("hello.txt")

The C library is found through ``QCOS_LIBRARY``, next to this package, or on the
system library path (see :mod:`qcos._lib`).
"""

from ._lib import library_path
from .client import (
    AppendResult,
    Bucket,
    Client,
    Credentials,
    DeleteError,
    DeleteResult,
    ListObjectsResult,
    ObjectInfo,
    ObjectSummary,
    PostForm,
    Progress,
    PutResult,
    Signature,
    library_version,
)
from .transfer import Queue, QueueEvent, TaskInfo, TaskState, TransferResult
from .multipart import MultipartUpload, Part
from .tagging_acl import AccessControlPolicy, AclGrant
from .bucket_config import CorsRule
from .errors import (
    AuthError,
    BufferTooSmallError,
    CancelledError,
    IntegrityError,
    InternalError,
    InvalidArgumentError,
    InvalidStateError,
    LocalIOError,
    NetworkError,
    NotFoundError,
    ProtocolError,
    QcosError,
    RequestTimeoutError,
    ServiceError,
    Status,
    status_str,
)

__version__ = "0.1.0"

__all__ = [
    "AccessControlPolicy",
    "AclGrant",
    "AppendResult",
    "AuthError",
    "Bucket",
    "BufferTooSmallError",
    "CancelledError",
    "Client",
    "CorsRule",
    "Credentials",
    "DeleteError",
    "DeleteResult",
    "IntegrityError",
    "InternalError",
    "InvalidArgumentError",
    "InvalidStateError",
    "ListObjectsResult",
    "LocalIOError",
    "MultipartUpload",
    "NetworkError",
    "NotFoundError",
    "ObjectInfo",
    "ObjectSummary",
    "Part",
    "PostForm",
    "Progress",
    "ProtocolError",
    "PutResult",
    "QcosError",
    "Queue",
    "QueueEvent",
    "RequestTimeoutError",
    "ServiceError",
    "Signature",
    "Status",
    "TaskInfo",
    "TaskState",
    "TransferResult",
    "library_path",
    "library_version",
    "status_str",
]
