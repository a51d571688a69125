//! Finished handshakes reported to the `tracing` and `metrics` facades a
//! service already uses (features `tracing` and `metrics`).
//!
//! Both run once per handshake, when it ends, from what the trace already
//! holds: nothing is decoded for them. Without a subscriber or recorder
//! installed they cost a check each.

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

/// Opens the span of a handshake that is starting.
pub(crate) fn handshake_span(side: crate::event::Side) -> Span {
    #[cfg(feature = "tracing")]
    {
        tracing::info_span!(target: "openssl_handshake", "tls_handshake", side = %side)
    }
    #[cfg(not(feature = "tracing"))]
    {
        let _ = side;
        Span
    }
}

/// Reports a handshake that has just succeeded or failed. `full` gives
/// the decoded trace a failure's cause is diagnosed from; it is called
/// for failures only, and only with a feature on.
pub(crate) fn finished(trace: &HandshakeTrace, span: &Span, full: impl FnOnce() -> HandshakeTrace) {
    #[cfg(any(feature = "tracing", feature = "metrics"))]
    {
        let cause = if trace.succeeded() {
            "none"
        } else {
            cause(&full())
        };
        #[cfg(feature = "tracing")]
        event(trace, span, cause);
        #[cfg(feature = "metrics")]
        record(trace, cause);
    }
    #[cfg(not(any(feature = "tracing", feature = "metrics")))]
    let _ = (trace, span, full);
}

/// Reports a fatal alert, sent or heard, after a handshake that
/// succeeded (and was reported as such): the connection failed all the
/// same, most often because the server refused the client's certificate
/// after a TLS 1.3 client's side of the handshake was done. `full` gives
/// the decoded trace the cause is diagnosed from.
pub(crate) fn failed_after(
    trace: &HandshakeTrace,
    span: &Span,
    full: impl FnOnce() -> HandshakeTrace,
) {
    #[cfg(any(feature = "tracing", feature = "metrics"))]
    {
        let full = full();
        let diagnosis = full.diagnosis();
        let cause = diagnosis.as_ref().map_or("unknown", |d| d.cause.name());
        #[cfg(feature = "tracing")]
        {
            let (version, suite, group) = agreed(trace);
            let alert = full.alerts().last().map_or("", |a| a.name.as_ref());
            let reason = diagnosis.as_ref().map_or("", |d| d.summary.as_str());
            tracing::warn!(
                target: "openssl_handshake",
                parent: span,
                side = %trace.side,
                outcome = "failed_after_handshake",
                version,
                suite,
                group,
                cause,
                alert,
                reason,
                "TLS connection failed after its handshake"
            );
        }
        #[cfg(feature = "metrics")]
        failure(trace, cause);
    }
    #[cfg(not(any(feature = "tracing", feature = "metrics")))]
    let _ = (trace, span, full);
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

/// The diagnosis's stable cause name: few values, fit for a metric label.
#[cfg(any(feature = "tracing", feature = "metrics"))]
fn cause(full: &HandshakeTrace) -> &'static str {
    full.diagnosis().map_or("unknown", |d| d.cause.name())
}

#[cfg(feature = "tracing")]
fn event(trace: &HandshakeTrace, span: &Span, cause: &'static str) {
    let (version, suite, group) = agreed(trace);
    // Left out, not zero, if the handshake's end was never seen.
    let duration_us = trace.duration.map(|d| d.as_micros() as u64);
    let side = trace.side.to_string();
    match trace.failure() {
        None => tracing::info!(
            target: "openssl_handshake",
            parent: span,
            side,
            outcome = "succeeded",
            version,
            suite,
            group,
            duration_us,
            "TLS handshake succeeded"
        ),
        Some(f) => tracing::warn!(
            target: "openssl_handshake",
            parent: span,
            side,
            outcome = "failed",
            version,
            suite,
            group,
            duration_us,
            cause,
            reason = %f,
            "TLS handshake failed"
        ),
    }
}

#[cfg(feature = "metrics")]
fn record(trace: &HandshakeTrace, cause: &'static str) {
    let (version, suite, _) = agreed(trace);
    let side = side_label(trace);
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
        "side" => side_label(trace),
        "cause" => cause
    )
    .increment(1);
}

#[cfg(feature = "metrics")]
fn side_label(trace: &HandshakeTrace) -> &'static str {
    match trace.side {
        crate::event::Side::Client => "client",
        crate::event::Side::Server => "server",
    }
}
