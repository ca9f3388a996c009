//! The one wrapper every `extern "C"` function runs its body in.

use std::panic::{AssertUnwindSafe, catch_unwind};

use super::last_error;
use crate::error::{Error, Result, Status};

/// Run the body of a status-returning entry point.
///
/// Clears this thread's last error, runs `body` and catches any panic. On `Err(e)` the
/// error is stored as the last error and `e.status()` is returned; on a panic the last
/// error says so and `Status::Internal` is returned.
pub fn entry(body: impl FnOnce() -> Result<()>) -> Status {
    last_error::clear();
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => Status::Ok,
        Ok(Err(e)) => {
            let s = e.status();
            last_error::set(&e);
            s
        }
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic payload".to_string());
            last_error::set(&Error::Internal(format!(
                "a panic inside qcos was caught at the C boundary: {what}"
            )));
            Status::Internal
        }
    }
}

/// Run the body of an accessor (a function that returns a value, not a status).
///
/// Accessors neither clear nor set the last error, so a caller can read fields of a
/// result while the last error of an earlier call stays readable. A NULL handle, an
/// out-of-range index or a panic yields `default`, which each accessor documents.
pub fn entry_value<T>(default: T, body: impl FnOnce() -> Result<T>) -> T {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(v)) => v,
        Ok(Err(_)) | Err(_) => default,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_maps_ok_error_and_panic() {
        assert_eq!(entry(|| Ok(())), Status::Ok);
        assert_eq!(last_error::status(), Status::Ok);
        assert_eq!(
            entry(|| Err(Error::NullArgument("key"))),
            Status::InvalidArgument
        );
        assert_eq!(last_error::status(), Status::InvalidArgument);
        assert!(last_error::message().contains("key"));
        // The next entry clears it.
        assert_eq!(entry(|| Ok(())), Status::Ok);
        assert_eq!(last_error::message(), "");
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let s = entry(|| panic!("boom"));
        std::panic::set_hook(prev);
        assert_eq!(s, Status::Internal);
        assert!(last_error::message().contains("boom"));
    }

    #[test]
    fn entry_value_never_touches_last_error() {
        assert_eq!(entry(|| Err(Error::NullArgument("x"))), Status::InvalidArgument);
        assert_eq!(entry_value(7, || Ok(3)), 3);
        assert_eq!(entry_value(7, || Err(Error::NullArgument("y"))), 7);
        assert_eq!(last_error::status(), Status::InvalidArgument);
        assert!(last_error::message().contains("`x`"));
    }
}
