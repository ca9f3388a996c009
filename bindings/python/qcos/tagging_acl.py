"""Object tagging and object ACL (COS §6.18).

Mixed into :class:`qcos.Client`. Method names follow the official SDK
(``put_object_tagging``, ``get_object_tagging``, ``delete_object_tagging``,
``put_object_acl``, ``get_object_acl``); tags are a mapping (or a sequence of
pairs) and ACL grants are lists of account ids. ``put_object_acl_policy`` sets the
ACL from an :class:`AccessControlPolicy` document (what ``get_object_acl``
returns). Writes (``put_object``, ``upload_file``, copies) take ``acl``,
``grant_*`` and ``tagging`` options too.
"""

from __future__ import annotations

from ctypes import byref, c_void_p
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from ._lib import lib

if TYPE_CHECKING:  # pragma: no cover
    from .client import Client

__all__ = ["AclGrant", "AccessControlPolicy", "GRANT_KINDS"]

#: ``qcos_grant_kind`` values, by the ``put_object_acl`` keyword that uses them.
GRANT_KINDS = {
    "grant_read": 0,
    "grant_read_acp": 1,
    "grant_write_acp": 2,
    "grant_full_control": 3,
}

Tags = Union[Mapping[str, str], Sequence[Tuple[str, str]]]


@dataclass(frozen=True)
class AclGrant:
    """One grant of an object's ACL."""

    #: ``CanonicalUser`` (an account: see ``id``) or ``Group`` (see ``uri``).
    grantee_type: str
    #: The account, e.g. ``qcs::cam::uin/100000000001:uin/100000000001``; None for groups.
    id: Optional[str]
    #: The group, e.g. ``http://cam.qcloud.com/groups/global/AllUsers``; None for accounts.
    uri: Optional[str]
    #: ``READ``, ``WRITE``, ``FULL_CONTROL``, ``READ_ACP`` or ``WRITE_ACP``.
    permission: str


@dataclass(frozen=True)
class AccessControlPolicy:
    """An object's or a bucket's ACL as GET Object/Bucket ACL reports it (and as
    :meth:`Client.put_object_acl_policy` takes it; ``canned`` is then ignored)."""

    owner_id: str
    #: The ``x-cos-acl`` header (objects: ``default``, ``private``, ``public-read``;
    #: buckets: ``private``, ``public-read``, ``public-read-write``); None if absent.
    canned: Optional[str]
    grants: List[AclGrant] = field(default_factory=list)


def _opt_text(p: Optional[bytes]) -> Optional[str]:
    return None if p is None else p.decode("utf-8", "replace")


def _pairs(tags: Tags) -> List[Tuple[str, str]]:
    if isinstance(tags, Mapping):
        return list(tags.items())
    if isinstance(tags, (str, bytes)):
        raise TypeError("tags must be a mapping or a sequence of (key, value) pairs")
    out = []
    for item in tags:
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise TypeError("tags must be a mapping or a sequence of (key, value) pairs")
        out.append((item[0], item[1]))
    return out


class _TaggingAclMixin:
    """The tagging and ACL methods of :class:`qcos.Client`."""

    def put_object_tagging(
        self: "Client", key: str, tags: Tags, *, version_id: Optional[str] = None
    ) -> None:
        """Replace the tags of object ``key`` with ``tags`` (a mapping or a sequence of
        ``(key, value)`` pairs; empty removes them all). At most 10 tags, keys
        non-empty (at most 128 characters) and unique, values at most 256 characters:
        anything else raises :class:`qcos.InvalidArgumentError` before sending.
        ``version_id``: a version of the object, default the current one."""
        from .client import _cstr, _opt_cstr

        h = self._h()
        pairs = _pairs(tags)
        t = c_void_p()
        self._check(lib.qcos_tags_new(byref(t)))
        try:
            for k, v in pairs:
                self._check(lib.qcos_tags_add(t, _cstr(k, "key"), _cstr(v, "value")))
            self._check(
                lib.qcos_client_put_object_tagging(
                    h, _cstr(key, "key"), t, _opt_cstr(version_id, "version_id")
                )
            )
        finally:
            lib.qcos_tags_free(t)

    def get_object_tagging(
        self: "Client", key: str, *, version_id: Optional[str] = None
    ) -> Dict[str, str]:
        """The tags of object ``key``, in COS's order; ``{}`` when it has none."""
        from .client import _cstr, _opt_cstr, _text

        h = self._h()
        out = c_void_p()
        self._check(
            lib.qcos_client_get_object_tagging(
                h, _cstr(key, "key"), _opt_cstr(version_id, "version_id"), byref(out)
            )
        )
        t = out.value
        try:
            return {
                _text(lib.qcos_tags_key(t, i)): _text(lib.qcos_tags_value(t, i))
                for i in range(lib.qcos_tags_count(t))
            }
        finally:
            lib.qcos_tags_free(t)

    def delete_object_tagging(self: "Client", key: str, *, version_id: Optional[str] = None) -> None:
        """Remove every tag of object ``key``."""
        from .client import _cstr, _opt_cstr

        self._check(
            lib.qcos_client_delete_object_tagging(
                self._h(), _cstr(key, "key"), _opt_cstr(version_id, "version_id")
            )
        )

    def put_object_acl(
        self: "Client",
        key: str,
        acl: Optional[str] = None,
        *,
        grant_read: Iterable[str] = (),
        grant_read_acp: Iterable[str] = (),
        grant_write_acp: Iterable[str] = (),
        grant_full_control: Iterable[str] = (),
    ) -> None:
        """Set the ACL of object ``key``: ``acl`` is the canned ACL (``default``,
        ``private`` or ``public-read``), the ``grant_*`` lists are account ids such as
        ``"100000000002"``. At least one must be given; they replace the object's ACL."""
        from .client import _cstr

        h = self._h()
        a = c_void_p()
        self._check(lib.qcos_acl_new(byref(a)))
        try:
            if acl is not None:
                self._check(lib.qcos_acl_set_canned(a, _cstr(acl, "acl")))
            for name, ids in (
                ("grant_read", grant_read),
                ("grant_read_acp", grant_read_acp),
                ("grant_write_acp", grant_write_acp),
                ("grant_full_control", grant_full_control),
            ):
                if isinstance(ids, (str, bytes)):
                    raise TypeError(f"{name} must be a list of ids, not a single string")
                for i in ids:
                    self._check(lib.qcos_acl_add_grant(a, GRANT_KINDS[name], _cstr(i, name)))
            self._check(lib.qcos_client_put_object_acl(h, _cstr(key, "key"), a))
        finally:
            lib.qcos_acl_free(a)

    def get_object_acl(self: "Client", key: str) -> AccessControlPolicy:
        """The owner, canned ACL and grants of object ``key``."""
        from .client import _cstr

        out = c_void_p()
        self._check(lib.qcos_client_get_object_acl(self._h(), _cstr(key, "key"), byref(out)))
        return _policy(out.value)

    def put_object_acl_policy(self: "Client", key: str, policy: AccessControlPolicy) -> None:
        """Set the ACL of object ``key`` from the document ``policy`` (PUT Object ACL
        with an ``<AccessControlPolicy>`` body): its grants replace all of the
        object's, exactly as listed (list the owner's ``FULL_CONTROL`` too if it
        should stay). A policy from :meth:`get_object_acl` can be put back as it is.
        Each grant is a ``CanonicalUser`` with an ``id`` or a ``Group`` with a
        ``uri``; permissions ``READ``, ``WRITE``, ``FULL_CONTROL``, ``READ_ACP``,
        ``WRITE_ACP``; at most 1000 grants. Anything else raises
        :class:`qcos.InvalidArgumentError` before sending."""
        from .client import _cstr

        h = self._h()
        p = c_void_p()
        self._check(lib.qcos_acl_policy_new(_cstr(policy.owner_id, "owner_id"), byref(p)))
        try:
            for i, g in enumerate(policy.grants):
                who = g.uri if g.grantee_type == "Group" else g.id
                if who is None:
                    raise TypeError(
                        f"grant {i}: a {g.grantee_type} grantee needs "
                        + ("a uri" if g.grantee_type == "Group" else "an id")
                    )
                self._check(
                    lib.qcos_acl_policy_add_grant(
                        p,
                        _cstr(g.grantee_type, "grantee_type"),
                        _cstr(who, "grantee"),
                        _cstr(g.permission, "permission"),
                    )
                )
            self._check(lib.qcos_client_put_object_acl_policy(h, _cstr(key, "key"), p))
        finally:
            lib.qcos_acl_policy_free(p)


def _policy(p: int) -> AccessControlPolicy:
    """Read a ``qcos_acl_policy`` (object or bucket ACL) and free it."""
    from .client import _text

    try:
        return AccessControlPolicy(
            owner_id=_text(lib.qcos_acl_policy_owner_id(p)),
            canned=_opt_text(lib.qcos_acl_policy_canned(p)),
            grants=[
                AclGrant(
                    grantee_type=_text(lib.qcos_acl_policy_grant_type(p, i)),
                    id=_opt_text(lib.qcos_acl_policy_grant_id(p, i)),
                    uri=_opt_text(lib.qcos_acl_policy_grant_uri(p, i)),
                    permission=_text(lib.qcos_acl_policy_grant_permission(p, i)),
                )
                for i in range(lib.qcos_acl_policy_grant_count(p))
            ],
        )
    finally:
        lib.qcos_acl_policy_free(p)
