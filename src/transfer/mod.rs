//! The transfer engine: large uploads, downloads and copies built from many COS requests.
//!
//! - [`upload`]: a file, a reader of known length, or a stream of unknown length; one PUT
//!   up to `slice_size`, otherwise a parallel multipart upload in bounded memory, verified
//!   end to end with CRC-64, resumable, cancellable.
//! - [`download_file`] / [`download_to_buffer`]: parallel ranged GETs verified with
//!   CRC-64; a file appears at its path only when complete and verified.
//! - [`slice_copy`]: server-side copy, multipart above `copy_slice_size`;
//!   [`slice_copy_resume`] continues a multipart copy from its UploadId.
//!
//! The engine talks to the service only through the [`MultipartStore`] trait (implemented
//! by [`crate::client::Client`]), so it is unit-tested against an in-memory fake.
//!
//! Threads: every function blocks its caller. Parts run on the store's rayon pool: for a
//! [`crate::client::Client`], the client's own pool, shared by all its transfers (a store
//! without one gets a pool built for the transfer). However large the pool, a transfer
//! never has more than its parallel limit (`chunk_parallel_limit`, for copies
//! `copy_chunk_parallel_limit`) of parts in flight. The progress callback is
//! called **only on the calling thread**, at most every `progress_interval_ms`, and once
//! more after success; returning `false` cancels: part uploads and ranged GETs in flight
//! stop mid-body, no new request starts, and the call returns `Error::Cancelled` once the
//! workers have stopped. Upload progress counts part bytes as they are sent (a part that
//! fails and is retried is taken back out); download progress counts bytes written.
//! Readers given as sources are read on the calling thread too.
//!
//! Retries: each part, range and Complete is tried up to `1 + chunk_retry_times` times on
//! network errors, 5xx/throttling answers, clock-skew answers and per-part CRC-64
//! mismatches, with jittered exponential backoff (50 ms doubling, capped at 2 s). Part
//! bodies are streamed to the HTTP layer through a reader, which the HTTP layer does not
//! replay itself, so these are the only retries of an upload part.
//!
//! Memory: an upload holds at most `chunk_parallel_limit + 1` part buffers, reused from
//! part to part (none for file parts that need no MD5: those go from the file to the
//! socket through the HTTP layer's buffer); a download writes each range straight to its
//! place in the file.
//!
//! ```no_run
//! use qcos::transfer::{DownloadOptions, Leftover, UploadOptions, UploadSource};
//! # fn main() -> qcos::Result<()> {
//! let client = qcos::Client::new(qcos::Config::from_env()?)?;
//! let mut shown = 0.0;
//! let mut progress = |p: &qcos::transfer::Progress| {
//!     if p.percent - shown >= 0.1 {
//!         shown = p.percent;
//!         println!("{:.0}% at {:.1} MB/s", p.percent * 100.0, p.speed / 1e6);
//!     }
//!     true // false cancels
//! };
//! let opts = UploadOptions { on_cancel: Leftover::Abort, ..UploadOptions::default() };
//! let out = client.upload_file(
//!     "backups/disk.img",
//!     UploadSource::File("disk.img".as_ref()),
//!     &opts,
//!     Some(&mut progress),
//! )?;
//! println!("{} parts, CRC-64 {}", out.parts, out.crc64);
//! client.download_file("backups/disk.img", "copy.img".as_ref(), &DownloadOptions::default(), None)?;
//! # Ok(())
//! # }
//! ```

mod client_store;
mod copy;
mod download;
mod run;
mod store;
mod upload;

#[cfg(test)]
mod fake;
#[cfg(test)]
mod tests;

pub use copy::{CopyOptions, CopyOutput, CopyResume, slice_copy, slice_copy_resume};
pub use download::{
    DownloadOptions, DownloadOutput, MIN_RANGE_SIZE, download_file, download_to_buffer,
};
pub use run::{Progress, ProgressFn};
pub use store::{
    CopySource, Got, MultipartStore, ObjectAttrs, PartWatch, PartWritten, RemoteObject, RemotePart,
    RemoteUpload, TransferConfig, Written,
};
pub use upload::{
    Leftover, MAX_PART_SIZE, MAX_PARTS, MIN_PART_SIZE, UploadOptions, UploadOutput, UploadSource,
    plan_part_size, stream_part_size, upload,
};
