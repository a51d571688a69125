//! The `extern "C"` trampolines OpenSSL calls (the info callback here, the
//! message callback in `message.rs`), and how they find the
//! per-connection recorder they write to (`recorder.rs`): the message
//! callback through its argument, the info callback (and the message
//! callback without one) in ex_data unless it is one of the two its
//! thread last found (`last_found.rs`).
//!
//! Each `SSL` gets its own [`Recorder`] in ex_data, created at the first
//! callback and dropped by OpenSSL's ex_data free hook with the `SSL`. The
//! trampolines take no lock: only one thread at a time can reach a
//! recorder's state (`recorder.rs` says why). No panic unwinds into
//! OpenSSL: every trampoline body runs in `catch_unwind`, and a panicking
//! completion hook is caught and stored in the trace.
// The trampolines OpenSSL calls and the ex_data they read are FFI.
#![allow(unsafe_code)]

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::OnceLock;
use std::time::Duration;

use foreign_types::ForeignTypeRef;
use libc::{c_int, c_void};
use openssl::ex_data::Index;
use openssl::ssl::{ErrorCode, Ssl, SslContext, SslContextBuilder, SslRef};
use openssl_sys::SSL;

use crate::attach::TraceOptions;
use crate::clock;
use crate::error::Error;
use crate::event::{Event, EventKind, ExitStatus, Side};
use crate::ffi;
use crate::records::whole_change_cipher_spec;

mod foreign;
mod last_found;
mod message;
mod outcome;
mod recorder;
mod tag;
use crate::sys;
use crate::trace::{HandshakeTrace, Outcome};
use foreign::{foreign, taken_over};
use message::msg_callback;
pub(crate) use outcome::failure_of;
use outcome::DueHook;
use recorder::{Recorder, RecorderState};
pub(crate) use tag::set as set_tag;

/// Installs the trampolines on a context and stores `options` in its
/// ex_data, replacing options from an earlier call.
pub(crate) fn attach_to_context(
    builder: &mut SslContextBuilder,
    options: TraceOptions,
) -> Result<(), Error> {
    if is_dtls(builder.as_ptr()) {
        return Err(Error::Dtls);
    }
    let ctx_index = context_index()?;
    recorder_index()?;
    clock::prepare();
    crate::telemetry::describe();
    // SAFETY: the builder owns a live SSL_CTX.
    let existing = unsafe { sys::SSL_CTX_get_info_callback(builder.as_ptr()) };
    if existing.is_some_and(foreign) {
        return Err(Error::InfoCallbackInUse);
    }
    let messages = options.messages;
    builder.set_ex_data(ctx_index, options);
    // SAFETY: the builder owns a live SSL_CTX, and both trampolines have
    // exactly the signatures ssl.h declares (checked by the header test).
    // The message callback's argument is the connection's recorder, set
    // on each SSL when its recorder is made; connections copy the
    // context's at creation, so it must hold none.
    unsafe {
        sys::SSL_CTX_set_info_callback(builder.as_ptr(), Some(info_callback));
        sys::SSL_CTX_set_msg_callback(builder.as_ptr(), messages.then_some(msg_callback));
        openssl_sys::SSL_CTX_ctrl(
            builder.as_ptr(),
            sys::SSL_CTRL_SET_MSG_CALLBACK_ARG,
            0,
            std::ptr::null_mut(),
        );
    }
    Ok(())
}

/// Installs the trampolines on one `SSL`, for connections whose context
/// cannot be changed any more.
pub(crate) fn attach_to_ssl(ssl: &mut SslRef, options: TraceOptions) -> Result<(), Error> {
    if is_dtls(ssl.ssl_context().as_ptr()) {
        return Err(Error::Dtls);
    }
    // The SSL's own callback would be replaced, and its context's would no
    // longer run for it (OpenSSL calls the SSL's when it has one).
    // SAFETY: `ssl` and its context are live.
    let existing = unsafe {
        [
            sys::SSL_get_info_callback(ssl.as_ptr()),
            sys::SSL_CTX_get_info_callback(ssl.ssl_context().as_ptr()),
        ]
    };
    if existing.into_iter().flatten().any(foreign) {
        return Err(Error::InfoCallbackInUse);
    }
    let index = recorder_index()?;
    clock::prepare();
    // Once, not per connection: describing takes an exporter's lock. (A
    // recorder installed later gets them from each traced context, or
    // from `describe_metrics`.)
    static DESCRIBED: std::sync::Once = std::sync::Once::new();
    DESCRIBED.call_once(crate::telemetry::describe);
    // A handshake under way goes on under the new recorder, which takes
    // it over and reports it: dropping the old one must not report it
    // abandoned. (Only here is a recorder replaced.)
    // `ex_data_mut` only for the recorder being replaced: the message
    // callback's argument, which points at it, is set again below.
    let under_way = ssl.ex_data_mut(index).is_some_and(|replaced| {
        let state = replaced.state_mut();
        state.hook_due = false;
        state.handshakes > 0 && matches!(state.outcome, Outcome::InProgress)
    });
    if let Some(recorder) = install(ssl, index, options) {
        if let (true, Some(mut state)) = (under_way, recorder.write()) {
            let at = recorder.at();
            outcome::join_late(&mut state, at);
        }
    }
    Ok(())
}

/// Whether `ctx` was made with one of the DTLS methods the `openssl` crate
/// offers (`SslMethod::dtls`, `dtls_client`, `dtls_server`).
fn is_dtls(ctx: *mut openssl_sys::SSL_CTX) -> bool {
    // SAFETY: the callers hold the live context; the method getters only
    // return pointers to OpenSSL's static method tables.
    let (method, dtls) = unsafe {
        (
            sys::SSL_CTX_get_ssl_method(ctx),
            [
                openssl_sys::DTLS_method(),
                openssl_sys::DTLS_client_method(),
                openssl_sys::DTLS_server_method(),
            ],
        )
    };
    dtls.contains(&method)
}

/// A copy of the trace recorded so far on `ssl`.
pub(crate) fn snapshot(ssl: &SslRef) -> Option<HandshakeTrace> {
    let Some(recorder) = installed_index().and_then(|index| ssl.ex_data(index)) else {
        // A connection of a traced context is traced before its first
        // callback makes its recorder: nothing has happened yet. Unless
        // another info callback was set on the context since: without
        // messages, the tracer then never runs for it.
        let traced = match CONTEXT_INDEX.get() {
            Some(Ok(index)) => ssl.ssl_context().ex_data(*index).is_some() && !taken_over(ssl),
            // No context was ever traced.
            _ => false,
        };
        return traced.then(|| HandshakeTrace {
            tag: tag::of(ssl),
            ..HandshakeTrace::new(side_of(ssl))
        });
    };
    let mut state = recorder.read()?;
    if state.negotiated_pending && matches!(state.outcome, Outcome::Succeeded) {
        state.read_negotiated(ssl);
    }
    let mut trace = state.snapshot(recorder.options.raw_bytes);
    if matches!(trace.outcome, Outcome::InProgress) {
        // The counts so far: a time-out's diagnosis reads what came.
        (trace.bytes_sent, trace.bytes_received) = ffi::bytes_sent_received(ssl);
    }
    // A handshake waiting mid-record: the header read is all there is of
    // it, and what a time-out's diagnosis names. (A message spanning
    // records is passed on whole, so between its records the last header's
    // content is unaccepted too; the record layer says which wait it is.)
    if matches!(trace.outcome, Outcome::InProgress) && ffi::reading_record_body(ssl) {
        if let Some(header) = recorder.records.unaccepted() {
            trace.events.push(Event {
                at: Duration::from_micros(recorder.at()),
                kind: EventKind::UnacceptedRecord(header),
            });
        }
    }
    Some(trace)
}

// The `openssl` crate's set_ex_data asks nothing of the types it stores,
// yet `Ssl` and `SslContext` are Send and Sync: what lives in their
// ex_data must be too, or a field added later would make them unsound.
const _: () = {
    const fn shared_across_threads<T: Send + Sync>() {}
    shared_across_threads::<Recorder>();
    shared_across_threads::<TraceOptions>();
    shared_across_threads::<String>();
};

static CONTEXT_INDEX: OnceLock<Result<Index<SslContext, TraceOptions>, Error>> = OnceLock::new();
static RECORDER_INDEX: OnceLock<Result<Index<Ssl, Recorder>, Error>> = OnceLock::new();

fn context_index() -> Result<Index<SslContext, TraceOptions>, Error> {
    CONTEXT_INDEX
        .get_or_init(|| SslContext::new_ex_index().map_err(Error::ExDataIndex))
        .clone()
}

fn recorder_index() -> Result<Index<Ssl, Recorder>, Error> {
    RECORDER_INDEX
        .get_or_init(|| ffi::ssl_ex_index::new().map_err(Error::ExDataIndex))
        .clone()
}

/// The side `ssl` plays, as OpenSSL knows it now.
pub(super) fn side_of(ssl: &SslRef) -> Side {
    if ssl.is_server() {
        Side::Server
    } else {
        Side::Client
    }
}

/// The recorder index without cloning its result: attaching made it
/// before any trampoline was installed, so it is there whenever one runs.
#[inline]
fn installed_index() -> Option<Index<Ssl, Recorder>> {
    match RECORDER_INDEX.get() {
        Some(Ok(index)) => Some(*index),
        _ => None,
    }
}

/// The recorder of `ssl`, created from its context's options at the first
/// callback. `None` when the context carries no options, which happens
/// only if the SSL was moved to an untraced context (SNI switching).
#[inline]
fn recorder<'a>(ssl: *mut SSL) -> Option<&'a Recorder> {
    last_found::get(ssl).or_else(|| look_up(ssl))
}

/// [`recorder`] when `ssl`'s is not one of the two this thread last
/// found: a lookup in ex_data, made the thread's first entry. Out of line,
/// to keep the callbacks' common path short.
#[inline(never)]
fn look_up<'a>(ssl: *mut SSL) -> Option<&'a Recorder> {
    let count = last_found::count(ssl);
    let found = in_ex_data(ssl)?;
    last_found::remember(ssl, found, count);
    Some(found)
}

/// The recorder in `ssl`'s ex_data, made there if it has none yet.
#[inline]
fn in_ex_data<'a>(ssl: *mut SSL) -> Option<&'a Recorder> {
    let index = installed_index()?;
    // SAFETY: OpenSSL passes the live SSL the callback is about; it
    // outlives this callback, and the recorder lives in its ex_data until
    // the SSL is freed, which cannot happen during its own callback, or
    // until `trace_handshake` replaces it, which never runs inside a
    // trampoline (an application's own callback, such as a servername
    // callback, may call it between two of ours); a trampoline's own
    // `create_recorder` installs one only where there is none.
    let ssl_ref = unsafe { SslRef::from_ptr(ssl) };
    if let Some(existing) = ssl_ref.ex_data(index) {
        // SAFETY: see above; the reference is tied to the SSL's lifetime,
        // which spans this callback. (`look_up` keeps the pointer past
        // it, for `last_found::get`, which checks it is still good.)
        return Some(unsafe { &*(existing as *const Recorder) });
    }
    create_recorder(ssl, index)
}

/// The first callback on `ssl`: its recorder, made from its context's
/// options. Out of line, as it runs once per connection.
#[cold]
#[inline(never)]
fn create_recorder<'a>(ssl: *mut SSL, index: Index<Ssl, Recorder>) -> Option<&'a Recorder> {
    // SAFETY: as in `in_ex_data`, which passes on the SSL OpenSSL gave it.
    let ssl_ref = unsafe { SslRef::from_ptr(ssl) };
    let Some(options) = ssl_ref.ssl_context().ex_data(context_index().ok()?) else {
        // Untraced: a copy `SSL_dup` made of a connection traced on its
        // own (`trace_handshake`) has its trampolines and, as its message
        // callback's argument, the original's recorder, which it must
        // not write to.
        set_msg_argument(ssl, None);
        return None;
    };
    let options = options.clone();
    // SAFETY: the callback is the only code touching this SSL while it
    // runs (OpenSSL is inside a call on it); setting ex_data is what
    // OpenSSL's own callbacks are allowed to do.
    let ssl_mut = unsafe { SslRef::from_ptr_mut(ssl) };
    let created = install(ssl_mut, index, options)?;
    // SAFETY: as in `in_ex_data`: the recorder lives in the SSL's ex_data,
    // which outlives this callback.
    Some(unsafe { &*(created as *const Recorder) })
}

/// Stores a recorder made from `options` in `ssl`'s ex_data, replacing
/// any earlier one, and points the SSL's own trampolines and message
/// callback argument at it.
fn install(
    ssl: &mut SslRef,
    index: Index<Ssl, Recorder>,
    options: TraceOptions,
) -> Option<&Recorder> {
    let messages = options.messages;
    let mut recorder = Recorder::new(options, side_of(ssl), ssl.as_ptr());
    recorder.state_mut().tag = tag::of(ssl);
    ssl.set_ex_data(index, recorder);
    // A servername callback may move this SSL to another context
    // (`SSL_set_SSL_CTX`, how virtual hosting is done). The info callback
    // is looked up on the SSL before its current context, and the message
    // callback was copied from the first one, so set both on the SSL: the
    // trace then survives a switch to an untraced context, and one that
    // began on a traced context reached by a switch gets its messages.
    // SAFETY: `ssl` is live and both trampolines match ssl.h.
    unsafe {
        sys::SSL_set_info_callback(ssl.as_ptr(), Some(info_callback));
        sys::SSL_set_msg_callback(ssl.as_ptr(), messages.then_some(msg_callback));
    }
    // Whether set_ex_data replaced an earlier recorder in place or stored
    // a new box, this is the one the message callback must see.
    let recorder = ssl.ex_data(index)?;
    set_msg_argument(ssl.as_ptr(), Some(recorder));
    Some(recorder)
}

/// Makes `recorder` (or null) the message callback's argument on `ssl`,
/// which saves that callback (a dozen calls a handshake) the ex_data
/// lookup.
///
/// The argument is only ever the recorder in the SSL's own ex_data: set
/// here right after that recorder is stored, before OpenSSL can call
/// back, and the recorder lives until the SSL is freed or this crate
/// replaces it (which sets the argument again). The context's argument is
/// cleared when the trampolines are installed, so an SSL never starts
/// with a stale one. A copy `SSL_dup` makes starts with the original's
/// argument but without its recorder ([`ffi::ssl_ex_index`]); its first
/// callback is an info callback (the handshake's start), which sets the
/// argument to the copy's own recorder or clears it, unless C code gave
/// the original an info callback of its own: then the message callback
/// finds the argument is another SSL's recorder (`Recorder::owned_by`)
/// and leaves it. The message callback and its argument belong to the
/// tracer, as OpenSSL pairs them.
fn set_msg_argument(ssl: *mut SSL, recorder: Option<&Recorder>) {
    let arg = recorder.map_or(std::ptr::null_mut(), |r| {
        r as *const Recorder as *mut c_void
    });
    // SAFETY: `ssl` is live (the callers hold it); SSL_CTRL_SET_MSG_CALLBACK_ARG
    // only stores the pointer, which OpenSSL never dereferences.
    unsafe {
        openssl_sys::SSL_ctrl(ssl, sys::SSL_CTRL_SET_MSG_CALLBACK_ARG, 0, arg);
    }
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
        // SAFETY: see `in_ex_data` (the SSL is live for the callback).
        let ssl_ref = unsafe { SslRef::from_ptr(ssl) };
        if where_ & !(sys::SSL_ST_CONNECT | sys::SSL_ST_ACCEPT) == sys::SSL_CB_LOOP {
            recorder.state_entered(ssl_ref);
        } else {
            on_info(recorder, ssl_ref, where_, ret);
        }
    }));
}

/// Records one info event other than a plain state change, and runs the
/// hook (after the state's guard is dropped) if the handshake just ended.
#[inline(never)]
fn on_info(recorder: &Recorder, ssl: &SslRef, where_: c_int, ret: c_int) {
    if let Some(due) = record_info(recorder, ssl, where_, ret) {
        run_hook(recorder, &due.0, due.1.as_ref());
    }
}

/// What [`on_info`] records; returns the trace and the hook when a hook
/// is due.
fn record_info(recorder: &Recorder, ssl: &SslRef, where_: c_int, ret: c_int) -> Option<DueHook> {
    // One time for everything this call records: they happen together.
    let at = recorder.at();
    let mut state = recorder.write()?;
    let state = &mut *state;
    if where_ & sys::SSL_CB_HANDSHAKE_START != 0 {
        // After an early-data pause the same handshake goes on.
        if !recorder.records.end_early_data() {
            recorder.records.begin_handshake();
            outcome::begin(state, ssl, at);
            state.log.push_mark(at, false);
        }
    } else if state.handshakes == 0 && ffi::in_init(ssl) {
        outcome::join_late(state, at);
    }
    if where_ & sys::SSL_CB_LOOP != 0 {
        state.log.push_state(at, ffi::seen_state(ssl));
    }
    let mut due = None;
    if where_ & sys::SSL_CB_ALERT != 0 {
        state.log.push_alert(at, where_, ret);
        due = outcome::alert(recorder, state, ssl, where_, ret);
    }
    let mut finished = None;
    // A fatal alert while the handshake is paused for early data ends it,
    // and no exit follows: OpenSSL fails SSL_read_early_data there (say,
    // past recv_max_early_data) without reporting one.
    // So does one in a trace that joined the call under way, whose exit
    // may go to another callback (see `exit_unseen`).
    let fatal = where_ & sys::SSL_CB_ALERT != 0 && ret >> 8 == sys::SSL3_AL_FATAL;
    if fatal
        && (recorder.records.in_early_data() || state.exit_unseen)
        && matches!(state.outcome, Outcome::InProgress)
    {
        finished = Some(outcome::failed_at_alert(
            recorder, state, ssl, where_, ret, at,
        ));
    }
    if where_ & sys::SSL_CB_EXIT != 0 {
        state.exit_unseen = false;
        let status = exit_status(ssl, ret);
        // Only a failed exit can find the SSL in error.
        let seen = if status == ExitStatus::Failed {
            ffi::seen_state(ssl)
        } else {
            ffi::entered_state(ssl)
        };
        // Only the SSL's record layer knows whether a wait is mid-record;
        // it is asked only when a record read is still unaccepted, which
        // a wait for the peer's next flight never has.
        let unaccepted = match status {
            ExitStatus::WouldBlock => recorder.records.unaccepted(),
            _ => None,
        };
        let mid_record = unaccepted.is_some() && ffi::reading_record_body(ssl);
        if let Some(ccs) = unaccepted.filter(|h| whole_change_cipher_spec(*h, mid_record)) {
            // Waiting for what follows a ChangeCipherSpec, which OpenSSL
            // took: logged now, as the peer may send nothing more.
            recorder.records.take_unaccepted();
            state.log.push_unreported(at, ccs);
        }
        state.log.push_exit(at, ret, status, seen);
        state.stalled_in = unaccepted.filter(|_| mid_record);
        if status == ExitStatus::Failed && matches!(state.outcome, Outcome::InProgress) {
            // A failed exit's socket error, when the transport was a
            // socket: nothing since the failing call sets errno (OpenSSL's
            // error-queue lookups keep it, the log's pushes only allocate).
            let os_error = std::io::Error::last_os_error();
            finished = Some(outcome::failed(recorder, state, ssl, ret, os_error, at));
        }
    }
    if where_ & sys::SSL_CB_HANDSHAKE_DONE != 0 {
        let in_progress = matches!(state.outcome, Outcome::InProgress);
        // OpenSSL reports a handshake done, and later started, around the
        // pause in which a TLS 1.3 client writes or a server reads early
        // data (SSL_CTX_set_info_callback(3)): it has not ended.
        if in_progress && ffi::early_data_pause(ssl) {
            recorder.records.begin_early_data();
        } else {
            state.log.push_mark(at, true);
            if state.refusing_renegotiation {
                outcome::renegotiation_refused(state);
            } else if state.side == Side::Server && ffi::renegotiate_pending(ssl) {
                outcome::renegotiation_requested(state);
            } else if in_progress {
                finished = Some(Outcome::Succeeded);
            }
        }
    }
    match finished {
        Some(outcome) => outcome::finish(recorder, state, ssl, outcome, at),
        None => due,
    }
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

fn run_hook(
    recorder: &Recorder,
    trace: &HandshakeTrace,
    hook: &(dyn Fn(&HandshakeTrace) + Send + Sync),
) {
    // The hook runs inside the application's SSL_accept or SSL_connect,
    // which has yet to return its error.
    let ran = ffi::with_error_queue_aside(|| panic::catch_unwind(AssertUnwindSafe(|| hook(trace))));
    if let Err(payload) = ran {
        if let Some(mut state) = recorder.write() {
            state.hook_panic = Some(panic_message(payload.as_ref()));
        }
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic with a non-string payload".to_owned())
}

#[cfg(test)]
mod tests;
