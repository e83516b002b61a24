//! The threads HTTP is served on. A fan-out to thousands of sockets keeps the WebSocket runtime's
//! workers busy writing; were HTTP connections tasks among those writers, the next REST call would
//! wait behind every one of them, and a publisher could send only as fast as the last fan-out drained.
//! On a thread of its own the operating system schedules it beside the writers instead.

use std::future::Future;
use std::io;

use tokio::runtime::{Builder, Handle, Runtime};
use tokio::task::JoinHandle;

/// Where HTTP connections run: a runtime of their own, or the caller's runtime.
pub struct HttpThreads {
    runtime: Option<Runtime>,
}

impl HttpThreads {
    /// `threads` threads of their own, or the current runtime when `threads` is 0.
    pub fn start(threads: usize) -> io::Result<Self> {
        let runtime = match threads {
            0 => None,
            n => Some(
                Builder::new_multi_thread()
                    .worker_threads(n)
                    .thread_name("lattestream-http")
                    .on_thread_park(crate::shrink::on_thread_park)
                    .enable_all()
                    .build()?,
            ),
        };
        Ok(Self { runtime })
    }

    /// Runs `task` on the HTTP threads. I/O objects it creates register with their reactor, so
    /// readiness is noticed there and not by the busy WebSocket workers.
    pub fn spawn<F>(&self, task: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match &self.runtime {
            Some(runtime) => runtime.spawn(task),
            None => Handle::current().spawn(task),
        }
    }
}

impl Drop for HttpThreads {
    /// Stops the thread without blocking, which is allowed inside the WebSocket runtime.
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
