//! Finished handshakes reported to the `tracing` and `metrics` facades a
//! service already uses (features `tracing` and `metrics`).
//!
//! Both run once per handshake, when it ends, from what the trace already
//! holds. A failure is decoded and diagnosed for its `cause`: with
//! `metrics` always (the facade cannot tell whether a recorder is
//! installed), with `tracing` alone only when a subscriber wants the event.
//! The span of a handshake closes when it ends, so that its length is the
//! handshake's, not the connection's.

use crate::trace::HandshakeTrace;

/// Whether a feature reports finished handshakes (and so needs what was
/// negotiated as soon as a handshake ends).
pub(crate) const ENABLED: bool = cfg!(any(feature = "tracing", feature = "metrics"));

/// The per-handshake span ([`tracing::Span::none`] without the feature's
/// subscriber interest).
#[cfg(feature = "tracing")]
pub(crate) type Span = tracing::Span;

/// Without the `tracing` feature there is no span to keep.
#[cfg(not(feature = "tracing"))]
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Span;

#[cfg(not(feature = "tracing"))]
impl Span {
    pub(crate) fn none() -> Self {
        Span
    }
}

/// Runs a report to the facades, whose subscriber or recorder is the
/// application's code: a panic there is its own (the process's panic hook
/// has shown it) and must not cost the completion hook its call.
pub(crate) fn guarded(report: impl FnOnce()) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(report));
}

/// Opens the span of a handshake that is starting. Its `tag` is recorded
/// when the handshake ends (`event`), once: a tag given when it opened
/// and recorded again would show twice in a formatter that appends what
/// is recorded (tracing-subscriber's fmt), and one set later, in a
/// servername callback, must be there too.
pub(crate) fn handshake_span(side: crate::event::Side) -> Span {
    #[cfg(feature = "tracing")]
    {
        tracing::info_span!(
            target: "openssl_handshake",
            "tls_handshake",
            side = side_name(side),
            tag = tracing::field::Empty
        )
    }
    #[cfg(not(feature = "tracing"))]
    {
        let _ = side;
        Span
    }
}

/// Describes the handshake metrics (their help text, and the histogram's
/// unit, seconds) to the installed `metrics` recorder.
///
/// Each context that turns tracing on does so already (a connection
/// traced on its own, by `trace_handshake`, only the first); a service
/// that installs its recorder or exporter after building its TLS contexts
/// calls this once it is installed, as a description given to no recorder
/// is lost.
#[cfg(feature = "metrics")]
pub fn describe_metrics() {
    describe();
}

/// Names the metrics for exporters that print descriptions and units.
/// Each context that turns tracing on calls this, as a recorder may be
/// installed after the first.
pub(crate) fn describe() {
    #[cfg(feature = "metrics")]
    {
        metrics::describe_counter!(
            "openssl_handshake_total",
            "TLS handshakes that ended, by side, version, suite, resumption and outcome"
        );
        metrics::describe_histogram!(
            "openssl_handshake_duration_seconds",
            metrics::Unit::Seconds,
            "How long TLS handshakes took, from the first callback to the last"
        );
        metrics::describe_counter!(
            "openssl_handshake_failures_total",
            "Failed TLS handshakes, and connections that failed on a fatal alert after their \
             handshake, by the diagnosis's cause"
        );
    }
}

/// Whether a handshake that ended so is reported to anyone (see the
/// module's notes): what was negotiated and a failure's diagnosis are
/// worked out only then.
pub(crate) fn heard(failed: bool) -> bool {
    #[cfg(feature = "metrics")]
    {
        let _ = failed;
        true
    }
    #[cfg(all(feature = "tracing", not(feature = "metrics")))]
    {
        if failed {
            tracing::enabled!(target: "openssl_handshake", tracing::Level::WARN)
        } else {
            tracing::enabled!(target: "openssl_handshake", tracing::Level::INFO)
        }
    }
    #[cfg(not(any(feature = "tracing", feature = "metrics")))]
    {
        let _ = failed;
        false
    }
}

/// Reports a handshake that has just succeeded or failed, in its `span`,
/// which the caller then closes. `full` gives the decoded trace a
/// failure's cause is diagnosed from; it is called for failures only, and
/// only when they are heard.
pub(crate) fn finished(trace: &HandshakeTrace, span: &Span, full: impl FnOnce() -> HandshakeTrace) {
    #[cfg(any(feature = "tracing", feature = "metrics"))]
    {
        let succeeded = trace.succeeded();
        if heard(!succeeded) {
            let (diagnosis, _sni) = if succeeded {
                (None, server_name(trace))
            } else {
                let full = full();
                (full.diagnosis(), server_name(&full))
            };
            let cause = match (&diagnosis, succeeded) {
                (_, true) => "none",
                (Some(d), false) => d.cause.name(),
                (None, false) => "unknown",
            };
            #[cfg(feature = "tracing")]
            event(trace, span, diagnosis.as_ref(), cause, _sni.as_deref());
            #[cfg(not(feature = "tracing"))]
            let _ = span;
            #[cfg(feature = "metrics")]
            record(trace, cause);
        }
    }
    #[cfg(not(any(feature = "tracing", feature = "metrics")))]
    let _ = (trace, span, full);
}

/// Reports a fatal alert, sent or heard, after a handshake that
/// succeeded (and was reported as such): the connection failed all the
/// same, most often because the server refused the client's certificate
/// after a TLS 1.3 client's side of the handshake was done. `full` gives
/// the decoded trace the cause is diagnosed from. The handshake's span
/// has closed by then: the event goes to whatever span is current.
pub(crate) fn failed_after(trace: &HandshakeTrace, full: impl FnOnce() -> HandshakeTrace) {
    #[cfg(any(feature = "tracing", feature = "metrics"))]
    {
        if !heard(true) {
            return;
        }
        let full = full();
        let diagnosis = full.diagnosis();
        let cause = diagnosis.as_ref().map_or("unknown", |d| d.cause.name());
        #[cfg(feature = "tracing")]
        {
            let (version, suite, group) = agreed(trace);
            let last = full.alerts().last();
            let alert = last.map_or("", |a| a.name.as_ref());
            // OpenSSL's words: for an alert sent, recorded as it was sent;
            // for one heard, those it gives the application's failed read.
            let reason = trace.late_alert_reason.clone().or_else(|| {
                last.filter(|a| a.direction == crate::Direction::Read)
                    .map(|a| crate::ffi::alert_heard_reason(a.description))
            });
            let reason = reason.as_deref();
            let summary = diagnosis.as_ref().map(|d| d.summary.as_str());
            let fault = diagnosis.as_ref().map(|d| d.fault.to_string());
            let sni = server_name(&full);
            tracing::warn!(
                target: "openssl_handshake",
                side = side_name(trace.side),
                outcome = "failed_after_handshake",
                version = given(version),
                suite = given(suite),
                group = given(group),
                resumed = resumed(trace),
                sni = sni.as_deref(),
                tag = trace.tag.as_deref(),
                cause,
                alert,
                reason,
                fault,
                summary,
                "TLS connection failed after its handshake"
            );
        }
        #[cfg(feature = "metrics")]
        failure(trace, cause);
    }
    #[cfg(not(any(feature = "tracing", feature = "metrics")))]
    let _ = (trace, full);
}

/// The labels both facades use: (version, suite, group), empty when not
/// agreed.
#[cfg(any(feature = "tracing", feature = "metrics"))]
fn agreed(trace: &HandshakeTrace) -> (&str, &str, &str) {
    match &trace.negotiated {
        Some(n) => (
            n.version.name(),
            n.cipher_iana
                .as_deref()
                .unwrap_or(n.cipher_openssl.as_str()),
            n.group.as_deref().unwrap_or(""),
        ),
        None => ("", "", ""),
    }
}

/// The server name the client asked for (SNI): what was agreed holds it,
/// else the ClientHello (a failure, or a server resuming a TLS 1.2
/// session, which OpenSSL keeps no name for). For the log event only: the
/// client chooses it, so it is no fit for a metric label.
#[cfg(any(feature = "tracing", feature = "metrics"))]
fn server_name(trace: &HandshakeTrace) -> Option<String> {
    trace
        .negotiated
        .as_ref()
        .and_then(|n| n.sni.clone())
        .or_else(|| {
            trace.messages().find_map(|m| match &m.body {
                Some(crate::decode::Body::ClientHello(h)) => h.sni.as_deref().map(capped),
                _ => None,
            })
        })
}

/// A name from a ClientHello OpenSSL may have refused, which anyone can
/// make kilobytes long: at most a host name's 253 characters in a log
/// line, marked where cut.
#[cfg(any(feature = "tracing", feature = "metrics"))]
fn capped(name: &str) -> String {
    const MAX: usize = 253;
    match name.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}... ({} bytes)", &name[..cut], name.len()),
        None => name.to_owned(),
    }
}

/// Whether the handshake resumed a session; left out when nothing was
/// agreed.
#[cfg(any(feature = "tracing", feature = "metrics"))]
fn resumed(trace: &HandshakeTrace) -> Option<bool> {
    trace.negotiated.as_ref().map(|n| n.resumed.is_some())
}

/// A field left out of the event, rather than empty, when not agreed.
#[cfg(feature = "tracing")]
fn given(value: &str) -> Option<&str> {
    (!value.is_empty()).then_some(value)
}

#[cfg(feature = "tracing")]
fn event(
    trace: &HandshakeTrace,
    span: &Span,
    diagnosis: Option<&crate::Diagnosis>,
    cause: &'static str,
    sni: Option<&str>,
) {
    let (version, suite, group) = agreed(trace);
    let (version, suite, group) = (given(version), given(suite), given(group));
    // Left out, not zero, if the handshake's end was never seen.
    let duration_us = trace.duration.map(|d| d.as_micros() as u64);
    let side = side_name(trace.side);
    let resumed = resumed(trace);
    let tag = trace.tag.as_deref();
    // The span opened without it (see `handshake_span`).
    if let Some(tag) = tag {
        span.record("tag", tag);
    }
    // Inside the handshake's span, not with it as an explicit parent: where
    // the span is disabled (info filtered out), the event then keeps the
    // application's span (its connection, its peer) instead of becoming a
    // root event.
    span.in_scope(|| match trace.failure() {
        None => tracing::info!(
            target: "openssl_handshake",
            side,
            outcome = "succeeded",
            version,
            suite,
            group,
            resumed,
            sni,
            tag,
            duration_us,
            "TLS handshake succeeded"
        ),
        Some(f) => {
            let reason = f.detail().to_string();
            let reason = reason.as_str();
            // The diagnosis in plain words, and whose fault it is.
            let summary = diagnosis.map(|d| d.summary.as_str());
            let fault = diagnosis.map(|d| d.fault.to_string());
            // One field list for both levels: the level of an event is
            // part of its call site, so it cannot be chosen at run time.
            macro_rules! failed {
                ($level:expr) => {
                    tracing::event!(
                        target: "openssl_handshake",
                        $level,
                        side,
                        outcome = "failed",
                        version,
                        suite,
                        group,
                        resumed,
                        sni,
                        tag,
                        duration_us,
                        cause,
                        reason,
                        fault,
                        summary,
                        "TLS handshake failed"
                    )
                };
            }
            // A client that left without sending a byte made no TLS
            // attempt (a TCP health check, a port scan): at warn, a load
            // balancer's checks would fill the log. It is still counted.
            if cause == crate::diagnosis::Cause::ClosedBeforeHello.name() {
                failed!(tracing::Level::DEBUG)
            } else {
                failed!(tracing::Level::WARN)
            }
        }
    })
}

#[cfg(feature = "metrics")]
fn record(trace: &HandshakeTrace, cause: &'static str) {
    let (version, suite, _) = agreed(trace);
    let side = side_name(trace.side);
    let resumed = match resumed(trace) {
        Some(true) => "true",
        Some(false) => "false",
        None => "",
    };
    let outcome = if trace.succeeded() {
        "succeeded"
    } else {
        "failed"
    };
    metrics::counter!(
        "openssl_handshake_total",
        "side" => side,
        "version" => version.to_owned(),
        "suite" => suite.to_owned(),
        "resumed" => resumed,
        "outcome" => outcome
    )
    .increment(1);
    if let Some(d) = trace.duration {
        metrics::histogram!(
            "openssl_handshake_duration_seconds",
            "side" => side,
            "outcome" => outcome
        )
        .record(d.as_secs_f64());
    }
    if !trace.succeeded() {
        failure(trace, cause);
    }
}

#[cfg(feature = "metrics")]
fn failure(trace: &HandshakeTrace, cause: &'static str) {
    metrics::counter!(
        "openssl_handshake_failures_total",
        "side" => side_name(trace.side),
        "cause" => cause
    )
    .increment(1);
}

/// The side as both facades name it: one string type for every event,
/// span and label.
#[cfg(any(feature = "tracing", feature = "metrics"))]
fn side_name(side: crate::event::Side) -> &'static str {
    match side {
        crate::event::Side::Client => "client",
        crate::event::Side::Server => "server",
    }
}

#[cfg(all(test, any(feature = "tracing", feature = "metrics")))]
mod tests {
    use super::capped;

    /// A client's name is cut to a host name's length, saying so.
    #[test]
    fn a_long_name_from_a_client_hello_is_cut() {
        assert_eq!(capped("localhost"), "localhost");
        let long = "\\xff".repeat(3000);
        let cut = capped(&long);
        assert!(cut.len() < 300, "{}", cut.len());
        assert!(cut.ends_with("... (12000 bytes)"), "{cut}");
    }
}
