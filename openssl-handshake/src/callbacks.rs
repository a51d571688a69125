//! The `extern "C"` trampolines OpenSSL calls, and the per-connection
//! recorder they write to.
//!
//! Each `SSL` gets its own [`Recorder`] in ex_data, created at the first
//! callback and dropped by OpenSSL's ex_data free hook with the `SSL`. The
//! only lock is the recorder's own mutex, which no other connection ever
//! touches. No panic unwinds into OpenSSL: every trampoline body runs in
//! `catch_unwind`, and a panicking completion hook is caught and stored in
//! the trace.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Instant;

use foreign_types::ForeignTypeRef;
use libc::{c_int, c_void, size_t};
use openssl::ex_data::Index;
use openssl::ssl::{ErrorCode, Ssl, SslContext, SslContextBuilder, SslRef};
use openssl::x509::X509;
use openssl_sys::SSL;

use crate::attach::{Hook, TraceOptions};
use crate::cert::CertificateInfo;
use crate::decode::{self, Body};
use crate::error::Error;
use crate::event::{
    Alert, AlertLevel, Direction, Event, EventKind, Exit, ExitStatus, Message, Side, StateChange,
};
use crate::ffi;
use crate::negotiated::{Negotiated, Resumption, VerifyResult};
use crate::sys;
use crate::trace::{Failure, HandshakeTrace, Outcome, ABANDONED, MAX_EVENTS};

/// Installs the trampolines on a context and stores `options` in its
/// ex_data, replacing options from an earlier call.
pub(crate) fn attach_to_context(
    builder: &mut SslContextBuilder,
    options: TraceOptions,
) -> Result<(), Error> {
    let ctx_index = context_index()?;
    recorder_index()?;
    // SAFETY: the builder owns a live SSL_CTX.
    let existing = unsafe { sys::SSL_CTX_get_info_callback(builder.as_ptr()) };
    if let Some(existing) = existing {
        if existing as usize != info_callback as sys::InfoCallback as usize {
            return Err(Error::InfoCallbackInUse);
        }
    }
    let messages = options.messages;
    builder.set_ex_data(ctx_index, options);
    // SAFETY: the builder owns a live SSL_CTX, and both trampolines have
    // exactly the signatures ssl.h declares (checked by the header test).
    unsafe {
        sys::SSL_CTX_set_info_callback(builder.as_ptr(), Some(info_callback));
        sys::SSL_CTX_set_msg_callback(builder.as_ptr(), messages.then_some(msg_callback));
    }
    Ok(())
}

/// Installs the trampolines on one `SSL`, for connections whose context
/// cannot be changed any more.
pub(crate) fn attach_to_ssl(ssl: &mut SslRef, options: TraceOptions) -> Result<(), Error> {
    let index = recorder_index()?;
    let messages = options.messages;
    let side = if ssl.is_server() {
        Side::Server
    } else {
        Side::Client
    };
    ssl.set_ex_data(index, Recorder::new(options, side));
    // SAFETY: `ssl` is live, and the trampolines match ssl.h.
    unsafe {
        sys::SSL_set_info_callback(ssl.as_ptr(), Some(info_callback));
        sys::SSL_set_msg_callback(ssl.as_ptr(), messages.then_some(msg_callback));
    }
    Ok(())
}

/// A copy of the trace recorded so far on `ssl`.
pub(crate) fn snapshot(ssl: &SslRef) -> Option<HandshakeTrace> {
    let recorder = ssl.ex_data(*RECORDER_INDEX.get()?.as_ref().ok()?)?;
    let mut state = recorder.lock();
    Some(state.snapshot(recorder.options.raw_bytes))
}

static CONTEXT_INDEX: OnceLock<Result<Index<SslContext, TraceOptions>, Error>> = OnceLock::new();
static RECORDER_INDEX: OnceLock<Result<Index<Ssl, Recorder>, Error>> = OnceLock::new();

fn context_index() -> Result<Index<SslContext, TraceOptions>, Error> {
    CONTEXT_INDEX
        .get_or_init(|| SslContext::new_ex_index().map_err(Error::ExDataIndex))
        .clone()
}

fn recorder_index() -> Result<Index<Ssl, Recorder>, Error> {
    RECORDER_INDEX
        .get_or_init(|| Ssl::new_ex_index().map_err(Error::ExDataIndex))
        .clone()
}

/// One connection's trace and the options it was made with.
pub(crate) struct Recorder {
    options: TraceOptions,
    started: Instant,
    state: Mutex<RecorderState>,
}

struct RecorderState {
    trace: HandshakeTrace,
    /// The peer's chain, parsed into the trace only when someone reads it.
    peer_chain: Vec<X509>,
    /// Version field of the last record header seen, per direction.
    record_version: [Option<u16>; 2],
    handshake_started: Instant,
    hook_due: bool,
}

impl Recorder {
    fn new(options: TraceOptions, side: Side) -> Self {
        let now = Instant::now();
        Recorder {
            options,
            started: now,
            state: Mutex::new(RecorderState {
                trace: HandshakeTrace::new(side),
                peer_chain: Vec::new(),
                record_version: [None; 2],
                handshake_started: now,
                hook_due: false,
            }),
        }
    }

    /// A panic while the lock was held leaves the trace as it was, which is
    /// still worth reading, so poisoning is ignored.
    fn lock(&self) -> MutexGuard<'_, RecorderState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn push(&self, state: &mut RecorderState, kind: EventKind) {
        if state.trace.events.len() >= MAX_EVENTS {
            state.trace.events_dropped += 1;
            return;
        }
        state.trace.events.push(Event {
            at: self.started.elapsed(),
            kind,
        });
    }
}

/// A handshake still in progress when its `SSL` is freed never reaches
/// the info callback's exit; the hook hears of it here instead, as a
/// failure, so that services counting failures see time-outs too.
impl Drop for Recorder {
    fn drop(&mut self) {
        // Runs inside SSL_free, called from C: nothing may unwind.
        let _ = panic::catch_unwind(AssertUnwindSafe(|| {
            let state = self.state.get_mut().unwrap_or_else(|p| p.into_inner());
            let unfinished =
                state.trace.outcome == Outcome::InProgress && state.trace.handshakes > 0;
            let hook = self.options.on_complete.clone();
            let Some(hook) = hook.filter(|_| unfinished && state.hook_due) else {
                return;
            };
            let failure = failure_of(&state.trace, None, ABANDONED.to_owned());
            state.trace.outcome = Outcome::Failed(Box::new(failure));
            state.trace.duration = Some(state.handshake_started.elapsed());
            let trace = state.snapshot(self.options.raw_bytes);
            let _ = panic::catch_unwind(AssertUnwindSafe(|| hook(&trace)));
        }));
    }
}

impl RecorderState {
    /// Decodes recorded messages that are not decoded yet, fills in the
    /// peer chain, and returns a copy.
    fn snapshot(&mut self, keep_raw: bool) -> HandshakeTrace {
        // The key exchange messages' layout follows from the suite that
        // the ServerHello before them selected.
        let mut suite = None;
        for event in &mut self.trace.events {
            if let EventKind::Message(m) = &mut event.kind {
                decode_message(m, suite);
                if let Some(Body::ServerHello(hello)) = &m.body {
                    suite = Some(hello.cipher_suite.id);
                }
                if !keep_raw {
                    m.raw = None;
                }
            }
        }
        if self
            .trace
            .negotiated
            .as_ref()
            .is_some_and(|n| n.resumed == Some(Resumption::Unknown))
        {
            let offered = self.ticket_offered();
            if let Some(n) = &mut self.trace.negotiated {
                n.refine_resumption(|| offered);
            }
        }
        if let Some(n) = &mut self.trace.negotiated {
            if n.peer_chain.is_empty() && !self.peer_chain.is_empty() {
                n.peer_chain = self
                    .peer_chain
                    .iter()
                    .map(|c| CertificateInfo::from_x509(c))
                    .collect();
            }
        }
        self.trace.clone()
    }

    /// Whether the client's first ClientHello offered a session ticket;
    /// `None` when messages were not recorded.
    fn ticket_offered(&mut self) -> Option<bool> {
        self.trace
            .events
            .iter_mut()
            .find_map(|e| match &mut e.kind {
                EventKind::Message(m)
                    if m.handshake_type == Some(decode::HandshakeType::CLIENT_HELLO) =>
                {
                    decode_message(m, None);
                    match &m.body {
                        Some(Body::ClientHello(hello)) => {
                            Some(hello.session_ticket.is_some_and(|n| n > 0))
                        }
                        _ => None,
                    }
                }
                _ => None,
            })
    }
}

fn decode_message(m: &mut Message, cipher_suite: Option<u16>) {
    if m.body.is_some()
        || m.decode_error.is_some()
        || i32::from(m.content_type) != sys::SSL3_RT_HANDSHAKE
    {
        return;
    }
    if let Some(raw) = &m.raw {
        let context = decode::DecodeContext::new(m.version, cipher_suite);
        match decode::decode_handshake_in(raw, context) {
            Ok(msg) => m.body = Some(msg.body),
            Err(e) => m.decode_error = Some(e.to_string()),
        }
    }
}

/// The recorder of `ssl`, created from its context's options at the first
/// callback. `None` when the context carries no options, which happens
/// only if the SSL was moved to an untraced context (SNI switching).
fn recorder<'a>(ssl: *mut SSL) -> Option<&'a Recorder> {
    let index = recorder_index().ok()?;
    // SAFETY: OpenSSL passes the live SSL the callback is about; it
    // outlives this callback, and the recorder lives in its ex_data until
    // the SSL is freed, which cannot happen during its own callback.
    let ssl_ref = unsafe { SslRef::from_ptr(ssl) };
    if let Some(existing) = ssl_ref.ex_data(index) {
        // SAFETY: see above; the reference is tied to the SSL's lifetime,
        // which spans this callback.
        return Some(unsafe { &*(existing as *const Recorder) });
    }
    let options = ssl_ref
        .ssl_context()
        .ex_data(context_index().ok()?)?
        .clone();
    let side = if ssl_ref.is_server() {
        Side::Server
    } else {
        Side::Client
    };
    // SAFETY: the callback is the only code touching this SSL while it
    // runs (OpenSSL is inside a call on it); setting ex_data is what
    // OpenSSL's own callbacks are allowed to do.
    let ssl_mut = unsafe { SslRef::from_ptr_mut(ssl) };
    ssl_mut.set_ex_data(index, Recorder::new(options, side));
    let created = ssl_mut.ex_data(index)?;
    // SAFETY: as above.
    Some(unsafe { &*(created as *const Recorder) })
}

/// `void (*cb)(const SSL *ssl, int where, int ret)` for
/// `SSL_CTX_set_info_callback`.
pub(crate) unsafe extern "C" fn info_callback(ssl: *const SSL, where_: c_int, ret: c_int) {
    let _ = panic::catch_unwind(AssertUnwindSafe(|| {
        // OpenSSL hands out `const SSL *` but the object is mutable; its
        // own callbacks set ex_data through it.
        let ssl = ssl as *mut SSL;
        let Some(recorder) = recorder(ssl) else {
            return;
        };
        // SAFETY: see `recorder`.
        let ssl_ref = unsafe { SslRef::from_ptr(ssl) };
        if let Some((trace, hook)) = on_info(recorder, ssl_ref, where_, ret) {
            run_hook(recorder, &trace, hook.as_ref());
        }
    }));
}

/// Records one info event; returns the finished trace and the hook when
/// the hook is due, so that it runs after the lock is released.
fn on_info(
    recorder: &Recorder,
    ssl: &SslRef,
    where_: c_int,
    ret: c_int,
) -> Option<(HandshakeTrace, Hook)> {
    let mut state = recorder.lock();
    let state = &mut *state;
    if where_ & sys::SSL_CB_HANDSHAKE_START != 0 {
        state.trace.handshakes += 1;
        state.trace.side = if ssl.is_server() {
            Side::Server
        } else {
            Side::Client
        };
        if state.trace.outcome != Outcome::InProgress || state.trace.handshakes == 1 {
            state.trace.outcome = Outcome::InProgress;
            state.handshake_started = Instant::now();
            state.hook_due = true;
        }
        recorder.push(state, EventKind::HandshakeStart);
    }
    if where_ & sys::SSL_CB_LOOP != 0 {
        let (long, short) = ffi::state_strings(ssl);
        let change = StateChange {
            state: ffi::state(ssl),
            long,
            short,
        };
        recorder.push(state, EventKind::State(change));
    }
    if where_ & sys::SSL_CB_ALERT != 0 {
        let (level_text, text) = ffi::alert_strings(ret);
        let alert = Alert {
            direction: if where_ & sys::SSL_CB_READ != 0 {
                Direction::Read
            } else {
                Direction::Write
            },
            level: AlertLevel::from_u8((ret >> 8) as u8),
            description: (ret & 0xff) as u8,
            level_text,
            text,
        };
        recorder.push(state, EventKind::Alert(alert));
    }
    let mut finished = None;
    if where_ & sys::SSL_CB_EXIT != 0 {
        let status = exit_status(ssl, ret);
        let (long, _) = ffi::state_strings(ssl);
        recorder.push(
            state,
            EventKind::Exit(Exit {
                ret,
                status,
                state: long,
            }),
        );
        if status == ExitStatus::Failed && state.trace.outcome == Outcome::InProgress {
            finished = Some(Outcome::Failed(Box::new(failure(ssl, &state.trace))));
        }
    }
    if where_ & sys::SSL_CB_HANDSHAKE_DONE != 0 {
        recorder.push(state, EventKind::HandshakeDone);
        if state.trace.outcome == Outcome::InProgress {
            finished = Some(Outcome::Succeeded);
        }
    }
    let outcome = finished?;
    if outcome == Outcome::Succeeded {
        let side = state.trace.side;
        let (negotiated, chain) = Negotiated::read(ssl, side);
        state.trace.negotiated = Some(negotiated);
        state.peer_chain = chain;
    }
    state.trace.outcome = outcome;
    state.trace.duration = Some(state.handshake_started.elapsed());
    (state.trace.bytes_sent, state.trace.bytes_received) = ffi::bytes_sent_received(ssl);
    let hook = recorder
        .options
        .on_complete
        .clone()
        .filter(|_| state.hook_due)?;
    state.hook_due = false;
    // Decoding a malformed certificate through the openssl crate drains the
    // thread's error queue, which the caller of SSL_connect/SSL_accept has
    // yet to read: set it aside and put it back.
    let pending = openssl::error::ErrorStack::get();
    let trace = state.snapshot(recorder.options.raw_bytes);
    pending.put();
    Some((trace, hook))
}

fn exit_status(ssl: &SslRef, ret: c_int) -> ExitStatus {
    if ret > 0 {
        return ExitStatus::Done;
    }
    if ret < 0 {
        let code = ErrorCode::from_raw(ffi::error_code(ssl, ret));
        let fatal = [ErrorCode::SSL, ErrorCode::SYSCALL, ErrorCode::ZERO_RETURN];
        if !fatal.contains(&code) && code.as_raw() != 0 {
            return ExitStatus::WouldBlock;
        }
    }
    ExitStatus::Failed
}

fn failure(ssl: &SslRef, trace: &HandshakeTrace) -> Failure {
    let code = ffi::verify_result(ssl);
    let verify = (code != 0).then(|| VerifyResult::from_code(code));
    failure_of(trace, verify, ffi::peek_error_reason())
}

/// A failure with what the trace itself tells: where it stopped, the last
/// message and the alerts each way.
fn failure_of(trace: &HandshakeTrace, verify: Option<VerifyResult>, reason: String) -> Failure {
    Failure {
        state: last_state(trace),
        last_message: last_message(trace),
        alert_sent: trace.alert_sent().cloned(),
        alert_received: trace.alert_received().cloned(),
        verify,
        reason,
    }
}

/// The last state the handshake reached.
fn last_state(trace: &HandshakeTrace) -> String {
    trace
        .states()
        .last()
        .map(|s| s.long.to_string())
        .unwrap_or_default()
}

/// "read ClientHello": the last handshake message seen.
fn last_message(trace: &HandshakeTrace) -> Option<String> {
    let m = trace
        .messages()
        .filter(|m| m.handshake_type.is_some())
        .last()?;
    let dir = match m.direction {
        Direction::Read => "read",
        Direction::Write => "wrote",
    };
    Some(format!("{dir} {}", m.name()))
}

fn run_hook(
    recorder: &Recorder,
    trace: &HandshakeTrace,
    hook: &(dyn Fn(&HandshakeTrace) + Send + Sync),
) {
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| hook(trace))) {
        recorder.lock().trace.hook_panic = Some(panic_message(payload.as_ref()));
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic with a non-string payload".to_owned())
}

/// `void (*cb)(int write_p, int version, int content_type, const void *buf,
/// size_t len, SSL *ssl, void *arg)` for `SSL_CTX_set_msg_callback`.
pub(crate) unsafe extern "C" fn msg_callback(
    write_p: c_int,
    version: c_int,
    content_type: c_int,
    buf: *const c_void,
    len: size_t,
    ssl: *mut SSL,
    _arg: *mut c_void,
) {
    // Application data and TLS 1.3 inner content types are never
    // recorded, and neither is any other pseudo content type (OpenSSL can
    // report key material through this callback in some builds).
    let wanted = matches!(
        content_type,
        sys::SSL3_RT_HEADER
            | sys::SSL3_RT_CHANGE_CIPHER_SPEC
            | sys::SSL3_RT_ALERT
            | sys::SSL3_RT_HANDSHAKE
    );
    if !wanted || buf.is_null() {
        return;
    }
    let _ = panic::catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: OpenSSL passes the live SSL the record belongs to.
        let ssl_ref = unsafe { SslRef::from_ptr(ssl) };
        // Record headers arrive for every record of bulk transfer; outside
        // a handshake they are dropped before any lookup or lock.
        if content_type == sys::SSL3_RT_HEADER && !ffi::in_init(ssl_ref) {
            return;
        }
        let Some(recorder) = recorder(ssl) else {
            return;
        };
        // SAFETY: OpenSSL guarantees `buf` holds `len` bytes for the
        // duration of the callback; it was checked to be non-null.
        let bytes = unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), len) };
        let direction = if write_p != 0 {
            Direction::Write
        } else {
            Direction::Read
        };
        let mut state = recorder.lock();
        let slot = &mut state.record_version[direction as usize];
        if content_type == sys::SSL3_RT_HEADER {
            *slot = match bytes {
                [_, major, minor, ..] => Some(u16::from_be_bytes([*major, *minor])),
                _ => None,
            };
            return;
        }
        let record_version = *slot;
        let message = Message {
            direction,
            version: version as u16,
            record_version,
            content_type: content_type as u8,
            handshake_type: (content_type == sys::SSL3_RT_HANDSHAKE)
                .then(|| bytes.first().map(|t| decode::HandshakeType(*t)))
                .flatten(),
            length: len,
            body: None,
            decode_error: None,
            raw: Some(bytes.to_vec()),
        };
        recorder.push(&mut state, EventKind::Message(Box::new(message)));
    }));
}
