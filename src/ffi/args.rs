//! The one place where raw pointers from C become Rust references, and where
//! handles are boxed, shared and freed. Every check a C argument gets is here.

use std::ffi::{CStr, c_char};
use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, Result};

/// A borrowed handle (`const T *`): NULL is an error naming the argument.
pub(crate) fn arg_ref<'a, T>(p: *const T, name: &'static str) -> Result<&'a T> {
    // SAFETY: C promises a non-NULL `p` points to a live `T` it got from qcos.
    unsafe { p.as_ref() }.ok_or(Error::NullArgument(name))
}

/// An optional borrowed handle: NULL means "none" (e.g. default options).
pub(crate) fn arg_opt_ref<'a, T>(p: *const T) -> Option<&'a T> {
    // SAFETY: as `arg_ref`.
    unsafe { p.as_ref() }
}

/// A mutably borrowed handle (`T *`): NULL is an error naming the argument.
pub(crate) fn arg_mut<'a, T>(p: *mut T, name: &'static str) -> Result<&'a mut T> {
    // SAFETY: as `arg_ref`, and the handle's thread rule gives us exclusive access.
    unsafe { p.as_mut() }.ok_or(Error::NullArgument(name))
}

/// A NUL-terminated UTF-8 string: NULL and invalid UTF-8 are errors naming it.
pub(crate) fn arg_str<'a>(p: *const c_char, name: &'static str) -> Result<&'a str> {
    if p.is_null() {
        return Err(Error::NullArgument(name));
    }
    // SAFETY: non-NULL, and C promises a NUL-terminated string alive for the call.
    unsafe { CStr::from_ptr(p) }
        .to_str()
        .map_err(|_| Error::InvalidUtf8(name))
}

/// An optional string: NULL means "not set".
pub(crate) fn arg_opt_str<'a>(p: *const c_char, name: &'static str) -> Result<Option<&'a str>> {
    if p.is_null() {
        Ok(None)
    } else {
        arg_str(p, name).map(Some)
    }
}

/// A local file path (a UTF-8 string, not empty).
pub(crate) fn arg_path<'a>(p: *const c_char, name: &'static str) -> Result<&'a Path> {
    let s = arg_str(p, name)?;
    if s.is_empty() {
        return Err(Error::invalid(name, "the path is empty"));
    }
    Ok(Path::new(s))
}

fn check_len(len: usize, name: &'static str) -> Result<()> {
    if len > isize::MAX as usize {
        return Err(Error::invalid(
            name,
            format!("length {len} is larger than any object in memory can be"),
        ));
    }
    Ok(())
}

/// Input bytes `(ptr, len)`: `(NULL, 0)` is an empty slice; `(NULL, n > 0)` is an error.
pub(crate) fn arg_bytes<'a>(p: *const u8, len: usize, name: &'static str) -> Result<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Error::NullArgument(name));
    }
    check_len(len, name)?;
    // SAFETY: non-NULL, and C promises `len` readable bytes alive for the call.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// An input array of `n` plain values: `(NULL, 0)` is empty; `(NULL, n > 0)` is an error.
pub(crate) fn arg_slice<'a, T: Copy>(p: *const T, n: usize, name: &'static str) -> Result<&'a [T]> {
    if n == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Error::NullArgument(name));
    }
    check_len(n.saturating_mul(std::mem::size_of::<T>()), name)?;
    // SAFETY: non-NULL, and C promises `n` readable, initialised values alive for the call.
    Ok(unsafe { std::slice::from_raw_parts(p, n) })
}

/// A caller buffer `(ptr, cap)` to write into: `(NULL, 0)` is an empty buffer.
pub(crate) fn arg_bytes_mut<'a>(
    p: *mut u8,
    len: usize,
    name: &'static str,
) -> Result<&'a mut [u8]> {
    if len == 0 {
        return Ok(&mut []);
    }
    if p.is_null() {
        return Err(Error::NullArgument(name));
    }
    check_len(len, name)?;
    // SAFETY: non-NULL, and C promises `len` writable bytes, not aliased, for the call.
    Ok(unsafe { std::slice::from_raw_parts_mut(p, len) })
}

/// An array of `n` strings (`const char *const *`): `(NULL, 0)` is empty; every
/// element is checked, and errors name the element.
pub(crate) fn arg_str_array<'a>(
    p: *const *const c_char,
    n: usize,
    name: &'static str,
) -> Result<Vec<&'a str>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    if p.is_null() {
        return Err(Error::NullArgument(name));
    }
    check_len(n.saturating_mul(std::mem::size_of::<*const c_char>()), name)?;
    // SAFETY: non-NULL, and C promises `n` readable pointers alive for the call.
    let ptrs = unsafe { std::slice::from_raw_parts(p, n) };
    ptrs.iter()
        .enumerate()
        .map(|(i, &s)| {
            if s.is_null() {
                return Err(Error::invalid(name, format!("element {i} is NULL")));
            }
            // SAFETY: non-NULL element of the caller's array, NUL-terminated.
            unsafe { CStr::from_ptr(s) }
                .to_str()
                .map_err(|_| Error::invalid(name, format!("element {i} is not valid UTF-8")))
        })
        .collect()
}

/// An output pointer, checked before any work is done and written only on success.
pub(crate) struct Out<T> {
    p: *mut T,
}

impl<T> Out<T> {
    pub(crate) fn write(self, v: T) {
        // SAFETY: checked non-NULL at construction; C promises it is writable.
        unsafe { self.p.write(v) }
    }
}

/// A required output pointer.
pub(crate) fn arg_out<T>(p: *mut T, name: &'static str) -> Result<Out<T>> {
    if p.is_null() {
        return Err(Error::NullArgument(name));
    }
    Ok(Out { p })
}

/// An optional output pointer: NULL means "I do not want this".
pub(crate) fn arg_opt_out<T>(p: *mut T) -> Option<Out<T>> {
    (!p.is_null()).then_some(Out { p })
}

/// Hand a single-owner value to C as `T *`; freed with [`free_box`].
pub(crate) fn into_box<T>(v: T) -> *mut T {
    Box::into_raw(Box::new(v))
}

/// Take back a `T *` made by [`into_box`], to consume it. NULL is an error.
pub(crate) fn take_box<T>(p: *mut T, name: &'static str) -> Result<Box<T>> {
    if p.is_null() {
        return Err(Error::NullArgument(name));
    }
    // SAFETY: C promises `p` came from `into_box` and is not used after this call.
    Ok(unsafe { Box::from_raw(p) })
}

/// Free a `T *` made by [`into_box`]; NULL does nothing.
pub(crate) fn free_box<T>(p: *mut T) {
    if !p.is_null() {
        // SAFETY: as `take_box`.
        drop(unsafe { Box::from_raw(p) });
    }
}

/// Hand a shared value to C as `const T *`; released with [`free_arc`].
pub(crate) fn into_arc<T>(v: Arc<T>) -> *const T {
    Arc::into_raw(v)
}

/// Release the caller's reference to a `const T *` made by [`into_arc`]; NULL does
/// nothing.
pub(crate) fn free_arc<T>(p: *const T) {
    if !p.is_null() {
        // SAFETY: `p` came from `into_arc`; C gives up its reference here.
        drop(unsafe { Arc::from_raw(p) });
    }
}

/// A mutable handle's value plus a poison flag: a panic while the value is borrowed
/// leaves the flag set, and later calls on the handle fail with `INTERNAL` instead of
/// seeing a half-updated value.
#[derive(Default)]
pub(crate) struct Poisonable<T> {
    value: T,
    busy: bool,
}

impl<T> Poisonable<T> {
    pub(crate) fn new(value: T) -> Self {
        Poisonable { value, busy: false }
    }

    pub(crate) fn with<R>(&mut self, f: impl FnOnce(&mut T) -> Result<R>) -> Result<R> {
        if self.busy {
            return Err(Error::Internal(
                "this handle was left inconsistent by an earlier panic; free it".into(),
            ));
        }
        self.busy = true;
        let r = f(&mut self.value);
        self.busy = false;
        r
    }

    pub(crate) fn get(&self) -> Result<&T> {
        if self.busy {
            return Err(Error::Internal(
                "this handle was left inconsistent by an earlier panic; free it".into(),
            ));
        }
        Ok(&self.value)
    }

    pub(crate) fn into_inner(self) -> Result<T> {
        if self.busy {
            return Err(Error::Internal(
                "this handle was left inconsistent by an earlier panic".into(),
            ));
        }
        Ok(self.value)
    }
}

/// Write `s` and a NUL into the caller's buffer, snprintf-style.
pub(crate) fn copy_out(s: &str, buf: *mut c_char, cap: usize, len_out: *mut usize) -> Result<()> {
    let len_out = arg_out(len_out, "len_out")?;
    let buf = arg_bytes_mut(buf.cast::<u8>(), cap, "buf")?;
    let n = s.len();
    if cap <= n {
        len_out.write(n);
        return Err(Error::BufferTooSmall {
            needed: n as u64 + 1,
            capacity: cap as u64,
        });
    }
    buf[..n].copy_from_slice(s.as_bytes());
    buf[n] = 0;
    len_out.write(n);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_and_bad_utf8_are_named() {
        let e = arg_str(std::ptr::null(), "key").unwrap_err();
        assert!(e.to_string().contains("`key`"));
        let bad = [0xffu8, 0xfe, 0];
        let e = arg_str(bad.as_ptr().cast(), "bucket").unwrap_err();
        assert!(matches!(e, Error::InvalidUtf8("bucket")));
        assert_eq!(arg_opt_str(std::ptr::null(), "x").unwrap(), None);
        assert_eq!(arg_bytes(std::ptr::null(), 0, "d").unwrap(), &[] as &[u8]);
        assert!(arg_bytes(std::ptr::null(), 1, "d").is_err());
        assert!(arg_bytes(std::ptr::dangling::<u8>(), usize::MAX, "d").is_err());
        assert!(arg_out::<u8>(std::ptr::null_mut(), "o").is_err());
        let ok = c"a";
        let arr = [ok.as_ptr(), std::ptr::null()];
        let e = arg_str_array(arr.as_ptr(), 2, "keys").unwrap_err();
        assert!(e.to_string().contains("element 1"), "{e}");
        assert_eq!(arg_str_array(arr.as_ptr(), 1, "keys").unwrap(), vec!["a"]);
        assert!(arg_path(c"".as_ptr(), "path").is_err());
    }

    #[test]
    fn poison_after_panic() {
        let mut p = Poisonable::new(1);
        assert_eq!(p.with(|v| Ok(*v + 1)).unwrap(), 2);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = p.with(|_| -> Result<()> { panic!("x") });
        }));
        assert!(r.is_err());
        assert!(matches!(p.with(|v| Ok(*v)), Err(Error::Internal(_))));
        assert!(p.get().is_err());
    }

    #[test]
    fn boxes_and_arcs_round_trip() {
        let p = into_box(5u32);
        assert_eq!(*take_box(p, "p").unwrap(), 5);
        free_box::<u32>(std::ptr::null_mut());
        let a = into_arc(Arc::new(7u32));
        free_arc(a);
        free_arc::<u32>(std::ptr::null());
    }
}
