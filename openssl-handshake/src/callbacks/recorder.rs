//! The per-connection recorder: one connection's trace, in compact form
//! until read, and the options it was made with. It lives in the `SSL`'s
//! ex_data and is dropped with it.

use std::cell::UnsafeCell;
use std::ops::{Deref, DerefMut};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use openssl::ssl::SslRef;
use openssl::x509::X509;
use openssl_sys::SSL;

use super::outcome;
use crate::attach::TraceOptions;
use crate::cert::CertificateInfo;
use crate::clock::Clock;
use crate::diagnosis::LocalConfig;
use crate::event::{Event, EventKind, RecordHeader, Side};
use crate::ffi;
use crate::log::{self, Log};
use crate::negotiated::Negotiated;
use crate::records::LastRecords;
use crate::telemetry;
use crate::trace::{Failure, HandshakeTrace, Outcome};
use crate::version::ProtocolVersion;

/// One connection's trace and the options it was made with.
///
/// The state takes no lock on the handshake path: a mutex's two locked
/// instructions per callback cost about a quarter of a point of a TLS 1.2
/// resumption's rate. Exclusion comes from who can reach it instead (see
/// the `Sync` impl): the trampolines, on the one thread inside an OpenSSL
/// call on the SSL; code holding `&mut SslRef`; and readers holding
/// `&SslRef`, which take `readers` among themselves.
pub(crate) struct Recorder {
    pub(super) options: TraceOptions,
    pub(super) clock: Clock,
    pub(super) records: LastRecords,
    /// The address of the `SSL` whose ex_data holds it, set before it is
    /// stored there: what the message callback checks its argument by.
    owner: usize,
    state: UnsafeCell<RecorderState>,
    /// A [`StateGuard`] is live: what a re-entry finds, and refuses.
    busy: AtomicBool,
    /// Held by readers that reach the recorder through `&SslRef`, which
    /// several threads may hold at once.
    readers: Mutex<()>,
}

// SAFETY: the state is reached only through `StateGuard`s, made by
// `write` (and by `read`, inside a `ReadGuard`), and through `&mut
// self`. OpenSSL runs the trampolines (the writers) only on the thread
// inside a call on the recorder's SSL: a handshake, read, write or shutdown, or SSL_free. The
// `openssl` crate makes each of those calls through `&mut SslRef` or by
// value (true of openssl 0.10, whose `SslRef: Sync` rests on it too), so
// while a trampoline runs no other thread holds the `&SslRef` that
// `trace()` reads through (code calling OpenSSL on a raw pointer is
// bound by the same rule, which is OpenSSL's own: one thread uses an SSL
// at a time). The message callback writes to the recorder its argument
// points at only after checking that it is its SSL's (a copy `SSL_dup`
// made starts with the original's argument); the info callback's
// per-thread cache (`last_found.rs`) likewise hands a recorder only to a
// callback about its own SSL. The other writers hold
// `&mut SslRef` (`set_trace_tag`, `trace_handshake`) or own the recorder
// (`Drop`). Readers on several threads exclude each other with
// `readers`; a re-entry on one thread (code holding the SSL by a raw
// pointer, run from a trampoline, say a telemetry subscriber) finds
// `busy` set and gets no guard. Everything else in the recorder is
// immutable or atomic.
unsafe impl Sync for Recorder {}

/// Exclusive access to a recorder's state, for as long as it lives.
pub(super) struct StateGuard<'a> {
    recorder: &'a Recorder,
}

/// A reader's [`StateGuard`], holding the readers' mutex until it is
/// dropped (fields drop in order: the state is free before the next
/// reader is let in, or that one would be refused).
pub(super) struct ReadGuard<'a> {
    state: StateGuard<'a>,
    _reader: MutexGuard<'a, ()>,
}

impl Deref for ReadGuard<'_> {
    type Target = RecorderState;

    fn deref(&self) -> &RecorderState {
        &self.state
    }
}

impl DerefMut for ReadGuard<'_> {
    fn deref_mut(&mut self) -> &mut RecorderState {
        &mut self.state
    }
}

impl Deref for StateGuard<'_> {
    type Target = RecorderState;

    #[inline]
    fn deref(&self) -> &RecorderState {
        // SAFETY: a guard is the only way to the state while it lives
        // (see the `Sync` impl).
        unsafe { &*self.recorder.state.get() }
    }
}

impl DerefMut for StateGuard<'_> {
    #[inline]
    fn deref_mut(&mut self) -> &mut RecorderState {
        // SAFETY: as in `deref`; `&mut self` keeps this the only borrow.
        unsafe { &mut *self.recorder.state.get() }
    }
}

impl Drop for StateGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        self.recorder.busy.store(false, Relaxed);
    }
}

/// What the trace will say, kept apart rather than as a [`HandshakeTrace`]
/// so that what most connections never fill takes a pointer, not its size.
pub(super) struct RecorderState {
    pub(super) side: Side,
    pub(super) outcome: Outcome,
    pub(super) negotiated: Option<Box<Negotiated>>,
    /// This end's configuration, read when a handshake fails.
    pub(super) local: Option<Box<LocalConfig>>,
    pub(super) duration: Option<Duration>,
    pub(super) bytes_sent: u64,
    pub(super) bytes_received: u64,
    pub(super) handshakes: u32,
    pub(super) renegotiations_refused: u32,
    pub(super) hook_panic: Option<String>,
    pub(super) joined_late: bool,
    /// The events, in compact form until read.
    pub(super) log: Log,
    /// The peer's chain, parsed into the trace only when someone reads it.
    pub(super) peer_chain: Vec<X509>,
    /// When the handshake under way started, on the recorder's clock.
    pub(super) handshake_started: u64,
    pub(super) hook_due: bool,
    /// The trace joined a handshake under way, and no exit has been seen
    /// since: the OpenSSL call that was running may have picked its info
    /// callback before this recorder existed (a servername callback moved
    /// the SSL to a traced context) and report its exit to that one, so a
    /// fatal alert ends the handshake here.
    pub(super) exit_unseen: bool,
    /// The handshake succeeded and `trace.negotiated` is yet to be read.
    pub(super) negotiated_pending: bool,
    /// A fatal alert after the handshake succeeded was reported (to the
    /// telemetry features and `on_failure_after_handshake`); once is enough,
    /// as the connection is over.
    pub(super) late_failure_reported: bool,
    /// This end sent no_renegotiation during the handshake under way: it
    /// refused a renegotiation, which is no handshake.
    pub(super) refusing_renegotiation: bool,
    /// OpenSSL's reason for the first fatal alert sent after the handshake
    /// succeeded.
    pub(super) late_reason: Option<String>,
    /// The header of the record the last would-block exit left half read:
    /// what a handshake abandoned there stalled in, which only the `SSL`'s
    /// record layer can tell and `Drop` no longer has.
    pub(super) stalled_in: Option<RecordHeader>,
    /// The application's name for the connection (`set_trace_tag`).
    pub(super) tag: Option<String>,
    pub(super) span: telemetry::Span,
}

impl Recorder {
    // `#[inline]` on what the trampolines call: in another module, these
    // would otherwise sit in another codegen unit and stay out of line.

    /// A recorder for one connection, made at its first callback.
    #[inline]
    pub(super) fn new(options: TraceOptions, side: Side, owner: *const SSL) -> Self {
        Recorder {
            options,
            owner: owner as usize,
            clock: Clock::start(),
            records: LastRecords::new(),
            busy: AtomicBool::new(false),
            readers: Mutex::new(()),
            state: UnsafeCell::new(RecorderState {
                side,
                outcome: Outcome::InProgress,
                negotiated: None,
                local: None,
                duration: None,
                bytes_sent: 0,
                bytes_received: 0,
                handshakes: 0,
                renegotiations_refused: 0,
                hook_panic: None,
                joined_late: false,
                log: Log::new(HandshakeTrace::MAX_EVENTS),
                peer_chain: Vec::new(),
                handshake_started: 0,
                hook_due: false,
                exit_unseen: false,
                negotiated_pending: false,
                late_failure_reported: false,
                refusing_renegotiation: false,
                late_reason: None,
                stalled_in: None,
                tag: None,
                span: telemetry::Span::none(),
            }),
        }
    }

    /// The state, for a trampoline; `None` on a re-entry, which then
    /// records nothing.
    #[inline]
    pub(super) fn write(&self) -> Option<StateGuard<'_>> {
        // Relaxed: only one thread can be here at a time (see the `Sync`
        // impl); whatever handed the SSL to it ordered the rest.
        if self.busy.load(Relaxed) {
            return None;
        }
        self.busy.store(true, Relaxed);
        Some(StateGuard { recorder: self })
    }

    /// The state, for a reader holding only `&SslRef`.
    pub(super) fn read(&self) -> Option<ReadGuard<'_>> {
        // A reader that panicked left the state as whole as the trampolines
        // do, so poisoning is ignored.
        let reader = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        Some(ReadGuard {
            state: self.write()?,
            _reader: reader,
        })
    }

    /// Whether this is `ssl`'s recorder.
    #[inline]
    pub(super) fn owned_by(&self, ssl: *const SSL) -> bool {
        self.owner == ssl as usize
    }

    /// The state, through exclusive access to the recorder: one not yet
    /// stored, one being replaced, or one being freed.
    pub(super) fn state_mut(&mut self) -> &mut RecorderState {
        self.state.get_mut()
    }

    /// Microseconds since the recorder was made.
    #[inline]
    pub(super) fn at(&self) -> u64 {
        self.clock.micros()
    }

    /// The info callback's commonest call: the handshake moved to a new
    /// state. Kept to a few instructions, as it runs a dozen times or more
    /// per handshake.
    #[inline]
    pub(super) fn state_entered(&self, ssl: &SslRef) {
        let at = self.at();
        let seen = ffi::entered_state(ssl);
        let Some(mut state) = self.write() else {
            return;
        };
        if state.handshakes == 0 && ffi::in_init(ssl) {
            outcome::join_late(&mut state, at);
        }
        state.log.push_state(at, seen);
    }
}

/// A handshake still in progress when its `SSL` is freed never reaches
/// the info callback's exit; the hook and the telemetry features hear of
/// it here instead, as a failure, so that services counting failures see
/// time-outs too.
impl Drop for Recorder {
    fn drop(&mut self) {
        // First, while the recorder and its SSL are still alive.
        super::last_found::retire(self.owner as *const SSL);
        // Runs inside SSL_free, called from C: nothing may unwind.
        let _ = panic::catch_unwind(AssertUnwindSafe(|| {
            let state = self.state.get_mut();
            let unreported = matches!(state.outcome, Outcome::InProgress)
                && state.handshakes > 0
                && state.hook_due;
            let hook = self.options.on_complete.clone();
            if !unreported || (hook.is_none() && !telemetry::ENABLED) {
                return;
            }
            // Read only when someone will hear of it: every SSL_free runs this.
            let now = self.clock.micros();
            // SSL_free may run inside the application's error handling.
            ffi::with_error_queue_aside(|| {
                let mut failure = outcome::failure_of(
                    &state.events_so_far(),
                    None,
                    Failure::ABANDONED.to_owned(),
                );
                failure.gave_up = true;
                state.outcome = Outcome::Failed(Box::new(failure));
                state.duration = Some(state.duration_until(now));
                if telemetry::ENABLED {
                    telemetry::guarded(|| state.report_finished());
                }
                if let Some(hook) = hook {
                    let trace = state.snapshot(self.options.raw_bytes);
                    let _ = panic::catch_unwind(AssertUnwindSafe(|| hook(&trace)));
                }
            });
        }));
    }
}

impl RecorderState {
    /// How long the handshake under way has taken at `now`, on the
    /// recorder's clock.
    pub(super) fn duration_until(&self, now: u64) -> Duration {
        Duration::from_micros(now.saturating_sub(self.handshake_started))
    }

    /// Reads what was agreed from `ssl`, except the peer chain, which is
    /// parsed only when the trace is read.
    // Out of line: it runs once per handshake at most, and inlined into
    // `outcome::finish` it would crowd the handshake path's code.
    #[inline(never)]
    pub(super) fn read_negotiated(&mut self, ssl: &SslRef) {
        let (mut negotiated, chain) = Negotiated::read(ssl, self.side);
        // A TLS 1.2 DHE group is known only from the ServerKeyExchange,
        // which is decoded here alone: the telemetry features report the
        // group without the trace being read.
        let fresh_dhe = negotiated.group.is_none()
            && negotiated.resumed.is_none()
            && negotiated.version < ProtocolVersion::Tls1_3;
        if fresh_dhe {
            if let Some(suite) = ssl.current_cipher().or_else(|| ffi::pending_cipher(ssl)) {
                let [hi, lo] = suite.protocol_id();
                negotiated.group = log::dh_group(&self.log, u16::from_be_bytes([hi, lo]));
            }
        }
        self.negotiated = Some(Box::new(negotiated));
        self.peer_chain = chain;
        self.negotiated_pending = false;
    }

    /// Reports the handshake that just ended to the telemetry features,
    /// then closes its span (once the event is in it).
    pub(super) fn report_finished(&mut self) {
        let mut summary = self.summary();
        // A TLS 1.2 server keeps no name for a session it resumes (see
        // `Negotiated::refine_from_wire`); the ClientHello has it. Read
        // only here, for the telemetry: a build without it never decodes
        // at the handshake's end.
        if let Some(n) = summary.negotiated.as_mut() {
            if n.sni.is_none() && self.side == Side::Server {
                n.sni = log::client_hello_sni(&self.log);
            }
            // The telemetry says only whether the handshake resumed: before
            // TLS 1.3 an unknown kind is a resumption either way; in TLS 1.3
            // it may be an external PSK, which the hellos tell (decoded here,
            // at the handshake's end, in a build with a telemetry feature).
            if n.version == ProtocolVersion::Tls1_3 {
                n.refine_resumption(&self.log);
            }
        }
        let span = std::mem::replace(&mut self.span, telemetry::Span::none());
        telemetry::finished(&summary, &span, || self.snapshot(false));
    }

    /// The trace without its events.
    pub(super) fn summary(&self) -> HandshakeTrace {
        let mut trace = HandshakeTrace::new(self.side);
        trace.outcome = self.outcome.clone();
        trace.negotiated = self.negotiated.as_deref().cloned();
        trace.local = self.local.as_deref().cloned();
        trace.duration = self.duration;
        trace.bytes_sent = self.bytes_sent;
        trace.bytes_received = self.bytes_received;
        trace.handshakes = self.handshakes;
        trace.renegotiations_refused = self.renegotiations_refused;
        trace.hook_panic = self.hook_panic.clone();
        trace.joined_late = self.joined_late;
        trace.late_alert_reason = self.late_reason.clone();
        trace.tag = self.tag.clone();
        trace
    }

    /// The trace with its events decoded and the peer chain parsed.
    pub(super) fn snapshot(&self, keep_raw: bool) -> HandshakeTrace {
        let mut trace = self.summary();
        trace.events = self.log.events(true, keep_raw);
        trace.events_dropped = self.log.dropped;
        // Abandoned mid-record: the header read is all there is of it (a
        // live trace adds it in `callbacks::snapshot`).
        if let (Some(header), Outcome::Failed(f)) = (self.stalled_in, &self.outcome) {
            if f.abandoned() {
                let at = trace.events.last().map_or(Duration::ZERO, |e| e.at);
                trace.events.push(Event {
                    at,
                    kind: EventKind::UnacceptedRecord(header),
                });
            }
        }
        if let Some(n) = &mut trace.negotiated {
            n.refine_from_wire(&trace.events);
            n.refine_resumption(&self.log);
            if n.peer_chain.is_empty() {
                let sent;
                let chain = if self.peer_chain.is_empty() {
                    sent = log::peer_certificates(&self.log);
                    &sent
                } else {
                    &self.peer_chain
                };
                n.peer_chain = chain
                    .iter()
                    .map(|c| CertificateInfo::from_x509(c))
                    .collect();
            }
        }
        trace
    }

    /// The trace with its events but nothing decoded: enough to say where
    /// a handshake failed.
    pub(super) fn events_so_far(&self) -> HandshakeTrace {
        let mut trace = self.summary();
        trace.events = self.log.events(false, false);
        trace
    }
}
