//! On-disk storage with an in-memory index.
//!
//! Layout under the data directory:
//! ```text
//! tmp/                                 uploads in progress (cleared at start)
//! buckets/{bucket}/bucket.meta         creation time, bucket tags and ACL
//! buckets/{bucket}/cors.xml            CORS configuration (PUT ?cors)
//! buckets/{bucket}/o/{h2}/{h}.meta     object metadata (and tags/ACL), h = sha1(key); names its data file
//! buckets/{bucket}/o/{h2}/{h}.{gen}[.{i}].data   one file, or one per multipart part
//! uploads/{id}/upload.meta             multipart upload (bucket, key, metadata)
//! uploads/{id}/part-{n}.meta           part metadata; names its data file
//! uploads/{id}/part-{n}.{gen}.data
//! ```
//! Data is written to `tmp/`, renamed to a fresh `{gen}` name, and only then does the
//! metadata file (written aside and renamed over) switch to it, so an interrupted write
//! leaves the previous object intact. At start the index is rebuilt from the `.meta`
//! files and unreferenced data files are removed. A multipart object keeps its parts as
//! separate segment files (Complete links them into place instead of copying), and a
//! copy hard-links the source's segments: data files are never modified once written.
//! An appendable object (APPEND Object) gets one more segment file per append: its
//! earlier segments stay as they are and only the metadata file is rewritten.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use qcos::encode::{percent_decode, uri_encode};

use crate::cors::CorsConfig;
use crate::util::{unique, unix_now};

/// Stored metadata of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    pub key: String,
    pub size: u64,
    /// With its double quotes.
    pub etag: String,
    pub crc64: Option<u64>,
    pub last_modified: i64,
    /// Stored response headers, lowercase names: content-type, cache-control,
    /// content-disposition, content-encoding, content-language, expires, x-cos-meta-*.
    pub headers: Vec<(String, String)>,
    pub storage_class: String,
    /// Tags and ACL (PUT `?tagging` / `?acl`); a new object starts without them.
    pub attrs: ObjectAttrs,
    /// The data, in order: one file for simple objects, one per part for multipart ones,
    /// one per append for appendable ones.
    pub segments: Vec<Segment>,
    /// Created by APPEND Object (`x-cos-object-type: appendable`); a PUT, Complete or
    /// Copy over it makes a normal object again.
    pub appendable: bool,
}

/// What PUT `?tagging` and PUT `?acl` set on an object, kept in its `.meta` file
/// (lines `tag`, `acl`, `grant`, `policy`, `pgrant`). Any write of new data (PUT,
/// Copy, Complete) starts over with what that write's request carried
/// (`x-cos-acl`, `x-cos-grant-*`, `x-cos-tagging`), or without them, as in COS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectAttrs {
    /// `(key, value)` in the order they were put.
    pub tags: Vec<(String, String)>,
    /// The canned ACL (`x-cos-acl`) as put; `None`: never set (`default`).
    pub canned_acl: Option<String>,
    /// `(permission, grantee id)`, e.g. `("READ", "100000000002")`.
    pub grants: Vec<(String, String)>,
    /// Set by PUT `?acl` with an `<AccessControlPolicy>` body: the grants exactly as
    /// given (GET lists them and nothing else).
    pub policy: Option<Vec<PolicyGrant>>,
}

/// One grant of an ACL put as a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyGrant {
    pub permission: String,
    /// `true`: a `Group` grantee named by `who` (a URI); `false`: a `CanonicalUser`
    /// with the id `who`.
    pub group: bool,
    pub who: String,
}

impl ObjectAttrs {
    fn lines(&self) -> Vec<(String, String)> {
        let mut v = Vec::new();
        for (k, val) in &self.tags {
            v.push(("tag".to_string(), format!("{}:{}", enc(k), val)));
        }
        if let Some(c) = &self.canned_acl {
            v.push(("acl".to_string(), c.clone()));
        }
        for (perm, id) in &self.grants {
            v.push(("grant".to_string(), format!("{}:{}", enc(perm), id)));
        }
        if let Some(p) = &self.policy {
            v.push(("policy".to_string(), p.len().to_string()));
            for g in p {
                let kind = if g.group { "G" } else { "U" };
                v.push((
                    "pgrant".to_string(),
                    format!("{}:{kind}:{}", enc(&g.permission), g.who),
                ));
            }
        }
        v
    }

    fn parse(lines: &[(String, String)]) -> ObjectAttrs {
        let pair = |v: &str| {
            v.split_once(':')
                .and_then(|(a, b)| Some((percent_decode(a)?, b.to_string())))
        };
        let mut a = ObjectAttrs::default();
        for (k, v) in lines {
            match k.as_str() {
                "tag" => a.tags.extend(pair(v)),
                "acl" => a.canned_acl = Some(v.clone()),
                "grant" => a.grants.extend(pair(v)),
                "policy" => a.policy = Some(Vec::new()),
                "pgrant" => {
                    if let Some((perm, rest)) = pair(v)
                        && let Some((kind, who)) = rest.split_once(':')
                    {
                        a.policy.get_or_insert_with(Vec::new).push(PolicyGrant {
                            permission: perm,
                            group: kind == "G",
                            who: who.to_string(),
                        });
                    }
                }
                _ => {}
            }
        }
        a
    }
}

/// One data file of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub path: PathBuf,
    pub len: u64,
}

/// How [`Store::commit_object`] puts source files into place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Rename (temporary files).
    Move,
    /// Hard-link (files that stay where they are: another object's or an upload's).
    Link,
}

/// Metadata that comes with a new object (from PUT, Initiate or Copy).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewMeta {
    pub headers: Vec<(String, String)>,
    pub storage_class: String,
    /// Tags and ACL the write's request carried (`x-cos-tagging`, `x-cos-acl`,
    /// `x-cos-grant-*`).
    pub attrs: ObjectAttrs,
}

#[derive(Debug, Clone)]
pub struct PartMeta {
    pub number: u32,
    pub size: u64,
    pub etag: String,
    pub crc64: u64,
    pub last_modified: i64,
    pub data: PathBuf,
}

#[derive(Debug, Clone)]
pub struct Upload {
    pub id: String,
    pub bucket: String,
    pub key: String,
    pub initiated: i64,
    pub meta: NewMeta,
    pub parts: BTreeMap<u32, PartMeta>,
    dir: PathBuf,
}

pub struct Bucket {
    pub created: i64,
    pub objects: BTreeMap<String, Arc<ObjectMeta>>,
    /// The bucket's CORS configuration (`cors.xml` in its directory).
    pub cors: Option<Arc<CorsConfig>>,
    /// Bucket tags and ACL (PUT `/?tagging`, `/?acl`), lines of `bucket.meta`.
    pub attrs: ObjectAttrs,
}

#[derive(Default)]
pub struct State {
    pub buckets: BTreeMap<String, Bucket>,
    pub uploads: HashMap<String, Upload>,
}

#[derive(Debug)]
pub enum StoreError {
    NoSuchBucket,
    NoSuchKey,
    NoSuchUpload,
    BucketExists,
    BucketNotEmpty,
    Io(io::Error),
}

impl From<io::Error> for StoreError {
    fn from(e: io::Error) -> Self {
        StoreError::Io(e)
    }
}

pub type SResult<T> = Result<T, StoreError>;

/// Why [`Store::append_object`] refused an append.
#[derive(Debug)]
pub enum AppendError {
    Store(StoreError),
    /// The key holds a normal (PUT, multipart or copied) object.
    NotAppendable,
    /// `position` is not the object's current length (0 for a missing key).
    PositionMismatch {
        length: u64,
    },
    /// The object would grow past the limit.
    TooLarge {
        length: u64,
    },
}

impl From<io::Error> for AppendError {
    fn from(e: io::Error) -> Self {
        AppendError::Store(StoreError::Io(e))
    }
}

/// The bytes of one append, already received into a temporary file.
#[derive(Debug, Clone)]
pub struct AppendChunk {
    pub tmp: PathBuf,
    pub len: u64,
    /// The chunk's own ETag (its MD5, quoted).
    pub etag: String,
    pub crc64: u64,
}

pub struct Store {
    root: PathBuf,
    state: Mutex<State>,
}

fn enc(s: &str) -> String {
    uri_encode(s)
}

fn write_meta_file(path: &Path, tmp_dir: &Path, lines: &[(String, String)]) -> io::Result<()> {
    let mut text = String::with_capacity(256);
    for (k, v) in lines {
        text.push_str(k);
        text.push('=');
        text.push_str(&enc(v));
        text.push('\n');
    }
    let tmp = tmp_dir.join(format!("{}.meta", unique()));
    {
        let mut f = File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
    }
    fs::rename(&tmp, path).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}

fn read_meta_file(path: &Path) -> Option<Vec<(String, String)>> {
    let text = fs::read_to_string(path).ok()?;
    let mut out = Vec::new();
    for line in text.lines() {
        let (k, v) = line.split_once('=')?;
        out.push((k.to_string(), percent_decode(v)?));
    }
    Some(out)
}

fn field<'a>(lines: &'a [(String, String)], name: &str) -> Option<&'a str> {
    lines
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn meta_lines(m: &NewMeta) -> Vec<(String, String)> {
    let mut v = vec![("storage_class".to_string(), m.storage_class.clone())];
    for (k, val) in &m.headers {
        v.push(("h".to_string(), format!("{}:{}", enc(k), val)));
    }
    v
}

fn parse_new_meta(lines: &[(String, String)]) -> NewMeta {
    let mut m = NewMeta {
        storage_class: field(lines, "storage_class")
            .unwrap_or("STANDARD")
            .to_string(),
        headers: Vec::new(),
        attrs: ObjectAttrs::parse(lines),
    };
    for (k, v) in lines {
        if k == "h"
            && let Some((n, val)) = v.split_once(':')
            && let Some(n) = percent_decode(n)
        {
            m.headers.push((n, val.to_string()));
        }
    }
    m
}

fn key_hash(key: &str) -> String {
    qcos::auth::hex_sha1(key.as_bytes())
}

impl Store {
    /// Open (or create) a store and rebuild its index.
    pub fn open(root: &Path) -> io::Result<Store> {
        fs::create_dir_all(root)?;
        let tmp = root.join("tmp");
        if tmp.exists() {
            fs::remove_dir_all(&tmp)?;
        }
        fs::create_dir_all(&tmp)?;
        fs::create_dir_all(root.join("buckets"))?;
        fs::create_dir_all(root.join("uploads"))?;
        let store = Store {
            root: root.to_path_buf(),
            state: Mutex::new(State::default()),
        };
        store.rebuild()?;
        Ok(store)
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    fn bucket_dir(&self, bucket: &str) -> PathBuf {
        self.root.join("buckets").join(bucket)
    }

    /// A fresh temporary file for incoming data.
    pub fn tmp_file(&self) -> io::Result<(PathBuf, File)> {
        let p = self.tmp_dir().join(format!("{}.data", unique()));
        let f = File::create(&p)?;
        Ok((p, f))
    }

    fn rebuild(&self) -> io::Result<()> {
        let mut st = self.lock();
        for entry in fs::read_dir(self.root.join("buckets"))? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let dir = entry.path();
            let Some(lines) = read_meta_file(&dir.join("bucket.meta")) else {
                eprintln!(
                    "qcos-server: ignoring {}: no readable bucket.meta",
                    dir.display()
                );
                continue;
            };
            let created = field(&lines, "created")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let attrs = ObjectAttrs::parse(&lines);
            let mut objects = BTreeMap::new();
            let odir = dir.join("o");
            if odir.exists() {
                for sub in fs::read_dir(&odir)? {
                    let sub = sub?.path();
                    if !sub.is_dir() {
                        continue;
                    }
                    let mut referenced = Vec::new();
                    let mut datas = Vec::new();
                    for f in fs::read_dir(&sub)? {
                        let p = f?.path();
                        let fname = p
                            .file_name()
                            .unwrap_or_default()
                            .to_string_lossy()
                            .into_owned();
                        if fname.ends_with(".data") {
                            datas.push(p);
                        } else if fname.ends_with(".meta") {
                            match Self::load_object(&sub, &p) {
                                Some(m) => {
                                    referenced.extend(m.segments.iter().map(|s| s.path.clone()));
                                    objects.insert(m.key.clone(), Arc::new(m));
                                }
                                None => {
                                    eprintln!(
                                        "qcos-server: dropping unreadable object metadata {}",
                                        p.display()
                                    );
                                    let _ = fs::remove_file(&p);
                                }
                            }
                        }
                    }
                    for d in datas {
                        if !referenced.contains(&d) {
                            let _ = fs::remove_file(&d);
                        }
                    }
                }
            }
            let cors = match fs::read(dir.join("cors.xml")) {
                Ok(b) => match CorsConfig::parse(&b) {
                    Ok(c) => Some(Arc::new(c)),
                    Err((_, why)) => {
                        eprintln!("qcos-server: ignoring the CORS configuration of {name}: {why}");
                        None
                    }
                },
                Err(_) => None,
            };
            st.buckets.insert(
                name,
                Bucket {
                    created,
                    objects,
                    cors,
                    attrs,
                },
            );
        }
        for entry in fs::read_dir(self.root.join("uploads"))? {
            let dir = entry?.path();
            let id = dir
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let Some(lines) = read_meta_file(&dir.join("upload.meta")) else {
                let _ = fs::remove_dir_all(&dir);
                continue;
            };
            let (Some(bucket), Some(key)) = (field(&lines, "bucket"), field(&lines, "key")) else {
                let _ = fs::remove_dir_all(&dir);
                continue;
            };
            let mut up = Upload {
                id: id.clone(),
                bucket: bucket.to_string(),
                key: key.to_string(),
                initiated: field(&lines, "initiated")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0),
                meta: parse_new_meta(&lines),
                parts: BTreeMap::new(),
                dir: dir.clone(),
            };
            let mut referenced = Vec::new();
            let mut datas = Vec::new();
            for f in fs::read_dir(&dir)? {
                let p = f?.path();
                let fname = p
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                if fname.ends_with(".data") {
                    datas.push(p);
                } else if fname.starts_with("part-") && fname.ends_with(".meta") {
                    if let Some(part) = Self::load_part(&dir, &p) {
                        referenced.push(part.data.clone());
                        up.parts.insert(part.number, part);
                    } else {
                        let _ = fs::remove_file(&p);
                    }
                }
            }
            for d in datas {
                if !referenced.contains(&d) {
                    let _ = fs::remove_file(&d);
                }
            }
            if st.buckets.contains_key(&up.bucket) {
                st.uploads.insert(id, up);
            } else {
                let _ = fs::remove_dir_all(&dir);
            }
        }
        Ok(())
    }

    fn load_object(dir: &Path, meta: &Path) -> Option<ObjectMeta> {
        let lines = read_meta_file(meta)?;
        let size: u64 = field(&lines, "size")?.parse().ok()?;
        let mut segments = Vec::new();
        for (k, v) in &lines {
            if k == "seg" {
                let (name, len) = v.rsplit_once(':')?;
                let len: u64 = len.parse().ok()?;
                let path = dir.join(name);
                if fs::metadata(&path).ok()?.len() != len {
                    return None;
                }
                segments.push(Segment { path, len });
            }
        }
        if segments.iter().map(|s| s.len).sum::<u64>() != size || segments.is_empty() {
            return None;
        }
        let nm = parse_new_meta(&lines);
        Some(ObjectMeta {
            key: field(&lines, "key")?.to_string(),
            size,
            etag: field(&lines, "etag")?.to_string(),
            crc64: field(&lines, "crc64").and_then(|v| v.parse().ok()),
            last_modified: field(&lines, "last_modified")?.parse().ok()?,
            headers: nm.headers,
            storage_class: nm.storage_class,
            attrs: ObjectAttrs::parse(&lines),
            segments,
            appendable: field(&lines, "object_type") == Some("appendable"),
        })
    }

    fn load_part(dir: &Path, meta: &Path) -> Option<PartMeta> {
        let lines = read_meta_file(meta)?;
        let data = dir.join(field(&lines, "data")?);
        let size: u64 = field(&lines, "size")?.parse().ok()?;
        if fs::metadata(&data).ok()?.len() != size {
            return None;
        }
        Some(PartMeta {
            number: field(&lines, "number")?.parse().ok()?,
            size,
            etag: field(&lines, "etag")?.to_string(),
            crc64: field(&lines, "crc64")?.parse().ok()?,
            last_modified: field(&lines, "last_modified")?.parse().ok()?,
            data,
        })
    }

    // ---- buckets ----

    pub fn create_bucket(&self, name: &str) -> SResult<()> {
        let mut st = self.lock();
        if st.buckets.contains_key(name) {
            return Err(StoreError::BucketExists);
        }
        let dir = self.bucket_dir(name);
        fs::create_dir_all(dir.join("o"))?;
        let created = unix_now();
        write_meta_file(
            &dir.join("bucket.meta"),
            &self.tmp_dir(),
            &[("created".into(), created.to_string())],
        )?;
        st.buckets.insert(
            name.to_string(),
            Bucket {
                created,
                objects: BTreeMap::new(),
                cors: None,
                attrs: ObjectAttrs::default(),
            },
        );
        Ok(())
    }

    pub fn delete_bucket(&self, name: &str) -> SResult<()> {
        let mut st = self.lock();
        let b = st.buckets.get(name).ok_or(StoreError::NoSuchBucket)?;
        if !b.objects.is_empty() || st.uploads.values().any(|u| u.bucket == name) {
            return Err(StoreError::BucketNotEmpty);
        }
        fs::remove_dir_all(self.bucket_dir(name))?;
        st.buckets.remove(name);
        Ok(())
    }

    /// The bucket's CORS configuration (`None`: none set).
    pub fn get_cors(&self, bucket: &str) -> SResult<Option<Arc<CorsConfig>>> {
        let st = self.lock();
        let b = st.buckets.get(bucket).ok_or(StoreError::NoSuchBucket)?;
        Ok(b.cors.clone())
    }

    /// Set (`Some`) or remove (`None`) the bucket's CORS configuration, on disk first.
    pub fn set_cors(&self, bucket: &str, cfg: Option<CorsConfig>) -> SResult<()> {
        let mut st = self.lock();
        let b = st.buckets.get_mut(bucket).ok_or(StoreError::NoSuchBucket)?;
        let path = self.bucket_dir(bucket).join("cors.xml");
        match &cfg {
            Some(c) => {
                let tmp = self.tmp_dir().join(format!("{}.cors", unique()));
                fs::write(&tmp, c.to_xml())?;
                fs::rename(&tmp, &path).inspect_err(|_| {
                    let _ = fs::remove_file(&tmp);
                })?;
            }
            None => match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            },
        }
        b.cors = cfg.map(Arc::new);
        Ok(())
    }

    /// The bucket's tags and ACL.
    pub fn bucket_attrs(&self, bucket: &str) -> SResult<ObjectAttrs> {
        let st = self.lock();
        let b = st.buckets.get(bucket).ok_or(StoreError::NoSuchBucket)?;
        Ok(b.attrs.clone())
    }

    /// Change the bucket's tags/ACL with `f`, on disk first (`bucket.meta` is
    /// rewritten with its other lines kept).
    pub fn update_bucket_attrs(
        &self,
        bucket: &str,
        f: impl FnOnce(&mut ObjectAttrs),
    ) -> SResult<()> {
        let mut st = self.lock();
        let b = st.buckets.get_mut(bucket).ok_or(StoreError::NoSuchBucket)?;
        let mut attrs = b.attrs.clone();
        f(&mut attrs);
        let path = self.bucket_dir(bucket).join("bucket.meta");
        let mut lines = read_meta_file(&path).ok_or_else(|| {
            StoreError::Io(io::Error::other(format!(
                "the metadata of bucket {bucket:?} is unreadable"
            )))
        })?;
        lines.retain(|(k, _)| !matches!(k.as_str(), "tag" | "acl" | "grant"));
        lines.extend(attrs.lines());
        write_meta_file(&path, &self.tmp_dir(), &lines)?;
        b.attrs = attrs;
        Ok(())
    }

    pub fn bucket_exists(&self, name: &str) -> bool {
        self.lock().buckets.contains_key(name)
    }

    /// `(name, created)` of every bucket, sorted by name.
    pub fn list_buckets(&self) -> Vec<(String, i64)> {
        self.lock()
            .buckets
            .iter()
            .map(|(k, b)| (k.clone(), b.created))
            .collect()
    }

    // ---- objects ----

    pub fn get_object(&self, bucket: &str, key: &str) -> SResult<Arc<ObjectMeta>> {
        let st = self.lock();
        let b = st.buckets.get(bucket).ok_or(StoreError::NoSuchBucket)?;
        b.objects.get(key).cloned().ok_or(StoreError::NoSuchKey)
    }

    /// Put `sources` (in order) into place as the data of object `key` and switch its
    /// metadata to them. With [`Placement::Move`] the sources are consumed (removed on
    /// failure too).
    #[allow(clippy::too_many_arguments)]
    pub fn commit_object(
        &self,
        bucket: &str,
        key: &str,
        sources: &[Segment],
        placement: Placement,
        etag: String,
        crc64: Option<u64>,
        meta: NewMeta,
    ) -> SResult<Arc<ObjectMeta>> {
        let discard = || {
            if placement == Placement::Move {
                for s in sources {
                    let _ = fs::remove_file(&s.path);
                }
            }
        };
        if !self.bucket_exists(bucket) {
            discard();
            return Err(StoreError::NoSuchBucket);
        }
        let h = key_hash(key);
        let dir = self.bucket_dir(bucket).join("o").join(&h[..2]);
        if let Err(e) = fs::create_dir_all(&dir) {
            discard();
            return Err(e.into());
        }
        let generation = unique();
        let mut segments: Vec<Segment> = Vec::with_capacity(sources.len());
        let mut lines = vec![("key".to_string(), key.to_string())];
        for (i, src) in sources.iter().enumerate() {
            let name = if sources.len() == 1 {
                format!("{h}.{generation}.data")
            } else {
                format!("{h}.{generation}.{i}.data")
            };
            let dest = dir.join(&name);
            let placed = match placement {
                Placement::Move => fs::rename(&src.path, &dest),
                Placement::Link => fs::hard_link(&src.path, &dest)
                    .or_else(|_| fs::copy(&src.path, &dest).map(|_| ())),
            };
            if let Err(e) = placed {
                for s in &segments {
                    let _ = fs::remove_file(&s.path);
                }
                if placement == Placement::Move {
                    for s in &sources[i..] {
                        let _ = fs::remove_file(&s.path);
                    }
                }
                return Err(e.into());
            }
            lines.push(("seg".to_string(), format!("{name}:{}", src.len)));
            segments.push(Segment {
                path: dest,
                len: src.len,
            });
        }
        let size: u64 = segments.iter().map(|s| s.len).sum();
        let now = unix_now();
        let obj = ObjectMeta {
            key: key.to_string(),
            size,
            etag,
            crc64,
            last_modified: now,
            headers: meta.headers.clone(),
            storage_class: meta.storage_class.clone(),
            attrs: meta.attrs.clone(),
            segments,
            appendable: false,
        };
        lines.push(("size".to_string(), size.to_string()));
        lines.push(("etag".to_string(), obj.etag.clone()));
        lines.push(("last_modified".to_string(), now.to_string()));
        if let Some(c) = crc64 {
            lines.push(("crc64".into(), c.to_string()));
        }
        lines.extend(meta_lines(&meta));
        lines.extend(meta.attrs.lines());
        let obj = Arc::new(obj);
        let remove_new = |o: &ObjectMeta| {
            for s in &o.segments {
                let _ = fs::remove_file(&s.path);
            }
        };
        let old = {
            let mut st = self.lock();
            let Some(b) = st.buckets.get_mut(bucket) else {
                drop(st);
                remove_new(&obj);
                return Err(StoreError::NoSuchBucket);
            };
            if let Err(e) = write_meta_file(&dir.join(format!("{h}.meta")), &self.tmp_dir(), &lines)
            {
                drop(st);
                remove_new(&obj);
                return Err(e.into());
            }
            b.objects.insert(key.to_string(), obj.clone())
        };
        if let Some(old) = old {
            remove_new(&old);
        }
        Ok(obj)
    }

    /// Change the tags/ACL of an existing object with `f`, on disk first (its `.meta`
    /// file is rewritten with every other line kept as it is), and return the object.
    pub fn update_attrs(
        &self,
        bucket: &str,
        key: &str,
        f: impl FnOnce(&mut ObjectAttrs),
    ) -> SResult<Arc<ObjectMeta>> {
        let mut st = self.lock();
        let b = st.buckets.get_mut(bucket).ok_or(StoreError::NoSuchBucket)?;
        let old = b.objects.get(key).ok_or(StoreError::NoSuchKey)?;
        let mut obj = (**old).clone();
        f(&mut obj.attrs);
        let h = key_hash(key);
        let path = self
            .bucket_dir(bucket)
            .join("o")
            .join(&h[..2])
            .join(format!("{h}.meta"));
        let mut lines = read_meta_file(&path).ok_or_else(|| {
            StoreError::Io(io::Error::other(format!(
                "the metadata of {key:?} is unreadable"
            )))
        })?;
        lines.retain(|(k, _)| !matches!(k.as_str(), "tag" | "acl" | "grant" | "policy" | "pgrant"));
        lines.extend(obj.attrs.lines());
        write_meta_file(&path, &self.tmp_dir(), &lines)?;
        let obj = Arc::new(obj);
        b.objects.insert(key.to_string(), obj.clone());
        Ok(obj)
    }

    /// Remove an object. Missing keys are fine (Ok(false)).
    pub fn delete_object(&self, bucket: &str, key: &str) -> SResult<bool> {
        let old = {
            let mut st = self.lock();
            let b = st.buckets.get_mut(bucket).ok_or(StoreError::NoSuchBucket)?;
            let Some(old) = b.objects.remove(key) else {
                return Ok(false);
            };
            let h = key_hash(key);
            let meta = self
                .bucket_dir(bucket)
                .join("o")
                .join(&h[..2])
                .join(format!("{h}.meta"));
            if let Err(e) = fs::remove_file(&meta)
                && e.kind() != io::ErrorKind::NotFound
            {
                b.objects.insert(key.to_string(), old);
                return Err(e.into());
            }
            old
        };
        for s in &old.segments {
            let _ = fs::remove_file(&s.path);
        }
        Ok(true)
    }

    /// APPEND Object: add `chunk` (consumed, success or not) at `position` of `key`.
    /// A missing key takes position 0 and becomes an appendable object with `meta`;
    /// an appendable one must be exactly `position` bytes long, and keeps its metadata.
    /// The chunk becomes one more segment file; the earlier ones are not touched. The
    /// whole check-and-switch runs under the store lock, so concurrent appends to one
    /// key are serialized and at most one of them wins a given position.
    pub fn append_object(
        &self,
        bucket: &str,
        key: &str,
        position: u64,
        chunk: &AppendChunk,
        meta: NewMeta,
        max_size: u64,
    ) -> Result<Arc<ObjectMeta>, AppendError> {
        let discard = || {
            let _ = fs::remove_file(&chunk.tmp);
        };
        let h = key_hash(key);
        let dir = self.bucket_dir(bucket).join("o").join(&h[..2]);
        let mut st = self.lock();
        let Some(b) = st.buckets.get_mut(bucket) else {
            discard();
            return Err(AppendError::Store(StoreError::NoSuchBucket));
        };
        // An append adds to the object: its tags and ACL stay.
        let (mut segments, base_crc, base_etag, meta, attrs) = match b.objects.get(key) {
            None if position != 0 => {
                discard();
                return Err(AppendError::PositionMismatch { length: 0 });
            }
            None => {
                let attrs = meta.attrs.clone();
                (Vec::new(), Some(0), String::new(), meta, attrs)
            }
            Some(o) if !o.appendable => {
                discard();
                return Err(AppendError::NotAppendable);
            }
            Some(o) if o.size != position => {
                discard();
                return Err(AppendError::PositionMismatch { length: o.size });
            }
            Some(o) => (
                o.segments.clone(),
                o.crc64,
                o.etag.clone(),
                NewMeta {
                    headers: o.headers.clone(),
                    storage_class: o.storage_class.clone(),
                    attrs: ObjectAttrs::default(),
                },
                o.attrs.clone(),
            ),
        };
        let size = position.saturating_add(chunk.len);
        if size > max_size {
            discard();
            return Err(AppendError::TooLarge { length: position });
        }
        if let Err(e) = fs::create_dir_all(&dir) {
            discard();
            return Err(e.into());
        }
        let name = format!("{h}.{}.data", unique());
        let dest = dir.join(&name);
        if let Err(e) = fs::rename(&chunk.tmp, &dest) {
            discard();
            return Err(e.into());
        }
        segments.push(Segment {
            path: dest.clone(),
            len: chunk.len,
        });
        let crc64 = base_crc.map(|c| {
            if position == 0 {
                chunk.crc64
            } else {
                qcos::crc64::combine(c, chunk.crc64, chunk.len)
            }
        });
        // One ETag per state of the object: MD5 over the previous ETag and the chunk's.
        let etag = {
            use md5::{Digest, Md5};
            let mut m = Md5::new();
            m.update(base_etag.as_bytes());
            m.update(chunk.etag.as_bytes());
            let d: [u8; 16] = m.finalize().into();
            format!("\"{}\"", crate::util::hex(&d))
        };
        let now = unix_now();
        let mut lines = vec![("key".to_string(), key.to_string())];
        for s in &segments {
            let fname = s
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            lines.push(("seg".to_string(), format!("{fname}:{}", s.len)));
        }
        lines.push(("size".to_string(), size.to_string()));
        lines.push(("etag".to_string(), etag.clone()));
        lines.push(("last_modified".to_string(), now.to_string()));
        if let Some(c) = crc64 {
            lines.push(("crc64".into(), c.to_string()));
        }
        lines.push(("object_type".to_string(), "appendable".to_string()));
        lines.extend(meta_lines(&meta));
        lines.extend(attrs.lines());
        if let Err(e) = write_meta_file(&dir.join(format!("{h}.meta")), &self.tmp_dir(), &lines) {
            let _ = fs::remove_file(&dest);
            return Err(e.into());
        }
        let obj = Arc::new(ObjectMeta {
            key: key.to_string(),
            size,
            etag,
            crc64,
            last_modified: now,
            headers: meta.headers,
            storage_class: meta.storage_class,
            attrs,
            segments,
            appendable: true,
        });
        b.objects.insert(key.to_string(), obj.clone());
        Ok(obj)
    }

    // ---- multipart ----

    pub fn create_upload(&self, bucket: &str, key: &str, meta: NewMeta) -> SResult<String> {
        if !self.bucket_exists(bucket) {
            return Err(StoreError::NoSuchBucket);
        }
        let id = unique();
        let dir = self.root.join("uploads").join(&id);
        fs::create_dir_all(&dir)?;
        let initiated = unix_now();
        let mut lines = vec![
            ("bucket".to_string(), bucket.to_string()),
            ("key".to_string(), key.to_string()),
            ("initiated".to_string(), initiated.to_string()),
        ];
        lines.extend(meta_lines(&meta));
        lines.extend(meta.attrs.lines());
        write_meta_file(&dir.join("upload.meta"), &self.tmp_dir(), &lines)?;
        let up = Upload {
            id: id.clone(),
            bucket: bucket.to_string(),
            key: key.to_string(),
            initiated,
            meta,
            parts: BTreeMap::new(),
            dir,
        };
        self.lock().uploads.insert(id.clone(), up);
        Ok(id)
    }

    /// The upload `id` if it belongs to `bucket`/`key`.
    pub fn get_upload(&self, bucket: &str, key: &str, id: &str) -> SResult<Upload> {
        let st = self.lock();
        if !st.buckets.contains_key(bucket) {
            return Err(StoreError::NoSuchBucket);
        }
        match st.uploads.get(id) {
            Some(u) if u.bucket == bucket && u.key == key => Ok(u.clone()),
            _ => Err(StoreError::NoSuchUpload),
        }
    }

    pub fn commit_part(
        &self,
        upload_id: &str,
        number: u32,
        tmp: &Path,
        size: u64,
        etag: String,
        crc64: u64,
    ) -> SResult<PartMeta> {
        let dir = {
            let st = self.lock();
            match st.uploads.get(upload_id) {
                Some(u) => u.dir.clone(),
                None => {
                    let _ = fs::remove_file(tmp);
                    return Err(StoreError::NoSuchUpload);
                }
            }
        };
        let data_name = format!("part-{number}.{}.data", unique());
        let data = dir.join(&data_name);
        fs::rename(tmp, &data)?;
        let now = unix_now();
        let part = PartMeta {
            number,
            size,
            etag,
            crc64,
            last_modified: now,
            data,
        };
        let lines = vec![
            ("number".to_string(), number.to_string()),
            ("data".to_string(), data_name),
            ("size".to_string(), size.to_string()),
            ("etag".to_string(), part.etag.clone()),
            ("crc64".to_string(), crc64.to_string()),
            ("last_modified".to_string(), now.to_string()),
        ];
        let old = {
            let mut st = self.lock();
            let Some(up) = st.uploads.get_mut(upload_id) else {
                drop(st);
                let _ = fs::remove_file(&part.data);
                return Err(StoreError::NoSuchUpload);
            };
            if let Err(e) = write_meta_file(
                &dir.join(format!("part-{number}.meta")),
                &self.tmp_dir(),
                &lines,
            ) {
                drop(st);
                let _ = fs::remove_file(&part.data);
                return Err(e.into());
            }
            up.parts.insert(number, part.clone())
        };
        if let Some(old) = old {
            let _ = fs::remove_file(&old.data);
        }
        Ok(part)
    }

    /// Forget an upload and delete its parts.
    pub fn remove_upload(&self, id: &str) -> SResult<()> {
        let up = self
            .lock()
            .uploads
            .remove(id)
            .ok_or(StoreError::NoSuchUpload)?;
        let _ = fs::remove_dir_all(&up.dir);
        Ok(())
    }

    /// Uploads of a bucket sorted by (key, id).
    pub fn list_uploads(&self, bucket: &str) -> SResult<Vec<Upload>> {
        let st = self.lock();
        if !st.buckets.contains_key(bucket) {
            return Err(StoreError::NoSuchBucket);
        }
        let mut v: Vec<Upload> = st
            .uploads
            .values()
            .filter(|u| u.bucket == bucket)
            .cloned()
            .collect();
        v.sort_by(|a, b| (&a.key, &a.id).cmp(&(&b.key, &b.id)));
        Ok(v)
    }
}
