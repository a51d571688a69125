//! The probe's one-paragraph account of a trace: what was agreed, or how
//! the handshake failed, in the words `--format summary` prints.

use openssl_handshake::HandshakeTrace;

/// A few lines on what a trace negotiated, or how it failed. A failure
/// comes first, with whatever was agreed before it after, so that a
/// handshake that died after the ServerHello never reads as a success.
pub fn summary(t: &HandshakeTrace) -> String {
    let side = match t.side {
        openssl_handshake::Side::Client => "client",
        openssl_handshake::Side::Server => "server",
    };
    let mut s = match (t.failure(), &t.negotiated) {
        (Some(f), Some(n)) => format!("{side}: {f}; agreed before that: {}", agreed(n)),
        (Some(f), None) => format!("{side}: {f}"),
        // As s_server, no verify result for a peer that sent no certificate.
        (None, Some(n)) => match &n.verify {
            Some(v) => format!("{side}: {} verify={} ({})", agreed(n), v.code, v.text),
            None => format!("{side}: {}", agreed(n)),
        },
        (None, None) => format!("{side}: handshake did not finish"),
    };
    if let Some(d) = t.duration {
        s += &format!(" in {:.2} ms", d.as_secs_f64() * 1e3);
    }
    // OpenSSL counts a renegotiation this end refused as a handshake
    // started and done; none ran.
    let completed = t.handshakes_completed();
    if completed > 1 {
        // A renegotiation: what was agreed, and the time, are the last
        // handshake's, not the connection's first.
        s += &format!(" (the last of {completed} handshakes on this connection: renegotiated)");
    }
    match t.renegotiations_refused {
        0 => {}
        1 => s += " (refused a renegotiation the peer asked for)",
        n => s += &format!(" (refused {n} renegotiations the peer asked for)"),
    }
    s.push('\n');
    s
}

/// Version, suite and what else was negotiated, on one line.
fn agreed(n: &openssl_handshake::Negotiated) -> String {
    let mut s = format!("{} {}", n.version, n.cipher_openssl);
    if let Some(g) = &n.group {
        s += &format!(" group={g}");
    }
    if let Some(sig) = &n.peer_signature {
        s += &format!(" peer-signature={sig}");
    }
    if let Some(a) = &n.alpn {
        s += &format!(" alpn={a}");
    }
    if let Some(sni) = &n.sni {
        s += &format!(" sni={sni}");
    }
    if let Some(r) = &n.resumed {
        s += &format!(" resumed={}", r.name());
    }
    if n.external_psk {
        s += " external-psk";
    }
    s
}

#[cfg(test)]
mod tests {
    use std::net::TcpStream;

    use openssl::ssl::{SslConnector, SslVersion};
    use openssl_handshake::{SslContextBuilderExt, TraceOptions};

    /// After a renegotiation the trace's figures are the last handshake's,
    /// and the summary says so rather than reading as one handshake.
    #[test]
    fn a_renegotiated_connection_is_summed_up_as_such() {
        let (addr, server) = crate::ffi::tests::renegotiating_server(SslVersion::TLS1_2);
        let mut b = SslConnector::builder(openssl::ssl::SslMethod::tls()).unwrap();
        b.set_verify(openssl::ssl::SslVerifyMode::NONE);
        b.trace_handshakes(TraceOptions::default()).unwrap();
        let ctx = b.build().into_context();
        let tcp = TcpStream::connect(addr).unwrap();
        let mut tls = openssl::ssl::Ssl::new(&ctx).unwrap().connect(tcp).unwrap();
        crate::ffi::renegotiate(&mut tls).unwrap();
        tls.do_handshake().unwrap();
        let trace = openssl_handshake::trace(tls.ssl()).unwrap();
        let _ = tls.shutdown();
        drop(tls);
        server.join().unwrap();
        assert_eq!(trace.handshakes, 2);
        let text = super::summary(&trace);
        assert!(
            text.contains("(the last of 2 handshakes on this connection: renegotiated)"),
            "{text}"
        );
    }
}
