//! Bucket configuration: bucket CORS (`qcos_cors_rules` and the
//! `qcos_client_*_bucket_cors` calls), bucket ACL (`qcos_bucket_acl`,
//! `qcos_client_put_bucket_acl`, `qcos_client_get_bucket_acl`, which answers a
//! `qcos_acl_policy`) and bucket tagging (a `qcos_tags` list from
//! `qcos_bucket_tags_new`, `qcos_client_*_bucket_tagging`). The checks and the
//! requests are those of the Rust client (`src/client/bucket_config.rs`).

use std::ffi::{CString, c_char};

use super::args::{
    Poisonable, arg_mut, arg_opt_str, arg_out, arg_ref, arg_str, free_box, into_box,
};
use super::client::qcos_client;
use super::entry::{entry, entry_value};
use super::last_error::c_string;
use super::tagging_acl::{qcos_acl_policy, qcos_grant_kind, qcos_tags};
use crate::client::{
    BucketAcl, BucketCannedAcl, CorsField, CorsRule, MAX_CORS_RULES, check_cors_field,
    check_cors_id,
};
use crate::error::{Error, Result, Status};

fn at<T>(v: &[T], i: usize) -> Result<&T> {
    v.get(i)
        .ok_or_else(|| Error::invalid("index", format!("{i} is out of range (count {})", v.len())))
}

// ----------------------------------------------------------------------------------------
// Bucket CORS.

/// A list of a CORS rule (`<CORSRule>`) that `qcos_cors_rules_add_value` adds to and
/// `qcos_cors_rules_value` reads. Passed as a `uint32_t`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum qcos_cors_field {
    /// `<AllowedOrigin>`: e.g. `"https://app.example.com"`, or a pattern with one `*`;
    /// a rule needs at least one.
    AllowedOrigin = 0,
    /// `<AllowedMethod>`: "GET", "PUT", "POST", "DELETE" or "HEAD" (any case, kept in
    /// upper case); a rule needs at least one.
    AllowedMethod = 1,
    /// `<AllowedHeader>`: a header a preflight may ask for ("*" for any; at most one
    /// `*`).
    AllowedHeader = 2,
    /// `<ExposeHeader>`: a response header a browser may read, e.g. "ETag".
    ExposeHeader = 3,
}

impl qcos_cors_field {
    const ALL: [CorsField; 4] = [
        CorsField::AllowedOrigin,
        CorsField::AllowedMethod,
        CorsField::AllowedHeader,
        CorsField::ExposeHeader,
    ];

    fn from_u32(v: u32) -> Result<(usize, CorsField)> {
        Self::ALL
            .get(v as usize)
            .map(|f| (v as usize, *f))
            .ok_or_else(|| {
                Error::invalid(
                    "field",
                    format!(
                        "{v} is not a qcos_cors_field value (QCOS_CORS_FIELD_ALLOWED_ORIGIN = 0 to QCOS_CORS_FIELD_EXPOSE_HEADER = 3)"
                    ),
                )
            })
    }
}

#[derive(Default)]
struct CRule {
    id: Option<CString>,
    max_age: Option<u64>,
    /// Indexed by `qcos_cors_field`.
    values: [Vec<CString>; 4],
}

/// A bucket's CORS rules: built with `qcos_cors_rules_new`, `qcos_cors_rules_add_rule`
/// and `qcos_cors_rules_add_value` for `qcos_client_put_bucket_cors`, or returned by
/// `qcos_client_get_bucket_cors`. Values are checked as they are added (see
/// `qcos_cors_rules_add_value`); that each rule has an origin and a method is checked
/// by `qcos_client_put_bucket_cors`.
///
/// Strings from the accessors are owned by the list and valid until the next
/// `qcos_cors_rules_add_rule`/`_add_value` or `qcos_cors_rules_free`.
///
/// Methods: `qcos_cors_rules_new`, `qcos_cors_rules_add_rule`,
/// `qcos_cors_rules_add_value`, `qcos_cors_rules_count`, `qcos_cors_rules_id`,
/// `qcos_cors_rules_max_age`, `qcos_cors_rules_value_count`, `qcos_cors_rules_value`,
/// `qcos_cors_rules_free`.
///
/// Thread: one thread at a time; may be moved between threads.
pub struct qcos_cors_rules {
    inner: Poisonable<Vec<CRule>>,
}

impl qcos_cors_rules {
    fn from_rules(rules: &[CorsRule]) -> qcos_cors_rules {
        let list = |v: &[String]| v.iter().map(|s| c_string(s)).collect::<Vec<_>>();
        qcos_cors_rules {
            inner: Poisonable::new(
                rules
                    .iter()
                    .map(|r| CRule {
                        id: r.id.as_deref().map(c_string),
                        max_age: r.max_age_seconds,
                        values: [
                            list(&r.allowed_origins),
                            list(&r.allowed_methods),
                            list(&r.allowed_headers),
                            list(&r.expose_headers),
                        ],
                    })
                    .collect(),
            ),
        }
    }

    fn rules(&self) -> Result<Vec<CorsRule>> {
        // Built from UTF-8 strings only, so these conversions never fail.
        let s = |c: &CString| -> Result<String> {
            Ok(c.to_str()
                .map_err(|_| Error::InvalidUtf8("rules"))?
                .to_string())
        };
        let list = |v: &[CString]| v.iter().map(s).collect::<Result<Vec<_>>>();
        self.inner
            .get()?
            .iter()
            .map(|r| {
                Ok(CorsRule {
                    id: r.id.as_ref().map(s).transpose()?,
                    allowed_origins: list(&r.values[0])?,
                    allowed_methods: list(&r.values[1])?,
                    allowed_headers: list(&r.values[2])?,
                    expose_headers: list(&r.values[3])?,
                    max_age_seconds: r.max_age,
                })
            })
            .collect()
    }
}

/// Create an empty list of CORS rules.
///
/// `rules_out`: receives the list on success; release it with `qcos_cors_rules_free`.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL `rules_out`).
///
/// Thread: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_cors_rules_new(rules_out: *mut *mut qcos_cors_rules) -> Status {
    entry(|| {
        let out = arg_out(rules_out, "rules_out")?;
        out.write(into_box(qcos_cors_rules::from_rules(&[])));
        Ok(())
    })
}

/// Start a new rule at the end of the list; `qcos_cors_rules_add_value` then adds to
/// it.
///
/// `id`: the rule's `<ID>` (copied; at most 255 characters, no control characters),
/// or NULL for none. `max_age_seconds`: `<MaxAgeSeconds>` (how long a browser may cache
/// a preflight's answer), or a negative value for none.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL `rules`, bad
/// UTF-8, a bad id, a 101st rule: the list is then unchanged); `QCOS_STATUS_INTERNAL`
/// (poisoned).
///
/// Thread: one thread at a time per list.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_cors_rules_add_rule(
    rules: *mut qcos_cors_rules,
    id: *const c_char,
    max_age_seconds: i64,
) -> Status {
    entry(|| {
        let rules = arg_mut(rules, "rules")?;
        let id = arg_opt_str(id, "id")?;
        rules.inner.with(|v| {
            let n = v.len() + 1;
            if n > MAX_CORS_RULES {
                return Err(Error::invalid(
                    "rules",
                    format!("a rule {n} is one too many; COS keeps at most {MAX_CORS_RULES}"),
                ));
            }
            if let Some(id) = id {
                check_cors_id(n, id)?;
            }
            v.push(CRule {
                id: id.map(c_string),
                max_age: u64::try_from(max_age_seconds).ok(),
                ..Default::default()
            });
            Ok(())
        })
    })
}

/// Add `value` (copied) to the list `field` (a `qcos_cors_field` value) of the last
/// rule.
///
/// Checked here (the rule is unchanged when refused): methods are GET, PUT, POST,
/// DELETE or HEAD (any case); origins and headers are non-empty printable ASCII
/// without ',' or surrounding spaces, with at most one '*' (none in expose headers).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8, an
/// unknown `field`, no rule yet (call `qcos_cors_rules_add_rule` first), the rules
/// above; the last error names the problem); `QCOS_STATUS_INTERNAL` (poisoned).
///
/// Thread: one thread at a time per list.
///
/// ```c
/// qcos_cors_rules *r = NULL;
/// qcos_cors_rules_new(&r);
/// qcos_cors_rules_add_rule(r, "web", 600);
/// qcos_cors_rules_add_value(r, QCOS_CORS_FIELD_ALLOWED_ORIGIN, "https://app.example.com");
/// qcos_cors_rules_add_value(r, QCOS_CORS_FIELD_ALLOWED_METHOD, "PUT");
/// qcos_cors_rules_add_value(r, QCOS_CORS_FIELD_ALLOWED_HEADER, "*");
/// qcos_cors_rules_add_value(r, QCOS_CORS_FIELD_EXPOSE_HEADER, "ETag");
/// qcos_status s = qcos_client_put_bucket_cors(client, r);
/// qcos_cors_rules_free(r);
/// ```
#[unsafe(no_mangle)]
pub extern "C" fn qcos_cors_rules_add_value(
    rules: *mut qcos_cors_rules,
    field: u32,
    value: *const c_char,
) -> Status {
    entry(|| {
        let rules = arg_mut(rules, "rules")?;
        let (index, field) = qcos_cors_field::from_u32(field)?;
        let value = arg_str(value, "value")?;
        rules.inner.with(|v| {
            let n = v.len();
            let Some(rule) = v.last_mut() else {
                return Err(Error::invalid(
                    "rules",
                    "the list has no rule yet; call qcos_cors_rules_add_rule first",
                ));
            };
            check_cors_field(n, field, value)?;
            let value = if field == CorsField::AllowedMethod {
                value.to_ascii_uppercase()
            } else {
                value.to_string()
            };
            rule.values[index].push(c_string(&value));
            Ok(())
        })
    })
}

/// The number of rules; 0 when `rules` is NULL.
///
/// Thread: one thread at a time per list.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_cors_rules_count(rules: *const qcos_cors_rules) -> usize {
    entry_value(0, || Ok(arg_ref(rules, "rules")?.inner.get()?.len()))
}

/// The `<ID>` of rule `index`, or NULL when it has none, `rules` is NULL or `index`
/// is out of range. Owned by `rules`.
///
/// Thread: one thread at a time per list.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_cors_rules_id(rules: *const qcos_cors_rules, index: usize) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(at(arg_ref(rules, "rules")?.inner.get()?, index)?
            .id
            .as_ref()
            .map_or(std::ptr::null(), |s| s.as_ptr()))
    })
}

/// The `<MaxAgeSeconds>` of rule `index`, or -1 when it has none, `rules` is NULL or
/// `index` is out of range.
///
/// Thread: one thread at a time per list.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_cors_rules_max_age(rules: *const qcos_cors_rules, index: usize) -> i64 {
    entry_value(-1, || {
        Ok(at(arg_ref(rules, "rules")?.inner.get()?, index)?
            .max_age
            .and_then(|a| i64::try_from(a).ok())
            .unwrap_or(-1))
    })
}

/// The number of values in list `field` (a `qcos_cors_field` value) of rule `index`;
/// 0 when `rules` is NULL, or `index` or `field` is out of range.
///
/// Thread: one thread at a time per list.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_cors_rules_value_count(
    rules: *const qcos_cors_rules,
    index: usize,
    field: u32,
) -> usize {
    entry_value(0, || {
        let (f, _) = qcos_cors_field::from_u32(field)?;
        Ok(at(arg_ref(rules, "rules")?.inner.get()?, index)?.values[f].len())
    })
}

/// Value `value_index` of list `field` (a `qcos_cors_field` value) of rule `index`
/// (methods in upper case), or NULL when `rules` is NULL or an index or `field` is out
/// of range. Owned by `rules`.
///
/// Thread: one thread at a time per list.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_cors_rules_value(
    rules: *const qcos_cors_rules,
    index: usize,
    field: u32,
    value_index: usize,
) -> *const c_char {
    entry_value(std::ptr::null(), || {
        let (f, _) = qcos_cors_field::from_u32(field)?;
        let rule = at(arg_ref(rules, "rules")?.inner.get()?, index)?;
        Ok(at(&rule.values[f], value_index)?.as_ptr())
    })
}

/// Release a list of CORS rules. NULL does nothing.
///
/// Thread: any thread, once no other thread uses `rules`.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_cors_rules_free(rules: *mut qcos_cors_rules) {
    entry_value((), || {
        free_box(rules);
        Ok(())
    })
}

/// Replace the bucket's CORS configuration with `rules` (PUT Bucket CORS, sent with
/// Content-MD5).
///
/// `client`, `rules`: borrowed for the call. `rules` must hold 1 to 100 rules, each
/// with at least one allowed origin and one allowed method (checked before sending;
/// the last error names the rule, numbered from 1). To remove the configuration use
/// `qcos_client_delete_bucket_cors`.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, the rules
/// above); `QCOS_STATUS_SERVICE` (e.g. 404 NoSuchBucket); `QCOS_STATUS_NETWORK`,
/// `QCOS_STATUS_TIMEOUT`, `QCOS_STATUS_AUTH`; `QCOS_STATUS_INTERNAL` (`rules` was
/// poisoned by a panic).
///
/// Thread: any thread; blocks until done.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_put_bucket_cors(
    client: *const qcos_client,
    rules: *const qcos_cors_rules,
) -> Status {
    entry(|| {
        let c = &arg_ref(client, "client")?.inner;
        let rules = arg_ref(rules, "rules")?.rules()?;
        c.put_bucket_cors(&rules)
    })
}

/// Read the bucket's CORS rules (GET Bucket CORS).
///
/// `rules_out`: required; on success receives a new list (release with
/// `qcos_cors_rules_free`), empty when the bucket has no CORS configuration (COS's
/// 404 NoSuchCORSConfiguration is not an error here; 404 NoSuchBucket is).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL);
/// `QCOS_STATUS_SERVICE` (e.g. 404 NoSuchBucket); `QCOS_STATUS_NETWORK`,
/// `QCOS_STATUS_TIMEOUT`, `QCOS_STATUS_AUTH`, `QCOS_STATUS_PROTOCOL`.
///
/// Thread: any thread; blocks until done.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_get_bucket_cors(
    client: *const qcos_client,
    rules_out: *mut *mut qcos_cors_rules,
) -> Status {
    entry(|| {
        let c = &arg_ref(client, "client")?.inner;
        let out = arg_out(rules_out, "rules_out")?;
        let rules = c.get_bucket_cors()?;
        out.write(into_box(qcos_cors_rules::from_rules(&rules)));
        Ok(())
    })
}

/// Remove the bucket's CORS configuration (DELETE Bucket CORS; fine when there is
/// none).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL `client`);
/// `QCOS_STATUS_SERVICE` (e.g. 404 NoSuchBucket); `QCOS_STATUS_NETWORK`,
/// `QCOS_STATUS_TIMEOUT`, `QCOS_STATUS_AUTH`.
///
/// Thread: any thread; blocks until done.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_delete_bucket_cors(client: *const qcos_client) -> Status {
    entry(|| arg_ref(client, "client")?.inner.delete_bucket_cors())
}

// ----------------------------------------------------------------------------------------
// Bucket ACL.

/// What `qcos_client_put_bucket_acl` sets: an optional canned ACL (`x-cos-acl`) and
/// grants (`x-cos-grant-*`, including `x-cos-grant-write`), sent as headers.
///
/// Methods: `qcos_bucket_acl_new`, `qcos_bucket_acl_set_canned`,
/// `qcos_bucket_acl_add_grant`, `qcos_bucket_acl_free`.
///
/// Thread: one thread at a time; may be moved between threads.
pub struct qcos_bucket_acl {
    inner: Poisonable<BucketAcl>,
}

/// Create an empty bucket ACL (no canned ACL, no grants).
///
/// `acl_out`: receives it on success; release it with `qcos_bucket_acl_free`.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL `acl_out`).
///
/// Thread: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_bucket_acl_new(acl_out: *mut *mut qcos_bucket_acl) -> Status {
    entry(|| {
        let out = arg_out(acl_out, "acl_out")?;
        out.write(into_box(qcos_bucket_acl {
            inner: Poisonable::new(BucketAcl::default()),
        }));
        Ok(())
    })
}

/// Set the canned ACL: "private", "public-read" or "public-read-write"; NULL removes
/// it (no `x-cos-acl` is sent).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL `acl`, bad
/// UTF-8, another value such as an object's "default": the ACL is then unchanged);
/// `QCOS_STATUS_INTERNAL` (poisoned).
///
/// Thread: one thread at a time per ACL.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_bucket_acl_set_canned(
    acl: *mut qcos_bucket_acl,
    canned: *const c_char,
) -> Status {
    entry(|| {
        let acl = arg_mut(acl, "acl")?;
        let canned = match arg_opt_str(canned, "canned")? {
            None => None,
            Some(s) => Some(BucketCannedAcl::parse(s).ok_or_else(|| {
                Error::invalid(
                    "canned",
                    format!(
                        "{s:?} is not a canned bucket ACL (private, public-read, public-read-write)"
                    ),
                )
            })?),
        };
        acl.inner.with(|a| {
            a.canned = canned;
            Ok(())
        })
    })
}

/// Grant `kind` (a `qcos_grant_kind` value, `QCOS_GRANT_KIND_WRITE` included) to the
/// account `id` (copied), e.g. "100000000002" or
/// "qcs::cam::uin/100000000001:uin/100000000002". Ids must be printable ASCII without
/// '"' or ','.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8, an
/// unknown `kind`, an empty id or one with other characters: the ACL is then
/// unchanged); `QCOS_STATUS_INTERNAL` (poisoned).
///
/// Thread: one thread at a time per ACL.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_bucket_acl_add_grant(
    acl: *mut qcos_bucket_acl,
    kind: u32,
    id: *const c_char,
) -> Status {
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
                x if x == qcos_grant_kind::Write as u32 => &mut a.grant_write,
                x if x == qcos_grant_kind::ReadAcp as u32 => &mut a.grant_read_acp,
                x if x == qcos_grant_kind::WriteAcp as u32 => &mut a.grant_write_acp,
                x if x == qcos_grant_kind::FullControl as u32 => &mut a.grant_full_control,
                other => {
                    return Err(Error::invalid(
                        "kind",
                        format!(
                            "{other} is not a qcos_grant_kind value (QCOS_GRANT_KIND_READ = 0 to QCOS_GRANT_KIND_WRITE = 4)"
                        ),
                    ));
                }
            };
            list.push(id.to_string());
            Ok(())
        })
    })
}

/// Release a bucket ACL. NULL does nothing.
///
/// Thread: any thread, once no other thread uses `acl`.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_bucket_acl_free(acl: *mut qcos_bucket_acl) {
    entry_value((), || {
        free_box(acl);
        Ok(())
    })
}

/// Set the bucket's ACL (PUT Bucket ACL) from `acl` (borrowed): its canned ACL and
/// grants replace the bucket's. At least one of them must be set.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, an empty
/// `acl`); `QCOS_STATUS_SERVICE` (e.g. 404 NoSuchBucket); `QCOS_STATUS_NETWORK`,
/// `QCOS_STATUS_TIMEOUT`, `QCOS_STATUS_AUTH`; `QCOS_STATUS_INTERNAL` (`acl` was
/// poisoned by a panic).
///
/// Thread: any thread; blocks until done.
///
/// ```c
/// qcos_bucket_acl *acl = NULL;
/// qcos_bucket_acl_new(&acl);
/// qcos_bucket_acl_set_canned(acl, "public-read");
/// qcos_bucket_acl_add_grant(acl, QCOS_GRANT_KIND_WRITE, "100000000002");
/// qcos_status s = qcos_client_put_bucket_acl(client, acl);
/// qcos_bucket_acl_free(acl);
/// ```
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_put_bucket_acl(
    client: *const qcos_client,
    acl: *const qcos_bucket_acl,
) -> Status {
    entry(|| {
        let c = &arg_ref(client, "client")?.inner;
        let acl = arg_ref(acl, "acl")?.inner.get()?;
        c.put_bucket_acl(acl)
    })
}

/// Read the bucket's ACL (GET Bucket ACL).
///
/// `policy_out`: required; on success receives the owner, the canned ACL
/// ("private", "public-read", "public-read-write") and the grants, read with the
/// `qcos_acl_policy_*` functions (release with `qcos_acl_policy_free`).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL);
/// `QCOS_STATUS_SERVICE` (e.g. 404 NoSuchBucket); `QCOS_STATUS_NETWORK`,
/// `QCOS_STATUS_TIMEOUT`, `QCOS_STATUS_AUTH`, `QCOS_STATUS_PROTOCOL`.
///
/// Thread: any thread; blocks until done.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_get_bucket_acl(
    client: *const qcos_client,
    policy_out: *mut *mut qcos_acl_policy,
) -> Status {
    entry(|| {
        let c = &arg_ref(client, "client")?.inner;
        let out = arg_out(policy_out, "policy_out")?;
        let p = c.get_bucket_acl()?;
        out.write(into_box(qcos_acl_policy::from(&p)));
        Ok(())
    })
}

// ----------------------------------------------------------------------------------------
// Bucket tagging.

/// Create an empty tag list for a bucket: a `qcos_tags` whose `qcos_tags_add` allows
/// up to 50 tags (an object's list allows 10), for `qcos_client_put_bucket_tagging`.
///
/// `tags_out`: receives the list on success; release it with `qcos_tags_free`.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL `tags_out`).
///
/// Thread: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_bucket_tags_new(tags_out: *mut *mut qcos_tags) -> Status {
    entry(|| {
        let out = arg_out(tags_out, "tags_out")?;
        out.write(into_box(qcos_tags::with_pairs(&[], true)));
        Ok(())
    })
}

/// Replace the bucket's tags with `tags` (PUT Bucket tagging, sent with Content-MD5).
///
/// `client`, `tags`: borrowed for the call (`tags` may hold 0 tags: the bucket then
/// has none; a list from `qcos_tags_new` works too). At most 50 tags, keys non-empty
/// and unique (checked before sending), with the key/value rules of `qcos_tags_add`.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, the rules
/// above); `QCOS_STATUS_SERVICE` (e.g. 404 NoSuchBucket, 400 InvalidTag);
/// `QCOS_STATUS_NETWORK`, `QCOS_STATUS_TIMEOUT`, `QCOS_STATUS_AUTH`;
/// `QCOS_STATUS_INTERNAL` (`tags` was poisoned by a panic).
///
/// Thread: any thread; blocks until done.
///
/// ```c
/// qcos_tags *t = NULL;
/// qcos_bucket_tags_new(&t);
/// qcos_tags_add(t, "team", "storage");
/// qcos_status s = qcos_client_put_bucket_tagging(client, t);
/// qcos_tags_free(t);
/// ```
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_put_bucket_tagging(
    client: *const qcos_client,
    tags: *const qcos_tags,
) -> Status {
    entry(|| {
        let c = &arg_ref(client, "client")?.inner;
        let tags = arg_ref(tags, "tags")?.pairs()?;
        c.put_bucket_tagging(&tags)
    })
}

/// Read the bucket's tags (GET Bucket tagging).
///
/// `tags_out`: required; on success receives a new bucket tag list (release with
/// `qcos_tags_free`), empty when the bucket has no tags (COS's 404 NoSuchTagSet is
/// not an error here).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL);
/// `QCOS_STATUS_SERVICE` (e.g. 404 NoSuchBucket); `QCOS_STATUS_NETWORK`,
/// `QCOS_STATUS_TIMEOUT`, `QCOS_STATUS_AUTH`, `QCOS_STATUS_PROTOCOL`.
///
/// Thread: any thread; blocks until done.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_get_bucket_tagging(
    client: *const qcos_client,
    tags_out: *mut *mut qcos_tags,
) -> Status {
    entry(|| {
        let c = &arg_ref(client, "client")?.inner;
        let out = arg_out(tags_out, "tags_out")?;
        let tags = c.get_bucket_tagging()?;
        out.write(into_box(qcos_tags::with_pairs(&tags, true)));
        Ok(())
    })
}

/// Remove every tag of the bucket (DELETE Bucket tagging).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL `client`);
/// `QCOS_STATUS_SERVICE` (e.g. 404 NoSuchBucket); `QCOS_STATUS_NETWORK`,
/// `QCOS_STATUS_TIMEOUT`, `QCOS_STATUS_AUTH`.
///
/// Thread: any thread; blocks until done.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_delete_bucket_tagging(client: *const qcos_client) -> Status {
    entry(|| arg_ref(client, "client")?.inner.delete_bucket_tagging())
}
