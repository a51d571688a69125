//! TLS 1.3 early data past the server's limit. An OpenSSL server ends the
//! handshake with unexpected_message once the early data it reads passes
//! its recv_max_early_data ("too much early data"), which may be below the
//! max_early_data its tickets advertise: a client that kept to its ticket
//! then hears only an alert that names no cause.

use crate::event::Side;

use super::facts::{alert, Facts};
use super::{Cause, Diagnosis, Fault};

/// The fix either end reads.
const FIX: &str = "Keep the server's recv_max_early_data at or above the max_early_data its \
                   tickets advertise (SSL_CTX_set_recv_max_early_data, \
                   SSL_CTX_set_max_early_data), and the client's early data within its \
                   ticket's max_early_data.";

pub(super) fn diagnose(f: &Facts<'_>) -> Option<Diagnosis> {
    match f.side {
        Side::Server if f.reason_has(&["too much early data"]) => Some(
            Diagnosis::new(
                Cause::UnexpectedMessage,
                Fault::Unknown,
                "the client sent more early data than this server reads \
                 (recv_max_early_data), so OpenSSL ended the handshake with \
                 unexpected_message: a client past its ticket's max_early_data, or a server \
                 whose tickets allow more than it reads",
                FIX,
            )
            .with_raw(f),
        ),
        Side::Client if sent_early_data(f) && f.received_alert(alert::UNEXPECTED_MESSAGE) => Some(
            Diagnosis::new(
                Cause::UnexpectedMessage,
                Fault::Server,
                "the server ended the handshake with unexpected_message after this client sent \
                 early data: an OpenSSL server does so when the early data passes its \
                 recv_max_early_data, which can be below the max_early_data its ticket \
                 allowed (this client keeps to the ticket's)",
                FIX,
            )
            .with_raw(f),
        ),
        _ => None,
    }
}

/// Whether this client wrote early data: it passed through the state in
/// which OpenSSL lets a client send it.
fn sent_early_data(f: &Facts<'_>) -> bool {
    f.trace
        .states()
        .any(|s| s.state.name() == Some("TLS_ST_EARLY_DATA"))
}
