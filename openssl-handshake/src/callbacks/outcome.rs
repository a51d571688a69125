//! How a handshake ends: the rarely taken paths of the info callback,
//! kept out of line so that the code run for every state stays small
//! (what it displaces from the instruction cache is OpenSSL's own).

use std::io;

use libc::c_int;
use openssl::ssl::{ErrorCode, SslRef, SslVerifyMode};

use super::{Recorder, RecorderState};
use crate::attach::Hook;
use crate::diagnosis::LocalConfig;
use crate::event::RecordHeader;
use crate::ffi;
use crate::negotiated::VerifyResult;
use crate::sys;
use crate::telemetry;
use crate::trace::{Failure, HandshakeTrace, Outcome};

/// A hook to run once the state's guard is dropped, with the trace it is given.
/// Boxed: the info callback returns it from every call, and an unboxed
/// trace (hundreds of bytes) would be copied each time, due or not.
pub(super) type DueHook = Box<(HandshakeTrace, Hook)>;

/// A handshake starts (`SSL_CB_HANDSHAKE_START`).
#[cold]
#[inline(never)]
pub(super) fn begin(state: &mut RecorderState, ssl: &SslRef, at: u64) {
    state.handshakes += 1;
    state.side = super::side_of(ssl);
    state.refusing_renegotiation = false;
    if !matches!(state.outcome, Outcome::InProgress) || state.handshakes == 1 {
        state.outcome = Outcome::InProgress;
        state.handshake_started = at;
        state.hook_due = true;
        state.span = telemetry::handshake_span(state.side);
    }
}

/// OpenSSL marks a renegotiation it refused (a no_renegotiation warning
/// sent) as a handshake that started and finished: it was started (and
/// `handshakes` counts it) but it never ran. The connection goes on under
/// its earlier handshake, whose outcome stands, and neither the hook nor
/// the telemetry hears of a second success.
#[cold]
#[inline(never)]
pub(super) fn renegotiation_refused(state: &mut RecorderState) {
    state.refusing_renegotiation = false;
    state.renegotiations_refused += 1;
    back_to_earlier_handshake(state);
}

/// A TLS 1.2 server that asked for a renegotiation (`SSL_renegotiate`)
/// sends its HelloRequest between a handshake start and done of OpenSSL's
/// own, but a HelloRequest is a request, not a handshake (RFC 5246
/// 7.4.1.1): the connection goes on under its earlier handshake, and the
/// renegotiation is the handshake the client's next ClientHello starts.
#[cold]
#[inline(never)]
pub(super) fn renegotiation_requested(state: &mut RecorderState) {
    state.handshakes = state.handshakes.saturating_sub(1);
    back_to_earlier_handshake(state);
}

/// A start and done that ran no handshake: the earlier one, which
/// succeeded, stands, and nothing is reported.
fn back_to_earlier_handshake(state: &mut RecorderState) {
    state.outcome = Outcome::Succeeded;
    state.hook_due = false;
    state.span = telemetry::Span::none();
}

/// The SSL reached a traced context mid-handshake (an SNI switch from an
/// untraced one), or `trace_handshake` replaced its recorder: what came
/// before is lost (to this recorder), but the rest is recorded and the
/// hook still hears how it ended.
#[cold]
#[inline(never)]
pub(super) fn join_late(state: &mut RecorderState, at: u64) {
    state.handshakes = 1;
    state.joined_late = true;
    state.exit_unseen = true;
    state.handshake_started = at;
    state.hook_due = true;
    state.span = telemetry::handshake_span(state.side);
}

/// An alert sent or heard, `(level << 8) | description` in `ret`. A fatal
/// one after a handshake that succeeded ends the connection all the same:
/// a TLS 1.3 server refuses a client's certificate after the client's side
/// of the handshake is done, and a certificate asked for after the
/// handshake is refused after both are. The outcome stays what the
/// handshake was (its hook has run), but:
/// - for an alert heard, this end's configuration is read, as a failed
///   handshake's is, so that the diagnosis can weigh its certificate;
/// - the telemetry features and [`TraceOptions::on_failure_after_handshake`]
///   hear of the failure, once, so that a service counting failures sees
///   the refusals its handshakes cannot. Returns the trace and that hook
///   when it is due.
///
/// [`TraceOptions::on_failure_after_handshake`]: crate::TraceOptions::on_failure_after_handshake
#[cold]
#[inline(never)]
pub(super) fn alert(
    recorder: &Recorder,
    state: &mut RecorderState,
    ssl: &SslRef,
    where_: c_int,
    ret: c_int,
) -> Option<DueHook> {
    const FATAL: c_int = 2;
    const NO_RENEGOTIATION: c_int = 100;
    if where_ & sys::SSL_CB_WRITE_ALERT == sys::SSL_CB_WRITE_ALERT
        && ret & 0xff == NO_RENEGOTIATION
        && state.handshakes > 1
        && matches!(state.outcome, Outcome::InProgress)
    {
        state.refusing_renegotiation = true;
    }
    if ret >> 8 != FATAL || !matches!(state.outcome, Outcome::Succeeded) {
        return None;
    }
    let heard = where_ & sys::SSL_CB_READ_ALERT == sys::SSL_CB_READ_ALERT;
    if heard && state.local.is_none() {
        state.local = Some(Box::new(LocalConfig::read(ssl)));
    }
    if !heard && state.late_reason.is_none() {
        // OpenSSL queues its reason before it sends the alert.
        let reason = ffi::peek_error_reason();
        state.late_reason = (!reason.is_empty()).then_some(reason);
    }
    if state.late_failure_reported {
        return None;
    }
    state.late_failure_reported = true;
    let hook = recorder.options.on_failure_after_handshake.clone();
    if !telemetry::ENABLED && hook.is_none() {
        return None;
    }
    if state.negotiated_pending {
        state.read_negotiated(ssl);
    }
    ffi::with_error_queue_aside(|| {
        if telemetry::ENABLED {
            telemetry::guarded(|| {
                telemetry::failed_after(&state.summary(), || state.snapshot(false))
            });
        }
        hook.map(|hook| Box::new((state.snapshot(recorder.options.raw_bytes), hook)))
    })
}

/// Logs the last record read if OpenSSL refused it. A TLS 1.3 record that
/// decrypted and whose message OpenSSL refused by its type ("unexpected
/// message", before the message callback sees it) was accepted as a
/// record; one refused after decrypting (empty, or too long) was not.
/// Out of line: the message callback reaches it only for an alert it
/// writes.
#[cold]
#[inline(never)]
pub(super) fn log_refused_record(
    recorder: &Recorder,
    state: &mut RecorderState,
    ssl: &SslRef,
    at: u64,
) {
    if let Some(record) = recorder.records.take_unaccepted() {
        let reason = ffi::peek_error_reason();
        let message_refused = record.decrypted && reason == UNEXPECTED_MESSAGE;
        let mid_record = ffi::reading_record_body(ssl);
        // Read whole before the end of file came: its content was taken,
        // the start of a message still awaiting its rest.
        let fragment_kept = reason == UNEXPECTED_EOF && !mid_record;
        if taken_change_cipher_spec(record.header, &reason, mid_record) {
            state.log.push_unreported(at, record.header);
        } else if !message_refused && !fragment_kept {
            state.log.push_unaccepted(at, record.header);
        }
    }
}

/// Whether `header` is a ChangeCipherSpec OpenSSL took without passing it
/// on (TLS 1.2's, or TLS 1.3's middlebox-compatibility one, RFC 8446
/// appendix D.4, which it drops): read whole, and left without a reason
/// of OpenSSL's own, or with only the end of file that came after it. One
/// it refused (before the version is settled, a second one, a byte that is
/// not 1, one out of place) leaves its own reason. `reason` is OpenSSL's,
/// as the caller read it; `mid_record`, whether the record layer still
/// waits for the record's body.
fn taken_change_cipher_spec(header: RecordHeader, reason: &str, mid_record: bool) -> bool {
    (reason.is_empty() || reason == UNEXPECTED_EOF)
        && crate::records::whole_change_cipher_spec(header, mid_record)
}

/// OpenSSL's reason for a message of a type not expected where it came.
const UNEXPECTED_MESSAGE: &str = "unexpected message";

/// The handshake under way failed at an exit with `ret`.
#[cold]
#[inline(never)]
pub(super) fn failed(
    recorder: &Recorder,
    state: &mut RecorderState,
    ssl: &SslRef,
    ret: c_int,
    os_error: io::Error,
    at: u64,
) -> Outcome {
    log_refused_record(recorder, state, ssl, at);
    let so_far = state.events_so_far();
    let messages = recorder.options.messages;
    let failure = failure(ssl, ret, os_error, &so_far, messages);
    state.local = Some(Box::new(LocalConfig::read(ssl)));
    Outcome::Failed(Box::new(failure))
}

/// The handshake under way failed at a fatal alert (`where_`, `ret` as
/// the info callback gave them) after which no exit will come: one heard
/// takes OpenSSL's reason for it, which OpenSSL raises only after this
/// callback, from its alert; one sent finds the reason already raised.
#[cold]
#[inline(never)]
pub(super) fn failed_at_alert(
    recorder: &Recorder,
    state: &mut RecorderState,
    ssl: &SslRef,
    where_: c_int,
    ret: c_int,
    at: u64,
) -> Outcome {
    let no_errno = io::Error::from_raw_os_error(0);
    if where_ & sys::SSL_CB_READ == 0 {
        return failed(recorder, state, ssl, -1, no_errno, at);
    }
    let so_far = state.events_so_far();
    let reason = ffi::alert_heard_reason((ret & 0xff) as u8);
    let failure = failure_of(&so_far, enforced_verify(ssl), reason);
    state.local = Some(Box::new(LocalConfig::read(ssl)));
    Outcome::Failed(Box::new(failure))
}

/// Settles the trace of a handshake that ended with `outcome` at `at`
/// (the time of the callback that ended it); returns the
/// finished trace and the hook when the hook is due, so that it runs after
/// the state's guard is dropped.
#[inline(never)]
pub(super) fn finish(
    recorder: &Recorder,
    state: &mut RecorderState,
    ssl: &SslRef,
    outcome: Outcome,
    at: u64,
) -> Option<DueHook> {
    // A failure after the ServerHello still agreed on a version and a
    // suite (and perhaps a group and the peer's chain): keep what it did.
    // The server chose them before writing it, the client learnt them by
    // reading it; states are recorded even with messages off.
    // (A client reading a ServerHello it then refuses has no cipher yet.)
    let agreed = || {
        state
            .log
            .reached(&["TLS_ST_SW_SRVR_HELLO", "TLS_ST_CR_SRVR_HELLO"])
            && (ssl.current_cipher().is_some() || ffi::pending_cipher(ssl).is_some())
    };
    // On success nobody may ever ask what was agreed: unless the hook or a
    // telemetry feature needs it now, it is read from the SSL when the
    // trace is (the values stay put once the handshake is done).
    let wanted_now = state.hook_due && recorder.options.on_complete.is_some();
    if !matches!(outcome, Outcome::Succeeded) {
        if agreed() {
            state.read_negotiated(ssl);
        }
    } else if wanted_now || (telemetry::ENABLED && telemetry::heard(false)) {
        state.read_negotiated(ssl);
    } else {
        state.negotiated = None;
        state.negotiated_pending = true;
    }
    state.outcome = outcome;
    state.duration = Some(state.duration_until(at));
    (state.bytes_sent, state.bytes_received) = ffi::bytes_sent_received(ssl);
    let hook = recorder
        .options
        .on_complete
        .clone()
        .filter(|_| state.hook_due);
    if !telemetry::ENABLED && hook.is_none() {
        return None;
    }
    ffi::with_error_queue_aside(|| {
        if telemetry::ENABLED {
            telemetry::guarded(|| state.report_finished());
        }
        hook.map(|hook| {
            state.hook_due = false;
            Box::new((state.snapshot(recorder.options.raw_bytes), hook))
        })
    })
}

/// Why the handshake in `trace` failed; `messages` says whether messages
/// were recorded, without which none can be named as the last.
fn failure(
    ssl: &SslRef,
    ret: c_int,
    os_error: io::Error,
    trace: &HandshakeTrace,
    messages: bool,
) -> Failure {
    let verify = enforced_verify(ssl);
    let mut reason = ffi::peek_error_reason();
    if reason.is_empty() || reason == UNEXPECTED_EOF {
        // Without messages the failure's state alone says how far it got.
        let after = match (trace.last_handshake_message(), messages) {
            (Some(m), _) => format!(" after {}", m.name()),
            (None, true) => " before any handshake message".to_owned(),
            (None, false) => String::new(),
        };
        let error = ErrorCode::from_raw(ffi::error_code(ssl, ret));
        reason = if error == ErrorCode::SYSCALL && connection_lost(&os_error) {
            // A reset is not a close: a middlebox or a crashed peer, not
            // one that hung up.
            format!("the connection failed: {os_error}{after}")
        } else if reason == UNEXPECTED_EOF || error == ErrorCode::SYSCALL {
            format!("{}{after}", Failure::PEER_EOF)
        } else if error == ErrorCode::ZERO_RETURN {
            format!("the peer closed the connection with close_notify{after}")
        } else {
            format!("the handshake stopped{after} with no error from OpenSSL")
        };
    }
    failure_of(trace, verify, reason)
}

/// The peer's verification result when it failed this handshake.
fn enforced_verify(ssl: &SslRef) -> Option<VerifyResult> {
    let code = ffi::verify_result(ssl);
    // Without SSL_VERIFY_PEER the result is computed but never enforced:
    // it did not fail this handshake, and a diagnosis must not blame it.
    let enforced = ssl.verify_mode().contains(SslVerifyMode::PEER);
    (code != 0 && enforced).then(|| VerifyResult::from_code(code))
}

/// Whether errno names a connection that broke under the handshake. Only
/// these are believed: a stream that is not a socket leaves errno as some
/// earlier call set it, and an end of file sets none.
fn connection_lost(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(
            libc::ECONNRESET
                | libc::ECONNABORTED
                | libc::EPIPE
                | libc::ETIMEDOUT
                | libc::ENETDOWN
                | libc::ENETUNREACH
                | libc::EHOSTUNREACH
        )
    )
}

/// OpenSSL's reason when the transport reaches EOF mid-record or
/// mid-handshake.
const UNEXPECTED_EOF: &str = "unexpected eof while reading";

/// A failure with what the trace itself tells: where it stopped, the last
/// message and the alerts each way.
pub(crate) fn failure_of(
    trace: &HandshakeTrace,
    verify: Option<VerifyResult>,
    reason: String,
) -> Failure {
    let last = trace.states().last();
    Failure {
        state: last.map(|s| s.state),
        state_text: HandshakeTrace::last_state_text(Some(trace)),
        last_message: trace.last_message_text(),
        alert_sent: trace.alert_sent().cloned(),
        alert_received: trace.alert_received().cloned(),
        verify,
        reason,
        gave_up: false,
    }
}
