//! What gnutls-serv's handshake error lines say about the connection.

use crate::case::alert;

/// The alert gnutls-serv sends for the handshake errors it prints, where
/// GnuTLS's error-to-alert table is certain (`gnutls_error_to_alert`): a
/// TLS 1.3 client without a required certificate gets certificate_required,
/// a TLS 1.2 one decode_error (also what `openssl s_client` reports
/// receiving); a name refused with --sni-hostname-fatal, unrecognized_name
/// (seen on loopback with tshark at TLS 1.2 and 1.3). gnutls-serv doesn't print the alert itself, and the client
/// may not read it: its first write can meet the closed connection.
pub(super) fn alert_for_error(error: &str) -> Option<u8> {
    match error.trim_end_matches('.') {
        "Certificate is required" => Some(alert::CERTIFICATE_REQUIRED),
        "No certificate was found" => Some(alert::DECODE_ERROR),
        "The SNI host name not recognised" => Some(alert::UNRECOGNIZED_NAME),
        _ => None,
    }
}

/// Whether gnutls-serv's handshake error is its refusal of the client's
/// certificate: GNUTLS_E_CERTIFICATE_ERROR and
/// GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR, as gnutls_strerror words them.
pub(super) fn refused_certificate(error: &str) -> bool {
    matches!(
        error.trim_end_matches('.'),
        "Error in the certificate" | "Error in the certificate verification"
    )
}
