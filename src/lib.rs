//! qcos: a client library for Tencent Cloud Object Storage (COS) over its XML API,
//! shipped as a C library (see `include/qcos.h`) and usable from Rust directly.
//!
//! Layers, bottom up (see ARCHITECTURE.md): [`encode`], [`xml`], [`auth`] and [`crc64`]
//! are pure; [`http`] does all network I/O; [`client`] has one method per COS
//! operation; `transfer` builds multipart transfers on top; `ffi` is the C shell.
#![deny(unsafe_code)]

pub mod auth;
pub mod client;
pub mod config;
pub mod crc64;
pub mod encode;
pub mod error;
#[allow(unsafe_code)]
pub mod ffi;
pub mod http;
pub mod queue;
pub mod transfer;
pub mod xml;

pub use client::AppendObjectOutput;
pub use client::{AccessControlPolicy, CannedAcl, Grant, ObjectAcl};
pub use client::{
    Body, BucketInfo, BucketSummary, Client, CompleteOutput, CopyObjectOptions, CopyObjectOutput,
    CopySource, DeleteError, DeleteObjectsOutput, GetObjectOptions, ListObjectsOptions,
    ListObjectsPage, ListObjectsPages, ObjectInfo, ObjectSummary, PartInfo, PartOutput,
    PutObjectOptions, PutObjectOutput, UploadInfo, UploadPartOptions,
};
pub use client::{BucketAcl, BucketCannedAcl, CorsRule};
pub use client::{MAX_ACL_GRANTS, encode_tagging, validate_tags};
pub use config::{Config, Protocol};
pub use error::{Error, Result, ServiceError, Status};
