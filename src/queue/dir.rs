//! Directory transfers through the queue: [`Queue::upload_dir`] queues one upload per
//! regular file of a local tree, [`Queue::download_prefix`] one download per object
//! under a key prefix.
//!
//! Both check everything first and queue nothing when anything is wrong: every key (or
//! every file name) is checked before the first task is queued, and the error names
//! the file or key at fault.
//!
//! A downloaded key becomes a path under the target directory only when each of its
//! `/`-separated segments is a plain name: not empty (`a//b`, a leading `/`), not `.`
//! or `..`, without `\` or control characters (NUL included). A key whose path would be
//! both a file and a directory (`a` and `a/b`), or whose path goes through a symbolic
//! link already in the target directory, is refused too: no key can make a download
//! write outside the directory. The same rules apply to the relative paths of an
//! uploaded tree, so every tree uploaded can be downloaded again.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use super::{Queue, TaskId};
use crate::client::ListObjectsOptions;
use crate::encode::validate_key;
use crate::error::{Error, Result};
use crate::transfer::{DownloadOptions, UploadOptions};

/// Check one relative key path (`a/b/c`, no trailing `/`): every segment a plain name.
fn check_relative(rel: &str) -> std::result::Result<(), String> {
    if rel.is_empty() {
        return Err("it has no name under the prefix".into());
    }
    for seg in rel.split('/') {
        if seg.is_empty() {
            return Err(if rel.starts_with('/') {
                "it is an absolute path (starts with '/')".into()
            } else {
                "it has an empty path segment ('//' or a trailing '/')".into()
            });
        }
        if seg == "." || seg == ".." {
            return Err(format!("it has a {seg:?} path segment"));
        }
        if seg.contains('\\') {
            return Err("it contains '\\', a path separator on Windows".into());
        }
        if let Some(c) = seg.chars().find(|c| c.is_control()) {
            return Err(format!(
                "it contains the control character U+{:04X}",
                c as u32
            ));
        }
    }
    Ok(())
}

/// The local file or directory a key maps to, checked.
enum Mapped {
    /// A directory marker (a key ending in `/`): the directory only.
    Dir(PathBuf),
    /// An object to download to this file.
    File(PathBuf),
}

fn refuse_key(key: &str, why: impl std::fmt::Display) -> Error {
    Error::invalid(
        "key",
        format!("the object key {key:?} cannot be downloaded into the directory: {why}"),
    )
}

/// Map `key` (which starts with `prefix`) to a path under `dir`; `None` for the marker
/// of the prefix itself (`prefix` ending in `/` and the key equal to it).
fn map_key(key: &str, prefix: &str, dir: &Path) -> Result<Option<Mapped>> {
    let rel = key
        .strip_prefix(prefix)
        .ok_or_else(|| refuse_key(key, format!("it does not start with {prefix:?}")))?;
    if rel.is_empty() && key.ends_with('/') {
        return Ok(None);
    }
    let (rel, marker) = match rel.strip_suffix('/') {
        Some(r) if !r.is_empty() => (r, true),
        _ => (rel, false),
    };
    check_relative(rel).map_err(|why| refuse_key(key, why))?;
    let mut path = dir.to_path_buf();
    path.extend(rel.split('/'));
    Ok(Some(if marker {
        Mapped::Dir(path)
    } else {
        Mapped::File(path)
    }))
}

/// Refuse a path under `dir` that goes through (or is) a symbolic link or a non-directory
/// already on disk.
fn check_on_disk(key: &str, dir: &Path, path: &Path, is_file: bool) -> Result<()> {
    let rel = path.strip_prefix(dir).unwrap_or(path);
    let mut cur = dir.to_path_buf();
    let n = rel.components().count();
    for (i, c) in rel.components().enumerate() {
        cur.push(c);
        let last = i + 1 == n;
        match fs::symlink_metadata(&cur) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(refuse_key(
                    key,
                    format!("{} is a symbolic link", cur.display()),
                ));
            }
            Ok(m) if !(m.is_dir() || last && is_file) => {
                return Err(refuse_key(
                    key,
                    format!("{} exists and is not a directory", cur.display()),
                ));
            }
            Ok(m) if last && is_file && m.is_dir() => {
                return Err(refuse_key(
                    key,
                    format!("{} exists and is a directory", cur.display()),
                ));
            }
            Ok(_) => {}
            // Nothing there yet: nothing below it either.
            Err(_) => return Ok(()),
        }
    }
    Ok(())
}

/// Collect the regular files under `dir` (sorted by name at each level), skipping
/// symbolic links and other special files; `rel` is the relative path so far.
fn walk(
    dir: &Path,
    rel: &str,
    out: &mut Vec<(PathBuf, String)>,
    skipped: &mut Vec<PathBuf>,
) -> Result<()> {
    let rd = fs::read_dir(dir).map_err(|e| Error::io(format!("{}", dir.display()), e))?;
    let mut entries = Vec::new();
    for e in rd {
        let e = e.map_err(|e| Error::io(format!("{}", dir.display()), e))?;
        entries.push(e);
    }
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let name = e.file_name();
        let Some(name) = name.to_str() else {
            return Err(Error::invalid(
                "path",
                format!(
                    "the file name of {} is not UTF-8, so it cannot be an object key",
                    path.display()
                ),
            ));
        };
        let child = if rel.is_empty() {
            name.to_string()
        } else {
            format!("{rel}/{name}")
        };
        // Does not follow symbolic links.
        let ft = e
            .file_type()
            .map_err(|e| Error::io(format!("{}", path.display()), e))?;
        if ft.is_dir() {
            walk(&path, &child, out, skipped)?;
        } else if ft.is_file() {
            out.push((path, child));
        } else {
            skipped.push(path);
        }
    }
    Ok(())
}

impl Queue {
    /// Queue one upload per regular file under the local directory `dir`, recursively,
    /// as object `prefix` + the file's path relative to `dir` with `/` separators
    /// (`prefix` is used as given: pass `"photos/"`, not `"photos"`, for a folder).
    /// Files are queued in sorted order (by name, at each level, depth first), and the
    /// answer lists `(file, key, task)` in that order. Each task is the same as one
    /// from [`Queue::upload`] with `opts`.
    ///
    /// Symbolic links (to files or directories) are not followed and not uploaded, nor
    /// are other special files (FIFOs, sockets, devices); empty directories make no
    /// object. Use [`Queue::upload`] for a file you mean to upload through a link.
    ///
    /// Everything is checked before the first task is queued, so an error queues
    /// nothing: `InvalidArgument` when `dir` is not a directory, a file name is not
    /// UTF-8 (the message names the path), or a key would be invalid or could not be
    /// downloaded back by [`Queue::download_prefix`] (a `\` or control character in a
    /// name, a key over 850 bytes, a `prefix` that makes it start with `/`...: the
    /// message names the file); `Io` when a directory cannot be read; `InvalidState`
    /// when the queue has no room for every file (`upload_queue_size`) or is shut down.
    pub fn upload_dir(
        &self,
        dir: &Path,
        prefix: &str,
        opts: UploadOptions,
    ) -> Result<Vec<(PathBuf, String, TaskId)>> {
        let meta = fs::metadata(dir).map_err(|e| Error::io(format!("{}", dir.display()), e))?;
        if !meta.is_dir() {
            return Err(Error::invalid(
                "dir",
                format!("{} is not a directory", dir.display()),
            ));
        }
        let mut files = Vec::new();
        let mut skipped = Vec::new();
        walk(dir, "", &mut files, &mut skipped)?;
        let mut planned = Vec::with_capacity(files.len());
        for (path, rel) in files {
            let key = format!("{prefix}{rel}");
            let bad = |why: String| {
                Error::invalid(
                    "path",
                    format!("{} cannot be uploaded as {key:?}: {why}", path.display()),
                )
            };
            check_relative(&rel).map_err(bad)?;
            validate_key(&key).map_err(|e| match e {
                Error::InvalidArgument { why, .. } => bad(why),
                e => e,
            })?;
            planned.push((path, key));
        }
        self.check_room(planned.len())?;
        let mut out = Vec::with_capacity(planned.len());
        for (path, key) in planned {
            match self.upload(&key, &path, opts.clone()) {
                Ok(id) => out.push((path, key, id)),
                Err(e) => {
                    self.withdraw(out.iter().map(|t| t.2));
                    return Err(e);
                }
            }
        }
        Ok(out)
    }

    /// Queue one download per object under `prefix` (every page of GET Bucket) into the
    /// local directory `dir` (created if missing): object `prefix` + `rel` goes to
    /// `dir/rel`, and its parent directories are created now. A "directory marker" (a
    /// key ending in `/`) creates that directory and queues nothing. The answer lists
    /// `(key, file, task)` in key order; each task is the same as one from
    /// [`Queue::download`] with `opts` (a regular file already at a path is replaced
    /// once the download completes, as there).
    ///
    /// Every key is checked before anything is created or queued (see the module
    /// documentation): a key with an empty, `.` or `..` segment, a leading `/`, a `\`
    /// or a control character, a key that maps to a path another key needs as a
    /// directory (`a` and `a/b`), a key equal to `prefix` that is not a marker, or one
    /// whose path goes through a symbolic link (or a file) already in `dir`, makes the
    /// call fail with `InvalidArgument` naming the key, with nothing queued and nothing
    /// written. Other errors: the listing's (`Service`, `Transport`...), `Io` when a
    /// directory cannot be created, `InvalidState` when the queue has no room for every
    /// object or is shut down.
    pub fn download_prefix(
        &self,
        prefix: &str,
        dir: &Path,
        opts: DownloadOptions,
    ) -> Result<Vec<(String, PathBuf, TaskId)>> {
        if dir.as_os_str().is_empty() {
            return Err(Error::invalid("dir", "the directory path is empty"));
        }
        if let Ok(m) = fs::metadata(dir) {
            if !m.is_dir() {
                return Err(Error::invalid(
                    "dir",
                    format!("{} exists and is not a directory", dir.display()),
                ));
            }
        }
        let mut keys: Vec<String> = Vec::new();
        let list = ListObjectsOptions {
            prefix: prefix.to_string(),
            ..Default::default()
        };
        for page in self.client().list_objects_pages(list) {
            keys.extend(page?.objects.into_iter().map(|o| o.key));
        }
        keys.sort();
        keys.dedup();

        // Map and check every key.
        let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
        let mut files: Vec<(String, PathBuf)> = Vec::new();
        let mut file_set: BTreeSet<PathBuf> = BTreeSet::new();
        for key in &keys {
            let Some(mapped) = map_key(key, prefix, dir)? else {
                continue;
            };
            let (path, is_file) = match mapped {
                Mapped::Dir(p) => (p, false),
                Mapped::File(p) => (p, true),
            };
            check_on_disk(key, dir, &path, is_file)?;
            let mut parent = path.parent();
            while let Some(p) = parent {
                if p == dir {
                    break;
                }
                dirs.insert(p.to_path_buf());
                parent = p.parent();
            }
            if is_file {
                validate_key(key).map_err(|e| refuse_key(key, e))?;
                file_set.insert(path.clone());
                files.push((key.clone(), path));
            } else {
                dirs.insert(path);
            }
        }
        for (key, path) in &files {
            if dirs.contains(path) {
                return Err(refuse_key(
                    key,
                    format!(
                        "{} would be both a file and a directory (another key is under it)",
                        path.display()
                    ),
                ));
            }
        }
        self.check_room(files.len())?;

        fs::create_dir_all(dir).map_err(|e| Error::io(format!("{}", dir.display()), e))?;
        for d in &dirs {
            fs::create_dir_all(d).map_err(|e| Error::io(format!("{}", d.display()), e))?;
        }
        let mut out = Vec::with_capacity(files.len());
        for (key, path) in files {
            match self.download(&key, &path, opts.clone()) {
                Ok(id) => out.push((key, path, id)),
                Err(e) => {
                    self.withdraw(out.iter().map(|t| t.2));
                    return Err(e);
                }
            }
        }
        Ok(out)
    }

    /// `InvalidState` unless `n` more tasks fit beside the unfinished ones.
    fn check_room(&self, n: usize) -> Result<()> {
        if self.is_shut_down() {
            return Err(Error::InvalidState("the queue is shut down".into()));
        }
        let unfinished = self.tasks().iter().filter(|t| !t.state.is_final()).count();
        let size = self.inner.queue_size;
        if unfinished + n > size {
            return Err(Error::InvalidState(format!(
                "{n} tasks do not fit in the queue: it holds {unfinished} unfinished tasks \
                 and upload_queue_size is {size}"
            )));
        }
        Ok(())
    }

    /// Cancel tasks just queued by a directory call that failed part way (another
    /// thread filled the queue meanwhile), so that the call leaves nothing running.
    fn withdraw(&self, ids: impl Iterator<Item = TaskId>) {
        for id in ids {
            let _ = self.cancel(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        for ok in ["a", "a/b", "ü/日本.txt", "a b/c..d", "...x"] {
            assert!(check_relative(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "/abs",
            "a//b",
            "a/",
            "./x",
            "a/./b",
            "a/../../e",
            "..",
            "a\\b",
            "a\u{1}b",
            "a\0b",
            "x\ny",
        ] {
            assert!(check_relative(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn keys_map_under_dir() {
        let d = Path::new("/t/d");
        let f = |k: &str| match map_key(k, "p/", d) {
            Ok(Some(Mapped::File(p))) => Some(p),
            _ => None,
        };
        assert_eq!(f("p/a/b.txt"), Some(PathBuf::from("/t/d/a/b.txt")));
        assert!(matches!(
            map_key("p/sub/", "p/", d),
            Ok(Some(Mapped::Dir(p))) if p == Path::new("/t/d/sub")
        ));
        assert!(matches!(map_key("p/", "p/", d), Ok(None)));
        for bad in [
            "p/../x", "p//abs", "p/a//b", "p/./x", "p/a\\b", "p/\u{7}", "p/a//",
        ] {
            let e = map_key(bad, "p/", d).err().expect(bad);
            assert!(e.to_string().contains(&format!("{bad:?}")), "{e}");
        }
    }
}
