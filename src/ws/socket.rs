//! A server-side WebSocket over the TCP stream itself, built to cost little while idle: it reads only
//! after the stream is readable, into a buffer on the stack, and keeps heap bytes only for a frame that
//! arrived in pieces, a fragmented message, or output the kernel could not take yet. Frames go out with
//! vectored writes of a small header in front of payload bytes shared by every subscriber.

use std::io::{self, IoSlice};
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::Interest;
use tokio::net::TcpStream;
use tungstenite::Utf8Bytes;

use super::frame::{self, Kind, Opcode, Violation};
use crate::hub::Sink;

/// Bytes read from the stream per call; on the stack, so an idle socket holds no read buffer.
const READ_CHUNK: usize = 4096;
/// Reads per wake-up before yielding to other connections.
const READS_PER_WAKE: usize = 4;
/// Frames written per vectored write.
const FRAMES_PER_WRITE: usize = 64;

/// A message the client sent.
#[derive(Debug)]
pub enum Incoming<'a> {
    /// A complete text message.
    Text(&'a str),
    /// A complete binary message (refused by both dialects, but not a protocol error).
    Binary,
    /// The client closed; the echo is already queued.
    Close,
}

/// Why reading stopped.
#[derive(Debug)]
pub enum ReadError {
    /// The peer went away or the stream failed.
    Gone,
    /// The client broke RFC 6455; the socket should be closed with the violation's code.
    Violation(Violation),
}

/// A fragmented message being put back together.
struct Fragments {
    text: bool,
    bytes: Vec<u8>,
}

/// One client's WebSocket.
pub struct Socket {
    /// Shared with the connection's outbox, whose publishers write to it while the task is idle.
    stream: Arc<TcpStream>,
    /// The start of a frame whose end has not arrived; empty when idle.
    partial: Vec<u8>,
    /// A fragmented message in progress; boxed because almost no client fragments.
    fragments: Option<Box<Fragments>>,
    /// Control frames (pings, pongs, a server close) waiting to go out before anything else.
    control: Vec<u8>,
    /// The answer to the client's close frame, written after every reply to what came before it
    /// (RFC 6455 §5.5.1); once set, nothing more is read.
    close_echo: Option<CloseEcho>,
    max_message: usize,
    /// `partial` may hold complete frames not handled yet (bytes that came with the handshake, or
    /// messages after the one the handshake asked for).
    buffered: bool,
}

impl Socket {
    /// Wraps an upgraded stream; `early` holds bytes the HTTP layer read past the handshake.
    pub fn new(stream: TcpStream, early: &[u8], max_message: usize) -> Self {
        Self {
            stream: Arc::new(stream),
            partial: early.to_vec(),
            fragments: None,
            control: Vec::new(),
            close_echo: None,
            max_message,
            buffered: !early.is_empty(),
        }
    }

    /// Ready when reading would not block (or complete frames are already buffered). Registers only
    /// the calling task's waker, so polling it in a loop costs no allocation or list insertion.
    pub fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.buffered {
            return Poll::Ready(Ok(()));
        }
        self.stream.poll_read_ready(cx)
    }

    /// Reads what the stream has without waiting and hands every complete message to `on`.
    pub fn read_available(&mut self, on: &mut dyn FnMut(Incoming<'_>)) -> Result<(), ReadError> {
        self.read(on, usize::MAX)
    }

    /// Waits for the client's first message, for the handshake; later messages stay buffered for the
    /// session. `None` is a binary message or a close.
    pub async fn first_message(&mut self) -> Result<Option<String>, ReadError> {
        loop {
            std::future::poll_fn(|cx| self.poll_readable(cx))
                .await
                .map_err(|_| ReadError::Gone)?;
            let mut first = None;
            self.read(
                &mut |m| {
                    first = Some(match m {
                        Incoming::Text(text) => Some(text.to_owned()),
                        Incoming::Binary | Incoming::Close => None,
                    })
                },
                1,
            )?;
            // Pings that came before it are answered now, not once the handshake is over.
            self.send_control().await.map_err(|_| ReadError::Gone)?;
            if let Some(first) = first {
                return Ok(first);
            }
        }
    }

    /// Reads and handles frames until `limit` messages were delivered or the stream has no more.
    fn read(&mut self, on: &mut dyn FnMut(Incoming<'_>), limit: usize) -> Result<(), ReadError> {
        let mut left = limit;
        if std::mem::take(&mut self.buffered) {
            left -= self.process_partial(on, left)?;
        }
        for _ in 0..READS_PER_WAKE {
            if left == 0 || self.close_echo.is_some() {
                return Ok(());
            }
            let mut chunk = [0u8; READ_CHUNK];
            let n = match self.stream.try_read(&mut chunk) {
                Ok(0) => return Err(ReadError::Gone),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return Err(ReadError::Gone),
            };
            if self.partial.is_empty() {
                let (used, delivered) = self.frames(&mut chunk[..n], on, left)?;
                left -= delivered;
                self.partial.extend_from_slice(&chunk[used..n]);
                self.buffered = left == 0 && used < n;
            } else {
                self.partial.extend_from_slice(&chunk[..n]);
                left -= self.process_partial(on, left)?;
            }
            if n < READ_CHUNK {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Parses frames out of the held-back bytes, keeping what is left; returns messages delivered.
    fn process_partial(
        &mut self,
        on: &mut dyn FnMut(Incoming<'_>),
        limit: usize,
    ) -> Result<usize, ReadError> {
        let mut held = std::mem::take(&mut self.partial);
        let (used, delivered) = self.frames(&mut held, on, limit)?;
        held.drain(..used);
        self.buffered = delivered == limit && !held.is_empty();
        if held.is_empty() {
            held = Vec::new();
        }
        self.partial = held;
        Ok(delivered)
    }

    /// Handles complete frames at the start of `buf` until `limit` messages were delivered; returns
    /// the bytes they took and the messages delivered.
    fn frames(
        &mut self,
        buf: &mut [u8],
        on: &mut dyn FnMut(Incoming<'_>),
        limit: usize,
    ) -> Result<(usize, usize), ReadError> {
        let (mut used, mut delivered) = (0, 0);
        // Nothing after a close frame is read: the client has said it sends no more.
        while delivered < limit && self.close_echo.is_none() {
            let Some(parsed) =
                frame::parse(&mut buf[used..], self.max_message).map_err(ReadError::Violation)?
            else {
                break;
            };
            let range = used + parsed.payload.start..used + parsed.payload.end;
            let mut count = |m: Incoming<'_>| {
                delivered += 1;
                on(m)
            };
            self.frame(parsed.kind, parsed.fin, &buf[range.clone()], &mut count)?;
            used = range.end;
        }
        Ok((used, delivered))
    }

    fn frame(
        &mut self,
        kind: Kind,
        fin: bool,
        payload: &[u8],
        on: &mut dyn FnMut(Incoming<'_>),
    ) -> Result<(), ReadError> {
        let violation = |v| Err(ReadError::Violation(v));
        match kind {
            Kind::Text | Kind::Binary if self.fragments.is_some() => violation(Violation::Protocol),
            Kind::Text | Kind::Binary if fin => deliver(kind == Kind::Text, payload, on),
            Kind::Text | Kind::Binary => {
                let text = kind == Kind::Text;
                let bytes = payload.to_vec();
                self.fragments = Some(Box::new(Fragments { text, bytes }));
                Ok(())
            }
            Kind::Continuation => self.continuation(fin, payload, on),
            Kind::Ping => {
                frame::control(&mut self.control, Opcode::Pong, payload);
                Ok(())
            }
            Kind::Pong => Ok(()),
            Kind::Close => {
                self.echo_close(payload)?;
                on(Incoming::Close);
                Ok(())
            }
        }
    }

    fn continuation(
        &mut self,
        fin: bool,
        payload: &[u8],
        on: &mut dyn FnMut(Incoming<'_>),
    ) -> Result<(), ReadError> {
        let Some(fragments) = self.fragments.as_mut() else {
            return Err(ReadError::Violation(Violation::Protocol));
        };
        if fragments.bytes.len() + payload.len() > self.max_message {
            return Err(ReadError::Violation(Violation::TooBig));
        }
        fragments.bytes.extend_from_slice(payload);
        if !fin {
            return Ok(());
        }
        let done = self.fragments.take().expect("checked above");
        deliver(done.text, &done.bytes, on)
    }

    /// Records the close frame answering the client's: its code when it gave one. A code no peer may
    /// send, a one-byte payload or a reason that is not UTF-8 fails the connection instead.
    fn echo_close(&mut self, payload: &[u8]) -> Result<(), ReadError> {
        let echo = match payload {
            [] => CloseEcho::Empty,
            [_] => return Err(ReadError::Violation(Violation::Protocol)),
            [hi, lo, reason @ ..] => {
                let code = u16::from_be_bytes([*hi, *lo]);
                if !frame::is_valid_close_code(code) {
                    return Err(ReadError::Violation(Violation::Protocol));
                }
                if std::str::from_utf8(reason).is_err() {
                    return Err(ReadError::Violation(Violation::InvalidUtf8));
                }
                CloseEcho::Code(code)
            }
        };
        self.close_echo = Some(echo);
        Ok(())
    }

    /// Queues an RFC 6455 ping, which browsers and WebSocket libraries answer without the application:
    /// the keep-alive that works for clients that never answer a JSON ping.
    pub fn queue_ping(&mut self) {
        frame::control(&mut self.control, Opcode::Ping, &[]);
    }

    /// Whether the client has sent its close frame (its answer may still be waiting to be written).
    pub fn close_received(&self) -> bool {
        self.close_echo.is_some()
    }

    /// Whether control frames (or the answer to the client's close) are waiting to be written.
    pub fn has_control_output(&self) -> bool {
        !self.control.is_empty() || self.close_echo.is_some()
    }

    /// Writes `frames` as far as the socket takes them now, without waiting: the common case, which
    /// needs no future at all. Returns the bytes written (headers included) and whether that was
    /// everything; control frames must be sent with [`Socket::send`] first.
    pub fn try_send(&mut self, frames: &[Utf8Bytes]) -> io::Result<(usize, bool)> {
        debug_assert!(self.control.is_empty());
        self.stream.try_send(frames)
    }

    /// The stream, for publishers to write to while the connection's task is idle.
    pub fn sink(&self) -> Arc<dyn Sink> {
        self.stream.clone()
    }

    /// Writes queued control frames, then `frames` as text frames, leaving out the first `skip`
    /// bytes (what [`Socket::try_send`] or a publisher already wrote; control frames then wait until
    /// the frame begun is finished), waiting while the kernel's send buffer is full (the caller
    /// bounds that wait).
    pub async fn send_from(&mut self, frames: &[Utf8Bytes], mut skip: usize) -> io::Result<()> {
        // A frame a publisher began writing is finished before anything else goes out.
        if skip == 0 {
            self.send_control().await?;
        }
        for batch in frames.chunks(FRAMES_PER_WRITE) {
            let headers = Headers::<FRAMES_PER_WRITE>::of(batch);
            let total = headers.total(batch);
            if skip >= total {
                skip -= total;
                continue;
            }
            let mut slices = headers.slices(batch);
            let mut left = &mut slices.as_flattened_mut()[..2 * batch.len()];
            IoSlice::advance_slices(&mut left, std::mem::take(&mut skip));
            write_all(&self.stream, left).await?;
        }
        self.send_control().await?;
        self.send_close_echo().await
    }

    /// Writes the answer to the client's close frame, after everything else.
    async fn send_close_echo(&mut self) -> io::Result<()> {
        let Some(echo) = self.close_echo.take() else {
            return Ok(());
        };
        let mut frame = Vec::with_capacity(4);
        match echo {
            CloseEcho::Empty => frame::control(&mut frame, Opcode::Close, &[]),
            CloseEcho::Code(code) => frame::control(&mut frame, Opcode::Close, &code.to_be_bytes()),
        }
        write_all(&self.stream, &mut [IoSlice::new(&frame)]).await
    }

    /// Writes queued control frames.
    async fn send_control(&mut self) -> io::Result<()> {
        if self.control.is_empty() {
            return Ok(());
        }
        let control = std::mem::take(&mut self.control);
        write_all(&self.stream, &mut [IoSlice::new(&control)]).await
    }

    /// Writes queued control frames, then `frames` as text frames, waiting while the kernel's send
    /// buffer is full (the caller bounds that wait).
    pub async fn send(&mut self, frames: &[Utf8Bytes]) -> io::Result<()> {
        self.send_from(frames, 0).await
    }

    /// Sends one text frame.
    pub async fn send_text(&mut self, text: Utf8Bytes) -> io::Result<()> {
        self.send(std::slice::from_ref(&text)).await
    }

    /// Sends a close frame after anything queued, then shuts the write side down.
    pub async fn close(&mut self, code: u16, reason: &str) -> io::Result<()> {
        frame::close(&mut self.control, code, reason);
        self.send(&[]).await?;
        socket2::SockRef::from(&*self.stream).shutdown(std::net::Shutdown::Write)
    }

    /// Reads and discards what the client still sends until it closes its side, so that closing the
    /// socket with unread bytes does not reset the connection and lose the close frame on its way.
    /// The caller bounds the wait.
    pub async fn discard_input(&mut self) {
        self.partial = Vec::new();
        let mut chunk = [0u8; READ_CHUNK];
        loop {
            if self.stream.readable().await.is_err() {
                return;
            }
            match self.stream.try_read(&mut chunk) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return,
            }
        }
    }
}

/// How the server answers a client's close frame.
#[derive(Debug, Clone, Copy)]
enum CloseEcho {
    /// The client gave no code: neither does the answer.
    Empty,
    /// The client's (valid) code, echoed.
    Code(u16),
}

impl Sink for TcpStream {
    fn try_send(&self, frames: &[Utf8Bytes]) -> io::Result<(usize, bool)> {
        let mut written = 0;
        for batch in frames.chunks(FRAMES_PER_WRITE) {
            // One frame is the usual delivery: build its two slices, not room for sixty-four.
            let (n, done) = match batch.len() {
                1 => write_batch_now::<1>(self, batch)?,
                _ => write_batch_now::<FRAMES_PER_WRITE>(self, batch)?,
            };
            written += n;
            if !done {
                return Ok((written, false));
            }
        }
        Ok((written, true))
    }
}

/// Hands a complete message to `on`, checking that text is UTF-8.
fn deliver(text: bool, payload: &[u8], on: &mut dyn FnMut(Incoming<'_>)) -> Result<(), ReadError> {
    if !text {
        on(Incoming::Binary);
        return Ok(());
    }
    match std::str::from_utf8(payload) {
        Ok(s) => {
            on(Incoming::Text(s));
            Ok(())
        }
        Err(_) => Err(ReadError::Violation(Violation::InvalidUtf8)),
    }
}

/// The frame headers of up to `N` text frames, to write in front of their payloads.
struct Headers<const N: usize>([([u8; 10], usize); N]);

impl<const N: usize> Headers<N> {
    /// Headers for `batch`, which holds at most `N` frames.
    fn of(batch: &[Utf8Bytes]) -> Self {
        let mut headers = [([0u8; 10], 0usize); N];
        for (head, frame) in headers.iter_mut().zip(batch) {
            *head = frame::header(Opcode::Text, frame.as_str().len());
        }
        Self(headers)
    }

    /// Header and payload of each frame of `batch`; pairs past `batch.len()` are empty.
    fn slices<'a>(&'a self, batch: &'a [Utf8Bytes]) -> [[IoSlice<'a>; 2]; N] {
        let mut slices = [[IoSlice::new(&[]); 2]; N];
        for (pair, (frame, (head, used))) in slices.iter_mut().zip(batch.iter().zip(&self.0)) {
            *pair = [
                IoSlice::new(&head[..*used]),
                IoSlice::new(frame.as_str().as_bytes()),
            ];
        }
        slices
    }

    /// Bytes of the batch on the wire.
    fn total(&self, batch: &[Utf8Bytes]) -> usize {
        batch
            .iter()
            .zip(&self.0)
            .map(|(f, (_, used))| used + f.as_str().len())
            .sum()
    }
}

/// Writes a batch of at most `N` frames as far as the socket takes it now: (bytes written, all of it).
fn write_batch_now<const N: usize>(
    stream: &TcpStream,
    batch: &[Utf8Bytes],
) -> io::Result<(usize, bool)> {
    let headers = Headers::<N>::of(batch);
    let mut slices = headers.slices(batch);
    let mut left = &mut slices.as_flattened_mut()[..2 * batch.len()];
    let written = write_now(stream, &mut left)?;
    Ok((written, left.is_empty()))
}

/// Writes slices until they are all written or the socket would block; returns the bytes written
/// and leaves `slices` at what is left. `sendmsg` rather than `writev`: a socket needs none of the
/// file layer `writev` goes through (position lock, generic checks), which cost about a tenth of the
/// server's time in a fan-out.
fn write_now(stream: &TcpStream, slices: &mut &mut [IoSlice<'_>]) -> io::Result<usize> {
    let mut written = 0;
    let socket = socket2::SockRef::from(stream);
    while !slices.is_empty() {
        match stream.try_io(Interest::WRITABLE, || socket.send_vectored(slices)) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                written += n;
                IoSlice::advance_slices(slices, n);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(written)
}

/// Writes every slice, waiting for the stream to become writable when the kernel's buffer is full.
async fn write_all(stream: &TcpStream, mut slices: &mut [IoSlice<'_>]) -> io::Result<()> {
    loop {
        write_now(stream, &mut slices)?;
        if slices.is_empty() {
            return Ok(());
        }
        stream.writable().await?;
    }
}
