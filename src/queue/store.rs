//! The store a queued transfer runs against: the client, with two differences the queue
//! needs and the engine does not have to know about.
//!
//! - Its progress interval is short ([`CONTROL_INTERVAL_MS`]), so the engine asks the
//!   queue's progress closure "go on?" often: that closure is where a pause or cancel
//!   request is seen, at part boundaries (a part already sending finishes its request).
//!   Events still go out at the client's `progress_interval_ms`.
//! - It holds parts back while a pause is pending. The engine's own cancel stops parts
//!   mid-body (right for a cancel, which aborts the upload anyway); a pause must let the
//!   parts already sending finish, so none is sent twice. So while a pause is pending a
//!   part about to start waits here instead of sending, and the progress closure only
//!   tells the engine to stop once no part is sending ([`TaskStore::sending`] is 0).
//!   The parts held back then return `Cancelled` without having sent a byte.
//! - It remembers the UploadId the engine works on (from Initiate, List Parts or Upload
//!   Part), so a cancelled task's multipart upload can be aborted.
//! - Copies: Upload Part - Copy requests go through the same gate as Upload Part (a
//!   pause lets the parts being copied finish and holds back the next ones), and the
//!   source's ETag (from its HEAD) is remembered, so a resumed copy continues the same
//!   multipart upload only while the source is unchanged.

use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::time::Duration;

use super::RUN;
use crate::client::{Client, ObjectAcl};
use crate::transfer::{
    CopySource, Got, MultipartStore, ObjectAttrs, PartWatch, PartWritten, RemoteObject, RemotePart,
    RemoteUpload, TransferConfig, Written,
};
use crate::{Error, Result};

/// How often (ms) the engine calls the queue's progress closure.
pub(crate) const CONTROL_INTERVAL_MS: u64 = 20;

pub(crate) struct TaskStore<'a> {
    pub(crate) client: &'a Client,
    /// The queue's part pool.
    pool: Option<&'a rayon::ThreadPool>,
    /// The multipart upload in use, last seen.
    pub(crate) upload_id: Mutex<Option<String>>,
    /// The ETag of a copy's source, from its HEAD.
    source_etag: Mutex<Option<String>>,
    /// The task's control word (run, pause, cancel).
    control: &'a AtomicU8,
    /// Upload Part (and Upload Part - Copy) requests under way.
    sending: AtomicUsize,
    /// Set by the progress closure when it told the engine to stop.
    stopping: AtomicBool,
}

impl<'a> TaskStore<'a> {
    pub(crate) fn new(
        client: &'a Client,
        pool: Option<&'a rayon::ThreadPool>,
        control: &'a AtomicU8,
    ) -> Self {
        TaskStore {
            client,
            pool,
            upload_id: Mutex::new(None),
            source_etag: Mutex::new(None),
            control,
            sending: AtomicUsize::new(0),
            stopping: AtomicBool::new(false),
        }
    }

    /// Upload Part requests under way (0 when a pause can take effect without cutting
    /// a part short).
    pub(crate) fn sending(&self) -> usize {
        self.sending.load(Ordering::SeqCst)
    }

    /// The progress closure told the engine to stop: parts held back give up.
    pub(crate) fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    /// Register a part about to send, or hold it back while a pause is pending. `false`:
    /// the part must not be sent (the transfer is stopping).
    fn enter(&self, watch: &PartWatch<'_>) -> bool {
        loop {
            self.sending.fetch_add(1, Ordering::SeqCst);
            if self.control.load(Ordering::SeqCst) == RUN {
                return true;
            }
            self.sending.fetch_sub(1, Ordering::SeqCst);
            if self.stopping.load(Ordering::SeqCst) || watch.cancelled() {
                return false;
            }
            if self.control.load(Ordering::SeqCst) != super::PAUSE {
                // A cancel: the engine is told at once; do not start.
                return false;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    fn note(&self, id: &str) {
        let mut g = self.upload_id.lock().unwrap_or_else(|p| p.into_inner());
        if g.as_deref() != Some(id) {
            *g = Some(id.to_string());
        }
    }

    pub(crate) fn upload_id(&self) -> Option<String> {
        self.upload_id
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The ETag of the copy source, as its last HEAD gave it.
    pub(crate) fn source_etag(&self) -> Option<String> {
        self.source_etag
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl MultipartStore for TaskStore<'_> {
    fn transfer_config(&self) -> TransferConfig {
        let mut c = MultipartStore::transfer_config(self.client);
        c.progress_interval_ms = c.progress_interval_ms.min(CONTROL_INTERVAL_MS);
        c
    }

    fn pool(&self) -> Option<&rayon::ThreadPool> {
        self.pool.or_else(|| MultipartStore::pool(self.client))
    }

    fn put_object(
        &self,
        key: &str,
        data: &[u8],
        attrs: &ObjectAttrs,
        content_md5: Option<[u8; 16]>,
        traffic_limit: Option<u64>,
    ) -> Result<Written> {
        MultipartStore::put_object(self.client, key, data, attrs, content_md5, traffic_limit)
    }

    fn initiate(&self, key: &str, attrs: &ObjectAttrs) -> Result<String> {
        let id = MultipartStore::initiate(self.client, key, attrs)?;
        self.note(&id);
        Ok(id)
    }

    #[allow(clippy::too_many_arguments)]
    fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        data: &[u8],
        content_md5: Option<[u8; 16]>,
        traffic_limit: Option<u64>,
        watch: &PartWatch<'_>,
    ) -> Result<PartWritten> {
        self.note(upload_id);
        if !self.enter(watch) {
            return Err(Error::Cancelled(format!(
                "part {number} of {key} not started: the task is stopping"
            )));
        }
        let r = MultipartStore::upload_part(
            self.client,
            key,
            upload_id,
            number,
            data,
            content_md5,
            traffic_limit,
            watch,
        );
        self.sending.fetch_sub(1, Ordering::SeqCst);
        r
    }

    fn complete(&self, key: &str, upload_id: &str, parts: &[(u32, String)]) -> Result<Written> {
        MultipartStore::complete(self.client, key, upload_id, parts)
    }

    fn abort(&self, key: &str, upload_id: &str) -> Result<()> {
        MultipartStore::abort(self.client, key, upload_id)
    }

    fn list_uploads(&self, key: &str) -> Result<Vec<RemoteUpload>> {
        MultipartStore::list_uploads(self.client, key)
    }

    fn list_parts(&self, key: &str, upload_id: &str) -> Result<Vec<RemotePart>> {
        // The engine lists the parts of each candidate, newest first, and continues the
        // first that fits: the last one listed is the one in use (unless it initiates a
        // new upload afterwards, which `initiate` records).
        self.note(upload_id);
        MultipartStore::list_parts(self.client, key, upload_id)
    }

    fn head(&self, key: &str) -> Result<RemoteObject> {
        MultipartStore::head(self.client, key)
    }

    fn get(
        &self,
        key: &str,
        range: Option<(u64, u64)>,
        if_match: Option<&str>,
        traffic_limit: Option<u64>,
        sink: &mut dyn Write,
    ) -> Result<Got> {
        MultipartStore::get(self.client, key, range, if_match, traffic_limit, sink)
    }

    fn head_source(&self, src: &CopySource) -> Result<RemoteObject> {
        let head = MultipartStore::head_source(self.client, src)?;
        *self.source_etag.lock().unwrap_or_else(|p| p.into_inner()) = Some(head.etag.clone());
        Ok(head)
    }

    fn copy_object(
        &self,
        key: &str,
        src: &CopySource,
        replace: Option<&ObjectAttrs>,
        acl: &ObjectAcl,
        tagging: Option<&[(String, String)]>,
    ) -> Result<Written> {
        MultipartStore::copy_object(self.client, key, src, replace, acl, tagging)
    }

    fn source_tagging(&self, src: &CopySource) -> Result<Vec<(String, String)>> {
        MultipartStore::source_tagging(self.client, src)
    }

    fn upload_part_copy(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        src: &CopySource,
        range: (u64, u64),
    ) -> Result<PartWritten> {
        self.note(upload_id);
        MultipartStore::upload_part_copy(self.client, key, upload_id, number, src, range)
    }

    fn upload_part_copy_watched(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        src: &CopySource,
        range: (u64, u64),
        watch: &PartWatch<'_>,
    ) -> Result<PartWritten> {
        self.note(upload_id);
        if !self.enter(watch) {
            return Err(Error::Cancelled(format!(
                "part {number} of the copy to {key} not started: the task is stopping"
            )));
        }
        let r = MultipartStore::upload_part_copy(self.client, key, upload_id, number, src, range);
        self.sending.fetch_sub(1, Ordering::SeqCst);
        r
    }
}
