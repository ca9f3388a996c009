//! A thin layer over ureq's transports that saves system calls per request.
//!
//! ureq writes a request head and its body with separate `write`s, and checks that a
//! pooled connection is still usable twice per request (when the connection goes back
//! to the pool and when it is taken out), each check costing three system calls on a
//! TCP socket (`ioctl(FIONBIO)`, a `recv` that must fail with `EAGAIN`, `ioctl`). For
//! one small request at a time on one keep-alive connection that is 9 system calls
//! where a plain HTTP client needs 2 (see docs/BENCHMARKS.md, "Small PUTs").
//!
//! [`Lean`] wraps every transport ureq's default connector makes (TCP, TLS, proxies):
//!
//! - **Writes are coalesced.** A small output (at most [`DEFER_MAX`] bytes; the request
//!   head always is) is kept back and sent together with the next output, or before
//!   the transport waits for input. So a head and a small body go in one `write`; a
//!   request without a body still goes in one. Nothing is ever left unsent when ureq
//!   reads the answer, and a connection found with output still held back is reported
//!   closed (never reused).
//! - **One liveness check per request.** The check made right after an answer was read
//!   (when the connection returns to the pool) is skipped; the one made when the
//!   connection is taken out of the pool for the next request still runs, so a
//!   connection the server closed, or one with unexpected bytes after the answer, is
//!   still discarded before any request is sent on it. Bytes left unread in ureq's own
//!   buffer are checked by ureq itself, before this.

use std::fmt;

use ureq::Error;
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, DefaultConnector, NextTimeout, Transport,
};

/// Outputs of at most this many bytes may be held back to be sent with the next one.
pub(crate) const DEFER_MAX: usize = 16 * 1024;

/// ureq's default connector chain, with every transport wrapped in [`Lean`].
#[derive(Debug, Default)]
pub(crate) struct LeanConnector {
    inner: DefaultConnector,
}

impl Connector<()> for LeanConnector {
    type Out = Lean;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<()>,
    ) -> Result<Option<Lean>, Error> {
        Ok(self.inner.connect(details, chained)?.map(Lean::new))
    }
}

/// A transport that coalesces small writes and skips the redundant liveness check.
pub(crate) struct Lean {
    inner: Box<dyn Transport>,
    /// Output held back (copied out of the output buffer), not yet transmitted.
    pending: Vec<u8>,
    /// Input was read since the last liveness check or output.
    read_since_check: bool,
}

impl fmt::Debug for Lean {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lean")
            .field("inner", &self.inner)
            .field("pending", &self.pending.len())
            .finish()
    }
}

impl Lean {
    pub(crate) fn new(inner: Box<dyn Transport>) -> Lean {
        Lean {
            inner,
            pending: Vec::new(),
            read_since_check: false,
        }
    }

    /// Transmit what is held back (before waiting for input).
    fn flush(&mut self, timeout: NextTimeout) -> Result<(), Error> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let n = self.pending.len();
        let output = self.inner.buffers().output();
        if output.len() < n {
            // Cannot happen: only outputs that were in this buffer are held back.
            self.pending.clear();
            return Err(Error::ConnectionFailed);
        }
        output[..n].copy_from_slice(&self.pending);
        self.pending.clear();
        self.inner.transmit_output(n, timeout)
    }
}

impl Transport for Lean {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), Error> {
        self.read_since_check = false;
        let held = self.pending.len();
        if held == 0 {
            if amount <= DEFER_MAX {
                let output = self.inner.buffers().output();
                self.pending.extend_from_slice(&output[..amount]);
                return Ok(());
            }
            return self.inner.transmit_output(amount, timeout);
        }
        let output = self.inner.buffers().output();
        if held + amount <= output.len() {
            // Held-back bytes first, then this output, in one transmission.
            output.copy_within(..amount, held);
            output[..held].copy_from_slice(&self.pending);
            self.pending.clear();
            return self.inner.transmit_output(held + amount, timeout);
        }
        // Does not fit together (a large body chunk after the head): send the held-back
        // bytes first, then this output.
        let chunk = output[..amount].to_vec();
        self.flush(timeout)?;
        self.inner.buffers().output()[..amount].copy_from_slice(&chunk);
        self.inner.transmit_output(amount, timeout)
    }

    fn maybe_await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        self.flush(timeout)?;
        self.read_since_check = true;
        self.inner.maybe_await_input(timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        self.flush(timeout)?;
        self.read_since_check = true;
        self.inner.await_input(timeout)
    }

    fn is_open(&mut self) -> bool {
        if !self.pending.is_empty() {
            // Output that was never sent: the connection's state is unknown.
            self.pending.clear();
            return false;
        }
        if self.read_since_check {
            // Just after an answer was read (the connection goes back to the pool): the
            // check when it is taken out again will look at the socket.
            self.read_since_check = false;
            return true;
        }
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;
    use ureq::unversioned::transport::LazyBuffers;

    #[derive(Default)]
    struct Log {
        sent: Vec<Vec<u8>>,
        probes: usize,
        reads: usize,
    }

    /// A transport that records what it is asked to do.
    struct Fake {
        buffers: LazyBuffers,
        log: Arc<Mutex<Log>>,
    }

    impl fmt::Debug for Fake {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("Fake")
        }
    }

    impl Transport for Fake {
        fn buffers(&mut self) -> &mut dyn Buffers {
            &mut self.buffers
        }
        fn transmit_output(&mut self, amount: usize, _: NextTimeout) -> Result<(), Error> {
            let data = self.buffers.output()[..amount].to_vec();
            self.log.lock().unwrap().sent.push(data);
            Ok(())
        }
        fn await_input(&mut self, _: NextTimeout) -> Result<bool, Error> {
            self.log.lock().unwrap().reads += 1;
            Ok(false)
        }
        fn is_open(&mut self) -> bool {
            self.log.lock().unwrap().probes += 1;
            true
        }
    }

    fn lean(output_size: usize) -> (Lean, Arc<Mutex<Log>>) {
        let log = Arc::new(Mutex::new(Log::default()));
        let fake = Fake {
            buffers: LazyBuffers::new(1024, output_size),
            log: log.clone(),
        };
        (Lean::new(Box::new(fake)), log)
    }

    fn timeout() -> NextTimeout {
        NextTimeout {
            after: Duration::from_secs(10).into(),
            reason: ureq::Timeout::Global,
            per_read: None,
            per_write: None,
        }
    }

    /// What ureq does: write into the output buffer, then transmit it.
    fn send(t: &mut Lean, data: &[u8]) {
        t.buffers().output()[..data.len()].copy_from_slice(data);
        t.transmit_output(data.len(), timeout()).unwrap();
    }

    #[test]
    fn head_and_small_body_go_in_one_transmission() {
        let (mut t, log) = lean(64 * 1024);
        send(&mut t, b"PUT /k HTTP/1.1\r\ncontent-length: 5\r\n\r\n");
        assert!(log.lock().unwrap().sent.is_empty(), "the head is held back");
        send(&mut t, b"hello");
        t.await_input(timeout()).unwrap();
        let log = log.lock().unwrap();
        assert_eq!(
            log.sent,
            vec![b"PUT /k HTTP/1.1\r\ncontent-length: 5\r\n\r\nhello".to_vec()]
        );
        assert_eq!(log.reads, 1);
    }

    #[test]
    fn held_back_output_is_sent_before_waiting_for_input() {
        let (mut t, log) = lean(64 * 1024);
        send(&mut t, b"GET / HTTP/1.1\r\n\r\n");
        assert!(log.lock().unwrap().sent.is_empty());
        t.maybe_await_input(timeout()).unwrap();
        assert_eq!(
            log.lock().unwrap().sent,
            vec![b"GET / HTTP/1.1\r\n\r\n".to_vec()]
        );
    }

    #[test]
    fn large_chunks_after_the_head_keep_their_order_and_bytes() {
        let out = 64 * 1024;
        let (mut t, log) = lean(out);
        let head = vec![b'h'; 300];
        let big: Vec<u8> = (0..out).map(|i| (i % 251) as u8).collect();
        send(&mut t, &head);
        send(&mut t, &big);
        send(&mut t, &big[..DEFER_MAX + 1]);
        send(&mut t, b"tail");
        t.await_input(timeout()).unwrap();
        let log = log.lock().unwrap();
        let all: Vec<u8> = log.sent.concat();
        let mut want = head.clone();
        want.extend_from_slice(&big);
        want.extend_from_slice(&big[..DEFER_MAX + 1]);
        want.extend_from_slice(b"tail");
        assert_eq!(all, want);
        // head, big chunk, the chunk above DEFER_MAX sent at once, the tail before the read.
        assert_eq!(log.sent.len(), 4);
        assert_eq!(log.sent[0], head);
        assert_eq!(log.sent[3], b"tail".to_vec());
    }

    #[test]
    fn one_liveness_probe_per_request() {
        let (mut t, log) = lean(64 * 1024);
        send(&mut t, b"GET / HTTP/1.1\r\n\r\n");
        t.await_input(timeout()).unwrap();
        // Back to the pool right after the answer: not probed.
        assert!(t.is_open());
        assert_eq!(log.lock().unwrap().probes, 0);
        // Taken out of the pool for the next request: probed.
        assert!(t.is_open());
        assert_eq!(log.lock().unwrap().probes, 1);
        // Without a read in between, every check probes.
        assert!(t.is_open());
        assert_eq!(log.lock().unwrap().probes, 2);
    }

    #[test]
    fn a_connection_with_unsent_output_is_not_reused() {
        let (mut t, log) = lean(64 * 1024);
        send(&mut t, b"GET / HTTP/1.1\r\n\r\n");
        assert!(!t.is_open());
        // The held-back bytes are gone, never sent later.
        t.await_input(timeout()).unwrap();
        assert!(log.lock().unwrap().sent.is_empty());
    }
}
