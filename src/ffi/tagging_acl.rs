//! Object tagging and object ACL (`qcos_tags`, `qcos_acl`, `qcos_acl_policy` and the
//! `qcos_client_*_object_tagging` / `_object_acl` calls). The checks and the requests
//! are those of the Rust client (`src/client/tagging_acl.rs`).

use std::ffi::{CString, c_char};

use super::args::{
    Poisonable, arg_mut, arg_opt_str, arg_out, arg_ref, arg_str, free_box, into_box,
};
use super::client::qcos_client;
use super::entry::{entry, entry_value};
use super::last_error::c_string;
use crate::client::{
    AccessControlPolicy, CannedAcl, ObjectAcl, validate_bucket_tags, validate_tags,
};
use crate::error::{Error, Result, Status};

fn at<T>(v: &[T], i: usize) -> Result<&T> {
    v.get(i)
        .ok_or_else(|| Error::invalid("index", format!("{i} is out of range (count {})", v.len())))
}

/// A list of object tags (key, value pairs): built with `qcos_tags_new` and
/// `qcos_tags_add` for `qcos_client_put_object_tagging`, or returned by
/// `qcos_client_get_object_tagging`. `qcos_tags_add` applies COS's rules as tags
/// are added: at most 10 tags (50 in a bucket's list, from `qcos_bucket_tags_new` or
/// `qcos_client_get_bucket_tagging`), keys non-empty (at most 128 characters) and
/// unique, values at most 256 characters, no control characters.
///
/// Strings from the accessors are owned by the list and valid until
/// `qcos_tags_add` or `qcos_tags_free`.
///
/// Methods: `qcos_tags_new`, `qcos_tags_add`, `qcos_tags_count`, `qcos_tags_key`,
/// `qcos_tags_value`, `qcos_tags_free`.
///
/// Thread: one thread at a time; may be moved between threads.
pub struct qcos_tags {
    inner: Poisonable<Vec<(CString, CString)>>,
    /// A bucket's tag list (at most 50 tags) rather than an object's (10).
    bucket: bool,
}

impl qcos_tags {
    fn from_pairs(pairs: &[(String, String)]) -> qcos_tags {
        Self::with_pairs(pairs, false)
    }

    /// A list of `pairs` for an object (`bucket` false) or a bucket.
    pub(super) fn with_pairs(pairs: &[(String, String)], bucket: bool) -> qcos_tags {
        qcos_tags {
            bucket,
            inner: Poisonable::new(
                pairs
                    .iter()
                    .map(|(k, v)| (c_string(k), c_string(v)))
                    .collect(),
            ),
        }
    }

    pub(crate) fn pairs(&self) -> Result<Vec<(String, String)>> {
        self.inner
            .get()?
            .iter()
            .map(|(k, v)| {
                // Built from UTF-8 strings only, so these conversions never fail.
                let k = k.to_str().map_err(|_| Error::InvalidUtf8("tags"))?;
                let v = v.to_str().map_err(|_| Error::InvalidUtf8("tags"))?;
                Ok((k.to_string(), v.to_string()))
            })
            .collect()
    }
}

/// Create an empty tag list.
///
/// `tags_out`: receives the list on success; release it with `qcos_tags_free`.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL `tags_out`).
///
/// Thread: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_tags_new(tags_out: *mut *mut qcos_tags) -> Status {
    entry(|| {
        let out = arg_out(tags_out, "tags_out")?;
        out.write(into_box(qcos_tags::from_pairs(&[])));
        Ok(())
    })
}

/// Append the tag `key` = `value` (both copied; `value` may be "").
///
/// The list is unchanged when the tag is refused: an 11th tag (a 51st in a bucket's
/// list), an empty key or one
/// already in the list, a key over 128 or a value over 256 characters, a control
/// character (the last error names the rule).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8, the
/// rules above); `QCOS_STATUS_INTERNAL` (the list was poisoned by a panic).
///
/// Thread: one thread at a time per list.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_tags_add(
    tags: *mut qcos_tags,
    key: *const c_char,
    value: *const c_char,
) -> Status {
    entry(|| {
        let tags = arg_mut(tags, "tags")?;
        let key = arg_str(key, "key")?;
        let value = arg_str(value, "value")?;
        let mut all = tags.pairs()?;
        all.push((key.to_string(), value.to_string()));
        if tags.bucket {
            validate_bucket_tags(&all)?;
        } else {
            validate_tags(&all)?;
        }
        tags.inner.with(|v| {
            v.push((c_string(key), c_string(value)));
            Ok(())
        })
    })
}

/// The number of tags; 0 when `tags` is NULL.
///
/// Thread: one thread at a time per list.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_tags_count(tags: *const qcos_tags) -> usize {
    entry_value(0, || Ok(arg_ref(tags, "tags")?.inner.get()?.len()))
}

/// The key of tag `index`, or NULL when `tags` is NULL or `index` is out of range.
/// Owned by `tags`, valid until the next `qcos_tags_add` or `qcos_tags_free`.
///
/// Thread: one thread at a time per list.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_tags_key(tags: *const qcos_tags, index: usize) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(at(arg_ref(tags, "tags")?.inner.get()?, index)?.0.as_ptr())
    })
}

/// The value of tag `index` (possibly ""), or NULL when `tags` is NULL or `index` is
/// out of range. Owned by `tags`, valid until the next `qcos_tags_add` or
/// `qcos_tags_free`.
///
/// Thread: one thread at a time per list.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_tags_value(tags: *const qcos_tags, index: usize) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(at(arg_ref(tags, "tags")?.inner.get()?, index)?.1.as_ptr())
    })
}

/// Release a tag list. NULL does nothing.
///
/// Thread: any thread, once no other thread uses `tags`.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_tags_free(tags: *mut qcos_tags) {
    entry_value((), || {
        free_box(tags);
        Ok(())
    })
}

/// Replace the tags of object `key` with `tags` (PUT Object tagging, sent with
/// Content-MD5).
///
/// `client`, `tags`: borrowed for the call (`tags` may hold 0 tags: the object then
/// has none). `key`: the object. `version_id`: a version of the object, or NULL for
/// the current one. The tag rules are those of `qcos_tags_add`.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL `client`, `key`
/// or `tags`, bad UTF-8, an invalid key, an empty `version_id`);
/// `QCOS_STATUS_SERVICE` (e.g. 404 NoSuchKey, 400 InvalidTag); `QCOS_STATUS_NETWORK`,
/// `QCOS_STATUS_TIMEOUT`, `QCOS_STATUS_AUTH`; `QCOS_STATUS_INTERNAL` (`tags` was
/// poisoned by a panic).
///
/// Thread: any thread; blocks until done.
///
/// ```c
/// qcos_tags *t = NULL;
/// qcos_tags_new(&t);
/// qcos_tags_add(t, "project", "qcos");
/// qcos_status s = qcos_client_put_object_tagging(client, "a.txt", t, NULL);
/// qcos_tags_free(t);
/// ```
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_put_object_tagging(
    client: *const qcos_client,
    key: *const c_char,
    tags: *const qcos_tags,
    version_id: *const c_char,
) -> Status {
    entry(|| {
        let c = &arg_ref(client, "client")?.inner;
        let key = arg_str(key, "key")?;
        let tags = arg_ref(tags, "tags")?.pairs()?;
        let version_id = arg_opt_str(version_id, "version_id")?;
        c.put_object_tagging(key, &tags, version_id)
    })
}

/// Read the tags of object `key` (GET Object tagging).
///
/// `version_id`: a version of the object, or NULL for the current one. `tags_out`:
/// required; on success receives a new list (release with `qcos_tags_free`), empty
/// when the object has no tags (COS's 404 NoSuchTagSet is not an error here).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8, an
/// invalid key); `QCOS_STATUS_SERVICE` (e.g. 404 NoSuchKey); `QCOS_STATUS_NETWORK`,
/// `QCOS_STATUS_TIMEOUT`, `QCOS_STATUS_AUTH`, `QCOS_STATUS_PROTOCOL`.
///
/// Thread: any thread; blocks until done.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_get_object_tagging(
    client: *const qcos_client,
    key: *const c_char,
    version_id: *const c_char,
    tags_out: *mut *mut qcos_tags,
) -> Status {
    entry(|| {
        let c = &arg_ref(client, "client")?.inner;
        let key = arg_str(key, "key")?;
        let version_id = arg_opt_str(version_id, "version_id")?;
        let out = arg_out(tags_out, "tags_out")?;
        let tags = c.get_object_tagging(key, version_id)?;
        out.write(into_box(qcos_tags::from_pairs(&tags)));
        Ok(())
    })
}

/// Remove every tag of object `key` (DELETE Object tagging).
///
/// `version_id`: a version of the object, or NULL for the current one.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT`;
/// `QCOS_STATUS_SERVICE` (e.g. 404 NoSuchKey); `QCOS_STATUS_NETWORK`,
/// `QCOS_STATUS_TIMEOUT`, `QCOS_STATUS_AUTH`.
///
/// Thread: any thread; blocks until done.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_delete_object_tagging(
    client: *const qcos_client,
    key: *const c_char,
    version_id: *const c_char,
) -> Status {
    entry(|| {
        let c = &arg_ref(client, "client")?.inner;
        let key = arg_str(key, "key")?;
        let version_id = arg_opt_str(version_id, "version_id")?;
        c.delete_object_tagging(key, version_id)
    })
}

/// The kind of a grant added with `qcos_acl_add_grant` (objects) or
/// `qcos_bucket_acl_add_grant` (buckets): the `x-cos-grant-*` header it goes into.
/// For a bucket, "the object" below reads "the bucket". Passed as a `uint32_t`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum qcos_grant_kind {
    /// `x-cos-grant-read`: may read the object.
    Read = 0,
    /// `x-cos-grant-read-acp`: may read the object's ACL.
    ReadAcp = 1,
    /// `x-cos-grant-write-acp`: may change the object's ACL.
    WriteAcp = 2,
    /// `x-cos-grant-full-control`: all permissions.
    FullControl = 3,
    /// `x-cos-grant-write`: may write the bucket's objects (bucket ACLs only,
    /// `qcos_bucket_acl_add_grant`; `qcos_acl_add_grant` refuses it).
    Write = 4,
}

/// What `qcos_client_put_object_acl` sets: an optional canned ACL (`x-cos-acl`) and
/// grants (`x-cos-grant-*`), sent as headers.
///
/// Methods: `qcos_acl_new`, `qcos_acl_set_canned`, `qcos_acl_add_grant`,
/// `qcos_acl_free`.
///
/// Thread: one thread at a time; may be moved between threads.
pub struct qcos_acl {
    pub(crate) inner: Poisonable<ObjectAcl>,
}

/// Create an empty ACL (no canned ACL, no grants).
///
/// `acl_out`: receives it on success; release it with `qcos_acl_free`.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL `acl_out`).
///
/// Thread: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_acl_new(acl_out: *mut *mut qcos_acl) -> Status {
    entry(|| {
        let out = arg_out(acl_out, "acl_out")?;
        out.write(into_box(qcos_acl {
            inner: Poisonable::new(ObjectAcl::default()),
        }));
        Ok(())
    })
}

/// Set the canned ACL: "default" (inherit the bucket's), "private" or
/// "public-read"; NULL removes it (no `x-cos-acl` is sent).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL `acl`, bad
/// UTF-8, another value: the ACL is then unchanged); `QCOS_STATUS_INTERNAL`
/// (poisoned).
///
/// Thread: one thread at a time per ACL.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_acl_set_canned(acl: *mut qcos_acl, canned: *const c_char) -> Status {
    entry(|| {
        let acl = arg_mut(acl, "acl")?;
        let canned = match arg_opt_str(canned, "canned")? {
            None => None,
            Some(s) => Some(CannedAcl::parse(s).ok_or_else(|| {
                Error::invalid(
                    "canned",
                    format!("{s:?} is not a canned object ACL (default, private, public-read)"),
                )
            })?),
        };
        acl.inner.with(|a| {
            a.canned = canned;
            Ok(())
        })
    })
}

/// Grant `kind` (a `qcos_grant_kind` value) to the account `id` (copied), e.g.
/// "100000000002" or "qcs::cam::uin/100000000001:uin/100000000002". Ids must be
/// printable ASCII without '"' or ','.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8, an
/// unknown `kind`, an empty id or one with other characters: the ACL is then
/// unchanged); `QCOS_STATUS_INTERNAL` (poisoned).
///
/// Thread: one thread at a time per ACL.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_acl_add_grant(acl: *mut qcos_acl, kind: u32, id: *const c_char) -> Status {
    entry(|| {
        let acl = arg_mut(acl, "acl")?;
        let id = arg_str(id, "id")?;
        if id.is_empty() {
            return Err(Error::invalid("id", "the grantee id is empty"));
        }
        if let Some(c) = id
            .chars()
            .find(|&c| !(' '..='~').contains(&c) || c == '"' || c == ',')
        {
            return Err(Error::invalid(
                "id",
                format!(
                    "the grantee id {id:?} contains {c:?}; ids are printable ASCII without '\"' or ','"
                ),
            ));
        }
        acl.inner.with(|a| {
            let list = match kind {
                x if x == qcos_grant_kind::Read as u32 => &mut a.grant_read,
                x if x == qcos_grant_kind::ReadAcp as u32 => &mut a.grant_read_acp,
                x if x == qcos_grant_kind::WriteAcp as u32 => &mut a.grant_write_acp,
                x if x == qcos_grant_kind::FullControl as u32 => &mut a.grant_full_control,
                x if x == qcos_grant_kind::Write as u32 => {
                    return Err(Error::invalid(
                        "kind",
                        "QCOS_GRANT_KIND_WRITE is for bucket ACLs (qcos_bucket_acl_add_grant); an object ACL has no write grant",
                    ));
                }
                other => {
                    return Err(Error::invalid(
                        "kind",
                        format!(
                            "{other} is not a qcos_grant_kind value for an object ACL (QCOS_GRANT_KIND_READ = 0 to QCOS_GRANT_KIND_FULL_CONTROL = 3)"
                        ),
                    ));
                }
            };
            list.push(id.to_string());
            Ok(())
        })
    })
}

/// Release an ACL. NULL does nothing.
///
/// Thread: any thread, once no other thread uses `acl`.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_acl_free(acl: *mut qcos_acl) {
    entry_value((), || {
        free_box(acl);
        Ok(())
    })
}

/// Set the ACL of object `key` (PUT Object ACL) from `acl` (borrowed): its canned
/// ACL and grants replace the object's. At least one of them must be set.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8, an
/// invalid key, an empty `acl`); `QCOS_STATUS_SERVICE` (e.g. 404 NoSuchKey);
/// `QCOS_STATUS_NETWORK`, `QCOS_STATUS_TIMEOUT`, `QCOS_STATUS_AUTH`;
/// `QCOS_STATUS_INTERNAL` (`acl` was poisoned by a panic).
///
/// Thread: any thread; blocks until done.
///
/// ```c
/// qcos_acl *acl = NULL;
/// qcos_acl_new(&acl);
/// qcos_acl_set_canned(acl, "private");
/// qcos_acl_add_grant(acl, QCOS_GRANT_KIND_READ, "100000000002");
/// qcos_status s = qcos_client_put_object_acl(client, "a.txt", acl);
/// qcos_acl_free(acl);
/// ```
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_put_object_acl(
    client: *const qcos_client,
    key: *const c_char,
    acl: *const qcos_acl,
) -> Status {
    entry(|| {
        let c = &arg_ref(client, "client")?.inner;
        let key = arg_str(key, "key")?;
        let acl = arg_ref(acl, "acl")?.inner.get()?;
        c.put_object_acl(key, acl)
    })
}

pub(crate) struct PolicyGrant {
    pub(crate) grantee_type: CString,
    pub(crate) id: Option<CString>,
    pub(crate) uri: Option<CString>,
    pub(crate) permission: CString,
}

/// An object's ACL as a document: owner, canned ACL, grants. Returned by
/// `qcos_client_get_object_acl`, or built with `qcos_acl_policy_new` and
/// `qcos_acl_policy_add_grant`; either can be given to
/// `qcos_client_put_object_acl_policy`. Strings are owned by the policy, valid until
/// `qcos_acl_policy_free` (adding a grant keeps them valid).
///
/// Methods: `qcos_acl_policy_owner_id`, `qcos_acl_policy_canned`,
/// `qcos_acl_policy_grant_count`, `_grant_type`, `_grant_id`, `_grant_uri`,
/// `_grant_permission`, `qcos_acl_policy_new`, `qcos_acl_policy_add_grant`,
/// `qcos_acl_policy_free`.
///
/// Thread: any number of threads may read it at once; `qcos_acl_policy_add_grant`
/// needs it to itself.
pub struct qcos_acl_policy {
    pub(crate) owner_id: CString,
    pub(crate) canned: Option<CString>,
    pub(crate) grants: Vec<PolicyGrant>,
}

impl From<&AccessControlPolicy> for qcos_acl_policy {
    fn from(p: &AccessControlPolicy) -> Self {
        qcos_acl_policy {
            owner_id: c_string(&p.owner_id),
            canned: p.canned.as_deref().map(c_string),
            grants: p
                .grants
                .iter()
                .map(|g| PolicyGrant {
                    grantee_type: c_string(&g.grantee_type),
                    id: g.id.as_deref().map(c_string),
                    uri: g.uri.as_deref().map(c_string),
                    permission: c_string(&g.permission),
                })
                .collect(),
        }
    }
}

/// Read the ACL of object `key` (GET Object ACL).
///
/// `policy_out`: required; on success receives the owner and grants (release with
/// `qcos_acl_policy_free`).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8, an
/// invalid key); `QCOS_STATUS_SERVICE` (e.g. 404 NoSuchKey); `QCOS_STATUS_NETWORK`,
/// `QCOS_STATUS_TIMEOUT`, `QCOS_STATUS_AUTH`, `QCOS_STATUS_PROTOCOL`.
///
/// Thread: any thread; blocks until done.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_get_object_acl(
    client: *const qcos_client,
    key: *const c_char,
    policy_out: *mut *mut qcos_acl_policy,
) -> Status {
    entry(|| {
        let c = &arg_ref(client, "client")?.inner;
        let key = arg_str(key, "key")?;
        let out = arg_out(policy_out, "policy_out")?;
        let p = c.get_object_acl(key)?;
        out.write(into_box(qcos_acl_policy::from(&p)));
        Ok(())
    })
}

fn grant<'a>(p: *const qcos_acl_policy, index: usize) -> Result<&'a PolicyGrant> {
    at(&arg_ref(p, "policy")?.grants, index)
}

/// The owner's id (e.g. "qcs::cam::uin/100000000001:uin/100000000001"), or NULL when
/// `policy` is NULL. Owned by `policy`.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_acl_policy_owner_id(policy: *const qcos_acl_policy) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(arg_ref(policy, "policy")?.owner_id.as_ptr())
    })
}

/// The canned ACL COS reported in `x-cos-acl` ("default", "private",
/// "public-read"), or NULL when it sent none or `policy` is NULL. Owned by `policy`.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_acl_policy_canned(policy: *const qcos_acl_policy) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(arg_ref(policy, "policy")?
            .canned
            .as_ref()
            .map_or(std::ptr::null(), |c| c.as_ptr()))
    })
}

/// The number of grants; 0 when `policy` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_acl_policy_grant_count(policy: *const qcos_acl_policy) -> usize {
    entry_value(0, || Ok(arg_ref(policy, "policy")?.grants.len()))
}

/// The grantee type of grant `index`: "CanonicalUser" (an account, see
/// `qcos_acl_policy_grant_id`) or "Group" (see `qcos_acl_policy_grant_uri`); NULL
/// when `policy` is NULL or `index` is out of range. Owned by `policy`.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_acl_policy_grant_type(
    policy: *const qcos_acl_policy,
    index: usize,
) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(grant(policy, index)?.grantee_type.as_ptr())
    })
}

/// The grantee id of grant `index`; NULL for a group grantee, when `policy` is NULL
/// or `index` is out of range. Owned by `policy`.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_acl_policy_grant_id(
    policy: *const qcos_acl_policy,
    index: usize,
) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(grant(policy, index)?
            .id
            .as_ref()
            .map_or(std::ptr::null(), |s| s.as_ptr()))
    })
}

/// The grantee URI of grant `index` (groups, e.g.
/// `http://cam.qcloud.com/groups/global/AllUsers`); NULL for an account grantee,
/// when `policy` is NULL or `index` is out of range. Owned by `policy`.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_acl_policy_grant_uri(
    policy: *const qcos_acl_policy,
    index: usize,
) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(grant(policy, index)?
            .uri
            .as_ref()
            .map_or(std::ptr::null(), |s| s.as_ptr()))
    })
}

/// The permission of grant `index`: "READ", "WRITE", "FULL_CONTROL", "READ_ACP" or
/// "WRITE_ACP"; NULL when `policy` is NULL or `index` is out of range. Owned by
/// `policy`.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_acl_policy_grant_permission(
    policy: *const qcos_acl_policy,
    index: usize,
) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(grant(policy, index)?.permission.as_ptr())
    })
}

/// Release a policy. NULL does nothing.
///
/// Thread: any thread, once no other thread uses `policy`.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_acl_policy_free(policy: *mut qcos_acl_policy) {
    entry_value((), || {
        free_box(policy);
        Ok(())
    })
}
