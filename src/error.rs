//! One error type for the whole library. `Error::status()` is the only mapping to the
//! C status codes. Secrets never appear in any message: nothing here formats a key.

use std::fmt;

/// Status codes shared by the Rust API and the C API (`qcos_status`).
///
/// The numbers are part of the ABI: never renumber, never reuse a retired value.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Success.
    Ok = 0,
    /// An argument was rejected before anything was sent (NULL, bad UTF-8, bad name...).
    InvalidArgument = 1,
    /// COS (or the server) answered with an error document or error status.
    Service = 2,
    /// The connection failed (DNS, refused, reset, TLS).
    Network = 3,
    /// A timeout elapsed.
    Timeout = 4,
    /// Cancelled by the caller (a callback returned non-zero or a task was cancelled).
    Cancelled = 5,
    /// Data did not match its checksum (CRC-64, MD5, size).
    Integrity = 6,
    /// Credentials were missing, or the credential provider failed.
    Auth = 7,
    /// A local file or stream could not be read or written.
    Io = 8,
    /// A caller-provided buffer was too small; the needed size is reported.
    BufferTooSmall = 9,
    /// The requested thing does not exist locally (e.g. an unknown task id).
    NotFound = 10,
    /// The operation is not possible in the current state (e.g. resuming a finished task).
    InvalidState = 11,
    /// The response could not be understood (malformed XML, missing fields).
    Protocol = 12,
    /// A bug inside qcos (including a caught panic).
    Internal = 13,
}

impl Status {
    /// Static description of a status, for `qcos_status_str`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::InvalidArgument => "invalid argument",
            Status::Service => "service error",
            Status::Network => "network error",
            Status::Timeout => "timeout",
            Status::Cancelled => "cancelled",
            Status::Integrity => "integrity check failed",
            Status::Auth => "authentication error",
            Status::Io => "local I/O error",
            Status::BufferTooSmall => "buffer too small",
            Status::NotFound => "not found",
            Status::InvalidState => "invalid state",
            Status::Protocol => "protocol error",
            Status::Internal => "internal error",
        }
    }

    /// All statuses, for exhaustive tests and bindings.
    pub const ALL: [Status; 14] = [
        Status::Ok,
        Status::InvalidArgument,
        Status::Service,
        Status::Network,
        Status::Timeout,
        Status::Cancelled,
        Status::Integrity,
        Status::Auth,
        Status::Io,
        Status::BufferTooSmall,
        Status::NotFound,
        Status::InvalidState,
        Status::Protocol,
        Status::Internal,
    ];
}

/// An error answered by COS: the HTTP status plus the fields of its `<Error>` document
/// (or of the headers, for bodiless HEAD errors).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceError {
    pub http_status: u16,
    pub code: String,
    pub message: String,
    pub resource: String,
    pub request_id: String,
    pub trace_id: String,
}

impl ServiceError {
    /// 5xx (and COS's 520) and the throttling codes are temporary and worth a retry.
    pub fn is_retryable(&self) -> bool {
        self.http_status >= 500
            || matches!(
                self.code.as_str(),
                "SlowDown" | "ServiceUnavailable" | "InternalError" | "RequestTimeout"
            )
    }

    /// The two answers that mean "your clock (or the signature's window) is wrong".
    pub fn is_clock_skew(&self) -> bool {
        self.code == "RequestTimeTooSkewed"
            || (self.code == "AccessDenied" && self.message == "Request has expired")
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "COS answered HTTP {}", self.http_status)?;
        if !self.code.is_empty() {
            write!(f, " {}", self.code)?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if !self.request_id.is_empty() {
            write!(f, " (request id {})", self.request_id)?;
        }
        Ok(())
    }
}

/// Every failure qcos can report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("argument `{0}` is NULL")]
    NullArgument(&'static str),
    #[error("argument `{0}` is not valid UTF-8")]
    InvalidUtf8(&'static str),
    #[error("invalid {what}: {why}")]
    InvalidArgument { what: &'static str, why: String },
    #[error("{0}")]
    Service(Box<ServiceError>),
    #[error("network error talking to {host}: {message}")]
    Network { host: String, message: String },
    #[error("timed out talking to {host}: {message}")]
    Timeout { host: String, message: String },
    #[error("cancelled: {0}")]
    Cancelled(String),
    #[error("integrity check failed: {0}")]
    Integrity(String),
    #[error("credentials: {0}")]
    Auth(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("buffer too small: {needed} bytes needed, {capacity} available")]
    BufferTooSmall { needed: u64, capacity: u64 },
    #[error("not found: {0}")]
    NotFound(String),
    #[error("invalid state: {0}")]
    InvalidState(String),
    #[error("unexpected response: {0}")]
    Protocol(String),
    #[error("internal error: {0}")]
    Internal(String),
}

/// Shorthand used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A network error or timeout with `note` appended to its message (what the client
    /// did or did not do about it); other errors unchanged.
    pub(crate) fn with_note(self, note: &str) -> Error {
        match self {
            Error::Network { host, message } => Error::Network {
                host,
                message: format!("{message}; {note}"),
            },
            Error::Timeout { host, message } => Error::Timeout {
                host,
                message: format!("{message}; {note}"),
            },
            other => other,
        }
    }

    /// The only mapping from Rust errors to C status codes.
    pub fn status(&self) -> Status {
        match self {
            Error::NullArgument(_) | Error::InvalidUtf8(_) | Error::InvalidArgument { .. } => {
                Status::InvalidArgument
            }
            Error::Service(_) => Status::Service,
            Error::Network { .. } => Status::Network,
            Error::Timeout { .. } => Status::Timeout,
            Error::Cancelled(_) => Status::Cancelled,
            Error::Integrity(_) => Status::Integrity,
            Error::Auth(_) => Status::Auth,
            Error::Io { .. } => Status::Io,
            Error::BufferTooSmall { .. } => Status::BufferTooSmall,
            Error::NotFound(_) => Status::NotFound,
            Error::InvalidState(_) => Status::InvalidState,
            Error::Protocol(_) => Status::Protocol,
            Error::Internal(_) => Status::Internal,
        }
    }

    /// Build an `InvalidArgument` error.
    pub fn invalid(what: &'static str, why: impl Into<String>) -> Self {
        Error::InvalidArgument {
            what,
            why: why.into(),
        }
    }

    /// Wrap an I/O error with what we were doing.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// The service error, if this is one.
    pub fn service(&self) -> Option<&ServiceError> {
        match self {
            Error::Service(s) => Some(s),
            _ => None,
        }
    }

    /// Worth retrying on a request that is safe to repeat.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Network { .. } | Error::Timeout { .. } => true,
            Error::Service(s) => s.is_retryable(),
            _ => false,
        }
    }
}

impl From<ServiceError> for Error {
    fn from(e: ServiceError) -> Self {
        Error::Service(Box::new(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn status_numbers_and_names_are_unique_and_stable() {
        let nums: HashSet<u32> = Status::ALL.iter().map(|s| *s as u32).collect();
        let names: HashSet<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(nums.len(), Status::ALL.len());
        assert_eq!(names.len(), Status::ALL.len());
        assert_eq!(Status::Ok as u32, 0);
        assert_eq!(Status::Internal as u32, 13);
    }

    #[test]
    fn service_error_display_names_code_and_request() {
        let e = Error::from(ServiceError {
            http_status: 404,
            code: "NoSuchKey".into(),
            message: "The specified key does not exist.".into(),
            request_id: "NjA2".into(),
            ..Default::default()
        });
        assert_eq!(e.status(), Status::Service);
        let s = e.to_string();
        assert!(
            s.contains("404") && s.contains("NoSuchKey") && s.contains("NjA2"),
            "{s}"
        );
        assert!(!e.is_retryable());
    }

    #[test]
    fn retry_classification() {
        let slow = ServiceError {
            http_status: 503,
            code: "SlowDown".into(),
            ..Default::default()
        };
        assert!(slow.is_retryable());
        let skew = ServiceError {
            http_status: 403,
            code: "AccessDenied".into(),
            message: "Request has expired".into(),
            ..Default::default()
        };
        assert!(skew.is_clock_skew() && !skew.is_retryable());
    }
}
