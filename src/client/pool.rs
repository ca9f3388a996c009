//! The client's worker pool: the rayon pool every transfer of a client runs its parts on
//! (STYLE.md §7: each client owns a pool with named threads, never rayon's global pool).
//!
//! Built on first use (a client that never transfers in parts starts no thread), shared
//! by every clone of the client, and ended when the last clone is dropped: the threads are
//! told to stop and joined, so a C host that frees its client has no qcos thread left.
//!
//! The pool's size does not set how many parts a transfer has in flight: the transfer's
//! dispatcher (`transfer::run`) counts its own jobs and never hands out more than its
//! `chunk_parallel_limit` (or `copy_chunk_parallel_limit`), whatever the pool's size.

use std::fmt;
use std::sync::{Mutex, OnceLock};
use std::thread::JoinHandle;

use crate::config::Config;

/// Most threads a client's pool ever has.
pub const MAX_WORKER_THREADS: usize = 64;

/// Threads of the pool of a client built from `cfg`: enough for `file_parallel_limit`
/// transfers at once with `chunk_parallel_limit` parts each, or for one copy with
/// `copy_chunk_parallel_limit` part copies, whichever is more; at least 1, at most
/// [`MAX_WORKER_THREADS`].
pub fn worker_threads(cfg: &Config) -> usize {
    cfg.chunk_parallel_limit
        .saturating_mul(cfg.file_parallel_limit)
        .max(cfg.copy_chunk_parallel_limit)
        .clamp(1, MAX_WORKER_THREADS)
}

thread_local! {
    /// On a pool thread: the id of its pool (see [`WorkerPool::id`]); 0 elsewhere.
    static POOL_OF_THIS_THREAD: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// A lazily built rayon pool of named threads (`qcos-worker-N`), joined on drop.
pub(crate) struct WorkerPool {
    size: usize,
    pool: OnceLock<rayon::ThreadPool>,
    /// Held while the pool is built, so two first transfers starting at once build one
    /// pool, not two (the loser's threads would start only to stop again).
    building: Mutex<()>,
    threads: std::sync::Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl WorkerPool {
    pub(crate) fn new(size: usize) -> WorkerPool {
        WorkerPool {
            size: size.clamp(1, MAX_WORKER_THREADS),
            pool: OnceLock::new(),
            building: Mutex::new(()),
            threads: Default::default(),
        }
    }

    /// Distinct for every live pool: the address of its thread list.
    fn id(&self) -> usize {
        std::sync::Arc::as_ptr(&self.threads) as usize
    }

    pub(crate) fn size(&self) -> usize {
        self.size
    }

    /// The pool, built now if this is the first call. `None` only when the threads could
    /// not be started (the transfer engine then builds a pool of its own and reports that
    /// failure if it happens again).
    pub(crate) fn get(&self) -> Option<&rayon::ThreadPool> {
        if let Some(p) = self.pool.get() {
            return Some(p);
        }
        let _one_builder = self.building.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = self.pool.get() {
            return Some(p);
        }
        let handles = self.threads.clone();
        let id = self.id();
        let built = rayon::ThreadPoolBuilder::new()
            .num_threads(self.size)
            .spawn_handler(move |t| {
                let h = std::thread::Builder::new()
                    .name(format!("qcos-worker-{}", t.index()))
                    .spawn(move || {
                        POOL_OF_THIS_THREAD.with(|p| p.set(id));
                        t.run()
                    })?;
                handles.lock().unwrap_or_else(|p| p.into_inner()).push(h);
                Ok(())
            })
            .build()
            .ok()?;
        let _ = self.pool.set(built);
        self.pool.get()
    }
}

impl Drop for WorkerPool {
    fn drop(&mut self) {
        // Dropping the pool tells its threads to stop once their jobs are done; no
        // transfer can be running (each one borrows the client).
        drop(self.pool.take());
        let handles = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|p| p.into_inner()));
        // The last clone may be dropped on one of the pool's own threads, which cannot join
        // itself: then the threads end on their own. (No `thread::current()` here: on a C host's main thread it would
        // allocate a handle that is never freed.)
        if POOL_OF_THIS_THREAD.with(|p| p.get()) == self.id() {
            return;
        }
        for h in handles {
            let _ = h.join();
        }
    }
}

impl fmt::Debug for WorkerPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerPool")
            .field("size", &self.size)
            .field("started", &self.pool.get().is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_follows_the_config_within_bounds() {
        let mut c = Config::new("ap-guangzhou", "b-1250000000");
        c.chunk_parallel_limit = 2;
        c.file_parallel_limit = 3;
        c.copy_chunk_parallel_limit = 4;
        assert_eq!(worker_threads(&c), 6);
        c.copy_chunk_parallel_limit = 20;
        assert_eq!(worker_threads(&c), 20);
        c.chunk_parallel_limit = 1000;
        assert_eq!(worker_threads(&c), MAX_WORKER_THREADS);
        c.chunk_parallel_limit = usize::MAX;
        c.file_parallel_limit = usize::MAX;
        assert_eq!(worker_threads(&c), MAX_WORKER_THREADS);
    }

    #[test]
    fn first_uses_at_once_build_one_pool() {
        let p = WorkerPool::new(2);
        let barrier = std::sync::Barrier::new(8);
        let pools: Vec<usize> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        barrier.wait();
                        p.get().unwrap() as *const rayon::ThreadPool as usize
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(pools.iter().all(|&a| a == pools[0]), "one pool for all");
        // Only that pool's threads were ever started.
        assert_eq!(p.threads.lock().unwrap().len(), 2);
    }

    #[test]
    fn built_once_with_named_threads_and_joined_on_drop() {
        let p = WorkerPool::new(3);
        assert!(format!("{p:?}").contains("started: false"));
        let a = p.get().unwrap() as *const rayon::ThreadPool;
        let b = p.get().unwrap() as *const rayon::ThreadPool;
        assert_eq!(a, b, "one pool, built once");
        let pool = p.get().unwrap();
        assert_eq!(pool.current_num_threads(), 3);
        let name = pool.install(|| std::thread::current().name().map(str::to_string));
        assert!(name.unwrap().starts_with("qcos-worker-"));
        // Every thread marks its exit through a thread-local's destructor.
        static EXITED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        struct Mark;
        impl Drop for Mark {
            fn drop(&mut self) {
                EXITED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }
        thread_local!(static MARK: std::cell::RefCell<Option<Mark>> = const { std::cell::RefCell::new(None) });
        let mut names = pool.broadcast(|_| {
            MARK.with(|m| *m.borrow_mut() = Some(Mark));
            std::thread::current().name().unwrap().to_string()
        });
        names.sort();
        assert_eq!(names, ["qcos-worker-0", "qcos-worker-1", "qcos-worker-2"]);
        drop(p);
        assert_eq!(
            EXITED.load(std::sync::atomic::Ordering::SeqCst),
            3,
            "every thread ended before drop returned"
        );
    }

    #[test]
    fn the_last_clone_dropped_on_a_pool_thread_does_not_wait_for_itself() {
        let wp = std::sync::Arc::new(WorkerPool::new(2));
        let theirs = wp.clone();
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        wp.get().unwrap().spawn(move || {
            go_rx.recv().unwrap();
            drop(theirs); // the last reference: the pool ends from inside itself
            done_tx.send(()).unwrap();
        });
        drop(wp);
        go_tx.send(()).unwrap();
        done_rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("the job finished after dropping the pool");
    }
}
