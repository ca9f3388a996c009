//! The one wrapper every `extern "C"` function runs its body in.

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

use super::last_error;
use crate::error::{Error, Result, Status};

thread_local! {
    /// How many qcos entry points are running on this thread (a callback may call
    /// `qcos_credentials_set` inside another call, hence a count).
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    /// Where the last panic inside an entry point happened.
    static PANIC_AT: RefCell<String> = const { RefCell::new(String::new()) };
}

static HOOK: Once = Once::new();

/// The library prints nothing, not even a caught panic: a panic hook, installed once,
/// records the location of a panic raised while this thread is inside a qcos entry
/// point (it ends up in the last-error message) and hands every other panic to the
/// hook that was installed before, unchanged.
fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if DEPTH.with(Cell::get) > 0 {
                let at = info
                    .location()
                    .map(|l| format!(" (at {}:{})", l.file(), l.line()))
                    .unwrap_or_default();
                PANIC_AT.with(|p| *p.borrow_mut() = at);
            } else {
                previous(info);
            }
        }));
    });
}

/// Run `body` with this thread marked as inside qcos, catching any panic.
fn guarded<T>(body: impl FnOnce() -> T) -> std::thread::Result<T> {
    install_panic_hook();
    DEPTH.with(|d| d.set(d.get() + 1));
    let r = catch_unwind(AssertUnwindSafe(body));
    DEPTH.with(|d| d.set(d.get() - 1));
    r
}

/// Run the body of a status-returning entry point.
///
/// Clears this thread's last error, runs `body` and catches any panic. On `Err(e)` the
/// error is stored as the last error and `e.status()` is returned; on a panic the last
/// error says so and `Status::Internal` is returned.
pub fn entry(body: impl FnOnce() -> Result<()>) -> Status {
    last_error::clear();
    match guarded(body) {
        // Cleared again: a nested entry (e.g. `qcos_credentials_set` called by a
        // provider callback during this call) may have failed and set it meanwhile.
        Ok(Ok(())) => {
            last_error::clear();
            Status::Ok
        }
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
            let at = PANIC_AT.with(|p| std::mem::take(&mut *p.borrow_mut()));
            last_error::set(&Error::Internal(format!(
                "a panic inside qcos was caught at the C boundary: {what}{at}"
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
    match guarded(body) {
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
        let s = entry(|| panic!("boom"));
        assert_eq!(s, Status::Internal);
        let m = last_error::message();
        assert!(m.contains("boom") && m.contains("entry.rs"), "{m}");
    }

    #[test]
    fn entry_value_never_touches_last_error() {
        assert_eq!(
            entry(|| Err(Error::NullArgument("x"))),
            Status::InvalidArgument
        );
        assert_eq!(entry_value(7, || Ok(3)), 3);
        assert_eq!(entry_value(7, || Err(Error::NullArgument("y"))), 7);
        assert_eq!(last_error::status(), Status::InvalidArgument);
        assert!(last_error::message().contains("`x`"));
    }
}
