//! ACL and tags given at write time (`qcos_put_options_set_acl`, `_add_tag`,
//! `_set_tags`, the copy directives) and the ACL as an `<AccessControlPolicy>` document
//! (`qcos_acl_policy_new`, `qcos_acl_policy_add_grant`,
//! `qcos_client_put_object_acl_policy`). The checks and requests are those of the Rust
//! client (`PutObjectOptions::acl` / `tagging`, `Client::put_object_acl_policy`).

use std::ffi::c_char;

use super::args::{arg_mut, arg_opt_ref, arg_out, arg_ref, arg_str, into_box};
use super::client::qcos_client;
use super::entry::entry;
use super::last_error::c_string;
use super::options::{qcos_copy_directive, qcos_put_options};
use super::tagging_acl::{PolicyGrant, qcos_acl, qcos_acl_policy, qcos_tags};
use crate::client::{AccessControlPolicy, Grant, check_user_names, validate_policy, validate_tags};
use crate::error::{Error, Result, Status};

fn directive(v: u32) -> Result<bool> {
    match v {
        x if x == qcos_copy_directive::Copy as u32 => Ok(false),
        x if x == qcos_copy_directive::Replaced as u32 => Ok(true),
        other => Err(Error::invalid(
            "directive",
            format!(
                "{other} is not a qcos_copy_directive value (QCOS_COPY_DIRECTIVE_COPY = 0, QCOS_COPY_DIRECTIVE_REPLACED = 1)"
            ),
        )),
    }
}

/// Set the ACL the object is written with (`x-cos-acl`, `x-cos-grant-*`) from `acl`
/// (copied; NULL removes it: the object then inherits the bucket's ACL). Applies to
/// `qcos_client_put_object*`, `qcos_upload_*` (the single PUT or the multipart
/// upload's Initiate; never its parts), `qcos_queue_upload`, APPEND (the first) and
/// copies (a copy never takes the source's ACL). This is the way to set an ACL at
/// write time: an ACL header added with `qcos_put_options_add_header` as well is
/// refused.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL `opts`; an
/// "x-cos-acl" or "x-cos-grant-*" header already added: the options are then
/// unchanged); `QCOS_STATUS_INTERNAL` (a handle poisoned by a panic).
///
/// Thread: one thread at a time per options.
///
/// ```c
/// qcos_acl *acl = NULL;
/// qcos_acl_new(&acl);
/// qcos_acl_set_canned(acl, "private");
/// qcos_put_options_set_acl(opts, acl);
/// qcos_acl_free(acl);
/// ```
#[unsafe(no_mangle)]
pub extern "C" fn qcos_put_options_set_acl(
    opts: *mut qcos_put_options,
    acl: *const qcos_acl,
) -> Status {
    entry(|| {
        let acl = match arg_opt_ref(acl) {
            None => Default::default(),
            Some(a) => a.inner.get()?.clone(),
        };
        arg_mut(opts, "opts")?.inner.with(|o| {
            let old = std::mem::replace(&mut o.acl, acl);
            check_user_names(o).inspect_err(|_| o.acl = old.clone())
        })
    })
}

/// Add one tag the object is written with (`x-cos-tagging`, sent URL-encoded). Call
/// once per tag; order is kept. The rules of `qcos_tags_add` apply to the whole set:
/// at most 10 tags, keys non-empty (at most 128 characters) and unique, values at most
/// 256 characters, no control characters. Applies where `qcos_put_options_set_acl`
/// does; for a copy only with the tagging directive `QCOS_COPY_DIRECTIVE_REPLACED`.
///
/// `key`, `value`: copied. Statuses: `QCOS_STATUS_OK`;
/// `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8, a rule broken, an
/// "x-cos-tagging" header already added: the options are then unchanged);
/// `QCOS_STATUS_INTERNAL` (poisoned).
///
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_put_options_add_tag(
    opts: *mut qcos_put_options,
    key: *const c_char,
    value: *const c_char,
) -> Status {
    entry(|| {
        let k = arg_str(key, "key")?;
        let v = arg_str(value, "value")?;
        arg_mut(opts, "opts")?.inner.with(|o| {
            o.tagging.push((k.to_string(), v.to_string()));
            validate_tags(&o.tagging)
                .and_then(|_| check_user_names(o))
                .inspect_err(|_| {
                    o.tagging.pop();
                })
        })
    })
}

/// Replace the tags the object is written with by those of `tags` (copied; NULL or
/// an empty list removes them). See `qcos_put_options_add_tag`.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL `opts`; an
/// "x-cos-tagging" header already added: the options are then unchanged);
/// `QCOS_STATUS_INTERNAL` (poisoned).
///
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_put_options_set_tags(
    opts: *mut qcos_put_options,
    tags: *const qcos_tags,
) -> Status {
    entry(|| {
        let tags = match arg_opt_ref(tags) {
            None => Vec::new(),
            Some(t) => t.pairs()?,
        };
        validate_tags(&tags)?;
        arg_mut(opts, "opts")?.inner.with(|o| {
            let old = std::mem::replace(&mut o.tagging, tags);
            check_user_names(o).inspect_err(|_| o.tagging = old.clone())
        })
    })
}

/// When these options are a copy's `replace_opts` (`qcos_client_copy_object`,
/// `qcos_slice_copy`, `qcos_queue_copy`): `QCOS_COPY_DIRECTIVE_REPLACED` (the
/// default) gives the destination these options' content type, metadata and other
/// headers (`x-cos-metadata-directive: Replaced`); `QCOS_COPY_DIRECTIVE_COPY` keeps the
/// source's, so the options only add an ACL, tags, a storage class or extra headers.
/// Ignored by uploads.
///
/// `directive`: a `qcos_copy_directive` value. Statuses: `QCOS_STATUS_OK`;
/// `QCOS_STATUS_INVALID_ARGUMENT` (NULL `opts`, another value).
///
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_put_options_set_metadata_directive(
    opts: *mut qcos_put_options,
    directive: u32,
) -> Status {
    entry(|| {
        let d = self::directive(directive)?;
        arg_mut(opts, "opts")?.copy.replace_metadata = d;
        Ok(())
    })
}

/// When these options are a copy's `replace_opts`: `QCOS_COPY_DIRECTIVE_COPY` (the
/// default) copies the source's tags, and the options must then hold no tags;
/// `QCOS_COPY_DIRECTIVE_REPLACED` gives the destination the options' tags (none when
/// there are none; `x-cos-tagging-directive: Replaced`). Changing the tags of an
/// object copied onto itself needs REPLACED. A copy given NULL options copies the
/// source's tags. Ignored by uploads.
///
/// `directive`: a `qcos_copy_directive` value. Statuses: `QCOS_STATUS_OK`;
/// `QCOS_STATUS_INVALID_ARGUMENT` (NULL `opts`, another value).
///
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_put_options_set_tagging_directive(
    opts: *mut qcos_put_options,
    directive: u32,
) -> Status {
    entry(|| {
        let d = self::directive(directive)?;
        arg_mut(opts, "opts")?.copy.replace_tags = d;
        Ok(())
    })
}

/// The Rust policy of a C one (its `canned` is a response value and is left out).
fn rust_policy(p: &qcos_acl_policy) -> AccessControlPolicy {
    let s = |c: &std::ffi::CString| c.to_string_lossy().into_owned();
    AccessControlPolicy {
        owner_id: s(&p.owner_id),
        grants: p
            .grants
            .iter()
            .map(|g| Grant {
                grantee_type: s(&g.grantee_type),
                id: g.id.as_ref().map(s),
                uri: g.uri.as_ref().map(s),
                permission: s(&g.permission),
            })
            .collect(),
        ..Default::default()
    }
}

/// Create an empty ACL document for `qcos_client_put_object_acl_policy`, owned by
/// `owner_id` (copied; e.g. "qcs::cam::uin/100000000001:uin/100000000001", as
/// `qcos_acl_policy_owner_id` reports it). Add grants with
/// `qcos_acl_policy_add_grant`.
///
/// `policy_out`: receives it on success; release it with `qcos_acl_policy_free`.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8, an
/// empty `owner_id` or one with control characters).
///
/// Thread: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_acl_policy_new(
    owner_id: *const c_char,
    policy_out: *mut *mut qcos_acl_policy,
) -> Status {
    entry(|| {
        let owner = arg_str(owner_id, "owner_id")?;
        let out = arg_out(policy_out, "policy_out")?;
        validate_policy(&AccessControlPolicy {
            owner_id: owner.to_string(),
            ..Default::default()
        })?;
        out.write(into_box(qcos_acl_policy {
            owner_id: c_string(owner),
            canned: None,
            grants: Vec::new(),
        }));
        Ok(())
    })
}

/// Add a grant to `policy`: `grantee_type` "CanonicalUser" with `who` an account id
/// (e.g. "qcs::cam::uin/100000000001:uin/100000000002"), or "Group" with `who` a
/// group URI (e.g. `http://cam.qcloud.com/groups/global/AllUsers`); `permission` one
/// of "READ", "WRITE", "FULL_CONTROL", "READ_ACP", "WRITE_ACP". All copied. At most
/// 1000 grants.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8, an
/// unknown type or permission, an empty `who`, control characters, a 1001st grant:
/// the policy is then unchanged).
///
/// Thread: one thread at a time per policy.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_acl_policy_add_grant(
    policy: *mut qcos_acl_policy,
    grantee_type: *const c_char,
    who: *const c_char,
    permission: *const c_char,
) -> Status {
    entry(|| {
        let p = arg_mut(policy, "policy")?;
        let t = arg_str(grantee_type, "grantee_type")?;
        let who = arg_str(who, "who")?;
        let perm = arg_str(permission, "permission")?;
        let group = t == "Group";
        let mut rp = rust_policy(p);
        rp.grants.push(Grant {
            grantee_type: t.to_string(),
            id: (!group).then(|| who.to_string()),
            uri: group.then(|| who.to_string()),
            permission: perm.to_string(),
        });
        validate_policy(&rp)?;
        p.grants.push(PolicyGrant {
            grantee_type: c_string(t),
            id: (!group).then(|| c_string(who)),
            uri: group.then(|| c_string(who)),
            permission: c_string(perm),
        });
        Ok(())
    })
}

/// Set the ACL of object `key` from the document `policy` (PUT Object ACL with an
/// `<AccessControlPolicy>` body, sent with Content-MD5): its grants replace all of
/// the object's, exactly as listed (list the owner's FULL_CONTROL too if it should
/// stay). A policy from `qcos_client_get_object_acl` can be given back as it is (its
/// canned ACL is not sent).
///
/// `client`, `policy`: borrowed for the call. Statuses: `QCOS_STATUS_OK`;
/// `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8, an invalid key or policy: the
/// message names the grant); `QCOS_STATUS_SERVICE` (e.g. 404 NoSuchKey);
/// `QCOS_STATUS_NETWORK`, `QCOS_STATUS_TIMEOUT`, `QCOS_STATUS_AUTH`.
///
/// Thread: any thread; blocks until done.
///
/// ```c
/// qcos_acl_policy *p = NULL;
/// qcos_acl_policy_new("qcs::cam::uin/100000000001:uin/100000000001", &p);
/// qcos_acl_policy_add_grant(p, "CanonicalUser",
///                           "qcs::cam::uin/100000000001:uin/100000000001", "FULL_CONTROL");
/// qcos_acl_policy_add_grant(p, "Group", "http://cam.qcloud.com/groups/global/AllUsers", "READ");
/// qcos_status s = qcos_client_put_object_acl_policy(client, "a.txt", p);
/// qcos_acl_policy_free(p);
/// ```
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_put_object_acl_policy(
    client: *const qcos_client,
    key: *const c_char,
    policy: *const qcos_acl_policy,
) -> Status {
    entry(|| {
        let c = &arg_ref(client, "client")?.inner;
        let key = arg_str(key, "key")?;
        let p = rust_policy(arg_ref(policy, "policy")?);
        c.put_object_acl_policy(key, &p)
    })
}
