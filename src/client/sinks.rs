//! Where GET Object bodies go: a `Write`, a file written atomically, a caller buffer.

use std::fs::{File, OpenOptions};
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::http::ResponseSink;

/// Streams into any `Write`.
pub(crate) struct WriteSink<'w> {
    pub out: &'w mut dyn Write,
}

impl ResponseSink for WriteSink<'_> {
    fn begin(&mut self, _status: u16, _headers: &[(String, String)]) -> Result<()> {
        Ok(())
    }
    fn write(&mut self, data: &[u8]) -> Result<()> {
        self.out
            .write_all(data)
            .map_err(|e| Error::io("writing the downloaded body", e))
    }
}

/// Writes into a temporary file next to the target; `commit` fsyncs and renames it over
/// the target; dropping without `commit` removes it.
pub(crate) struct FileSink {
    file: Option<File>,
    temp: PathBuf,
    target: PathBuf,
    committed: bool,
}

fn random_suffix() -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.finish()
}

impl FileSink {
    pub(crate) fn create(target: &Path) -> Result<FileSink> {
        let name = target.file_name().ok_or_else(|| {
            Error::invalid("path", format!("{} does not name a file", target.display()))
        })?;
        if target.is_dir() {
            return Err(Error::invalid(
                "path",
                format!("{} is a directory", target.display()),
            ));
        }
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut last_err = None;
        for _ in 0..8 {
            let temp = dir.join(format!(
                ".{}.qcos-{:016x}.tmp",
                name.to_string_lossy(),
                random_suffix()
            ));
            match OpenOptions::new().write(true).create_new(true).open(&temp) {
                Ok(file) => {
                    return Ok(FileSink {
                        file: Some(file),
                        temp,
                        target: target.to_path_buf(),
                        committed: false,
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last_err = Some(e),
                Err(e) => {
                    return Err(Error::io(
                        format!("creating a temporary file in {}", dir.display()),
                        e,
                    ));
                }
            }
        }
        Err(Error::io(
            format!("creating a temporary file in {}", dir.display()),
            last_err.unwrap_or_else(|| std::io::Error::other("no free name")),
        ))
    }

    /// Flush to disk and move over the target.
    pub(crate) fn commit(mut self) -> Result<()> {
        let file = self
            .file
            .take()
            .ok_or_else(|| Error::Internal("file sink committed twice".into()))?;
        file.sync_all()
            .map_err(|e| Error::io(format!("syncing {}", self.temp.display()), e))?;
        drop(file);
        std::fs::rename(&self.temp, &self.target).map_err(|e| {
            Error::io(
                format!(
                    "renaming {} to {}",
                    self.temp.display(),
                    self.target.display()
                ),
                e,
            )
        })?;
        self.committed = true;
        // Make the rename durable; not every platform can sync a directory.
        if let Some(dir) = self.target.parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }

    /// Remove the temporary file.
    pub(crate) fn discard(self) {
        drop(self);
    }
}

impl Drop for FileSink {
    fn drop(&mut self) {
        if !self.committed {
            self.file.take();
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

impl ResponseSink for FileSink {
    fn begin(&mut self, _status: u16, _headers: &[(String, String)]) -> Result<()> {
        Ok(())
    }
    fn write(&mut self, data: &[u8]) -> Result<()> {
        let temp = &self.temp;
        self.file
            .as_mut()
            .ok_or_else(|| Error::Internal("file sink already closed".into()))?
            .write_all(data)
            .map_err(|e| Error::io(format!("writing {}", temp.display()), e))
    }
}

/// Copies into a caller buffer; counts what did not fit.
pub(crate) struct BufferSink<'b> {
    buf: &'b mut [u8],
    written: usize,
    total: u64,
}

impl<'b> BufferSink<'b> {
    pub(crate) fn new(buf: &'b mut [u8]) -> Self {
        BufferSink {
            buf,
            written: 0,
            total: 0,
        }
    }
    /// `(bytes written into the buffer, bytes the body had)`.
    pub(crate) fn finish(&self) -> (usize, u64) {
        (self.written, self.total)
    }
}

impl ResponseSink for BufferSink<'_> {
    fn begin(&mut self, _status: u16, headers: &[(String, String)]) -> Result<()> {
        let len = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .and_then(|(_, v)| v.trim().parse::<u64>().ok());
        if let Some(n) = len {
            if n > self.buf.len() as u64 {
                return Err(Error::BufferTooSmall {
                    needed: n,
                    capacity: self.buf.len() as u64,
                });
            }
        }
        Ok(())
    }
    fn write(&mut self, data: &[u8]) -> Result<()> {
        let room = self.buf.len() - self.written;
        let n = room.min(data.len());
        self.buf[self.written..self.written + n].copy_from_slice(&data[..n]);
        self.written += n;
        self.total += data.len() as u64;
        Ok(())
    }
}
