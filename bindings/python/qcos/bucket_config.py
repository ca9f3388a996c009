"""Bucket configuration: bucket CORS, bucket ACL and bucket tagging.

Mixed into :class:`qcos.Client`. Method names follow the official SDK
(``put_bucket_cors``, ``get_bucket_cors``, ``delete_bucket_cors``, ``put_bucket_acl``,
``get_bucket_acl``, ``put_bucket_tagging``, ``get_bucket_tagging``,
``delete_bucket_tagging``). CORS rules are :class:`CorsRule` values, tags a mapping
(or a sequence of pairs), ACL grants lists of account ids. "None set" reads as empty
(``[]``, ``{}``); a missing bucket raises :class:`qcos.ServiceError` (404
NoSuchBucket).
"""

from __future__ import annotations

from ctypes import byref, c_void_p
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, Iterable, List, Optional, Sequence

from ._lib import lib
from .tagging_acl import AccessControlPolicy, Tags, _pairs, _policy

if TYPE_CHECKING:  # pragma: no cover
    from .client import Client

__all__ = ["CorsRule", "BUCKET_GRANT_KINDS", "CORS_FIELDS"]

#: ``qcos_grant_kind`` values, by the ``put_bucket_acl`` keyword that uses them.
BUCKET_GRANT_KINDS = {
    "grant_read": 0,
    "grant_read_acp": 1,
    "grant_write_acp": 2,
    "grant_full_control": 3,
    "grant_write": 4,
}

#: ``qcos_cors_field`` values, by the :class:`CorsRule` attribute they fill.
CORS_FIELDS = {
    "allowed_origins": 0,
    "allowed_methods": 1,
    "allowed_headers": 2,
    "expose_headers": 3,
}


@dataclass
class CorsRule:
    """One rule of a bucket's CORS configuration (``<CORSRule>``)."""

    #: ``<AllowedOrigin>``s, e.g. ``https://app.example.com`` (one ``*`` allowed); at least one.
    allowed_origins: List[str]
    #: ``<AllowedMethod>``s: ``GET``, ``PUT``, ``POST``, ``DELETE``, ``HEAD``; at least one.
    allowed_methods: List[str]
    #: ``<AllowedHeader>``s a preflight may ask for (``*`` for any).
    allowed_headers: List[str] = field(default_factory=list)
    #: ``<ExposeHeader>``s a browser may read, e.g. ``ETag``.
    expose_headers: List[str] = field(default_factory=list)
    #: ``<ID>``; None for none.
    id: Optional[str] = None
    #: ``<MaxAgeSeconds>``; None for none.
    max_age_seconds: Optional[int] = None


class _BucketConfigMixin:
    """The bucket CORS, ACL and tagging methods of :class:`qcos.Client`."""

    def put_bucket_cors(self: "Client", rules: Sequence[CorsRule]) -> None:
        """Replace the bucket's CORS configuration with ``rules`` (1 to 100). Each rule
        needs an origin and a method (GET, PUT, POST, DELETE, HEAD); origins and
        headers are printable ASCII without ``,``. Anything else raises
        :class:`qcos.InvalidArgumentError` naming the rule before sending."""
        from .client import _cstr, _opt_cstr

        if isinstance(rules, CorsRule):
            raise TypeError("rules must be a sequence of CorsRule, not a single rule")
        h = self._h()
        r = c_void_p()
        self._check(lib.qcos_cors_rules_new(byref(r)))
        try:
            for rule in rules:
                if not isinstance(rule, CorsRule):
                    raise TypeError(f"rules must hold CorsRule values, not {type(rule).__name__}")
                if rule.max_age_seconds is not None and rule.max_age_seconds < 0:
                    raise ValueError(f"max_age_seconds must be >= 0, not {rule.max_age_seconds}")
                age = -1 if rule.max_age_seconds is None else int(rule.max_age_seconds)
                self._check(lib.qcos_cors_rules_add_rule(r, _opt_cstr(rule.id, "id"), age))
                for name, kind in CORS_FIELDS.items():
                    values = getattr(rule, name)
                    if isinstance(values, (str, bytes)):
                        raise TypeError(f"{name} must be a list of strings, not a single string")
                    for v in values:
                        self._check(lib.qcos_cors_rules_add_value(r, kind, _cstr(v, name)))
            self._check(lib.qcos_client_put_bucket_cors(h, r))
        finally:
            lib.qcos_cors_rules_free(r)

    def get_bucket_cors(self: "Client") -> List[CorsRule]:
        """The bucket's CORS rules, in COS's order; ``[]`` when it has none."""
        from .client import _text

        out = c_void_p()
        self._check(lib.qcos_client_get_bucket_cors(self._h(), byref(out)))
        r = out.value
        try:
            rules = []
            for i in range(lib.qcos_cors_rules_count(r)):
                values = {
                    name: [
                        _text(lib.qcos_cors_rules_value(r, i, kind, j))
                        for j in range(lib.qcos_cors_rules_value_count(r, i, kind))
                    ]
                    for name, kind in CORS_FIELDS.items()
                }
                rid = lib.qcos_cors_rules_id(r, i)
                age = lib.qcos_cors_rules_max_age(r, i)
                rules.append(
                    CorsRule(
                        id=None if rid is None else _text(rid),
                        max_age_seconds=None if age < 0 else age,
                        **values,
                    )
                )
            return rules
        finally:
            lib.qcos_cors_rules_free(r)

    def delete_bucket_cors(self: "Client") -> None:
        """Remove the bucket's CORS configuration (fine when there is none)."""
        self._check(lib.qcos_client_delete_bucket_cors(self._h()))

    def put_bucket_acl(
        self: "Client",
        acl: Optional[str] = None,
        *,
        grant_read: Iterable[str] = (),
        grant_write: Iterable[str] = (),
        grant_read_acp: Iterable[str] = (),
        grant_write_acp: Iterable[str] = (),
        grant_full_control: Iterable[str] = (),
    ) -> None:
        """Set the bucket's ACL: ``acl`` is the canned ACL (``private``,
        ``public-read`` or ``public-read-write``), the ``grant_*`` lists are account
        ids such as ``"100000000002"``. At least one must be given; they replace the
        bucket's ACL."""
        from .client import _cstr

        h = self._h()
        a = c_void_p()
        self._check(lib.qcos_bucket_acl_new(byref(a)))
        try:
            if acl is not None:
                self._check(lib.qcos_bucket_acl_set_canned(a, _cstr(acl, "acl")))
            for name, ids in (
                ("grant_read", grant_read),
                ("grant_write", grant_write),
                ("grant_read_acp", grant_read_acp),
                ("grant_write_acp", grant_write_acp),
                ("grant_full_control", grant_full_control),
            ):
                if isinstance(ids, (str, bytes)):
                    raise TypeError(f"{name} must be a list of ids, not a single string")
                for i in ids:
                    self._check(
                        lib.qcos_bucket_acl_add_grant(a, BUCKET_GRANT_KINDS[name], _cstr(i, name))
                    )
            self._check(lib.qcos_client_put_bucket_acl(h, a))
        finally:
            lib.qcos_bucket_acl_free(a)

    def get_bucket_acl(self: "Client") -> AccessControlPolicy:
        """The bucket's owner, canned ACL and grants."""
        out = c_void_p()
        self._check(lib.qcos_client_get_bucket_acl(self._h(), byref(out)))
        return _policy(out.value)

    def put_bucket_tagging(self: "Client", tags: Tags) -> None:
        """Replace the bucket's tags with ``tags`` (a mapping or a sequence of
        ``(key, value)`` pairs; empty removes them all). At most 50 tags, keys
        non-empty (at most 128 characters) and unique, values at most 256 characters,
        no control characters: anything else raises :class:`qcos.InvalidArgumentError`
        before sending."""
        from .client import _cstr

        h = self._h()
        pairs = _pairs(tags)
        t = c_void_p()
        self._check(lib.qcos_bucket_tags_new(byref(t)))
        try:
            for k, v in pairs:
                self._check(lib.qcos_tags_add(t, _cstr(k, "key"), _cstr(v, "value")))
            self._check(lib.qcos_client_put_bucket_tagging(h, t))
        finally:
            lib.qcos_tags_free(t)

    def get_bucket_tagging(self: "Client") -> Dict[str, str]:
        """The bucket's tags, in COS's order; ``{}`` when it has none."""
        from .client import _text

        out = c_void_p()
        self._check(lib.qcos_client_get_bucket_tagging(self._h(), byref(out)))
        t = out.value
        try:
            return {
                _text(lib.qcos_tags_key(t, i)): _text(lib.qcos_tags_value(t, i))
                for i in range(lib.qcos_tags_count(t))
            }
        finally:
            lib.qcos_tags_free(t)

    def delete_bucket_tagging(self: "Client") -> None:
        """Remove every tag of the bucket."""
        self._check(lib.qcos_client_delete_bucket_tagging(self._h()))
