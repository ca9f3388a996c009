//! The C shell around the Rust API: opaque handles, `qcos_status` returns, the
//! thread-local last error, callbacks. No COS logic lives here.
//!
//! Every `extern "C"` function has the same shape: its body runs inside [`entry()`]
//! (functions that return a `qcos_status`) or [`entry_value`] (accessors that return
//! a value), which catch panics so none crosses the boundary. Raw pointers become
//! references only in [`args`]; calls into C function pointers happen only in
//! [`callbacks`]. Those two modules hold all of the `unsafe` in the crate.
//!
//! Panic strategy: the library is built with `panic = "unwind"` (the default) so a
//! panic inside qcos becomes `QCOS_STATUS_INTERNAL`. A host that rebuilds it with
//! `panic = "abort"` gets an abort instead; nothing can be caught then.

#![allow(non_camel_case_types)]

// Declared in the order the header presents them (cbindgen follows it); the blank
// lines keep rustfmt from sorting them.
pub mod version;

pub mod last_error;

pub mod config;

pub mod client;

pub mod options;

pub mod buffer;

pub mod results;

pub mod list;

pub mod sign;

pub mod transfer;

pub mod queue;

pub mod tagging_acl;

pub mod append;

pub mod multipart;

pub mod bucket_config;

pub mod write_acl;

pub mod dir;

pub mod args;
pub mod callbacks;
pub mod entry;
#[cfg(debug_assertions)]
pub mod testing;

pub use entry::{entry, entry_value};
