//! The thread HTTP is served on. A fan-out to thousands of sockets keeps the WebSocket runtime's
//! workers busy writing; were HTTP connections tasks among those writers, the next REST call would
//! wait behind every one of them, and a publisher could send only as fast as the last fan-out drained.
//! On a thread of its own the operating system schedules it beside the writers instead.

use std::future::Future;
use std::io;

use tokio::runtime::{Builder, Handle, Runtime};
use tokio::task::JoinHandle;

/// Where HTTP connections run: a one-thread runtime of their own, or the caller's runtime.
pub struct HttpThread {
    runtime: Option<Runtime>,
}

impl HttpThread {
    /// A dedicated thread when `dedicated`, else the current runtime.
    pub fn start(dedicated: bool) -> io::Result<Self> {
        let runtime = match dedicated {
            true => Some(
                Builder::new_multi_thread()
                    .worker_threads(1)
                    .thread_name("lattestream-http")
                    .enable_all()
                    .build()?,
            ),
            false => None,
        };
        Ok(Self { runtime })
    }

    /// Runs `task` on the HTTP thread. I/O objects it creates register with that thread's reactor,
    /// so readiness is noticed there and not by the busy WebSocket workers.
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

impl Drop for HttpThread {
    /// Stops the thread without blocking, which is allowed inside the WebSocket runtime.
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
