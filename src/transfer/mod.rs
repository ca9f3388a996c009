//! The transfer engine: large uploads, downloads and copies built from many COS requests.
//!
//! - [`upload`]: a file, a reader of known length, or a stream of unknown length; one PUT
//!   up to `slice_size`, otherwise a parallel multipart upload in bounded memory, verified
//!   end to end with CRC-64, resumable, cancellable.
//! - [`download_file`] / [`download_to_buffer`]: parallel ranged GETs verified with
//!   CRC-64; a file appears at its path only when complete and verified.
//! - [`slice_copy`]: server-side copy, multipart above `copy_slice_size`.
//!
//! The engine talks to the service only through the [`MultipartStore`] trait (implemented
//! by [`crate::client::Client`]), so it is unit-tested against an in-memory fake.
//!
//! Threads: every function blocks its caller. Parts run on the store's rayon pool (or a
//! pool built for the transfer, of the transfer's parallelism). The progress callback is
//! called **only on the calling thread**, at most every `progress_interval_ms`, and once
//! more after success; returning `false` cancels (the call then returns
//! `Error::Cancelled`, after the parts in flight have finished their current request).

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

pub use copy::{CopyOptions, CopyOutput, slice_copy};
pub use download::{
    DownloadOptions, DownloadOutput, MIN_RANGE_SIZE, download_file, download_to_buffer,
};
pub use run::{Progress, ProgressFn};
pub use store::{
    CopySource, MultipartStore, ObjectAttrs, PartWritten, RemoteObject, RemotePart, RemoteUpload,
    TransferConfig, Written,
};
pub use upload::{
    Leftover, MAX_PART_SIZE, MAX_PARTS, MIN_PART_SIZE, UploadOptions, UploadOutput, UploadSource,
    plan_part_size, stream_part_size, upload,
};
