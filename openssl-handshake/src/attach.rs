//! Turning tracing on: [`SslContextBuilderExt::trace_handshakes`] for a
//! context, [`SslRefExt::trace_handshake`] for a single connection.

use std::fmt;
use std::sync::Arc;

use openssl::ssl::{SslContextBuilder, SslRef};

use crate::error::Error;
use crate::trace::HandshakeTrace;

/// A completion hook, shared by every connection of a context.
pub(crate) type Hook = Arc<dyn Fn(&HandshakeTrace) + Send + Sync>;

/// What to record and what to call when a handshake ends.
#[derive(Clone)]
pub struct TraceOptions {
    pub(crate) messages: bool,
    pub(crate) raw_bytes: bool,
    pub(crate) on_complete: Option<Hook>,
    pub(crate) on_failure_after_handshake: Option<Hook>,
}

impl Default for TraceOptions {
    /// Messages on, raw bytes off, no hook.
    fn default() -> Self {
        TraceOptions {
            messages: true,
            raw_bytes: false,
            on_complete: None,
            on_failure_after_handshake: None,
        }
    }
}

/// The options live in OpenSSL's ex_data, so they are dropped inside
/// `SSL_free` and `SSL_CTX_free`, called from C: a panic in the drop of
/// something an application's hook captured must not unwind there.
impl Drop for TraceOptions {
    fn drop(&mut self) {
        let hooks = (
            self.on_complete.take(),
            self.on_failure_after_handshake.take(),
        );
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(hooks)));
    }
}

impl fmt::Debug for TraceOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraceOptions")
            .field("messages", &self.messages)
            .field("raw_bytes", &self.raw_bytes)
            .field("on_complete", &self.on_complete.is_some())
            .field(
                "on_failure_after_handshake",
                &self.on_failure_after_handshake.is_some(),
            )
            .finish()
    }
}

impl TraceOptions {
    /// The defaults: messages on, raw bytes off, no hook.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records handshake messages, ChangeCipherSpec and alert records
    /// through the message callback (on by default). Off, only states,
    /// alerts and exits are recorded, which costs less (a TLS 1.2
    /// resumption's rate, traced against untraced, rises by about one
    /// point in the bench's states-only rows) but leaves a failure's
    /// diagnosis without the messages: what the peer offered or sent is
    /// unknown, and some causes read `unknown`.
    pub fn messages(mut self, on: bool) -> Self {
        self.messages = on;
        self
    }

    /// Puts each message's bytes in the traces read from the connection
    /// (off by default): all of them, Finished's verify_data, tickets and
    /// PSK binders included, which the decoded messages only measure. The
    /// recorder keeps them either way, because messages are decoded when a
    /// trace is read rather than on the handshake path.
    pub fn raw_bytes(mut self, on: bool) -> Self {
        self.raw_bytes = on;
        self
    }

    /// Calls `hook` once when each handshake succeeds or fails, with the
    /// finished trace: once per handshake, not per connection, so twice
    /// for a connection that renegotiated ([`HandshakeTrace::handshakes`]
    /// tells them apart). It runs on the thread driving the handshake,
    /// after the tracer is done with the connection's trace. A panic in it is
    /// caught and recorded in [`HandshakeTrace::hook_panic`]; the process's
    /// panic hook still runs first, so with `RUST_BACKTRACE` set each such
    /// panic prints its backtrace.
    ///
    /// A handshake still under way when its `SSL` is freed (a stream
    /// dropped mid-handshake, a time-out) is reported as failed from the
    /// `SSL`'s free, on whichever thread drops the stream, while OpenSSL
    /// frees it: the hook must not take a lock the dropping code may hold.
    /// A panic there is caught but, the trace being freed, not recorded.
    ///
    /// A TLS 1.3 client's handshake is over before the server has judged
    /// its certificate, so its hook hears of success even when the server
    /// then refuses it: [`TraceOptions::on_failure_after_handshake`] hears
    /// of the refusal.
    pub fn on_complete(mut self, hook: impl Fn(&HandshakeTrace) + Send + Sync + 'static) -> Self {
        self.on_complete = Some(Arc::new(hook));
        self
    }

    /// Calls `hook` once when a connection whose handshake succeeded ends
    /// on a fatal alert, sent or heard, with the trace so far: its
    /// `outcome` is still the handshake's success, and
    /// [`HandshakeTrace::diagnosis`] names the failure. This is how a TLS
    /// 1.3 client hears that the server refused its certificate (at its
    /// first read after the handshake), and how both ends hear of a
    /// certificate refused after the handshake. It runs as
    /// [`TraceOptions::on_complete`] does, and a panic in it is caught
    /// likewise.
    pub fn on_failure_after_handshake(
        mut self,
        hook: impl Fn(&HandshakeTrace) + Send + Sync + 'static,
    ) -> Self {
        self.on_failure_after_handshake = Some(Arc::new(hook));
        self
    }
}

/// Tracing for every connection made from a context.
///
/// Implemented for [`SslContextBuilder`], so it also works through
/// `SslAcceptorBuilder` and `SslConnectorBuilder`, which dereference to it.
pub trait SslContextBuilderExt {
    /// Installs the info and message callbacks so that every `SSL` made
    /// from this context records its own [`HandshakeTrace`].
    ///
    /// Calling it again replaces the options. It replaces any message
    /// callback already set, and refuses with
    /// [`Error::InfoCallbackInUse`] if another info callback is set, and
    /// with [`Error::Dtls`] for a DTLS context. The info callback too
    /// belongs to the tracer from then on: each connection's first
    /// callback sets the tracer's own on that `SSL` (so that a servername
    /// callback's switch of context keeps the trace). One set on the
    /// context later takes a connection's callbacks until then: with
    /// messages, the tracer takes over at the first message and the trace
    /// says it joined late; with [`TraceOptions::messages`] off, it never
    /// runs and [`trace`](crate::trace) gives `None`. Set another
    /// library's before this call, and the call says so.
    ///
    /// The message callback and its argument (`SSL_CTX_set_msg_callback`,
    /// `SSL_CTX_set_msg_callback_arg` and their `SSL_` forms) then belong
    /// to the tracer, which keeps each connection's recorder there and
    /// sets its own callback on each `SSL` at its first callback: a message
    /// callback an application sets on the context, before or after this
    /// call, never runs on a traced connection, and one it sets on a
    /// traced `SSL` breaks the tracer's invariants. (OpenSSL has no getter
    /// for the message callback, so its loss cannot be refused as an info
    /// callback's is; the trace's messages are what it would have seen.)
    ///
    /// A connection takes the options of the context it starts on, at its
    /// first callback, and keeps them: one a servername callback moves to
    /// another traced context (virtual hosting) runs the first context's
    /// hooks and options, not the new one's. To have per-host hooks, trace
    /// only the per-host contexts: a connection that reaches a traced
    /// context by the switch is traced from there on, with that context's
    /// options (its trace starts at the switch: `joined_late`, without the
    /// ClientHello).
    fn trace_handshakes(&mut self, options: TraceOptions) -> Result<(), Error>;
}

impl SslContextBuilderExt for SslContextBuilder {
    fn trace_handshakes(&mut self, options: TraceOptions) -> Result<(), Error> {
        crate::callbacks::attach_to_context(self, options)
    }
}

/// Tracing for one connection whose context was built without it.
pub trait SslRefExt {
    /// Installs the callbacks on this `SSL` only, with a fresh trace.
    /// Calling it again starts a new trace with the new options; a
    /// handshake under way is then reported once, by the new trace
    /// (marked `joined_late`), and the replaced options' hook does not run.
    ///
    /// Refuses with [`Error::InfoCallbackInUse`] if the `SSL` or its
    /// context has another info callback, which this one would replace
    /// (OpenSSL calls the `SSL`'s own in place of its context's), and with
    /// [`Error::Dtls`] for DTLS.
    fn trace_handshake(&mut self, options: TraceOptions) -> Result<(), Error>;

    /// Names this connection in its trace ([`HandshakeTrace::tag`]), and so
    /// in what its hooks and the `tracing` feature's events receive: a
    /// peer address or a request id, for a hook that every connection of
    /// a context shares. Set it before the handshake, or during it (in a
    /// servername callback, say); setting it again replaces it. With an
    /// [`SslAcceptor`](openssl::ssl::SslAcceptor), make the `Ssl` from its
    /// context to set the tag before accepting:
    ///
    /// ```no_run
    /// # fn run(acceptor: &openssl::ssl::SslAcceptor, stream: std::net::TcpStream)
    /// #     -> Result<(), Box<dyn std::error::Error>> {
    /// use openssl::ssl::Ssl;
    /// use openssl_handshake::SslRefExt;
    ///
    /// let mut ssl = Ssl::new(acceptor.context())?;
    /// ssl.set_trace_tag(stream.peer_addr()?.to_string())?;
    /// let tls = ssl.accept(stream)?;
    /// # Ok(()) }
    /// ```
    ///
    /// The tag is kept apart from any trace, so it also names one that
    /// starts later on this `SSL` ([`SslRefExt::trace_handshake`], or a
    /// switch to a traced context). Untagged connections pay nothing for
    /// it.
    fn set_trace_tag(&mut self, tag: impl Into<String>) -> Result<(), Error>;
}

impl SslRefExt for SslRef {
    fn trace_handshake(&mut self, options: TraceOptions) -> Result<(), Error> {
        crate::callbacks::attach_to_ssl(self, options)
    }

    fn set_trace_tag(&mut self, tag: impl Into<String>) -> Result<(), Error> {
        crate::callbacks::set_tag(self, tag.into())
    }
}
