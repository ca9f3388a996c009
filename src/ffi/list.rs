//! `qcos_list`: a page iterator over GET Bucket that follows NextMarker.

use std::ffi::{CString, c_char};

use super::args::{Poisonable, arg_mut, arg_opt_str, arg_out, arg_ref, free_box, into_box};
use super::client::qcos_client;
use super::entry::{entry, entry_value};
use super::last_error::c_string;
use crate::client::{ListObjectsOptions, ListObjectsPage, ListObjectsPages};
use crate::error::{Error, Result, Status};

struct Entry {
    key: CString,
    size: u64,
    etag: CString,
    last_modified: CString,
    storage_class: CString,
}

#[derive(Default)]
struct Page {
    objects: Vec<Entry>,
    prefixes: Vec<CString>,
    truncated: bool,
    next_marker: CString,
}

impl From<ListObjectsPage> for Page {
    fn from(p: ListObjectsPage) -> Self {
        Page {
            objects: p
                .objects
                .iter()
                .map(|o| Entry {
                    key: c_string(&o.key),
                    size: o.size,
                    etag: c_string(&o.etag),
                    last_modified: c_string(&o.last_modified),
                    storage_class: c_string(&o.storage_class),
                })
                .collect(),
            prefixes: p.common_prefixes.iter().map(|s| c_string(s)).collect(),
            truncated: p.is_truncated,
            next_marker: c_string(&p.next_marker),
        }
    }
}

struct ListState {
    pages: ListObjectsPages,
    page: Page,
    /// Set at the end or after a failure: the listing is over.
    finished: bool,
}

/// An iterator over the pages of a bucket listing (GET Bucket). Made by
/// `qcos_client_list_objects`; each `qcos_list_next` fetches one page (following
/// COS's NextMarker) whose entries the `qcos_list_*` accessors then read. It holds
/// its own reference to the client, so it may outlive the `qcos_client` handle.
///
/// Strings from the accessors are owned by the list and valid until the next
/// `qcos_list_next` or `qcos_list_free`.
///
/// Methods: `qcos_list_next`, `qcos_list_object_count`, `qcos_list_object_key`,
/// `_object_size`, `_object_etag`, `_object_last_modified`,
/// `_object_storage_class`, `qcos_list_prefix_count`, `qcos_list_prefix`,
/// `qcos_list_is_truncated`, `qcos_list_next_marker`, `qcos_list_free`.
///
/// Thread: one thread at a time; may be moved between threads.
pub struct qcos_list {
    inner: Poisonable<ListState>,
}

/// Start listing the client's bucket. No request is sent until `qcos_list_next`.
///
/// `client`: borrowed; the list keeps its own reference. `prefix`: only keys
/// starting with it, or NULL. `delimiter`: e.g. "/" to group keys into common
/// prefixes ("directories"), or NULL. `marker`: start after this key, or NULL.
/// `max_keys`: keys per page, 1 to 1000, or 0 for COS's default (1000). All strings
/// are copied. `list_out`: receives the iterator on success (release with
/// `qcos_list_free`).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL `client` or
/// `list_out`, bad UTF-8, `max_keys` above 1000).
///
/// Thread: any thread.
///
/// ```c
/// qcos_list *l = NULL; bool more = false;
/// qcos_client_list_objects(client, "photos/", NULL, NULL, 0, &l);
/// while (qcos_list_next(l, &more) == QCOS_STATUS_OK && more)
///     for (size_t i = 0; i < qcos_list_object_count(l); i++)
///         puts(qcos_list_object_key(l, i));
/// qcos_list_free(l);
/// ```
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_list_objects(
    client: *const qcos_client,
    prefix: *const c_char,
    delimiter: *const c_char,
    marker: *const c_char,
    max_keys: u32,
    list_out: *mut *mut qcos_list,
) -> Status {
    entry(|| {
        let client = &arg_ref(client, "client")?.inner;
        let opts = ListObjectsOptions {
            prefix: arg_opt_str(prefix, "prefix")?.unwrap_or("").to_string(),
            delimiter: arg_opt_str(delimiter, "delimiter")?
                .unwrap_or("")
                .to_string(),
            marker: arg_opt_str(marker, "marker")?.unwrap_or("").to_string(),
            max_keys: match max_keys {
                0 => None,
                1..=1000 => Some(max_keys),
                n => {
                    return Err(Error::invalid(
                        "max_keys",
                        format!("{n} is above COS's limit of 1000 keys per page"),
                    ));
                }
            },
        };
        let out = arg_out(list_out, "list_out")?;
        // The iterator holds its own clone of the client (an `Arc` inside).
        let pages = client.list_objects_pages(opts);
        out.write(into_box(qcos_list {
            inner: Poisonable::new(ListState {
                pages,
                page: Page::default(),
                finished: false,
            }),
        }));
        Ok(())
    })
}

/// Fetch the next page.
///
/// `list`: borrowed mutably. `has_page_out`: required; on `QCOS_STATUS_OK` receives
/// true when a page was fetched (read it with the accessors; it may hold zero keys
/// when everything is in common prefixes) and false when the listing is complete
/// (the accessors then report an empty page).
///
/// On failure the current page is kept and the listing ends: further calls report
/// `has_page_out = false`. Start a new listing from `qcos_list_next_marker` to go on.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL);
/// `QCOS_STATUS_SERVICE` (e.g. 404 NoSuchBucket); `QCOS_STATUS_NETWORK`,
/// `QCOS_STATUS_TIMEOUT`, `QCOS_STATUS_AUTH`, `QCOS_STATUS_PROTOCOL`.
///
/// Thread: one thread at a time per list; blocks until done.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_list_next(list: *mut qcos_list, has_page_out: *mut bool) -> Status {
    entry(|| {
        let list = arg_mut(list, "list")?;
        let out = arg_out(has_page_out, "has_page_out")?;
        list.inner.with(|st| {
            let next = if st.finished { None } else { st.pages.next() };
            match next {
                None => {
                    st.finished = true;
                    st.page = Page::default();
                    out.write(false);
                    Ok(())
                }
                Some(Ok(page)) => {
                    st.page = Page::from(page);
                    out.write(true);
                    Ok(())
                }
                Some(Err(e)) => {
                    st.finished = true;
                    Err(e)
                }
            }
        })
    })
}

fn page<'a>(list: *const qcos_list) -> Result<&'a Page> {
    Ok(&arg_ref(list, "list")?.inner.get()?.page)
}

fn object<'a>(list: *const qcos_list, index: usize) -> Result<&'a Entry> {
    let p = page(list)?;
    p.objects.get(index).ok_or_else(|| {
        Error::invalid(
            "index",
            format!("{index} is out of range (count {})", p.objects.len()),
        )
    })
}

/// The number of objects on the current page; 0 when `list` is NULL.
///
/// Thread: one thread at a time per list.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_list_object_count(list: *const qcos_list) -> usize {
    entry_value(0, || Ok(page(list)?.objects.len()))
}

/// The key of object `index` on the current page, or NULL when `list` is NULL or
/// `index` is out of range. Owned by `list`, valid until the next `qcos_list_next`.
///
/// Thread: one thread at a time per list.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_list_object_key(list: *const qcos_list, index: usize) -> *const c_char {
    entry_value(std::ptr::null(), || Ok(object(list, index)?.key.as_ptr()))
}

/// The size in bytes of object `index`; 0 when `list` is NULL or `index` is out of
/// range.
///
/// Thread: one thread at a time per list.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_list_object_size(list: *const qcos_list, index: usize) -> u64 {
    entry_value(0, || Ok(object(list, index)?.size))
}

/// The ETag of object `index` (with quotes), or NULL when out of range. Owned by
/// `list`, valid until the next `qcos_list_next`.
///
/// Thread: one thread at a time per list.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_list_object_etag(list: *const qcos_list, index: usize) -> *const c_char {
    entry_value(std::ptr::null(), || Ok(object(list, index)?.etag.as_ptr()))
}

/// The LastModified (ISO 8601) of object `index`, or NULL when out of range. Owned
/// by `list`, valid until the next `qcos_list_next`.
///
/// Thread: one thread at a time per list.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_list_object_last_modified(
    list: *const qcos_list,
    index: usize,
) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(object(list, index)?.last_modified.as_ptr())
    })
}

/// The storage class of object `index` (e.g. "STANDARD"), or NULL when out of
/// range. Owned by `list`, valid until the next `qcos_list_next`.
///
/// Thread: one thread at a time per list.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_list_object_storage_class(
    list: *const qcos_list,
    index: usize,
) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(object(list, index)?.storage_class.as_ptr())
    })
}

/// The number of common prefixes on the current page (with a delimiter); 0 when
/// `list` is NULL.
///
/// Thread: one thread at a time per list.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_list_prefix_count(list: *const qcos_list) -> usize {
    entry_value(0, || Ok(page(list)?.prefixes.len()))
}

/// Common prefix `index` of the current page (e.g. "photos/2024/"), or NULL when
/// `list` is NULL or `index` is out of range. Owned by `list`, valid until the next
/// `qcos_list_next`.
///
/// Thread: one thread at a time per list.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_list_prefix(list: *const qcos_list, index: usize) -> *const c_char {
    entry_value(std::ptr::null(), || {
        let p = page(list)?;
        Ok(p.prefixes
            .get(index)
            .map_or(std::ptr::null(), |s| s.as_ptr()))
    })
}

/// Whether COS said more keys follow the current page (IsTruncated); false when
/// `list` is NULL.
///
/// Thread: one thread at a time per list.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_list_is_truncated(list: *const qcos_list) -> bool {
    entry_value(false, || Ok(page(list)?.truncated))
}

/// The marker the next page starts after (NextMarker), "" on the last page; NULL
/// when `list` is NULL. Owned by `list`, valid until the next `qcos_list_next`.
///
/// Thread: one thread at a time per list.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_list_next_marker(list: *const qcos_list) -> *const c_char {
    entry_value(std::ptr::null(), || Ok(page(list)?.next_marker.as_ptr()))
}

/// Release a listing. NULL does nothing.
///
/// Thread: any thread, once no other thread uses `list`.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_list_free(list: *mut qcos_list) {
    entry_value((), || {
        free_box(list);
        Ok(())
    })
}
