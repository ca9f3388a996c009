//! An in-memory [`MultipartStore`] for the engine's unit tests, with scripted faults
//! (part N fails, returns a wrong CRC...) and call counters.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use md5::{Digest, Md5};

use super::run::hex;
use super::store::*;
use crate::client::ObjectAcl;
use crate::crc64;
use crate::{Error, Result, ServiceError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Put,
    Initiate,
    UploadPart(u32),
    Complete,
    Abort,
    ListUploads,
    ListParts,
    Head,
    Get,
    Copy,
    PartCopy(u32),
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum FaultKind {
    /// A 500 InternalError (retryable).
    Retryable,
    /// A 403 AccessDenied (not retryable).
    Fatal,
    /// Succeed but report a CRC-64 off by one.
    WrongCrc,
    /// GET: corrupt the first byte sent.
    CorruptBody,
    /// Carry the request out, then answer 500 as if the answer was lost on the way.
    LostAnswer,
}

struct Fault {
    op: Op,
    /// Matching calls to let through before firing.
    skip: u32,
    times: u32,
    kind: FaultKind,
}

struct Obj {
    data: Vec<u8>,
    etag: String,
    attrs: ObjectAttrs,
}

struct Upload {
    key: String,
    attrs: ObjectAttrs,
    seq: u64,
    parts: BTreeMap<u32, (Vec<u8>, String)>,
}

#[derive(Default)]
struct State {
    objects: HashMap<String, Obj>,
    uploads: HashMap<String, Upload>,
    next: u64,
    calls: Vec<Op>,
    md5_sent: Vec<(u32, bool)>,
    traffic_limits: Vec<Option<u64>>,
    part_sizes: Vec<(u32, usize)>,
    part_buffers: HashSet<usize>,
}

pub(crate) struct Fake {
    pub cfg: TransferConfig,
    state: Mutex<State>,
    faults: Mutex<Vec<Fault>>,
    in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
    /// Sleep in every Upload Part / ranged GET, so parts overlap.
    pub part_delay: Duration,
    /// Called at the start of every Upload Part with its number.
    pub on_part: Option<Box<dyn Fn(u32) + Sync>>,
    /// The pool returned by `MultipartStore::pool` (None: the engine builds its own).
    pub pool: Option<std::sync::Arc<rayon::ThreadPool>>,
}

fn service(status: u16, code: &str) -> Error {
    Error::from(ServiceError {
        http_status: status,
        code: code.into(),
        message: format!("fake {code}"),
        request_id: "fake".into(),
        ..Default::default()
    })
}

fn quoted_md5(data: &[u8]) -> String {
    format!("\"{}\"", hex(&Md5::digest(data)))
}

impl Fake {
    pub fn new(cfg: TransferConfig) -> Self {
        Fake {
            cfg,
            state: Mutex::new(State::default()),
            faults: Mutex::new(Vec::new()),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            part_delay: Duration::ZERO,
            on_part: None,
            pool: None,
        }
    }

    pub fn fault(&self, op: Op, times: u32, kind: FaultKind) {
        self.faults.lock().unwrap().push(Fault {
            op,
            skip: 0,
            times,
            kind,
        });
    }

    /// Fail only the `nth` (1-based) matching call from now on.
    pub fn fault_nth(&self, op: Op, nth: u32, kind: FaultKind) {
        self.faults.lock().unwrap().push(Fault {
            op,
            skip: nth.saturating_sub(1),
            times: 1,
            kind,
        });
    }

    pub fn clear_faults(&self) {
        self.faults.lock().unwrap().clear();
    }

    /// Record the call and take a matching fault, if any.
    fn enter(&self, op: Op) -> Option<FaultKind> {
        self.state.lock().unwrap().calls.push(op);
        let mut f = self.faults.lock().unwrap();
        let i = f.iter().position(|x| x.op == op && x.times > 0)?;
        if f[i].skip > 0 {
            f[i].skip -= 1;
            return None;
        }
        f[i].times -= 1;
        Some(f[i].kind)
    }

    pub fn count(&self, pred: impl Fn(&Op) -> bool) -> usize {
        self.state
            .lock()
            .unwrap()
            .calls
            .iter()
            .filter(|o| pred(o))
            .count()
    }

    pub fn parts_sent(&self) -> Vec<u32> {
        let s = self.state.lock().unwrap();
        s.calls
            .iter()
            .filter_map(|o| match o {
                Op::UploadPart(n) => Some(*n),
                _ => None,
            })
            .collect()
    }

    pub fn reset_calls(&self) {
        let mut s = self.state.lock().unwrap();
        s.calls.clear();
        s.md5_sent.clear();
        s.part_buffers.clear();
    }

    pub fn md5_sent(&self) -> Vec<(u32, bool)> {
        self.state.lock().unwrap().md5_sent.clone()
    }

    pub fn part_sizes(&self) -> Vec<(u32, usize)> {
        let mut v = self.state.lock().unwrap().part_sizes.clone();
        v.sort();
        v
    }

    pub fn traffic_limits(&self) -> Vec<Option<u64>> {
        self.state.lock().unwrap().traffic_limits.clone()
    }

    pub fn distinct_part_buffers(&self) -> usize {
        self.state.lock().unwrap().part_buffers.len()
    }

    pub fn object(&self, key: &str) -> Option<Vec<u8>> {
        self.state
            .lock()
            .unwrap()
            .objects
            .get(key)
            .map(|o| o.data.clone())
    }

    pub fn object_attrs(&self, key: &str) -> Option<ObjectAttrs> {
        self.state
            .lock()
            .unwrap()
            .objects
            .get(key)
            .map(|o| o.attrs.clone())
    }

    pub fn insert(&self, key: &str, data: Vec<u8>, attrs: ObjectAttrs) {
        let etag = quoted_md5(&data);
        self.state
            .lock()
            .unwrap()
            .objects
            .insert(key.into(), Obj { data, etag, attrs });
    }

    pub fn uploads(&self) -> usize {
        self.state.lock().unwrap().uploads.len()
    }

    fn busy<T>(&self, f: impl FnOnce() -> T) -> T {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        if !self.part_delay.is_zero() {
            std::thread::sleep(self.part_delay);
        }
        let r = f();
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        r
    }
}

fn check_md5(data: &[u8], md5: Option<[u8; 16]>) -> Result<()> {
    match md5 {
        Some(m) if Md5::digest(data)[..] != m[..] => Err(service(400, "BadDigest")),
        _ => Ok(()),
    }
}

impl MultipartStore for Fake {
    fn transfer_config(&self) -> TransferConfig {
        self.cfg.clone()
    }

    fn pool(&self) -> Option<&rayon::ThreadPool> {
        self.pool.as_deref()
    }

    fn put_object(
        &self,
        key: &str,
        data: &[u8],
        attrs: &ObjectAttrs,
        content_md5: Option<[u8; 16]>,
        _traffic_limit: Option<u64>,
    ) -> Result<Written> {
        let fault = self.enter(Op::Put);
        match fault {
            Some(FaultKind::Retryable) => return Err(service(500, "InternalError")),
            Some(FaultKind::Fatal) => return Err(service(403, "AccessDenied")),
            _ => {}
        }
        check_md5(data, content_md5)?;
        self.insert(key, data.to_vec(), attrs.clone());
        let crc = crc64::checksum(data);
        Ok(Written {
            etag: quoted_md5(data),
            crc64: Some(if matches!(fault, Some(FaultKind::WrongCrc)) {
                crc ^ 1
            } else {
                crc
            }),
            version_id: None,
        })
    }

    fn initiate(&self, key: &str, attrs: &ObjectAttrs) -> Result<String> {
        if let Some(FaultKind::Retryable | FaultKind::Fatal) = self.enter(Op::Initiate) {
            return Err(service(500, "InternalError"));
        }
        let mut s = self.state.lock().unwrap();
        s.next += 1;
        let id = format!("upload-{}", s.next);
        let seq = s.next;
        s.uploads.insert(
            id.clone(),
            Upload {
                key: key.into(),
                attrs: attrs.clone(),
                seq,
                parts: BTreeMap::new(),
            },
        );
        Ok(id)
    }

    fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        data: &[u8],
        content_md5: Option<[u8; 16]>,
        _traffic_limit: Option<u64>,
        watch: &PartWatch<'_>,
    ) -> Result<PartWritten> {
        if let Some(f) = &self.on_part {
            f(number);
        }
        let fault = self.enter(Op::UploadPart(number));
        {
            let mut s = self.state.lock().unwrap();
            s.md5_sent.push((number, content_md5.is_some()));
            s.traffic_limits.push(_traffic_limit);
            s.part_sizes.push((number, data.len()));
            s.part_buffers.insert(data.as_ptr() as usize);
        }
        self.busy(|| {
            match fault {
                Some(FaultKind::Retryable) => return Err(service(500, "InternalError")),
                Some(FaultKind::Fatal) => return Err(service(403, "AccessDenied")),
                _ => {}
            }
            check_md5(data, content_md5)?;
            // "Send" the body in pieces, as a socket would, stopping on a cancel.
            for piece in data.chunks(256 << 10) {
                if watch.cancelled() {
                    return Err(Error::io(
                        "request body",
                        std::io::Error::other("the transfer was cancelled"),
                    ));
                }
                watch.sent(piece.len() as u64);
                if !self.part_delay.is_zero() {
                    std::thread::sleep(self.part_delay / 4);
                }
            }
            let mut s = self.state.lock().unwrap();
            let u = s
                .uploads
                .get_mut(upload_id)
                .filter(|u| u.key == key)
                .ok_or_else(|| service(404, "NoSuchUpload"))?;
            let etag = quoted_md5(data);
            u.parts.insert(number, (data.to_vec(), etag.clone()));
            let crc = crc64::checksum(data);
            Ok(PartWritten {
                etag,
                crc64: Some(if matches!(fault, Some(FaultKind::WrongCrc)) {
                    crc ^ 1
                } else {
                    crc
                }),
            })
        })
    }

    fn complete(&self, key: &str, upload_id: &str, parts: &[(u32, String)]) -> Result<Written> {
        let fault = self.enter(Op::Complete);
        if let Some(FaultKind::Retryable) = fault {
            return Err(service(500, "InternalError"));
        }
        let mut s = self.state.lock().unwrap();
        let u = s
            .uploads
            .get(upload_id)
            .filter(|u| u.key == key)
            .ok_or_else(|| service(404, "NoSuchUpload"))?;
        let mut data = Vec::new();
        for (i, (n, etag)) in parts.iter().enumerate() {
            if *n != i as u32 + 1 {
                return Err(service(400, "InvalidPart"));
            }
            let (bytes, e) = u.parts.get(n).ok_or_else(|| service(400, "InvalidPart"))?;
            if e != etag {
                return Err(service(400, "InvalidPart"));
            }
            if i + 1 < parts.len() && (bytes.len() as u64) < super::MIN_PART_SIZE {
                return Err(service(400, "EntityTooSmall"));
            }
            data.extend_from_slice(bytes);
        }
        let attrs = u.attrs.clone();
        s.uploads.remove(upload_id);
        let crc = crc64::checksum(&data);
        let etag = format!("\"{}-{}\"", hex(&Md5::digest(&data)), parts.len());
        s.objects.insert(
            key.into(),
            Obj {
                data,
                etag: etag.clone(),
                attrs,
            },
        );
        if let Some(FaultKind::LostAnswer) = fault {
            return Err(service(500, "InternalError"));
        }
        Ok(Written {
            etag,
            crc64: Some(if matches!(fault, Some(FaultKind::WrongCrc)) {
                crc ^ 1
            } else {
                crc
            }),
            version_id: None,
        })
    }

    fn abort(&self, _key: &str, upload_id: &str) -> Result<()> {
        self.enter(Op::Abort);
        let mut s = self.state.lock().unwrap();
        s.uploads
            .remove(upload_id)
            .map(|_| ())
            .ok_or_else(|| service(404, "NoSuchUpload"))
    }

    fn list_uploads(&self, key: &str) -> Result<Vec<RemoteUpload>> {
        self.enter(Op::ListUploads);
        let s = self.state.lock().unwrap();
        Ok(s.uploads
            .iter()
            .filter(|(_, u)| u.key.starts_with(key))
            .map(|(id, u)| RemoteUpload {
                key: u.key.clone(),
                upload_id: id.clone(),
                initiated: format!("2026-01-01T00:00:{:02}.000Z", u.seq),
            })
            .collect())
    }

    fn list_parts(&self, _key: &str, upload_id: &str) -> Result<Vec<RemotePart>> {
        self.enter(Op::ListParts);
        let s = self.state.lock().unwrap();
        let u = s
            .uploads
            .get(upload_id)
            .ok_or_else(|| service(404, "NoSuchUpload"))?;
        Ok(u.parts
            .iter()
            .map(|(n, (d, e))| RemotePart {
                number: *n,
                etag: e.clone(),
                size: d.len() as u64,
            })
            .collect())
    }

    fn head(&self, key: &str) -> Result<RemoteObject> {
        self.enter(Op::Head);
        let s = self.state.lock().unwrap();
        let o = s
            .objects
            .get(key)
            .ok_or_else(|| service(404, "NoSuchKey"))?;
        Ok(RemoteObject {
            size: o.data.len() as u64,
            etag: o.etag.clone(),
            crc64: Some(crc64::checksum(&o.data)),
            last_modified: "Thu, 01 Jan 2026 00:00:00 GMT".into(),
            version_id: None,
            attrs: o.attrs.clone(),
        })
    }

    fn get(
        &self,
        key: &str,
        range: Option<(u64, u64)>,
        if_match: Option<&str>,
        _traffic_limit: Option<u64>,
        sink: &mut dyn Write,
    ) -> Result<Got> {
        let fault = self.enter(Op::Get);
        let mut bytes = {
            let s = self.state.lock().unwrap();
            let o = s
                .objects
                .get(key)
                .ok_or_else(|| service(404, "NoSuchKey"))?;
            if if_match.is_some_and(|m| m != o.etag) {
                return Err(service(412, "PreconditionFailed"));
            }
            match range {
                None => o.data.clone(),
                Some((a, b)) => {
                    if a > b || b >= o.data.len() as u64 {
                        return Err(service(416, "InvalidRange"));
                    }
                    o.data[a as usize..=b as usize].to_vec()
                }
            }
        };
        self.busy(|| {
            match fault {
                Some(FaultKind::Retryable) => return Err(service(500, "InternalError")),
                Some(FaultKind::Fatal) => return Err(service(403, "AccessDenied")),
                Some(FaultKind::CorruptBody) if !bytes.is_empty() => bytes[0] ^= 0xff,
                _ => {}
            }
            // Deliver in pieces, as a socket would.
            for piece in bytes.chunks(100_000) {
                sink.write_all(piece)
                    .map_err(|e| Error::io("fake sink", e))?;
            }
            Ok(Got {
                crc64: crc64::checksum(&bytes),
            })
        })
    }

    fn head_source(&self, src: &CopySource) -> Result<RemoteObject> {
        self.head(&src.key)
    }

    fn source_tagging(&self, src: &CopySource) -> Result<Vec<(String, String)>> {
        let s = self.state.lock().unwrap();
        let o = s
            .objects
            .get(&src.key)
            .ok_or_else(|| service(404, "NoSuchKey"))?;
        Ok(o.attrs.tagging.clone())
    }

    fn copy_object(
        &self,
        key: &str,
        src: &CopySource,
        replace: Option<&ObjectAttrs>,
        acl: &ObjectAcl,
        tagging: Option<&[(String, String)]>,
    ) -> Result<Written> {
        self.enter(Op::Copy);
        let mut s = self.state.lock().unwrap();
        let o = s
            .objects
            .get(&src.key)
            .ok_or_else(|| service(404, "NoSuchKey"))?;
        let data = o.data.clone();
        let mut attrs = replace.cloned().unwrap_or_else(|| o.attrs.clone());
        attrs.acl = acl.clone();
        attrs.tagging = tagging.map_or_else(|| o.attrs.tagging.clone(), <[_]>::to_vec);
        let etag = o.etag.clone();
        let crc = crc64::checksum(&data);
        s.objects.insert(
            key.into(),
            Obj {
                data,
                etag: etag.clone(),
                attrs,
            },
        );
        Ok(Written {
            etag,
            crc64: Some(crc),
            version_id: None,
        })
    }

    fn upload_part_copy(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        src: &CopySource,
        range: (u64, u64),
    ) -> Result<PartWritten> {
        if let Some(FaultKind::Retryable) = self.enter(Op::PartCopy(number)) {
            return Err(service(500, "InternalError"));
        }
        self.busy(|| {
            let mut s = self.state.lock().unwrap();
            let data = {
                let o = s
                    .objects
                    .get(&src.key)
                    .ok_or_else(|| service(404, "NoSuchKey"))?;
                if range.1 >= o.data.len() as u64 {
                    return Err(service(416, "InvalidRange"));
                }
                o.data[range.0 as usize..=range.1 as usize].to_vec()
            };
            let u = s
                .uploads
                .get_mut(upload_id)
                .filter(|u| u.key == key)
                .ok_or_else(|| service(404, "NoSuchUpload"))?;
            let etag = quoted_md5(&data);
            let crc = crc64::checksum(&data);
            u.parts.insert(number, (data, etag.clone()));
            Ok(PartWritten {
                etag,
                crc64: Some(crc),
            })
        })
    }
}
